import { ATTACHMENT_STORE } from '../../src/application/ports/attachment-store.port';
import { CommandBus } from '@nestjs/cqrs';
import { CommandExecutor } from '../../src/application/command-handling/command-executor';
import { DeliverReplyJob, MAX_DELIVERY_DELAY_MS } from '../../src/application/jobs/deliver-reply.job';
import type { ChannelDelivery, DeliveryResult, OutboundMessage } from '../../src/application/ports/channel-delivery.port';
import { PermanentJobError, type JobContext } from '../../src/application/ports/job-queue.port';
import { READ_STORE, type ReadStore } from '../../src/application/ports/read-store.port';
import { inbound, ManualClock, startTestApp, type TestApp } from '../support/app-harness';

/** A channel whose next answers the test sets; records what it was asked to send. */
class ScriptedDelivery implements ChannelDelivery {
  readonly sent: OutboundMessage[] = [];
  next: DeliveryResult[] = [];
  async send(outbound: OutboundMessage): Promise<DeliveryResult> {
    this.sent.push(outbound);
    return this.next.shift() ?? { status: 'delivered' };
  }
}

const silent = { info() {}, warn() {}, error() {}, debug() {} };
const job = (messageId: string, attempt: number, attempts = 3): JobContext => ({ jobId: `reply:${messageId}`, type: 'reply.deliver', attempt, attempts });

