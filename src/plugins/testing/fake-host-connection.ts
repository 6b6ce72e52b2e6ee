import { randomUUID } from 'node:crypto';
import { MemoryPluginStorage } from './memory-plugin-storage';
import {
  pluginSettingVariable,
  PLUGIN_METRIC_NAME_PATTERN,
  PLUGIN_SETTING_KEY_PATTERN,
  type MetricLabels,
  type AgentActivity,
  type Channel,
  type ChannelHostConnection,
  type ChannelListener,
  type ChannelPlugin,
  type ChannelRequest,
  type ChannelResponse,
  type DeletedConversation,
  type InboundFile,
  type InboundMessage,
  type MessageField,
  type IngestOptions,
  type IngestResult,
  type PluginAgent,
  type PluginChannelConnection,
  type PluginConversation,
  type PluginConversationMessage,
  type PluginJobHandler,
  type PluginStorage,
  type PluginHttp,
  type PluginHttpRequestInit,
  type PluginJobOptions,
  type RouteHandler,
  type ReplyStatusReport,
  type RouteOptions,
  type TeamStatus,
} from '../channel-plugin';
import { JOB_TYPE_PATTERN, normaliseRoutePath, PAGE_DEFAULT_HEADERS, RESERVED_PAGE_PREFIXES } from '../plugin-shape';

/** The agent the fake host puts on authenticated requests unless told otherwise. */
export const FAKE_AGENT: PluginAgent = { id: '00000000-0000-4000-8000-000000000001', name: 'Ada Agent', email: 'ada@example.com', role: 'admin' };

export interface FakeRoute {
  method: 'GET' | 'POST';
  path: string;
  /** Where the real host mounts it. */
  url: string;
  public: boolean;
  rawBody: boolean;
  /** A page (RouteOptions.page): mounted at `/<id>/<path>`, answered with the host's page headers unless the handler sets its own. */
  page: boolean;
  handler: RouteHandler;
}

export interface StoredMessage extends InboundMessage {
  conversationId: string;
  messageId: string;
  /** When the fake host stored it (the time `conversations.messages` shows when it has no receivedAt). */
  storedAt: string;
}

export interface FakeHostOptions {
  /**
   * What `connection.http` sends through. Give it the host's guard as the real host configures
   * it (Parley's tests: `createOutboundHttp({ allowPrivateNetwork: true })` for a local test server);
   * without one, every request is refused and recorded as a problem.
   */
  http?: PluginHttp;
  /**
   * The plugin's connections to inboxes (`connection.connections`), oldest first; fields left out
   * are filled in (`type` the plugin's id, times now). Change them later with `addConnection`,
   * `changeConnection` and `removeConnection`, which tell the plugin's onChange handlers.
   */
  connections?: FakeConnectionInput[];
  /** What `connection.soleInstance` says; default false (the plugin must expect other instances). */
  soleInstance?: boolean;
  /** What `activity.agentsAvailable(inboxId)` answers; default true. A function is asked per call. */
  agentsAvailable?: boolean | ((inboxId: string) => boolean);
  /** What `activity.teamStatus(inboxId)` answers beyond agentsAvailable; default open, no bot. */
  teamStatus?: Partial<TeamStatus> | ((inboxId: string) => Partial<TeamStatus>);
  /**
   * The plugin's storage; default a fresh in-memory one with the host's rules. Pass one storage to
   * two fake hosts to play two instances of Parley (or a restart) sharing one database.
   */
  storage?: PluginStorage;
}

/** A connection as a test gives it: `id` and `inboxId` at least. */
export type FakeConnectionInput = Pick<PluginChannelConnection, 'id' | 'inboxId'> & Partial<PluginChannelConnection>;

/** A reply an agent sent on a conversation, as a test records it with `recordReply`. */
export interface FakeReply {
  text: string;
  authorName?: string;
  /** Default 'delivered'. */
  status?: 'queued' | 'delivered' | 'failed';
  /** Default the plugin's channel (a chat reply sent by email says `email`). */
  channel?: Channel;
  at?: string;
  /** A bot's buttons offered with the reply. */
  choices?: { id: string; label: string }[];
  /** Written by the inbox's bot. */
  bot?: boolean;
}

export interface FakeRequestOptions {
  headers?: Record<string, string>;
  query?: Record<string, string | string[]>;
  /** JSON body (sent as its JSON text unless rawBody is given). */
  body?: unknown;
  /** The exact bytes of the body; parsed as JSON when the content type is JSON. */
  rawBody?: Buffer | string;
  /** The agent of an authenticated route; null for a request without a session (-> 401). Default FAKE_AGENT. */
  agent?: PluginAgent | null;
  /** The client's address (`request.ip`); default 127.0.0.1. */
  ip?: string;
  /** Aborts `request.signal`, as a client that goes away would (abort it to end a stream). Default: never aborted. */
  signal?: AbortSignal;
}

/** Property names test tooling reads on any object (jest's pretty-format, promises); not a plugin using something it should not. */
const TOOLING_PROPERTIES = new Set([
  'then',
  'toJSON',
  'constructor',
  'asymmetricMatch',
  '$$typeof',
  'nodeType',
  'tagName',
  '@@__IMMUTABLE_ITERABLE__@@',
  '@@__IMMUTABLE_RECORD__@@',
  '_isMockFunction',
]);

/**
 * A stand-in for Parley's side of ChannelHostConnection, for plugin tests: it behaves like the
 * real host where a plugin can tell (ingest is idempotent by channel + thread + message id, routes
 * live at /channels/<id>/… or /api/channels/<id>/…, declarations are accepted only during
 * connect, settings come from a map) and it records everything, including every way the plugin
 * stepped outside the interface (`problems`).
 */
