import {
  delivered,
  permanentFailure,
  retryableFailure,
  type AgentActivity,
  type ChannelHostConnection,
  type ChannelPlugin,
  type ChannelRequest,
  type ChannelResponse,
  type DeliveryResult,
  type OutboundMessage,
  type PluginChannelConnection,
  type PluginConversationMessage,
  type PluginCounter,
  type PluginGauge,
  type TeamStatus,
} from '../channel-plugin';
import { describe, normaliseOrigin } from '../settings-checks';
import { bucketsFor, type BucketLimit, type TokenBuckets } from '../token-buckets';
import { VisitorEventHub } from './event-hub';
import { CHAT_STRINGS, chatLanguage, type ChatLanguage } from './i18n';
import { identifierKey, identityHashMatches, signSession, verifySession, type SessionClaims } from './session-token';
import { CHAT_SECRETS, CHAT_SETTING_FIELDS, chatEmbedSnippet, chatSettings, validateChatSettings, type ChatSettings } from './settings';
import { chatThreadId, parseChatThreadId, VisitorStore, type ConversationLink, type VisitorRecord } from './visitors';
import { escapeHtml, renderFrame, WidgetFiles, type WidgetFileName } from './widget-files';

const ICON =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" width="24" height="24" fill="none" stroke="currentColor" stroke-width="2" ' +
  'stroke-linecap="round" stroke-linejoin="round" aria-hidden="true"><path d="M21 11.5a8.4 8.4 0 0 1-9 8.4 8.9 8.9 0 0 1-3.8-.9L3 20l1.1-4.3A8 8 0 0 1 3 11.5 ' +
  '8.5 8.5 0 0 1 12 3a8.5 8.5 0 0 1 9 8.5z"/><path d="M8 11.5h.01M12 11.5h.01M16 11.5h.01"/></svg>';

/** The abuse limits of the visitor routes (docs/chat.md "Limits"). Per instance. */
export interface ChatLimits {
  /** Every public chat route, per client address. */
  perIp: BucketLimit;
  /** New visitors (a session without a valid token), per client address. */
  newSessionsPerIp: BucketLimit;
  /** Messages, per visitor. */
  messagesPerVisitor: BucketLimit;
  /** Sessions with a token, typing, contact and event streams, per visitor. */
  otherPerVisitor: BucketLimit;
  /** A message request's body, in bytes. */
  maxBodyBytes: number;
  /** A message's text, in characters. */
  maxTextChars: number;
  /** Open event streams per visitor (tabs). */
  maxStreamsPerVisitor: number;
}

export const DEFAULT_CHAT_LIMITS: ChatLimits = {
  perIp: { capacity: 600, perSecond: 10 },
  newSessionsPerIp: { capacity: 30, perSecond: 0.2 },
  messagesPerVisitor: { capacity: 20, perSecond: 1 },
  otherPerVisitor: { capacity: 60, perSecond: 2 },
  maxBodyBytes: 64 * 1024,
  maxTextChars: 10_000,
  maxStreamsPerVisitor: 10,
};

export interface ChatPluginOptions {
  /** Milliseconds since the epoch; tests move it. */
  now?: () => number;
  /** Where loader.js, frame.html, frame.js and frame.css are (default: widget/ beside the code). */
  widgetFolder?: string;
  limits?: Partial<ChatLimits>;
  /** How often agents' availability is asked for the inboxes of connected visitors. */
  availabilityPollMs?: number;
  /**
   * How often each connected visitor's conversation is read for replies this instance did not send
   * (another instance did, or one sent while the stream was being opened); 0: never. Default 5 s,
   * and never where the host says it is the only instance (`connection.soleInstance`): every reply
   * is then sent by this instance, which pushes it to the visitor's streams as it goes out.
   */
  replyPollMs?: number;
}

/** A message as the visitor's widget shows it (docs/chat.md "Visitor API"). */
export interface VisitorMessage {
  id: string;
  direction: 'inbound' | 'outbound';
  authorName?: string;
  text: string;
  at: string;
  /** A bot's buttons (the widget shows them under the message; a pick is sent back with its choiceId). */
  choices?: { id: string; label: string }[];
  /** Written by the inbox's bot (the widget offers "Talk to a person" while a bot answers). */
  bot?: boolean;
  /** Live replies: whether the inbox's bot holds the chat now (the widget shows "Talk to a person" while it does). */
  heldByBot?: boolean;
}

const CLIENT_MESSAGE_ID = /^[A-Za-z0-9._:-]{1,100}$/;
const CHOICE_ID = /^[A-Za-z0-9_-]{1,40}$/;
const EMAIL = /^[^\s@<>"]{1,200}@[^\s@<>"]{1,200}\.[^\s@<>"]{1,60}$/;
const INACTIVITY_JOB = 'inactivity';
const CONNECTION_CACHE_MS = 5_000;
const LINK_CACHE_SIZE = 100_000;
/** How stale the visitor record's lastMessageAt may be left, to spare a commit per message (inactivity is in minutes). */
const LAST_MESSAGE_STEP_MS = 60_000;

/** An answer decided before the handler's end: a refusal with its status, message and headers. */
class ChatRefusal extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
    readonly extra: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  413: 'Payload Too Large',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
};

/**
 * The website live chat (issue 13): a script tag on any website draws a launcher that opens the
 * chat in an iframe from Parley's origin; visitors talk to the connection's inbox through the
 * public routes below, signed session tokens in hand, and get agents' replies, typing and "seen"
 * over server-sent events. Built on the public plugin interface only. docs/chat.md is the guide.
 *
 * Public routes (`/channels/chat/…`): `widget.js`, `assets/frame.js`, `assets/frame.css`,
 * `c/:cid/frame`, `POST c/:cid/session`, `POST c/:cid/messages`, `POST c/:cid/contact`,
 * `POST c/:cid/typing`, `GET c/:cid/events`.
 */
