import { inbound, startTestApp, type TestApp } from '../../support/app-harness';

/** Compose (POST /api/emails) and forward (POST /api/conversations/:id/forward) through the HTTP API. */
describe('email: compose and forward over HTTP', () => {
  let t: TestApp;
  let token: string;

  beforeAll(async () => {
    t = await startTestApp({ backgroundWork: false });
    token = await t.login();
  });
  afterAll(() => t.close());

  const post = (url: string, body: unknown, as = token) => t.request('POST', url, { token: as, body });
  const get = (url: string, as = token) => t.request('GET', url, { token: as });
  const viewIds = async (view: string) => (await get(`/api/views/${view}/conversations`)).body.items.map((c: { id: string }) => c.id);

  it('composes an outbound email: it waits in Sent, not in All open or Unassigned (rule 3)', async () => {
    const res = await post('/api/emails', {
      to: 'Jane@Customer.test',
      subject: 'Your quote',
      text: 'Here is the quote you asked for.',
      html: '<p>Here is the quote you asked for.</p>',
    });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({ conversationId: expect.any(String), messageId: expect.any(String), revision: expect.any(Number) });
    const { conversationId, messageId } = res.body;

    expect(await viewIds('sent')).toContain(conversationId);
    expect(await viewIds('all-open')).not.toContain(conversationId);
    expect(await viewIds('unassigned')).not.toContain(conversationId);

    const conversation = await get(`/api/conversations/${conversationId}`);
    expect(conversation.body).toMatchObject({
      channel: 'email',
      origin: 'outbound',
      subject: 'Your quote',
      awaitingContactReply: true,
      contact: { address: 'jane@customer.test' },
    });
    expect(conversation.body.messages).toEqual([
      expect.objectContaining({
        id: messageId,
        direction: 'out',
        channel: 'email',
        to: [{ address: 'jane@customer.test' }],
        text: 'Here is the quote you asked for.',
        delivery: { status: 'queued' },
      }),
    ]);
    const history = await get(`/api/conversations/${conversationId}/history`);
    expect(history.body.events[0].data.externalThreadId).toMatch(new RegExp(`^<${messageId}@localhost>$`));
  });

  it.each([
    [{ subject: 's', text: 't' }, /to: is required/],
    [{ to: 'not-an-address', subject: 's', text: 't' }, /to: must be an email address/],
    [{ to: 'jane@customer.test', text: 't' }, /subject/],
    [{ to: 'jane@customer.test', subject: 's', text: '' }, /text: must not be empty/],
    [{ to: 'jane@customer.test', subject: 's', text: 't', html: null }, /html/],
    [{ to: 'jane@customer.test', subject: 's', text: 't', inboxId: 'nope' }, /inboxId/],
  ])('refuses compose %j with a 400 naming the field', async (body, message) => {
    const res = await post('/api/emails', body);
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body.message)).toMatch(message);
  });

  it('compose needs an inbox with an email address, and access to it', async () => {
    const inbox = await post('/api/inboxes', { name: `No address ${Date.now()}` });
    expect(inbox.status).toBe(201);
    const res = await post('/api/emails', { to: 'jane@customer.test', subject: 's', text: 't', inboxId: inbox.body.id });
    expect(res.status).toBe(400);
    expect(res.body.message).toMatch(/has no email address to send from/);

    const sales = await post('/api/inboxes', { name: `Sales ${Date.now()}`, emailAddress: `sales-${Date.now()}@parley.test` });
    const agent = await post('/api/agents', { name: 'Outsider', email: `outsider-${Date.now()}@parley.test`, password: 'outsider-password', role: 'agent' });
    const outsider = await t.login(agent.body.email, 'outsider-password');
    const denied = await post('/api/emails', { to: 'jane@customer.test', subject: 's', text: 't', inboxId: sales.body.id }, outsider);
    // An inbox out of reach answers as an unknown one.
    expect(denied.status).toBe(404);
    expect((await post('/api/emails', { to: 'jane@customer.test', subject: 's', text: 't', inboxId: sales.body.id })).status).toBe(201);
    expect((await t.request('POST', '/api/emails', { body: { to: 'jane@customer.test', subject: 's', text: 't' } })).status).toBe(401);
  });

  it('forwards an email conversation outside the company with a note; the contact still awaits an answer', async () => {
    const composed = await post('/api/emails', { to: 'jane@customer.test', subject: 'Invoice 77', text: 'Your invoice is attached.' });
    const { conversationId } = composed.body;
    await post(`/api/conversations/${conversationId}/comments`, { text: 'internal: do not leak this' });

    const res = await post(`/api/conversations/${conversationId}/forward`, { to: 'bob@partner.test', note: 'Bob, can you check the amount?' });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({ id: conversationId, revision: expect.any(Number), events: ['ConversationForwarded'], messageId: expect.any(String) });

    const history = await get(`/api/conversations/${conversationId}/history`);
    const forwarded = history.body.events.find((e: { type: string }) => e.type === 'ConversationForwarded');
    expect(forwarded.actor).toMatchObject({ type: 'agent' });
    expect(forwarded.data).toMatchObject({
      messageId: res.body.messageId,
      channel: 'email',
      to: [{ address: 'bob@partner.test' }],
      note: 'Bob, can you check the amount?',
      subject: 'Fwd: Invoice 77',
    });
    expect(forwarded.data.text).toMatch(
      /^Bob, can you check the amount\?\n\n---------- Forwarded conversation ----------\nSubject: Invoice 77\n\nFrom: .*\nDate: .*\nTo: jane@customer\.test\nSubject: Invoice 77\n\nYour invoice is attached\.\n$/,
    );
    expect(forwarded.data.text).not.toContain('internal');
    expect(forwarded.data.html).toContain('Bob, can you check the amount?');

    // Not an answer to the contact: still in Sent.
    expect(await viewIds('sent')).toContain(conversationId);
    const summary = await get(`/api/conversations/${conversationId}`);
    expect(summary.body.revision).toBe(res.body.revision);
  });

  it('refuses to forward a conversation that is not email, in Trash, or to a bad address', async () => {
    const api = await post('/api/channels/api/messages', inbound());
    const apiForward = await post(`/api/conversations/${api.body.conversationId}/forward`, { to: 'bob@partner.test' });
    expect(apiForward.status).toBe(409);
    expect(apiForward.body.message).toMatch(/only email conversations can be forwarded/);

    const composed = await post('/api/emails', { to: 'jane@customer.test', subject: 'x', text: 'y' });
    const bad = await post(`/api/conversations/${composed.body.conversationId}/forward`, { to: 'bob' });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body.message)).toMatch(/to: must be an email address/);
    const longNote = await post(`/api/conversations/${composed.body.conversationId}/forward`, { to: 'bob@partner.test', note: 'n'.repeat(10_001) });
    expect(longNote.status).toBe(400);

    await post(`/api/conversations/${composed.body.conversationId}/trash`, {});
    const trashed = await post(`/api/conversations/${composed.body.conversationId}/forward`, { to: 'bob@partner.test' });
    expect(trashed.status).toBe(409);
    expect(trashed.body.message).toMatch(/in Trash/);

    const unknown = await post('/api/conversations/00000000-0000-4000-8000-000000000000/forward', { to: 'bob@partner.test' });
    expect(unknown.status).toBe(404);
  });

  it('a stale If-Match is a 409 and nothing is forwarded', async () => {
    const composed = await post('/api/emails', { to: 'jane@customer.test', subject: 'x', text: 'y' });
    const res = await t.request('POST', `/api/conversations/${composed.body.conversationId}/forward`, {
      token,
      body: { to: 'bob@partner.test' },
      headers: { 'if-match': '"0"' },
    });
    expect(res.status).toBe(409);
    const history = await get(`/api/conversations/${composed.body.conversationId}/history`);
    expect(history.body.events.map((e: { type: string }) => e.type)).not.toContain('ConversationForwarded');
  });
});
