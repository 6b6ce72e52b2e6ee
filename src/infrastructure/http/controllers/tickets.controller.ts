import { Body, Controller, Get, Headers, Param, Patch, Query, Res } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiHeader, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { agentContext, type AuthenticatedAgent } from '../../../application/command-handling/command-context';
import { GetTicketQuery, SearchTicketsQuery, UpdateTicketCommand, type TicketView } from '../../../application/tickets/ticket.messages';
import { CurrentAgent } from '../auth/auth.decorators';
import { SearchTicketsQueryDto, TicketDetailView, TicketPage, UpdateTicketDto } from '../dto/ticket.dto';
import { etagOf, parseIfMatch } from '../if-match';
import { uuidParam } from './params';

/**
 * Tickets as records (docs/tickets.md). A ticket is made from its conversation
 * (`POST /api/conversations/:id/ticket`) and is its inbox's: out of reach, it answers as unknown.
 */
@ApiTags('Tickets')
@Controller('api/tickets')
export class TicketsController {
  constructor(
    private readonly commandBus: CommandBus,
    private readonly queryBus: QueryBus,
  ) {}

  @ApiOperation({
    summary: 'List tickets',
    description: 'Newest first, in the inboxes you reach; filters combine. A bad value is a 400 naming the parameter and the value.',
  })
  @ApiOkResponse({ type: TicketPage })
  @Get()
  search(@Query() query: SearchTicketsQueryDto, @CurrentAgent() agent: AuthenticatedAgent) {
    return this.queryBus.execute(new SearchTicketsQuery(agent, { ...query }));
  }

  @ApiOperation({
    summary: 'A ticket with its conversation, contact, owner and the contact’s other tickets',
    description: 'Answers an ETag (the ticket revision).',
  })
  @ApiOkResponse({ type: TicketDetailView })
  @Get(':id')
  async get(@Param('id', uuidParam('id')) id: string, @CurrentAgent() agent: AuthenticatedAgent, @Res({ passthrough: true }) reply: FastifyReply) {
    const ticket: TicketView = await this.queryBus.execute(new GetTicketQuery(agent, id));
    void reply.header('ETag', etagOf(ticket.revision));
    return ticket;
  }

  @ApiOperation({
    summary: 'Change a ticket',
    description: 'Name, status, priority, owner and custom properties; only what is sent changes. Closing the ticket here leaves its conversation as it is.',
  })
  @ApiHeader({ name: 'If-Match', required: false, description: 'The ticket revision, `"<revision>"` (the ETag): 409 when the ticket changed meanwhile.' })
  @ApiOkResponse({ type: TicketDetailView })
  @Patch(':id')
  async update(
    @Param('id', uuidParam('id')) id: string,
    @Body() body: UpdateTicketDto,
    @Headers('if-match') ifMatch: string | undefined,
    @CurrentAgent() agent: AuthenticatedAgent,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const ctx = agentContext(agent, { expectedRevision: parseIfMatch(ifMatch) });
    const ticket: TicketView = await this.commandBus.execute(new UpdateTicketCommand(id, { ...body }, ctx));
    void reply.header('ETag', etagOf(ticket.revision));
    return ticket;
  }
}
