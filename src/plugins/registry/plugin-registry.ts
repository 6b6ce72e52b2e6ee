import { Inject, Injectable, Optional } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { InboxAccess } from '../../application/access/inbox-access';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { CHANNEL_CONNECTION, type ChannelConnection } from '../../application/ports/channel.port';
import type { ChannelCatalog, ChannelMessageTemplate, ChannelReplyWindow } from '../../application/ports/channel-catalog.port';
import { CHANNELS, type AttachmentRef, type Channel } from '../../domain/shared/types';
import type { ChannelDelivery, DeliveryResult, OutboundMessage } from '../../application/ports/channel-delivery.port';
import type { ChannelConversationNotices, ConversationDeletedForever } from '../../application/ports/channel-conversations.port';
import { CLOCK, type Clock } from '../../application/ports/clock.port';
import { JOB_QUEUE, type JobQueue } from '../../application/ports/job-queue.port';
import { READ_STORE, type ReadStore } from '../../application/ports/read-store.port';
import { ConfigError, type ParleyConfig } from '../../infrastructure/config/config';
import { authenticateSession } from '../../infrastructure/http/auth/auth.guard';
import { SessionTokens } from '../../infrastructure/http/auth/session-tokens';
import { ParleyMetrics } from '../../infrastructure/metrics/parley-metrics';
import { MemoryPluginStorage } from '../testing/memory-plugin-storage';
import { PLUGIN_DOCUMENTS, type PluginDocumentStore } from '../../infrastructure/plugin-storage/plugin-documents';
import {
  ConnectionSettingsError,
  type ConnectionSettingsSpec,
  type ChannelCapabilities,
  type ChannelPlugin,
  type PluginAgent,
  type PluginStorage,
} from '../channel-plugin';
import { InvalidRequestError } from '../../application/access/inbox-access';
import { ChannelConnectionsDirectory } from '../../application/channel-connections/channel-connections-directory';
import type { ChannelConnectionSpecs, ConnectionField, ConnectionSpec } from '../../application/ports/channel-connection-specs.port';
import { pluginShapeProblems } from '../plugin-shape';
import { BUILT_IN_PLUGINS, type BuiltInPluginContext, type BuiltInPluginFactory } from './built-in-plugins';
import { loadPluginPackage, PluginLoadError } from './load-plugin-package';
import { mountPluginRoutes, routeUrl } from './mount-plugin-routes';
import { createHostConnection, type HostActivity, type HostMetrics, type PluginDeclarations } from './plugin-host-connection';
import { ChannelActivity } from '../../application/live/channel-activity';
import { HostConversationsService } from './host-conversations';

/** A mounted plugin route, for the API reference. */
export interface PluginRoute {
  pluginId: string;
  pluginName: string;
  method: 'GET' | 'POST';
  /** As declared, relative to the plugin's prefix. */
  path: string;
  /** As mounted: `/api/channels/<id>/<path>`, public `/channels/<id>/<path>`, a page `/<id>/<path>`. */
  url: string;
  public: boolean;
  rawBody: boolean;
  page: boolean;
}

/** The host's download of a file it keeps with a conversation (GET /api/conversations/:id/attachments/:attachmentId). */
export const hostAttachmentUrl = (conversationId: string, attachmentId: string) =>
  `/api/conversations/${encodeURIComponent(conversationId)}/attachments/${encodeURIComponent(attachmentId)}`;

/** What GET /api/channels lists for each channel. */
export interface ChannelInfo {
  id: string;
  displayName: string;
  icon: string;
  channel: string;
  capabilities: ChannelCapabilities;
  /** Admins connect it to inboxes (it declares `connectionSettings`): POST /api/inboxes/:id/channels. */
  connectable: boolean;
}

