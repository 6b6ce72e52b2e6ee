import { join } from 'node:path';
import { createOutboundHttp } from '../../src/infrastructure/outbound/outbound-guard';
import { createApiChannelPlugin } from '../../src/plugins/api/api-channel.plugin';
import type { ChannelPlugin } from '../../src/plugins/channel-plugin';
import { conformanceOutbound, FakeHostConnection } from '../../src/plugins/testing';
import { inbound, startTestApp, type TestApp } from '../support/app-harness';
import { startHttpSink, type HttpSink } from '../support/http-sink';

const createSignedWebhookPlugin = require(join(__dirname, '..', '..', 'examples', 'parley-plugin-signed-webhook')) as () => ChannelPlugin;

const SECRET = 'outbound-guard-secret-0123456789';

/**
 * Plugins call out only through `connection.http`, the host's outbound guard: a webhook URL on
 * the loopback interface is refused unless PARLEY_ALLOW_PRIVATE_NETWORK=true, and the receiver
 * never sees the request.
 */
describe('plugins reach the outside world only through connection.http', () => {
  let sink: HttpSink;
  beforeEach(async () => {
    sink = await startHttpSink('/replies');
  });
  afterEach(() => sink.close());

  const connect = async (plugin: ChannelPlugin, settings: Record<string, string>, allowPrivateNetwork: boolean) => {
    const host = new FakeHostConnection(plugin, settings, { http: createOutboundHttp({ allowPrivateNetwork }) });
    await plugin.connect(host.connection);
    host.endConnect();
    return host;
  };

  it.each([
    ['the example signed-webhook plugin', () => createSignedWebhookPlugin(), (url: string) => ({ SECRET, OUTBOUND_URL: url })],
    ['the built-in API channel', () => createApiChannelPlugin(), (url: string) => ({ WEBHOOK_URL: url, WEBHOOK_SECRET: SECRET })],
  ])('%s: a loopback receiver is refused for good by default, and reached with private targets allowed', async (_name, create, settings) => {
    const strictPlugin = create();
    const strictHost = await connect(strictPlugin, settings(`${sink.url}?token=kept-out-of-messages`), false);
    const refused = await strictPlugin.send!(conformanceOutbound(strictPlugin));
    expect(refused).toEqual({
      status: 'failed',
      retryable: false,
      reason: expect.stringContaining(`refused POST ${new URL(sink.url).origin}/…: 127.0.0.1, a loopback address`),
    });
    expect(JSON.stringify(refused)).not.toContain('kept-out-of-messages');
    expect(strictHost.httpRequests).toEqual([{ method: 'POST', url: `${sink.url}?token=kept-out-of-messages` }]);
    expect(sink.requests).toHaveLength(0);

    const openPlugin = create();
    const openHost = await connect(openPlugin, settings(sink.url), true);
    expect(await openPlugin.send!(conformanceOutbound(openPlugin))).toEqual({ status: 'delivered' });
    expect(openHost.httpRequests).toHaveLength(1);
    expect(sink.requests).toHaveLength(1);
    expect(openHost.problems).toEqual([]);
  });

  it('a FakeHostConnection built without an HTTP client says so instead of calling out', async () => {
    const plugin = createSignedWebhookPlugin();
    const host = new FakeHostConnection(plugin, { SECRET, OUTBOUND_URL: sink.url });
    await plugin.connect(host.connection);
    host.endConnect();
    const result = await plugin.send!(conformanceOutbound(plugin));
    expect(result).toMatchObject({ status: 'failed' });
    expect(host.problems).toEqual([expect.stringContaining('was given no HTTP client')]);
    expect(sink.requests).toHaveLength(0);
  });
});

describe('the real host hands plugins the guard configured by PARLEY_ALLOW_PRIVATE_NETWORK', () => {
  let sink: HttpSink;
  let t: TestApp | undefined;
  beforeEach(async () => {
    sink = await startHttpSink();
    process.env.PARLEY_PLUGIN_API_WEBHOOK_URL = sink.url;
    process.env.PARLEY_PLUGIN_API_WEBHOOK_SECRET = SECRET;
  });
  afterEach(async () => {
    delete process.env.PARLEY_PLUGIN_API_WEBHOOK_URL;
    delete process.env.PARLEY_PLUGIN_API_WEBHOOK_SECRET;
    await t?.close();
    t = undefined;
    await sink.close();
  });

  /** Posts a message on the API channel, replies to it, and waits for the reply's delivery to settle. */
  async function replyDelivery(app: TestApp): Promise<{ status: string; reason?: string }> {
    const token = await app.login();
    const posted = await app.request('POST', '/api/channels/api/messages', { token, body: inbound() });
    const reply = await app.request('POST', `/api/conversations/${posted.body.conversationId}/replies`, { token, body: { text: 'On its way.' } });
    expect(reply.status).toBe(201);
    const deadline = Date.now() + 10_000;
    for (;;) {
      const conversation = await app.request('GET', `/api/conversations/${posted.body.conversationId}`, { token });
      const delivery = conversation.body.messages.find((m: { id: string }) => m.id === reply.body.messageId)?.delivery;
      if (delivery?.status === 'delivered' || delivery?.status === 'failed') return delivery;
      if (Date.now() > deadline) throw new Error(`the reply was not delivered or failed within 10 s (last: ${JSON.stringify(delivery)})`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  it('refuses the loopback webhook by default: the reply fails for good, naming the address, and nothing is sent', async () => {
    t = await startTestApp();
    const delivery = await replyDelivery(t);
    expect(delivery).toMatchObject({ status: 'failed', reason: expect.stringContaining(`${new URL(sink.url).origin}/…: 127.0.0.1, a loopback address`) });
    expect(sink.requests).toHaveLength(0);
  });

  it('delivers to it with PARLEY_ALLOW_PRIVATE_NETWORK=true', async () => {
    t = await startTestApp({ env: { PARLEY_ALLOW_PRIVATE_NETWORK: 'true' } });
    expect(await replyDelivery(t)).toMatchObject({ status: 'delivered' });
    expect(sink.requests).toHaveLength(1);
  });
});
