import type { Database } from 'better-sqlite3';
import type { NotificationRecord } from '../../application/ports/read-store.port';
import { statement } from '../../projections/sqlite/statements';

/** The ReadStore's notification queries over rm_notifications (notifications.projection.ts). */
const inInboxes = (inboxIds: readonly string[] | undefined) => (inboxIds === undefined ? '' : ` AND inbox_id IN (${inboxIds.map(() => '?').join(', ')})`);

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

/** Newest first; with `inboxIds`, only notifications about conversations of those inboxes. */
export function listNotifications(db: Database, agentId: string, limit: number, inboxIds?: readonly string[]): NotificationRecord[] {
  if (inboxIds?.length === 0) return [];
  const sql = `SELECT * FROM rm_notifications WHERE agent_id = ?${inInboxes(inboxIds)} ORDER BY position DESC LIMIT ?`;
  return (statement(db, sql).all(agentId, ...(inboxIds ?? []), Math.max(0, Math.floor(limit))) as NotificationRow[]).map((row) => ({
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

export function countUnreadNotifications(db: Database, agentId: string, inboxIds?: readonly string[]): number {
  if (inboxIds?.length === 0) return 0;
  const sql = `SELECT COUNT(*) AS n FROM rm_notifications WHERE agent_id = ? AND read_at IS NULL${inInboxes(inboxIds)}`;
  return (statement(db, sql).get(agentId, ...(inboxIds ?? [])) as { n: number }).n;
}
