import type { NotificationEvent } from '../../domain/notification/notification.events';
import type { SqliteProjection } from '../projection';
import { idFromStream, statement } from './statements';

type DataOf<T extends NotificationEvent['type']> = Extract<NotificationEvent, { type: T }>['data'];

/**
 * Each agent's notification centre (docs/notifications.md): one row per notification, newest
 * first by log position, with whether it was read. Writes are keyed by notification id and set
 * values, so applying an event twice changes nothing.
 */
export const notificationsProjection: SqliteProjection = {
  name: 'notifications',
  version: 2,
  handles: ['NotificationCreated', 'NotificationsRead', 'PersonalDataErased'],
  reset(tx) {
    tx.exec(`
      DROP TABLE IF EXISTS rm_notifications;
      CREATE TABLE rm_notifications (
        id TEXT PRIMARY KEY,
        agent_id TEXT NOT NULL,
        type TEXT NOT NULL,
        conversation_id TEXT NOT NULL,
        inbox_id TEXT NOT NULL,
        params TEXT NOT NULL,
        created_at TEXT NOT NULL,
        read_at TEXT,
        position INTEGER NOT NULL
      );
      CREATE INDEX rm_notifications_by_agent ON rm_notifications (agent_id, position);
      CREATE INDEX rm_notifications_unread ON rm_notifications (agent_id, read_at);
      CREATE INDEX rm_notifications_by_conversation ON rm_notifications (conversation_id);
    `);
  },
  apply(event, tx) {
    switch (event.type) {
      case 'NotificationCreated': {
        const data = event.data as unknown as DataOf<'NotificationCreated'>;
        statement(
          tx,
          `INSERT OR IGNORE INTO rm_notifications (id, agent_id, type, conversation_id, inbox_id, params, created_at, position)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
        ).run(data.notificationId, data.agentId, data.type, data.conversationId, data.inboxId, JSON.stringify(data.params ?? {}), data.at, event.position);
        return;
      }
      case 'NotificationsRead': {
        const data = event.data as unknown as DataOf<'NotificationsRead'>;
        const agentId = idFromStream(event.streamId, 'notifications-');
        const mark = statement(tx, 'UPDATE rm_notifications SET read_at = ? WHERE id = ? AND agent_id = ? AND read_at IS NULL');
        for (const id of data.ids) mark.run(data.at, id, agentId);
        return;
      }
      // A contact's erasure (docs/privacy.md): the conversation's subject leaves every notification
      // about it, and so does the contact's name or address that a new-message one names.
      case 'PersonalDataErased': {
        const conversationId = idFromStream(event.streamId, 'conversation-');
        statement(
          tx,
          `UPDATE rm_notifications SET params = CASE WHEN type = 'new-message' THEN json_remove(params, '$.subject', '$.who')
             ELSE json_remove(params, '$.subject') END WHERE conversation_id = ?`,
        ).run(conversationId);
        return;
      }
      default:
        return;
    }
  },
};
