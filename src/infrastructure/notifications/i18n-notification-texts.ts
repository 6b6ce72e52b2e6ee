import { Inject, Injectable, Optional } from '@nestjs/common';
import type { NotificationTextInput, NotificationTexts } from '../../application/notifications/notification-texts.port';
import { PUBLIC_URL } from '../http/controllers/channel-connections.controller';
import { DEFAULT_LANGUAGE, isLanguage, Locale } from '../i18n/i18n';

/**
 * Words notifications in the reader's language from the locale files (`notifications.*`), and
 * links the email to the conversation at PARLEY_PUBLIC_URL (without it, the email says to open
 * Parley: a guessed address would be wrong behind a proxy).
 */
@Injectable()
export class I18nNotificationTexts implements NotificationTexts {
  constructor(@Optional() @Inject(PUBLIC_URL) private readonly publicUrl: string | null = null) {}

  text(language: string | null | undefined, notification: NotificationTextInput): string {
    return notificationText(localeFor(language), notification);
  }

  email(language: string | null | undefined, notification: NotificationTextInput): { subject: string; text: string } {
    const locale = localeFor(language);
    const line = notificationText(locale, notification);
    const link = this.publicUrl ? `${this.publicUrl}${conversationPath(notification)}` : null;
    const open = link ? locale.t('notifications.email.open', { link }) : locale.t('notifications.email.openNoLink');
    return {
      subject: locale.t('notifications.email.subject', { text: line }),
      // The email channel adds the inbox's signature below, after its own "-- " line.
      text: `${line}\n\n${open}\n\n${locale.t('notifications.email.why')}\n`,
    };
  }
}

/** Where the inbox page shows the notification's conversation. */
export function conversationPath(notification: Pick<NotificationTextInput, 'conversationId' | 'inboxId'>): string {
  return `/inbox?inbox=${encodeURIComponent(notification.inboxId)}&view=all-open&conversation=${encodeURIComponent(notification.conversationId)}`;
}

/** The notification centre's line for a notification, in the locale's language. */
export function notificationText(locale: Locale, { type, params }: NotificationTextInput): string {
  const subject = params.subject?.trim() || locale.t('notifications.noSubject');
  const who = params.who?.trim() || '';
  switch (type) {
    case 'mention':
      return locale.t('notifications.text.mention', { who: who || locale.t('notifications.someone'), subject });
    case 'assigned':
      if (who) return locale.t('notifications.text.assigned', { who, subject });
      return locale.t(params.via ? 'notifications.text.assignedAuto' : 'notifications.text.assignedSystem', { subject });
    case 'handoff':
      return locale.t('notifications.text.handoff', { subject });
    case 'new-message':
      return locale.t('notifications.text.newMessage', { who: who || '?', subject });
    default:
      return subject;
  }
}

function localeFor(language: string | null | undefined): Locale {
  return new Locale(isLanguage(language) ? language : DEFAULT_LANGUAGE);
}
