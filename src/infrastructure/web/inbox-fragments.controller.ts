import {
  BadRequestException,
  Body,
  Controller,
  ForbiddenException,
  Get,
  Inject,
  NotFoundException,
  Param,
  Post,
  Query,
  Req,
  Res,
  UseFilters,
} from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { SetAvailabilityCommand } from '../../application/agents/agent-commands.handler';
import { agentContext, type AuthenticatedAgent } from '../../application/command-handling/command-context';
import { AddCommentCommand } from '../../application/conversations/add-comment.handler';
import { AssignConversationCommand } from '../../application/conversations/assign-conversation.handler';
import { BlockSenderCommand } from '../../application/conversations/block-sender.handler';
import { BulkConversationActionCommand } from '../../application/conversations/bulk-conversation-action.handler';
import { ChangeConversation, type ConversationCommandBuilder } from '../../application/conversations/change-conversation.handler';
import { DeleteConversationCommand } from '../../application/conversations/delete-conversation.handler';
import { SendReplyCommand } from '../../application/conversations/send-reply.handler';
import { UnblockSenderCommand } from '../../application/conversations/unblock-sender.handler';
import { CreateCustomViewCommand } from '../../application/custom-views/create-custom-view.handler';
import { ComposeEmailCommand } from '../../application/email/compose-email.handler';
import { ForwardConversationCommand } from '../../application/email/forward-conversation.handler';
import { CHANNEL_CATALOG, type ChannelCatalog } from '../../application/ports/channel-catalog.port';
import { SendTranscriptCommand } from '../../application/transcripts/send-transcript.handler';
import { ChooseCardPropertiesCommand, LinkConversationContactCommand, UpdateContactCommand } from '../../application/contacts/contact.messages';
import { CreateTicketCommand, UpdateTicketCommand } from '../../application/tickets/ticket.messages';
import { ConcurrencyError } from '../../application/ports/event-store.port';
import type { Assignee } from '../../domain/shared/types';
import { CurrentAgent } from '../http/auth/auth.decorators';
import type { Locale } from '../i18n/i18n';
import { RequestLocale } from '../i18n/request-locale';
import { describeError } from '../http/describe-error';
import { uuidParam } from '../http/controllers/params';
import { emailDocument } from './email-html';
import { InboxPresenter } from './inbox-presenter';
import { parseInboxState, stateQuery, type InboxState } from './inbox-state';
import { WebExceptionFilter } from './web-exception.filter';
import { field, fields, requireField, sendHtml, type FormBody } from './web-http';
import { WebRenderer } from './web-renderer';
import { SidebarPresenter, ticketInput } from './sidebar-presenter';
import { assertSameOrigin, EMAIL_BODY_CSP } from './web-security';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const CHANGED = 'parley:changed';

type ConversationAction = (id: string, body: FormBody, agent: AuthenticatedAgent, locale: Locale) => Promise<{ notice: string; deleted?: boolean }>;

/** How long a reply's answer waits for the first delivery outcome before saying it is queued. */
const REPLY_OUTCOME_WAIT_MS = 2000;

/**
 * The parts of the inbox screen that htmx fetches and the actions it posts. Reads and writes go
 * through the QueryBus / CommandBus like the JSON API's. An action answers with the re-rendered
 * conversation and `HX-Trigger: parley:changed`, on which the page refreshes the list and counts.
 */
@Controller('ui')
@UseFilters(WebExceptionFilter)
export class InboxFragmentsController {
  private readonly actions: Record<string, ConversationAction>;

