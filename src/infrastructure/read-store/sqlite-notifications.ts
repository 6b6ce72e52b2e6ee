import type { Database } from 'better-sqlite3';
import type { NotificationRecord } from '../../application/ports/read-store.port';
import { statement } from '../../projections/sqlite/statements';

/** The ReadStore's notification queries over rm_notifications (notifications.projection.ts). */
const SQL = {
  list: 'SELECT * FROM rm_notifications WHERE agent_id = ? ORDER BY position DESC LIMIT ?',
  unread: 'SELECT COUNT(*) AS n FROM rm_notifications WHERE agent_id = ? AND read_at IS NULL',
} as const;

interface NotificationRow {
  id: string;
  agent_id: string;
  type: NotificationRecord['type'];
  conversation_id: string;
  inbox_id: string;
  params: string;
  created_at: string;
  read_at: string | null;
}

export function listNotifications(db: Database, agentId: string, limit: number): NotificationRecord[] {
  return (statement(db, SQL.list).all(agentId, Math.max(0, Math.floor(limit))) as NotificationRow[]).map((row) => ({
    id: row.id,
    agentId: row.agent_id,
    type: row.type,
    conversationId: row.conversation_id,
    inboxId: row.inbox_id,
    params: JSON.parse(row.params) as NotificationRecord['params'],
    createdAt: row.created_at,
    read: row.read_at !== null,
  }));
}

export function countUnreadNotifications(db: Database, agentId: string): number {
  return (statement(db, SQL.unread).get(agentId) as { n: number }).n;
}
