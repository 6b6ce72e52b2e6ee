import type { Logger } from 'pino';
import type { ChannelConnection, InboundMessage } from '../../application/ports/channel.port';
import { PermanentJobError, type JobQueue } from '../../application/ports/job-queue.port';
import { describeError } from '../../infrastructure/http/describe-error';
import { createOutboundHttp } from '../../infrastructure/outbound/outbound-guard';
import { REDACTED_PATHS } from '../../infrastructure/logging/logger';
import {
  pluginSettingVariable,
  PLUGIN_SETTING_KEY_PATTERN,
  type ChannelHostConnection,
  type ChannelListener,
  type ChannelPlugin,
  type PluginHttp,
  type DeletedConversation,
  type PluginAgent,
  type IngestOptions,
  type PluginConfig,
  type PluginJobHandler,
  type PluginJobOptions,
  type PluginMetrics,
  type AgentActivity,
  type PluginChannelConnection,
  type PluginConnections,
  type PluginConversation,
  type PluginConversationMessage,
  type PluginStorage,
  type ReplyStatusReport,
  type RouteHandler,
  type RouteOptions,
  type TeamStatus,
} from '../channel-plugin';
import { JOB_TYPE_PATTERN, normaliseRoutePath, RESERVED_PAGE_PREFIXES } from '../plugin-shape';

/** A route a plugin declared, before the registry mounts it. */
export interface DeclaredRoute {
  method: 'GET' | 'POST';
  /** Relative to the plugin's prefix, without a leading slash. */
  path: string;
  handler: RouteHandler;
  public: boolean;
  rawBody: boolean;
  /** A page (RouteOptions.page): public, mounted at `/<plugin id>/<path>` with the host's page headers. Absent: false. */
  page?: boolean;
}

/** What a plugin declared during connect. */
export interface PluginDeclarations {
  routes: DeclaredRoute[];
  listeners: ChannelListener[];
  /** Handlers for conversations of its channel deleted forever. */
  deletedForever: ((conversation: DeletedConversation) => Promise<void>)[];
}

/** What the host answers about conversations, for any channel; the connection narrows it to the plugin's own. */
export interface HostConversations {
  canRead(agent: PluginAgent, conversationId: string, channel: string): Promise<boolean>;
  attachmentIds(conversationId: string, channel: string): Promise<string[] | null>;
  get(conversationId: string, channel: string): Promise<PluginConversation | null>;
  messages(conversationId: string, channel: string): Promise<PluginConversationMessage[] | null>;
  /** Closes on the channel's behalf (system actor); a no-op when closed, hidden or gone. */
  close(conversationId: string, channel: string, reason: 'inactivity'): Promise<void>;
  /** The contact asked for a person (contact actor); a no-op when asked before, closed, hidden or gone. */
  requestHandoff(conversationId: string, channel: string): Promise<void>;
  /** Records a channel's receipt for one of its replies; a no-op for an unknown conversation or reply. */
  reportStatus(report: ReplyStatusReport, channel: string): Promise<void>;
  /** Registers a handler for status changes of one channel's conversations. */
  onStatusChange(channel: string, handler: (change: { conversationId: string; status: 'open' | 'closed'; at: string }) => void): void;
}

/** The host's store of channel connections (event-sourced), narrowed to one plugin by the connection. */
export interface HostConnections {
  list(pluginId: string): Promise<PluginChannelConnection[]>;
  get(pluginId: string, connectionId: string): Promise<PluginChannelConnection | null>;
  onChange(pluginId: string, handler: (change: { type: 'created' | 'changed' | 'removed'; connectionId: string }) => void): void;
}

/** Live agent activity and availability, narrowed to one channel by the connection. */
export interface HostActivity {
  onAgentActivity(channel: string, handler: (activity: AgentActivity) => void): void;
  contactTyping(conversationId: string, channel: string): void;
  agentsAvailable(inboxId: string): Promise<boolean>;
  teamStatus(inboxId: string): Promise<TeamStatus>;
}