  constructor(
    private readonly presenter: InboxPresenter,
    private readonly renderer: WebRenderer,
    private readonly commandBus: CommandBus,
    @Inject(CHANNEL_CATALOG) private readonly catalog: ChannelCatalog,
    private readonly sidebar: SidebarPresenter,
  ) {
    this.actions = {
      assign: async (id, body, agent, locale) => {
        const value = field(body, 'assignee');
        if (value !== '' && value !== 'bot' && !UUID.test(value))
          throw new BadRequestException(`assignee must be an agent id, "bot" or empty (got ${JSON.stringify(value)})`);
        const assignee: Assignee = value === '' ? null : value === 'bot' ? { type: 'bot' } : { type: 'agent', id: value.toLowerCase() };
        await this.commandBus.execute(new AssignConversationCommand(id, assignee, agentContext(agent)));
        return { notice: locale.t(assignee === null ? 'notices.unassigned' : 'notices.ownerChanged') };
      },
      close: async (id, body, agent, locale) => {
        const closeTicket = field(body, 'closeTicket') === 'true';
        await this.change(id, agent, (now) => ({ type: 'CloseConversation', data: { closeTicket, now } }));
        if (closeTicket) await this.sidebar.ticketClosedWithConversation(agent, id);
        return { notice: locale.t(closeTicket ? 'notices.closedWithTicket' : 'notices.closed') };
      },
      reopen: async (id, _body, agent, locale) => {
        await this.change(id, agent, (now) => ({ type: 'ReopenConversation', data: { now } }));
        return { notice: locale.t('notices.reopened') };
      },
      comment: async (id, body, agent, locale) => {
        const text = requireField(body, 'text', 'fields.comment', 20_000, locale);
        const result = await this.commandBus.execute(new AddCommentCommand(id, text, agentContext(agent)));
        // "notified" only for teammates a notification will reach (their switches on), never otherwise.
        const notified = result.notified;
        return { notice: notified > 0 ? locale.t('notices.commentNotified', { count: notified }) : locale.t('notices.commentAdded') };
      },
      spam: async (id, _body, agent, locale) => {
        await this.change(id, agent, () => ({ type: 'MarkAsSpam', data: {} }));
        return { notice: locale.t('notices.spam') };
      },
      'not-spam': async (id, _body, agent, locale) => {
        await this.change(id, agent, () => ({ type: 'MarkAsNotSpam', data: {} }));
        return { notice: locale.t('notices.notSpam') };
      },
      'block-sender': async (id, _body, agent, locale) => {
        const result = await this.commandBus.execute(new BlockSenderCommand(id, agentContext(agent)));
        return { notice: locale.t('notices.blocked', { address: result.address }) };
      },
      unblock: async (id, body, agent, locale) => {
        const address = requireField(body, 'address', 'fields.address', 320, locale);
        const conversation = await this.presenter.screen.conversation(agent, id);
        await this.commandBus.execute(new UnblockSenderCommand(conversation.inboxId, address, agentContext(agent)));
        return { notice: locale.t('notices.unblocked', { address }) };
      },
      trash: async (id, _body, agent, locale) => {
        await this.change(id, agent, (now) => ({ type: 'TrashConversation', data: { now } }));
        return { notice: locale.t('notices.trashed') };
      },
      restore: async (id, _body, agent, locale) => {
        await this.change(id, agent, () => ({ type: 'RestoreConversation', data: {} }));
        return { notice: locale.t('notices.restored') };
      },
      delete: async (id, _body, agent, locale) => {
        await this.commandBus.execute(new DeleteConversationCommand(id, 'agent', agentContext(agent)));
        return { notice: locale.t('notices.deleted'), deleted: true };
      },
      ticket: async (id, body, agent, locale) => {
        const name = requireField(body, 'name', 'fields.ticketName', 200, locale);
        await this.commandBus.execute(new CreateTicketCommand(id, { ...ticketInput(body, locale), name }, agentContext(agent)));
        return { notice: locale.t('notices.ticketCreated') };
      },
      // The sidebar's ticket card: only what differs from the ticket as it is changes (each select posts the whole form).
      'ticket-update': async (id, body, agent, locale) => {
        const conversation = await this.presenter.screen.conversation(agent, id);
        if (!conversation.ticket) throw new BadRequestException(locale.t('sidebar.errors.noTicket'));
        const changes = await this.sidebar.ticketChanges(agent, conversation.ticket.id, body, locale);
        if (Object.keys(changes).length === 0) return { notice: locale.t('notices.ticketUnchanged') };
        await this.commandBus.execute(new UpdateTicketCommand(conversation.ticket.id, changes, agentContext(agent)));
        return { notice: locale.t('notices.ticketUpdated') };
      },
      // The sidebar's contact card: the conversation's own contact, never one named by the form.
      contact: async (id, body, agent, locale) => {
        const conversation = await this.presenter.screen.conversation(agent, id);
        if (!conversation.contact) throw new BadRequestException(locale.t('sidebar.errors.noContact'));
        await this.commandBus.execute(
          new UpdateContactCommand(
            conversation.contact.id,
            await this.sidebar.contactChanges(agent, conversation.contact.id, body, locale),
            agentContext(agent),
          ),
        );
        return { notice: locale.t('notices.contactUpdated') };
      },
      // Rule 10: the contact of a conversation can be changed (its ticket cannot).
      'link-contact': async (id, body, agent, locale) => {
        const contactId = field(body, 'contactId');
        if (!UUID.test(contactId)) throw new BadRequestException(locale.t('sidebar.errors.contactId', { value: JSON.stringify(contactId) }));
        await this.commandBus.execute(new LinkConversationContactCommand(id, contactId.toLowerCase(), agentContext(agent)));
        return { notice: locale.t('notices.contactLinked', { name: field(body, 'contactName') || contactId }) };
      },
      forward: async (id, body, agent, locale) => {
        const to = requireField(body, 'to', 'fields.forwardTo', 320, locale);
        const note = field(body, 'note', { trim: false });
        await this.commandBus.execute(new ForwardConversationCommand(id, { address: to }, note.trim() ? note : undefined, agentContext(agent)));
        return { notice: locale.t('notices.forwarded', { address: to }) };
      },
      transcript: async (id, body, agent, locale) => {
        const to = requireField(body, 'to', 'fields.transcriptTo', 320, locale);
        await this.commandBus.execute(new SendTranscriptCommand(id, { address: to }, 'requested', agentContext(agent)));
        return { notice: locale.t('notices.transcriptSent', { address: to }) };
      },
      'unlink-contact': async (id, _body, agent, locale) => {
        await this.change(id, agent, () => ({ type: 'UnlinkContact', data: {} }));
        return { notice: locale.t('notices.contactUnlinked') };
      },
    };
  }