export class FakeHostConnection {
  /** Every ingest call, in order, duplicates included. */
  readonly ingestCalls: { message: InboundMessage; options: IngestOptions; result: IngestResult }[] = [];
  /** What the core would have stored: each (channel, thread, message id) once. */
  readonly stored: StoredMessage[] = [];
  readonly routes: FakeRoute[] = [];
  readonly listeners: ChannelListener[] = [];
  readonly jobHandlers = new Map<string, PluginJobHandler>();
  readonly scheduled: { type: string; data: Record<string, unknown>; options: PluginJobOptions }[] = [];
  readonly logs: { level: 'debug' | 'info' | 'warn' | 'error'; fields: object; message: string }[] = [];
  /** Handlers the plugin registered for conversations deleted forever. */
  readonly deletedForeverHandlers: ((conversation: DeletedConversation) => Promise<void>)[] = [];
  /** Agent ids `conversations.canRead` refuses (an agent without access to the inbox). */
  readonly agentsWithoutAccess = new Set<string>();
  /** Contract violations seen: the conformance kit expects none. */
  /** Every `connection.http.request` call, in order (the URL as the plugin gave it). */
  readonly httpRequests: { method: string; url: string }[] = [];
  readonly problems: string[] = [];
  /** The connection to hand to `plugin.connect`. */
  readonly connection: ChannelHostConnection;
  /** The plugin's documents (`connection.storage`), for tests to look into. */
  readonly storage: PluginStorage;
  /** Every `activity.contactTyping` call, in order. */
  readonly contactTypingCalls: { conversationId: string; at: string }[] = [];
  /** Every `conversations.close` call, in order, also those that changed nothing. */
  readonly closeCalls: { conversationId: string; reason: string }[] = [];
  /** Every `conversations.reportStatus` call, in order (the host would record only those that move a reply forward). */
  readonly statusReports: ReplyStatusReport[] = [];
  /** Reactions ingested (InboundMessage.reaction), recorded as the host would: on the message they name. */
  readonly reactions: { conversationId: string; messageId: string; externalMessageId: string; emoji: string; from: string }[] = [];
  /** Every `conversations.requestHandoff` call, in order. */
  readonly handoffCalls: { conversationId: string }[] = [];
  /** Conversation ids a bot holds (`conversations.get` says `heldByBot: true`) until `requestHandoff`; add to play one. */
  readonly botHeldConversations = new Set<string>();
  /** Conversation ids in Trash, Spam or Filtered (`conversations.get` says `hidden: true`); add to hide one. */
  readonly hiddenConversations = new Set<string>();

  private readonly metrics = new Map<string, { kind: 'counter' | 'gauge' | 'histogram'; labelNames: string[]; values: Map<string, number> }>();
  private declaring = true;
  private readonly threads = new Map<string, string>();
  private readonly started = new Set<ChannelListener>();
  private readonly connectionList: PluginChannelConnection[] = [];
  private readonly connectionChangeHandlers: ((change: { type: 'created' | 'changed' | 'removed'; connectionId: string }) => void)[] = [];
  private readonly agentActivityHandlers: ((activity: AgentActivity) => void)[] = [];
  private readonly statusChangeHandlers: ((change: { conversationId: string; status: 'open' | 'closed'; at: string }) => void)[] = [];
  private readonly statuses = new Map<string, 'open' | 'closed'>();
  private readonly replies = new Map<string, PluginConversationMessage[]>();
  private readonly agentsAvailableOption: boolean | ((inboxId: string) => boolean);
  private readonly teamStatusOption: FakeHostOptions['teamStatus'];

