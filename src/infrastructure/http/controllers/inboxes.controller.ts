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

@Controller('api')
export class InboxesController {
  constructor(
    private readonly commandBus: CommandBus,
    private readonly queryBus: QueryBus,
  ) {}

  @Get('inboxes')
  async list(@CurrentAgent() agent: AuthenticatedAgent) {
    return { inboxes: await this.queryBus.execute(new ListInboxesQuery(agent)) };
  }

  @Post('inboxes')
  create(@Body() body: CreateInboxDto, @CurrentAgent() agent: AuthenticatedAgent) {
    return this.commandBus.execute(new CreateInboxCommand(body.name, body.emailAddress ?? null, body.agentIds ?? [], agentContext(agent)));
  }

  @Patch('inboxes/:id')
  update(@Param('id', uuidParam('id')) id: string, @Body() body: UpdateInboxDto, @CurrentAgent() agent: AuthenticatedAgent) {
    return this.commandBus.execute(new UpdateInboxCommand(id, body, agentContext(agent)));
  }

  @Put('inboxes/:id/members')
  setMembers(@Param('id', uuidParam('id')) id: string, @Body() body: InboxMembersDto, @CurrentAgent() agent: AuthenticatedAgent) {
    return this.commandBus.execute(new SetInboxMembersCommand(id, body.agentIds, agentContext(agent)));
  }

  @Get('senders/blocked')
  async blocked(@Query() query: InboxQueryDto, @CurrentAgent() agent: AuthenticatedAgent) {
    return { senders: await this.queryBus.execute(new ListBlockedSendersQuery(agent, query.inboxId)) };
  }

  /** Rule 5: unblock from the Spam / Filtered view; future messages arrive again. */
  @Post('senders/unblock')
  @HttpCode(200)
  unblock(@Body() body: UnblockSenderDto, @CurrentAgent() agent: AuthenticatedAgent) {
    return this.commandBus.execute(new UnblockSenderCommand(body.inboxId, body.address, agentContext(agent)));
  }
}