export interface ConnectPluginsOptions {
  /** Parley's configuration: PARLEY_PLUGINS (`plugins`) and what built-in plugins are configured by. */
  config: ParleyConfig;
  /** Where plugin settings (`PARLEY_PLUGIN_<ID>_<KEY>`) are read from. */
  env: NodeJS.ProcessEnv;
  logger: Logger;
  http: FastifyInstance;
  /** Plugins' own metrics and the ingest counter: the app's; default a registry of their own (not served). */
  metrics?: HostMetrics;
  /** No other instance shares the storage (ChannelHostConnection.soleInstance); default false. */
  soleInstance?: boolean;
  /** Built-in plugin factories; default BUILT_IN_PLUGINS. */
  builtIns?: readonly BuiltInPluginFactory[];
  /** Folders to resolve packages from; default the working directory, then Parley's own folder. */
  resolveFrom?: readonly string[];
}

interface Connected {
  plugin: ChannelPlugin;
  /** The package it came from; null for built-ins. */
  packageName: string | null;
  declarations: PluginDeclarations;
}

/** A plugin that takes longer than this to send is counted as a retryable failure (the job worker must not hang). */
const SEND_TIMEOUT_MS = 60_000;

/**
 * The host side of channel plugins: owns the list of channels, hands each plugin its narrow
 * connection, mounts its routes, runs its listeners with the application's lifecycle and sends
 * outbound messages through it (the application's ChannelDelivery port).
 *
 * Order: connectAll (from createApp, before the HTTP server listens) -> startListeners (Lifecycle,
 * once projections caught up) -> stopListeners (shutdown begins) -> disconnectAll (the HTTP server
 * has closed, before storage closes).
 */
@Injectable()
export class PluginRegistry implements ChannelDelivery, ChannelConversationNotices, ChannelCatalog, ChannelConnectionSpecs {
  private readonly connected: Connected[] = [];
  private listenersStarted: { pluginId: string; listener: PluginDeclarations['listeners'][number] }[] = [];
  private logger: Logger | null = null;
  private disconnected = false;

  constructor(
    @Inject(CHANNEL_CONNECTION) private readonly ingest: ChannelConnection,
    @Inject(JOB_QUEUE) private readonly jobs: JobQueue,
    private readonly tokens: SessionTokens,
    private readonly queryBus: QueryBus,
    @Inject(READ_STORE) private readonly readStore: ReadStore,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly access: InboxAccess,
    // Optional so the registry can be built on its own in tests; the app always provides them.
    @Optional() private readonly hostConversations?: HostConversationsService,
    @Optional() private readonly channelActivity?: ChannelActivity,
    @Optional() private readonly connectionsDirectory?: ChannelConnectionsDirectory,
    @Optional() @Inject(PLUGIN_DOCUMENTS) private readonly pluginDocuments?: PluginDocumentStore,
  ) {}