  constructor(
    private readonly plugin: Pick<ChannelPlugin, 'id' | 'channel'>,
    private readonly settings: Record<string, string> = {},
    hostOptions: FakeHostOptions = {},
  ) {
    this.storage = hostOptions.storage ?? new MemoryPluginStorage();
    for (const input of hostOptions.connections ?? []) this.connectionList.push(this.completeConnection(input));
    this.agentsAvailableOption = hostOptions.agentsAvailable ?? true;
    this.teamStatusOption = hostOptions.teamStatus;
    this.connection = this.strict('connection', {
      ingest: (message: InboundMessage, options: IngestOptions = {}) => this.ingest(message, options),
      routes: this.strict('connection.routes', {
        get: (path: string, handler: RouteHandler, options?: RouteOptions) => this.declareRoute('GET', path, handler, options),
        post: (path: string, handler: RouteHandler, options?: RouteOptions) => this.declareRoute('POST', path, handler, options),
      }),
      listen: (listener: ChannelListener) => {
        this.mustDeclareInConnect('a listener');
        if (typeof listener?.start !== 'function' || typeof listener?.stop !== 'function') this.fail('a listener needs start() and stop()');
        this.listeners.push(listener);
      },
      config: this.strict('connection.config', {
        get: (key: string) => {
          this.checkKey(key);
          const value = this.settings[key];
          return value === undefined || value === '' ? undefined : value;
        },
        require: (key: string) => {
          this.checkKey(key);
          const value = this.settings[key];
          if (value === undefined || value === '')
            throw new Error(`plugin "${plugin.id}" needs the setting ${pluginSettingVariable(plugin.id, key)}; set it in the environment`);
          return value;
        },
        variableName: (key: string) => pluginSettingVariable(plugin.id, this.checkKey(key)),
      }),
      http: this.strict('connection.http', {
        request: (url: string, init: PluginHttpRequestInit = {}) => {
          this.httpRequests.push({ method: (init?.method ?? 'GET').toUpperCase(), url });
          if (hostOptions.http) return hostOptions.http.request(url, init);
          const problem = `plugin "${plugin.id}" called connection.http, but this FakeHostConnection was given no HTTP client (pass { http } as its third argument)`;
          this.problems.push(problem);
          return Promise.reject(new Error(problem));
        },
      }),
      logger: this.strict('connection.logger', {
        debug: (fields: object, message: string) => this.logs.push({ level: 'debug', fields, message }),
        info: (fields: object, message: string) => this.logs.push({ level: 'info', fields, message }),
        warn: (fields: object, message: string) => this.logs.push({ level: 'warn', fields, message }),
        error: (fields: object, message: string) => this.logs.push({ level: 'error', fields, message }),
      }),
      conversations: this.strict('connection.conversations', {
        canRead: async (agent: PluginAgent, conversationId: string) =>
          !this.agentsWithoutAccess.has(agent?.id) && this.stored.some((m) => m.conversationId === conversationId),
        attachmentIds: async (conversationId: string) => {
          const messages = this.stored.filter((m) => m.conversationId === conversationId);
          return messages.length === 0 ? null : [...new Set(messages.flatMap((m) => (m.attachments ?? []).map((a) => a.id)))];
        },
        onDeletedForever: (handler: (conversation: DeletedConversation) => Promise<void>) => {
          this.mustDeclareInConnect('the handler for conversations deleted forever');
          if (typeof handler !== 'function') this.fail('onDeletedForever needs a function');
          this.deletedForeverHandlers.push(handler);
        },
        get: async (conversationId: string) => this.conversation(conversationId),
        messages: async (conversationId: string) => this.conversationMessages(conversationId),
        onStatusChange: (handler: (change: { conversationId: string; status: 'open' | 'closed'; at: string }) => void) => {
          this.mustDeclareInConnect('the handler for status changes');
          if (typeof handler !== 'function') this.fail('conversations.onStatusChange needs a function');
          this.statusChangeHandlers.push(handler);
        },
        close: async (conversationId: string, reason: 'inactivity') => {
          if (typeof conversationId !== 'string') throw Object.assign(new Error('close needs a conversation id'), { statusCode: 400 });
          if (reason !== 'inactivity') this.fail(`conversations.close takes the reason "inactivity" (got ${JSON.stringify(reason)})`);
          this.closeCalls.push({ conversationId, reason });
          // As the host: nothing happens when it is closed already, hidden or gone.
          if (this.statuses.get(conversationId) === 'open' && !this.hiddenConversations.has(conversationId)) this.setStatus(conversationId, 'closed');
        },
        reportStatus: async (report: ReplyStatusReport) => {
          if (typeof report?.conversationId !== 'string' || typeof report.messageId !== 'string')
            this.fail('conversations.reportStatus needs conversationId and messageId');
          if (!['delivered', 'read', 'failed'].includes(report.status))
            this.fail(`conversations.reportStatus takes delivered, read or failed (got ${JSON.stringify(report.status)})`);
          if (typeof report.at !== 'string' || Number.isNaN(Date.parse(report.at)))
            this.fail(`conversations.reportStatus needs \`at\` as an ISO time (got ${JSON.stringify(report.at)})`);
          this.statusReports.push(structuredClone(report));
        },
        requestHandoff: async (conversationId: string) => {
          if (typeof conversationId !== 'string') throw Object.assign(new Error('requestHandoff needs a conversation id'), { statusCode: 400 });
          this.handoffCalls.push({ conversationId });
          // As the host: the bot lets go of an open conversation that is not hidden.
          if (this.statuses.get(conversationId) === 'open' && !this.hiddenConversations.has(conversationId)) this.botHeldConversations.delete(conversationId);
        },
      }),
      connections: this.strict('connection.connections', {
        list: async () => structuredClone(this.connectionList),
        get: async (connectionId: string) => structuredClone(this.connectionList.find((c) => c.id === connectionId) ?? null),
        onChange: (handler: (change: { type: 'created' | 'changed' | 'removed'; connectionId: string }) => void) => {
          this.mustDeclareInConnect('the handler for connection changes');
          if (typeof handler !== 'function') this.fail('connections.onChange needs a function');
          this.connectionChangeHandlers.push(handler);
        },
      }),
      soleInstance: hostOptions.soleInstance ?? false,
      storage: this.strict('connection.storage', {
        get: (key: string) => this.storage.get(key),
        set: (key: string, value: unknown) => this.storage.set(key, value),
        setIfAbsent: (key: string, value: unknown) => this.storage.setIfAbsent(key, value),
        delete: (key: string) => this.storage.delete(key),
        list: (prefix: string, options?: { after?: string; limit?: number }) => this.storage.list(prefix, options),
      }),
      activity: this.strict('connection.activity', {
        onAgentActivity: (handler: (activity: AgentActivity) => void) => {
          this.mustDeclareInConnect('the handler for agent activity');
          if (typeof handler !== 'function') this.fail('activity.onAgentActivity needs a function');
          this.agentActivityHandlers.push(handler);
        },
        contactTyping: (conversationId: string) => {
          if (typeof conversationId !== 'string') this.fail(`activity.contactTyping needs a conversation id (got ${JSON.stringify(conversationId)})`);
          this.contactTypingCalls.push({ conversationId, at: new Date().toISOString() });
        },
        agentsAvailable: async (inboxId: string) => {
          const option = this.agentsAvailableOption;
          return typeof inboxId === 'string' && (typeof option === 'function' ? option(inboxId) : option);
        },
        teamStatus: async (inboxId: string): Promise<TeamStatus> => {
          if (typeof inboxId !== 'string') this.fail(`activity.teamStatus needs an inbox id (got ${JSON.stringify(inboxId)})`);
          const available = this.agentsAvailableOption;
          const option = this.teamStatusOption;
          const given = typeof option === 'function' ? option(inboxId) : (option ?? {});
          return {
            agentsAvailable: typeof available === 'function' ? available(inboxId) : available,
            open: true,
            nextOpenAt: null,
            timeZone: 'UTC',
            botActive: false,
            ...given,
          };
        },
      }),
      metrics: this.strict('connection.metrics', {
        counter: (name: string, help: string, options: { labelNames?: readonly string[] } = {}) => {
          const values = this.declareMetric('counter', name, help, options.labelNames);
          return Object.freeze({ inc: (labels: MetricLabels = {}, by = 1) => this.addTo(values, name, labels, by) });
        },
        gauge: (name: string, help: string, options: { labelNames?: readonly string[] } = {}) => {
          const values = this.declareMetric('gauge', name, help, options.labelNames);
          return Object.freeze({
            set: (value: number, labels: MetricLabels = {}) => values.set(labelKey(labels), value),
            inc: (labels: MetricLabels = {}, by = 1) => this.addTo(values, name, labels, by),
            dec: (labels: MetricLabels = {}, by = 1) => this.addTo(values, name, labels, -by),
          });
        },
        histogram: (name: string, help: string, options: { labelNames?: readonly string[]; buckets?: readonly number[] } = {}) => {
          const values = this.declareMetric('histogram', name, help, options.labelNames);
          // The fake keeps the count of observations per label set; the real host also keeps buckets and sums.
          return Object.freeze({ observe: (_value: number, labels: MetricLabels = {}) => this.addTo(values, name, labels, 1) });
        },
      }),
      jobs: this.strict('connection.jobs', {
        register: (type: string, handler: PluginJobHandler) => {
          this.mustDeclareInConnect(`a job handler (${type})`);
          this.checkJobType(type);
          if (this.jobHandlers.has(type)) this.fail(`the job type "${type}" is registered twice`);
          this.jobHandlers.set(type, handler);
        },
        schedule: async (type: string, data: Record<string, unknown>, options: PluginJobOptions = {}) => {
          this.checkJobType(type);
          const duplicate = options.jobId !== undefined && this.scheduled.some((s) => s.type === type && s.options.jobId === options.jobId);
          if (!duplicate) this.scheduled.push({ type, data: JSON.parse(JSON.stringify(data)) as Record<string, unknown>, options });
          return { jobId: options.jobId ?? randomUUID(), duplicate };
        },
      }),
    }) as ChannelHostConnection;
  }

