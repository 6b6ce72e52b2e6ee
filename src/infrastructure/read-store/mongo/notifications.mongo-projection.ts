import type { NotificationRecord } from '../../../application/ports/read-store.port';
import type { NotificationEvent } from '../../../domain/notification/notification.events';
import { guardedSet, writeInOrder } from './guarded-writes';
import { type NotificationDocument } from './notifications.mongo-model';
import type { RecordedEvent } from '../../../application/ports/event-store.port';
import type { MongoReadModels } from './mongo-models';
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
  version: 2,
  handles: ['NotificationCreated', 'NotificationsRead', 'PersonalDataErased'],
  owns: ['notifications'],
  async applyBatch(events, models) {
    const model = models.notifications;
    await foldNotifications(model, events);
    // After the batch's own writes, so that a notification made before the erasure in this batch is scrubbed too.
    for (const scrub of erasureScrubs(events)) await model.updateMany(scrub.filter, scrub.update);
  },
};

/**
 * A contact's erasure (docs/privacy.md), as the embedded projection does: the conversation's
 * subject leaves every notification about it made before the erasure, and so does the contact's
 * name or address (`who`) of a new-message one. By creation position (`order`), not by the last
 * event: a notification read after the erasure was still made before it.
 */
export function erasureScrubs(events: readonly { type: string; streamId: string; position: number }[]) {
  return events
    .filter((event) => event.type === 'PersonalDataErased')
    .flatMap((event) => {
      const conversationId = idFromStream(event.streamId, 'conversation-');
      const before = { conversationId, order: { $lt: event.position } };
      return [
        { filter: before, update: { $unset: { 'params.subject': '' } } },
        { filter: { ...before, type: 'new-message' as const }, update: { $unset: { 'params.who': '' } } },
      ];
    });
}

async function foldNotifications(model: MongoReadModels['notifications'], events: readonly RecordedEvent[]): Promise<void> {
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
}

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