  /**
   * Loads the built-in plugins and the PARLEY_PLUGINS packages, checks each, connects them and
   * mounts their routes. Any problem (a package that cannot be found, a plugin that is not one,
   * two plugins with one id or one channel, a connect that throws) stops start-up with a
   * ConfigError naming the plugin.
   */
  async connectAll(options: ConnectPluginsOptions): Promise<void> {
    if (this.connected.length > 0) throw new Error('plugins are already connected');
    this.logger = options.logger.child({ component: 'plugins' });
    const candidates: { plugin: ChannelPlugin; packageName: string | null }[] = [];
    const context: BuiltInPluginContext = {
      config: options.config,
      clock: this.clock,
      inboxes: {
        findByEmailAddress: async (address) => {
          const inbox = await this.readStore.getInboxByEmailAddress(address);
          return inbox && { id: inbox.id };
        },
      },
    };
    for (const factory of options.builtIns ?? BUILT_IN_PLUGINS) {
      const plugin = factory(context);
      const problems = pluginShapeProblems(plugin);
      if (problems.length > 0)
        throw new Error(`built-in channel plugin ${JSON.stringify((plugin as { id?: unknown })?.id)} is invalid: ${problems.join('; ')}`);
      candidates.push({ plugin, packageName: null });
    }
    for (const packageName of options.config.plugins) {
      try {
        candidates.push({ plugin: loadPluginPackage(packageName, { resolveFrom: options.resolveFrom }), packageName });
      } catch (error) {
        throw error instanceof PluginLoadError ? new ConfigError([error.message]) : error;
      }
    }
    checkUnique(candidates);
    const metrics = options.metrics ?? new ParleyMetrics();

    for (const { plugin, packageName } of candidates) {
      const { connection, declarations, closeDeclarations } = createHostConnection(plugin, {
        ingest: this.ingest,
        jobs: this.jobs,
        logger: options.logger,
        env: options.env,
        allowPrivateNetwork: options.config.allowPrivateNetwork,
        conversations: {
          canRead: (agent, conversationId, channel) => this.canRead(agent, conversationId, channel),
          attachmentIds: (conversationId, channel) => this.attachmentIds(conversationId, channel),
          get: async (conversationId, channel) => (this.hostConversations ? this.hostConversations.get(conversationId, channel) : null),
          messages: async (conversationId, channel) => (this.hostConversations ? this.hostConversations.messages(conversationId, channel) : null),
          close: async (conversationId, channel, reason) => this.hostConversations?.close(conversationId, channel, reason),
          requestHandoff: async (conversationId, channel) => this.hostConversations?.requestHandoff(conversationId, channel),
          reportStatus: async (report, channel) => this.hostConversations?.reportStatus(report, channel),
          onStatusChange: (channel, handler) => this.hostConversations?.onStatusChange(channel, handler),
        },
        activity: this.activity(),
        soleInstance: options.soleInstance ?? false,
        metrics,
        storage: (pluginId) => this.pluginStorage(pluginId),
        connections: {
          list: async (pluginId) => (this.connectionsDirectory ? this.connectionsDirectory.list(pluginId) : []),
          get: async (pluginId, connectionId) => (this.connectionsDirectory ? this.connectionsDirectory.get(pluginId, connectionId) : null),
          onChange: (pluginId, handler) => this.connectionsDirectory?.onChange(pluginId, handler),
        },
      });
      try {
        await plugin.connect(connection);
      } catch (error) {
        const origin = packageName ? `the channel plugin "${plugin.id}" (package ${packageName})` : `the built-in channel plugin "${plugin.id}"`;
        throw new ConfigError([`${origin} could not connect: ${(error as Error)?.message ?? String(error)}`]);
      } finally {
        closeDeclarations();
      }
      this.connected.push({ plugin, packageName, declarations });
      mountPluginRoutes(options.http, plugin.id, declarations.routes, {
        authenticate: (request) => authenticateSession(request, this.tokens, this.queryBus),
        logger: this.logger,
      });
      this.logger.info(
        {
          plugin: plugin.id,
          channel: plugin.channel,
          package: packageName ?? 'built-in',
          routes: declarations.routes.map((r) => `${r.method} ${r.page ? 'page' : r.public ? 'public' : 'authenticated'} ${r.path}`),
          listeners: declarations.listeners.map((l) => l.name),
        },
        'channel plugin connected',
      );
    }
  }

  /** Starts every plugin's listeners (an SMTP server …) in plugin order; a listener that fails to start stops start-up. */
  async startListeners(): Promise<void> {
    for (const { plugin, declarations } of this.connected) {
      for (const listener of declarations.listeners) {
        try {
          await listener.start();
        } catch (error) {
          throw new Error(`channel plugin "${plugin.id}": listener "${listener.name}" could not start: ${(error as Error)?.message ?? String(error)}`, {
            cause: error,
          });
        }
        this.listenersStarted.push({ pluginId: plugin.id, listener });
        this.logger?.info({ plugin: plugin.id, listener: listener.name }, 'channel plugin listener started');
      }
    }
  }