  /**
   * A metric's current value for one label set: a counter's or gauge's value, a histogram's
   * number of observations; 0 when never touched. `name` as the plugin declared it (no prefix).
   */
  metricValue(name: string, labels: MetricLabels = {}): number {
    const metric = this.metrics.get(name);
    if (!metric) throw new Error(`plugin "${this.plugin.id}" declared no metric "${name}"`);
    return metric.values.get(labelKey(labels)) ?? 0;
  }

  /** Ends the window in which routes, listeners and job handlers may be declared (the host does this when connect returns). */
  endConnect(): void {
    this.declaring = false;
  }

  /** Calls a route the way the host would, by its mounted URL (`/channels/<id>/messages`); 404 when nothing matches. */
  async request(method: 'GET' | 'POST', url: string, options: FakeRequestOptions = {}): Promise<ChannelResponse> {
    const [pathname, search = ''] = url.split('?');
    let route: FakeRoute | undefined;
    let params: Record<string, string> = {};
    for (const candidate of this.routes) {
      const matched = candidate.method === method ? matchPath(candidate.url, pathname) : null;
      if (matched) {
        route = candidate;
        params = matched;
        break;
      }
    }
    if (!route) return errorResponse(404, `no ${method} route at ${pathname}`);
    if (!route.public && options.agent === null) return errorResponse(401, 'authentication required');

    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(options.headers ?? {})) headers[name.toLowerCase()] = value;
    let raw: Buffer | undefined;
    if (options.rawBody !== undefined) raw = Buffer.isBuffer(options.rawBody) ? options.rawBody : Buffer.from(options.rawBody, 'utf8');
    else if (options.body !== undefined) raw = Buffer.from(JSON.stringify(options.body), 'utf8');
    if (raw !== undefined) headers['content-type'] ??= 'application/json';
    let body: unknown;
    if (raw !== undefined && raw.length > 0 && /^application\/json\b/i.test(headers['content-type'])) {
      try {
        body = JSON.parse(raw.toString('utf8'));
      } catch (error) {
        return errorResponse(400, `the body is not valid JSON: ${(error as Error).message}`);
      }
    }
    const query: Record<string, string | string[]> = { ...options.query };
    for (const [name, value] of new URLSearchParams(search)) query[name] = value;

