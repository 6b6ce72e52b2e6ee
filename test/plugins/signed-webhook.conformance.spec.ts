import { createHmac } from 'node:crypto';
import { join } from 'node:path';
import type { ChannelPlugin } from 'parley/plugin';
import { channelPluginConformance, conformanceOutbound, FakeHostConnection, type ConformanceInbound } from 'parley/plugin/testing';
import { createOutboundHttp } from '../../src/infrastructure/outbound/outbound-guard';
import { startHttpSink, type HttpSink } from '../support/http-sink';

// The receivers are local test servers: the host's guard as configured with PARLEY_ALLOW_PRIVATE_NETWORK=true.
const http = createOutboundHttp({ allowPrivateNetwork: true });

// The example third-party package, loaded from its folder as its own tests would load it.
const createChannelPlugin = require(join(__dirname, '..', '..', 'examples', 'parley-plugin-signed-webhook')) as () => ChannelPlugin;

const SECRET = 'signed-webhook-secret-for-tests';
const URL_PATH = '/channels/signed-webhook/messages';
const sign = (body: string | Buffer, secret = SECRET) => `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
const payloadOf = (message: ConformanceInbound) =>
  JSON.stringify({
    threadId: message.externalThreadId,
    messageId: message.externalMessageId,
    from: message.from,
    subject: message.subject,
    text: message.text,
  });

let sink: HttpSink;

channelPluginConformance('signed webhook (examples/parley-plugin-signed-webhook)', {
  createPlugin: () => createChannelPlugin(),
  scenario: {
    beforeAll: async () => {
      sink = await startHttpSink();
    },
    afterAll: () => sink.close(),
    config: () => ({ SECRET, OUTBOUND_URL: sink.url }),
    http,
    deliverInbound: async (host, message) => {
      const body = payloadOf(message);
      const response = await host.request('POST', URL_PATH, { rawBody: body, headers: { 'x-parley-signature': sign(body) } });
      if (response.status !== 201 && response.status !== 200) throw new Error(`webhook answered ${response.status}: ${JSON.stringify(response.body)}`);
    },
    outbound: {
      succeed: () => sink.respondWith(200),
      failRetryably: () => sink.respondWith(502),
      failPermanently: () => sink.respondWith(422),
    },
  },
});

describe('signed webhook plugin', () => {
  let hook: HttpSink;
  beforeAll(async () => {
    hook = await startHttpSink();
  });
  afterAll(() => hook.close());

  const connect = async (config: Record<string, string> = { SECRET, OUTBOUND_URL: hook.url }) => {
    const plugin = createChannelPlugin();
    const host = new FakeHostConnection(plugin, config, { http });
    await plugin.connect(host.connection);
    host.endConnect();
    return { plugin, host };
  };
  const message = { threadId: 'order-1042', messageId: 'evt-1', from: { address: '+31612345678', name: 'Jan' }, text: 'Where is my order?' };

  it.each([
    ['no signature', undefined],
    ['a signature made with another secret', sign(JSON.stringify(message), 'another-secret-entirely')],
    ['a signature of another body', sign('{}')],
    ['a malformed header', 'sha256=zz'],
    ['the hex without its sha256= prefix', sign(JSON.stringify(message)).slice('sha256='.length)],
  ])('refuses %s with 401 and stores nothing', async (_what, signature) => {
    const { host } = await connect();
    const res = await host.request('POST', URL_PATH, { rawBody: JSON.stringify(message), headers: signature ? { 'x-parley-signature': signature } : {} });
    expect(res.status).toBe(401);
    expect(host.ingestCalls).toEqual([]);
  });

  it('checks the signature over the exact bytes: re-serialised JSON with the same content is refused', async () => {
    const { host } = await connect();
    const signed = JSON.stringify(message);
    const res = await host.request('POST', URL_PATH, { rawBody: JSON.stringify(message, null, 2), headers: { 'x-parley-signature': sign(signed) } });
    expect(res.status).toBe(401);
    expect(host.ingestCalls).toEqual([]);
  });

  it('answers a signed but invalid payload with 400 naming the fields', async () => {
    const { host } = await connect();
    const body = JSON.stringify({ threadId: '', from: {}, text: 7, sentAt: 'yesterday' });
    const res = await host.request('POST', URL_PATH, { rawBody: body, headers: { 'x-parley-signature': sign(body) } });
    expect(res.status).toBe(400);
    const text = JSON.stringify(res.body);
    for (const field of ['threadId', 'messageId', 'from.address', 'text', 'sentAt']) expect(text).toContain(field);
    expect(host.ingestCalls).toEqual([]);
  });

  it('ingests a signed message with its sender and time', async () => {
    const { host } = await connect();
    const body = JSON.stringify({ ...message, sentAt: '2026-11-24T10:00:00+01:00' });
    const res = await host.request('POST', URL_PATH, { rawBody: body, headers: { 'x-parley-signature': sign(body), 'content-type': 'text/plain' } });
    expect(res.status).toBe(201);
    expect(host.stored[0]).toMatchObject({
      channel: 'signed-webhook',
      externalThreadId: 'order-1042',
      from: { address: '+31612345678', name: 'Jan' },
      receivedAt: '2026-11-24T09:00:00.000Z',
    });
  });

  it('POSTs replies signed with the same secret, with the messageId as Idempotency-Key', async () => {
    const { plugin } = await connect();
    const outbound = conformanceOutbound(plugin, { thread: { externalThreadId: 'order-1042', externalMessageIds: ['evt-1', 'evt-2'] } });
    hook.respondWith(200);
    expect(await plugin.send!(outbound)).toEqual({ status: 'delivered' });
    const request = await hook.waitFor((r) => r.headers['idempotency-key'] === outbound.messageId);
    expect(request.headers['x-parley-signature']).toBe(sign(request.body));
    expect(JSON.parse(request.body.toString())).toMatchObject({ type: 'reply', threadId: 'order-1042', inReplyTo: 'evt-2', text: outbound.text });
  });

  it('counts an unreachable receiver as retryable', async () => {
    const closed = await startHttpSink();
    await closed.close();
    const { plugin } = await connect({ SECRET, OUTBOUND_URL: closed.url });
    expect(await plugin.send!(conformanceOutbound(plugin))).toEqual({ status: 'failed', retryable: true, reason: expect.stringContaining('could not reach') });
  });

  it.each([
    [{ OUTBOUND_URL: 'https://example.com/hook' }, 'PARLEY_PLUGIN_SIGNED_WEBHOOK_SECRET'],
    [{ SECRET }, 'PARLEY_PLUGIN_SIGNED_WEBHOOK_OUTBOUND_URL'],
    [{ SECRET: 'short', OUTBOUND_URL: 'https://example.com/hook' }, 'at least 16 characters'],
    [{ SECRET, OUTBOUND_URL: 'ftp://example.com' }, 'http(s) URL'],
  ])('refuses to connect with %j, saying %s', async (config, words) => {
    await expect(connect(config)).rejects.toThrow(words);
  });
});