export function createChatPlugin(options: ChatPluginOptions = {}): ChannelPlugin {
  const now = options.now ?? Date.now;
  const limits: ChatLimits = { ...DEFAULT_CHAT_LIMITS, ...options.limits };
  const files = new WidgetFiles(options.widgetFolder);
  let metrics: { streams: PluginGauge; messages: PluginCounter; refusals: PluginCounter } | undefined;
  const hub = new VisitorEventHub(20_000, (streams) => metrics?.streams.set(streams));
  const ipBuckets = bucketsFor(limits.perIp, now);
  const newSessionBuckets = bucketsFor(limits.newSessionsPerIp, now);
  const messageBuckets = bucketsFor(limits.messagesPerVisitor, now);
  const otherBuckets = bucketsFor(limits.otherPerVisitor, now);
  const connectionCache = new Map<string, { connection: PluginChannelConnection | null; at: number }>();
  const links = new Map<string, ConversationLink>();
  const locks = new Map<string, Promise<unknown>>();
  /** Per inbox, what visitors were last told of the team (agentsAvailable and business hours, as JSON). */
  const availability = new Map<string, string>();
  let availabilityTimer: NodeJS.Timeout | undefined;
  let replyTimer: NodeJS.Timeout | undefined;
  let replyPollMs = options.replyPollMs ?? 5_000;
  const REPLY_POLL_SLOTS = 10;
  let replyTick = 0;
  /** Connected visitors' current conversations, and the replies they already have (null while being read). */
  const watched = new Map<string, { conversationId: string; known: Set<string> | null; slot: number }>();
  /** Per thread, the inactivity job this instance scheduled last (one per thread and minute). */
  const scheduled = new Map<string, string>();
  let host: ChannelHostConnection;
  let store: VisitorStore;

  // ---- helpers -------------------------------------------------------------------------------

  async function connectionOr404(connectionId: string): Promise<{ connection: PluginChannelConnection; settings: ChatSettings }> {
    const cached = connectionCache.get(connectionId);
    let connection = cached && now() - cached.at < CONNECTION_CACHE_MS ? cached.connection : undefined;
    if (connection === undefined) {
      connection = await host.connections.get(connectionId);
      connectionCache.set(connectionId, { connection, at: now() });
      if (connectionCache.size > 10_000) connectionCache.delete(connectionCache.keys().next().value!);
    }
    if (!connection) throw new ChatRefusal(404, `no chat connection ${JSON.stringify(connectionId)} (unknown or removed)`);
    return { connection, settings: chatSettings(connection) };
  }

  function limit(buckets: TokenBuckets, key: string, what: string): void {
    const retryAfter = buckets.take(key);
    if (retryAfter !== null) {
      throw new ChatRefusal(429, `too many ${what}; try again in ${retryAfter} s`, { retryAfter }, { 'Retry-After': String(retryAfter) });
    }
  }

  const clientIp = (request: ChannelRequest) => (typeof request.ip === 'string' && request.ip !== '' ? request.ip : 'unknown');

  /** The host as the browser named it, for recognising requests from Parley's own pages (the frame). */
  function ownHost(request: ChannelRequest): string | undefined {
    const forwarded = header(request, 'x-forwarded-host')?.split(',')[0]?.trim();
    return forwarded || header(request, 'host');
  }

  /**
   * The Origin check of every visitor route. A browser's request carries Origin: the frame's own
   * (Parley's origin) is fine; any other must be among allowedOrigins (any, when the list is empty).
   * And the website the session was opened on (in the signed token) must still be allowed:
   * removing an origin from the list cuts its sessions off.
   */
  function checkOrigin(request: ChannelRequest, settings: ChatSettings, sessionOrigin: string): void {
    if (settings.allowedOrigins.length === 0) return;
    const origin = header(request, 'origin');
    if (origin !== undefined && !isOwnOrigin(origin, request)) {
      const normal = normaliseOrigin(origin);
      if (normal === null || !settings.allowedOrigins.includes(normal)) {
        throw new ChatRefusal(403, `Origin: ${JSON.stringify(origin)} is not among this chat's allowedOrigins`);
      }
    }
    if (!settings.allowedOrigins.includes(sessionOrigin)) {
      throw new ChatRefusal(403, `origin: the website ${JSON.stringify(sessionOrigin || 'unknown')} is not among this chat's allowedOrigins`);
    }
  }

  function isOwnOrigin(origin: string, request: ChannelRequest): boolean {
    try {
      return new URL(origin).host === ownHost(request);
    } catch {
      return false;
    }
  }

  /**
   * The website a new session is for: the frame's `origin` (in the body, or in the `?origin=` of
   * the frame URL its Referer carries); '' when none is known.
   */
  function embeddingOrigin(request: ChannelRequest, body: Record<string, unknown>): string {
    if (typeof body.origin === 'string') return normaliseOrigin(body.origin) ?? '';
    const referer = header(request, 'referer');
    if (referer !== undefined) {
      try {
        const url = new URL(referer);
        if (url.host === ownHost(request)) return normaliseOrigin(url.searchParams.get('origin') ?? '') ?? '';
      } catch {
        // An unreadable Referer names no website.
      }
    }
    return '';
  }

  /** The visitor of an authenticated visitor route: token from `Authorization: Bearer` (or `?token=` for event streams). */
  async function visitorOf(request: ChannelRequest, tokenFrom: 'header' | 'query') {
    const connectionId = request.params.cid;
    const { connection, settings } = await connectionOr404(connectionId);
    limit(ipBuckets, clientIp(request), 'requests from this address');
    const token = tokenFrom === 'query' ? firstQuery(request, 'token') : bearer(request);
    if (token === undefined) {
      throw new ChatRefusal(
        401,
        tokenFrom === 'query' ? 'token: required in the query (?token=<session token>)' : 'Authorization: Bearer <session token> is required',
      );
    }
    const claims = verifySession(token, settings.sessionSecret, connectionId);
    if (!claims) throw new ChatRefusal(401, "token: not a valid session of this chat (forged, tampered or another chat's); start a new session");
    checkOrigin(request, settings, claims.o);
    const visitor = (await store.get(connectionId, claims.v)) ?? (await store.create(connectionId, claims.v));
    if (settings.requireVerifiedIdentity && !visitor.verified)
      throw new ChatRefusal(401, 'identity: this chat requires a verified identity; start a new session with one');
    return { connection, settings, claims, visitor };
  }

  /** Runs `work` after every earlier piece of work of the same visitor on this instance (read-modify-write of its record). */
  function serialised<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = locks.get(key) ?? Promise.resolve();
    const next = previous.then(work, work);
    const tail = next.catch(() => undefined);
    locks.set(key, tail);
    void tail.then(() => {
      if (locks.get(key) === tail) locks.delete(key);
    });
    return next;
  }

  function remember(conversationId: string, link: ConversationLink): void {
    links.delete(conversationId);
    links.set(conversationId, link);
    if (links.size > LINK_CACHE_SIZE) links.delete(links.keys().next().value!);
  }

  async function linkOf(conversationId: string): Promise<ConversationLink | null> {
    const known = links.get(conversationId);
    if (known) return known;
    const stored = await store.link(conversationId);
    if (stored) remember(conversationId, stored);
    return stored;
  }

  const visitorKey = (connectionId: string, visitorId: string) => `${connectionId}:${visitorId}`;

  /** The visitor's current conversation and what they may see of it. A hidden one (Filtered, Spam, Trash) shows only their own messages. */
  async function conversationView(
    visitor: VisitorRecord,
  ): Promise<{ conversation: { id: string; status: 'open' | 'closed'; heldByBot?: true } | null; messages: VisitorMessage[] }> {
    if (!visitor.conversationId) return { conversation: null, messages: [] };
    const conversation = await host.conversations.get(visitor.conversationId);
    if (!conversation) return { conversation: null, messages: [] };
    remember(visitor.conversationId, { connectionId: visitor.connectionId, visitorId: visitor.id, thread: visitor.thread });
    const closed = visitor.closed === true || conversation.status === 'closed';
    const all = (await host.conversations.messages(visitor.conversationId)) ?? [];
    const visible = conversation.hidden ? all.filter((m) => m.direction === 'inbound') : all;
    return {
      conversation: { id: visitor.conversationId, status: closed ? 'closed' : 'open', ...(!closed && conversation.heldByBot ? { heldByBot: true } : {}) },
      messages: visible.map(visitorMessage),
    };
  }

  function publicVisitor(visitor: VisitorRecord) {
    return { ...(visitor.name ? { name: visitor.name } : {}), ...(visitor.email ? { email: visitor.email } : {}), verified: visitor.verified };
  }

  // ---- routes --------------------------------------------------------------------------------

  async function session(request: ChannelRequest): Promise<ChannelResponse> {
    const connectionId = request.params.cid;
    const { connection, settings } = await connectionOr404(connectionId);
    const ip = clientIp(request);
    limit(ipBuckets, ip, 'requests from this address');
    const body = objectBody(request.body, '{ "token"?: …, "identity"?: { "identifier", "identifierHash", "name"?, "email"? } }');
    let claims: SessionClaims | null = null;
    if (body.token !== undefined && body.token !== null) {
      claims = verifySession(body.token, settings.sessionSecret, connectionId);
      if (!claims) throw new ChatRefusal(401, "token: not a valid session of this chat (forged, tampered or another chat's); start without one");
    }
    const origin = claims ? claims.o : embeddingOrigin(request, body);
    checkOrigin(request, settings, origin);
    const identity = checkIdentity(body.identity);
    if (claims) limit(otherBuckets, visitorKey(connectionId, claims.v), 'requests from this visitor');

    let visitor: VisitorRecord | null = null;
    if (identity && settings.identityVerificationSecret !== undefined) {
      // Checked before anything is read or stored: a wrong hash costs the caller a 401 and us nothing.
      if (!identityHashMatches(identity.identifier, identity.identifierHash, settings.identityVerificationSecret)) {
        throw new ChatRefusal(
          401,
          "identity.identifierHash: does not match identity.identifier (HMAC-SHA256 hex with the chat's identity verification secret)",
        );
      }
      visitor = await store.forIdentity(connectionId, identity.identifier);
      const changes = { ...(identity.name ? { name: identity.name } : {}), ...(identity.email ? { email: identity.email } : {}) };
      if (Object.entries(changes).some(([key, value]) => visitor![key as 'name' | 'email'] !== value)) {
        visitor = await serialised(visitorKey(connectionId, visitor.id), async () => {
          const fresh = (await store.get(connectionId, visitor!.id)) ?? visitor!;
          const updated = { ...fresh, ...changes };
          await store.save(updated);
          return updated;
        });
      }
    }
    if (!visitor && settings.requireVerifiedIdentity) {
      const known = claims ? await store.get(connectionId, claims.v) : null;
      if (!known?.verified) {
        throw new ChatRefusal(
          401,
          identity
            ? 'identity: this chat requires a verified identity and cannot check one'
            : 'identity: this chat requires a verified identity (identifier and identifierHash); got none',
        );
      }
      visitor = known;
    }
    if (!visitor && claims) visitor = (await store.get(connectionId, claims.v)) ?? (await store.create(connectionId, claims.v));
    if (!visitor) {
      limit(newSessionBuckets, ip, 'new chat sessions from this address');
      // Without verification an identity's name and email are what the visitor says, as a pre-chat form's would be.
      visitor = await store.create(
        connectionId,
        undefined,
        identity ? { ...(identity.name ? { name: identity.name } : {}), ...(identity.email ? { email: identity.email } : {}) } : {},
      );
    }

    const view = await conversationView(visitor);
    const token = signSession({ v: visitor.id, c: connectionId, o: origin, t: now() }, settings.sessionSecret);
    const team = await host.activity.teamStatus(connection.inboxId);
    const agentsAvailable = team.agentsAvailable;
    return {
      status: 200,
      headers: { 'Cache-Control': 'no-store' },
      body: {
        token,
        visitor: publicVisitor(visitor),
        conversation: view.conversation,
        messages: view.messages,
        settings: { greeting: settings.greeting, preChatForm: settings.preChatForm, requireVerifiedIdentity: settings.requireVerifiedIdentity },
        agentsAvailable,
        ...businessHoursOf(team),
        ...(view.conversation && visitor.seenAt ? { seenAt: visitor.seenAt } : {}),
      },
    };
  }

  async function message(request: ChannelRequest): Promise<ChannelResponse> {
    const { connection, settings, visitor } = await visitorOf(request, 'header');
    const key = visitorKey(connection.id, visitor.id);
    limit(messageBuckets, key, 'messages from this visitor');
    const bytes = request.rawBody?.length ?? 0;
    if (bytes > limits.maxBodyBytes) {
      throw new ChatRefusal(413, `the body is ${bytes} bytes; a chat message's body may be at most ${limits.maxBodyBytes} bytes`, {
        limit: limits.maxBodyBytes,
      });
    }
    const body = objectBody(request.body, '{ "text": "…", "clientMessageId": "…", "choiceId"?: "…" }');
    const { text, clientMessageId, choiceId } = body;
    if (typeof text !== 'string') throw new ChatRefusal(400, `text: must be a string (got ${describe(text)})`);
    if (text.trim() === '') throw new ChatRefusal(400, 'text: must not be empty');
    if (text.length > limits.maxTextChars) {
      throw new ChatRefusal(413, `text: at most ${limits.maxTextChars} characters (got ${text.length})`, { limit: limits.maxTextChars });
    }
    if (typeof clientMessageId !== 'string' || !CLIENT_MESSAGE_ID.test(clientMessageId)) {
      throw new ChatRefusal(
        400,
        `clientMessageId: must be 1-100 letters, digits, dots, dashes, underscores or colons, unique per message (got ${describe(clientMessageId)})`,
      );
    }
    // A button of a bot's question the visitor clicked: `text` is its label, `choiceId` says which.
    if (choiceId !== undefined && (typeof choiceId !== 'string' || !CHOICE_ID.test(choiceId))) {
      throw new ChatRefusal(400, `choiceId: must be the id of a button (1-40 letters, digits, dashes or underscores), got ${describe(choiceId)}`);
    }
    const language = chatLanguage(undefined, header(request, 'accept-language'));
    const sent = await serialised(key, () => accept(connection, settings, visitor.id, text, clientMessageId, language, choiceId));
    metrics?.messages.inc();
    return { status: 201, body: { message: sent } };
  }

  /** Ingests one visitor message; answers only once the core stored it (or had it already). */
  async function accept(
    connection: PluginChannelConnection,
    settings: ChatSettings,
    visitorId: string,
    text: string,
    clientMessageId: string,
    /** The visitor's browser language: a transcript is written in it. */
    language?: ChatLanguage,
    /** The button of a bot's question the visitor clicked. */
    choiceId?: string,
  ): Promise<VisitorMessage> {
    const visitor = (await store.get(connection.id, visitorId)) ?? (await store.create(connection.id, visitorId));
    const stored = { ...visitor };
    const already = await store.sent(connection.id, visitorId, clientMessageId);
    if (already) return { id: already.id, direction: 'inbound', ...(visitor.name ? { authorName: visitor.name } : {}), text: already.text, at: already.at };
    if (visitor.conversationId && !visitor.closed) {
      const current = await host.conversations.get(visitor.conversationId);
      if (!current || current.status === 'closed') visitor.closed = true;
    }
    if (visitor.closed) {
      visitor.thread += 1;
      visitor.closed = false;
      delete visitor.conversationId;
      delete visitor.seenAt;
    }
    const at = new Date(now()).toISOString();
    const result = await host.ingest({
      channel: 'chat',
      connectionId: connection.id,
      externalThreadId: chatThreadId(connection.id, visitorId, visitor.thread),
      externalMessageId: `${visitorId}:${clientMessageId}`,
      from: { address: visitor.email ?? `visitor-${visitorId}`, ...(visitor.name ? { name: visitor.name } : {}) },
      to: [],
      text,
      receivedAt: at,
      ...(language ? { language } : {}),
      ...(choiceId ? { choiceId } : {}),
    });
    const link: ConversationLink = { connectionId: connection.id, visitorId, thread: visitor.thread };
    if (visitor.conversationId !== result.conversationId) await store.saveLink(result.conversationId, link);
    remember(result.conversationId, link);
    if (visitor.conversationId !== result.conversationId && hub.isConnected(visitorKey(connection.id, visitorId))) {
      watch(visitorKey(connection.id, visitorId), result.conversationId, []);
    }
    visitor.conversationId = result.conversationId;
    visitor.lastMessageAt = at;
    // Each save is a durable commit of its own: a message that changes nothing but the time of the
    // latest message leaves the record alone while the stored time is under LAST_MESSAGE_STEP_MS
    // old (the inactivity job confirms from the conversation's own messages before it closes).
    const lastStored = stored.lastMessageAt === undefined ? NaN : Date.parse(stored.lastMessageAt);
    const onlyTimeMoved = recordsEqual({ ...stored, lastMessageAt: at }, visitor) && Date.parse(at) - lastStored < LAST_MESSAGE_STEP_MS;
    if (!onlyTimeMoved) await store.save(visitor);
    await store.saveSent(connection.id, visitorId, clientMessageId, { id: result.messageId, conversationId: result.conversationId, text, at });
    await scheduleInactivity(link, Date.parse(at), settings.inactivityMinutes * 60_000);
    const sent: VisitorMessage = { id: result.messageId, direction: 'inbound', ...(visitor.name ? { authorName: visitor.name } : {}), text, at };
    // The visitor's other tabs show it too; the sending tab knows it by id.
    hub.publish(visitorKey(connection.id, visitorId), 'message', sent);
    return sent;
  }

  /**
   * A job to close the conversation once the visitor was quiet for `delayMs`. One per thread and
   * minute (the job id), so a chatty visitor does not fill the queue; the job itself looks at the
   * visitor's latest message and waits longer when there was one.
   */
  async function scheduleInactivity(link: ConversationLink, lastAt: number, delayMs: number): Promise<void> {
    const thread = chatThreadId(link.connectionId, link.visitorId, link.thread);
    const jobId = `${INACTIVITY_JOB}:${thread}:${Math.floor(lastAt / 60_000)}`;
    // Scheduled by this instance already (the queue would answer `duplicate`): no queue write per message.
    if (scheduled.get(thread) === jobId) return;
    try {
      await host.jobs.schedule(INACTIVITY_JOB, { ...link }, { jobId, delayMs, attempts: 5 });
      scheduled.delete(thread);
      scheduled.set(thread, jobId);
      if (scheduled.size > LINK_CACHE_SIZE) scheduled.delete(scheduled.keys().next().value!);
    } catch (error) {
      // The message is stored; a missed inactivity close leaves the chat open for an agent to close.
      host.logger.warn({ err: error, connectionId: link.connectionId }, 'could not schedule the inactivity close of a chat');
    }
  }

  async function inactivityJob(data: Record<string, unknown>): Promise<void> {
    const { connectionId, visitorId, thread } = data;
    if (typeof connectionId !== 'string' || typeof visitorId !== 'string' || typeof thread !== 'number') return;
    const connection = await host.connections.get(connectionId);
    if (!connection) return;
    const settings = chatSettings(connection);
    const visitor = await store.get(connectionId, visitorId);
    if (!visitor || visitor.thread !== thread || !visitor.conversationId || visitor.closed || !visitor.lastMessageAt) return;
    let dueAt = Date.parse(visitor.lastMessageAt) + settings.inactivityMinutes * 60_000;
    if (now() >= dueAt) {
      // The record's time may lag the latest message by up to LAST_MESSAGE_STEP_MS: the conversation says.
      const messages = (await host.conversations.messages(visitor.conversationId)) ?? [];
      for (const message of messages)
        if (message.direction === 'inbound') dueAt = Math.max(dueAt, Date.parse(message.at) + settings.inactivityMinutes * 60_000);
    }
    if (now() < dueAt) {
      await host.jobs.schedule(
        INACTIVITY_JOB,
        { connectionId, visitorId, thread },
        { jobId: `${INACTIVITY_JOB}:${connectionId}:${visitorId}:${thread}:due-${dueAt}`, delayMs: dueAt - now(), attempts: 5 },
      );
      return;
    }
    const conversation = await host.conversations.get(visitor.conversationId);
    if (conversation?.status === 'open') await host.conversations.close(visitor.conversationId, 'inactivity');
  }

  async function contact(request: ChannelRequest): Promise<ChannelResponse> {
    const { connection, settings, visitor } = await visitorOf(request, 'header');
    const key = visitorKey(connection.id, visitor.id);
    limit(otherBuckets, key, 'requests from this visitor');
    const body = objectBody(request.body, '{ "name"?: "…", "email"?: "…" }');
    const name = optionalName(body.name, 'name');
    const email = optionalEmail(body.email, 'email');
    const { before, updated } = await serialised(key, async () => {
      const fresh = (await store.get(connection.id, visitor.id)) ?? visitor;
      const next = { ...fresh, ...(name ? { name } : {}), ...(email ? { email } : {}) };
      await store.save(next);
      return { before: fresh, updated: next };
    });
    // An email left during an open chat ("we'll reply by email") must reach the agents now, not with
    // the visitor's next message: it goes in as the visitor's message, from that address.
    if (email && email !== before.email && updated.conversationId && !updated.closed) {
      const current = await host.conversations.get(updated.conversationId);
      if (current?.status === 'open') {
        const strings = CHAT_STRINGS[chatLanguage(undefined, header(request, 'accept-language'))];
        const text = strings.emailLeft.replace('{{email}}', email);
        const language = chatLanguage(undefined, header(request, 'accept-language'));
        await serialised(key, () =>
          accept(connection, settings, visitor.id, text, `contact-email-${identifierKey(email.toLowerCase()).slice(0, 32)}`, language),
        );
      }
    }
    return { status: 200, body: { visitor: publicVisitor(updated) } };
  }

  /**
   * "Talk to a person" while a bot answers: the host records that the visitor asked for the team
   * (the bot lets go, routing hands the chat to an agent or it waits in Unassigned). Nothing
   * happens without an open conversation, or when it was asked before.
   */
  async function handoff(request: ChannelRequest): Promise<ChannelResponse> {
    const { connection, visitor } = await visitorOf(request, 'header');
    limit(otherBuckets, visitorKey(connection.id, visitor.id), 'requests from this visitor');
    if (visitor.conversationId && !visitor.closed) await host.conversations.requestHandoff(visitor.conversationId);
    return { status: 204 };
  }

  async function typing(request: ChannelRequest): Promise<ChannelResponse> {
    const { connection, visitor } = await visitorOf(request, 'header');
    limit(otherBuckets, visitorKey(connection.id, visitor.id), 'requests from this visitor');
    if (visitor.conversationId && !visitor.closed) host.activity.contactTyping(visitor.conversationId);
    return { status: 204 };
  }

  async function events(request: ChannelRequest): Promise<ChannelResponse> {
    const { connection, visitor } = await visitorOf(request, 'query');
    const key = visitorKey(connection.id, visitor.id);
    limit(otherBuckets, key, 'requests from this visitor');
    if (hub.streamsOf(key) >= limits.maxStreamsPerVisitor) {
      throw new ChatRefusal(
        429,
        `at most ${limits.maxStreamsPerVisitor} open event streams per visitor; close a tab`,
        { retryAfter: 30 },
        { 'Retry-After': '30' },
      );
    }
    if (visitor.conversationId) remember(visitor.conversationId, { connectionId: connection.id, visitorId: visitor.id, thread: visitor.thread });
    const stream = hub.open(key, connection.inboxId, request.signal);
    if (visitor.conversationId && !visitor.closed) watch(key, visitor.conversationId, null);
    return {
      status: 200,
      headers: { 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-store', 'X-Accel-Buffering': 'no' },
      body: stream,
    };
  }

  async function frame(request: ChannelRequest): Promise<ChannelResponse> {
    const lang = chatLanguage(firstQuery(request, 'lang'), header(request, 'accept-language'));
    const strings = CHAT_STRINGS[lang];
    limit(ipBuckets, clientIp(request), 'requests from this address');
    const connectionId = request.params.cid;
    let found: { connection: PluginChannelConnection; settings: ChatSettings };
    try {
      found = await connectionOr404(connectionId);
    } catch (error) {
      if (error instanceof ChatRefusal && error.statusCode === 404) return notice(404, lang, strings.notFoundTitle, strings.notFoundText, '*');
      throw error;
    }
    const { settings } = found;
    const origin = normaliseOrigin(firstQuery(request, 'origin') ?? '') ?? '';
    const ancestors = settings.allowedOrigins.length === 0 ? '*' : settings.allowedOrigins.join(' ');
    if (settings.allowedOrigins.length > 0) {
      const referer = refererOrigin(request);
      const refused = !settings.allowedOrigins.includes(origin) || (referer !== null && referer !== origin && !isOwnOrigin(referer, request));
      if (refused) return notice(403, lang, strings.refusedTitle, strings.refusedText, ancestors);
    }
    const template = files.read('frame.html');
    if (!template) throw new ChatRefusal(404, 'the chat widget is not installed (widget/frame.html is missing)');
    const greeting = settings.greeting || strings.greeting;
    const values: Record<string, string> = {
      ...strings,
      greeting,
      lang,
      connectionId,
      origin,
      assetsBase: '/channels/chat/assets',
      apiBase: `/channels/chat/c/${connectionId}`,
    };
    const config = {
      connectionId,
      lang,
      origin,
      apiBase: `/channels/chat/c/${encodeURIComponent(connectionId)}`,
      assetsBase: '/channels/chat/assets',
      storageKey: `parley-chat:${connectionId}`,
      strings: { ...strings, greeting },
      settings: { greeting, preChatForm: settings.preChatForm, requireVerifiedIdentity: settings.requireVerifiedIdentity },
      limits: { maxTextChars: limits.maxTextChars },
    };
    return { status: 200, headers: frameHeaders(ancestors), body: renderFrame(template.body.toString('utf8'), values, config) };
  }

  function refererOrigin(request: ChannelRequest): string | null {
    const referer = header(request, 'referer');
    if (referer === undefined) return null;
    try {
      return normaliseOrigin(new URL(referer).origin);
    } catch {
      return null;
    }
  }

  function staticFile(name: WidgetFileName) {
    return (request: ChannelRequest): ChannelResponse => {
      limit(ipBuckets, clientIp(request), 'requests from this address');
      const file = files.read(name);
      if (!file) throw new ChatRefusal(404, `the chat widget is not installed (widget/${name} is missing)`);
      const headers = {
        'Content-Type': file.contentType,
        ETag: file.etag,
        // A day, then revalidated by ETag: an upgraded widget reaches websites within a day.
        'Cache-Control': 'public, max-age=86400',
        'Cross-Origin-Resource-Policy': 'cross-origin',
      };
      const match = header(request, 'if-none-match');
      if (match !== undefined && match.split(',').some((tag) => tag.trim() === file.etag)) return { status: 304, headers };
      return { status: 200, headers, body: file.body };
    };
  }

  /** Every route answers its refusals with their own status and headers (Retry-After), in the API's error shape. */
  const guarded =
    (handler: (request: ChannelRequest) => Promise<ChannelResponse> | ChannelResponse) =>
    async (request: ChannelRequest): Promise<ChannelResponse> => {
      try {
        return await handler(request);
      } catch (error) {
        if (error instanceof ChatRefusal) {
          metrics?.refusals.inc({ status: error.statusCode });
          return {
            status: error.statusCode,
            headers: { 'Cache-Control': 'no-store', ...error.headers },
            body: { statusCode: error.statusCode, error: REASONS[error.statusCode] ?? 'Error', message: error.message, ...error.extra },
          };
        }
        throw error;
      }
    };

  // ---- live events ---------------------------------------------------------------------------

  function onAgentActivity(activity: AgentActivity): void {
    void (async () => {
      const link = await linkOf(activity.conversationId);
      if (!link) return;
      const key = visitorKey(link.connectionId, link.visitorId);
      if (activity.type === 'typing') return void hub.publish(key, 'typing', activity.authorName ? { authorName: activity.authorName } : {});
      hub.publish(key, 'seen', { at: activity.at });
      // Kept for the next session (a reload shows "Seen" too).
      await serialised(key, async () => {
        const visitor = await store.get(link.connectionId, link.visitorId);
        if (visitor && visitor.conversationId === activity.conversationId && (visitor.seenAt ?? '') < activity.at)
          await store.save({ ...visitor, seenAt: activity.at });
      });
    })().catch((error) => host.logger.warn({ err: error, conversationId: activity.conversationId }, 'could not pass agent activity to a chat visitor'));
  }

  function onStatusChange(change: { conversationId: string; status: 'open' | 'closed'; at: string }): void {
    void (async () => {
      const link = await linkOf(change.conversationId);
      if (!link) return;
      const key = visitorKey(link.connectionId, link.visitorId);
      await serialised(key, async () => {
        const visitor = await store.get(link.connectionId, link.visitorId);
        const closed = change.status === 'closed';
        if (visitor && visitor.thread === link.thread && visitor.conversationId === change.conversationId && (visitor.closed === true) !== closed) {
          await store.save({ ...visitor, closed });
        }
      });
      hub.publish(key, 'status', { status: change.status });
    })().catch((error) => host.logger.warn({ err: error, conversationId: change.conversationId }, 'could not record a chat conversation status change'));
  }

  /** Tells connected visitors when their inbox's availability changes (asked every `availabilityPollMs`). */
  async function pollAvailability(): Promise<void> {
    const byInbox = new Map<string, string[]>();
    for (const { visitorKey: key, inboxId } of hub.connectedVisitors()) byInbox.set(inboxId, [...(byInbox.get(inboxId) ?? []), key]);
    for (const [inboxId, keys] of byInbox) {
      const team = await host.activity.teamStatus(inboxId);
      const now = { agentsAvailable: team.agentsAvailable, ...businessHoursOf(team) };
      const before = availability.get(inboxId);
      availability.set(inboxId, JSON.stringify(now));
      if (before !== undefined && before !== JSON.stringify(now)) for (const key of keys) hub.publish(key, 'availability', now);
    }
    for (const inboxId of [...availability.keys()]) if (!byInbox.has(inboxId)) availability.delete(inboxId);
  }

  /**
   * Watches a connected visitor's conversation for replies this instance does not send itself
   * (docs/chat.md "Several instances"). `known`: the replies they have already; null reads them now.
   */
  function watch(key: string, conversationId: string, known: string[] | null): void {
    if (replyPollMs <= 0 || watched.get(key)?.conversationId === conversationId) return;
    const entry = { conversationId, known: known === null ? null : new Set(known), slot: Math.floor(Math.random() * REPLY_POLL_SLOTS) };
    watched.set(key, entry);
    if (known !== null) return;
    void host.conversations
      .messages(conversationId)
      .then((messages) => {
        entry.known = new Set((messages ?? []).filter((m) => m.direction === 'outbound').map((m) => m.messageId));
      })
      .catch(() => watched.delete(key));
  }

  async function pollReplies(): Promise<void> {
    const slot = replyTick++ % REPLY_POLL_SLOTS;
    for (const [key, entry] of [...watched]) {
      if (!hub.isConnected(key)) {
        watched.delete(key);
        continue;
      }
      if (entry.slot !== slot || entry.known === null) continue;
      const messages = (await host.conversations.messages(entry.conversationId)) ?? [];
      for (const message of messages) {
        // Queued replies go out through send (here or elsewhere); failed ones never reached anyone.
        if (message.direction !== 'outbound' || entry.known.has(message.messageId) || (message.status !== undefined && message.status !== 'delivered'))
          continue;
        entry.known.add(message.messageId);
        hub.publish(key, 'message', visitorMessage(message));
      }
    }
  }

  // ---- the plugin ----------------------------------------------------------------------------

  return {
    id: 'chat',
    displayName: 'Chat',
    icon: ICON,
    channel: 'chat',
    capabilities: { reply: true, html: false, attachments: false, transcript: true, switchToEmail: true, forward: false, compose: false, choices: true },
    connectionSettings: {
      secrets: CHAT_SECRETS,
      fields: CHAT_SETTING_FIELDS,
      validate: (settings, context) => validateChatSettings(settings, context),
      embedSnippet: (connection, context) => chatEmbedSnippet(connection, context),
    },

    connect(connection) {
      host = connection;
      if (options.replyPollMs === undefined && connection.soleInstance) replyPollMs = 0;
      store = new VisitorStore(connection.storage, () => new Date(now()));
      metrics = {
        streams: connection.metrics.gauge('event_streams', "Visitors' open event streams on this instance"),
        messages: connection.metrics.counter('visitor_messages_total', "Visitors' messages answered 201 (retries of one clientMessageId included)"),
        refusals: connection.metrics.counter('visitor_refusals_total', 'Visitor requests refused, by HTTP status (401, 403, 404, 413, 429 …)', {
          labelNames: ['status'],
        }),
      };
      const { routes } = connection;
      routes.get('widget.js', guarded(staticFile('loader.js')), { public: true });
      routes.get('assets/frame.js', guarded(staticFile('frame.js')), { public: true });
      routes.get('assets/frame.css', guarded(staticFile('frame.css')), { public: true });
      routes.get('c/:cid/frame', guarded(frame), { public: true });
      routes.post('c/:cid/session', guarded(session), { public: true });
      routes.post('c/:cid/messages', guarded(message), { public: true, rawBody: true });
      routes.post('c/:cid/contact', guarded(contact), { public: true });
      routes.post('c/:cid/typing', guarded(typing), { public: true });
      routes.post('c/:cid/handoff', guarded(handoff), { public: true });
      routes.get('c/:cid/events', guarded(events), { public: true });
      connection.jobs.register(INACTIVITY_JOB, (data) => inactivityJob(data));
      connection.activity.onAgentActivity(onAgentActivity);
      connection.conversations.onStatusChange(onStatusChange);
      // Only the link goes: the visitor's record then points at a conversation that is gone, and their next message starts a new one.
      connection.conversations.onDeletedForever(async ({ conversationId }) => {
        links.delete(conversationId);
        await connection.storage.delete(`conversation:${conversationId}`);
      });
      connection.connections.onChange(({ type, connectionId }) => {
        connectionCache.delete(connectionId);
        if (type === 'removed') hub.closeAll(`${connectionId}:`);
      });
      connection.listen({
        name: 'chat-live',
        start: () => {
          availabilityTimer = setInterval(() => {
            pollAvailability().catch((error) => host.logger.warn({ err: error }, 'could not ask whether agents are available'));
          }, options.availabilityPollMs ?? 15_000);
          availabilityTimer.unref();
          if (replyPollMs > 0) {
            // A tenth of the visitors each tick, so a thousand connected visitors are never read at once.
            replyTimer = setInterval(() => {
              pollReplies().catch((error) => host.logger.warn({ err: error }, 'could not look for replies sent by another instance'));
            }, replyPollMs / REPLY_POLL_SLOTS);
            replyTimer.unref();
          }
        },
        stop: () => {
          clearInterval(availabilityTimer);
          clearInterval(replyTimer);
          availabilityTimer = replyTimer = undefined;
          watched.clear();
          hub.closeAll();
        },
      });
    },

    /**
     * An agent's reply: pushed to the visitor's open event streams on this instance. A visitor who
     * is not connected is fine: the reply is in their history when they come back.
     */
    async send(outbound: OutboundMessage): Promise<DeliveryResult> {
      try {
        const link = parseChatThreadId(outbound.thread.externalThreadId) ?? (await linkOf(outbound.conversationId));
        if (!link)
          return permanentFailure(`${JSON.stringify(outbound.thread.externalThreadId)} is not a chat thread (<connection>:<visitor>:<n>); no visitor to reach`);
        const connection = await host.connections.get(link.connectionId);
        if (!connection) return permanentFailure(`the chat connection ${link.connectionId} was removed; its visitors cannot be reached`);
        remember(outbound.conversationId, link);
        const stored = await replyAsStored(outbound);
        const reply: VisitorMessage = {
          id: outbound.messageId,
          direction: 'outbound',
          ...(stored?.authorName ? { authorName: stored.authorName } : {}),
          text: outbound.text,
          at: new Date(now()).toISOString(),
          ...(outbound.choices?.length ? { choices: outbound.choices.map(({ id, label }) => ({ id, label })) } : {}),
          // A bot's reply says whether the bot still holds the chat (a handoff step's last words: no longer).
          ...(stored?.bot ? { bot: true, heldByBot: (await host.conversations.get(outbound.conversationId))?.heldByBot === true } : {}),
        };
        const key = visitorKey(link.connectionId, link.visitorId);
        hub.publish(key, 'message', reply);
        watched.get(key)?.known?.add(outbound.messageId);
        return delivered(outbound.messageId);
      } catch (error) {
        return retryableFailure(`chat: ${(error as Error)?.message ?? String(error)}`);
      }
    },

    disconnect() {
      clearInterval(availabilityTimer);
      clearInterval(replyTimer);
      watched.clear();
      hub.closeAll();
    },
  };

  /** The reply as the visitor sees it in history (its author's name, whether a bot wrote it); undefined when the host does not say. */
  async function replyAsStored(outbound: OutboundMessage): Promise<PluginConversationMessage | undefined> {
    const messages = await host.conversations.messages(outbound.conversationId);
    return messages?.find((m) => m.messageId === outbound.messageId);
  }
}