/** What the host measures through a plugin's connection. */
export interface HostMetrics {
  forPlugin(pluginId: string): PluginMetrics;
  countIngest(channel: string, outcome: 'stored' | 'duplicate' | 'rejected' | 'error'): void;
}

/** An ingest the core refused (bad message, unknown inbox, no access): carries the HTTP status a route should answer. */
export class IngestRejectedError extends Error {
  constructor(
    message: string,
    readonly statusCode: number,
  ) {
    super(message);
    this.name = 'IngestRejectedError';
  }
}

/** Field names a plugin's logger blanks besides the process-wide ones (webhook signatures, API keys). */
const PLUGIN_SECRET_FIELDS = ['signature', 'apiKey', 'accessToken', 'appSecret', 'x-parley-signature', 'x-hub-signature-256'];
// At the same depths as the process-wide list (top level, and up to three objects down).
const redactedAtEveryDepth = (fields: readonly string[]) =>
  fields.flatMap((field) =>
    [0, 1, 2, 3].map((depth) => {
      const parents = '*.'.repeat(depth);
      return /^\w+$/.test(field) ? `${parents}${field}` : `${parents.slice(0, -1)}[${JSON.stringify(field)}]`;
    }),
  );
const PLUGIN_REDACTED_PATHS = [...REDACTED_PATHS, ...redactedAtEveryDepth(PLUGIN_SECRET_FIELDS)];

const settingVariable = pluginSettingVariable;

export const pluginJobType = (pluginId: string, type: string) => `plugin.${pluginId}.${type}`;

/**
 * Builds the narrow connection one plugin gets. Declarations (routes, listeners, job handlers)
 * are accepted only while `connect` runs; `close()` ends that window.
 */
