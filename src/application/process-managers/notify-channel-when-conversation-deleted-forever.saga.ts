import { Inject, Injectable } from '@nestjs/common';
import type { ConversationStreamDeletedData } from '../conversations/delete-conversation-stream';
import { NOTIFY_ATTEMPTS, NOTIFY_BACKOFF, NOTIFY_CHANNEL_OF_DELETED_CONVERSATION_JOB, notifyJobId } from '../jobs/notify-channel-of-deleted-conversation.job';
import type { ConversationDeletedForever } from '../ports/channel-conversations.port';
import type { RecordedEvent } from '../ports/event-store.port';
import { JOB_QUEUE, type JobQueue } from '../ports/job-queue.port';
import type { ProcessManager } from './process-manager';

/**
 * Delete forever reaches the channel's own data too: once a conversation's stream is gone (its
 * tombstone recorded), a durable job tells its channel what it referenced. From the event log,
 * so a crash at any point still gets there.
 */
@Injectable()
export class NotifyChannelWhenConversationDeletedForever implements ProcessManager {
  readonly name = 'notify-channel-when-conversation-deleted-forever';
  readonly handles = ['ConversationStreamDeleted'] as const;

  constructor(@Inject(JOB_QUEUE) private readonly jobs: JobQueue) {}

  async handle(event: RecordedEvent): Promise<void> {
    const data = event.data as unknown as ConversationStreamDeletedData;
    // Older tombstones do not say which channel the conversation was on: nothing to tell.
    if (data.channel === undefined || data.inboxId === undefined || data.externalThreadId === undefined) return;
    const notice: ConversationDeletedForever = {
      conversationId: data.conversationId,
      inboxId: data.inboxId,
      channel: data.channel,
      externalThreadId: data.externalThreadId,
      attachmentIds: data.attachmentIds ?? [],
    };
    await this.jobs.enqueue(
      NOTIFY_CHANNEL_OF_DELETED_CONVERSATION_JOB,
      { ...notice },
      { jobId: notifyJobId(event.id), attempts: NOTIFY_ATTEMPTS, backoff: NOTIFY_BACKOFF },
    );
  }
}