  @Get('nav')
  async nav(@Query() query: Record<string, unknown>, @CurrentAgent() agent: AuthenticatedAgent, @RequestLocale() locale: Locale, @Res() reply: FastifyReply) {
    const state = parseInboxState(query);
    const { inbox } = await this.presenter.screen.resolveInbox(agent, state);
    sendHtml(reply, this.renderer.fragment('nav-views', await this.presenter.navContext(agent, inbox, { ...state, inboxId: inbox.id }, locale)));
  }

  @Get('list')
  async list(
    @Query() query: Record<string, unknown>,
    @Query('cursor') cursor: string | undefined,
    @CurrentAgent() agent: AuthenticatedAgent,
    @RequestLocale() locale: Locale,
    @Res() reply: FastifyReply,
  ) {
    const state = parseInboxState(query);
    const { inbox } = await this.presenter.screen.resolveInbox(agent, state);
    const list = await this.presenter.listContext(
      agent,
      inbox,
      { ...state, inboxId: inbox.id },
      locale,
      typeof cursor === 'string' && cursor ? cursor : undefined,
    );
    sendHtml(reply, this.renderer.fragment(cursor ? 'list-page' : 'list-body', { locale, list }));
  }

  /** The conversation pane (thread and composer) plus the right sidebar (out of band). */
  @Get('conversations/:id')
  async conversation(
    @Param('id', uuidParam('id')) id: string,
    @Query() query: Record<string, unknown>,
    @CurrentAgent() agent: AuthenticatedAgent,
    @RequestLocale() locale: Locale,
    @Res() reply: FastifyReply,
  ) {
    const state = { ...parseInboxState(query), conversationId: id };
    sendHtml(reply, await this.threadPane(agent, state, locale, { seen: true }));
  }

