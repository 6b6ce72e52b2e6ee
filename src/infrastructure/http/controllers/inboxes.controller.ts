import { Body, Controller, Get, HttpCode, Param, Patch, Post, Put, Query } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { agentContext, type AuthenticatedAgent } from '../../../application/command-handling/command-context';
import { UnblockSenderCommand } from '../../../application/conversations/unblock-sender.handler';
import { CreateInboxCommand, SetInboxMembersCommand, UpdateInboxCommand } from '../../../application/inboxes/inbox-commands.handler';
import { ListBlockedSendersQuery, ListInboxesQuery } from '../../../application/queries/directory-queries.handler';
import { CurrentAgent } from '../auth/auth.decorators';
import { CreateInboxDto, InboxMembersDto, InboxQueryDto, UpdateInboxDto } from '../dto/inbox.dto';
import { UnblockSenderDto } from '../dto/conversation.dto';
import { uuidParam } from './params';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { InboxList, InboxView } from '../dto/responses.dto';

@ApiTags('Inboxes')
@Controller('api')
export class InboxesController {
  constructor(
    private readonly commandBus: CommandBus,
    private readonly queryBus: QueryBus,
  ) {}

  @ApiOperation({ summary: 'The inboxes the caller belongs to (admins: all)' })
  @ApiOkResponse({ type: InboxList })
  @Get('inboxes')
  async list(@CurrentAgent() agent: AuthenticatedAgent) {
    return { inboxes: await this.queryBus.execute(new ListInboxesQuery(agent)) };
  }

  @ApiOperation({ summary: 'Create an inbox (admins)' })
  @ApiCreatedResponse({ type: InboxView })
  @Post('inboxes')
  create(@Body() body: CreateInboxDto, @CurrentAgent() agent: AuthenticatedAgent) {
    return this.commandBus.execute(new CreateInboxCommand(body.name, body.emailAddress ?? null, body.agentIds ?? [], agentContext(agent)));
  }

  @ApiOperation({ summary: 'Rename an inbox or change its email address (admins)' })
  @ApiOkResponse({ type: InboxView })
  @Patch('inboxes/:id')
  update(@Param('id', uuidParam('id')) id: string, @Body() body: UpdateInboxDto, @CurrentAgent() agent: AuthenticatedAgent) {
    return this.commandBus.execute(new UpdateInboxCommand(id, body, agentContext(agent)));
  }

  @ApiOperation({ summary: "Replace an inbox's members (admins)" })
  @ApiOkResponse({ type: InboxView })
  @Put('inboxes/:id/members')
  setMembers(@Param('id', uuidParam('id')) id: string, @Body() body: InboxMembersDto, @CurrentAgent() agent: AuthenticatedAgent) {
    return this.commandBus.execute(new SetInboxMembersCommand(id, body.agentIds, agentContext(agent)));
  }

  @ApiOperation({ summary: "The inbox's blocked senders" })
  @ApiOkResponse({ description: '`{ senders: [{ inboxId, address, blockedAt }] }`' })
  @Get('senders/blocked')
  async blocked(@Query() query: InboxQueryDto, @CurrentAgent() agent: AuthenticatedAgent) {
    return { senders: await this.queryBus.execute(new ListBlockedSendersQuery(agent, query.inboxId)) };
  }

  /** Rule 5: unblock from the Spam / Filtered view; future messages arrive again. */
  @ApiOperation({ summary: 'Unblock a sender', description: 'Future messages arrive again.' })
  @ApiOkResponse({ description: 'Unblocked.' })
  @Post('senders/unblock')
  @HttpCode(200)
  unblock(@Body() body: UnblockSenderDto, @CurrentAgent() agent: AuthenticatedAgent) {
    return this.commandBus.execute(new UnblockSenderCommand(body.inboxId, body.address, agentContext(agent)));
  }
}
