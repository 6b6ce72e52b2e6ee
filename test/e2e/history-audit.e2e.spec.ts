import { join } from 'node:path';
import Database from 'better-sqlite3';
import { GENESIS_HASH } from '../../src/application/audit/hash-chain';
import { inbound, ManualClock, startTestApp, type TestApp } from '../support/app-harness';

/** For auditors, over HTTP: a conversation's history from the log, the state at any moment, its hash chain. */
describe('history, ?at= and verify over HTTP', () => {
  let t: TestApp;
  let token: string;
  let me: { id: string; name: string };
  const clock = new ManualClock(new Date('2026-11-24T10:00:00.000Z'));

  beforeAll(async () => {
    t = await startTestApp({ clock });
    token = await t.login();
    me = (await get('/api/me')).body;
  });
  afterAll(() => t.close());

  const get = (url: string, as = token) => t.request('GET', url, { token: as });
  const post = async (url: string, body: unknown = {}) => {
    const res = await t.request('POST', url, { token, body });
    expect(res.status).toBeLessThan(300);
    return res;
  };
  const ingest = async (overrides: Record<string, unknown> = {}) =>
    (await post('/api/channels/api/messages', inbound(overrides))).body.conversationId as string;
  const minuteLater = () => {
    clock.advance(60_000);
    return clock.now().toISOString();
  };
  /** A direct connection to the data file: what an attacker with disk access could do. */
  const sql = <T>(work: (db: Database.Database) => T): T => {
    const db = new Database(join(t.dataDir, 'parley.db'));
    try {
      return work(db);
    } finally {
      db.close();
    }
  };

  /** started -> (a minute of nothing) -> assigned -> commented -> closed, a minute apart. */
  async function timeline() {
    const started = minuteLater();
    const id = await ingest({ subject: 'Broken kettle', text: 'My kettle is broken' });
    const beforeAssign = minuteLater();
    const assigned = minuteLater();
    await post(`/api/conversations/${id}/assign`, { assignee: me.id });
    const commented = minuteLater();
    await post(`/api/conversations/${id}/comments`, { text: 'Replacement sent' });
    const closed = minuteLater();
    await post(`/api/conversations/${id}/close`);
    const afterClose = minuteLater();
    return { id, at: { started, beforeAssign, assigned, commented, closed, afterClose } };
  }

  describe('GET /api/conversations/:id/history', () => {
    it('lists every event of the stream in order, with its metadata and hash chain', async () => {
      const { id, at } = await timeline();
      const res = await get(`/api/conversations/${id}/history`);
      expect(res.status).toBe(200);
      const events = res.body.events as Array<Record<string, any>>;
      expect(events.map((e) => e.type)).toEqual(['ConversationStarted', 'MessageReceived', 'ConversationAssigned', 'CommentAdded', 'ConversationClosed']);
      expect(events.map((e) => e.revision)).toEqual([0, 1, 2, 3, 4]);
      expect(events.map((e) => e.occurredAt)).toEqual([at.started, at.started, at.assigned, at.commented, at.closed]);
      for (const event of events) {
        expect(Object.keys(event).sort()).toEqual(
          ['actor', 'causationId', 'correlationId', 'data', 'hash', 'id', 'occurredAt', 'position', 'prevHash', 'revision', 'streamId', 'type'].sort(),
        );
        expect(event.hash).toMatch(/^[0-9a-f]{64}$/);
      }
      expect(events[0].prevHash).toBe(GENESIS_HASH);
      for (let i = 1; i < events.length; i += 1) {
        expect(events[i].prevHash).toBe(events[i - 1].hash);
        expect(events[i].position).toBeGreaterThan(events[i - 1].position);
      }
      expect(events[2]).toMatchObject({ actor: { type: 'agent', id: me.id }, data: { assignee: { type: 'agent', id: me.id } } });
      expect(events[3].data).toMatchObject({ text: 'Replacement sent', authorId: me.id });
    });

    it('is read from the event log, not from a read model', async () => {
      const id = await ingest();
      sql((db) => db.prepare('DELETE FROM rm_conversations WHERE id = ?').run(id));
      expect((await get(`/api/conversations/${id}`)).status).toBe(404);
      const history = await get(`/api/conversations/${id}/history`);
      expect(history.status).toBe(200);
      expect(history.body.events.map((e: { type: string }) => e.type)).toEqual(['ConversationStarted', 'MessageReceived']);
    });
  });

  describe('GET /api/conversations/:id?at=', () => {
    it('shows the conversation as it was at each instant', async () => {
      const { id, at } = await timeline();
      const asOf = async (instant: string) => {
        const res = await get(`/api/conversations/${id}?at=${encodeURIComponent(instant)}`);
        expect(res.status).toBe(200);
        return res.body;
      };

      const justStarted = await asOf(at.started);
      expect(justStarted).toMatchObject({ id, status: 'open', assignee: null, subject: 'Broken kettle', revision: 1, comments: [] });
      expect(justStarted.messages.map((m: { text: string }) => m.text)).toEqual(['My kettle is broken']);

      const beforeAssign = await asOf(at.beforeAssign);
      expect(beforeAssign).toEqual(justStarted);

      const assigned = await asOf(at.assigned);
      expect(assigned).toMatchObject({ status: 'open', assignee: { type: 'agent', id: me.id, name: me.name }, revision: 2, comments: [] });

      const commented = await asOf(at.commented);
      expect(commented.comments).toEqual([expect.objectContaining({ author: { id: me.id, name: me.name }, text: 'Replacement sent' })]);
      expect(commented.status).toBe('open');

      const afterClose = await asOf(at.afterClose);
      expect(afterClose).toMatchObject({ status: 'closed', revision: 4, commentPreview: 'Replacement sent' });
    });

    it('for now equals the live conversation', async () => {
      const { id } = await timeline();
      const live = await get(`/api/conversations/${id}`);
      const now = await get(`/api/conversations/${id}?at=${encodeURIComponent(clock.now().toISOString())}`);
      expect(now.status).toBe(200);
      expect(now.body).toEqual(live.body);
      expect(live.headers.etag).toBe(`"${live.body.revision}"`);
      expect(now.headers.etag).toBeUndefined();
    });

    it('answers 404 for an instant before the conversation existed', async () => {
      const { id, at } = await timeline();
      const before = new Date(Date.parse(at.started) - 1).toISOString();
      const res = await get(`/api/conversations/${id}?at=${before}`);
      expect(res.status).toBe(404);
      expect(res.body.message).toContain('did not exist');
    });

    it.each(['yesterday', '', '2026-02-30', '2026-11-24T10:00:00', '2026-11-24T25:00:00Z'])('answers 400 naming `at` for at=%j', async (value) => {
      const id = await ingest();
      const res = await get(`/api/conversations/${id}?at=${encodeURIComponent(value)}`);
      expect(res.status).toBe(400);
      expect(res.body.message).toMatch(/^at: /);
    });

    it('accepts a date (its UTC midnight) and an offset', async () => {
      const id = await ingest();
      expect((await get(`/api/conversations/${id}?at=2099-01-01`)).status).toBe(200);
      expect((await get(`/api/conversations/${id}?at=${encodeURIComponent('2099-01-01T10:00:00+02:00')}`)).status).toBe(200);
      expect((await get(`/api/conversations/${id}?at=2001-01-01`)).status).toBe(404);
    });
  });

  describe('GET /api/audit/verify', () => {
    it('reports an intact chain', async () => {
      const { id } = await timeline();
      const res = await get(`/api/audit/verify?conversationId=${id}`);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ conversationId: id, ok: true, events: 5, firstBreak: null });
    });

    it('finds an event whose data was edited in the database, at exactly that event', async () => {
      const { id } = await timeline();
      const before = (await get(`/api/conversations/${id}/history`)).body.events;
      const message = before[1];
      sql((db) => db.prepare(`UPDATE events SET data = json_set(data, '$.text', 'I never said that') WHERE event_id = ?`).run(message.id));

      const res = await get(`/api/audit/verify?conversationId=${id}`);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        conversationId: id,
        ok: false,
        events: 5,
        firstBreak: {
          revision: 1,
          eventId: message.id,
          position: message.position,
          reason: 'hash-mismatch',
          expected: expect.stringMatching(/^[0-9a-f]{64}$/),
          actual: message.hash,
        },
      });
      expect(res.body.firstBreak.expected).not.toBe(message.hash);
      // The history shows what is stored now; the chain is what gives it away.
      expect((await get(`/api/conversations/${id}/history`)).body.events[1].data.text).toBe('I never said that');
    });

    it('finds an event removed from the middle of the stream', async () => {
      const { id } = await timeline();
      const events = (await get(`/api/conversations/${id}/history`)).body.events;
      sql((db) => db.prepare('DELETE FROM events WHERE event_id = ?').run(events[2].id));

      const res = await get(`/api/audit/verify?conversationId=${id}`);
      expect(res.body).toMatchObject({
        ok: false,
        events: 4,
        firstBreak: { revision: 3, eventId: events[3].id, position: events[3].position, reason: 'revision-gap', expected: '2', actual: '3' },
      });
    });

    it('reports a row edited into invalid JSON as unreadable at that event (not a 500)', async () => {
      const { id } = await timeline();
      const events = (await get(`/api/conversations/${id}/history`)).body.events;
      sql((db) => db.prepare(`UPDATE events SET data = '{"text": "cut off' WHERE event_id = ?`).run(events[1].id));

      const res = await get(`/api/audit/verify?conversationId=${id}`);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ ok: false, firstBreak: { reason: 'unreadable', eventId: events[1].id, position: events[1].position, revision: 1 } });
      const history = await get(`/api/conversations/${id}/history`);
      expect(history.status).toBe(500);
      expect(history.body.message).toContain('parley audit verify');
    });

    it('answers 400 naming conversationId when it is missing or malformed', async () => {
      for (const query of ['', '?conversationId=', '?conversationId=nope']) {
        const res = await get(`/api/audit/verify${query}`);
        expect(res.status).toBe(400);
        expect(res.body.message).toMatch(/^conversationId: /);
      }
    });
  });

  describe('access and existence, the same for history, ?at= and verify', () => {
    const routes = (id: string) => [`/api/conversations/${id}/history`, `/api/conversations/${id}?at=2099-01-01`, `/api/audit/verify?conversationId=${id}`];

    it('answers 400 for a malformed id', async () => {
      expect((await get('/api/conversations/not-a-uuid/history')).status).toBe(400);
      expect((await get('/api/conversations/not-a-uuid?at=2099-01-01')).status).toBe(400);
    });

    it('answers 404 for an unknown conversation and for one deleted forever', async () => {
      const deleted = await ingest();
      await post(`/api/conversations/${deleted}/trash`);
      expect((await t.request('DELETE', `/api/conversations/${deleted}`, { token })).status).toBe(200);
      for (const id of ['00000000-0000-4000-8000-000000000000', deleted]) {
        for (const route of routes(id)) expect({ route, status: (await get(route)).status }).toEqual({ route, status: 404 });
      }
    });

    it('answers 404 (as for an unknown id) to an agent without access to the inbox, 200 once they are a member', async () => {
      const email = `auditee${Date.now()}@example.com`;
      const password = 'password-123';
      const agent = await post('/api/agents', { name: 'Olga', email, password, role: 'agent' });
      const privateInbox = await post('/api/inboxes', { name: `Audit ${Date.now()}` });
      const id = await ingest({ inboxId: privateInbox.body.id });
      const olga = await t.login(email, password);
      for (const route of routes(id)) expect({ route, status: (await get(route, olga)).status }).toEqual({ route, status: 404 });
      await t.request('PUT', `/api/inboxes/${privateInbox.body.id}/members`, { token, body: { agentIds: [agent.body.id] } });
      for (const route of routes(id)) expect({ route, status: (await get(route, olga)).status }).toEqual({ route, status: 200 });
    });
  });
});
