import { Inject, Injectable } from '@nestjs/common';
import { CHANNEL_CONVERSATION_NOTICES, type ChannelConversationNotices, type ConversationDeletedForever } from '../ports/channel-conversations.port';
import type { Backoff, JobData } from '../ports/job-queue.port';
import type { JobRegistration } from './job-registration';

export const NOTIFY_CHANNEL_OF_DELETED_CONVERSATION_JOB = 'channel.conversation-deleted-forever';
/** About a day of retries: a channel that cannot clean up now (disk trouble) gets there later. */
export const NOTIFY_ATTEMPTS = 12;
export const NOTIFY_BACKOFF: Backoff = { type: 'exponential', delayMs: 30_000 };

/** One notice per tombstone: handling the tombstone again enqueues nothing new. */
export const notifyJobId = (tombstoneId: string) => `conversation-deleted-forever:${tombstoneId}`;

/** Tells the conversation's channel it was deleted forever, so it deletes what it keeps for it (email originals, attachments). */
@Injectable()
export class NotifyChannelOfDeletedConversationJob implements JobRegistration {
  readonly type = NOTIFY_CHANNEL_OF_DELETED_CONVERSATION_JOB;

  constructor(@Inject(CHANNEL_CONVERSATION_NOTICES) private readonly notices: ChannelConversationNotices) {}

  async handle(data: JobData): Promise<void> {
    await this.notices.conversationDeletedForever(data as unknown as ConversationDeletedForever);
  }
}
