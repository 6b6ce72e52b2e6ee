import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { EVENT_STORE, type EventStore, type RecordedEvent } from '../ports/event-store.port';
import { APP_LOGGER, type AppLogger } from '../ports/logger.port';
import { PROJECTION_PROGRESS, READ_STORE, type ProjectionProgress, type ReadStore } from '../ports/read-store.port';
import { conversationIdFromStream } from '../streams';
import { followLog } from './follow-log';

/**
 * A small notice that something in an inbox changed, for live screens (the web UI's server-sent
 * events). It carries no content: a client that cares refetches through the normal, access-checked
 * queries. `conversationId` is null for inbox-wide changes (a custom view created or renamed).
 */
export interface InboxChange {
  type: string;
  inboxId: string;
  conversationId: string | null;
  position: number;
}

export type InboxChangeListener = (change: InboxChange) => void;

const CUSTOM_VIEW_STREAM_PREFIX = 'custom-view-';
/** conversation/view id -> inbox id; ids are never reused, so entries never go stale. */
const MAX_CACHED_INBOXES = 20_000;
/** How long a change waits for the read models before it is announced anyway. */
const PROJECTION_WAIT_MS = 5_000;

/**
 * Follows the event log from "now" and announces each change of a conversation (or custom view)
 * once the read models include it, so a client that refetches on the notice sees the change. Live
 * only: nothing is stored, and a client that was disconnected refetches everything on reconnect.
 */
@Injectable()
export class ConversationChanges implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly listeners = new Set<InboxChangeListener>();
  private readonly inboxOf = new Map<string, string>();
  private readonly abort = new AbortController();
  private loop: Promise<void> | null = null;

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(READ_STORE) private readonly readStore: ReadStore,
    @Inject(PROJECTION_PROGRESS) private readonly progress: ProjectionProgress,
    @Inject(APP_LOGGER) private readonly logger: AppLogger,
  ) {}

  /** Registers a listener; returns the function that removes it. */
  subscribe(listener: InboxChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get listenerCount(): number {
    return this.listeners.size;
  }

  async onApplicationBootstrap(): Promise<void> {
    const head = await this.store.headPosition();
    this.loop = this.run(head);
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.abort.abort();
    this.listeners.clear();
    await this.loop;
  }

  private run(from: number): Promise<void> {
    return followLog(this.store, { from, signal: this.abort.signal, logger: this.logger, name: 'live change feed', onEvent: (event) => this.announce(event) });
  }

  private async announce(event: RecordedEvent): Promise<void> {
    const conversationId = conversationIdFromStream(event.streamId);
    const viewId = event.streamId.startsWith(CUSTOM_VIEW_STREAM_PREFIX) ? event.streamId.slice(CUSTOM_VIEW_STREAM_PREFIX.length) : null;
    if (!conversationId && !viewId) return;
    if (this.listeners.size === 0) return; // nobody is watching: no lookups, no waiting
    // Looked up before waiting: "delete forever" removes the read model row once projected.
    const inboxId = conversationId ? await this.resolveInbox(event, conversationId, 'conversation') : await this.resolveInbox(event, viewId!, 'view');
    await this.progress.waitFor(event.position, PROJECTION_WAIT_MS);
    if (!inboxId || this.listeners.size === 0) return;
    const change: InboxChange = { type: event.type, inboxId, conversationId, position: event.position };
    for (const listener of [...this.listeners]) {
      try {
        listener(change);
      } catch (err) {
        this.logger.warn({ err }, 'live change feed: a listener failed');
      }
    }
  }

  private async resolveInbox(event: RecordedEvent, id: string, kind: 'conversation' | 'view'): Promise<string | null> {
    const fromEvent = typeof event.data.inboxId === 'string' ? event.data.inboxId : null;
    let inboxId = fromEvent ?? this.inboxOf.get(id) ?? null;
    if (!inboxId) {
      try {
        inboxId = (kind === 'conversation' ? await this.readStore.getConversationSummary(id) : await this.readStore.getCustomView(id))?.inboxId ?? null;
        if (!inboxId) {
          const [first] = await this.store.readStream(event.streamId, { maxCount: 1 });
          inboxId = typeof first?.data.inboxId === 'string' ? first.data.inboxId : null;
        }
      } catch (err) {
        this.logger.debug({ err, streamId: event.streamId }, 'live change feed: could not tell the inbox of a change');
        return null;
      }
    }
    if (inboxId) {
      if (this.inboxOf.size >= MAX_CACHED_INBOXES) this.inboxOf.clear();
      this.inboxOf.set(id, inboxId);
    }
    return inboxId;
  }
}
