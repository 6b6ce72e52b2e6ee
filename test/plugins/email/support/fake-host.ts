import { Registry } from 'prom-client';
import { createPluginMetrics } from '../../../../src/infrastructure/metrics/plugin-metrics';
import { MemoryPluginStorage } from '../../../../src/plugins/testing/memory-plugin-storage';
import type {
  AgentActivity,
  ChannelHostConnection,
  ChannelListener,
  ChannelRequest,
  ChannelResponse,
  DeletedConversation,
  InboundMessage,
  IngestResult,
  PluginJobHandler,
  PluginStorage,
  RouteHandler,
} from '../../../../src/plugins/channel-plugin';

/**
 * A host connection for testing the email plugin alone: ingest keeps messages in memory with the
 * core's idempotency (same inbox, thread and message id -> duplicate), listeners are started and
 * stopped by the test, routes can be called directly.
 */
export class FakeHost {
  readonly messages: InboundMessage[] = [];
  readonly listeners: ChannelListener[] = [];
  readonly routes = new Map<string, RouteHandler>();
  readonly jobs = new Map<string, PluginJobHandler>();
  /** What the plugin logged, to check what it says (and never says). */
  readonly logs: { level: string; fields: object; message: string }[] = [];
  readonly deletedForeverHandlers: ((conversation: DeletedConversation) => Promise<void>)[] = [];
  /** Agent ids without access to any conversation (conversations.canRead answers false). */
  readonly agentsWithoutAccess = new Set<string>();
  /** Makes the next ingest calls fail with this error (a core that refuses or is down). */
  failIngestWith: Error | null = null;
  private readonly seen = new Map<string, IngestResult>();
  /** Where the plugin's metrics go: the host's own factories over a registry of this fake's. */
  readonly metricsRegistry = new Registry();

  /** Status changes and agent activity the plugin subscribed to (the email channel subscribes to none today). */
  readonly statusChangeHandlers: ((change: { conversationId: string; status: 'open' | 'closed'; at: string }) => void)[] = [];
  readonly agentActivityHandlers: ((activity: AgentActivity) => void)[] = [];
  /** The plugin's documents (`connection.storage`): give two hosts one storage to play a restart. */
  readonly storage: PluginStorage;

  constructor(
    private readonly settings: Record<string, string> = {},
    options: { storage?: PluginStorage } = {},
  ) {
    this.storage = options.storage ?? new MemoryPluginStorage();
  }