  /** Only the thread (messages, header) and sidebar: a live refresh leaves the reply being written, and its revision, alone. */
  @Get('conversations/:id/main')
  async conversationMain(
    @Param('id', uuidParam('id')) id: string,
    @Query() query: Record<string, unknown>,
    @CurrentAgent() agent: AuthenticatedAgent,
    @RequestLocale() locale: Locale,
    @Res() reply: FastifyReply,
  ) {
    const state = { ...parseInboxState(query), conversationId: id };
    // A live refresh of the open thread shows the agent the contact's new message: seen.
    const context = await this.presenter.threadContext(agent, id, state, locale, { seen: true });
    if (!context) return sendHtml(reply, this.renderer.fragment('thread-gone', { locale, oobPane: true }));
    sendHtml(reply, this.renderer.fragment('thread-main', context) + this.renderer.fragment('sidebar', { ...context, oob: true }));
  }

  /** "Link to another contact": the contacts a search finds, each a button that links it (the conversation's access is checked first). */
  @Get('conversations/:id/contact-picker')
  async contactPicker(
    @Param('id', uuidParam('id')) id: string,
    @Query() query: Record<string, unknown>,
    @CurrentAgent() agent: AuthenticatedAgent,
    @RequestLocale() locale: Locale,
    @Res() reply: FastifyReply,
  ) {
    const conversation = await this.presenter.screen.conversation(agent, id);
    const q = typeof query.q === 'string' ? query.q.trim().slice(0, 200) : '';
    const contacts = q ? await this.sidebar.pickContacts(agent, conversation, q, locale) : [];
    const state = { ...parseInboxState(query), conversationId: id };
    sendHtml(
      reply,
      this.renderer.fragment('sidebar-contact-picker', {
        locale,
        contacts,
        q,
        typing: q === '',
        empty: q !== '' && contacts.length === 0,
        thread: { id, query: stateQuery(state) },
      }),
    );
  }

  /** Admins: which properties the contact or ticket card shows, for every conversation. */
  @Post('card-properties')
  async cardProperties(
    @Query() query: Record<string, unknown>,
    @Body() body: FormBody,
    @CurrentAgent() agent: AuthenticatedAgent,
    @RequestLocale() locale: Locale,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ) {
    assertSameOrigin(request);
    if (agent.role !== 'admin') throw new ForbiddenException('only admins choose the card properties');
    const object = query.object;
    if (object !== 'contact' && object !== 'ticket')
      throw new BadRequestException(locale.t('sidebar.errors.cardObject', { value: JSON.stringify(object ?? null) }));
    await this.commandBus.execute(new ChooseCardPropertiesCommand(object, fields(body, 'keys'), agentContext(agent)));
    const state = parseInboxState(query);
    const notice = locale.t('notices.cardSaved');
    if (!state.conversationId) {
      triggerChanged(reply);
      return sendHtml(reply, this.renderer.flash(locale, 'info', notice));
    }
    await this.answerWithThread(reply, agent, state, locale, notice);
  }

  /**
   * One email's HTML, cleaned again and served under its own CSP (no script, sandboxed even when
   * opened directly) for `<iframe sandbox>`.
   */
  @Get('conversations/:id/messages/:messageId/body')
  async messageBody(
    @Param('id', uuidParam('id')) id: string,
    @Param('messageId', uuidParam('messageId')) messageId: string,
    @CurrentAgent() agent: AuthenticatedAgent,
    @Res() reply: FastifyReply,
  ) {
    const conversation = await this.presenter.screen.conversation(agent, id);
    const message = conversation.messages.find((m) => m.id === messageId);
    if (!message?.html) throw new NotFoundException(`message ${messageId} has no HTML body`);
    void reply
      .header('Content-Security-Policy', EMAIL_BODY_CSP)
      .header('X-Frame-Options', 'SAMEORIGIN')
      .header('Referrer-Policy', 'no-referrer')
      .header('Cache-Control', 'private, no-store')
      .type('text/html; charset=utf-8')
      .send(emailDocument(message.html));
  }

