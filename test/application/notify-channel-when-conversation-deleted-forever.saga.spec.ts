import {
  NOTIFY_ATTEMPTS,
  NOTIFY_CHANNEL_OF_DELETED_CONVERSATION_JOB,
  NotifyChannelOfDeletedConversationJob,
} from '../../src/application/jobs/notify-channel-of-deleted-conversation.job';
import type { ChannelConversationNotices, ConversationDeletedForever } from '../../src/application/ports/channel-conversations.port';
import type { RecordedEvent } from '../../src/application/ports/event-store.port';
import type { EnqueueOptions, JobData, JobQueue } from '../../src/application/ports/job-queue.port';
import { NotifyChannelWhenConversationDeletedForever } from '../../src/application/process-managers/notify-channel-when-conversation-deleted-forever.saga';

describe('NotifyChannelWhenConversationDeletedForever (process manager) and its job', () => {
  const enqueued: { type: string; data: JobData; options?: EnqueueOptions }[] = [];
  const queue = {
    enqueue: async (type: string, data: JobData, options?: EnqueueOptions) => {
      const duplicate = enqueued.some((e) => e.options?.jobId === options?.jobId);
      if (!duplicate) enqueued.push({ type, data, options });
      return { jobId: options?.jobId ?? 'x', duplicate };
    },
  } as unknown as JobQueue;
  const tombstone = (id: string, data: Record<string, unknown>) =>
    ({ id, streamId: 'deleted-conversations', type: 'ConversationStreamDeleted', data }) as unknown as RecordedEvent;
  const keys = { inboxId: 'inbox-1', channel: 'email', externalThreadId: '<root@customer.test>', attachmentIds: ['sha256:aa', 'sha256:bb'] };

  beforeEach(() => (enqueued.length = 0));

  it('enqueues one durable job per tombstone with what the conversation referenced, even when the tombstone comes twice', async () => {
    const saga = new NotifyChannelWhenConversationDeletedForever(queue);
    expect(saga.handles).toEqual(['ConversationStreamDeleted']);
    const event = tombstone('t-1', { conversationId: 'c-1', reason: 'agent', lastRevision: 3, lastHash: 'h', deletedBy: { type: 'agent', id: 'a' }, ...keys });
    await saga.handle(event);
    await saga.handle(event);
    expect(enqueued).toEqual([
      {
        type: NOTIFY_CHANNEL_OF_DELETED_CONVERSATION_JOB,
        data: { conversationId: 'c-1', ...keys },
        options: { jobId: 'conversation-deleted-forever:t-1', attempts: NOTIFY_ATTEMPTS, backoff: { type: 'exponential', delayMs: 30_000 } },
      },
    ]);
  });

  it('passes over tombstones written before they named the channel: there is nothing to tell', async () => {
    await new NotifyChannelWhenConversationDeletedForever(queue).handle(
      tombstone('t-old', { conversationId: 'c-0', reason: 'agent', lastRevision: 1, lastHash: 'h', deletedBy: null }),
    );
    expect(enqueued).toEqual([]);
  });

  it('the job hands the notice to the channels, and fails (to be retried) when the channel cannot clean up', async () => {
    const told: ConversationDeletedForever[] = [];
    let failing = true;
    const notices: ChannelConversationNotices = {
      conversationDeletedForever: async (notice) => {
        if (failing) throw new Error('disk busy');
        told.push(notice);
      },
    };
    const job = new NotifyChannelOfDeletedConversationJob(notices);
    const data = { conversationId: 'c-1', ...keys };
    await expect(job.handle(data)).rejects.toThrow('disk busy');
    failing = false;
    await job.handle(data);
    expect(told).toEqual([data]);
  });
});
