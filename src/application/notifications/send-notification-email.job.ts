import { Inject, Injectable } from '@nestjs/common';
import type { NotificationType } from '../../domain/agent/agent.events';
import { NOTIFICATION_TYPES } from '../../domain/agent/agent.events';
import type { NotificationParams } from '../../domain/notification/notification.events';
import { InboxAccess } from '../access/inbox-access';
import type { JobRegistration } from '../jobs/job-registration';
import { CHANNEL_DELIVERY, type ChannelDelivery } from '../ports/channel-delivery.port';
import { PermanentJobError, type Backoff, type JobContext, type JobData } from '../ports/job-queue.port';
import { APP_LOGGER, type AppLogger } from '../ports/logger.port';
import { READ_STORE, type ReadStore } from '../ports/read-store.port';
import { NOTIFICATION_TEXTS, type NotificationTexts } from './notification-texts.port';

export const NOTIFICATION_EMAIL_JOB = 'notification.email';
/** One email per notification: the saga handling its event again enqueues nothing new. */
export const notificationEmailJobId = (notificationId: string) => `notification-email:${notificationId}`;
/** About half an hour of retries (30 s, 1, 2, 4, 8, 16 min) while the relay is down. */
export const NOTIFICATION_EMAIL_ATTEMPTS = 7;
export const NOTIFICATION_EMAIL_BACKOFF: Backoff = { type: 'exponential', delayMs: 30_000 };

export interface NotificationEmailJobData {
  notificationId: string;
  agentId: string;
  type: NotificationType;
  conversationId: string;
  inboxId: string;
  params: NotificationParams;
}

/**
 * Emails one notification to its agent through the email channel (OutboundMessage kind
 * `notification`: never threaded, marked Auto-Submitted), in the agent's language, from the
 * conversation's inbox address (else the default sender). Nothing is recorded in the log: the
 * email is not part of any conversation. An agent removed, or without access to the inbox any
 * more, by the time the job runs gets nothing. Retried with backoff while the relay fails; the
 * email's Message-ID derives from the notification id, so a send repeated after a crash is
 * recognisable as the same message.
 */
@Injectable()
export class SendNotificationEmailJob implements JobRegistration {
  readonly type = NOTIFICATION_EMAIL_JOB;
  readonly options = { concurrency: 2 };

  constructor(
    private readonly access: InboxAccess,
    @Inject(READ_STORE) private readonly readStore: ReadStore,
    @Inject(CHANNEL_DELIVERY) private readonly delivery: ChannelDelivery,
    @Inject(NOTIFICATION_TEXTS) private readonly texts: NotificationTexts,
    @Inject(APP_LOGGER) private readonly logger: AppLogger,
  ) {}

  async handle(data: JobData, job: JobContext): Promise<void> {
    const notification = parse(data);
    const agent = await this.readStore.getAgent(notification.agentId);
    const inbox = await this.readStore.getInbox(notification.inboxId);
    if (!agent || !inbox || !this.access.canAccess({ id: agent.id, name: agent.name, email: agent.email, role: agent.role }, inbox)) return;
    const { subject, text } = this.texts.email(agent.language, notification);
    const result = await this.delivery.send({
      conversationId: notification.conversationId,
      messageId: notification.notificationId,
      channel: 'email',
      conversationChannel: 'email',
      to: [{ address: agent.email, name: agent.name }],
      ...(inbox.emailAddress ? { from: { address: inbox.emailAddress, name: inbox.name } } : {}),
      subject,
      text,
      thread: { externalThreadId: `notification-${notification.notificationId}`, externalMessageIds: [] },
      kind: 'notification',
      ...(agent.language === 'en' || agent.language === 'nl' ? { language: agent.language } : {}),
    });
    const log = { notificationId: notification.notificationId, agentId: agent.id, jobId: job.jobId, attempt: job.attempt };
    if (result.status === 'delivered') {
      this.logger.info(log, 'notification emailed');
      return;
    }
    if (!result.retryable) {
      this.logger.error({ ...log, reason: result.reason }, 'notification email refused for good');
      throw new PermanentJobError(`notification email not sent: ${result.reason}`);
    }
    this.logger.warn({ ...log, reason: result.reason }, 'notification email failed; retrying');
    throw new Error(`notification email not sent, retrying: ${result.reason}`);
  }
}

function parse(data: JobData): NotificationEmailJobData {
  const { notificationId, agentId, type, conversationId, inboxId, params } = data as Partial<NotificationEmailJobData>;
  if (
    typeof notificationId !== 'string' ||
    typeof agentId !== 'string' ||
    typeof conversationId !== 'string' ||
    typeof inboxId !== 'string' ||
    !(NOTIFICATION_TYPES as readonly unknown[]).includes(type)
  ) {
    throw new PermanentJobError(
      `a ${NOTIFICATION_EMAIL_JOB} job needs notificationId, agentId, type, conversationId and inboxId (got ${JSON.stringify(data)})`,
    );
  }
  return { notificationId, agentId, type: type as NotificationType, conversationId, inboxId, params: params && typeof params === 'object' ? params : {} };
}