/** Same fields and values (the records are flat JSON documents, `undefined` fields aside). */
function recordsEqual(a: VisitorRecord, b: VisitorRecord): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)] as (keyof VisitorRecord)[]);
  for (const key of keys) if (a[key] !== b[key]) return false;
  return true;
}

/** Outside business hours the widget says when the team is back (nextOpenAt, shown in the inbox's time zone). */
function businessHoursOf(team: TeamStatus): { open: boolean; nextOpenAt: string | null; timeZone: string } {
  return { open: team.open, nextOpenAt: team.nextOpenAt, timeZone: team.timeZone };
}

function visitorMessage(message: PluginConversationMessage): VisitorMessage {
  return {
    id: message.messageId,
    direction: message.direction,
    ...(message.authorName ? { authorName: message.authorName } : {}),
    text: message.text,
    at: message.at,
    ...(message.choices?.length ? { choices: message.choices.map(({ id, label }) => ({ id, label })) } : {}),
    ...(message.bot ? { bot: true } : {}),
  };
}

/** A small page in the visitor's language (unknown chat, refused website), under the frame's CSP. */
function notice(status: number, lang: ChatLanguage, title: string, text: string, ancestors: string): ChannelResponse {
  const html =
    `<!doctype html><html lang="${lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">` +
    `<title>${escapeHtml(title)}</title><link rel="stylesheet" href="/channels/chat/assets/frame.css"></head>` +
    `<body><main class="parley-notice"><h1>${escapeHtml(title)}</h1><p>${escapeHtml(text)}</p></main></body></html>`;
  return { status, headers: frameHeaders(ancestors), body: html };
}

