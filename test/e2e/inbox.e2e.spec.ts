import { inbound, ManualClock, startTestApp, type TestApp } from '../support/app-harness';

/** The inbox over HTTP, end to end on the embedded store: every view behaves as docs/design.md says. */
describe('Parley inbox over HTTP', () => {
  let t: TestApp;
  let token: string;
  const clock = new ManualClock();

  beforeAll(async () => {
    t = await startTestApp({ clock });
    token = await t.login();
  });
  afterAll(() => t.close());

  const post = (url: string, body?: unknown, headers?: Record<string, string>) => t.request('POST', url, { body: body ?? {}, token, headers });
  const get = (url: string) => t.request('GET', url, { token });
  const ingest = async (overrides: Record<string, unknown> = {}) => {
    const res = await post('/api/channels/api/messages', inbound(overrides));
    expect(res.status).toBe(201);
    return res.body as { conversationId: string; messageId: string; duplicate: boolean };
  };
  const viewIds = async (view: string) => ((await get(`/api/views/${view}/conversations?limit=200`)).body.items as Array<{ id: string }>).map((c) => c.id);
  const counts = async () => Object.fromEntries(((await get('/api/views')).body.views as Array<{ id: string; count: number }>).map((v) => [v.id, v.count]));

  describe('health and authentication', () => {
    it('serves /health without a session', async () => {
      const res = await t.request('GET', '/health');
      expect(res.status).toBe(200);
      expect(res.body.status).toBe('ok');
    });

    it('refuses API routes without a valid token', async () => {
      expect((await t.request('GET', '/api/views')).status).toBe(401);
      expect((await t.request('GET', '/api/views', { token: 'v1.forged.token' })).status).toBe(401);
      expect((await t.request('POST', '/api/channels/api/messages', { body: inbound() })).status).toBe(401);
    });

    it('rejects a wrong password with 401 and never reveals which part was wrong', async () => {
      const res = await t.request('POST', '/api/auth/login', { body: { email: 'admin@example.com', password: 'nope-nope' } });
      expect(res.status).toBe(401);
      expect(res.body.message).toBe('email or password is wrong');
    });

    it('accepts the session cookie the login sets', async () => {
      const res = await t.request('POST', '/api/auth/login', { body: { email: 'admin@example.com', password: 'admin-password-1' } });
      const session = ([] as string[]).concat((res.headers['set-cookie'] as string | string[] | undefined) ?? []).find((c) => c.startsWith('parley_session='));
      const cookie = String(session).split(';')[0];
      expect(cookie).toMatch(/^parley_session=v1\./);
      expect(session).toContain('HttpOnly');
      expect((await t.request('GET', '/api/me', { headers: { cookie } })).status).toBe(200);
    });

    it('refuses setup once an agent exists', async () => {
      expect((await t.request('GET', '/api/setup')).body).toEqual({ needsSetup: false });
      const res = await t.request('POST', '/api/setup', { body: { name: 'Eve', email: 'eve@example.com', password: 'password-123' } });
      expect(res.status).toBe(409);
    });
  });

  describe('API channel', () => {
    it('stores a new message (201) and a redelivery nothing new (200, duplicate)', async () => {
      const message = inbound();
      const first = await post('/api/channels/api/messages', message);
      expect(first.status).toBe(201);
      expect(first.body.duplicate).toBe(false);
      const again = await post('/api/channels/api/messages', message);
      expect(again.status).toBe(200);
      expect(again.body).toEqual({ ...first.body, duplicate: true });
      const conversation = await get(`/api/conversations/${first.body.conversationId}`);
      expect(conversation.body.messages).toHaveLength(1);
    });

    it('threads messages with the same externalThreadId into one conversation', async () => {
      const a = await ingest({ externalThreadId: 'shared-thread-1' });
      const b = await ingest({ externalThreadId: 'shared-thread-1', text: 'second message' });
      expect(b.conversationId).toBe(a.conversationId);
      const conversation = await get(`/api/conversations/${a.conversationId}`);
      expect(conversation.body.messages.map((m: { text: string }) => m.text)).toContain('second message');
      expect(conversation.body.preview).toContain('second message');
    });

    it.each([
      [{ externalMessageId: undefined }, 'externalMessageId'],
      [{ externalThreadId: 42 }, 'externalThreadId'],
      [{ from: { name: 'No address' } }, 'from.address'],
      [{ receivedAt: 'yesterday' }, 'receivedAt'],
      [{ text: undefined }, 'text'],
      [{ surprise: true }, 'surprise'],
    ])('answers 400 naming the field for %j', async (override, field) => {
      const res = await post('/api/channels/api/messages', { ...inbound(), ...override });
      expect(res.status).toBe(400);
      expect(JSON.stringify(res.body.message)).toContain(field);
    });

    it('answers 400 for malformed JSON and 413 for an oversize body', async () => {
      const malformed = await t.request('POST', '/api/channels/api/messages', { token, raw: '{"externalThreadId": ' });
      expect(malformed.status).toBe(400);
      const huge = await post('/api/channels/api/messages', inbound({ text: 'x'.repeat(1_100_000) }));
      expect(huge.status).toBe(413);
    });
  });

  describe('views', () => {
    it('lists every view with a count; the first four are always shown', async () => {
      const res = await get('/api/views');
      expect(res.status).toBe(200);
      const ids = res.body.views.map((v: { id: string }) => v.id);
      expect(ids).toEqual([
        'unassigned',
        'assigned-to-me',
        'all-open',
        'chat',
        'email',
        'messenger',
        'whatsapp',
        'forms',
        'bots',
        'all-closed',
        'sent',
        'spam',
        'filtered',
        'trash',
      ]);
      expect(res.body.views.filter((v: { alwaysVisible: boolean }) => v.alwaysVisible).map((v: { id: string }) => v.id)).toEqual([
        'unassigned',
        'assigned-to-me',
        'all-open',
        'chat',
      ]);
    });

    it('a new inbound message is in Unassigned and All open, counted', async () => {
      const before = await counts();
      const { conversationId } = await ingest();
      expect(await viewIds('unassigned')).toContain(conversationId);
      expect(await viewIds('all-open')).toContain(conversationId);
      const after = await counts();
      expect(after.unassigned).toBe(before.unassigned + 1);
      expect(after['all-open']).toBe(before['all-open'] + 1);
    });

    it('sorts by last received, newest first or oldest first, with keyset pages', async () => {
      const inboxRes = await post('/api/inboxes', { name: `Sorting ${Date.now()}` });
      const inboxId = inboxRes.body.id;
      const ids: string[] = [];
      for (let i = 0; i < 5; i += 1) {
        ids.push((await ingest({ inboxId, receivedAt: new Date(Date.UTC(2026, 0, 1 + i)).toISOString() })).conversationId);
      }
      const page1 = await get(`/api/views/all-open/conversations?inboxId=${inboxId}&limit=2`);
      expect(page1.body.items.map((c: { id: string }) => c.id)).toEqual([ids[4], ids[3]]);
      const page2 = await get(`/api/views/all-open/conversations?inboxId=${inboxId}&limit=2&cursor=${page1.body.nextCursor}`);
      const page3 = await get(`/api/views/all-open/conversations?inboxId=${inboxId}&limit=2&cursor=${page2.body.nextCursor}`);
      expect([...page2.body.items, ...page3.body.items].map((c: { id: string }) => c.id)).toEqual([ids[2], ids[1], ids[0]]);
      expect(page3.body.nextCursor).toBeNull();
      const oldest = await get(`/api/views/all-open/conversations?inboxId=${inboxId}&sort=oldest&limit=10`);
      expect(oldest.body.items.map((c: { id: string }) => c.id)).toEqual(ids);
    });

    it('answers 404 for an unknown view and 400 for bad paging values', async () => {
      expect((await get('/api/views/nonsense/conversations')).status).toBe(404);
      const badLimit = await get('/api/views/all-open/conversations?limit=abc');
      expect(badLimit.status).toBe(400);
      expect(JSON.stringify(badLimit.body.message)).toContain('limit');
      expect((await get('/api/views/all-open/conversations?sort=sideways')).status).toBe(400);
      const forged = await get('/api/views/all-open/conversations?cursor=abc');
      expect(forged.status).toBe(400);
      expect(forged.body.message).toMatch(/cursor/);
    });

    it('role addresses land in Spam, not in the team queue', async () => {
      const { conversationId } = await ingest({ from: { address: 'Marketing@vendor.example' } });
      expect(await viewIds('spam')).toContain(conversationId);
      expect(await viewIds('unassigned')).not.toContain(conversationId);
      expect((await post(`/api/conversations/${conversationId}/not-spam`)).status).toBe(200);
      expect(await viewIds('spam')).not.toContain(conversationId);
      expect(await viewIds('unassigned')).toContain(conversationId);
    });
  });

  describe('one conversation', () => {
    it('answers 400 for a malformed id and 404 for an unknown one', async () => {
      expect((await get('/api/conversations/not-a-uuid')).status).toBe(400);
      expect((await get('/api/conversations/00000000-0000-4000-8000-000000000000')).status).toBe(404);
      expect((await post('/api/conversations/00000000-0000-4000-8000-000000000000/close')).status).toBe(404);
    });

    it('assigns to me, unassigns, and the views follow', async () => {
      const me = (await get('/api/me')).body;
      const { conversationId } = await ingest();
      const assigned = await post(`/api/conversations/${conversationId}/assign`, { assignee: me.id });
      expect(assigned.status).toBe(200);
      expect(assigned.body.id).toBe(conversationId);
      expect(await viewIds('assigned-to-me')).toContain(conversationId);
      expect(await viewIds('unassigned')).not.toContain(conversationId);
      const detail = await get(`/api/conversations/${conversationId}`);
      expect(detail.body.assignee).toEqual({ type: 'agent', id: me.id, name: me.name });
      await post(`/api/conversations/${conversationId}/assign`, { assignee: null });
      expect(await viewIds('unassigned')).toContain(conversationId);
    });

    it('validates the assignee', async () => {
      const { conversationId } = await ingest();
      expect((await post(`/api/conversations/${conversationId}/assign`, {})).status).toBe(400);
      const bad = await post(`/api/conversations/${conversationId}/assign`, { assignee: 7 });
      expect(bad.status).toBe(400);
      expect(JSON.stringify(bad.body.message)).toContain('assignee');
      const unknown = await post(`/api/conversations/${conversationId}/assign`, { assignee: '00000000-0000-4000-8000-000000000000' });
      expect(unknown.status).toBe(400);
    });

    it('bot conversations show in Bots until an agent takes them', async () => {
      const me = (await get('/api/me')).body;
      const { conversationId } = await ingest();
      await post(`/api/conversations/${conversationId}/assign`, { assignee: 'bot' });
      expect(await viewIds('bots')).toContain(conversationId);
      expect(await viewIds('unassigned')).not.toContain(conversationId);
      await post(`/api/conversations/${conversationId}/assign`, { assignee: me.id });
      expect(await viewIds('bots')).not.toContain(conversationId);
    });

    it('a bot conversation closes only after 30 minutes of visitor inactivity (rule 9)', async () => {
      // Rule 9 holds for a conversation the inbox's bot took at its start: it starts while a bot is active for the API channel.
      const inboxId = ((await get('/api/inboxes')).body.inboxes as Array<{ id: string; isDefault: boolean }>).find((inbox) => inbox.isDefault)!.id;
      const bot = await post(`/api/inboxes/${inboxId}/bots`, { name: 'Rule nine bot', kind: 'flow', channels: ['api'] });
      expect((await post(`/api/bots/${bot.body.id}/activate`)).status).toBe(200);
      const { conversationId } = await ingest({ receivedAt: clock.now().toISOString() });
      expect((await t.request('DELETE', `/api/bots/${bot.body.id}`, { token })).status).toBe(204);
      expect((await get(`/api/conversations/${conversationId}`)).body.assignee).toEqual({ type: 'bot' });

      const early = await post(`/api/conversations/${conversationId}/close`);
      expect(early.status).toBe(409);
      expect(early.body.message).toMatch(/30 minutes|inactiv/i);
      clock.advance(31 * 60 * 1000);
      const late = await post(`/api/conversations/${conversationId}/close`);
      // From the same moment the system closes it too (rule 9's job): whichever comes first, it closes.
      if (late.status !== 200) expect(late.body.code).toBe('conversation-already-closed');
      // The system's close is its own command: the read models show it once projected, which may be a moment after our refusal.
      let status = (await get(`/api/conversations/${conversationId}`)).body.status;
      for (let tries = 0; status !== 'closed' && late.status !== 200 && tries < 100; tries++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        status = (await get(`/api/conversations/${conversationId}`)).body.status;
      }
      expect(status).toBe('closed');
    });

    it('a conversation an agent assigned to Bot by hand closes at once: rule 9 is for conversations the bot took at their start', async () => {
      const { conversationId } = await ingest({ receivedAt: clock.now().toISOString() });
      expect((await post(`/api/conversations/${conversationId}/assign`, { assignee: 'bot' })).status).toBe(200);
      expect(await viewIds('bots')).toContain(conversationId);
      expect((await post(`/api/conversations/${conversationId}/close`)).status).toBe(200);
    });

    it('sends ETag and honours If-Match: a stale revision gets 409 and changes nothing', async () => {
      const { conversationId } = await ingest();
      const first = await get(`/api/conversations/${conversationId}`);
      const etag = String(first.headers.etag);
      expect(etag).toBe(`"${first.body.revision}"`);
      const ok = await post(`/api/conversations/${conversationId}/comments`, { text: 'looking' }, { 'if-match': etag });
      expect(ok.status).toBe(201);
      expect(ok.body.revision).toBeGreaterThan(first.body.revision);
      const stale = await post(`/api/conversations/${conversationId}/close`, {}, { 'if-match': etag });
      expect(stale.status).toBe(409);
      expect((await get(`/api/conversations/${conversationId}`)).body.status).toBe('open');
      expect((await post(`/api/conversations/${conversationId}/close`, {}, { 'if-match': 'garbage' })).status).toBe(400);
    });

    it('two concurrent assigns with the same If-Match: one wins, the other gets 409, nothing lost', async () => {
      const me = (await get('/api/me')).body;
      const other = await post('/api/agents', { name: 'Concurrent Carla', email: `carla${Date.now()}@example.com`, password: 'password-123', role: 'agent' });
      const { conversationId } = await ingest();
      const etag = String((await get(`/api/conversations/${conversationId}`)).headers.etag);
      const results = await Promise.all([
        post(`/api/conversations/${conversationId}/assign`, { assignee: me.id }, { 'if-match': etag }),
        post(`/api/conversations/${conversationId}/assign`, { assignee: other.body.id }, { 'if-match': etag }),
      ]);
      expect(results.map((r) => r.status).sort()).toEqual([200, 409]);
      const history = await get(`/api/conversations/${conversationId}`);
      expect(history.body.revision).toBe(Number(etag.replace(/"/g, '')) + 1);
    });

    it('two concurrent assigns without If-Match both apply, one after the other', async () => {
      const me = (await get('/api/me')).body;
      const { conversationId } = await ingest();
      const before = (await get(`/api/conversations/${conversationId}`)).body.revision;
      const results = await Promise.all([
        post(`/api/conversations/${conversationId}/assign`, { assignee: me.id }),
        post(`/api/conversations/${conversationId}/assign`, { assignee: 'bot' }),
      ]);
      expect(results.map((r) => r.status)).toEqual([200, 200]);
      const after = (await get(`/api/conversations/${conversationId}`)).body;
      expect(after.revision).toBe(before + 2);
    });

    it('closes, and a new inbound message reopens it (rule 8)', async () => {
      const message = inbound();
      const { conversationId } = await ingest(message);
      expect((await post(`/api/conversations/${conversationId}/close`)).status).toBe(200);
      expect(await viewIds('all-closed')).toContain(conversationId);
      expect(await viewIds('all-open')).not.toContain(conversationId);
      expect((await post(`/api/conversations/${conversationId}/close`)).status).toBe(409);
      await ingest({ externalThreadId: message.externalThreadId, from: message.from });
      expect((await get(`/api/conversations/${conversationId}`)).body.status).toBe('open');
      expect(await viewIds('all-open')).toContain(conversationId);
    });

    it('closes the ticket too, or only the conversation', async () => {
      const { conversationId } = await ingest();
      const ticket = await post(`/api/conversations/${conversationId}/ticket`, { name: 'Refund request' });
      expect(ticket.status).toBe(201);
      expect((await post(`/api/conversations/${conversationId}/ticket`, { name: 'Second' })).status).toBe(409);
      await post(`/api/conversations/${conversationId}/close`, { closeTicket: false });
      expect((await get(`/api/conversations/${conversationId}`)).body.ticket).toMatchObject({ name: 'Refund request', status: 'open' });
      await post(`/api/conversations/${conversationId}/reopen`);
      await post(`/api/conversations/${conversationId}/close`, { closeTicket: true });
      expect((await get(`/api/conversations/${conversationId}`)).body.ticket).toMatchObject({ status: 'closed' });
    });

    it('records comments with @mentions of teammates', async () => {
      const email = `mia${Date.now()}@example.com`;
      const mia = await post('/api/agents', { name: 'Mia Wong', email, password: 'password-123', role: 'agent' });
      const { conversationId } = await ingest();
      const res = await post(`/api/conversations/${conversationId}/comments`, { text: 'Can you take this, @mia?' });
      expect(res.status).toBe(201);
      expect(res.body.mentions).toEqual([mia.body.id]);
      const detail = (await get(`/api/conversations/${conversationId}`)).body;
      expect(detail.comments[0]).toMatchObject({ text: 'Can you take this, @mia?', mentions: [mia.body.id] });
      expect(detail.commentPreview).toContain('Can you take this');
    });

    it('queues a reply and shows it in the thread', async () => {
      const { conversationId } = await ingest();
      const res = await post(`/api/conversations/${conversationId}/replies`, { text: 'Thanks, on it.' });
      expect(res.status).toBe(201);
      const detail = (await get(`/api/conversations/${conversationId}`)).body;
      const reply = detail.messages.find((m: { id: string }) => m.id === res.body.messageId);
      expect(reply).toMatchObject({ direction: 'out', text: 'Thanks, on it.', delivery: { status: 'queued' } });
      expect(detail.awaitingReply).toBe(false);
    });

    it('unlinks the contact but never the ticket', async () => {
      const { conversationId } = await ingest();
      expect((await post(`/api/conversations/${conversationId}/unlink-contact`)).status).toBe(200);
      expect((await get(`/api/conversations/${conversationId}`)).body.contact).toBeNull();
      expect((await post(`/api/conversations/${conversationId}/unlink-contact`)).status).toBe(409);
    });
  });

  describe('spam, block, trash', () => {
    it('mark as spam filters only that thread; not spam brings it back (rule 6)', async () => {
      const sender = { address: `spammy${Date.now()}@example.org` };
      const a = await ingest({ from: sender });
      const b = await ingest({ from: sender });
      await post(`/api/conversations/${a.conversationId}/spam`);
      expect(await viewIds('spam')).toContain(a.conversationId);
      expect(await viewIds('unassigned')).toContain(b.conversationId);
      await post(`/api/conversations/${a.conversationId}/not-spam`);
      expect(await viewIds('unassigned')).toContain(a.conversationId);
    });

    it('block sender filters the thread and every future one, deletes the ticket; unblock brings them back (rule 5)', async () => {
      const sender = { address: `Blocked${Date.now()}@Example.org` };
      const { conversationId } = await ingest({ from: sender });
      await post(`/api/conversations/${conversationId}/ticket`, { name: 'Will be deleted' });
      const block = await post(`/api/conversations/${conversationId}/block-sender`);
      expect(block.status).toBe(200);
      expect(await viewIds('filtered')).toContain(conversationId);
      expect(await viewIds('all-open')).not.toContain(conversationId);
      expect((await get(`/api/conversations/${conversationId}`)).body.ticket).toBeNull();

      const later = await ingest({ from: sender });
      expect(await viewIds('filtered')).toContain(later.conversationId);
      expect(await viewIds('unassigned')).not.toContain(later.conversationId);
      const blocked = await get('/api/senders/blocked');
      expect(blocked.body.senders.map((s: { address: string }) => s.address)).toContain(sender.address.toLowerCase());

      const unblock = await post('/api/senders/unblock', { address: sender.address });
      expect(unblock.status).toBe(200);
      expect(await viewIds('filtered')).not.toContain(conversationId);
      expect(await viewIds('filtered')).not.toContain(later.conversationId);
      const again = await ingest({ from: sender });
      expect(await viewIds('unassigned')).toContain(again.conversationId);
      expect((await post('/api/senders/unblock', { address: sender.address })).status).toBe(409);
    });

    it('trash and restore; delete forever only from Trash, then it is gone (rule 7)', async () => {
      const { conversationId } = await ingest();
      const notTrashed = await t.request('DELETE', `/api/conversations/${conversationId}`, { token });
      expect(notTrashed.status).toBe(409);
      expect(notTrashed.body.message).toMatch(/Trash/);
      await post(`/api/conversations/${conversationId}/trash`);
      expect(await viewIds('trash')).toContain(conversationId);
      expect(await viewIds('all-open')).not.toContain(conversationId);
      await post(`/api/conversations/${conversationId}/restore`);
      expect(await viewIds('all-open')).toContain(conversationId);
      await post(`/api/conversations/${conversationId}/trash`);
      const before = await counts();
      const deleted = await t.request('DELETE', `/api/conversations/${conversationId}`, { token });
      expect(deleted.status).toBe(200);
      expect((await get(`/api/conversations/${conversationId}`)).status).toBe(404);
      expect((await counts()).trash).toBe(before.trash - 1);
      expect((await t.request('DELETE', `/api/conversations/${conversationId}`, { token })).status).toBe(404);
    });

    it('bulk close and bulk trash answer one result per id', async () => {
      const a = await ingest();
      const b = await ingest();
      const missing = '00000000-0000-4000-8000-00000000abcd';
      const closed = await post('/api/conversations/bulk', { ids: [a.conversationId, b.conversationId, missing], action: 'close' });
      expect(closed.status).toBe(200);
      expect(closed.body.results).toEqual([
        expect.objectContaining({ id: a.conversationId, ok: true }),
        expect.objectContaining({ id: b.conversationId, ok: true }),
        expect.objectContaining({ id: missing, ok: false, statusCode: 404 }),
      ]);
      const again = await post('/api/conversations/bulk', { ids: [a.conversationId], action: 'close' });
      expect(again.body.results[0]).toMatchObject({ ok: false, statusCode: 409 });
      const trashed = await post('/api/conversations/bulk', { ids: [a.conversationId, b.conversationId], action: 'trash' });
      expect(trashed.body.results.every((r: { ok: boolean }) => r.ok)).toBe(true);
      expect(await viewIds('trash')).toEqual(expect.arrayContaining([a.conversationId, b.conversationId]));
      expect((await post('/api/conversations/bulk', { ids: [], action: 'close' })).status).toBe(400);
      expect((await post('/api/conversations/bulk', { ids: [a.conversationId], action: 'explode' })).status).toBe(400);
    });
  });

  describe('agents and inbox access', () => {
    it('removing an agent unassigns their conversations (rule 4)', async () => {
      const agent = await post('/api/agents', { name: 'Leaving Lou', email: `lou${Date.now()}@example.com`, password: 'password-123', role: 'agent' });
      expect(agent.status).toBe(201);
      const { conversationId } = await ingest();
      await post(`/api/conversations/${conversationId}/assign`, { assignee: agent.body.id });
      expect(await viewIds('unassigned')).not.toContain(conversationId);
      const removed = await t.request('DELETE', `/api/agents/${agent.body.id}`, { token });
      expect(removed.status).toBe(200);
      expect((await get(`/api/conversations/${conversationId}`)).body.assignee).toBeNull();
      expect(await viewIds('unassigned')).toContain(conversationId);
    });

    it('an agent reaches only the inboxes they are a member of (rule 15)', async () => {
      const password = 'password-123';
      const email = `nina${Date.now()}@example.com`;
      const nina = await post('/api/agents', { name: 'Nina', email, password, role: 'agent' });
      const privateInbox = await post('/api/inboxes', { name: `Private ${Date.now()}` });
      expect(privateInbox.status).toBe(201);
      const secret = await ingest({ inboxId: privateInbox.body.id });
      const ninaToken = await t.login(email, password);
      const asNina = (method: string, url: string, body?: unknown) => t.request(method, url, { token: ninaToken, body });

      // Out of reach answers as an unknown id would (404): a 403 would confirm the id exists.
      expect((await asNina('GET', `/api/conversations/${secret.conversationId}`)).status).toBe(404);
      expect((await asNina('POST', `/api/conversations/${secret.conversationId}/close`, {})).status).toBe(404);
      expect((await asNina('GET', `/api/views?inboxId=${privateInbox.body.id}`)).status).toBe(404);
      expect((await asNina('GET', '/api/views')).status).toBe(200);
      expect((await asNina('POST', '/api/agents', { name: 'X', email: 'x@example.com', password, role: 'agent' })).status).toBe(403);
      expect((await asNina('POST', `/api/conversations/${secret.conversationId}/assign`, { assignee: nina.body.id })).status).toBe(404);

      const members = await t.request('PUT', `/api/inboxes/${privateInbox.body.id}/members`, { token, body: { agentIds: [nina.body.id] } });
      expect(members.status).toBe(200);
      expect(members.body.memberIds).toEqual([nina.body.id]);
      expect((await asNina('GET', `/api/conversations/${secret.conversationId}`)).status).toBe(200);
      const inboxes = await asNina('GET', '/api/inboxes');
      expect(inboxes.body.inboxes.map((i: { id: string }) => i.id)).toContain(privateInbox.body.id);
    });

    it('refuses a second agent with the same email and a bad role', async () => {
      const email = `dup${Date.now()}@example.com`;
      expect((await post('/api/agents', { name: 'One', email, password: 'password-123', role: 'agent' })).status).toBe(201);
      const dup = await post('/api/agents', { name: 'Two', email: email.toUpperCase(), password: 'password-123', role: 'agent' });
      expect(dup.status).toBe(409);
      const badRole = await post('/api/agents', { name: 'Three', email: `3${email}`, password: 'password-123', role: 'boss' });
      expect(badRole.status).toBe(400);
      expect(JSON.stringify(badRole.body.message)).toContain('role');
    });

    it('sets availability', async () => {
      expect((await t.request('PUT', '/api/me/availability', { token, body: { status: 'away' } })).status).toBe(200);
      expect((await get('/api/me')).body.availability).toBe('away');
      expect((await t.request('PUT', '/api/me/availability', { token, body: { status: 'sleeping' } })).status).toBe(400);
      await t.request('PUT', '/api/me/availability', { token, body: { status: 'available' } });
    });
  });
});
