import { inbound, ManualClock, startTestApp, type TestApp } from '../support/app-harness';

/** Search, filters and custom views over HTTP, end to end on the embedded store (docs/design.md rule 2). */
describe('search and custom views over HTTP', () => {
  let t: TestApp;
  let token: string;
  let adminId: string;
  const clock = new ManualClock();
  const password = 'password-123';

  beforeAll(async () => {
    t = await startTestApp({ clock });
    token = await t.login();
    adminId = (await t.request('GET', '/api/me', { token })).body.id;
  });
  afterAll(() => t.close());

  const post = (url: string, body?: unknown, as = token) => t.request('POST', url, { body: body ?? {}, token: as });
  const get = (url: string, as = token) => t.request('GET', url, { token: as });
  const newInbox = async () => {
    const res = await post('/api/inboxes', { name: `Inbox ${Math.random().toString(36).slice(2)}` });
    expect(res.status).toBe(201);
    return res.body.id as string;
  };
  const ingest = async (overrides: Record<string, unknown> = {}) => {
    const res = await post('/api/channels/api/messages', inbound(overrides));
    expect(res.status).toBe(201);
    return res.body.conversationId as string;
  };
  const newAgent = async (name: string) => {
    const email = `${name.toLowerCase()}-${Math.random().toString(36).slice(2)}@example.com`;
    const created = await post('/api/agents', { name, email, password, role: 'agent' });
    expect(created.status).toBe(201);
    return { id: created.body.id as string, token: await t.login(email, password) };
  };
  const searchIds = async (inboxId: string, query: string, as = token) => {
    const res = await get(`/api/conversations?inboxId=${inboxId}&${query}`, as);
    expect({ query, status: res.status, body: res.status === 200 ? 'ok' : res.body }).toEqual({ query, status: 200, body: 'ok' });
    return (res.body.items as Array<{ id: string }>).map((item) => item.id);
  };
  /** Every page, following nextCursor. */
  const allPages = async (url: string) => {
    const found: string[] = [];
    let next: string | null = null;
    do {
      const res = await get(`${url}${next ? `&cursor=${next}` : ''}`);
      expect(res.status).toBe(200);
      found.push(...(res.body.items as Array<{ id: string }>).map((item) => item.id));
      next = res.body.nextCursor;
    } while (next);
    return found;
  };

  describe('text search', () => {
    let inboxId: string;
    let invoice: string;
    let parcel: string;
    let jane: string;

    beforeAll(async () => {
      inboxId = await newInbox();
      invoice = await ingest({ inboxId, subject: 'Invoice 1042 overdue', text: 'Please pay', from: { address: 'billing@acme.test', name: 'Acme Billing' } });
      parcel = await ingest({
        inboxId,
        subject: 'Where is it?',
        text: 'The parcel never arrived, tracking says delivered',
        from: { address: 'sam@example.org', name: 'Sam Spade' },
      });
      jane = await ingest({ inboxId, subject: 'Question', text: 'Hello there', from: { address: 'jane.doe@customer.test', name: 'Jane Marple' } });
      const reply = await post(`/api/conversations/${jane}/replies`, { text: 'We will send a replacement voucher' });
      expect(reply.status).toBe(201);
    });

    it.each([
      ['the subject', 'invoice', () => [invoice]],
      ['a number in the subject', '1042', () => [invoice]],
      ['an inbound body', 'parcel', () => [parcel]],
      ['an outbound body (a reply)', 'voucher', () => [jane]],
      ['the contact name', 'marple', () => [jane]],
      ['the contact address', 'jane.doe@customer.test', () => [jane]],
      ['words as prefixes', 'track deliv', () => [parcel]],
      ['several parts at once', 'sam parcel', () => [parcel]],
      ['a word that is nowhere', 'zebra', () => []],
      ['one missing word', 'parcel zebra', () => []],
    ])('finds by %s (q=%j)', async (_what, q, expected) => {
      expect(await searchIds(inboxId, `q=${encodeURIComponent(q)}`)).toEqual(expected());
    });

    it.each(['"', 'NEAR(parcel', 'parcel*', 'subject:parcel', 'parcel OR', '(((', '^-+', "'; DROP TABLE search_text; --", 'AND', '🙂'])(
      'answers 200 for q=%j (FTS syntax is plain text)',
      async (q) => {
        const res = await get(`/api/conversations?inboxId=${inboxId}&q=${encodeURIComponent(q)}`);
        expect(res.status).toBe(200);
        expect(Array.isArray(res.body.items)).toBe(true);
      },
    );

    it('returns ConversationSummary items; spam stays visible, flagged', async () => {
      // billing@ is a role address: the conversation went to Spam, and search still finds it.
      const res = await get(`/api/conversations?inboxId=${inboxId}&q=invoice`);
      expect(res.body).toEqual({
        items: [expect.objectContaining({ id: invoice, inboxId, subject: 'Invoice 1042 overdue', spam: true, filtered: false, trashed: false })],
        nextCursor: null,
      });
    });
  });

  describe('filters', () => {
    let inboxId: string;
    const ids: Record<string, string> = {};
    let contactId: string;

    beforeAll(async () => {
      inboxId = await newInbox();
      ids.open = await ingest({ inboxId, subject: 'Filter open', receivedAt: '2026-03-01T10:00:00Z', from: { address: 'olive@example.com' } });
      ids.closed = await ingest({ inboxId, subject: 'Filter closed', receivedAt: '2026-03-02T10:00:00Z' });
      ids.mine = await ingest({ inboxId, subject: 'Filter mine', receivedAt: '2026-03-03T23:30:00Z' });
      ids.bot = await ingest({ inboxId, subject: 'Filter bot', receivedAt: '2026-03-04T10:00:00Z' });
      ids.filtered = await ingest({ inboxId, subject: 'Filter blocked', receivedAt: '2026-03-05T10:00:00Z', from: { address: 'pest@example.com' } });
      ids.trashed = await ingest({ inboxId, subject: 'Filter trashed', receivedAt: '2026-03-06T10:00:00Z' });
      ids.spam = await ingest({ inboxId, subject: 'Filter spam', receivedAt: '2026-03-07T10:00:00Z' });
      ids.again = await ingest({ inboxId, subject: 'Filter again', receivedAt: '2026-03-08T10:00:00Z', from: { address: 'olive@example.com' } });
      expect((await post(`/api/conversations/${ids.closed}/close`)).status).toBe(200);
      expect((await post(`/api/conversations/${ids.mine}/assign`, { assignee: adminId })).status).toBe(200);
      expect((await post(`/api/conversations/${ids.bot}/assign`, { assignee: 'bot' })).status).toBe(200);
      expect((await post(`/api/conversations/${ids.filtered}/block-sender`)).status).toBe(200);
      expect((await post(`/api/conversations/${ids.trashed}/trash`)).status).toBe(200);
      expect((await post(`/api/conversations/${ids.spam}/spam`)).status).toBe(200);
      contactId = (await get(`/api/conversations/${ids.open}`)).body.contact.id;
    });

    const of = (...names: string[]) => names.map((name) => ids[name]);

    it.each([
      ['', ['again', 'spam', 'filtered', 'bot', 'mine', 'closed', 'open']],
      ['status=open', ['again', 'spam', 'filtered', 'bot', 'mine', 'open']],
      ['status=closed', ['closed']],
      ['channel=api', ['again', 'spam', 'filtered', 'bot', 'mine', 'closed', 'open']],
      ['channel=email', []],
      ['assignee=bot', ['bot']],
      ['assignee=none', ['again', 'spam', 'filtered', 'closed', 'open']],
      ['from=2026-03-03&to=2026-03-04', ['bot', 'mine']],
      ['from=2026-03-03T23:30:00Z&to=2026-03-03T23:30:00Z', ['mine']],
      ['to=2026-03-03', ['mine', 'closed', 'open']],
      ['from=2026-03-07', ['again', 'spam']],
      ['hideFiltered=true', ['again', 'spam', 'bot', 'mine', 'closed', 'open']],
      ['hideTrash=false', ['again', 'spam', 'trashed', 'filtered', 'bot', 'mine', 'closed', 'open']],
      ['hideTrash=false&hideFiltered=true&status=open&from=2026-03-05', ['again', 'spam', 'trashed']],
      ['q=filter&status=open&assignee=none&sort=oldest', ['open', 'filtered', 'spam', 'again']],
      ['q=blocked&hideFiltered=true', []],
      ['q=trashed', []],
      ['q=trashed&hideTrash=false', ['trashed']],
    ])('%s', async (query, expected) => {
      expect(await searchIds(inboxId, query)).toEqual(of(...expected));
    });

    it('assignee=<agentId> and contactId', async () => {
      expect(await searchIds(inboxId, `assignee=${adminId}`)).toEqual(of('mine'));
      expect(await searchIds(inboxId, `assignee=${adminId.toUpperCase()}`)).toEqual(of('mine'));
      expect(await searchIds(inboxId, `contactId=${contactId}`)).toEqual(of('again', 'open'));
      expect(await searchIds(inboxId, `contactId=${contactId}&status=closed`)).toEqual([]);
    });

    it('keeps spam, filtered and trashed flags visible in the results', async () => {
      const res = await get(`/api/conversations?inboxId=${inboxId}&hideTrash=false&q=filter`);
      const byId = new Map((res.body.items as Array<{ id: string; spam: boolean; filtered: boolean; trashed: boolean }>).map((item) => [item.id, item]));
      expect(byId.get(ids.spam)).toMatchObject({ spam: true, filtered: false, trashed: false });
      expect(byId.get(ids.filtered)).toMatchObject({ filtered: true });
      expect(byId.get(ids.trashed)).toMatchObject({ trashed: true });
    });

    it('a restored conversation is found again; a reopened one follows status', async () => {
      expect((await post(`/api/conversations/${ids.closed}/reopen`)).status).toBe(200);
      expect(await searchIds(inboxId, 'status=closed')).toEqual([]);
      expect((await post(`/api/conversations/${ids.closed}/close`)).status).toBe(200);
      expect(await searchIds(inboxId, 'status=closed')).toEqual(of('closed'));
    });

    it('sorts newest and oldest first, and pages with a keyset cursor', async () => {
      const newest = of('again', 'spam', 'filtered', 'bot', 'mine', 'closed', 'open');
      expect(await allPages(`/api/conversations?inboxId=${inboxId}&limit=2`)).toEqual(newest);
      expect(await allPages(`/api/conversations?inboxId=${inboxId}&limit=3&sort=oldest`)).toEqual([...newest].reverse());
      expect(await allPages(`/api/conversations?inboxId=${inboxId}&limit=2&q=filter&sort=newest`)).toEqual(newest);
      const relevance = await allPages(`/api/conversations?inboxId=${inboxId}&limit=2&q=filter`);
      expect(new Set(relevance)).toEqual(new Set(newest));
      expect(relevance).toHaveLength(newest.length);
      const first = await get(`/api/conversations?inboxId=${inboxId}&limit=1`);
      expect(first.body.nextCursor).toMatch(/^[A-Za-z0-9_-]+$/);
    });
  });

  describe('bad requests and access', () => {
    it.each([
      ['status=opne', 'status'],
      ['channel=Tele%20gram', 'channel'],
      ['contactId=not-a-uuid', 'contactId'],
      ['assignee=me', 'assignee'],
      ['from=yesterday', 'from'],
      ['to=2026-02-30', 'to'],
      ['from=2026-03-02&to=2026-03-01', 'from'],
      ['hideTrash=maybe', 'hideTrash'],
      ['hideFiltered=yes', 'hideFiltered'],
      ['sort=relevance', 'sort'],
      ['sort=sideways', 'sort'],
      ['limit=0', 'limit'],
      ['limit=201', 'limit'],
      ['limit=ten', 'limit'],
      ['cursor=not%20a%20cursor', 'cursor'],
      ['cursor=WyJ4Il0', 'cursor'],
      ['inboxId=support', 'inboxId'],
      ['status=open&status=closed', 'status'],
      ['colour=red', 'colour'],
    ])('%s -> 400 naming %s', async (query, parameter) => {
      const res = await get(`/api/conversations?${query}`);
      expect(res.status).toBe(400);
      expect(JSON.stringify(res.body.message)).toContain(parameter);
    });

    it('names the value it got', async () => {
      const res = await get('/api/conversations?hideTrash=maybe&status=opne');
      expect(res.body.message).toEqual(['status: must be one of open, closed (got "opne")', 'hideTrash: must be true or false (got "maybe")']);
    });

    it('a cursor of another order is a 400', async () => {
      const inboxId = await newInbox();
      await ingest({ inboxId, subject: 'Cursor one' });
      await ingest({ inboxId, subject: 'Cursor two' });
      const page = await get(`/api/conversations?inboxId=${inboxId}&limit=1`);
      expect((await get(`/api/conversations?inboxId=${inboxId}&limit=1&q=cursor&cursor=${page.body.nextCursor}`)).status).toBe(400);
    });

    it('404 for an inbox without access as for an unknown inbox, 401 without a session', async () => {
      const inboxId = await newInbox();
      const nina = await newAgent('Nina');
      expect((await get(`/api/conversations?inboxId=${inboxId}`, nina.token)).status).toBe(404);
      expect((await get(`/api/conversations?inboxId=${inboxId}&q=x`, nina.token)).status).toBe(404);
      expect((await get('/api/conversations', nina.token)).status).toBe(200);
      expect((await get('/api/conversations?inboxId=00000000-0000-4000-8000-000000000000')).status).toBe(404);
      expect((await t.request('GET', '/api/conversations')).status).toBe(401);
    });
  });

  describe('custom views', () => {
    let inboxId: string;
    let owner: { id: string; token: string };
    let teammate: { id: string; token: string };
    let outsider: { id: string; token: string };

    const views = async (as = token) => {
      const res = await get(`/api/views?inboxId=${inboxId}`, as);
      expect(res.status).toBe(200);
      return res.body.views as Array<{ id: string; name: string; count: number; alwaysVisible: boolean; custom: boolean; filters?: Record<string, unknown> }>;
    };
    const customViews = async (as = token) => (await views(as)).filter((view) => view.custom);
    const viewItems = async (viewId: string, query = '', as = token) => {
      const res = await get(`/api/views/${viewId}/conversations?${query}`, as);
      expect(res.status).toBe(200);
      return (res.body.items as Array<{ id: string }>).map((item) => item.id);
    };

    beforeAll(async () => {
      inboxId = await newInbox();
      owner = await newAgent('Olga');
      teammate = await newAgent('Tom');
      outsider = await newAgent('Ursula');
      const members = await t.request('PUT', `/api/inboxes/${inboxId}/members`, { token, body: { agentIds: [owner.id, teammate.id] } });
      expect(members.status).toBe(200);
    });

    it('creates a view any member can see, listed after the built-in views with a live count', async () => {
      const refund = await ingest({ inboxId, subject: 'Refund request', receivedAt: '2026-04-01T10:00:00Z' });
      await ingest({ inboxId, subject: 'Unrelated', receivedAt: '2026-04-01T11:00:00Z' });
      const created = await post('/api/views', { inboxId, name: '  Open refunds ', filters: { q: 'refund', status: 'open' } }, owner.token);
      expect(created.status).toBe(201);
      expect(created.body).toEqual({
        id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        inboxId,
        name: 'Open refunds',
        count: 1,
        alwaysVisible: false,
        custom: true,
        filters: { q: 'refund', status: 'open' },
        createdBy: owner.id,
        createdAt: expect.any(String),
      });
      const listed = await views(teammate.token);
      expect(listed.slice(0, 14).every((view) => view.custom === false)).toBe(true);
      expect(listed.slice(14)).toEqual([
        expect.objectContaining({
          id: created.body.id,
          name: 'Open refunds',
          count: 1,
          alwaysVisible: false,
          custom: true,
          filters: { q: 'refund', status: 'open' },
        }),
      ]);
      expect(await viewItems(created.body.id, '', teammate.token)).toEqual([refund]);
    });

    it('counts follow the conversations', async () => {
      const [view] = await customViews();
      const second = await ingest({ inboxId, subject: 'Another refund', receivedAt: '2026-04-02T10:00:00Z' });
      expect((await customViews()).find((v) => v.id === view.id)?.count).toBe(2);
      expect((await post(`/api/conversations/${second}/close`)).status).toBe(200);
      expect((await customViews()).find((v) => v.id === view.id)?.count).toBe(1);
      expect((await post(`/api/conversations/${second}/reopen`)).status).toBe(200);
      expect((await post(`/api/conversations/${second}/trash`)).status).toBe(200);
      expect((await customViews()).find((v) => v.id === view.id)?.count).toBe(1);
      expect((await post(`/api/conversations/${second}/restore`)).status).toBe(200);
      expect((await customViews()).find((v) => v.id === view.id)?.count).toBe(2);
    });

    it('serves the view through the search path: sort and keyset pages', async () => {
      const [view] = await customViews();
      const newest = await viewItems(view.id);
      expect(newest).toEqual(await searchIds(inboxId, 'q=refund&status=open&sort=newest'));
      expect(await viewItems(view.id, 'sort=oldest')).toEqual([...newest].reverse());
      const page = await get(`/api/views/${view.id}/conversations?limit=1`);
      expect(page.body.items).toHaveLength(1);
      const rest = await get(`/api/views/${view.id}/conversations?limit=1&cursor=${page.body.nextCursor}`);
      expect(rest.body.items.map((item: { id: string }) => item.id)).toEqual(newest.slice(1, 2));
      expect((await get(`/api/views/${view.id}/conversations?inboxId=${inboxId}`)).status).toBe(200);
      expect((await get(`/api/views/${view.id}/conversations?inboxId=${await newInbox()}`)).status).toBe(404);
    });

    it('404 for an unknown view, 400 for a bad body naming the field', async () => {
      expect((await get('/api/views/00000000-0000-4000-8000-000000000000/conversations')).status).toBe(404);
      expect((await get('/api/views/not-a-view/conversations')).status).toBe(404);
      const badFilter = await post('/api/views', { inboxId, name: 'Bad', filters: { status: 'opne' } });
      expect(badFilter.status).toBe(400);
      expect(badFilter.body.message).toEqual(['filters.status: must be one of open, closed (got "opne")']);
      const unknownFilter = await post('/api/views', { inboxId, name: 'Bad', filters: { sort: 'newest' } });
      expect(JSON.stringify(unknownFilter.body.message)).toContain('filters.sort');
      const noName = await post('/api/views', { inboxId, name: '  ', filters: {} });
      expect(noName.status).toBe(400);
      expect(JSON.stringify(noName.body.message)).toContain('name');
      const longName = await post('/api/views', { inboxId, name: 'x'.repeat(101) });
      expect(longName.status).toBe(400);
      expect((await post('/api/views', { inboxId, filters: {} })).status).toBe(400);
      expect((await post('/api/views', { inboxId, name: 'X', filters: 'status=open' })).status).toBe(400);
      expect((await t.request('PATCH', '/api/views/not-a-uuid', { token, body: { name: 'x' } })).status).toBe(400);
      expect((await t.request('PATCH', '/api/views/00000000-0000-4000-8000-000000000000', { token, body: { name: 'x' } })).status).toBe(404);
    });

    it('only the creator or an admin may edit or delete; every member may read', async () => {
      const created = await post('/api/views', { inboxId, name: 'Bots', filters: { assignee: 'bot', hideTrash: false } }, owner.token);
      expect(created.status).toBe(201);
      const viewId = created.body.id as string;

      const byTeammate = await t.request('PATCH', `/api/views/${viewId}`, { token: teammate.token, body: { name: 'Mine now' } });
      expect(byTeammate.status).toBe(403);
      expect((await t.request('DELETE', `/api/views/${viewId}`, { token: teammate.token })).status).toBe(403);
      expect(await viewItems(viewId, '', teammate.token)).toEqual([]);

      const byOwner = await t.request('PATCH', `/api/views/${viewId}`, { token: owner.token, body: { name: 'Bot chats', filters: { assignee: 'bot' } } });
      expect(byOwner.status).toBe(200);
      expect(byOwner.body).toMatchObject({ id: viewId, name: 'Bot chats', filters: { assignee: 'bot' } });
      const bad = await t.request('PATCH', `/api/views/${viewId}`, { token: owner.token, body: { filters: { hideTrash: 'maybe' } } });
      expect(bad.status).toBe(400);
      expect(bad.body.message).toEqual(['filters.hideTrash: must be true or false (got "maybe")']);

      const byAdmin = await t.request('PATCH', `/api/views/${viewId}`, { token, body: { name: 'Bot conversations' } });
      expect(byAdmin.status).toBe(200);
      expect((await customViews(teammate.token)).map((view) => view.name)).toContain('Bot conversations');

      expect((await t.request('DELETE', `/api/views/${viewId}`, { token: owner.token })).body).toEqual({ id: viewId, deleted: true });
      expect((await customViews()).map((view) => view.id)).not.toContain(viewId);
      expect((await get(`/api/views/${viewId}/conversations`)).status).toBe(404);
      expect((await t.request('DELETE', `/api/views/${viewId}`, { token: owner.token })).status).toBe(404);
      expect((await t.request('PATCH', `/api/views/${viewId}`, { token: owner.token, body: { name: 'back' } })).status).toBe(404);
    });

    it('an agent without access to the inbox can neither create, see nor change its views (404, as for unknown ids)', async () => {
      const [view] = await customViews();
      expect((await post('/api/views', { inboxId, name: 'Sneaky', filters: {} }, outsider.token)).status).toBe(404);
      expect((await get(`/api/views?inboxId=${inboxId}`, outsider.token)).status).toBe(404);
      expect((await get(`/api/views/${view.id}/conversations`, outsider.token)).status).toBe(404);
      expect((await t.request('PATCH', `/api/views/${view.id}`, { token: outsider.token, body: { name: 'x' } })).status).toBe(404);
      expect((await t.request('DELETE', `/api/views/${view.id}`, { token: outsider.token })).status).toBe(404);
    });

    it('views are per inbox: another inbox does not list them', async () => {
      const other = await newInbox();
      const created = await post('/api/views', { inboxId: other, name: 'Elsewhere', filters: {} });
      expect(created.status).toBe(201);
      expect((await customViews()).map((view) => view.name)).not.toContain('Elsewhere');
      expect((await get(`/api/views?inboxId=${other}`)).body.views.filter((v: { custom: boolean }) => v.custom).map((v: { name: string }) => v.name)).toEqual([
        'Elsewhere',
      ]);
    });

    it('a view without inboxId belongs to the default inbox', async () => {
      const created = await post('/api/views', { name: 'Default inbox view', filters: { status: 'closed' } });
      expect(created.status).toBe(201);
      const listed = (await get('/api/views')).body;
      expect(created.body.inboxId).toBe(listed.inboxId);
      expect(listed.views.map((v: { id: string }) => v.id)).toContain(created.body.id);
    });
  });
});
