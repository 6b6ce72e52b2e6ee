import type { NotificationRecord } from '../../../application/ports/read-store.port';
import type { NotificationEvent } from '../../../domain/notification/notification.events';
import { guardedSet, writeInOrder } from './guarded-writes';
import { type NotificationDocument } from './notifications.mongo-model';
import { idFromStream, type MongoProjection } from './mongo-projection';

type Fields = Omit<NotificationDocument, '_id' | 'lastPosition'>;
type DataOf<T extends NotificationEvent['type']> = Extract<NotificationEvent, { type: T }>['data'];

/** The notifications an event is about. */
function keys(event: { type: string; data: Record<string, unknown> }): string[] {
  if (event.type === 'NotificationCreated') return [String(event.data.notificationId)];
  if (event.type === 'NotificationsRead') return Array.isArray(event.data.ids) ? event.data.ids.map(String) : [];
  return [];
}

/** Folds each touched notification's events in log order and writes it once, guarded by its last event's position. */
export const notificationsMongoProjection: MongoProjection = {
  name: 'notifications',
  version: 1,
  handles: ['NotificationCreated', 'NotificationsRead'],
  owns: ['notifications'],
  async applyBatch(events, models) {
    const model = models.notifications;
    const ids = [...new Set(events.flatMap(keys))];
    if (ids.length === 0) return;
    const stored = await model.find({ _id: { $in: ids } }).lean<NotificationDocument[]>();
    const states = new Map<string, { lastPosition: number; fields: Fields | null; touched: boolean }>(
      ids.map((id) => [id, { lastPosition: 0, fields: null, touched: false }]),
    );
    for (const document of stored) {
      const { _id, lastPosition, ...fields } = document;
      states.set(_id, { lastPosition, fields, touched: false });
    }
    for (const event of events) {
      for (const id of keys(event)) {
        const state = states.get(id);
        if (!state || event.position <= state.lastPosition) continue;
        let next: Fields | null = null;
        if (event.type === 'NotificationCreated' && state.fields === null) {
          const data = event.data as unknown as DataOf<'NotificationCreated'>;
          next = {
            agentId: data.agentId,
            type: data.type,
            conversationId: data.conversationId,
            inboxId: data.inboxId,
            params: { ...(data.params ?? {}) },
            createdAt: data.at,
            readAt: null,
            order: event.position,
          };
        } else if (event.type === 'NotificationsRead' && state.fields !== null && state.fields.readAt === null) {
          // Only the owner's stream can mark it read.
          if (idFromStream(event.streamId, 'notifications-') !== state.fields.agentId) continue;
          next = { ...state.fields, readAt: (event.data as unknown as DataOf<'NotificationsRead'>).at };
        }
        if (next === null) continue;
        state.fields = next;
        state.lastPosition = event.position;
        state.touched = true;
      }
    }
    const writes = [...states.entries()]
      .filter(([, state]) => state.touched && state.fields !== null)
      .map(([id, state]) => guardedSet(id, state.lastPosition, state.fields as unknown as Record<string, unknown>));
    await writeInOrder(model, writes);
  },
};

export function toNotificationRecord(notification: NotificationDocument): NotificationRecord {
  return {
    id: notification._id,
    agentId: notification.agentId,
    type: notification.type,
    conversationId: notification.conversationId,
    inboxId: notification.inboxId,
    params: notification.params ?? {},
    createdAt: notification.createdAt,
    read: typeof notification.readAt === 'string',
  };
}
