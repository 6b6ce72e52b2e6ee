import { Controller, Get, Query, Req, Res, UseFilters, type BeforeApplicationShutdown } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AuthenticatedAgent } from '../../application/command-handling/command-context';
import { ConversationChanges, type InboxChange } from '../../application/live/conversation-changes';
import { ChannelActivity, type ContactActivityNotice } from '../../application/live/channel-activity';
import { NotificationFeed, type NotificationNotice } from '../../application/notifications/notification-feed';
import { GetAgentQuery, ListInboxesQuery } from '../../application/queries/directory-queries.handler';
import type { InboxRecord } from '../../application/ports/read-store.port';
import { NotFoundError } from '../../application/access/inbox-access';
import { PresenceTracker } from '../../application/presence/presence-tracker';
import { CurrentAgent, type AuthenticatedRequest } from '../http/auth/auth.decorators';
import { checkSession } from '../http/auth/auth.guard';
import { SessionRevocations, type EndedSessionNotice } from '../http/auth/session-revocations';
import type { SessionClaims } from '../http/auth/session-tokens';
import { WebExceptionFilter } from './web-exception.filter';

/** Comment line that keeps proxies and the browser from timing the stream out. */
const KEEP_ALIVE_MS = 20_000;
/**
 * How often an open stream asks the shared read store whether its session still holds: a logout
 * or a new password on another instance ends the stream within this time (on this instance, at once).
 */
const SESSION_CHECK_MS = 5_000;
/** A client that cannot keep up (its socket buffer beyond this) is dropped; it reconnects and refetches. */
const MAX_BUFFERED_BYTES = 64 * 1024;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * `GET /events?inboxId=`: server-sent events for one inbox the agent can reach. Each event is a
 * small notice `{type, conversationId, inboxId}` (no content), sent once the read models include
 * the change; the page then refetches the parts it shows through the normal access-checked
 * routes. Access is checked again with every keep-alive, so an agent removed from the inbox (or
 * from the team) stops receiving notices within KEEP_ALIVE_MS. The stream ends with its session:
 * a logout or a password change ends it (see SESSION_CHECK_MS).
 *
 * Besides `change`, an `activity` event says what a contact is doing right now, for the open
 * thread to show: `{type: "ContactTyping", conversationId, inboxId}` (a chat visitor typing; at
 * most one per conversation every 2 s). Nothing to refetch.
 *
 * An open stream is the agent's open UI session: it keeps them online (PresenceTracker), and
 * `ready` is sent once they are recorded online.
 *
 * A `notification` event `{unread}` tells the agent their own notifications changed (one arrived
 * or some were read, in any inbox): the bell shows the count and refetches its list.
 */
@Controller('events')
@UseFilters(WebExceptionFilter)
export class LiveEventsController implements BeforeApplicationShutdown {
  /** Open streams: ended on shutdown, or the HTTP server would wait for them forever. */
  private readonly open = new Set<() => void>();

  constructor(
    private readonly changes: ConversationChanges,
    private readonly queryBus: QueryBus,
    private readonly revocations: SessionRevocations,
    private readonly activity: ChannelActivity,
    private readonly presence: PresenceTracker,
    private readonly notifications: NotificationFeed,
  ) {}

  @Get()
  async stream(
    @Query('inboxId') inboxIdParam: string | undefined,
    @CurrentAgent() agent: AuthenticatedAgent,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ) {
    const inbox = await this.reachableInbox(agent, typeof inboxIdParam === 'string' && UUID.test(inboxIdParam) ? inboxIdParam.toLowerCase() : null);
    // An inbox out of reach answers as an unknown one: a 403 would confirm the id exists.
    if (!inbox)
      throw new NotFoundError(inboxIdParam ? `inbox ${inboxIdParam} not found` : 'you are not a member of any inbox yet; ask an admin to add you to one');
    const session = (request as FastifyRequest & AuthenticatedRequest).session;
    if (!session) throw new Error('the events route needs the session the auth guard checked');

    reply.hijack();
    const raw = reply.raw;
    raw.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
      'X-Content-Type-Options': 'nosniff',
    });
    let closed = false;
    const presence = this.presence.open(agent.id);
    const close = () => {
      if (closed) return;
      closed = true;
      this.open.delete(close);
      presence.release();
      unsubscribe();
      stopActivity();
      stopNotifications();
      stopRevocations();
      clearInterval(keepAlive);
      clearInterval(sessionCheck);
      raw.end();
    };
    const send = (chunk: string) => {
      if (closed) return;
      if (raw.writableLength > MAX_BUFFERED_BYTES) return close();
      raw.write(chunk);
    };
    const unsubscribe = this.changes.subscribe((change: InboxChange) => {
      if (change.inboxId !== inbox.id) return;
      send(`event: change\ndata: ${JSON.stringify({ type: change.type, conversationId: change.conversationId, inboxId: change.inboxId })}\n\n`);
    });
    const stopActivity = this.activity.subscribeContactActivity((notice: ContactActivityNotice) => {
      if (notice.inboxId !== inbox.id) return;
      send(`event: activity\ndata: ${JSON.stringify({ type: notice.type, conversationId: notice.conversationId, inboxId: notice.inboxId })}\n\n`);
    });
    const stopNotifications = this.notifications.subscribe((notice: NotificationNotice) => {
      if (notice.agentId !== agent.id) return;
      send(`event: notification\ndata: ${JSON.stringify({ unread: notice.unread })}\n\n`);
    });
    const keepAlive = setInterval(() => {
      void this.stillAllowed(agent, inbox.id).then(
        (allowed) => (allowed ? send(`: keep-alive\n\n`) : close()),
        () => close(),
      );
    }, KEEP_ALIVE_MS);
    keepAlive.unref();
    const stopRevocations = this.revocations.subscribe((ended: EndedSessionNotice) => {
      if (ended.agentId === session.sub && (ended.sessionId === undefined || ended.sessionId === session.sid)) close();
    });
    const sessionCheck = setInterval(() => {
      void this.sessionHolds(session).then(
        (holds) => holds || close(),
        () => close(),
      );
    }, SESSION_CHECK_MS);
    sessionCheck.unref();
    this.open.add(close);
    request.raw.on('close', close);
    raw.on('close', close);
    raw.on('error', close);
    await presence.recorded;
    // The client learns the retry delay and that the stream is live.
    send(`retry: 3000\nevent: ready\ndata: ${JSON.stringify({ inboxId: inbox.id })}\n\n`);
  }

  beforeApplicationShutdown(): void {
    for (const close of [...this.open]) close();
  }

  get openStreams(): number {
    return this.open.size;
  }

  private async reachableInbox(agent: AuthenticatedAgent, inboxId: string | null): Promise<InboxRecord | null> {
    const inboxes: InboxRecord[] = await this.queryBus.execute(new ListInboxesQuery(agent));
    return inboxId ? (inboxes.find((i) => i.id === inboxId) ?? null) : (inboxes.find((i) => i.isDefault) ?? inboxes[0] ?? null);
  }

  private async sessionHolds(session: SessionClaims): Promise<boolean> {
    if (session.exp * 1000 <= Date.now()) return false;
    return typeof (await checkSession(session, this.queryBus)) !== 'string';
  }

  private async stillAllowed(agent: AuthenticatedAgent, inboxId: string): Promise<boolean> {
    const current = await this.queryBus.execute(new GetAgentQuery(agent.id));
    if (!current) return false;
    return (await this.reachableInbox({ ...agent, role: current.role }, inboxId)) !== null;
  }
}
