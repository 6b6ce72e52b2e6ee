import type { ChannelHostConnection } from '../../src/plugins/channel-plugin';
import { FakeHostConnection } from '../../src/plugins/testing';

/** The conformance kit is only as strict as its fake host: these are the ways it catches a plugin out. */
describe("FakeHostConnection (the conformance kit's host)", () => {
  const plugin = { id: 'probe', channel: 'probe' };
  const message = { channel: 'probe', externalThreadId: 't', externalMessageId: 'm', from: { address: 'a@example.org' }, to: [], text: 'hi' };

  it('stores a redelivered message once and answers duplicate: true with the same ids', async () => {
    const host = new FakeHostConnection(plugin);
    const first = await host.connection.ingest(message);
    const again = await host.connection.ingest(message);
    expect(again).toEqual({ ...first, duplicate: true });
    expect(host.stored).toHaveLength(1);
    expect(host.ingestCalls).toHaveLength(2);
  });

  it('records a plugin reaching for something the interface does not offer', () => {
    const host = new FakeHostConnection(plugin);
    const connection = host.connection as ChannelHostConnection & { eventStore?: unknown };
    expect(connection.eventStore).toBeUndefined();
    expect(host.problems).toEqual(['plugin "probe" used connection.eventStore, which is not part of the plugin interface']);
  });

  it('refuses and records messages for another channel or without an idempotency key', async () => {
    const host = new FakeHostConnection(plugin);
    await expect(host.connection.ingest({ ...message, channel: 'email' })).rejects.toThrow('channel must be');
    await expect(host.connection.ingest({ ...message, externalMessageId: ' ' })).rejects.toThrow('externalMessageId');
    expect(host.problems).toHaveLength(2);
    expect(host.stored).toEqual([]);
  });

  it('accepts routes, listeners and job handlers only during connect', () => {
    const host = new FakeHostConnection(plugin);
    host.connection.routes.post('messages', () => ({ status: 204 }), { public: true });
    host.endConnect();
    expect(() => host.connection.routes.get('late', () => ({ status: 204 }))).toThrow('only be declared in connect');
    expect(() => host.connection.jobs.register('poll', async () => undefined)).toThrow('only be declared in connect');
    expect(() => host.connection.listen({ name: 'late', start() {}, stop() {} })).toThrow('only be declared in connect');
    expect(host.routes.map((r) => r.url)).toEqual(['/channels/probe/messages']);
  });

  it('answers 401 on an authenticated route without a session, and hands the agent otherwise', async () => {
    const host = new FakeHostConnection(plugin);
    host.connection.routes.post('things/:thingId', (request) => ({ status: 200, body: { agent: request.agent?.email, thingId: request.params.thingId } }));
    expect((await host.request('POST', '/api/channels/probe/things/7', { body: {}, agent: null })).status).toBe(401);
    expect(await host.request('POST', '/api/channels/probe/things/7', { body: {} })).toEqual({ status: 200, body: { agent: 'ada@example.com', thingId: '7' } });
    expect((await host.request('POST', '/channels/probe/things/7', { body: {} })).status).toBe(404);
  });

  it('names settings by their environment variable', () => {
    const host = new FakeHostConnection({ id: 'signed-webhook', channel: 'signed-webhook' }, { SECRET: 's' });
    expect(host.connection.config.get('SECRET')).toBe('s');
    expect(() => host.connection.config.require('OUTBOUND_URL')).toThrow('PARLEY_PLUGIN_SIGNED_WEBHOOK_OUTBOUND_URL');
    expect(() => host.connection.config.get('outboundUrl')).toThrow('upper snake case');
  });

  it('turns a handler error with a 4xx statusCode into that response, and records any other as a 500', async () => {
    const host = new FakeHostConnection(plugin);
    host.connection.routes.post('bad', () => {
      throw Object.assign(new Error('no such form'), { statusCode: 404 });
    });
    host.connection.routes.post('crash', () => {
      throw new Error('boom');
    });
    expect((await host.request('POST', '/api/channels/probe/bad', { body: {} })).status).toBe(404);
    expect((await host.request('POST', '/api/channels/probe/crash', { body: {} })).status).toBe(500);
    expect(host.problems).toEqual(['POST /api/channels/probe/crash threw: boom']);
  });
});
