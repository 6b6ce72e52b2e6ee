import { DELIVER_REPLY_JOB, DELIVERY_ATTEMPTS } from '../../src/application/jobs/deliver-reply.job';
import type { RecordedEvent } from '../../src/application/ports/event-store.port';
import type { EnqueueOptions, JobData, JobQueue } from '../../src/application/ports/job-queue.port';
import { DeliverReplies } from '../../src/application/process-managers/deliver-replies.saga';

describe('DeliverReplies (process manager)', () => {
  const enqueued: { type: string; data: JobData; options?: EnqueueOptions }[] = [];
  const queue = {
    enqueue: async (type: string, data: JobData, options?: EnqueueOptions) => {
      const duplicate = enqueued.some((e) => e.options?.jobId === options?.jobId);
      if (!duplicate) enqueued.push({ type, data, options });
      return { jobId: options?.jobId ?? 'x', duplicate };
    },
  } as unknown as JobQueue;
  const replyQueued = (conversationId: string, messageId: string) =>
    ({ streamId: `conversation-${conversationId}`, type: 'ReplyQueued', data: { messageId } }) as unknown as RecordedEvent;

  it('enqueues one reply.deliver job per reply, with retries and exponential backoff, even when the event comes twice', async () => {
    const saga = new DeliverReplies(queue);
    expect(saga.handles).toEqual(['ReplyQueued', 'ConversationForwarded', 'TranscriptSent']);
    await saga.handle(replyQueued('c-1', 'm-1'));
    await saga.handle(replyQueued('c-1', 'm-1'));
    expect(enqueued).toEqual([
      {
        type: DELIVER_REPLY_JOB,
        data: { conversationId: 'c-1', messageId: 'm-1' },
        options: { jobId: 'reply:m-1', attempts: DELIVERY_ATTEMPTS, backoff: { type: 'exponential', delayMs: 30_000 } },
      },
    ]);
    expect(DELIVERY_ATTEMPTS).toBeGreaterThanOrEqual(8);
  });
});
