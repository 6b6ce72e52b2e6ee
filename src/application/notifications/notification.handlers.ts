import { Inject } from '@nestjs/common';
import { Command, CommandHandler, Query, QueryHandler, type ICommandHandler, type IQueryHandler } from '@nestjs/cqrs';
import { agentDecider } from '../../domain/agent/agent.decider';
import type { NotificationSettings, SetNotificationSettings } from '../../domain/agent/agent.events';
import { notificationDecider } from '../../domain/notification/notification.decider';
import { AccessDeniedError } from '../access/inbox-access';
import type { CommandContext } from '../command-handling/command-context';
import { CommandExecutor } from '../command-handling/command-executor';
import { READ_STORE, type NotificationRecord, type ReadStore } from '../ports/read-store.port';
import { streams } from '../streams';
import { notificationSettingsOf } from './notification-settings';
import { reachableInboxIds } from './reachable-inboxes';

/** Most notifications one listing shows (the newest). */
export const NOTIFICATION_LIST_LIMIT = 50;

/** The caller's notifications, newest first, and how many are unread: only those of inboxes they can reach. */
export class ListNotificationsQuery extends Query<{ items: NotificationRecord[]; unread: number }> {
  constructor(
    readonly agentId: string,
    readonly limit = NOTIFICATION_LIST_LIMIT,
  ) {
    super();
  }
}

@QueryHandler(ListNotificationsQuery)
export class ListNotificationsHandler implements IQueryHandler<ListNotificationsQuery> {
  constructor(@Inject(READ_STORE) private readonly readStore: ReadStore) {}

  async execute({ agentId, limit }: ListNotificationsQuery) {
    const inboxIds = await reachableInboxIds(this.readStore, agentId);
    const [items, unread] = await Promise.all([
      this.readStore.listNotifications(agentId, Math.min(Math.max(1, limit), NOTIFICATION_LIST_LIMIT), inboxIds),
      this.readStore.countUnreadNotifications(agentId, inboxIds),
    ]);
    return { items, unread };
  }
}

/** Marks the caller's notifications read: the ids given, or every unread one (`all`). Answers the unread count after. */
export class MarkNotificationsReadCommand extends Command<{ unread: number }> {
  constructor(
    readonly ids: string[] | 'all',
    readonly ctx: CommandContext,
  ) {
    super();
  }
}

@CommandHandler(MarkNotificationsReadCommand)
export class MarkNotificationsReadHandler implements ICommandHandler<MarkNotificationsReadCommand> {
  constructor(
    private readonly executor: CommandExecutor,
    @Inject(READ_STORE) private readonly readStore: ReadStore,
  ) {}

  async execute({ ids, ctx }: MarkNotificationsReadCommand) {
    if (!ctx.agent) throw new AccessDeniedError('only an agent has notifications');
    await this.executor.execute(
      streams.notifications(ctx.agent.id),
      notificationDecider,
      { type: 'MarkNotificationsRead', data: { ids, now: this.executor.now().toISOString() } },
      ctx,
    );
    return { unread: await this.readStore.countUnreadNotifications(ctx.agent.id, await reachableInboxIds(this.readStore, ctx.agent.id)) };
  }
}

/** The caller's notification switches (per type: in the app, by email). */
export class GetNotificationSettingsQuery extends Query<NotificationSettings> {
  constructor(readonly agentId: string) {
    super();
  }
}

@QueryHandler(GetNotificationSettingsQuery)
export class GetNotificationSettingsHandler implements IQueryHandler<GetNotificationSettingsQuery> {
  constructor(private readonly executor: CommandExecutor) {}

  async execute({ agentId }: GetNotificationSettingsQuery): Promise<NotificationSettings> {
    const settings = await notificationSettingsOf(this.executor.store, agentId);
    if (!settings) throw new AccessDeniedError('only an agent has notifications');
    return settings;
  }
}

/** Changes some of the caller's switches (types and switches left out stay); answers the whole set. */
export class SetNotificationSettingsCommand extends Command<NotificationSettings> {
  constructor(
    readonly settings: SetNotificationSettings['data']['settings'],
    readonly ctx: CommandContext,
  ) {
    super();
  }
}

@CommandHandler(SetNotificationSettingsCommand)
export class SetNotificationSettingsHandler implements ICommandHandler<SetNotificationSettingsCommand> {
  constructor(private readonly executor: CommandExecutor) {}

  async execute({ settings, ctx }: SetNotificationSettingsCommand): Promise<NotificationSettings> {
    if (!ctx.agent) throw new AccessDeniedError('only an agent has notifications');
    const outcome = await this.executor.execute(streams.agent(ctx.agent.id), agentDecider, { type: 'SetNotificationSettings', data: { settings } }, ctx);
    if (outcome.state.status !== 'registered') throw new AccessDeniedError('only an agent has notifications');
    return outcome.state.notificationSettings;
  }
}
