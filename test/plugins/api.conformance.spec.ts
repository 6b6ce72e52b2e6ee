import { createHmac } from 'node:crypto';
import { createApiChannelPlugin } from '../../src/plugins/api/api-channel.plugin';
import { sanitiseEmailHtml } from '../../src/plugins/email/inbound/sanitise-html';
import { channelPluginConformance, conformanceOutbound, FakeHostConnection, type ConformanceInbound } from '../../src/plugins/testing';
import { createOutboundHttp } from '../../src/infrastructure/outbound/outbound-guard';
import { startHttpSink, type HttpSink } from '../support/http-sink';

// The receivers are local test servers: the host's guard as configured with PARLEY_ALLOW_PRIVATE_NETWORK=true.
const http = createOutboundHttp({ allowPrivateNetwork: true });

const SECRET = 'api-webhook-secret-for-tests';
let sink: HttpSink;

const post = (host: FakeHostConnection, message: ConformanceInbound) =>
  host.request('POST', '/api/channels/api/messages', {
    body: {
      externalThreadId: message.externalThreadId,
      externalMessageId: message.externalMessageId,
      from: message.from,
      subject: message.subject,
      text: message.text,
    },
  });

// With a reply webhook configured, so that send has an outside world to succeed or fail against.
channelPluginConformance('api (with a reply webhook)', {
  createPlugin: createApiChannelPlugin,
  scenario: {
    beforeAll: async () => {
      sink = await startHttpSink();
    },
    afterAll: () => sink.close(),
    config: () => ({ WEBHOOK_URL: sink.url, WEBHOOK_SECRET: SECRET }),
    http,
    deliverInbound: async (host, message) => {
      const response = await post(host, message);
      if (response.status !== 201 && response.status !== 200) throw new Error(`POST messages answered ${response.status}: ${JSON.stringify(response.body)}`);
    },
    outbound: {
      succeed: () => sink.respondWith(204),
      failRetryably: () => sink.respondWith(503),
      failPermanently: () => sink.respondWith(410),
    },
  },
});

describe('api channel plugin', () => {
  const connect = async (config: Record<string, string> = {}) => {
    const plugin = createApiChannelPlugin();
    const host = new FakeHostConnection(plugin, config, { http });
    await plugin.connect(host.connection);
    host.endConnect();
    return { plugin, host };
  };

  it('answers 201 for a new message, 200 with duplicate: true for the same one again', async () => {
    const { host } = await connect();
    const message = { externalThreadId: 't-1', externalMessageId: 'm-1', from: { address: 'jane@example.org' }, text: 'Hi' };
    const first = await host.request('POST', '/api/channels/api/messages', { body: message });
    const again = await host.request('POST', '/api/channels/api/messages', { body: message });
    expect(first.status).toBe(201);
    expect(again).toEqual({ status: 200, body: { ...(first.body as object), duplicate: true } });
    expect(host.ingestCalls[0].options.onBehalfOf?.email).toBe('ada@example.com');
  });

  it('names every bad field in a 400 and ingests nothing', async () => {
    const { host } = await connect();
    const res = await host.request('POST', '/api/channels/api/messages', { body: { externalThreadId: 42, from: { name: 'x' }, surprise: true } });
    expect(res.status).toBe(400);
    const text = JSON.stringify((res.body as { message: string[] }).message);
    for (const field of ['externalThreadId', 'externalMessageId', 'from.address', 'text', 'surprise']) expect(text).toContain(field);
    expect(host.stored).toEqual([]);
  });

  it("sanitises html on the way in with the email channel's rules (scripts, handlers, <style>, CSS that loads, background=)", async () => {
    const { host } = await connect();
    const html =
      '<p onclick="steal()">Hi <script>alert(1)</script>there</p><style>@import url(https://exfil.invalid/a.css)</style>' +
      '<table background="https://exfil.invalid/t.png"><tr><td style="color:red;background-image:url(https://exfil.invalid/b.png)">x</td></tr></table>' +
      '<a href="javascript:alert(1)">link</a>';
    const res = await host.request('POST', '/api/channels/api/messages', {
      body: { externalThreadId: 't-html', externalMessageId: 'm-html', from: { address: 'jane@example.org' }, text: 'Hi', html },
    });
    expect(res.status).toBe(201);
    expect(host.stored[0].html).toBe(
      '<p>Hi there</p><table><tr><td style="color:red">x</td></tr></table><a target="_blank" rel="noopener noreferrer nofollow">link</a>',
    );
    expect(host.stored[0].html).toBe(sanitiseEmailHtml(html));
  });

  it('stores no html when nothing of it is left to show', async () => {
    const { host } = await connect();
    const res = await host.request('POST', '/api/channels/api/messages', {
      body: {
        externalThreadId: 't-empty',
        externalMessageId: 'm-empty',
        from: { address: 'jane@example.org' },
        text: 'Hi',
        html: '<script>alert(1)</script> <style>p{}</style>',
      },
    });
    expect(res.status).toBe(201);
    expect(host.stored[0]).toMatchObject({ text: 'Hi' });
    expect(host.stored[0].html).toBeUndefined();
  });

  it('without a webhook, records replies as delivered at once (integrations read them from the API)', async () => {
    const { plugin } = await connect();
    expect(await plugin.send!(conformanceOutbound(plugin))).toEqual({ status: 'delivered' });
  });

  it('with a webhook, POSTs the reply signed with HMAC-SHA256 and the messageId as Idempotency-Key', async () => {
    const hook = await startHttpSink();
    try {
      const { plugin } = await connect({ WEBHOOK_URL: hook.url, WEBHOOK_SECRET: SECRET });
      const outbound = conformanceOutbound(plugin);
      expect(await plugin.send!(outbound)).toEqual({ status: 'delivered' });
      const [request] = hook.requests;
      expect(request.headers['x-parley-signature']).toBe(`sha256=${createHmac('sha256', SECRET).update(request.body).digest('hex')}`);
      expect(request.headers['idempotency-key']).toBe(outbound.messageId);
      expect(JSON.parse(request.body.toString())).toMatchObject({ type: 'parley.reply', messageId: outbound.messageId, text: outbound.text });
    } finally {
      await hook.close();
    }
  });

  it('refuses to connect with a webhook URL but no secret, naming the variable', async () => {
    await expect(connect({ WEBHOOK_URL: 'https://example.com/hook' })).rejects.toThrow('PARLEY_PLUGIN_API_WEBHOOK_SECRET');
  });

  it('counts an unreachable webhook as a retryable failure', async () => {
    const hook = await startHttpSink();
    await hook.close();
    const { plugin } = await connect({ WEBHOOK_URL: hook.url, WEBHOOK_SECRET: SECRET });
    expect(await plugin.send!(conformanceOutbound(plugin))).toEqual({ status: 'failed', retryable: true, reason: expect.stringContaining('could not reach') });
  });
});