  /**
   * The reply: sent with the revision the agent was looking at (If-Match). When someone else
   * changed the conversation meanwhile, it is refused (409) with a visible message and the fresh
   * thread; the draft stays, and sending again goes through.
   */
  @Post('conversations/:id/reply')
  async reply(
    @Param('id', uuidParam('id')) id: string,
    @Query() query: Record<string, unknown>,
    @Body() body: FormBody,
    @CurrentAgent() agent: AuthenticatedAgent,
    @RequestLocale() locale: Locale,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ) {
    assertSameOrigin(request);
    const state = { ...parseInboxState(query), conversationId: id };
    const revision = field(body, 'revision');
    if (!/^\d+$/.test(revision)) throw new BadRequestException('revision must be the conversation revision the reply was written against');
    const channel = field(body, 'channel');
    if (channel && !this.catalog.knownChannels().includes(channel))
      throw new BadRequestException(`channel must be one of ${this.catalog.knownChannels().join(', ')} (got ${JSON.stringify(channel)})`);
    // The template picker posts the template's name, language and one value per parameter (in order).
    const templateName = field(body, 'template.name');
    const template = templateName
      ? { name: templateName, language: field(body, 'template.language'), parameters: allValues(body, 'template.parameters') }
      : undefined;
    const text = template ? undefined : requireField(body, 'text', 'fields.reply', 100_000, locale);
    let messageId: string;
    try {
      ({ messageId } = await this.commandBus.execute(
        new SendReplyCommand({
          agent,
          conversationId: id,
          text,
          ...(channel ? { channel } : {}),
          // Files uploaded from the reply box (POST /api/conversations/:id/attachments), named by id.
          attachmentIds: fields(body, 'attachmentIds'),
          ...(template ? { template } : {}),
          // The reply box's Cc (reply-all or typed): addresses separated by commas; empty means nobody.
          ...(template ? {} : ccOf(field(body, 'cc'))),
          expectedRevision: Number(revision),
        }),
      ));
    } catch (error) {
      if (!(error instanceof ConcurrencyError)) throw error;
      const context = await this.presenter.threadContext(agent, id, state, locale);
      const fresh = context
        ? this.renderer.fragment('thread-main', { ...context, oob: true }) +
          this.renderer.fragment('reply-revision', { locale, thread: context.thread, oob: true })
        : '';
      void reply.header('HX-Retarget', '#composer-alert').header('HX-Reswap', 'innerHTML');
      return sendHtml(reply, this.renderer.fragment('composer-alert', { locale, message: locale.t('composer.stale') }) + fresh, 409);
    }
    await this.answerWithThread(reply, agent, state, locale, await this.replyNotice(agent, id, messageId, locale));
  }