/** The frame's headers: only our own script and style run, no inline code, framed only by the allowed websites. */
function frameHeaders(ancestors: string): Record<string, string> {
  return {
    'Content-Type': 'text/html; charset=utf-8',
    'Content-Security-Policy': [
      "default-src 'none'",
      "script-src 'self'",
      "style-src 'self'",
      "connect-src 'self'",
      "img-src 'self' data:",
      "font-src 'self'",
      "base-uri 'none'",
      "form-action 'self'",
      `frame-ancestors ${ancestors}`,
    ].join('; '),
    'Cache-Control': 'no-store',
    // Same-origin requests (the frame's own) carry the frame URL with its ?origin=; other sites get nothing.
    'Referrer-Policy': 'same-origin',
  };
}

function header(request: ChannelRequest, name: string): string | undefined {
  const value = request.headers[name];
  const first = Array.isArray(value) ? value[0] : value;
  return typeof first === 'string' && first !== '' ? first : undefined;
}

function firstQuery(request: ChannelRequest, name: string): string | undefined {
  const value = request.query[name];
  const first = Array.isArray(value) ? value[0] : value;
  return typeof first === 'string' ? first : undefined;
}

function bearer(request: ChannelRequest): string | undefined {
  const match = /^Bearer\s+(\S+)$/i.exec(header(request, 'authorization') ?? '');
  return match?.[1];
}

