import { createHmac } from 'node:crypto';
import { JOB_QUEUE, type JobQueue } from '../../src/application/ports/job-queue.port';
import { inbound, startTestApp, type TestApp } from '../support/app-harness';
import { startHttpSink, type HttpSink } from '../support/http-sink';

const SECRET = 'reply-webhook-secret-0123456789';

/** Polls the conversation until its reply has the wanted delivery status. */
async function deliveryOf(t: TestApp, token: string, conversationId: string, messageId: string, wanted: string, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    const res = await t.request('GET', `/api/conversations/${conversationId}`, { token });
    last = res.body.messages.find((m: { id: string }) => m.id === messageId)?.delivery;
    if ((last as { status?: string } | undefined)?.status === wanted) return last as { status: string; reason?: string };
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`delivery of ${messageId} did not become ${wanted} within ${timeoutMs} ms (last: ${JSON.stringify(last)})`);
}

describe('channel registry and reply delivery (e2e, API channel)', () => {
  let t: TestApp;
  let token: string;
  let sink: HttpSink;

  const conversationWithReply = async (text: string) => {
    const posted = await t.request('POST', '/api/channels/api/messages', { token, body: inbound() });
    expect(posted.status).toBe(201);
    const reply = await t.request('POST', `/api/conversations/${posted.body.conversationId}/replies`, { token, body: { text } });
    expect(reply.status).toBe(201);
    return { conversationId: posted.body.conversationId as string, messageId: reply.body.messageId as string };
  };

  describe('with a reply webhook', () => {
    beforeAll(async () => {
      sink = await startHttpSink();
      // The API channel reads its settings from the environment (PARLEY_PLUGIN_API_*).
      process.env.PARLEY_PLUGIN_API_WEBHOOK_URL = sink.url;
      process.env.PARLEY_PLUGIN_API_WEBHOOK_SECRET = SECRET;
      // The sink listens on 127.0.0.1, a target the outbound guard refuses unless private targets are allowed.
      t = await startTestApp({ env: { PARLEY_ALLOW_PRIVATE_NETWORK: 'true' } });
      token = await t.login();
    });
    afterAll(async () => {
      delete process.env.PARLEY_PLUGIN_API_WEBHOOK_URL;
      delete process.env.PARLEY_PLUGIN_API_WEBHOOK_SECRET;
      await t?.close();
      await sink?.close();
    });

    it('lists the registered channels with name, icon and capabilities (authenticated)', async () => {
      expect((await t.request('GET', '/api/channels')).status).toBe(401);
      const res = await t.request('GET', '/api/channels', { token });
      expect(res.status).toBe(200);
      expect(res.body.channels).toContainEqual({
        id: 'api',
        displayName: 'API',
        icon: expect.stringMatching(/^<svg[\s\S]*<\/svg>$/),
        channel: 'api',
        capabilities: { reply: true, html: true, attachments: false, transcript: false, switchToEmail: false, forward: false, compose: false },
        // The API channel needs no per-inbox connection.
        connectable: false,
      });
    });

    it('delivers a reply: a signed POST to the webhook, then "delivered" in the thread', async () => {
      sink.respondWith(200);
      const { conversationId, messageId } = await conversationWithReply('Your parcel left today.');
      const request = await sink.waitFor((r) => r.headers['idempotency-key'] === messageId);
      expect(request.headers['x-parley-signature']).toBe(`sha256=${createHmac('sha256', SECRET).update(request.body).digest('hex')}`);
      const payload = JSON.parse(request.body.toString());
      expect(payload).toMatchObject({ type: 'parley.reply', kind: 'reply', conversationId, messageId, channel: 'api', text: 'Your parcel left today.' });
      expect(payload.thread.externalMessageIds).toHaveLength(1);
      await deliveryOf(t, token, conversationId, messageId, 'delivered');
      const history = await t.request('GET', `/api/conversations/${conversationId}/history`, { token });
      expect(history.body.events.map((e: { type: string }) => e.type)).toContain('ReplyDelivered');
    });

    it('shows "retrying" with the reason while the receiver is down (5xx), and keeps the reply queued for a retry', async () => {
      sink.respondWith(503);
      const { conversationId, messageId } = await conversationWithReply('Sorry for the wait.');
      const delivery = await deliveryOf(t, token, conversationId, messageId, 'retrying');
      expect(delivery.reason).toContain('503');
      const job = await t.app.get<JobQueue>(JOB_QUEUE).job(`reply:${messageId}`);
      expect(job).toMatchObject({ state: 'delayed', attemptsMade: 1, lastError: expect.stringContaining('sending failed, retrying') });
    });

    it('shows "failed" with the reason when the receiver refuses the reply (4xx), and does not retry it', async () => {
      sink.respondWith(400);
      const { conversationId, messageId } = await conversationWithReply('This one is refused.');
      const delivery = await deliveryOf(t, token, conversationId, messageId, 'failed');
      expect(delivery.reason).toContain('400');
      const attempts = sink.requests.filter((r) => r.headers['idempotency-key'] === messageId).length;
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(sink.requests.filter((r) => r.headers['idempotency-key'] === messageId)).toHaveLength(attempts);
      const history = await t.request('GET', `/api/conversations/${conversationId}/history`, { token });
      expect(history.body.events.filter((e: { type: string }) => e.type === 'ReplyDeliveryFailed').map((e: { data: unknown }) => e.data)).toEqual([
        expect.objectContaining({ messageId, retryable: false, attempt: 1 }),
      ]);
    });
  });

  describe('without a webhook', () => {
    beforeAll(async () => {
      t = await startTestApp();
      token = await t.login();
    });
    afterAll(() => t.close());

    it('records API replies as delivered at once (integrations read them from the API)', async () => {
      const { conversationId, messageId } = await conversationWithReply('Noted, thanks.');
      await deliveryOf(t, token, conversationId, messageId, 'delivered');
    });
  });
});