export function createHostConnection(
  plugin: ChannelPlugin,
  host: {
    ingest: ChannelConnection;
    jobs: JobQueue;
    logger: Logger;
    env: NodeJS.ProcessEnv;
    allowPrivateNetwork: boolean;
    conversations: HostConversations;
    /** The plugin's metric factories, and where each ingest's outcome is counted. */
    metrics: HostMetrics;
    connections: HostConnections;
    /** The plugin's own document store. */
    storage: (pluginId: string) => PluginStorage;
    activity: HostActivity;
    /** No other instance shares the storage (ChannelHostConnection.soleInstance). */
    soleInstance: boolean;
  },
): { connection: ChannelHostConnection; declarations: PluginDeclarations; closeDeclarations(): void } {
  const declarations: PluginDeclarations = { routes: [], listeners: [], deletedForever: [] };
  let declaring = true;
  const mustDeclareInConnect = (what: string) => {
    if (!declaring) throw new Error(`plugin "${plugin.id}": ${what} can only be declared in connect()`);
  };

  const declareRoute =
    (method: DeclaredRoute['method']) =>
    (path: string, handler: RouteHandler, options: RouteOptions = {}) => {
      mustDeclareInConnect(`routes (${method} ${path})`);
      const relative = normaliseRoutePath(path);
      if (relative === null) {
        throw new Error(`plugin "${plugin.id}": route path ${JSON.stringify(path)} must be relative segments like "messages" or "forms/:formId/submissions"`);
      }
      if (typeof handler !== 'function') throw new Error(`plugin "${plugin.id}": the handler of ${method} ${relative} must be a function`);
      const page = options.page === true;
      if (page && method !== 'GET') {
        throw new Error(`plugin "${plugin.id}": ${method} ${relative} cannot be a page; pages are get routes (post a page's form to a public route)`);
      }
      if (page && RESERVED_PAGE_PREFIXES.includes(plugin.id)) {
        throw new Error(
          `plugin "${plugin.id}": its pages would be mounted at /${plugin.id}/, one of Parley's own paths (${RESERVED_PAGE_PREFIXES.map((p) => `/${p}`).join(', ')}); give the plugin another id`,
        );
      }
      const isPublic = page || options.public === true;
      if (declarations.routes.some((r) => r.method === method && r.path === relative && r.public === isPublic && r.page === page)) {
        throw new Error(`plugin "${plugin.id}": ${method} ${relative} is declared twice`);
      }
      declarations.routes.push({ method, path: relative, handler, public: isPublic, rawBody: options.rawBody === true, page });
    };

  const config: PluginConfig = {
    get: (key) => {
      const value = host.env[settingVariable(plugin.id, checkKey(plugin.id, key))];
      return value === undefined || value === '' ? undefined : value;
    },
    require: (key) => {
      const value = config.get(key);
      if (value === undefined) throw new Error(`plugin "${plugin.id}" needs the setting ${settingVariable(plugin.id, key)}; set it in the environment`);
      return value;
    },
    variableName: (key) => settingVariable(plugin.id, checkKey(plugin.id, key)),
  };

  // The secret settings of its channel connections (chat's identityVerificationSecret …) are blanked too, wherever it logs them.
  const connectionSecrets = (plugin.connectionSettings?.secrets ?? []).filter((key) => typeof key === 'string' && /^[\w-]{1,100}$/.test(key));
  const logger = host.logger.child(
    { plugin: plugin.id },
    { redact: { paths: [...new Set([...PLUGIN_REDACTED_PATHS, ...redactedAtEveryDepth(connectionSecrets)])] } },
  );
  // The plugin's own logger, so a refused target is logged with the plugin that asked for it.
  const http: PluginHttp = createOutboundHttp({ allowPrivateNetwork: host.allowPrivateNetwork, logger });

  const connection: ChannelHostConnection = {
    ingest: async (message, options: IngestOptions = {}) => {
      if (typeof message !== 'object' || message === null) throw new IngestRejectedError('ingest needs an inbound message object', 400);
      if (message.channel !== plugin.channel) {
        throw new Error(
          `plugin "${plugin.id}" ingested a message for channel ${JSON.stringify(message.channel)}; its messages must use its own channel "${plugin.channel}"`,
        );
      }
      if (message.connectionId !== undefined) {
        try {
          message = await throughConnection(message, (connectionId) => host.connections.get(plugin.id, connectionId));
        } catch (error) {
          host.metrics.countIngest(plugin.channel, 'rejected');
          throw error;
        }
      }
      try {
        const result = await host.ingest.ingest(message, options);
        host.metrics.countIngest(plugin.channel, result.duplicate ? 'duplicate' : 'stored');
        return result;
      } catch (error) {
        const described = describeError(error);
        host.metrics.countIngest(plugin.channel, described.statusCode >= 500 ? 'error' : 'rejected');
        if (described.statusCode >= 500) throw error;
        const text = Array.isArray(described.message) ? described.message.join('; ') : described.message;
        throw new IngestRejectedError(text, described.statusCode);
      }
    },
    routes: { get: declareRoute('GET'), post: declareRoute('POST') },
    listen: (listener) => {
      mustDeclareInConnect('listeners');
      if (typeof listener?.start !== 'function' || typeof listener?.stop !== 'function') {
        throw new Error(`plugin "${plugin.id}": a listener needs start() and stop()`);
      }
      declarations.listeners.push(listener);
    },
    config,
    logger,
    http: Object.freeze({ request: http.request }),
    conversations: pluginConversations(plugin, host.conversations, declarations, mustDeclareInConnect),
    metrics: host.metrics.forPlugin(plugin.id),
    connections: Object.freeze({
      list: () => host.connections.list(plugin.id),
      get: async (connectionId: string) => (typeof connectionId === 'string' ? host.connections.get(plugin.id, connectionId) : null),
      onChange: (handler: Parameters<PluginConnections['onChange']>[0]) => {
        mustDeclareInConnect('the handler for connection changes');
        if (typeof handler !== 'function') throw new Error(`plugin "${plugin.id}": connections.onChange needs a function`);
        host.connections.onChange(plugin.id, handler);
      },
    }),
    storage: host.storage(plugin.id),
    soleInstance: host.soleInstance,
    activity: Object.freeze({
      onAgentActivity: (handler: (activity: AgentActivity) => void) => {
        mustDeclareInConnect('the handler for agent activity');
        if (typeof handler !== 'function') throw new Error(`plugin "${plugin.id}": activity.onAgentActivity needs a function`);
        host.activity.onAgentActivity(plugin.channel, handler);
      },
      contactTyping: (conversationId: string) => {
        if (typeof conversationId === 'string') host.activity.contactTyping(conversationId, plugin.channel);
      },
      agentsAvailable: async (inboxId: string) => typeof inboxId === 'string' && (await host.activity.agentsAvailable(inboxId)),
      teamStatus: async (inboxId: string) => {
        if (typeof inboxId !== 'string') throw new Error(`plugin "${plugin.id}": activity.teamStatus needs an inbox id (got ${JSON.stringify(inboxId)})`);
        return host.activity.teamStatus(inboxId);
      },
    }),
    jobs: {
      register: (type: string, handler: PluginJobHandler) => {
        mustDeclareInConnect(`job handlers (${type})`);
        checkJobType(plugin.id, type);
        const prefix = `${pluginJobType(plugin.id, '')}`;
        host.jobs.register(pluginJobType(plugin.id, type), async (data, job) => {
          try {
            await handler(data, {
              jobId: job.jobId.startsWith(prefix) ? job.jobId.slice(prefix.length) : job.jobId,
              attempt: job.attempt,
              attempts: job.attempts,
            });
          } catch (error) {
            if ((error as { permanent?: unknown })?.permanent === true) throw new PermanentJobError((error as Error).message ?? 'permanent failure', error);
            throw error;
          }
        });
      },
      schedule: (type: string, data: Record<string, unknown>, options: PluginJobOptions = {}) => {
        checkJobType(plugin.id, type);
        const { jobId, delayMs, attempts, backoff } = options;
        return host.jobs
          .enqueue(pluginJobType(plugin.id, type), data, {
            ...(jobId === undefined ? {} : { jobId: pluginJobType(plugin.id, jobId) }),
            ...(delayMs === undefined ? {} : { delayMs }),
            ...(attempts === undefined ? {} : { attempts }),
            ...(backoff === undefined ? {} : { backoff }),
          })
          .then((result) => ({ ...result, jobId: jobId ?? result.jobId }));
      },
    },
  };
  return { connection: Object.freeze(connection), declarations, closeDeclarations: () => (declaring = false) };
}

