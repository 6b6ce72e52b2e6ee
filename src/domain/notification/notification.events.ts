import type { NotificationType } from '../agent/agent.events';

/**
 * An agent's notifications (stream `notifications-<agentId>`): what they were told about in the
 * app (a mention, an assignment, a bot handoff, a new message in a conversation they own), and
 * which of those they have read. Email notifications are sent without an event here: they are not
 * something the agent reads in Parley.
 */
export type NotificationEvent = NotificationCreated | NotificationsRead;

/**
 * What the notification's text is made of, kept as data so each reader gets it in their own
 * language: `who` (the agent who mentioned or assigned, the contact who wrote), `subject` (the
 * conversation's subject), `via` (the auto-assignment mode that handed it out).
 */
export type NotificationParams = Partial<Record<'who' | 'subject' | 'via', string>>;

export interface NotificationCreated {
  type: 'NotificationCreated';
  data: {
    /** Derived from the event that caused it, so telling the agent again (at least once) creates nothing new. */
    notificationId: string;
    agentId: string;
    type: NotificationType;
    conversationId: string;
    inboxId: string;
    params: NotificationParams;
    at: string;
  };
}

/** The agent read these notifications (only ids that were unread are listed). */
export interface NotificationsRead {
  type: 'NotificationsRead';
  data: { ids: string[]; at: string };
}

export type NotificationCommand = CreateNotification | MarkNotificationsRead;

/** A repeat with the same notificationId records nothing. */
export interface CreateNotification {
  type: 'CreateNotification';
  data: NotificationCreated['data'];
}

/** `ids`: the notifications to mark read, or `all` for every unread one. Already-read ids are no-ops. */
export interface MarkNotificationsRead {
  type: 'MarkNotificationsRead';
  data: { ids: string[] | 'all'; now: string };
}
