import { Inject, Injectable } from '@nestjs/common';
import { DELIVER_REPLY_JOB, DELIVERY_ATTEMPTS, DELIVERY_BACKOFF, deliverReplyJobId, type DeliverReplyJobData } from '../jobs/deliver-reply.job';
import type { RecordedEvent } from '../ports/event-store.port';
import { JOB_QUEUE, type JobQueue } from '../ports/job-queue.port';
import { conversationIdFromStream } from '../streams';
import type { ProcessManager } from './process-manager';

/**
 * Outbound delivery: every queued reply (an agent's answer, a composed email, a forward, a transcript) becomes one durable
 * `reply.deliver` job that sends it through its channel's plugin, retrying with backoff. The jobId
 * names the reply, so handling the event again (at-least-once) enqueues nothing new.
 */
@Injectable()
export class DeliverReplies implements ProcessManager {
  readonly name = 'deliver-replies';
  /** A reply (or composed first message), a forward (rule 13) and a transcript (rule 12) are delivered alike. */
  readonly handles = ['ReplyQueued', 'ConversationForwarded', 'TranscriptSent'] as const;

  constructor(@Inject(JOB_QUEUE) private readonly jobs: JobQueue) {}

  async handle(event: RecordedEvent): Promise<void> {
    const conversationId = conversationIdFromStream(event.streamId);
    if (!conversationId) return;
    const { messageId } = event.data as { messageId: string };
    const data: DeliverReplyJobData = { conversationId, messageId };
    await this.jobs.enqueue(DELIVER_REPLY_JOB, { ...data }, { jobId: deliverReplyJobId(messageId), attempts: DELIVERY_ATTEMPTS, backoff: DELIVERY_BACKOFF });
  }
}
