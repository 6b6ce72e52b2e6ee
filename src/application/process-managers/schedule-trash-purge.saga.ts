import { Inject, Injectable } from '@nestjs/common';
import { PURGE_CONVERSATION_JOB, purgeJobId, type PurgeConversationJobData } from '../jobs/purge-conversation.job';
import type { RecordedEvent } from '../ports/event-store.port';
import { JOB_QUEUE, type JobQueue } from '../ports/job-queue.port';
import { conversationIdFromStream } from '../streams';
import type { ProcessManager } from './process-manager';

/** A purge that keeps failing (a store down for a while) retries for about 8 hours; the sweep stays behind it. */
const PURGE_ATTEMPTS = 10;
const PURGE_BACKOFF = { type: 'exponential', delayMs: 60_000 } as const;

/**
 * Rule 7: a trashed conversation is deleted for good 30 days later. Each trashing schedules one
 * delayed `conversation.purge` job at its purgeAfter; the jobId names the trashing, so handling
 * the event again (at-least-once) schedules nothing new.
 */
@Injectable()
export class ScheduleTrashPurge implements ProcessManager {
  readonly name = 'schedule-trash-purge';
  readonly handles = ['ConversationTrashed'] as const;

  constructor(@Inject(JOB_QUEUE) private readonly jobs: JobQueue) {}

  async handle(event: RecordedEvent): Promise<void> {
    const conversationId = conversationIdFromStream(event.streamId);
    if (!conversationId) return;
    const { trashedAt, purgeAfter } = event.data as { trashedAt: string; purgeAfter: string };
    const data: PurgeConversationJobData = { conversationId, trashedAt };
    await this.jobs.enqueue(
      PURGE_CONVERSATION_JOB,
      { ...data },
      {
        jobId: purgeJobId(conversationId, trashedAt),
        runAt: purgeAfter,
        attempts: PURGE_ATTEMPTS,
        backoff: PURGE_BACKOFF,
      },
    );
  }
}