function objectBody(body: unknown, shape: string): Record<string, unknown> {
  if (body === undefined) return {};
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw new ChatRefusal(400, `the body must be a JSON object like ${shape} (got ${describe(body)})`);
  return body as Record<string, unknown>;
}

function checkIdentity(value: unknown): { identifier: string; identifierHash: unknown; name?: string; email?: string } | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new ChatRefusal(400, `identity: must be an object like { "identifier", "identifierHash", "name"?, "email"? } (got ${describe(value)})`);
  }
  const identity = value as Record<string, unknown>;
  if (typeof identity.identifier !== 'string' || identity.identifier.trim() === '' || identity.identifier.length > 256) {
    throw new ChatRefusal(400, `identity.identifier: must be 1-256 characters (got ${describe(identity.identifier)})`);
  }
  const name = optionalName(identity.name, 'identity.name');
  const email = optionalEmail(identity.email, 'identity.email');
  return { identifier: identity.identifier, identifierHash: identity.identifierHash, ...(name ? { name } : {}), ...(email ? { email } : {}) };
}

function optionalName(value: unknown, field: string): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string' || value.trim().length > 200)
    throw new ChatRefusal(400, `${field}: must be text of at most 200 characters (got ${describe(value)})`);
  return value.trim() || undefined;
}

function optionalEmail(value: unknown, field: string): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string' || value.length > 320 || !EMAIL.test(value.trim())) {
    throw new ChatRefusal(400, `${field}: must be an email address like "ann@example.com" (got ${describe(value)})`);
  }
  return value.trim();
}