  /**
   * Stops listeners, last started first (on shutdown, before background work stops: no new
   * inbound mail while the rest winds down). Failures are logged, never thrown: shutdown goes on.
   */
  async stopListeners(): Promise<void> {
    for (const { pluginId, listener } of this.listenersStarted.reverse()) {
      try {
        await listener.stop();
      } catch (error) {
        this.logger?.error({ plugin: pluginId, listener: listener.name, err: error }, 'channel plugin listener failed to stop');
      }
    }
    this.listenersStarted = [];
  }

  /**
   * Disconnects every plugin, last connected first: after the HTTP server has closed, so a request
   * still in flight at shutdown is answered by a connected plugin. Failures are logged, never thrown.
   */
  async disconnectAll(): Promise<void> {
    if (this.disconnected) return;
    this.disconnected = true;
    await this.stopListeners();
    for (const { plugin } of [...this.connected].reverse()) {
      try {
        await plugin.disconnect?.();
      } catch (error) {
        this.logger?.error({ plugin: plugin.id, err: error }, 'channel plugin failed to disconnect');
      }
    }
  }

  /** The built-in channels and those of the connected plugins (the application's ChannelCatalog port). */
  knownChannels(): Channel[] {
    return [...new Set<Channel>([...CHANNELS, ...this.connected.map(({ plugin }) => plugin.channel)])];
  }

  /** ChannelCatalog: what the plugin sending on `channel` declares (the UI offers only that). */
  capabilitiesOf(channel: Channel): ChannelCapabilities | null {
    const plugin = this.connected.find((connected) => connected.plugin.channel === channel)?.plugin;
    return plugin ? { ...plugin.capabilities } : null;
  }

  /**
   * ChannelCatalog: the plugin's reply window for a conversation of its channel (null when it
   * declares none). An answer that is not a window is the plugin's mistake: refused, never taken as open.
   */
  async replyWindowOf(conversationId: string, channel: Channel, now: Date): Promise<ChannelReplyWindow | null> {
    const plugin = this.connected.find((connected) => connected.plugin.channel === channel)?.plugin;
    if (!plugin || typeof plugin.replyWindow !== 'function') return null;
    const conversation = await this.hostConversations?.get(conversationId, channel);
    if (!conversation) return null;
    const answer = (await plugin.replyWindow(conversation, now)) as Partial<{ open: unknown; closesAt: unknown; closedAt: unknown; reason: unknown }> | null;
    if (answer?.open === true) return { open: true, closesAt: typeof answer.closesAt === 'string' ? answer.closesAt : null };
    if (answer?.open === false) {
      const reason: Record<string, string> = {};
      if (typeof answer.reason === 'object' && answer.reason !== null) {
        for (const [language, text] of Object.entries(answer.reason)) if (typeof text === 'string' && text.trim()) reason[language] = text.trim();
      }
      return {
        open: false,
        closedAt: typeof answer.closedAt === 'string' ? answer.closedAt : now.toISOString(),
        reason: { ...reason, en: reason.en ?? `the ${plugin.displayName} channel does not allow a free-form reply now` },
      };
    }
    this.logger?.error({ plugin: plugin.id, conversationId }, 'channel plugin answered replyWindow without open: true or false');
    throw new Error(`channel plugin "${plugin.id}" gave an invalid reply window (expected { open: true | false, … })`);
  }

  /** ChannelCatalog: the approved templates of a conversation's channel, those the plugin describes fully; [] without the capability. */
  async templatesOf(conversationId: string, channel: Channel): Promise<ChannelMessageTemplate[]> {
    const plugin = this.connected.find((connected) => connected.plugin.channel === channel)?.plugin;
    if (!plugin?.capabilities.templates || typeof plugin.templates !== 'function') return [];
    const conversation = await this.hostConversations?.get(conversationId, channel);
    if (!conversation) return [];
    const answer: unknown = await plugin.templates(conversation);
    if (!Array.isArray(answer)) return [];
    return answer.flatMap((t: Partial<ChannelMessageTemplate> | null) =>
      t &&
      typeof t.name === 'string' &&
      t.name !== '' &&
      typeof t.language === 'string' &&
      typeof t.body === 'string' &&
      Number.isInteger(t.parameterCount) &&
      (t.parameterCount as number) >= 0
        ? [
            {
              name: t.name,
              language: t.language,
              category: typeof t.category === 'string' ? t.category : '',
              body: t.body,
              parameterCount: t.parameterCount as number,
            },
          ]
        : [],
    );
  }

