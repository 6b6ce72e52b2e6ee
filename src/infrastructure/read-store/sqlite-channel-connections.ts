import type { Database } from 'better-sqlite3';
import type { ChannelConnectionRecord } from '../../application/ports/read-store.port';
import { statement } from '../../projections/sqlite/statements';

/** The ReadStore's channel-connection queries over rm_channel_connections (channel-connections.projection.ts). */
const SQL = {
  byInbox: 'SELECT * FROM rm_channel_connections WHERE inbox_id = ? ORDER BY position',
  byType: 'SELECT * FROM rm_channel_connections WHERE type = ? ORDER BY position',
  byInboxAndType: 'SELECT * FROM rm_channel_connections WHERE inbox_id = ? AND type = ? ORDER BY position',
  all: 'SELECT * FROM rm_channel_connections ORDER BY position',
  one: 'SELECT * FROM rm_channel_connections WHERE id = ?',
} as const;

interface ChannelConnectionRow {
  id: string;
  inbox_id: string;
  type: string;
  name: string;
  settings: string;
  secret_keys: string;
  created_by: string | null;
  created_at: string;
  updated_at: string;
}

export function listChannelConnections(db: Database, { inboxId, type }: { inboxId?: string; type?: string }): ChannelConnectionRecord[] {
  const rows =
    inboxId !== undefined && type !== undefined
      ? statement(db, SQL.byInboxAndType).all(inboxId, type)
      : inboxId !== undefined
        ? statement(db, SQL.byInbox).all(inboxId)
        : type !== undefined
          ? statement(db, SQL.byType).all(type)
          : statement(db, SQL.all).all();
  return (rows as ChannelConnectionRow[]).map(toRecord);
}

export function getChannelConnection(db: Database, id: string): ChannelConnectionRecord | null {
  const row = statement(db, SQL.one).get(id) as ChannelConnectionRow | undefined;
  return row ? toRecord(row) : null;
}

function toRecord(row: ChannelConnectionRow): ChannelConnectionRecord {
  return {
    id: row.id,
    inboxId: row.inbox_id,
    type: row.type,
    name: row.name,
    settings: JSON.parse(row.settings) as Record<string, unknown>,
    secretKeys: JSON.parse(row.secret_keys) as string[],
    createdBy: row.created_by,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