  /**
   * What became of a reply just queued: delivery runs in the background, so wait a moment for its
   * first outcome and say that one. "Sent" only when the channel took it; otherwise queued, being
   * retried (with the channel's reason) or refused.
   */
  private async replyNotice(agent: AuthenticatedAgent, conversationId: string, messageId: string, locale: Locale): Promise<string> {
    const deadline = Date.now() + REPLY_OUTCOME_WAIT_MS;
    for (;;) {
      const conversation = await this.presenter.screen.conversation(agent, conversationId);
      const delivery = conversation.messages.find((m) => m.id === messageId)?.delivery;
      if (delivery?.status === 'delivered') return locale.t('notices.replySent');
      if (delivery?.status === 'retrying') return locale.t('notices.replyRetrying', { reason: delivery.reason ?? '' });
      if (delivery?.status === 'failed') return locale.t('notices.replyFailed', { reason: delivery.reason ?? '' });
      if (Date.now() >= deadline) return locale.t('notices.replyQueued');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  @Post('conversations/:id/:action')
  async act(
    @Param('id', uuidParam('id')) id: string,
    @Param('action') action: string,
    @Query() query: Record<string, unknown>,
    @Body() body: FormBody,
    @CurrentAgent() agent: AuthenticatedAgent,
    @RequestLocale() locale: Locale,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ) {
    assertSameOrigin(request);
    const run = Object.hasOwn(this.actions, action) ? this.actions[action] : undefined;
    if (!run) throw new NotFoundException(`unknown conversation action "${action}"`);
    const state = { ...parseInboxState(query), conversationId: id };
    const outcome = await run(id, body, agent, locale);
    if (outcome.deleted) {
      void reply.header('HX-Replace-Url', `/inbox?${stateQuery({ ...state, conversationId: null })}`);
      triggerChanged(reply);
      return sendHtml(
        reply,
        this.renderer.fragment('thread-empty', { locale, notice: locale.t('thread.deletedForever') }) +
          this.renderer.fragment('sidebar', { locale, oob: true }) +
          this.renderer.flash(locale, 'info', outcome.notice, { oob: true }),
      );
    }
    await this.answerWithThread(reply, agent, state, locale, outcome.notice);
  }

  /** Bulk "Move to trash" / "Close" over the checked conversations (rule 7). */
  @Post('bulk')
  async bulk(
    @Body() body: FormBody,
    @CurrentAgent() agent: AuthenticatedAgent,
    @RequestLocale() locale: Locale,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ) {
    assertSameOrigin(request);
    const ids = fields(body, 'ids');
    const action = field(body, 'action');
    if (action !== 'close' && action !== 'trash') throw new BadRequestException('action must be close or trash');
    if (ids.length === 0) throw new BadRequestException(locale.t('errors.selectOne'));
    if (ids.length > 500) throw new BadRequestException(locale.t('errors.selectAtMost', { max: locale.formatNumber(500) }));
    if (!ids.every((id) => UUID.test(id))) throw new BadRequestException('ids must be conversation ids');
    const { results } = await this.commandBus.execute(
      new BulkConversationActionCommand(
        ids.map((i) => i.toLowerCase()),
        action,
        agentContext(agent),
      ),
    );
    const done = results.filter((r) => r.ok).length;
    const failed = results.filter((r) => !r.ok);
    const summary = locale.t(action === 'close' ? 'notices.bulkClosed' : 'notices.bulkTrashed', { count: done });
    const failures =
      failed.length > 0
        ? ` ${locale.t('notices.bulkFailed', { count: failed.length, reasons: failed.map((f) => describeMessage(f.ok ? null : f.error)).join('; ') })}`
        : '';
    triggerChanged(reply);
    sendHtml(reply, this.renderer.flash(locale, failed.length > 0 ? 'error' : 'info', `${summary}${failures}`));
  }

  @Post('me/availability')
  async availability(
    @Body() body: FormBody,
    @CurrentAgent() agent: AuthenticatedAgent,
    @RequestLocale() locale: Locale,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ) {
    assertSameOrigin(request);
    const status = field(body, 'status');
    if (status !== 'available' && status !== 'away') throw new BadRequestException('status must be available or away');
    await this.commandBus.execute(new SetAvailabilityCommand(status, agentContext(agent)));
    sendHtml(reply, this.renderer.fragment('availability', { locale, me: { availability: status, away: status === 'away' } }));
  }

  /** Compose (rule 13): a new outbound email from the inbox; its conversation waits in Sent. */
  @Post('compose')
  async compose(
    @Query('inbox') inboxId: string | undefined,
    @Body() body: FormBody,
    @CurrentAgent() agent: AuthenticatedAgent,
    @RequestLocale() locale: Locale,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ) {
    assertSameOrigin(request);
    const to = requireField(body, 'to', 'fields.to', 320, locale);
    const subject = requireField(body, 'subject', 'fields.subject', 998, locale);
    const text = requireField(body, 'text', 'fields.message', 100_000, locale);
    const { inbox } = await this.presenter.screen.actionInbox(agent, inboxId);
    const sent = await this.commandBus.execute(new ComposeEmailCommand({ to: { address: to }, subject, text, inboxId: inbox.id }, agentContext(agent)));
    void reply.header(
      'HX-Redirect',
      `/inbox?${stateQuery({ inboxId: inbox.id, view: 'sent', sort: 'newest', search: null, conversationId: sent.conversationId })}`,
    );
    sendHtml(reply, this.renderer.flash(locale, 'info', locale.t('notices.emailQueued', { address: to })));
  }

  /** "Save as view": the current search becomes a custom view of the inbox. */
  @Post('views')
  async saveView(
    @Query() query: Record<string, unknown>,
    @Body() body: FormBody,
    @CurrentAgent() agent: AuthenticatedAgent,
    @RequestLocale() locale: Locale,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ) {
    assertSameOrigin(request);
    const state = parseInboxState(query);
    if (!state.search) throw new BadRequestException(locale.t('errors.searchFirst'));
    const name = requireField(body, 'name', 'fields.viewName', 100, locale);
    const { inbox } = await this.presenter.screen.actionInbox(agent, typeof query.inbox === 'string' ? query.inbox : undefined);
    const { search } = state;
    const filters = Object.fromEntries(
      Object.entries({
        q: search.q,
        status: search.status,
        channel: search.channel,
        contactId: search.contactId,
        assignee: search.assignee,
        from: search.from,
        to: search.to,
      }).filter(([, v]) => v !== ''),
    );
    const view = await this.commandBus.execute(
      new CreateCustomViewCommand(inbox.id, name, { ...filters, hideFiltered: search.hideFiltered, hideTrash: search.hideTrash }, agentContext(agent)),
    );
    void reply.header('HX-Redirect', `/inbox?${stateQuery({ ...state, inboxId: inbox.id, search: null, conversationId: null }, { view: view.id })}`);
    sendHtml(reply, this.renderer.flash(locale, 'info', locale.t('notices.viewSaved', { name })));
  }

  private change(id: string, agent: AuthenticatedAgent, build: ConversationCommandBuilder) {
    return this.commandBus.execute(new ChangeConversation(id, build, agentContext(agent)));
  }

  private async answerWithThread(reply: FastifyReply, agent: AuthenticatedAgent, state: InboxState, locale: Locale, notice: string): Promise<void> {
    triggerChanged(reply);
    sendHtml(reply, (await this.threadPane(agent, state, locale)) + this.renderer.flash(locale, 'info', notice, { oob: true }));
  }

  private async threadPane(agent: AuthenticatedAgent, state: InboxState, locale: Locale, options: { seen?: boolean } = {}): Promise<string> {
    const context = await this.presenter.threadContext(agent, state.conversationId!, state, locale, options);
    if (!context)
      return this.renderer.fragment('thread-empty', { locale, notice: locale.t('thread.missing') }) + this.renderer.fragment('sidebar', { locale, oob: true });
    return this.renderer.fragment('thread-pane', context) + this.renderer.fragment('sidebar', { ...context, oob: true });
  }
}

function triggerChanged(reply: FastifyReply): void {
  void reply.header('HX-Trigger', CHANGED);
}

function describeMessage(error: unknown): string {
  const { message } = describeError(error);
  return Array.isArray(message) ? message.join(', ') : message;
}

/** Every value of a repeated form field in order, empty ones included (a template's parameters keep their places). */
function allValues(body: FormBody, name: string): string[] {
  const value = body[name];
  return Array.isArray(value) ? value : typeof value === 'string' ? [value] : [];
}

/** The Cc field of the reply box as a list: addresses separated by commas, semicolons or spaces. */
function ccOf(value: string): { cc?: string[] } {
  const cc = value.split(/[\s,;]+/).filter((address) => address !== '');
  return cc.length ? { cc } : {};
}
