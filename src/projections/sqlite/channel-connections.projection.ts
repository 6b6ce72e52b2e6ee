import type { ChannelConnectionEvent } from '../../domain/channel-connection/channel-connection.events';
import type { SqliteProjection } from '../projection';
import { idFromStream, statement } from './statements';

type DataOf<T extends ChannelConnectionEvent['type']> = Extract<ChannelConnectionEvent, { type: T }>['data'];

/**
 * The channel connections of each inbox (chat on a website …), oldest first. Settings are kept as
 * the events hold them: secrets stay encrypted here too. Every write is keyed by connection id and
 * sets values, so applying an event twice changes nothing.
 */
export const channelConnectionsProjection: SqliteProjection = {
  name: 'channel-connections',
  version: 1,
  handles: ['ChannelConnected', 'ChannelConnectionChanged', 'ChannelDisconnected'],
  reset(tx) {
    tx.exec(`
      DROP TABLE IF EXISTS rm_channel_connections;
      CREATE TABLE rm_channel_connections (
        id TEXT PRIMARY KEY,
        inbox_id TEXT NOT NULL,
        type TEXT NOT NULL,
        name TEXT NOT NULL,
        settings TEXT NOT NULL,
        secret_keys TEXT NOT NULL,
        created_by TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        position INTEGER NOT NULL
      );
      CREATE INDEX rm_channel_connections_by_inbox ON rm_channel_connections (inbox_id, position);
      CREATE INDEX rm_channel_connections_by_type ON rm_channel_connections (type, position);
    `);
  },
  apply(event, tx) {
    const id = idFromStream(event.streamId, 'channel-connection-');
    const at = event.metadata.occurredAt;
    switch (event.type) {
      case 'ChannelConnected': {
        const data = event.data as unknown as DataOf<'ChannelConnected'>;
        const actor = event.metadata.actor as { type: string; id?: string };
        statement(
          tx,
          `INSERT OR IGNORE INTO rm_channel_connections (id, inbox_id, type, name, settings, secret_keys, created_by, created_at, updated_at, position)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        ).run(
          data.connectionId,
          data.inboxId,
          data.type,
          data.name,
          JSON.stringify(data.settings),
          JSON.stringify(data.secretKeys),
          actor.type === 'agent' ? (actor.id ?? null) : null,
          at,
          at,
          event.position,
        );
        return;
      }
      case 'ChannelConnectionChanged': {
        const data = event.data as unknown as DataOf<'ChannelConnectionChanged'>;
        if (data.name !== undefined) statement(tx, 'UPDATE rm_channel_connections SET name = ? WHERE id = ?').run(data.name, id);
        if (data.settings !== undefined) statement(tx, 'UPDATE rm_channel_connections SET settings = ? WHERE id = ?').run(JSON.stringify(data.settings), id);
        if (data.secretKeys !== undefined) {
          statement(tx, 'UPDATE rm_channel_connections SET secret_keys = ? WHERE id = ?').run(JSON.stringify(data.secretKeys), id);
        }
        statement(tx, 'UPDATE rm_channel_connections SET updated_at = ? WHERE id = ?').run(at, id);
        return;
      }
      case 'ChannelDisconnected':
        statement(tx, 'DELETE FROM rm_channel_connections WHERE id = ?').run(id);
        return;
      default:
        return;
    }
  },
};
