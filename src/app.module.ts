import { join } from 'node:path';
import {
  Inject,
  Injectable,
  Module,
  type BeforeApplicationShutdown,
  type DynamicModule,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { CommandBus, CqrsModule, QueryBus } from '@nestjs/cqrs';
import type { Logger } from 'pino';
import { InboxAccess } from './application/access/inbox-access';
import { applicationServices, commandHandlers, jobHandlers, processManagers, queryHandlers } from './application/application.module-parts';
import { SetupAlreadyDoneError, SetupFirstAdminCommand } from './application/agents/agent-commands.handler';
import { systemContext } from './application/command-handling/command-context';
import { CommandExecutor, DECIDED_STATES, READ_YOUR_WRITES_TIMEOUT_MS } from './application/command-handling/command-executor';
import { DecidedStates } from './application/command-handling/decided-states';
import { EnsureDefaultInboxCommand } from './application/inboxes/inbox-commands.handler';
import { registerJobs, type JobRegistration } from './application/jobs/job-registration';
import { CHANNEL_CONNECTION } from './application/ports/channel.port';
import { CHANNEL_CATALOG } from './application/ports/channel-catalog.port';
import { CHANNEL_DELIVERY } from './application/ports/channel-delivery.port';
import { CHANNEL_CONVERSATION_NOTICES } from './application/ports/channel-conversations.port';
import { CLOCK, systemClock, type Clock } from './application/ports/clock.port';
import { TRANSCRIPT_RENDERER } from './application/ports/transcript-renderer.port';
import { HandlebarsTranscriptRenderer } from './infrastructure/transcripts/handlebars-transcript-renderer';
import { EVENT_STORE, STORED_EVENT_STORE } from './application/ports/event-store.port';
import { SUBJECT_KEYS } from './application/ports/subject-keys.port';
import { PrivacyController } from './infrastructure/http/controllers/privacy.controller';
import { JOB_QUEUE, type JobQueue } from './application/ports/job-queue.port';
import { APP_LOGGER } from './application/ports/logger.port';
import { PROCESSOR_CHECKPOINTS } from './application/ports/processor-checkpoints.port';
import { PROJECTION_PROGRESS, READ_STORE } from './application/ports/read-store.port';
import { RECORD_STORE } from './application/ports/record-store.port';
import type { ProcessManager } from './application/process-managers/process-manager';
import { ProcessManagerRunner } from './application/process-managers/process-manager-runner';
import { PurgeExpiredTrash } from './application/process-managers/purge-expired-trash';
import { CountAgentsQuery } from './application/queries/directory-queries.handler';
import { CommandBusChannelConnection } from './infrastructure/channels/channel-connection';
import type { ParleyConfig } from './infrastructure/config/config';
import { AuthGuard } from './infrastructure/http/auth/auth.guard';
import { jobQueueModule } from './infrastructure/jobs/job-queue.module';
import { LoginThrottle } from './infrastructure/http/auth/login-throttle';
import { SessionRevocations } from './infrastructure/http/auth/session-revocations';
import { SessionTokens } from './infrastructure/http/auth/session-tokens';
import { AgentsController } from './infrastructure/http/controllers/agents.controller';
import { PreferencesController } from './infrastructure/http/controllers/preferences.controller';
import { AuditController } from './infrastructure/http/controllers/audit.controller';
import { AuthController, COOKIE_SECURE } from './infrastructure/http/controllers/auth.controller';
import { ConversationsController } from './infrastructure/http/controllers/conversations.controller';
import { BotApiController } from './infrastructure/http/controllers/bot-api.controller';
import { WEBHOOK_BOT_HTTP } from './application/bots/webhook-bot-delivery.job';
import { createOutboundHttp } from './infrastructure/outbound/outbound-guard';
import { EmailController } from './infrastructure/http/controllers/email.controller';
import { HealthController, READINESS } from './infrastructure/http/controllers/health.controller';
import { InboxesController } from './infrastructure/http/controllers/inboxes.controller';
import { InboxRoutingController } from './infrastructure/http/controllers/inbox-routing.controller';
import { SearchController } from './infrastructure/http/controllers/search.controller';
import { ReportsController } from './infrastructure/http/controllers/reports.controller';
import { ViewsController } from './infrastructure/http/controllers/views.controller';
import { ContactsController, ConversationContactController } from './infrastructure/http/controllers/contacts.controller';
import { CompaniesController } from './infrastructure/http/controllers/companies.controller';
import { RecordSettingsController } from './infrastructure/http/controllers/record-settings.controller';
import { TicketsController } from './infrastructure/http/controllers/tickets.controller';
import { METRICS_ACCESS, MetricsController } from './infrastructure/metrics/metrics.controller';
import { ParleyMetrics } from './infrastructure/metrics/parley-metrics';
import type { Storage } from './infrastructure/storage/storage';
import { PLUGIN_DOCUMENTS } from './infrastructure/plugin-storage/plugin-documents';
import { ChannelsController } from './plugins/registry/channels.controller';
import { ChannelConnectionsController, PUBLIC_URL } from './infrastructure/http/controllers/channel-connections.controller';
import { BotsController } from './infrastructure/http/controllers/bots.controller';
import { ChannelConnectionsDirectory } from './application/channel-connections/channel-connections-directory';
import { SettingsCipher } from './application/channel-connections/settings-cipher';
import { CHANNEL_CONNECTION_SPECS } from './application/ports/channel-connection-specs.port';
import { PluginRegistry } from './plugins/registry/plugin-registry';
import { HostConversationsService } from './plugins/registry/host-conversations';
import { ChannelActivity } from './application/live/channel-activity';
import { ReplyAttachments } from './application/conversations/reply-attachments';
import { ATTACHMENT_STORE } from './application/ports/attachment-store.port';
import { FileAttachmentStore } from './infrastructure/attachments/file-attachment-store';
import { AttachmentsController } from './infrastructure/http/controllers/attachments.controller';
import { webControllers, webProviders } from './infrastructure/web/web.parts';
import { notificationControllers, notificationProviders } from './infrastructure/notifications/notification.parts';
import { PresenceSweeper } from './application/presence/presence-sweeper';
import { PresenceTracker } from './application/presence/presence-tracker';
import { PRESENCE_SETTINGS, PRESENCE_STORE, presenceSettings } from './application/presence/presence-store.port';
import { presenceInstanceId } from './infrastructure/presence/presence-instance';

export interface AppOptions {
  config: ParleyConfig;
  logger: Logger;
  storage: Storage;
  secret: string;
  clock?: Clock;
  /** Process managers and the job queue's workers run in the background; tests may switch them off. */
  backgroundWork?: boolean;
  /** This app's Prometheus registry and series (GET /metrics). */
  metrics: ParleyMetrics;
}

const APP_OPTIONS = Symbol('APP_OPTIONS');
/** A large log (millions of events) takes minutes to project on first start; bounded, not endless. */
const STARTUP_CATCH_UP_TIMEOUT_MS = 60 * 60 * 1000;
const PROCESS_MANAGERS = Symbol('PROCESS_MANAGERS');
const JOB_HANDLERS = Symbol('JOB_HANDLERS');

/**
 * Start-up order: projections catch up, the default inbox exists, the admin from the environment
 * exists, then channel plugins' listeners, the process managers and the job queue start. Shutdown
 * (after the HTTP server stopped taking requests): plugin listeners, background work, then
 * (once the HTTP server has closed) plugins disconnect, then projections, then storage.
 */
@Injectable()
class Lifecycle implements OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown {
  constructor(
    @Inject(APP_OPTIONS) private readonly options: AppOptions,
    private readonly commandBus: CommandBus,
    private readonly queryBus: QueryBus,
    private readonly processManagerRunner: ProcessManagerRunner,
    @Inject(JOB_QUEUE) private readonly jobs: JobQueue,
    @Inject(JOB_HANDLERS) private readonly jobHandlers: JobRegistration[],
    private readonly executor: CommandExecutor,
    @Inject(PROCESS_MANAGERS) private readonly managers: ProcessManager[],
    private readonly plugins: PluginRegistry,
    private readonly presenceSweeper: PresenceSweeper,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const { config, logger, storage } = this.options;
    await storage.projections.start();
    // Catch up before serving: the first requests must see every event already in the log.
    await this.executor.settleOrThrow(await storage.eventStore.headPosition(), STARTUP_CATCH_UP_TIMEOUT_MS);
    await this.commandBus.execute(new EnsureDefaultInboxCommand(config.inboxEmail, systemContext()));
    if (config.admin && (await this.queryBus.execute(new CountAgentsQuery())) === 0) {
      // Through first-run setup: decided once in the event store, also when instances start together.
      try {
        const admin = await this.commandBus.execute(
          new SetupFirstAdminCommand({ name: 'Admin', email: config.admin.email, password: config.admin.password }, systemContext()),
        );
        logger.info({ agentId: admin.id, email: admin.email }, 'created the admin from PARLEY_ADMIN_EMAIL');
      } catch (error) {
        if (!(error instanceof SetupAlreadyDoneError)) throw error;
      }
    }
    // Channel listeners (SMTP …) take messages only once the inbox is ready for them.
    await this.plugins.startListeners();
    if (this.options.backgroundWork !== false) {
      // With several instances sharing the engines, only the projector-lease holder runs them.
      storage.runExclusively({
        name: 'process-managers',
        start: () => this.processManagerRunner.start(this.managers),
        stop: () => this.processManagerRunner.stop(),
      });
      // Records agents offline once they have been gone for the grace period (one instance sweeps).
      storage.runExclusively(this.presenceSweeper.work());
      await registerJobs(this.jobs, this.jobHandlers);
      await this.jobs.start();
    }
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.plugins.stopListeners();
    await this.processManagerRunner.stop();
    await this.presenceSweeper.stop();
    await this.jobs.stop();
  }

  async onApplicationShutdown(): Promise<void> {
    // The HTTP server has closed by now: no request is left that a plugin would have to answer.
    await this.plugins.disconnectAll();
    await this.options.storage.close();
    this.options.logger.info('storage closed');
  }
}

@Module({})
export class AppModule {
  static forRoot(options: AppOptions): DynamicModule {
    const { config, storage, logger } = options;
    return {
      module: AppModule,
      imports: [
        CqrsModule.forRoot(),
        jobQueueModule(config.queue, { dataDir: config.dataDir, clock: options.clock ?? systemClock, logger: logger.child({ component: 'jobs' }) }),
      ],
      controllers: [
        HealthController,
        AuthController,
        AgentsController,
        PreferencesController,
        InboxesController,
        InboxRoutingController,
        ViewsController,
        SearchController,
        ReportsController,
        ConversationsController,
        BotApiController,
        EmailController,
        AuditController,
        AttachmentsController,
        ChannelsController,
        ChannelConnectionsController,
        BotsController,
        MetricsController,
        ContactsController,
        ConversationContactController,
        PrivacyController,
        CompaniesController,
        RecordSettingsController,
        TicketsController,
        ...webControllers,
        ...notificationControllers,
      ],
      providers: [
        { provide: APP_OPTIONS, useValue: options },
        { provide: ParleyMetrics, useValue: options.metrics },
        { provide: METRICS_ACCESS, useValue: config.metrics ?? { mode: 'on' } },
        { provide: EVENT_STORE, useValue: storage.eventStore },
        { provide: STORED_EVENT_STORE, useValue: storage.storedEventStore },
        { provide: SUBJECT_KEYS, useValue: storage.subjectKeys },
        { provide: PLUGIN_DOCUMENTS, useValue: storage.pluginDocuments },
        { provide: READ_STORE, useValue: storage.readStore },
        { provide: RECORD_STORE, useValue: storage.recordStore },
        { provide: PROCESSOR_CHECKPOINTS, useValue: storage.readStore },
        { provide: PROJECTION_PROGRESS, useValue: storage.projections },
        { provide: READINESS, useValue: { projectedPosition: () => storage.projections.position() } },
        { provide: CLOCK, useValue: options.clock ?? systemClock },
        { provide: APP_LOGGER, useValue: logger },
        { provide: READ_YOUR_WRITES_TIMEOUT_MS, useValue: config.readYourWritesTimeoutMs },
        { provide: DECIDED_STATES, useValue: storage.soleWriter ? new DecidedStates() : null },
        { provide: SessionTokens, useValue: new SessionTokens(options.secret, config.tokenTtlHours * 3600) },
        { provide: LoginThrottle, useValue: new LoginThrottle() },
        SessionRevocations,
        { provide: COOKIE_SECURE, useValue: config.cookieSecure },
        { provide: CHANNEL_CONNECTION, useClass: CommandBusChannelConnection },
        PluginRegistry,
        HostConversationsService,
        ChannelActivity,
        { provide: PRESENCE_STORE, useValue: storage.presence },
        { provide: PRESENCE_SETTINGS, useValue: presenceSettings(config.presenceGraceSeconds, presenceInstanceId()) },
        PresenceTracker,
        PresenceSweeper,
        ReplyAttachments,
        { provide: ATTACHMENT_STORE, useValue: new FileAttachmentStore(join(config.dataDir, 'attachments')) },
        { provide: CHANNEL_DELIVERY, useExisting: PluginRegistry },
        { provide: CHANNEL_CONVERSATION_NOTICES, useExisting: PluginRegistry },
        { provide: CHANNEL_CATALOG, useExisting: PluginRegistry },
        { provide: TRANSCRIPT_RENDERER, useFactory: () => HandlebarsTranscriptRenderer.load() },
        { provide: CHANNEL_CONNECTION_SPECS, useExisting: PluginRegistry },
        { provide: SettingsCipher, useValue: new SettingsCipher(options.secret) },
        // Webhook bots are called through the outbound request guard (PARLEY_ALLOW_PRIVATE_NETWORK), like the channel plugins.
        {
          provide: WEBHOOK_BOT_HTTP,
          useFactory: () => createOutboundHttp({ allowPrivateNetwork: config.allowPrivateNetwork, logger: logger.child({ component: 'webhook-bots' }) }),
        },
        { provide: PUBLIC_URL, useValue: config.publicUrl ?? null },
        ChannelConnectionsDirectory,
        { provide: APP_GUARD, useClass: AuthGuard },
        CommandExecutor,
        InboxAccess,
        ...applicationServices,
        ProcessManagerRunner,
        PurgeExpiredTrash,
        ...commandHandlers,
        ...queryHandlers,
        ...processManagers,
        ...jobHandlers,
        { provide: JOB_HANDLERS, inject: jobHandlers, useFactory: (...handlers: JobRegistration[]) => handlers },
        { provide: PROCESS_MANAGERS, inject: processManagers, useFactory: (...managers: ProcessManager[]) => managers },
        Lifecycle,
        ...webProviders,
        ...notificationProviders,
      ],
    };
  }
}
