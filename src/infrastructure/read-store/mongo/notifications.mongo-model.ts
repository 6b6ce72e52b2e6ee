import { Schema, type Connection, type Model } from 'mongoose';
import type { NotificationType } from '../../../domain/agent/agent.events';
import type { NotificationParams } from '../../../domain/notification/notification.events';

/**
 * Each agent's notification centre (collection `notifications`), the twin of the embedded
 * rm_notifications (src/projections/sqlite/notifications.projection.ts): one document per
 * notification, written as a state guarded by the position of its last event.
 */
export interface NotificationDocument {
  _id: string;
  agentId: string;
  type: NotificationType;
  conversationId: string;
  inboxId: string;
  params: NotificationParams;
  createdAt: string;
  readAt: string | null;
  /** Log position of its creation: the list order (newest first). */
  order: number;
  lastPosition: number;
}

export function notificationSchema(): Schema<NotificationDocument> {
  const schema = new Schema<NotificationDocument>(
    {
      _id: { type: String, required: true },
      agentId: String,
      type: String,
      conversationId: String,
      inboxId: String,
      params: { type: Schema.Types.Mixed, default: {} },
      createdAt: String,
      readAt: { type: String, default: null },
      order: Number,
      lastPosition: { type: Number, required: true },
    },
    { collection: 'notifications', versionKey: false as const, minimize: false, strict: 'throw' as const, autoIndex: false, autoCreate: false },
  );
  schema.index({ agentId: 1, order: -1 }, { name: 'by_agent' });
  schema.index({ agentId: 1, readAt: 1 }, { name: 'unread_by_agent' });
  schema.index({ conversationId: 1 }, { name: 'by_conversation' });
  return schema;
}

export function defineNotificationModel(connection: Connection): Model<NotificationDocument> {
  return connection.model<NotificationDocument>('Notification', notificationSchema());
}
