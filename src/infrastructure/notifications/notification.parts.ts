import { NotificationFeed } from '../../application/notifications/notification-feed';
import { NOTIFICATION_TEXTS } from '../../application/notifications/notification-texts.port';
import { NotificationsController } from '../http/controllers/notifications.controller';
import { NotificationPagesController } from '../web/notification-pages.controller';
import { I18nNotificationTexts } from './i18n-notification-texts';

/** The notification centre's controllers (API and web UI), listed once for AppModule (docs/notifications.md). */
export const notificationControllers = [NotificationsController, NotificationPagesController];

/** Its words (en/nl) and its live feed. */
export const notificationProviders = [{ provide: NOTIFICATION_TEXTS, useClass: I18nNotificationTexts }, NotificationFeed];
