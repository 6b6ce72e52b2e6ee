import { notificationDecider } from '../../src/domain/notification/notification.decider';
import type { NotificationCreated, NotificationEvent } from '../../src/domain/notification/notification.events';
import { given, stateAfter } from '../support/given-when-then';

const NOW = '2026-03-02T10:00:00.000Z';
const created = (id: string): NotificationEvent => ({
  type: 'NotificationCreated',
  data: {
    notificationId: id,
    agentId: 'agent-b',
    type: 'mention',
    conversationId: 'conv-1',
    inboxId: 'inbox-1',
    params: { who: 'Ann', subject: 'Refund' },
    at: NOW,
  },
});
const data = (id: string) => (created(id) as NotificationCreated).data;

describe("notifications (an agent's notification centre)", () => {
  describe('CreateNotification', () => {
    it('records a new notification, unread', () => {
      given(notificationDecider)
        .when({ type: 'CreateNotification', data: data('n1') })
        .then([created('n1')]);
      expect([...stateAfter(notificationDecider, created('n1')).unread]).toEqual(['n1']);
    });

    it('records nothing for an id it has (the same cause handled again: at least once, created once)', () => {
      given(notificationDecider, created('n1'))
        .when({ type: 'CreateNotification', data: data('n1') })
        .then([]);
    });

    it('records nothing for an id that was already read', () => {
      const read: NotificationEvent = { type: 'NotificationsRead', data: { ids: ['n1'], at: NOW } };
      given(notificationDecider, created('n1'), read)
        .when({ type: 'CreateNotification', data: data('n1') })
        .then([]);
    });

    it('refuses a type that is not a notification type', () => {
      given(notificationDecider)
        .when({ type: 'CreateNotification', data: { ...data('n1'), type: 'gossip' as never } })
        .thenThrows('invalid-input', /type must be one of mention, assigned, handoff, new-message, got "gossip"/);
    });
  });

  describe('MarkNotificationsRead', () => {
    it('marks the given unread notifications read', () => {
      given(notificationDecider, created('n1'), created('n2'))
        .when({ type: 'MarkNotificationsRead', data: { ids: ['n2'], now: NOW } })
        .then([{ type: 'NotificationsRead', data: { ids: ['n2'], at: NOW } }]);
    });

    it('lists each newly read id once and leaves out ids already read', () => {
      given(notificationDecider, created('n1'), created('n2'), { type: 'NotificationsRead', data: { ids: ['n1'], at: NOW } })
        .when({ type: 'MarkNotificationsRead', data: { ids: ['n1', 'n2', 'n2'], now: NOW } })
        .then([{ type: 'NotificationsRead', data: { ids: ['n2'], at: NOW } }]);
    });

    it('records nothing when everything given was read already (a repeated click)', () => {
      given(notificationDecider, created('n1'), { type: 'NotificationsRead', data: { ids: ['n1'], at: NOW } })
        .when({ type: 'MarkNotificationsRead', data: { ids: ['n1'], now: NOW } })
        .then([]);
    });

    it('marks every unread one read with "all", and nothing when none is unread', () => {
      given(notificationDecider, created('n1'), created('n2'))
        .when({ type: 'MarkNotificationsRead', data: { ids: 'all', now: NOW } })
        .then([{ type: 'NotificationsRead', data: { ids: ['n1', 'n2'], at: NOW } }]);
      given(notificationDecider)
        .when({ type: 'MarkNotificationsRead', data: { ids: 'all', now: NOW } })
        .then([]);
    });

    it("refuses an id that is not one of this agent's notifications, naming it", () => {
      given(notificationDecider, created('n1'))
        .when({ type: 'MarkNotificationsRead', data: { ids: ['n1', 'someone-elses'], now: NOW } })
        .thenThrows('not-found', /notification someone-elses not found/);
    });

    it('refuses an empty list and a list that is not one', () => {
      given(notificationDecider, created('n1'))
        .when({ type: 'MarkNotificationsRead', data: { ids: [], now: NOW } })
        .thenThrows('invalid-input', /ids must list 1 to 500 notification ids, got 0/);
      given(notificationDecider, created('n1'))
        .when({ type: 'MarkNotificationsRead', data: { ids: 'n1' as never, now: NOW } })
        .thenThrows('invalid-input', /ids must be a list, got "n1"/);
    });

    it('refuses a time that is not one', () => {
      given(notificationDecider, created('n1'))
        .when({ type: 'MarkNotificationsRead', data: { ids: ['n1'], now: 'soon' } })
        .thenThrows('invalid-input', /now must be a date and time, got "soon"/);
    });
  });
});
