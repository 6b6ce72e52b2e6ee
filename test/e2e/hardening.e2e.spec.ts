import { openDatabase, databaseFile } from '../../src/infrastructure/sqlite/open-database';
import { inbound, startTestApp, type TestApp } from '../support/app-harness';

/** Faults and abuse: the answers a careless or hostile client gets, and the states they can never cause. */
describe('hardening', () => {
  describe('first-run setup', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await startTestApp({ env: { PARLEY_ADMIN_EMAIL: '', PARLEY_ADMIN_PASSWORD: '' } });
    });
    afterAll(() => t.close());

    it('a refused setup (blank name) writes nothing and the next, valid one succeeds', async () => {
      expect((await t.request('GET', '/api/setup')).body).toEqual({ needsSetup: true });
      const blank = await t.request('POST', '/api/setup', { body: { name: '   ', email: 'boss@example.com', password: 'password-123' } });
      expect(blank.status).toBe(400);
      expect(JSON.stringify(blank.body.message)).toContain('name');
      const ok = await t.request('POST', '/api/setup', { body: { name: 'Boss', email: 'boss@localhost', password: 'password-123' } });
      expect(ok.status).toBe(201);
      expect(ok.body.agent).toMatchObject({ email: 'boss@localhost', role: 'admin' });
      expect((await t.request('GET', '/api/setup')).body).toEqual({ needsSetup: false });
      expect((await t.request('POST', '/api/setup', { body: { name: 'Eve', email: 'eve@example.com', password: 'password-123' } })).status).toBe(409);
      // admin@localhost-style addresses log in too (dotless domains are valid here).
      expect(await t.login('boss@localhost', 'password-123')).toMatch(/^v1\./);
    });
  });

  describe('with a running inbox', () => {
    let t: TestApp;
    let token: string;
    beforeAll(async () => {
      t = await startTestApp();
      token = await t.login();
    });
    afterAll(() => t.close());

    const post = (url: string, body?: unknown, headers: Record<string, string> = {}) => t.request('POST', url, { body: body ?? {}, token, headers });
    const ingest = async (overrides: Record<string, unknown> = {}) =>
      (await post('/api/channels/api/messages', inbound(overrides))).body.conversationId as string;
    const newAgent = async (role: 'admin' | 'agent', name = `A ${Math.random()}`) => {
      const email = `${role}${Date.now()}${Math.floor(Math.random() * 1e6)}@example.com`;
      const res = await post('/api/agents', { name, email, password: 'password-123', role });
      expect(res.status).toBe(201);
      return { id: res.body.id as string, email, token: await t.login(email, 'password-123') };
    };

    it.each([
      ['assign with a string body', '/assign', '"x"'],
      ['assign with a number body', '/assign', '5'],
      ['assign with an array body', '/assign', '[]'],
    ])('%s is a 400, not a 500', async (_what, path, raw) => {
      const id = await ingest();
      const res = await t.request('POST', `/api/conversations/${id}${path}`, { token, raw });
      expect(res.status).toBe(400);
    });

    it.each([
      [{ from: [{ address: 'c@example.com' }] }, 'from'],
      [{ from: [] }, 'from'],
      [{ to: [[]] }, 'to'],
      [{ receivedAt: '2024-W01-1' }, 'receivedAt'],
      [{ receivedAt: '20240101T000000Z' }, 'receivedAt'],
      [{ receivedAt: '2024-01-01T00:00:00,5Z' }, 'receivedAt'],
      [{ from: { address: '   ' } }, 'address'],
      [{ externalMessageId: '   ' }, 'externalMessageId'],
    ])('API channel refuses %j with a 400 naming %s', async (override, field) => {
      const res = await post('/api/channels/api/messages', { ...inbound(), ...override });
      expect(res.status).toBe(400);
      expect(JSON.stringify(res.body.message)).toContain(field);
    });

    it('a malformed session cookie is a 401, not a 500', async () => {
      const res = await t.request('GET', '/api/me', { headers: { cookie: 'parley_session=%E0%A4%A' } });
      expect(res.status).toBe(401);
    });

    it('a null password in an update is a 400', async () => {
      const me = (await t.request('GET', '/api/me', { token })).body;
      const res = await t.request('PATCH', `/api/agents/${me.id}`, { token, body: { password: null } });
      expect(res.status).toBe(400);
      expect(JSON.stringify(res.body.message)).toContain('password');
    });

    it('finds a conversation by its id in upper case too', async () => {
      const id = await ingest();
      expect((await t.request('GET', `/api/conversations/${id.toUpperCase()}`, { token })).status).toBe(200);
    });

    it('accepts an empty JSON body and If-Match: * on a command', async () => {
      const id = await ingest();
      const res = await t.request('POST', `/api/conversations/${id}/close`, { token, raw: '', headers: { 'if-match': '*' } });
      expect(res.status).toBe(200);
    });

    it('a message posted through the API channel records the agent who posted it', async () => {
      const id = await ingest();
      const me = (await t.request('GET', '/api/me', { token })).body;
      const db = openDatabase(databaseFile(t.dataDir), { synchronous: 'NORMAL' });
      try {
        const row = db.prepare("SELECT data FROM events WHERE stream_id = ? AND type = 'MessageReceived'").get(`conversation-${id}`) as { data: string };
        expect(JSON.parse(row.data).postedBy).toBe(me.id);
      } finally {
        db.close();
      }
    });

    it('a receivedAt far in the future is taken as now (it cannot pin a conversation to the top)', async () => {
      const id = await ingest({ receivedAt: '2099-01-01T00:00:00Z' });
      const detail = (await t.request('GET', `/api/conversations/${id}`, { token })).body;
      expect(Date.parse(detail.lastReceivedAt)).toBeLessThan(Date.parse('2090-01-01T00:00:00Z'));
    });

    it('a late message received earlier keeps the newer one as sort key and preview', async () => {
      const thread = `late-${Date.now()}`;
      const id = await ingest({ externalThreadId: thread, receivedAt: '2026-01-05T10:00:00Z', text: 'newest words' });
      await ingest({ externalThreadId: thread, receivedAt: '2026-01-01T10:00:00Z', text: 'older words' });
      const detail = (await t.request('GET', `/api/conversations/${id}`, { token })).body;
      expect(detail.lastReceivedAt).toBe('2026-01-05T10:00:00.000Z');
      expect(detail.preview).toBe('newest words');
      expect(detail.messages).toHaveLength(2);
    });

    it('an agent without access learns nothing from a stale If-Match (404 as for an unknown id, not 409 with the revision)', async () => {
      const outsider = await newAgent('agent');
      const inbox = await post('/api/inboxes', { name: `Secret ${Date.now()}` });
      const id = await ingest({ inboxId: inbox.body.id });
      const res = await t.request('POST', `/api/conversations/${id}/close`, { token: outsider.token, body: {}, headers: { 'if-match': '"0"' } });
      expect(res.status).toBe(404);
      expect(JSON.stringify(res.body)).not.toMatch(/revision/);
    });

    it('two admins removing each other at once: one succeeds, the other is refused, an admin remains', async () => {
      const a = await newAgent('admin');
      const b = await newAgent('admin');
      // Leave exactly these two admins: demote the bootstrap admin through b.
      const me = (await t.request('GET', '/api/me', { token })).body;
      expect((await t.request('PATCH', `/api/agents/${me.id}`, { token: b.token, body: { role: 'agent' } })).status).toBe(200);
      const results = await Promise.all([
        t.request('DELETE', `/api/agents/${b.id}`, { token: a.token }),
        t.request('DELETE', `/api/agents/${a.id}`, { token: b.token }),
      ]);
      const statuses = results.map((r) => r.status).sort();
      expect(statuses[0]).toBe(200);
      expect([401, 409]).toContain(statuses[1]); // refused as the last admin, or its session's agent is already gone
      const survivor = results[0].status === 200 ? a : b;
      const { agents } = (await t.request('GET', '/api/agents', { token: survivor.token })).body;
      expect(agents.filter((x: { role: string }) => x.role === 'admin').map((x: { id: string }) => x.id)).toEqual([survivor.id]);
      // Restore the bootstrap admin for the remaining tests.
      expect((await t.request('PATCH', `/api/agents/${me.id}`, { token: survivor.token, body: { role: 'admin' } })).status).toBe(200);
    });

    it('changing your own password needs the current one and ends older sessions', async () => {
      const agent = await newAgent('agent');
      const noCurrent = await t.request('PATCH', `/api/agents/${agent.id}`, { token: agent.token, body: { password: 'new-password-1' } });
      expect(noCurrent.status).toBe(400);
      expect(JSON.stringify(noCurrent.body.message)).toContain('currentPassword');
      const wrong = await t.request('PATCH', `/api/agents/${agent.id}`, {
        token: agent.token,
        body: { password: 'new-password-1', currentPassword: 'nope-nope' },
      });
      expect(wrong.status).toBe(403);
      const ok = await t.request('PATCH', `/api/agents/${agent.id}`, {
        token: agent.token,
        body: { password: 'new-password-1', currentPassword: 'password-123' },
      });
      expect(ok.status).toBe(200);
      expect((await t.request('GET', '/api/me', { token: agent.token })).status).toBe(401);
      expect((await t.request('GET', '/api/me', { token: await t.login(agent.email, 'new-password-1') })).status).toBe(200);
    });

    it('a removed agent can be registered again with the same email', async () => {
      const agent = await newAgent('agent');
      expect((await t.request('DELETE', `/api/agents/${agent.id}`, { token })).status).toBe(200);
      expect((await post('/api/agents', { name: 'Back again', email: agent.email, password: 'password-123', role: 'agent' })).status).toBe(201);
    });

    it('delete forever leaves a tombstone naming the conversation and the end of its chain', async () => {
      const id = await ingest();
      await post(`/api/conversations/${id}/trash`);
      expect((await t.request('DELETE', `/api/conversations/${id}`, { token })).status).toBe(200);
      const db = openDatabase(databaseFile(t.dataDir), { synchronous: 'NORMAL' });
      try {
        expect(db.prepare('SELECT count(*) FROM events WHERE stream_id = ?').pluck().get(`conversation-${id}`)).toBe(0);
        const tombstones = db.prepare("SELECT data FROM events WHERE stream_id = 'deleted-conversations'").pluck().all() as string[];
        const tombstone = tombstones.map((d) => JSON.parse(d)).find((d) => d.conversationId === id);
        expect(tombstone).toMatchObject({ conversationId: id, reason: 'agent', lastHash: expect.stringMatching(/^[0-9a-f]{64}$/) });
      } finally {
        db.close();
      }
    });

    it('slows password guessing: after 10 wrong passwords for an email, 429 with Retry-After', async () => {
      const email = `target${Date.now()}@example.com`;
      await post('/api/agents', { name: 'Target', email, password: 'password-123', role: 'agent' });
      for (let i = 0; i < 10; i += 1) {
        expect((await t.request('POST', '/api/auth/login', { body: { email, password: `wrong-${i}-xx` } })).status).toBe(401);
      }
      const blocked = await t.request('POST', '/api/auth/login', { body: { email, password: 'password-123' } });
      expect(blocked.status).toBe(429);
      expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
    });
  });
});