    const request: ChannelRequest = {
      params,
      query,
      headers,
      body,
      ...(route.rawBody ? { rawBody: raw ?? Buffer.alloc(0) } : {}),
      ...(route.public ? {} : { agent: options.agent ?? FAKE_AGENT }),
      ip: options.ip ?? '127.0.0.1',
      signal: options.signal ?? new AbortController().signal,
    };
    try {
      const response = await route.handler(request);
      if (typeof response !== 'object' || response === null || !Number.isInteger(response.status) || response.status < 100 || response.status > 599) {
        this.fail(`${method} ${route.url} answered ${JSON.stringify(response)}, not { status, body?, headers? }`);
        return errorResponse(500, 'invalid response from the plugin');
      }
      // As the host: a page gets its strict headers unless the handler set its own (names are case-insensitive).
      if (route.page) {
        const own = new Set(Object.keys(response.headers ?? {}).map((name) => name.toLowerCase()));
        const defaults = Object.entries(PAGE_DEFAULT_HEADERS).filter(([name]) => !own.has(name));
        return { ...response, headers: { ...Object.fromEntries(defaults), ...response.headers } };
      }
      return response;
    } catch (error) {
      const status = (error as { statusCode?: unknown })?.statusCode;
      if (typeof status === 'number' && status >= 400 && status < 500) return errorResponse(status, (error as Error).message);
      this.problems.push(`${method} ${route.url} threw: ${(error as Error)?.message ?? String(error)}`);
      return errorResponse(500, 'an unexpected error occurred; it has been logged');
    }
  }

  async startListeners(): Promise<void> {
    for (const listener of this.listeners) {
      await listener.start();
      this.started.add(listener);
    }
  }

  async stopListeners(): Promise<void> {
    for (const listener of [...this.listeners].reverse()) {
      if (!this.started.delete(listener)) continue;
      await listener.stop();
    }
  }

  /**
   * Deletes a conversation forever, as an agent would: the stored messages go, then the plugin's
   * handlers hear of it with the attachment ids its messages carried, `deliveries` times (the
   * host's job runs at least once).
   */
  async deleteForever(conversationId: string, { deliveries = 1 }: { deliveries?: number } = {}): Promise<void> {
    const messages = this.stored.filter((m) => m.conversationId === conversationId);
    const [first] = messages;
    if (!first) throw new Error(`no conversation ${conversationId}`);
    for (const message of messages) this.stored.splice(this.stored.indexOf(message), 1);
    this.statuses.delete(conversationId);
    this.replies.delete(conversationId);
    this.hiddenConversations.delete(conversationId);
    const attachmentIds = [...new Set(messages.flatMap((m) => (m.attachments ?? []).map((a) => a.id)))];
    const deleted: DeletedConversation = { conversationId, inboxId: first.inboxId ?? 'default', externalThreadId: first.externalThreadId, attachmentIds };
    for (let delivery = 0; delivery < deliveries; delivery += 1) {
      for (const handler of this.deletedForeverHandlers) await handler(structuredClone(deleted));
    }
  }

  /** Runs a scheduled job's handler once, as the queue would. */
  async runJob(type: string, data: Record<string, unknown>, job: { jobId?: string; attempt?: number; attempts?: number } = {}): Promise<void> {
    const handler = this.jobHandlers.get(type);
    if (!handler) throw new Error(`no handler registered for job type "${type}"`);
    await handler(JSON.parse(JSON.stringify(data)) as Record<string, unknown>, {
      jobId: job.jobId ?? randomUUID(),
      attempt: job.attempt ?? 1,
      attempts: job.attempts ?? 3,
    });
  }

  /** Adds a connection of the plugin to an inbox, as an admin would, and tells the plugin's onChange handlers. */
  addConnection(input: FakeConnectionInput): PluginChannelConnection {
    if (this.connectionList.some((c) => c.id === input.id)) throw new Error(`the connection ${input.id} exists already`);
    const added = this.completeConnection(input);
    this.connectionList.push(added);
    this.tellConnectionChange('created', added.id);
    return structuredClone(added);
  }

  /** Changes a connection (name, settings …), as an admin would, and tells the plugin's onChange handlers. */
  changeConnection(connectionId: string, changes: Partial<Omit<PluginChannelConnection, 'id' | 'type' | 'createdAt'>>): PluginChannelConnection {
    const index = this.connectionList.findIndex((c) => c.id === connectionId);
    if (index < 0) throw new Error(`no connection ${connectionId}`);
    this.connectionList[index] = { ...this.connectionList[index], ...structuredClone(changes), updatedAt: new Date().toISOString() };
    this.tellConnectionChange('changed', connectionId);
    return structuredClone(this.connectionList[index]);
  }

  /** Removes a connection, as an admin would, and tells the plugin's onChange handlers. */
  removeConnection(connectionId: string): void {
    const index = this.connectionList.findIndex((c) => c.id === connectionId);
    if (index < 0) throw new Error(`no connection ${connectionId}`);
    this.connectionList.splice(index, 1);
    this.tellConnectionChange('removed', connectionId);
  }

  /** An agent types on (`authorName`: who, when known), or has seen, a conversation: the plugin's onAgentActivity handlers hear it. */
  emitAgentActivity(activity: { type: AgentActivity['type']; conversationId: string; at?: string; authorName?: string }): void {
    const at = activity.at ?? new Date().toISOString();
    const event: AgentActivity =
      activity.type === 'typing'
        ? { type: 'typing', conversationId: activity.conversationId, at, ...(activity.authorName === undefined ? {} : { authorName: activity.authorName }) }
        : { type: 'seen', conversationId: activity.conversationId, at };
    for (const handler of this.agentActivityHandlers) handler(structuredClone(event));
  }

  /**
   * Records an agent's reply on a conversation, as the core would once an agent sent it: it shows
   * in `conversations.messages` (the contact's view). Answers the reply's message id.
   */
  recordReply(conversationId: string, reply: FakeReply): string {
    if (!this.statuses.has(conversationId)) throw new Error(`no conversation ${conversationId}`);
    const messageId = randomUUID();
    const list = this.replies.get(conversationId) ?? [];
    list.push({
      messageId,
      direction: 'outbound',
      ...(reply.authorName === undefined ? {} : { authorName: reply.authorName }),
      text: reply.text,
      at: reply.at ?? new Date().toISOString(),
      status: reply.status ?? 'delivered',
      channel: reply.channel ?? (this.plugin.channel as Channel),
      ...(reply.choices?.length ? { choices: structuredClone(reply.choices) } : {}),
      ...(reply.bot ? { bot: true } : {}),
    });
    this.replies.set(conversationId, list);
    return messageId;
  }

  /** Closes or reopens a conversation as an agent would; the plugin's onStatusChange handlers hear it when it changed. */
  setStatus(conversationId: string, status: 'open' | 'closed'): void {
    const current = this.statuses.get(conversationId);
    if (current === undefined) throw new Error(`no conversation ${conversationId}`);
    if (current === status) return;
    this.statuses.set(conversationId, status);
    const change = { conversationId, status, at: new Date().toISOString() };
    for (const handler of this.statusChangeHandlers) handler({ ...change });
  }

  private conversation(conversationId: string): PluginConversation | null {
    const messages = typeof conversationId === 'string' ? this.stored.filter((m) => m.conversationId === conversationId) : [];
    const [first] = messages;
    if (!first) return null;
    return {
      conversationId,
      inboxId: first.inboxId ?? 'default',
      externalThreadId: first.externalThreadId,
      status: this.statuses.get(conversationId) ?? 'open',
      hidden: this.hiddenConversations.has(conversationId),
      contact: { address: first.from.address, ...(first.from.name === undefined ? {} : { name: first.from.name }) },
      ...(this.botHeldConversations.has(conversationId) ? { heldByBot: true } : {}),
      lastContactMessageAt: messages.reduce(
        (latest, m) => {
          const at = m.receivedAt ?? latest;
          return Date.parse(at) > Date.parse(latest) ? at : latest;
        },
        first.receivedAt ?? new Date(0).toISOString(),
      ),
    };
  }

  /** The contact's view: their messages and the recorded replies, oldest first. */
  private conversationMessages(conversationId: string): PluginConversationMessage[] | null {
    if (this.conversation(conversationId) === null) return null;
    const inbound: PluginConversationMessage[] = this.stored
      .filter((m) => m.conversationId === conversationId)
      .map((m) => ({
        messageId: m.messageId,
        direction: 'inbound',
        ...(m.from.name === undefined ? {} : { authorName: m.from.name }),
        text: m.text,
        at: m.receivedAt ?? m.storedAt,
        channel: m.channel,
      }));
    return [...inbound, ...structuredClone(this.replies.get(conversationId) ?? [])].sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
  }

  private completeConnection(input: FakeConnectionInput): PluginChannelConnection {
    const now = new Date().toISOString();
    return {
      type: this.plugin.id,
      name: `${this.plugin.id} connection`,
      settings: {},
      createdAt: now,
      updatedAt: now,
      ...structuredClone(input),
    };
  }

  private tellConnectionChange(type: 'created' | 'changed' | 'removed', connectionId: string): void {
    for (const handler of this.connectionChangeHandlers) handler({ type, connectionId });
  }

  private async ingest(message: InboundMessage, options: IngestOptions): Promise<IngestResult> {
    const problems = inboundProblems(message, this.plugin.channel);
    // The host's checks of files, fields, reaction and spam, in short (the host answers a 400 naming the member).
    problems.push(...inboundExtrasProblems(message));
    const reaction = message.reaction ?? null;
    const files = message.files ?? [];
    if (problems.length > 0) {
      this.fail(`ingest got an invalid message: ${problems.join('; ')}`);
      throw Object.assign(new Error(problems.join('; ')), { statusCode: 400 });
    }
    let inboxId = message.inboxId;
    if (message.connectionId !== undefined) {
      // As the host: the connection decides the inbox; an unknown or removed one is a 404.
      const connection = this.connectionList.find((c) => c.id === message.connectionId);
      if (!connection) throw Object.assign(new Error(`no connection ${message.connectionId} of the channel ${this.plugin.channel}`), { statusCode: 404 });
      inboxId = connection.inboxId;
    }
    let conversationId: string | undefined;
    if (message.continuesConversationId !== undefined) {
      // Rule 12: joins a conversation that exists in that inbox (the host also checks that it was answered on this channel).
      const continued = this.conversation(message.continuesConversationId);
      if (!continued || (inboxId !== undefined && continued.inboxId !== inboxId)) {
        throw Object.assign(new Error(`continuesConversationId: no conversation ${message.continuesConversationId} to continue`), { statusCode: 400 });
      }
      conversationId = continued.conversationId;
    } else {
      const threadKey = `${inboxId ?? ''}\u0000${message.channel}\u0000${message.externalThreadId}`;
      conversationId = this.threads.get(threadKey);
      if (!conversationId) {
        conversationId = randomUUID();
        this.threads.set(threadKey, conversationId);
      }
    }
    if (reaction) {
      // As the host: a reaction needs its conversation and the message it names (404 otherwise); recorded once.
      const thread = this.stored.filter((m) => m.conversationId === conversationId);
      // (The fake knows the contact's messages only; the host also takes a delivered reply's id on the channel.)
      if (thread.length === 0) throw Object.assign(new Error(`thread ${JSON.stringify(message.externalThreadId)} not found`), { statusCode: 404 });
      const targetId = thread.find((m) => m.externalMessageId === reaction.toExternalMessageId)?.messageId;
      if (!targetId)
        throw Object.assign(new Error(`the message ${JSON.stringify(reaction.toExternalMessageId)} that the reaction is for is not in this conversation`), {
          statusCode: 404,
        });
      const duplicate = this.reactions.some((r) => r.conversationId === conversationId && r.externalMessageId === message.externalMessageId);
      if (!duplicate)
        this.reactions.push({
          conversationId: conversationId!,
          messageId: targetId,
          externalMessageId: message.externalMessageId,
          emoji: reaction.emoji.trim(),
          from: message.from.address,
        });
      const result: IngestResult = { conversationId: conversationId!, messageId: targetId, duplicate };
      this.ingestCalls.push({ message: structuredClone(message), options, result });
      return result;
    }
    const existing = this.stored.find((m) => m.conversationId === conversationId && m.externalMessageId === message.externalMessageId);
    const result: IngestResult = existing
      ? { conversationId, messageId: existing.messageId, duplicate: true }
      : { conversationId, messageId: randomUUID(), duplicate: false };
    if (!existing) {
      const storedAt = new Date().toISOString();
      // As the host: the files are kept with the conversation and named on the message.
      const kept = files.map((f) => ({ id: randomUUID(), filename: f.filename, contentType: f.contentType, size: f.content.length }));
      const attachments = [...(message.attachments ?? []), ...kept];
      this.stored.push({
        ...structuredClone(message),
        ...(attachments.length > 0 ? { attachments } : {}),
        ...(inboxId === undefined ? {} : { inboxId }),
        conversationId,
        messageId: result.messageId,
        storedAt,
      });
      // Rule 8: a new inbound message reopens a closed conversation.
      if (!this.statuses.has(conversationId)) this.statuses.set(conversationId, 'open');
      else this.setStatus(conversationId, 'open');
    }
    this.ingestCalls.push({ message: structuredClone(message), options, result });
    return result;
  }

  private declareRoute(method: 'GET' | 'POST', path: string, handler: RouteHandler, options: RouteOptions = {}): void {
    this.mustDeclareInConnect(`a route (${method} ${path})`);
    const relative = normaliseRoutePath(path);
    if (relative === null) this.fail(`route path ${JSON.stringify(path)} must be relative segments like "messages" or "forms/:formId/submissions"`);
    if (typeof handler !== 'function') this.fail(`the handler of ${method} ${path} must be a function`);
    const page = options.page === true;
    if (page && method !== 'GET') this.fail(`${method} ${relative} cannot be a page; pages are get routes (post a page's form to a public route)`);
    if (page && RESERVED_PAGE_PREFIXES.includes(this.plugin.id)) this.fail(`its pages would be mounted at /${this.plugin.id}/, one of Parley's own paths`);
    const isPublic = page || options.public === true;
    const url = page ? `/${this.plugin.id}/${relative}` : `${isPublic ? '' : '/api'}/channels/${this.plugin.id}/${relative}`;
    if (this.routes.some((r) => r.method === method && r.url === url)) this.fail(`${method} ${url} is declared twice`);
    this.routes.push({ method, path: relative!, url, public: isPublic, rawBody: options.rawBody === true, page, handler });
  }

  private declareMetric(kind: 'counter' | 'gauge' | 'histogram', name: string, help: string, labelNames: readonly string[] = []): Map<string, number> {
    if (typeof name !== 'string' || !PLUGIN_METRIC_NAME_PATTERN.test(name))
      this.fail(`metric names are lower snake case like "smtp_sessions_total" (got ${JSON.stringify(name)})`);
    if (typeof help !== 'string' || help.trim() === '') this.fail(`metric "${name}" needs a help text`);
    const existing = this.metrics.get(name);
    if (existing && (existing.kind !== kind || existing.labelNames.join(',') !== labelNames.join(',')))
      this.fail(`metric "${name}" is already a ${existing.kind} with other labels`);
    if (existing) return existing.values;
    const values = new Map<string, number>();
    this.metrics.set(name, { kind, labelNames: [...labelNames], values });
    return values;
  }

  private addTo(values: Map<string, number>, name: string, labels: MetricLabels, by: number): void {
    const declared = this.metrics.get(name)!.labelNames;
    const unknown = Object.keys(labels).find((label) => !declared.includes(label));
    if (unknown !== undefined) this.fail(`metric "${name}" has no label "${unknown}" (declared: ${declared.join(', ') || 'none'})`);
    const key = labelKey(labels);
    values.set(key, (values.get(key) ?? 0) + by);
  }

  private mustDeclareInConnect(what: string): void {
    if (!this.declaring) this.fail(`${what} can only be declared in connect()`);
  }

  private checkKey(key: string): string {
    if (typeof key !== 'string' || !PLUGIN_SETTING_KEY_PATTERN.test(key))
      this.fail(`setting keys are upper snake case like "OUTBOUND_URL" (got ${JSON.stringify(key)})`);
    return key;
  }

  private checkJobType(type: string): void {
    if (typeof type !== 'string' || !JOB_TYPE_PATTERN.test(type)) this.fail(`job types are lower-case words like "poll" (got ${JSON.stringify(type)})`);
  }

  /** Records the problem and throws, as the real host would refuse it. */
  private fail(problem: string): never {
    const text = `plugin "${this.plugin.id}": ${problem}`;
    this.problems.push(text);
    throw new Error(text);
  }

  /** Records any use of a property the interface does not have (the plugin would crash against the real host). */
  private strict<T extends object>(name: string, target: T): T {
    return new Proxy(Object.freeze(target), {
      get: (object, property, receiver) => {
        if (typeof property === 'string' && !(property in object) && !TOOLING_PROPERTIES.has(property)) {
          this.problems.push(`plugin "${this.plugin.id}" used ${name}.${property}, which is not part of the plugin interface`);
        }
        return Reflect.get(object, property, receiver);
      },
    });
  }
}

