import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { followLog } from '../live/follow-log';
import { EVENT_STORE, type EventStore, type RecordedEvent } from '../ports/event-store.port';
import { APP_LOGGER, type AppLogger } from '../ports/logger.port';
import { PROJECTION_PROGRESS, READ_STORE, type ProjectionProgress, type ReadStore } from '../ports/read-store.port';
import { reachableInboxIds } from './reachable-inboxes';

/** An agent's notifications changed (one arrived, some were read): their unread count now. */
export interface NotificationNotice {
  agentId: string;
  unread: number;
}

export type NotificationListener = (notice: NotificationNotice) => void;

const NOTIFICATIONS_STREAM_PREFIX = 'notifications-';
/** How long a notice waits for the read models before it is announced anyway. */
const PROJECTION_WAIT_MS = 5_000;

/**
 * Follows the event log from "now" and announces each change of an agent's notifications once
 * the read models include it, so the bell's count is right and a refetch shows the new item.
 * Live only, like the conversation change feed: a client that reconnects refetches.
 */
@Injectable()
export class NotificationFeed implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly listeners = new Set<NotificationListener>();
  private readonly abort = new AbortController();
  private loop: Promise<void> | null = null;

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(READ_STORE) private readonly readStore: ReadStore,
    @Inject(PROJECTION_PROGRESS) private readonly progress: ProjectionProgress,
    @Inject(APP_LOGGER) private readonly logger: AppLogger,
  ) {}

  /** Registers a listener; returns the function that removes it. */
  subscribe(listener: NotificationListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async onApplicationBootstrap(): Promise<void> {
    const head = await this.store.headPosition();
    this.loop = followLog(this.store, {
      from: head,
      signal: this.abort.signal,
      logger: this.logger,
      name: 'notification feed',
      onEvent: (event) => this.announce(event),
    });
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.abort.abort();
    this.listeners.clear();
    await this.loop;
  }

  private async announce(event: RecordedEvent): Promise<void> {
    if (!event.streamId.startsWith(NOTIFICATIONS_STREAM_PREFIX) || this.listeners.size === 0) return;
    const agentId = event.streamId.slice(NOTIFICATIONS_STREAM_PREFIX.length);
    await this.progress.waitFor(event.position, PROJECTION_WAIT_MS);
    let unread: number;
    try {
      unread = await this.readStore.countUnreadNotifications(agentId, await reachableInboxIds(this.readStore, agentId));
    } catch (err) {
      this.logger.debug({ err, agentId }, 'notification feed: could not count unread notifications');
      return;
    }
    for (const listener of [...this.listeners]) {
      try {
        listener({ agentId, unread });
      } catch (err) {
        this.logger.warn({ err }, 'notification feed: a listener failed');
      }
    }
  }
}
