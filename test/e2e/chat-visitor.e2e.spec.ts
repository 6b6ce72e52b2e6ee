import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ManualClock, startTestApp, type TestApp } from '../support/app-harness';

/**
 * The chat channel in a whole Parley (issue 13 §2 and §4): an admin connects chat to an inbox over
 * the API, a visitor talks through the public visitor routes, the message lands in the inbox's Chat
 * view, an agent's reply reaches the visitor's event stream over a real socket, and the refusals
 * (forged session, Origin, unknown connection, 413, 429) hold in the real HTTP stack.
 */
const SHOP = 'https://shop.example';
const IDENTITY_SECRET = 'e2e-identity-verification-secret-0123456789';

describe('chat visitor API (e2e)', () => {
  let t: TestApp;
  let admin: string;
  let inboxId: string;
  let connectionId: string;
  let baseUrl: string;

  beforeAll(async () => {
    t = await startTestApp({ backgroundWork: true });
    admin = await t.login();
    inboxId = (await t.request('POST', '/api/inboxes', { token: admin, body: { name: 'Website chat', agentIds: [] } })).body.id;
    const created = await t.request('POST', `/api/inboxes/${inboxId}/channels`, {
      token: admin,
      body: { type: 'chat', name: 'Shop', settings: { allowedOrigins: [SHOP], identityVerificationSecret: IDENTITY_SECRET, greeting: 'Hello from the shop' } },
    });
    if (created.status !== 201) throw new Error(`connecting chat failed: ${created.status} ${JSON.stringify(created.body)}`);
    connectionId = created.body.id;
    await t.app.listen(0, '127.0.0.1');
    baseUrl = await t.app.getUrl();
    baseUrl = baseUrl.replace('[::1]', '127.0.0.1');
  }, 60_000);

  afterAll(async () => {
    await t?.close();
  });

  const visitorRoute = (path: string) => `/channels/chat/c/${connectionId}/${path}`;
  const frameReferer = () => ({
    host: 'parley.test',
    origin: 'http://parley.test',
    referer: `http://parley.test${visitorRoute('frame')}?origin=${encodeURIComponent(SHOP)}`,
  });

  async function newVisitor(body: Record<string, unknown> = {}): Promise<string> {
    const session = await t.request('POST', visitorRoute('session'), { body, headers: frameReferer() });
    if (session.status !== 200) throw new Error(`session failed: ${session.status} ${JSON.stringify(session.body)}`);
    return session.body.token;
  }

  const send = (token: string, text: string, clientMessageId: string, headers: Record<string, string> = {}) =>
    t.request('POST', visitorRoute('messages'), { body: { text, clientMessageId }, headers: { authorization: `Bearer ${token}`, ...headers } });

  it('answers the embed snippet, the loader and the frame page with its CSP', async () => {
    const list = await t.request('GET', `/api/inboxes/${inboxId}/channels`, { token: admin });
    const [chat] = list.body.channels;
    expect(chat.embedSnippet).toContain(`/channels/chat/widget.js" data-parley-chat="${connectionId}" async></script>`);
    expect(JSON.stringify(list.body)).not.toContain(IDENTITY_SECRET);
    const loader = await t.request('GET', '/channels/chat/widget.js');
    expect(loader.status).toBe(200);
    expect(loader.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(loader.headers.etag).toBeDefined();
    const frame = await t.request('GET', `${visitorRoute('frame')}?lang=nl&origin=${encodeURIComponent(SHOP)}`);
    expect(frame.status).toBe(200);
    expect(frame.headers['content-security-policy']).toContain(`frame-ancestors ${SHOP}`);
    expect(frame.headers['x-frame-options']).toBeUndefined();
    expect(String(frame.body)).toContain('<html lang="nl">');
    expect((await t.request('GET', `${visitorRoute('frame')}?origin=${encodeURIComponent('https://evil.example')}`)).status).toBe(403);
    expect((await t.request('GET', '/channels/chat/c/00000000-0000-4000-8000-000000000000/frame')).status).toBe(404);
  });

  it("puts a visitor's message in the inbox's Chat view, and pushes the agent's reply to the visitor's event stream", async () => {
    const token = await newVisitor();
    const sent = await send(token, 'Is the blue kettle in stock? <img src=x onerror=alert(1)>', 'first');
    expect(sent.status).toBe(201);
    const session = await t.request('POST', visitorRoute('session'), { body: { token }, headers: frameReferer() });
    const conversationId = session.body.conversation.id as string;
    const conversation = await t.request('GET', `/api/conversations/${conversationId}`, { token: admin });
    expect(conversation.status).toBe(200);
    expect(conversation.body).toMatchObject({ channel: 'chat', inboxId });
    const chatView = await t.request('GET', `/api/views/chat/conversations?inboxId=${inboxId}`, { token: admin });
    expect(chatView.status).toBe(200);
    expect(JSON.stringify(chatView.body)).toContain(conversationId);

    const abort = new AbortController();
    const stream = await fetch(`${baseUrl}${visitorRoute('events')}?token=${encodeURIComponent(token)}`, { signal: abort.signal });
    expect(stream.status).toBe(200);
    expect(stream.headers.get('content-type')).toContain('text/event-stream');
    const reader = stream.body!.getReader();
    let received = '';
    const reply = await t.request('POST', `/api/conversations/${conversationId}/replies`, { token: admin, body: { text: 'Yes, two left.' } });
    expect(reply.status).toBe(201);
    const deadline = Date.now() + 5_000;
    while (!received.includes('Yes, two left.') && Date.now() < deadline) {
      const { value, done } = await Promise.race([
        reader.read(),
        new Promise<{ value: undefined; done: true }>((r) => setTimeout(() => r({ value: undefined, done: true }), 500)),
      ]);
      if (value) received += new TextDecoder().decode(value);
      else if (done && Date.now() >= deadline) break;
    }
    abort.abort();
    expect(received).toContain('event: message');
    expect(received).toContain('"text":"Yes, two left."');
  }, 20_000);

  it('starts a new conversation with the next message after an agent closed the last one', async () => {
    const token = await newVisitor();
    expect((await send(token, 'My first question', 'c-1')).status).toBe(201);
    const first = (await t.request('POST', visitorRoute('session'), { body: { token }, headers: frameReferer() })).body.conversation.id as string;
    expect((await t.request('POST', `/api/conversations/${first}/close`, { token: admin })).status).toBeLessThan(300);
    const deadline = Date.now() + 5_000;
    let status = '';
    while (status !== 'closed' && Date.now() < deadline) {
      status = (await t.request('POST', visitorRoute('session'), { body: { token }, headers: frameReferer() })).body.conversation.status;
      if (status !== 'closed') await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(status).toBe('closed');
    expect((await send(token, 'Another question', 'c-2')).status).toBe(201);
    const second = (await t.request('POST', visitorRoute('session'), { body: { token }, headers: frameReferer() })).body;
    expect(second.conversation.id).not.toBe(first);
    expect(second.conversation.status).toBe('open');
    expect(second.messages.map((m: { text: string }) => m.text)).toEqual(['Another question']);
    expect((await t.request('GET', `/api/conversations/${first}`, { token: admin })).body.status).toBe('closed');
  });

  it('answers 401 to a forged session and to a wrong identity hash, 403 to another website, 404 to an unknown connection', async () => {
    expect((await t.request('POST', visitorRoute('session'), { body: { token: 'eyJ2IjoiQUFBQSJ9.forged' }, headers: frameReferer() })).status).toBe(401);
    const wrongHash = createHmac('sha256', 'not-the-secret-of-this-connection-at-all').update('customer-7').digest('hex');
    expect(
      (
        await t.request('POST', visitorRoute('session'), {
          body: { identity: { identifier: 'customer-7', identifierHash: wrongHash } },
          headers: frameReferer(),
        })
      ).status,
    ).toBe(401);
    const rightHash = createHmac('sha256', IDENTITY_SECRET).update('customer-7').digest('hex');
    const verified = await t.request('POST', visitorRoute('session'), {
      body: { identity: { identifier: 'customer-7', identifierHash: rightHash } },
      headers: frameReferer(),
    });
    expect(verified.status).toBe(200);
    expect(verified.body.visitor.verified).toBe(true);
    expect((await t.request('POST', visitorRoute('session'), { body: {}, headers: { origin: 'https://evil.example' } })).status).toBe(403);
    expect((await t.request('POST', '/channels/chat/c/00000000-0000-4000-8000-000000000000/session', { body: {} })).status).toBe(404);
  });

  it('answers 413 for a too long message and 429 with Retry-After for a flood', async () => {
    const token = await newVisitor();
    const long = await send(token, 'x'.repeat(10_001), 'long');
    expect(long.status).toBe(413);
    expect(long.body.limit).toBe(10_000);
    const statuses: number[] = [];
    let retryAfter: string | undefined;
    for (let i = 0; i < 30; i += 1) {
      const answer = await send(token, `flood ${i}`, `flood-${i}`);
      statuses.push(answer.status);
      if (answer.status === 429) retryAfter ??= answer.headers['retry-after'] as string;
    }
    expect(statuses.filter((s) => s === 201).length).toBeGreaterThanOrEqual(19);
    expect(statuses).toContain(429);
    expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
  }, 30_000);

  it("lets a blocked visitor's message succeed for them while it lands in Filtered", async () => {
    const token = await newVisitor();
    await send(token, 'First, before the block', 'b-1');
    const session = await t.request('POST', visitorRoute('session'), { body: { token }, headers: frameReferer() });
    const conversationId = session.body.conversation.id as string;
    const blocked = await t.request('POST', `/api/conversations/${conversationId}/block-sender`, { token: admin });
    expect(blocked.status).toBeLessThan(300);
    const after = await send(token, 'Still writing after the block', 'b-2');
    expect(after.status).toBe(201);
    const filtered = await t.request('GET', `/api/views/filtered/conversations?inboxId=${inboxId}`, { token: admin });
    expect(filtered.status).toBe(200);
    expect(JSON.stringify(filtered.body)).toContain(conversationId);
    const view = await t.request('POST', visitorRoute('session'), { body: { token }, headers: frameReferer() });
    expect(view.body.messages.map((m: { text: string }) => m.text)).toEqual(['First, before the block', 'Still writing after the block']);
  });
});

describe('chat inactivity close (e2e)', () => {
  const clock = new ManualClock(new Date('2026-12-07T10:00:00.000Z'));
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ clock, backgroundWork: true });
  }, 60_000);

  afterAll(async () => {
    await t?.close();
  });

  it("closes a chat whose visitor said nothing for the connection's inactivity time, and not before", async () => {
    const admin = await t.login();
    const inboxId = (await t.request('POST', '/api/inboxes', { token: admin, body: { name: 'Quiet chats', agentIds: [] } })).body.id;
    const connection = await t.request('POST', `/api/inboxes/${inboxId}/channels`, {
      token: admin,
      body: { type: 'chat', settings: { inactivityMinutes: 5 } },
    });
    expect(connection.status).toBe(201);
    const route = (path: string) => `/channels/chat/c/${connection.body.id}/${path}`;
    const token = (await t.request('POST', route('session'), { body: {} })).body.token as string;
    const headers = { authorization: `Bearer ${token}` };
    expect((await t.request('POST', route('messages'), { body: { text: 'Hello?', clientMessageId: 'q-1' }, headers })).status).toBe(201);
    const conversationId = (await t.request('POST', route('session'), { body: { token } })).body.conversation.id as string;
    const status = async () => (await t.request('GET', `/api/conversations/${conversationId}`, { token: admin })).body.status as string;

    clock.advance(4 * 60_000);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(await status()).toBe('open');

    clock.advance(2 * 60_000);
    const deadline = Date.now() + 10_000;
    while ((await status()) !== 'closed' && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await status()).toBe('closed');
    expect((await t.request('POST', route('session'), { body: { token } })).body.conversation).toEqual({ id: conversationId, status: 'closed' });
  }, 30_000);

  it('counts the quiet time from the latest message, also one sent within a minute of the one before', async () => {
    const admin = await t.login();
    const inboxId = (await t.request('POST', '/api/inboxes', { token: admin, body: { name: 'Chatty chats', agentIds: [] } })).body.id;
    const connection = await t.request('POST', `/api/inboxes/${inboxId}/channels`, {
      token: admin,
      body: { type: 'chat', settings: { inactivityMinutes: 5 } },
    });
    const route = (path: string) => `/channels/chat/c/${connection.body.id}/${path}`;
    const token = (await t.request('POST', route('session'), { body: {} })).body.token as string;
    const headers = { authorization: `Bearer ${token}` };
    expect((await t.request('POST', route('messages'), { body: { text: 'Hello?', clientMessageId: 'c-1' }, headers })).status).toBe(201);
    const conversationId = (await t.request('POST', route('session'), { body: { token } })).body.conversation.id as string;
    const status = async () => (await t.request('GET', `/api/conversations/${conversationId}`, { token: admin })).body.status as string;
    // The visitor record keeps the first message's time (a second message within a minute does not rewrite it).
    clock.advance(40_000);
    expect((await t.request('POST', route('messages'), { body: { text: 'Anyone there?', clientMessageId: 'c-2' }, headers })).status).toBe(201);

    // Five minutes after the first message but not after the second: still open.
    clock.advance(4 * 60_000 + 30_000);
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    expect(await status()).toBe('open');

    clock.advance(60_000);
    const deadline = Date.now() + 10_000;
    while ((await status()) !== 'closed' && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await status()).toBe('closed');
  }, 30_000);
});