/** What is wrong with an inbound message as the core would see it. */
export function inboundProblems(message: InboundMessage, channel: string): string[] {
  if (typeof message !== 'object' || message === null) return ['the message must be an object'];
  const problems: string[] = [];
  const text = (value: unknown) => typeof value === 'string' && value.trim() !== '';
  if (message.channel !== channel) problems.push(`channel must be the plugin's channel "${channel}" (got ${JSON.stringify(message.channel)})`);
  if (!text(message.externalThreadId)) problems.push('externalThreadId must be a non-empty string');
  if (!text(message.externalMessageId)) problems.push('externalMessageId must be a non-empty string (it is the idempotency key)');
  if (typeof message.from !== 'object' || message.from === null || !text(message.from.address)) problems.push('from.address must be a non-empty string');
  if (!Array.isArray(message.to) || message.to.some((p) => typeof p !== 'object' || p === null || !text(p.address)))
    problems.push('to must be a list of {address}');
  if (message.cc !== undefined && (!Array.isArray(message.cc) || message.cc.some((p) => typeof p !== 'object' || p === null || !text(p.address))))
    problems.push('cc must be a list of {address}, or left out');
  if (typeof message.text !== 'string') problems.push('text must be a string');
  if (message.subject !== undefined && typeof message.subject !== 'string') problems.push('subject must be a string when given');
  if (message.html !== undefined && typeof message.html !== 'string') problems.push('html must be a string when given');
  if (message.receivedAt !== undefined && Number.isNaN(Date.parse(message.receivedAt))) problems.push('receivedAt must be an ISO-8601 time when given');
  return problems;
}