  readonly connection: ChannelHostConnection = {
    ingest: async (message: InboundMessage): Promise<IngestResult> => {
      if (this.failIngestWith) throw this.failIngestWith;
      const conversationId = conversationIdOf(message);
      const key = `${conversationId}|${message.externalMessageId}`;
      const known = this.seen.get(key);
      if (known) return { ...known, duplicate: true };
      const result = { conversationId, messageId: `m${this.seen.size + 1}`, duplicate: false };
      this.seen.set(key, result);
      this.messages.push(message);
      return result;
    },
    routes: {
      get: (path, handler) => void this.routes.set(`GET ${path}`, handler),
      post: (path, handler) => void this.routes.set(`POST ${path}`, handler),
    },
    listen: (listener) => void this.listeners.push(listener),
    soleInstance: true,
    config: {
      get: (key) => this.settings[key] || undefined,
      require: (key) => {
        const value = this.settings[key];
        if (!value) throw new Error(`PARLEY_PLUGIN_EMAIL_${key} is not set`);
        return value;
      },
      variableName: (key) => `PARLEY_PLUGIN_EMAIL_${key}`,
    },
    logger: {
      debug: (fields, message) => void this.logs.push({ level: 'debug', fields, message }),
      info: (fields, message) => void this.logs.push({ level: 'info', fields, message }),
      warn: (fields, message) => void this.logs.push({ level: 'warn', fields, message }),
      error: (fields, message) => void this.logs.push({ level: 'error', fields, message }),
    },
    // The email channel speaks SMTP only: an HTTP request from it would be a bug worth failing on.
    http: { request: async () => Promise.reject(new Error('the email channel made an HTTP request')) },
    conversations: {
      canRead: async (agent, conversationId) => !this.agentsWithoutAccess.has(agent.id) && this.messages.some((m) => conversationIdOf(m) === conversationId),
      attachmentIds: async (conversationId) => {
        const messages = this.messages.filter((m) => conversationIdOf(m) === conversationId);
        return messages.length === 0 ? null : [...new Set(messages.flatMap((m) => (m.attachments ?? []).map((a) => a.id)))];
      },
      onDeletedForever: (handler) => void this.deletedForeverHandlers.push(handler),
      get: async (conversationId) => {
        const [first] = this.messages.filter((m) => conversationIdOf(m) === conversationId);
        if (!first) return null;
        return {
          conversationId,
          inboxId: first.inboxId ?? 'default',
          externalThreadId: first.externalThreadId,
          status: 'open',
          hidden: false,
          contact: { address: first.from.address, ...(first.from.name ? { name: first.from.name } : {}) },
          lastContactMessageAt: first.receivedAt ?? new Date(0).toISOString(),
        };
      },
      messages: async (conversationId) => {
        const messages = this.messages.filter((m) => conversationIdOf(m) === conversationId);
        if (messages.length === 0) return null;
        return messages.map((m, i) => ({
          messageId: `m${i + 1}`,
          direction: 'inbound' as const,
          ...(m.from.name ? { authorName: m.from.name } : {}),
          text: m.text,
          at: m.receivedAt ?? new Date(0).toISOString(),
          channel: m.channel,
        }));
      },
      onStatusChange: (handler) => void this.statusChangeHandlers.push(handler),
      close: async () => undefined,
      requestHandoff: async () => undefined,
      reportStatus: async () => undefined,
    },
    connections: {
      list: async () => [],
      get: async () => null,
      onChange: () => undefined,
    },
    // Through `this.storage` when called: it is set in the constructor, after this field's initialiser ran.
    storage: {
      get: (key) => this.storage.get(key),
      set: (key, value) => this.storage.set(key, value),
      setIfAbsent: (key, value) => this.storage.setIfAbsent(key, value),
      delete: (key) => this.storage.delete(key),
      list: (prefix, options) => this.storage.list(prefix, options),
    },
    activity: {
      onAgentActivity: (handler) => void this.agentActivityHandlers.push(handler),
      contactTyping: () => undefined,
      agentsAvailable: async () => true,
      teamStatus: async () => ({ agentsAvailable: true, open: true, nextOpenAt: null, timeZone: 'UTC', botActive: false }),
    },
    metrics: createPluginMetrics(this.metricsRegistry, 'email'),
    jobs: {
      register: (type, handler) => void this.jobs.set(type, handler),
      schedule: async () => ({ jobId: 'job', duplicate: false }),
    },
  };

  async start(): Promise<void> {
    for (const listener of this.listeners) await listener.start();
  }

  async stop(): Promise<void> {
    for (const listener of [...this.listeners].reverse()) await listener.stop();
  }

  async call(method: 'GET' | 'POST', path: string, request: Partial<ChannelRequest> = {}): Promise<ChannelResponse> {
    const handler = this.routes.get(`${method} ${path}`);
    if (!handler) throw new Error(`no route ${method} ${path}`);
    return handler({ params: {}, query: {}, headers: {}, body: undefined, ip: '127.0.0.1', signal: new AbortController().signal, ...request });
  }

  /** Deletes a conversation forever as the core would: its messages go, then the plugin hears of it. */
  async deleteForever(conversationId: string): Promise<void> {
    const messages = this.messages.filter((m) => conversationIdOf(m) === conversationId);
    if (messages.length === 0) throw new Error(`no conversation ${conversationId}`);
    for (const message of messages) this.messages.splice(this.messages.indexOf(message), 1);
    for (const key of [...this.seen.keys()]) if (key.startsWith(`${conversationId}|`)) this.seen.delete(key);
    const attachmentIds = [...new Set(messages.flatMap((m) => (m.attachments ?? []).map((a) => a.id)))];
    const deleted = { conversationId, inboxId: messages[0].inboxId ?? 'default', externalThreadId: messages[0].externalThreadId, attachmentIds };
    for (const handler of this.deletedForeverHandlers) await handler(deleted);
  }

  /** Conversations as the core would group them: inbox + thread. */
  conversations(): Map<string, InboundMessage[]> {
    const byThread = new Map<string, InboundMessage[]>();
    for (const message of this.messages) {
      const key = `${message.inboxId ?? 'default'}|${message.externalThreadId}`;
      byThread.set(key, [...(byThread.get(key) ?? []), message]);
    }
    return byThread;
  }
}

const conversationIdOf = (message: InboundMessage) => `${message.inboxId ?? 'default'}|${message.externalThreadId}`;