  /**
   * ChannelCatalog: where agents download a file of a message on `channel`. A plugin that keeps its
   * own files answers its path (only a path on Parley is taken: anything else falls back to the
   * host's, which then answers 404 rather than send agents elsewhere).
   */
  attachmentUrl(channel: Channel, conversationId: string, ref: AttachmentRef): string {
    const plugin = this.connected.find((connected) => connected.plugin.channel === channel)?.plugin;
    if (plugin && typeof plugin.attachmentUrl === 'function') {
      try {
        const url = plugin.attachmentUrl(conversationId, { ...ref });
        if (typeof url === 'string' && /^\/(?![/\\])/.test(url)) return url;
        this.logger?.error({ plugin: plugin.id, conversationId }, 'channel plugin answered attachmentUrl with something that is not a path on Parley');
      } catch (error) {
        this.logger?.error({ plugin: plugin.id, conversationId, err: error }, 'channel plugin failed to answer attachmentUrl');
      }
    }
    return hostAttachmentUrl(conversationId, ref.id);
  }

  /** Every plugin route that is mounted, for the API reference. */
  routes(): PluginRoute[] {
    return this.connected.flatMap(({ plugin, declarations }) =>
      declarations.routes.map((route) => ({
        pluginId: plugin.id,
        pluginName: plugin.displayName,
        method: route.method,
        path: route.path,
        url: routeUrl(plugin.id, route),
        public: route.public,
        rawBody: route.rawBody,
        page: route.page === true,
      })),
    );
  }

  /** For GET /api/channels and the UI. */
  channels(): ChannelInfo[] {
    return this.connected.map(({ plugin }) => ({
      id: plugin.id,
      displayName: plugin.displayName,
      icon: plugin.icon,
      channel: plugin.channel,
      capabilities: { ...plugin.capabilities },
      connectable: plugin.connectionSettings !== undefined,
    }));
  }

  /**
   * ChannelConnectionSpecs: how the application checks a connection's settings through its plugin.
   * The plugin's ConnectionSettingsError becomes a 400 naming the field.
   */
  connectionSpec(type: string): ConnectionSpec | null {
    const plugin = this.connected.find((c) => c.plugin.id === type)?.plugin;
    const spec = plugin?.connectionSettings;
    if (!plugin || !spec) return null;
    return {
      type: plugin.id,
      displayName: plugin.displayName,
      secrets: [...spec.secrets],
      fields: formFields(spec.fields),
      validate: async (settings, context) => {
        let validated: unknown;
        try {
          validated = await spec.validate(structuredClone(settings), {
            ...context,
            ...(context.previous ? { previous: structuredClone(context.previous) } : {}),
          });
        } catch (error) {
          if (error instanceof ConnectionSettingsError || (error as { name?: unknown })?.name === 'ConnectionSettingsError') {
            throw new InvalidRequestError((error as Error).message);
          }
          if ((error as { statusCode?: unknown })?.statusCode === 400) throw new InvalidRequestError(`settings: ${(error as Error).message}`);
          throw error;
        }
        if (typeof validated !== 'object' || validated === null || Array.isArray(validated)) {
          throw new Error(`channel plugin "${plugin.id}": connectionSettings.validate must answer the settings object to store`);
        }
        return validated as Record<string, unknown>;
      },
      embedSnippet: (connection, publicUrl) => {
        if (typeof spec.embedSnippet !== 'function') return null;
        try {
          const snippet = spec.embedSnippet(connection, { publicUrl });
          return typeof snippet === 'string' ? snippet : null;
        } catch (error) {
          this.logger?.error({ plugin: plugin.id, connectionId: connection.id, err: error }, 'channel plugin failed to make an embed snippet');
          return null;
        }
      },
    };
  }