/**
 * What the host refuses in a message's files, fields, reaction and spam (its limits: 10 files of at
 * most 25 MiB each and 50 MiB in all; 50 fields, keys of 1 to 64 characters, an English label,
 * values of at most 10,000 characters, http(s) URLs of at most 2,000).
 */
export function inboundExtrasProblems(message: InboundMessage): string[] {
  const problems: string[] = [];
  const { files, fields, reaction, spam } = message as Partial<Record<'files' | 'fields' | 'reaction' | 'spam', unknown>>;
  if (files !== undefined) {
    if (!Array.isArray(files) || files.length > 10) problems.push('files must be a list of at most 10 files');
    else {
      let total = 0;
      files.forEach((f: Partial<InboundFile> | null, i) => {
        if (!Buffer.isBuffer(f?.content) || f.content.length === 0 || f.content.length > 25 * 1024 * 1024)
          problems.push(`files[${i}].content must be a non-empty Buffer of at most 25 MiB`);
        else total += f.content.length;
        if (typeof f?.contentType !== 'string' || !/^[a-z0-9][\w!#$&^.+-]*\/[a-z0-9][\w!#$&^.+-]*$/i.test(f.contentType.split(';')[0]!.trim()))
          problems.push(`files[${i}].contentType must be a media type like image/jpeg`);
        if (f?.filename !== undefined && typeof f.filename !== 'string') problems.push(`files[${i}].filename must be text`);
      });
      if (total > 50 * 1024 * 1024) problems.push('files must hold at most 50 MiB in all');
    }
  }
  if (fields !== undefined) {
    if (!Array.isArray(fields) || fields.length > 50) problems.push('fields must be a list of at most 50 fields');
    else
      fields.forEach((f: Partial<MessageField> | null, i) => {
        if (typeof f?.key !== 'string' || f.key.trim() === '' || f.key.length > 64) problems.push(`fields[${i}].key must be 1 to 64 characters`);
        if (typeof f?.label?.en !== 'string' || f.label.en.trim() === '') problems.push(`fields[${i}].label must have a non-empty English text`);
        if (typeof f?.value !== 'string' || f.value.length > 10_000) problems.push(`fields[${i}].value must be text of at most 10,000 characters`);
        if (f?.url !== undefined && (typeof f.url !== 'string' || f.url.length > 2000 || !/^https?:\/\/[^\s/]/i.test(f.url)))
          problems.push(`fields[${i}].url must be an http(s) URL of at most 2,000 characters`);
      });
  }
  const r = reaction as { toExternalMessageId?: unknown; emoji?: unknown } | null | undefined;
  if (r !== undefined && (typeof r?.toExternalMessageId !== 'string' || r.toExternalMessageId === '' || typeof r.emoji !== 'string'))
    problems.push('reaction must be { toExternalMessageId, emoji } with strings');
  if (spam !== undefined && typeof spam !== 'boolean') problems.push('spam must be true or false');
  return problems;
}

/** One label set, in a form independent of key order. */
function labelKey(labels: MetricLabels): string {
  return JSON.stringify(
    Object.entries(labels)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([name, value]) => [name, String(value)]),
  );
}

function matchPath(pattern: string, path: string): Record<string, string> | null {
  const want = pattern.split('/');
  const got = path.replace(/\/+$/, '').split('/');
  if (want.length !== got.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < want.length; i += 1) {
    if (want[i].startsWith(':')) params[want[i].slice(1)] = decodeURIComponent(got[i]);
    else if (want[i] !== got[i]) return null;
  }
  return params;
}

const REASONS: Record<number, string> = { 400: 'Bad Request', 401: 'Unauthorized', 404: 'Not Found', 500: 'Internal Server Error' };

function errorResponse(status: number, message: string): ChannelResponse {
  return { status, body: { statusCode: status, error: REASONS[status] ?? 'Error', message } };
}
