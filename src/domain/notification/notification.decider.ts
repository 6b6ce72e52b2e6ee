import { NOTIFICATION_TYPES } from '../agent/agent.events';
import type { Decider } from '../shared/decider';
import { invalidInput, notFound } from '../shared/domain-error';
import type { NotificationCommand, NotificationEvent } from './notification.events';

/** Most notification ids one request may mark read. */
export const MAX_READ_IDS = 500;

/** An agent's notifications: which exist, and whether each is read. */
export interface NotificationsState {
  readonly unread: ReadonlySet<string>;
  readonly read: ReadonlySet<string>;
}

export const notificationDecider: Decider<NotificationCommand, NotificationEvent, NotificationsState> = {
  initialState: () => ({ unread: new Set(), read: new Set() }),

  evolve: (state, event) => {
    switch (event.type) {
      case 'NotificationCreated': {
        const id = event.data.notificationId;
        if (state.unread.has(id) || state.read.has(id)) return state;
        return { unread: new Set([...state.unread, id]), read: state.read };
      }
      case 'NotificationsRead': {
        const unread = new Set(state.unread);
        const read = new Set(state.read);
        for (const id of event.data.ids) {
          if (unread.delete(id)) read.add(id);
        }
        return { unread, read };
      }
      default:
        return state;
    }
  },

  decide: (command, state) => {
    switch (command.type) {
      case 'CreateNotification': {
        const data = command.data;
        if (!(NOTIFICATION_TYPES as readonly string[]).includes(data.type)) {
          throw invalidInput('field-not-one-of', '{{field}} must be one of {{allowed}}, got {{value}}', {
            field: 'type',
            allowed: NOTIFICATION_TYPES.join(', '),
            value: JSON.stringify(data.type),
          });
        }
        if (state.unread.has(data.notificationId) || state.read.has(data.notificationId)) return [];
        return [{ type: 'NotificationCreated', data: { ...data, params: { ...data.params } } }];
      }
      case 'MarkNotificationsRead': {
        const { ids, now } = command.data;
        if (Number.isNaN(Date.parse(now)))
          throw invalidInput('field-not-a-time', '{{field}} must be a date and time, got {{value}}', { field: 'now', value: JSON.stringify(now) });
        const at = new Date(now).toISOString();
        if (ids === 'all') return state.unread.size === 0 ? [] : [{ type: 'NotificationsRead', data: { ids: [...state.unread], at } }];
        if (!Array.isArray(ids))
          throw invalidInput('field-not-list', '{{field}} must be a list, got {{value}}', { field: 'ids', value: JSON.stringify(ids ?? null) });
        if (ids.length === 0 || ids.length > MAX_READ_IDS) {
          throw invalidInput('notification-ids-count', 'ids must list 1 to {{max}} notification ids, got {{count}}', { max: MAX_READ_IDS, count: ids.length });
        }
        for (const id of ids) {
          if (typeof id !== 'string' || (!state.unread.has(id) && !state.read.has(id))) {
            throw notFound('notification-unknown', 'notification {{id}} not found; list yours with GET /api/me/notifications', { id: String(id) });
          }
        }
        const newlyRead = [...new Set(ids)].filter((id) => state.unread.has(id));
        return newlyRead.length === 0 ? [] : [{ type: 'NotificationsRead', data: { ids: newlyRead, at } }];
      }
      default:
        throw invalidInput('unknown-command', 'unknown {{aggregate}} command {{type}}', {
          aggregate: 'notification',
          type: String((command as { type?: unknown }).type),
        });
    }
  },
};
