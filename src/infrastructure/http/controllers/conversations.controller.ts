import { Body, Controller, Delete, Get, Headers, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import type { FastifyReply } from 'fastify';
import { GetConversationAtQuery } from '../../../application/audit/audit-queries.handler';
import { agentContext, type AuthenticatedAgent } from '../../../application/command-handling/command-context';
import { AddCommentCommand } from '../../../application/conversations/add-comment.handler';
import { AssignConversationCommand } from '../../../application/conversations/assign-conversation.handler';
import { BlockSenderCommand } from '../../../application/conversations/block-sender.handler';
import { BulkConversationActionCommand } from '../../../application/conversations/bulk-conversation-action.handler';
import { ChangeConversation, type ConversationCommandBuilder } from '../../../application/conversations/change-conversation.handler';
import { DeleteConversationCommand } from '../../../application/conversations/delete-conversation.handler';
import { ChannelActivity } from '../../../application/live/channel-activity';
import { GetReplyOptionsQuery } from '../../../application/conversations/reply-options.handler';
import { SendReplyCommand } from '../../../application/conversations/send-reply.handler';
import { GetConversationQuery } from '../../../application/queries/inbox-queries.handler';
import { SendTranscriptCommand } from '../../../application/transcripts/send-transcript.handler';
import { CreateTicketCommand, type TicketView } from '../../../application/tickets/ticket.messages';
import type { Assignee } from '../../../domain/shared/types';
import { CurrentAgent } from '../auth/auth.decorators';
import { describeError } from '../describe-error';
import type { Locale } from '../../i18n/i18n';
import { RequestLocale } from '../../i18n/request-locale';
import { AssignDto, BulkDto, CloseDto, CommentDto, ReplyDto } from '../dto/conversation.dto';
import { CreatedTicketResult, CreateTicketDto } from '../dto/ticket.dto';
import { TranscriptDto } from '../dto/transcript.dto';
import { etagOf, parseIfMatch } from '../if-match';
import { parseInstant } from './instant-param';
import { uuidParam } from './params';
import { ApiAcceptedResponse, ApiCreatedResponse, ApiHeader, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { BulkResult, CommandResult, ConversationDetail, ReplyOptionsView, ReplyResult } from '../dto/responses.dto';

/** Every conversation command takes the revision it expects. */
const IfMatch = () =>
  ApiHeader({
    name: 'If-Match',
    required: false,
    description: 'The revision the command expects, `"<revision>"` (the ETag): 409 when the conversation changed meanwhile.',
  });

/**
 * One conversation: read it (with ETag), and every command of docs/api.md. Each command accepts
 * `If-Match: "<revision>"` (stale -> 409, nothing written) and answers `{ id, revision }` once the
 * caller's next read shows the effect.
 */
@ApiTags('Conversations')
@Controller('api/conversations')
export class ConversationsController {
  constructor(
    private readonly commandBus: CommandBus,
    private readonly queryBus: QueryBus,
    private readonly activity: ChannelActivity,
  ) {}

  @ApiOperation({ summary: 'Close or trash many conversations', description: "One result per id; a failure has the shape of a single command's error." })
  @ApiOkResponse({ type: BulkResult })
  @Post('bulk')
  @HttpCode(200)
  async bulk(@Body() body: BulkDto, @CurrentAgent() agent: AuthenticatedAgent, @RequestLocale() locale: Locale) {
    const { action, results } = await this.commandBus.execute(new BulkConversationActionCommand(body.ids, body.action, agentContext(agent)));
    // One result per id, each failure in the same shape (and the reader's language and time zone) as a single command's error.
    return { action, results: results.map((r) => (r.ok ? r : { id: r.id, ok: false, ...describeError(r.error, locale) })) };
  }

  /** `?at=<ISO time>`: the conversation as it was then, folded from its events (no ETag: it is not current). */
  @ApiOperation({
    summary: 'A conversation with its messages and comments',
    description: 'Answers an ETag (the revision). With `at`, the conversation as it was then, folded from its events.',
  })
  @ApiQuery({ name: 'at', required: false, type: String, description: 'An ISO 8601 date-time with a zone, or a date.', example: '2026-11-24T10:00:00Z' })
  @ApiOkResponse({ type: ConversationDetail })
  @Get(':id')
  async get(
    @Param('id', uuidParam('id')) id: string,
    @Query('at') at: string | undefined,
    @CurrentAgent() agent: AuthenticatedAgent,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    if (at !== undefined) return this.queryBus.execute(new GetConversationAtQuery(agent, id, parseInstant('at', at)));
    const conversation = await this.queryBus.execute(new GetConversationQuery(agent, id));
    void reply.header('ETag', etagOf(conversation.revision));
    return conversation;
  }

  @ApiOperation({ summary: 'Assign to an agent or the bot, or unassign' })
  @IfMatch()
  @ApiOkResponse({ type: CommandResult })
  @Post(':id/assign')
  @HttpCode(200)
  assign(
    @Param('id', uuidParam('id')) id: string,
    @Body() body: AssignDto,
    @Headers('if-match') ifMatch: string | undefined,
    @CurrentAgent() agent: AuthenticatedAgent,
  ) {
    const assignee: Assignee = body.assignee === null ? null : body.assignee === 'bot' ? { type: 'bot' } : { type: 'agent', id: body.assignee.toLowerCase() };
    return this.commandBus.execute(new AssignConversationCommand(id, assignee, this.ctx(agent, ifMatch)));
  }

  @ApiOperation({ summary: 'Close' })
  @IfMatch()
  @ApiOkResponse({ type: CommandResult })
  @Post(':id/close')
  @HttpCode(200)
  close(
    @Param('id', uuidParam('id')) id: string,
    @Body() body: CloseDto,
    @Headers('if-match') ifMatch: string | undefined,
    @CurrentAgent() agent: AuthenticatedAgent,
  ) {
    return this.change(id, agent, ifMatch, (now) => ({ type: 'CloseConversation', data: { closeTicket: body?.closeTicket ?? false, now } }));
  }

  @ApiOperation({ summary: 'Reopen' })
  @IfMatch()
  @ApiOkResponse({ type: CommandResult })
  @Post(':id/reopen')
  @HttpCode(200)
  reopen(@Param('id', uuidParam('id')) id: string, @Headers('if-match') ifMatch: string | undefined, @CurrentAgent() agent: AuthenticatedAgent) {
    return this.change(id, agent, ifMatch, (now) => ({ type: 'ReopenConversation', data: { now } }));
  }

  @ApiOperation({
    summary: 'Reply to the contact',
    description:
      'Queued, then sent by the channel; the message shows its delivery status. Without `channel`, a reply goes out on the default reply channel ' +
      '(reply-options: email for a support form). A channel with a reply window (WhatsApp, Messenger) refuses a free-form reply when it is closed: ' +
      '409 `reply-window-closed` with the reason in your language; an approved `template` is allowed then.',
  })
  @IfMatch()
  @ApiCreatedResponse({ type: ReplyResult })
  @Post(':id/replies')
  @HttpCode(201)
  reply(
    @Param('id', uuidParam('id')) id: string,
    @Body() body: ReplyDto,
    @Headers('if-match') ifMatch: string | undefined,
    @CurrentAgent() agent: AuthenticatedAgent,
  ) {
    return this.commandBus.execute(
      new SendReplyCommand({
        agent,
        conversationId: id,
        text: body.text,
        html: body.html,
        channel: body.channel,
        attachmentIds: body.attachmentIds,
        ...(body.template ? { template: { name: body.template.name, language: body.template.language, parameters: [...body.template.parameters] } } : {}),
        expectedRevision: parseIfMatch(ifMatch),
        ...(body.to === undefined ? {} : { to: body.to }),
        ...(body.cc === undefined ? {} : { cc: body.cc }),
      }),
    );
  }

  @ApiOperation({
    summary: 'How a reply can go out now',
    description:
      "The default reply channel, its reply window (always open for channels without one; closed with the channel's reason in your language) " +
      'and the approved templates of a channel that declares `templates`.',
  })
  @ApiOkResponse({ type: ReplyOptionsView })
  @Get(':id/reply-options')
  async replyOptions(@Param('id', uuidParam('id')) id: string, @CurrentAgent() agent: AuthenticatedAgent, @RequestLocale() locale: Locale) {
    const options = await this.queryBus.execute(new GetReplyOptionsQuery(agent, id));
    const { window } = options;
    return {
      channel: options.channel,
      window: window.open
        ? { open: true, closesAt: window.closesAt }
        : {
            open: false,
            closesAt: null,
            closedAt: window.closedAt,
            reason: Object.hasOwn(window.reasons, locale.language) ? window.reasons[locale.language] : window.reasons.en,
          },
      templates: options.templates,
    };
  }

  @ApiOperation({
    summary: "Email a copy of a chat's transcript",
    description:
      'Rule 12: both sides of the conversation with their times, never internal comments, emailed to `to` through the email channel. ' +
      'Only for channels that declare the transcript capability (400 names the channel otherwise). Delivery is recorded on the thread like a reply.',
  })
  @ApiAcceptedResponse({ type: ReplyResult })
  @Post(':id/transcript')
  @HttpCode(202)
  async transcript(@Param('id', uuidParam('id')) id: string, @Body() body: TranscriptDto, @CurrentAgent() agent: AuthenticatedAgent) {
    const result = await this.commandBus.execute(new SendTranscriptCommand(id, { address: body.to.trim() }, 'requested', agentContext(agent)));
    return { id: result.id, revision: result.revision, messageId: result.messageId };
  }

  @ApiOperation({
    summary: 'The agent is typing a reply',
    description: 'Tells the conversation\'s channel (a chat widget shows "typing…"); send at most one every 2 s while typing. Nothing is stored.',
  })
  @ApiNoContentResponse()
  @Post(':id/typing')
  @HttpCode(204)
  async typing(@Param('id', uuidParam('id')) id: string, @CurrentAgent() agent: AuthenticatedAgent): Promise<void> {
    // Access as for reading it: out of reach answers 404 like an unknown conversation (rule 15).
    await this.queryBus.execute(new GetConversationQuery(agent, id));
    await this.activity.agentTyping(id, { name: agent.name });
  }

  @ApiOperation({ summary: 'Comment for the team (never sent to the contact)' })
  @IfMatch()
  @ApiCreatedResponse({ type: CommandResult })
  @Post(':id/comments')
  @HttpCode(201)
  comment(
    @Param('id', uuidParam('id')) id: string,
    @Body() body: CommentDto,
    @Headers('if-match') ifMatch: string | undefined,
    @CurrentAgent() agent: AuthenticatedAgent,
  ) {
    return this.commandBus.execute(new AddCommentCommand(id, body.text, this.ctx(agent, ifMatch)));
  }

  @ApiOperation({ summary: 'Mark as spam' })
  @IfMatch()
  @ApiOkResponse({ type: CommandResult })
  @Post(':id/spam')
  @HttpCode(200)
  spam(@Param('id', uuidParam('id')) id: string, @Headers('if-match') ifMatch: string | undefined, @CurrentAgent() agent: AuthenticatedAgent) {
    return this.change(id, agent, ifMatch, () => ({ type: 'MarkAsSpam', data: {} }));
  }

  @ApiOperation({ summary: 'Not spam after all' })
  @IfMatch()
  @ApiOkResponse({ type: CommandResult })
  @Post(':id/not-spam')
  @HttpCode(200)
  notSpam(@Param('id', uuidParam('id')) id: string, @Headers('if-match') ifMatch: string | undefined, @CurrentAgent() agent: AuthenticatedAgent) {
    return this.change(id, agent, ifMatch, () => ({ type: 'MarkAsNotSpam', data: {} }));
  }

  @ApiOperation({ summary: "Block the contact's address in this inbox", description: 'Future messages from it go to Filtered.' })
  @IfMatch()
  @ApiOkResponse({ type: CommandResult })
  @Post(':id/block-sender')
  @HttpCode(200)
  blockSender(@Param('id', uuidParam('id')) id: string, @Headers('if-match') ifMatch: string | undefined, @CurrentAgent() agent: AuthenticatedAgent) {
    return this.commandBus.execute(new BlockSenderCommand(id, this.ctx(agent, ifMatch)));
  }

  @ApiOperation({ summary: 'Move to Trash' })
  @IfMatch()
  @ApiOkResponse({ type: CommandResult })
  @Post(':id/trash')
  @HttpCode(200)
  trash(@Param('id', uuidParam('id')) id: string, @Headers('if-match') ifMatch: string | undefined, @CurrentAgent() agent: AuthenticatedAgent) {
    return this.change(id, agent, ifMatch, (now) => ({ type: 'TrashConversation', data: { now } }));
  }

  @ApiOperation({ summary: 'Restore from Trash' })
  @IfMatch()
  @ApiOkResponse({ type: CommandResult })
  @Post(':id/restore')
  @HttpCode(200)
  restore(@Param('id', uuidParam('id')) id: string, @Headers('if-match') ifMatch: string | undefined, @CurrentAgent() agent: AuthenticatedAgent) {
    return this.change(id, agent, ifMatch, () => ({ type: 'RestoreConversation', data: {} }));
  }

  @ApiOperation({
    summary: 'Create a ticket for the conversation',
    description: 'One ticket per conversation, linked for good. Answers the conversation `{ id, revision }`, the `ticketId` and the `ticket`.',
  })
  @IfMatch()
  @ApiCreatedResponse({ type: CreatedTicketResult })
  @Post(':id/ticket')
  @HttpCode(201)
  async ticket(
    @Param('id', uuidParam('id')) id: string,
    @Body() body: CreateTicketDto,
    @Headers('if-match') ifMatch: string | undefined,
    @CurrentAgent() agent: AuthenticatedAgent,
  ) {
    const ticket: TicketView = await this.commandBus.execute(new CreateTicketCommand(id, { ...body }, this.ctx(agent, ifMatch)));
    return { id, revision: ticket.conversation.revision, events: ['TicketCreated'], ticketId: ticket.id, ticket };
  }

  @ApiOperation({ summary: 'Unlink the contact' })
  @IfMatch()
  @ApiOkResponse({ type: CommandResult })
  @Post(':id/unlink-contact')
  @HttpCode(200)
  unlinkContact(@Param('id', uuidParam('id')) id: string, @Headers('if-match') ifMatch: string | undefined, @CurrentAgent() agent: AuthenticatedAgent) {
    return this.change(id, agent, ifMatch, () => ({ type: 'UnlinkContact', data: {} }));
  }

  /** Delete forever: only from Trash (else 409); cannot be undone. */
  @ApiOperation({ summary: 'Delete forever', description: 'Only from Trash (else 409); cannot be undone.' })
  @IfMatch()
  @ApiOkResponse({ type: CommandResult })
  @Delete(':id')
  deleteForever(@Param('id', uuidParam('id')) id: string, @Headers('if-match') ifMatch: string | undefined, @CurrentAgent() agent: AuthenticatedAgent) {
    return this.commandBus.execute(new DeleteConversationCommand(id, 'agent', this.ctx(agent, ifMatch)));
  }

  private change(id: string, agent: AuthenticatedAgent, ifMatch: string | undefined, build: ConversationCommandBuilder) {
    return this.commandBus.execute(new ChangeConversation(id, build, this.ctx(agent, ifMatch)));
  }

  private ctx(agent: AuthenticatedAgent, ifMatch: string | undefined) {
    return agentContext(agent, { expectedRevision: parseIfMatch(ifMatch) });
  }
}