describe('DeliverReplyJob', () => {
  let t: TestApp;
  let token: string;
  let clock: ManualClock;
  let delivery: ScriptedDelivery;
  let deliver: DeliverReplyJob;

  beforeAll(async () => {
    clock = new ManualClock();
    // No background work: the test runs the job by hand, attempt by attempt.
    t = await startTestApp({ backgroundWork: false, clock });
    token = await t.login();
  });
  afterAll(() => t.close());
  beforeEach(() => {
    delivery = new ScriptedDelivery();
    deliver = new DeliverReplyJob(
      t.app.get(CommandBus),
      t.app.get(CommandExecutor),
      delivery,
      t.app.get<ReadStore>(READ_STORE),
      silent,
      t.app.get(ATTACHMENT_STORE),
    );
  });

  async function queuedReply(text = 'On its way') {
    const message = inbound();
    const posted = await t.request('POST', '/api/channels/api/messages', { token, body: message });
    const reply = await t.request('POST', `/api/conversations/${posted.body.conversationId}/replies`, { token, body: { text, html: '<p>hi</p>' } });
    return { conversationId: posted.body.conversationId as string, messageId: reply.body.messageId as string, message };
  }
  const history = async (conversationId: string) =>
    (await t.request('GET', `/api/conversations/${conversationId}/history`, { token })).body.events.filter((e: { type: string }) =>
      e.type.startsWith('Reply'),
    ) as { type: string; data: Record<string, unknown> }[];

  it('sends the reply with its thread and records it delivered with the external id', async () => {
    const { conversationId, messageId, message } = await queuedReply();
    delivery.next = [{ status: 'delivered', externalMessageId: '<out-1@example.com>' }];
    await deliver.handle({ conversationId, messageId }, job(messageId, 1));
    expect(delivery.sent).toEqual([
      {
        conversationId,
        messageId,
        channel: 'api',
        // The conversation's own channel: the same here (a chat answered by email would say chat).
        conversationChannel: 'api',
        to: [{ address: message.from.address, name: message.from.name }],
        from: { address: 'support@localhost', name: expect.any(String) },
        subject: `Re: ${message.subject}`,
        text: 'On its way',
        html: '<p>hi</p>',
        thread: { externalThreadId: message.externalThreadId, externalMessageIds: [message.externalMessageId] },
        kind: 'reply',
      },
    ]);
    expect((await history(conversationId)).map((e) => e.type)).toEqual(['ReplyQueued', 'ReplyDelivered']);
  });

  it('does not send again once delivered (a redelivered job)', async () => {
    const { conversationId, messageId } = await queuedReply();
    await deliver.handle({ conversationId, messageId }, job(messageId, 1));
    await deliver.handle({ conversationId, messageId }, job(messageId, 1));
    expect(delivery.sent).toHaveLength(1);
  });

  it('records a retryable failure as "retrying" and throws so the queue retries; the same attempt redelivered records it once', async () => {
    const { conversationId, messageId } = await queuedReply();
    delivery.next = [
      { status: 'failed', retryable: true, reason: 'relay down' },
      { status: 'failed', retryable: true, reason: 'relay down' },
    ];
    await expect(deliver.handle({ conversationId, messageId }, job(messageId, 1))).rejects.toThrow('sending failed, retrying: relay down');
    await expect(deliver.handle({ conversationId, messageId }, job(messageId, 1))).rejects.not.toBeInstanceOf(PermanentJobError);
    expect(await history(conversationId)).toEqual([
      expect.objectContaining({ type: 'ReplyQueued' }),
      expect.objectContaining({ type: 'ReplyDeliveryFailed', data: expect.objectContaining({ messageId, retryable: true, attempt: 1, reason: 'relay down' }) }),
    ]);
    const detail = await t.request('GET', `/api/conversations/${conversationId}`, { token });
    expect(detail.body.messages.at(-1).delivery).toEqual({ status: 'retrying', reason: 'relay down' });
  });

  it('gives up on the last attempt: recorded as failed for good, PermanentJobError', async () => {
    const { conversationId, messageId } = await queuedReply();
    delivery.next = [{ status: 'failed', retryable: true, reason: 'relay down' }];
    const attempt = deliver.handle({ conversationId, messageId }, job(messageId, 3, 3));
    await expect(attempt).rejects.toBeInstanceOf(PermanentJobError);
    await expect(attempt).rejects.toThrow('gave up after 3 attempts: relay down');
    const detail = await t.request('GET', `/api/conversations/${conversationId}`, { token });
    expect(detail.body.messages.at(-1).delivery).toEqual({ status: 'failed', reason: 'gave up after 3 attempts: relay down' });
  });

  it('records a permanent failure at once and never sends that reply again', async () => {
    const { conversationId, messageId } = await queuedReply();
    delivery.next = [{ status: 'failed', retryable: false, reason: 'mailbox unknown' }];
    await expect(deliver.handle({ conversationId, messageId }, job(messageId, 1))).rejects.toBeInstanceOf(PermanentJobError);
    await deliver.handle({ conversationId, messageId }, job(messageId, 2));
    expect(delivery.sent).toHaveLength(1);
    expect((await history(conversationId)).map((e) => [e.type, e.data.retryable])).toEqual([
      ['ReplyQueued', undefined],
      ['ReplyDeliveryFailed', false],
    ]);
  });

  it('does not send a reply that waited for days; it shows as failed instead', async () => {
    const { conversationId, messageId } = await queuedReply();
    clock.advance(MAX_DELIVERY_DELAY_MS + 60_000);
    await expect(deliver.handle({ conversationId, messageId }, job(messageId, 1))).rejects.toBeInstanceOf(PermanentJobError);
    expect(delivery.sent).toEqual([]);
    const detail = await t.request('GET', `/api/conversations/${conversationId}`, { token });
    expect(detail.body.messages.at(-1).delivery).toMatchObject({ status: 'failed', reason: expect.stringContaining('waited more than 3 days') });
  });

  it('does nothing for a conversation or reply that does not exist (deleted forever)', async () => {
    await deliver.handle({ conversationId: '00000000-0000-4000-8000-000000000000', messageId: 'x' }, job('x', 1));
    const { conversationId } = await queuedReply();
    await deliver.handle({ conversationId, messageId: '00000000-0000-4000-8000-000000000000' }, job('y', 1));
    expect(delivery.sent).toEqual([]);
  });

  it('refuses job data without ids as a permanent failure', async () => {
    await expect(deliver.handle({ conversationId: 42 }, job('z', 1))).rejects.toBeInstanceOf(PermanentJobError);
  });
});
