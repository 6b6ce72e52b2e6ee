import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { EVENT_STORE, type EventStore, type RecordedEvent } from '../ports/event-store.port';
import type { ConnectionForPlugin } from '../ports/channel-connection-specs.port';
import { APP_LOGGER, type AppLogger } from '../ports/logger.port';
import { PROJECTION_PROGRESS, READ_STORE, type ChannelConnectionRecord, type ProjectionProgress, type ReadStore } from '../ports/read-store.port';
import { decryptSettings, forPlugin } from './channel-connection-settings';
import { SettingsCipher } from './settings-cipher';
import { followLog } from '../live/follow-log';

export type ConnectionChange = { type: 'created' | 'changed' | 'removed'; connectionId: string };
type ChangeHandler = (change: ConnectionChange) => void;

const STREAM_PREFIX = 'channel-connection-';
const CHANGE_TYPES: Record<string, ConnectionChange['type']> = {
  ChannelConnected: 'created',
  ChannelConnectionChanged: 'changed',
  ChannelDisconnected: 'removed',
};
/** How long a change waits for the read models before it is announced anyway. */
const PROJECTION_WAIT_MS = 5_000;
/** connection id -> plugin id; ids are never reused. */
const MAX_CACHED_TYPES = 10_000;

/**
 * The channel connections as plugins see them (the host side of `connection.connections`):
 * secrets decrypted, narrowed to one plugin. Change handlers are told of every connection change,
 * made on this instance or another, by following the event log once the read models include it
 * (so `get` in the handler sees the change).
 */
@Injectable()
export class ChannelConnectionsDirectory implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly handlers = new Map<string, ChangeHandler[]>();
  private readonly typeOf = new Map<string, string>();
  private readonly abort = new AbortController();
  private loop: Promise<void> | null = null;

  constructor(
    private readonly cipher: SettingsCipher,
    @Inject(READ_STORE) private readonly readStore: ReadStore,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(PROJECTION_PROGRESS) private readonly progress: ProjectionProgress,
    @Inject(APP_LOGGER) private readonly logger: AppLogger,
  ) {}

  async list(type: string): Promise<ConnectionForPlugin[]> {
    const records = await this.readStore.listChannelConnections({ type });
    return records.map((record) => this.decrypted(record));
  }

  async get(type: string, connectionId: string): Promise<ConnectionForPlugin | null> {
    if (connectionId === '' || connectionId.length > 100) return null;
    const record = await this.readStore.getChannelConnection(connectionId.toLowerCase());
    return record && record.type === type ? this.decrypted(record) : null;
  }

  onChange(type: string, handler: ChangeHandler): void {
    this.handlers.set(type, [...(this.handlers.get(type) ?? []), handler]);
  }

  async onApplicationBootstrap(): Promise<void> {
    if (this.handlers.size === 0) return; // no plugin listens: nothing to follow
    const head = await this.store.headPosition();
    this.loop = this.follow(head);
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.abort.abort();
    await this.loop;
  }

  private decrypted(record: ChannelConnectionRecord): ConnectionForPlugin {
    const { settings, undecryptable } = decryptSettings(this.cipher, record);
    if (undecryptable.length > 0) {
      // Names only, never values: the plugin gets the connection without them.
      this.logger.warn(
        { connectionId: record.id, inboxId: record.inboxId, type: record.type, settings: undecryptable },
        'channel connection: secret settings cannot be decrypted with this instance key; an admin must enter them again',
      );
    }
    return forPlugin(record, settings);
  }

  private follow(from: number): Promise<void> {
    return followLog(this.store, {
      from,
      signal: this.abort.signal,
      logger: this.logger,
      name: 'channel connection changes',
      onEvent: (event) => this.announce(event),
    });
  }

  private async announce(event: RecordedEvent): Promise<void> {
    const changeType = CHANGE_TYPES[event.type];
    if (!event.streamId.startsWith(STREAM_PREFIX) || changeType === undefined) return;
    const connectionId = event.streamId.slice(STREAM_PREFIX.length);
    const type = typeof event.data.type === 'string' ? event.data.type : await this.pluginOf(event.streamId, connectionId);
    if (type === null) return;
    if (this.typeOf.size >= MAX_CACHED_TYPES) this.typeOf.clear();
    this.typeOf.set(connectionId, type);
    const handlers = this.handlers.get(type) ?? [];
    if (handlers.length === 0) return;
    await this.progress.waitFor(event.position, PROJECTION_WAIT_MS);
    for (const handler of handlers) {
      try {
        handler({ type: changeType, connectionId });
      } catch (err) {
        this.logger.warn({ err, plugin: type, connectionId }, 'channel connection changes: a plugin handler failed');
      }
    }
  }

  private async pluginOf(streamId: string, connectionId: string): Promise<string | null> {
    const cached = this.typeOf.get(connectionId);
    if (cached) return cached;
    const [first] = await this.store.readStream(streamId, { maxCount: 1 });
    return typeof first?.data.type === 'string' ? first.data.type : null;
  }
}
