import { PassThrough, Readable } from 'node:stream';
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

  describe("the members for channels with connections, storage, live activity and the contact's view", () => {
    const connectionA = { id: 'conn-a', inboxId: 'inbox-a', settings: { allowedOrigins: ['https://shop.example'] } };

    it('lists, gets and changes connections, telling onChange handlers registered in connect', async () => {
      const host = new FakeHostConnection(plugin, {}, { connections: [connectionA] });
      const changes: unknown[] = [];
      host.connection.connections.onChange((change) => changes.push(change));
      host.endConnect();
      expect(await host.connection.connections.list()).toEqual([
        expect.objectContaining({ id: 'conn-a', inboxId: 'inbox-a', type: 'probe', settings: { allowedOrigins: ['https://shop.example'] } }),
      ]);
      expect(await host.connection.connections.get('nope')).toBeNull();
      host.addConnection({ id: 'conn-b', inboxId: 'inbox-b', name: 'Shop' });
      host.changeConnection('conn-a', { settings: { allowedOrigins: [] } });
      host.removeConnection('conn-b');
      expect(changes).toEqual([
        { type: 'created', connectionId: 'conn-b' },
        { type: 'changed', connectionId: 'conn-a' },
        { type: 'removed', connectionId: 'conn-b' },
      ]);
      expect((await host.connection.connections.get('conn-a'))?.settings).toEqual({ allowedOrigins: [] });
      // What the plugin got is a copy: changing it changes nothing the host holds.
      (await host.connection.connections.get('conn-a'))!.settings.allowedOrigins = ['evil'];
      expect((await host.connection.connections.get('conn-a'))?.settings).toEqual({ allowedOrigins: [] });
      expect(() => host.connection.connections.onChange(() => undefined)).toThrow('only be declared in connect');
    });

    it("routes a message with a connectionId to that connection's inbox, and refuses an unknown connection with a 404", async () => {
      const host = new FakeHostConnection(plugin, {}, { connections: [connectionA] });
      const { conversationId } = await host.connection.ingest({ ...message, connectionId: 'conn-a' });
      expect((await host.connection.conversations.get(conversationId))?.inboxId).toBe('inbox-a');
      await expect(host.connection.ingest({ ...message, externalMessageId: 'm2', connectionId: 'gone' })).rejects.toMatchObject({ statusCode: 404 });
    });

    it('keeps storage with the host rules, shared by two hosts given one storage (two instances)', async () => {
      const first = new FakeHostConnection(plugin);
      await first.connection.storage.set('visitor/1', { name: 'Ada' });
      expect(await first.connection.storage.setIfAbsent('visitor/1', { name: 'Eve' })).toBe(false);
      await expect(first.connection.storage.set('', 1)).rejects.toMatchObject({ statusCode: 400 });
      const second = new FakeHostConnection(plugin, {}, { storage: first.storage });
      expect(await second.connection.storage.list('visitor/')).toEqual([{ key: 'visitor/1', value: { name: 'Ada' } }]);
      expect(first.problems).toEqual([]);
    });

    it('records contact typing, answers agentsAvailable from its option, and hands agent activity to the plugin', async () => {
      const host = new FakeHostConnection(plugin, {}, { agentsAvailable: (inboxId) => inboxId === 'inbox-a' });
      const seen: unknown[] = [];
      host.connection.activity.onAgentActivity((activity) => seen.push(activity));
      host.endConnect();
      host.connection.activity.contactTyping('c-1');
      expect(host.contactTypingCalls).toEqual([{ conversationId: 'c-1', at: expect.any(String) }]);
      expect(await host.connection.activity.agentsAvailable('inbox-a')).toBe(true);
      expect(await host.connection.activity.agentsAvailable('inbox-b')).toBe(false);
      host.emitAgentActivity({ type: 'typing', conversationId: 'c-1', at: '2026-12-07T05:00:00.000Z' });
      host.emitAgentActivity({ type: 'typing', conversationId: 'c-1', at: '2026-12-07T05:00:01.000Z', authorName: 'Ada' });
      host.emitAgentActivity({ type: 'seen', conversationId: 'c-1', at: '2026-12-07T05:00:02.000Z', authorName: 'not for seen' });
      expect(seen).toEqual([
        { type: 'typing', conversationId: 'c-1', at: '2026-12-07T05:00:00.000Z' },
        { type: 'typing', conversationId: 'c-1', at: '2026-12-07T05:00:01.000Z', authorName: 'Ada' },
        { type: 'seen', conversationId: 'c-1', at: '2026-12-07T05:00:02.000Z' },
      ]);
    });

    it("answers the contact's view: the conversation, their messages and recorded replies in order; unknown ids are null", async () => {
      const host = new FakeHostConnection(plugin);
      const { conversationId } = await host.connection.ingest({
        ...message,
        from: { address: 'a@example.org', name: 'Ann' },
        receivedAt: '2026-12-07T05:00:00.000Z',
      });
      host.recordReply(conversationId, { text: 'Hello Ann', authorName: 'Ada Agent', at: '2026-12-07T05:01:00.000Z' });
      host.recordReply(conversationId, { text: 'By email', channel: 'email', status: 'queued', at: '2026-12-07T05:02:00.000Z' });
      expect(await host.connection.conversations.get(conversationId)).toEqual({
        conversationId,
        inboxId: 'default',
        externalThreadId: 't',
        status: 'open',
        hidden: false,
        contact: { address: 'a@example.org', name: 'Ann' },
        lastContactMessageAt: '2026-12-07T05:00:00.000Z',
      });
      expect(await host.connection.conversations.messages(conversationId)).toEqual([
        expect.objectContaining({ direction: 'inbound', text: 'hi', authorName: 'Ann', channel: 'probe' }),
        expect.objectContaining({ direction: 'outbound', text: 'Hello Ann', authorName: 'Ada Agent', status: 'delivered', channel: 'probe' }),
        expect.objectContaining({ direction: 'outbound', text: 'By email', status: 'queued', channel: 'email' }),
      ]);
      expect(await host.connection.conversations.get('unknown')).toBeNull();
      expect(await host.connection.conversations.messages('unknown')).toBeNull();
      host.hiddenConversations.add(conversationId);
      expect((await host.connection.conversations.get(conversationId))?.hidden).toBe(true);
    });

    it('tells status changes to onStatusChange, records close (a no-op when closed), and a new message reopens', async () => {
      const host = new FakeHostConnection(plugin);
      const changes: { conversationId: string; status: string }[] = [];
      host.connection.conversations.onStatusChange((change) => changes.push(change));
      host.endConnect();
      const { conversationId } = await host.connection.ingest(message);
      await host.connection.conversations.close(conversationId, 'inactivity');
      await host.connection.conversations.close(conversationId, 'inactivity');
      expect(host.closeCalls).toHaveLength(2);
      expect((await host.connection.conversations.get(conversationId))?.status).toBe('closed');
      await host.connection.ingest({ ...message, externalMessageId: 'm2' });
      expect(changes.map((c) => [c.conversationId, c.status])).toEqual([
        [conversationId, 'closed'],
        [conversationId, 'open'],
      ]);
      host.setStatus(conversationId, 'closed');
      expect(changes).toHaveLength(3);
    });

    it('joins a message to the conversation it continues (rule 12), and refuses one that does not exist', async () => {
      const host = new FakeHostConnection(plugin);
      const { conversationId } = await host.connection.ingest(message);
      const joined = await host.connection.ingest({ ...message, externalThreadId: 'other', externalMessageId: 'e1', continuesConversationId: conversationId });
      expect(joined.conversationId).toBe(conversationId);
      await expect(host.connection.ingest({ ...message, externalMessageId: 'e2', continuesConversationId: 'nope' })).rejects.toMatchObject({ statusCode: 400 });
    });

    it('hands back a streamed (Readable) body as it is, for the test to read', async () => {
      const host = new FakeHostConnection(plugin);
      host.connection.routes.get('stream', (request) => {
        const body = new PassThrough();
        body.write('event: ready\ndata: {}\n\n');
        request.signal.addEventListener('abort', () => body.end());
        return { status: 200, headers: { 'content-type': 'text/event-stream' }, body };
      });
      const controller = new AbortController();
      const response = await host.request('GET', '/api/channels/probe/stream', { signal: controller.signal });
      expect(response.body).toBeInstanceOf(Readable);
      const chunks: Buffer[] = [];
      const ended = new Promise((resolve) => (response.body as Readable).on('data', (c: Buffer) => chunks.push(c)).on('end', resolve));
      controller.abort();
      await ended;
      expect(Buffer.concat(chunks).toString('utf8')).toBe('event: ready\ndata: {}\n\n');
      expect(host.problems).toEqual([]);
    });

    it('gives requests the client address and an abort signal', async () => {
      const host = new FakeHostConnection(plugin);
      let seen: { ip: string; aborted: boolean } | null = null;
      host.connection.routes.get(
        'events',
        (request) => {
          seen = { ip: request.ip, aborted: request.signal.aborted };
          return { status: 200 };
        },
        { public: true },
      );
      const controller = new AbortController();
      controller.abort();
      await host.request('GET', '/channels/probe/events', { ip: '203.0.113.9', signal: controller.signal });
      expect(seen).toEqual({ ip: '203.0.113.9', aborted: true });
      await host.request('GET', '/channels/probe/events');
      expect(seen).toEqual({ ip: '127.0.0.1', aborted: false });
    });
  });
});
