import type { NotificationType } from '../../domain/agent/agent.events';
import type { NotificationParams } from '../../domain/notification/notification.events';

/**
 * The words of a notification in its reader's language: the line the notification centre shows,
 * and the email sent to the agent (with a link to the conversation). The application keeps a
 * notification as data (type and params); the adapter words it (English or Dutch).
 */
export const NOTIFICATION_TEXTS = Symbol('NOTIFICATION_TEXTS');

export interface NotificationTextInput {
  type: NotificationType;
  params: NotificationParams;
  conversationId: string;
  inboxId: string;
}

export interface NotificationTexts {
  /** One line for the notification centre; an unknown or missing language falls back to English. */
  text(language: string | null | undefined, notification: NotificationTextInput): string;
  /** The email to the agent: subject and plain text, with the conversation's address when Parley knows its own. */
  email(language: string | null | undefined, notification: NotificationTextInput): { subject: string; text: string };
}