  /** The ids of the plugins admins can connect to inboxes. */
  connectableTypes(): string[] {
    return this.connected.filter(({ plugin }) => plugin.connectionSettings !== undefined).map(({ plugin }) => plugin.id);
  }

  /** A plugin's documents: the app's store, or (a registry built alone, in tests) memory that goes with it. */
  private pluginStorage(pluginId: string): PluginStorage {
    return this.pluginDocuments ? this.pluginDocuments.forPlugin(pluginId) : new MemoryPluginStorage();
  }

  /** Live activity: the app's hub, or (a registry built alone) one that tells nobody and has nobody available. */
  private activity(): HostActivity {
    const hub = this.channelActivity;
    return {
      onAgentActivity: (channel, handler) => hub?.onAgentActivity(channel, handler),
      contactTyping: (conversationId, channel) => hub?.contactTyping(conversationId, channel),
      agentsAvailable: async (inboxId) => (hub ? hub.agentsAvailable(inboxId) : false),
      teamStatus: async (inboxId) =>
        hub ? hub.teamStatus(inboxId) : { agentsAvailable: false, open: true, nextOpenAt: null, timeZone: 'UTC', botActive: false },
    };
  }

  /** For a plugin guarding what it keeps per conversation: the conversation exists on its channel and the agent may open its inbox. */
  private async canRead(agent: PluginAgent, conversationId: string, channel: string): Promise<boolean> {
    const summary = await this.readStore.getConversationSummary(conversationId);
    if (!summary || summary.channel !== channel) return false;
    const inbox = await this.readStore.getInbox(summary.inboxId);
    return inbox !== null && this.access.canAccess(agent, inbox);
  }

  /** For a plugin cleaning up late: what the conversation (if it exists again, on that channel) holds now. */
  private async attachmentIds(conversationId: string, channel: string): Promise<string[] | null> {
    const conversation = await this.readStore.getConversation(conversationId);
    if (!conversation || conversation.channel !== channel) return null;
    return [...new Set(conversation.messages.flatMap((m) => m.attachments.map((a) => a.id)))];
  }

  /**
   * ChannelConversationNotices: hands the notice to the plugin of that channel (run by a durable
   * job, so a handler that throws is retried). No plugin for the channel any more: nothing to clean.
   */
  async conversationDeletedForever(notice: ConversationDeletedForever): Promise<void> {
    const connected = this.connected.find(({ plugin }) => plugin.channel === notice.channel);
    if (!connected) return;
    const { conversationId, inboxId, externalThreadId, attachmentIds } = notice;
    for (const handler of connected.declarations.deletedForever) {
      await handler({ conversationId, inboxId, externalThreadId, attachmentIds: [...attachmentIds] });
    }
  }