function pluginConversations(
  plugin: ChannelPlugin,
  host: HostConversations,
  declarations: PluginDeclarations,
  mustDeclareInConnect: (what: string) => void,
): ChannelHostConnection['conversations'] {
  return Object.freeze({
    canRead: async (agent: PluginAgent, conversationId: string) =>
      typeof agent?.id === 'string' && typeof conversationId === 'string' && (await host.canRead(agent, conversationId, plugin.channel)),
    attachmentIds: async (conversationId: string) => (typeof conversationId === 'string' ? host.attachmentIds(conversationId, plugin.channel) : null),
    onDeletedForever: (handler: (conversation: DeletedConversation) => Promise<void>) => {
      mustDeclareInConnect('the handler for conversations deleted forever');
      if (typeof handler !== 'function') throw new Error(`plugin "${plugin.id}": onDeletedForever needs a function`);
      declarations.deletedForever.push(handler);
    },
    get: async (conversationId: string) => (typeof conversationId === 'string' ? host.get(conversationId, plugin.channel) : null),
    messages: async (conversationId: string) => (typeof conversationId === 'string' ? host.messages(conversationId, plugin.channel) : null),
    onStatusChange: (handler: (change: { conversationId: string; status: 'open' | 'closed'; at: string }) => void) => {
      mustDeclareInConnect('the handler for status changes');
      if (typeof handler !== 'function') throw new Error(`plugin "${plugin.id}": conversations.onStatusChange needs a function`);
      host.onStatusChange(plugin.channel, handler);
    },
    close: async (conversationId: string, reason: 'inactivity') => {
      if (typeof conversationId !== 'string') throw new IngestRejectedError('close needs a conversation id', 400);
      await host.close(conversationId, plugin.channel, reason);
    },
    reportStatus: async (report: ReplyStatusReport) => host.reportStatus(checkedStatusReport(plugin, report), plugin.channel),
    requestHandoff: async (conversationId: string) => {
      if (typeof conversationId !== 'string') throw new IngestRejectedError('requestHandoff needs a conversation id', 400);
      await host.requestHandoff(conversationId, plugin.channel);
    },
  });
}

/**
 * A message that names the channel connection it arrived through goes to that connection's inbox:
 * an unknown or removed connection, or another plugin's, is refused as unknown (404); an inboxId
 * that says otherwise is a mistake of the plugin (400).
 */
async function throughConnection(message: InboundMessage, lookUp: (connectionId: string) => Promise<PluginChannelConnection | null>): Promise<InboundMessage> {
  const { connectionId } = message;
  if (typeof connectionId !== 'string' || connectionId === '') throw new IngestRejectedError('connectionId must be the id of a channel connection', 400);
  const connection = await lookUp(connectionId);
  if (connection === null) throw new IngestRejectedError(`channel connection ${connectionId} not found; it may have been removed`, 404);
  if (message.inboxId !== undefined && message.inboxId.toLowerCase() !== connection.inboxId) {
    throw new IngestRejectedError(
      `inboxId ${message.inboxId} is not the inbox of channel connection ${connectionId} (${connection.inboxId}); leave inboxId out with a connectionId`,
      400,
    );
  }
  return { ...message, inboxId: connection.inboxId };
}

function checkKey(pluginId: string, key: string): string {
  if (typeof key !== 'string' || !PLUGIN_SETTING_KEY_PATTERN.test(key)) {
    throw new Error(`plugin "${pluginId}": setting keys are upper snake case like "OUTBOUND_URL" (got ${JSON.stringify(key)})`);
  }
  return key;
}

function checkJobType(pluginId: string, type: string): void {
  if (typeof type !== 'string' || !JOB_TYPE_PATTERN.test(type)) {
    throw new Error(`plugin "${pluginId}": job types are lower-case words like "poll" or "sync.contacts" (got ${JSON.stringify(type)})`);
  }
}

const REPORT_STATUSES: readonly string[] = ['delivered', 'read', 'failed'];

/** A plugin's receipt, checked at the boundary: a wrong one is the plugin's bug, named in the error. */
function checkedStatusReport(plugin: ChannelPlugin, report: ReplyStatusReport): ReplyStatusReport {
  const fail = (what: string) => new Error(`plugin "${plugin.id}": conversations.reportStatus ${what}`);
  if (typeof report !== 'object' || report === null) throw fail('needs a report object');
  if (typeof report.conversationId !== 'string' || typeof report.messageId !== 'string') throw fail('needs conversationId and messageId strings');
  if (!REPORT_STATUSES.includes(report.status)) throw fail(`takes status delivered, read or failed (got ${JSON.stringify(report.status)})`);
  if (typeof report.at !== 'string' || Number.isNaN(Date.parse(report.at))) throw fail(`needs \`at\` as an ISO time (got ${JSON.stringify(report.at)})`);
  if (report.reason !== undefined && typeof report.reason !== 'string') throw fail('takes `reason` as a string');
  return report;
}