  /** ChannelDelivery: through the plugin that sends on the message's channel. */
  async send(outbound: OutboundMessage): Promise<DeliveryResult> {
    const sender = this.connected.find(({ plugin }) => plugin.channel === outbound.channel)?.plugin;
    if (!sender) {
      const known = this.connected.map(({ plugin }) => plugin.channel).join(', ') || 'none';
      return { status: 'failed', retryable: false, reason: `no channel plugin sends "${outbound.channel}" messages (channels: ${known})` };
    }
    if (!sender.capabilities.reply || typeof sender.send !== 'function') {
      return { status: 'failed', retryable: false, reason: `the ${sender.displayName} channel cannot send replies` };
    }
    const message: OutboundMessage = sender.capabilities.html ? outbound : withoutHtml(outbound);
    let timer: NodeJS.Timeout | undefined;
    try {
      const result = await Promise.race([
        sender.send(message),
        new Promise<DeliveryResult>((resolve) => {
          timer = setTimeout(
            () => resolve({ status: 'failed', retryable: true, reason: `the ${sender.displayName} channel did not answer within ${SEND_TIMEOUT_MS / 1000} s` }),
            SEND_TIMEOUT_MS,
          );
          timer.unref();
        }),
      ]);
      const problem = deliveryResultProblem(result);
      if (problem) {
        this.logger?.error({ plugin: sender.id, messageId: outbound.messageId, problem }, 'channel plugin answered send with an invalid result');
        return {
          status: 'failed',
          retryable: false,
          reason: `the ${sender.displayName} channel gave an invalid answer (${problem}); it may or may not have sent the message`,
        };
      }
      return result;
    } catch (error) {
      return { status: 'failed', retryable: true, reason: (error as Error)?.message || String(error) };
    } finally {
      clearTimeout(timer);
    }
  }
}

const FIELD_TYPES = new Set(['text', 'textarea', 'lines', 'checkbox', 'number', 'secret']);

/** The settings form a plugin declares, without entries the form could not show (no key, an unknown type, no English label). */
function formFields(fields: ConnectionSettingsSpec['fields']): ConnectionField[] {
  if (!Array.isArray(fields)) return [];
  return fields
    .filter((f) => typeof f?.key === 'string' && f.key !== '' && FIELD_TYPES.has(f.type) && typeof f.label?.en === 'string')
    .map((f) => ({
      key: f.key,
      type: f.type,
      label: { ...f.label },
      ...(f.help ? { help: { ...f.help } } : {}),
      ...(f.generate === true ? { generate: true } : {}),
    }));
}

function withoutHtml(outbound: OutboundMessage): OutboundMessage {
  const { html: _html, ...rest } = outbound;
  return rest;
}

function deliveryResultProblem(result: unknown): string | null {
  const r = result as Partial<{ status: unknown; retryable: unknown; reason: unknown; externalMessageId: unknown }> | null;
  if (typeof r !== 'object' || r === null) return 'expected { status: "delivered" } or { status: "failed", retryable, reason }';
  if (r.status === 'delivered') {
    return r.externalMessageId === undefined || (typeof r.externalMessageId === 'string' && r.externalMessageId !== '')
      ? null
      : 'externalMessageId must be a non-empty string';
  }
  if (r.status === 'failed') {
    if (typeof r.retryable !== 'boolean') return 'retryable must be true or false';
    if (typeof r.reason !== 'string' || r.reason.trim() === '') return 'reason must say what went wrong';
    return null;
  }
  return `status must be "delivered" or "failed" (got ${JSON.stringify(r.status)})`;
}

function checkUnique(candidates: readonly { plugin: ChannelPlugin; packageName: string | null }[]): void {
  const problems: string[] = [];
  const origin = (c: { plugin: ChannelPlugin; packageName: string | null }) => (c.packageName ? `package ${c.packageName}` : 'built in');
  candidates.forEach((candidate, index) => {
    const earlier = candidates.slice(0, index);
    const sameId = earlier.find((e) => e.plugin.id === candidate.plugin.id);
    if (sameId)
      problems.push(`two channel plugins have the id "${candidate.plugin.id}" (${origin(sameId)} and ${origin(candidate)}); remove one from PARLEY_PLUGINS`);
    const sameChannel = earlier.find((e) => e.plugin.channel === candidate.plugin.channel);
    if (sameChannel && !sameId) {
      problems.push(
        `channel plugins "${sameChannel.plugin.id}" (${origin(sameChannel)}) and "${candidate.plugin.id}" (${origin(candidate)}) both feed the channel ` +
          `"${candidate.plugin.channel}"; one plugin per channel`,
      );
    }
  });
  if (problems.length > 0) throw new ConfigError(problems);
}
