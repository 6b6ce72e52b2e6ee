import Fastify from 'fastify';
import { installRequestGuards } from '../../src/infrastructure/web/web-security';
import { mountPluginRoutes } from '../../src/plugins/registry/mount-plugin-routes';
import { createLogger } from '../../src/infrastructure/logging/logger';
import { inbound, startTestApp, type TestApp } from '../support/app-harness';

/**
 * The HTTP pipeline's own defences, for every route (Nest controllers, the web UI, channel plugin
 * routes): cross-origin requests riding on the session cookie, bodies of the wrong type or absurd
 * depth, existence leaks through 403, and caching of answers that carry data.
 */
describe('HTTP pipeline security', () => {
  let t: TestApp;
  let token: string;
  const HOST = '127.0.0.1:4000';
  const SAME_ORIGIN = `http://${HOST}`;
  const OTHER_PORT = 'http://127.0.0.1:4001';

  beforeAll(async () => {
    t = await startTestApp();
    token = await t.login();
  });
  afterAll(() => t.close());

  const cookie = (session = token) => `parley_session=${encodeURIComponent(session)}`;
  const send = (method: string, url: string, headers: Record<string, string> = {}, payload?: string) =>
    t.app.inject({ method: method as 'POST', url, headers: { host: HOST, ...headers }, payload });
  const ingest = async (overrides: Record<string, unknown> = {}) => {
    const res = await t.request('POST', '/api/channels/api/messages', { token, body: inbound(overrides) });
    expect(res.status).toBe(201);
    return res.body.conversationId as string;
  };
  const conversation = async (id: string) => (await t.request('GET', `/api/conversations/${id}`, { token })).body;

  describe('cross-origin requests with the session cookie (CSRF)', () => {
    it('refuses a body-less POST carrying only the cookie, from another port or with no Origin, and changes nothing', async () => {
      const id = await ingest();
      for (const origin of [OTHER_PORT, 'null', undefined]) {
        const res = await send('POST', `/api/conversations/${id}/trash`, { cookie: cookie(), ...(origin ? { origin } : {}) });
        expect({ origin, status: res.statusCode }).toEqual({ origin, status: 403 });
        expect(res.json().message).toMatch(/Origin/);
        expect(res.json().message).toMatch(/Authorization: Bearer/);
      }
      expect((await conversation(id)).trashed).toBe(false);
    });

    it('refuses text/plain and form posts that ride on the cookie (no state change)', async () => {
      const id = await ingest();
      const spam = await send('POST', `/api/conversations/${id}/spam`, { cookie: cookie(), origin: OTHER_PORT, 'content-type': 'text/plain' }, '{}');
      expect(spam.statusCode).toBe(403);
      const form = await send(
        'POST',
        `/api/conversations/${id}/close`,
        { cookie: cookie(), origin: OTHER_PORT, 'content-type': 'application/x-www-form-urlencoded' },
        'a=1',
      );
      expect(form.statusCode).toBe(403);
      const detail = await conversation(id);
      expect(detail.spam ?? false).toBe(false);
      expect(detail.status).toBe('open');
    });

    it('refuses PUT, PATCH and DELETE with the cookie from elsewhere too', async () => {
      const id = await ingest();
      expect(
        (await send('PUT', '/api/me/availability', { cookie: cookie(), origin: OTHER_PORT, 'content-type': 'application/json' }, '{"status":"away"}'))
          .statusCode,
      ).toBe(403);
      expect((await send('DELETE', `/api/conversations/${id}`, { cookie: cookie(), origin: OTHER_PORT })).statusCode).toBe(403);
      expect((await t.request('GET', '/api/me', { token })).body.availability).toBe('available');
    });

    it("guards channel plugins' authenticated routes the same way (no conversation is created)", async () => {
      const message = inbound({ subject: 'forged from another port' });
      const res = await send(
        'POST',
        '/api/channels/api/messages',
        { cookie: cookie(), origin: OTHER_PORT, 'content-type': 'application/json' },
        JSON.stringify(message),
      );
      expect(res.statusCode).toBe(403);
      const list = (await t.request('GET', '/api/conversations?q=forged', { token })).body.items as { subject: string }[];
      expect(list.map((c) => c.subject)).not.toContain('forged from another port');
    });

    it('accepts the same requests from our own pages (same Origin, or htmx without Origin), and bearer clients without Origin', async () => {
      const id = await ingest();
      const ours = await send('POST', `/api/conversations/${id}/close`, { cookie: cookie(), origin: SAME_ORIGIN });
      expect(ours.statusCode).toBe(200);
      const htmx = await send('POST', `/api/conversations/${id}/reopen`, { cookie: cookie(), 'hx-request': 'true' });
      expect(htmx.statusCode).toBe(200);
      // A script with a bearer token (and perhaps a cookie jar) is no browser page: no Origin needed.
      const bearer = await send('POST', `/api/conversations/${id}/trash`, { authorization: `Bearer ${token}`, cookie: cookie() });
      expect(bearer.statusCode).toBe(200);
      expect((await conversation(id)).trashed).toBe(true);
      // Reading needs no proof: GET changes nothing.
      expect((await send('GET', `/api/conversations/${id}`, { cookie: cookie(), origin: OTHER_PORT })).statusCode).toBe(200);
    });

    it('keeps public routes working for real clients: login without Origin, a webhook without cookie', async () => {
      const login = await send(
        'POST',
        '/api/auth/login',
        { 'content-type': 'application/json' },
        JSON.stringify({ email: 'admin@example.com', password: 'admin-password-1' }),
      );
      expect(login.statusCode).toBe(200);
      // A form of the UI itself, from our page.
      const uiLogin = await send(
        'POST',
        '/login',
        { 'content-type': 'application/x-www-form-urlencoded', origin: SAME_ORIGIN },
        'email=admin%40example.com&password=admin-password-1',
      );
      expect(uiLogin.statusCode).toBe(303);
    });
  });

  describe('body types', () => {
    it('answers 415 naming application/json for text/plain and unknown types on JSON routes, even with a bearer token', async () => {
      for (const type of ['text/plain', 'application/xml', 'multipart/form-data; boundary=x', 'application/x-www-form-urlencoded']) {
        const res = await send('POST', '/api/inboxes', { authorization: `Bearer ${token}`, 'content-type': type }, 'name=x');
        expect({ type, status: res.statusCode }).toEqual({ type, status: 415 });
        expect(res.json()).toMatchObject({ statusCode: 415, error: 'Unsupported Media Type' });
        expect(res.json().message).toContain('application/json');
        expect(res.json().message).toContain(type.split(';')[0]);
      }
    });

    it('still takes body-less commands and JSON with a charset', async () => {
      const id = await ingest();
      expect((await send('POST', `/api/conversations/${id}/close`, { authorization: `Bearer ${token}` })).statusCode).toBe(200);
      const reopen = await send(
        'POST',
        `/api/conversations/${id}/reopen`,
        { authorization: `Bearer ${token}`, 'content-type': 'application/json; charset=utf-8' },
        '{}',
      );
      expect(reopen.statusCode).toBe(200);
    });

    it('refuses JSON nested deeper than the limit with a 400 naming it, on every route, without a stack trace', async () => {
      const deepArray = '['.repeat(10_000) + ']'.repeat(10_000);
      const deepObject = '{"a":'.repeat(10_000) + '1' + '}'.repeat(10_000);
      for (const [url, payload] of [
        ['/api/auth/login', deepArray],
        ['/api/auth/login', deepObject],
        ['/api/inboxes', deepObject],
        ['/api/conversations/bulk', deepArray],
        ['/api/channels/api/messages', deepObject],
      ]) {
        const res = await send('POST', url, { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, payload);
        expect({ url, status: res.statusCode }).toEqual({ url, status: 400 });
        expect(res.json().message).toMatch(/nested deeper than 64 levels/);
        expect(res.body).not.toMatch(/\bat .*\(|\.ts:\d+|node_modules/);
      }
      // Brackets inside strings are text, not nesting.
      const inString = await send(
        'POST',
        '/api/auth/login',
        { 'content-type': 'application/json' },
        JSON.stringify({ email: 'admin@example.com', password: '['.repeat(200) }),
      );
      expect(inString.statusCode).toBe(401);
    });
  });

  describe('conversations and inboxes an agent cannot access answer 404, as unknown ids do', () => {
    const UNKNOWN = '00000000-0000-4000-8000-000000000000';
    let outsider: { id: string; token: string };
    let secretInbox: string;
    let secret: string;

    beforeAll(async () => {
      const email = `outsider${Date.now()}@example.com`;
      const created = await t.request('POST', '/api/agents', { token, body: { name: 'Outsider', email, password: 'password-123', role: 'agent' } });
      outsider = { id: created.body.id, token: await t.login(email, 'password-123') };
      secretInbox = (await t.request('POST', '/api/inboxes', { token, body: { name: 'Board room' } })).body.id;
      secret = await ingest({ inboxId: secretInbox });
    });

    const as = (method: string, url: string, body?: unknown, headers: Record<string, string> = {}) =>
      t.request(method, url, { token: outsider.token, body, headers });
    /** The answer for the hidden id and for an unknown id, with each id blanked out: they must be the same. */
    const both = async (method: string, url: (id: string) => string, body?: unknown, headers?: Record<string, string>) => {
      const hidden = await as(method, url(secret), body, headers);
      const unknown = await as(method, url(UNKNOWN), body, headers);
      const blank = (res: { status: number; body: unknown }, id: string) => ({
        status: res.status,
        body: JSON.parse(JSON.stringify(res.body).split(id).join('<id>')),
      });
      return { hidden: blank(hidden, secret), unknown: blank(unknown, UNKNOWN) };
    };
    const bothInbox = async (url: (inboxId: string) => string) => {
      const hidden = await as('GET', url(secretInbox));
      const unknown = await as('GET', url(UNKNOWN));
      const blank = (res: { status: number; body: unknown }, id: string) => ({
        status: res.status,
        body: JSON.parse(JSON.stringify(res.body).split(id).join('<id>')),
      });
      return { hidden: blank(hidden, secretInbox), unknown: blank(unknown, UNKNOWN) };
    };

    it.each([
      ['GET /api/conversations/:id', 'GET', (id: string) => `/api/conversations/${id}`],
      ['GET /api/conversations/:id?at=', 'GET', (id: string) => `/api/conversations/${id}?at=2099-01-01`],
      ['GET /api/conversations/:id/history', 'GET', (id: string) => `/api/conversations/${id}/history`],
      ['GET /api/audit/verify', 'GET', (id: string) => `/api/audit/verify?conversationId=${id}`],
    ])('%s', async (_name, method, url) => {
      const { hidden, unknown } = await both(method, url);
      expect(hidden.status).toBe(404);
      expect(hidden).toEqual(unknown);
    });

    it.each([
      ['close', {}],
      ['trash', undefined],
      ['comments', { text: 'hello' }],
      ['assign', { assignee: null }],
      ['forward', { to: 'x@example.com' }],
    ])('POST /api/conversations/:id/%s, with and without a stale If-Match', async (action, body) => {
      for (const headers of [{}, { 'if-match': '"0"' }] as Record<string, string>[]) {
        const { hidden, unknown } = await both('POST', (id) => `/api/conversations/${id}/${action}`, body, headers);
        expect(hidden.status).toBe(404);
        expect(hidden).toEqual(unknown);
      }
    });

    it('a stale If-Match reveals neither the revision nor existence', async () => {
      const { hidden, unknown } = await both('POST', (id) => `/api/conversations/${id}/close`, {}, { 'if-match': '"0"' });
      expect(hidden.status).toBe(404);
      expect(hidden).toEqual(unknown);
      expect(JSON.stringify(hidden)).not.toMatch(/revision/);
    });

    it('a conversation deleted forever answers as one that never existed, If-Match or not', async () => {
      const gone = await ingest();
      expect((await t.request('POST', `/api/conversations/${gone}/trash`, { token })).status).toBe(200);
      expect((await t.request('DELETE', `/api/conversations/${gone}`, { token })).status).toBe(200);
      for (const headers of [{}, { 'if-match': '"1"' }] as Record<string, string>[]) {
        const deleted = await as('POST', `/api/conversations/${gone}/close`, {}, headers);
        const unknown = await as('POST', `/api/conversations/${UNKNOWN}/close`, {}, headers);
        expect({ status: deleted.status, body: deleted.body }).toEqual({ status: 404, body: unknown.body });
      }
    });

    it('bulk actions report a hidden conversation exactly as an unknown one', async () => {
      const res = await as('POST', '/api/conversations/bulk', { ids: [secret, UNKNOWN], action: 'close' });
      expect(res.status).toBe(200);
      const [hidden, unknown] = res.body.results as { id: string }[];
      expect({ ...hidden, id: '<id>' }).toEqual({ ...unknown, id: '<id>' });
    });

    it.each([
      ['GET /api/conversations?inboxId=', (id: string) => `/api/conversations?inboxId=${id}`],
      ['GET /api/conversations?inboxId=&q=', (id: string) => `/api/conversations?inboxId=${id}&q=x`],
      ['GET /api/views?inboxId=', (id: string) => `/api/views?inboxId=${id}`],
      ['GET /api/senders/blocked?inboxId=', (id: string) => `/api/senders/blocked?inboxId=${id}`],
    ])('inbox: %s', async (_name, url) => {
      const { hidden, unknown } = await bothInbox(url);
      expect(hidden.status).toBe(404);
      expect(hidden).toEqual(unknown);
      expect(JSON.stringify(hidden)).not.toContain('Board room');
    });

    it('a custom view of a hidden inbox answers as an unknown view', async () => {
      const view = await t.request('POST', '/api/views', { token, body: { inboxId: secretInbox, name: 'Secret view', filters: {} } });
      expect(view.status).toBe(201);
      for (const [method, url, body] of [
        ['GET', (id: string) => `/api/views/${id}/conversations`, undefined],
        ['PATCH', (id: string) => `/api/views/${id}`, { name: 'x' }],
        ['DELETE', (id: string) => `/api/views/${id}`, undefined],
      ] as const) {
        const hidden = await as(method, url(view.body.id), body);
        const unknown = await as(method, url(UNKNOWN), body);
        expect({ method, status: hidden.status, body: JSON.stringify(hidden.body).split(view.body.id).join('<id>') }).toEqual({
          method,
          status: 404,
          body: JSON.stringify(unknown.body).split(UNKNOWN).join('<id>'),
        });
      }
      const create = await as('POST', '/api/views', { inboxId: secretInbox, name: 'Sneaky', filters: {} });
      const createUnknown = await as('POST', '/api/views', { inboxId: UNKNOWN, name: 'Sneaky', filters: {} });
      expect(create.status).toBe(404);
      expect(JSON.stringify(create.body).split(secretInbox).join('<id>')).toEqual(JSON.stringify(createUnknown.body).split(UNKNOWN).join('<id>'));
    });

    it('admin-only routes stay 403 for an agent (no existence is revealed there)', async () => {
      const res = await as('POST', '/api/agents', { name: 'X', email: 'x@example.com', password: 'password-123', role: 'agent' });
      expect(res.status).toBe(403);
    });

    it('membership opens the conversation again', async () => {
      await t.request('PUT', `/api/inboxes/${secretInbox}/members`, { token, body: { agentIds: [outsider.id] } });
      expect((await as('GET', `/api/conversations/${secret}`)).status).toBe(200);
      await t.request('PUT', `/api/inboxes/${secretInbox}/members`, { token, body: { agentIds: [] } });
    });
  });

  describe('caching', () => {
    it('marks every API answer no-store, errors included, and leaves static assets their own caching', async () => {
      const id = await ingest();
      for (const [method, url] of [
        ['GET', '/api/me'],
        ['GET', `/api/conversations/${id}`],
        ['GET', '/api/conversations/00000000-0000-4000-8000-000000000000'],
        ['POST', `/api/conversations/${id}/close`],
        ['GET', '/api/channels/email/blobs/nothing-here'],
      ]) {
        const res = await send(method, url, { authorization: `Bearer ${token}` });
        expect({ url, cacheControl: res.headers['cache-control'] }).toEqual({ url, cacheControl: 'no-store' });
      }
      const unauthenticated = await send('GET', '/api/me');
      expect(unauthenticated.headers['cache-control']).toBe('no-store');
      const fragment = await send('GET', `/ui/conversations/${id}`, { cookie: cookie(), 'hx-request': 'true' });
      expect(fragment.headers['cache-control']).toBe('no-store');
      const page = await send('GET', '/inbox', { cookie: cookie() });
      const asset = /\/assets\/app\.css\?v(?:=|&#x3D;)[0-9a-f]+/.exec(page.body)?.[0]?.replace('&#x3D;', '=');
      expect(asset).toBeDefined();
      const css = await send('GET', asset!);
      expect(css.headers['cache-control']).toMatch(/max-age=\d+, immutable/);
    });
  });
});

describe('request guards on plugin routes outside Nest', () => {
  const app = Fastify();
  beforeAll(async () => {
    installRequestGuards(app);
    mountPluginRoutes(
      app,
      'hooks',
      [
        { method: 'POST', path: 'signed', public: true, rawBody: true, handler: (request) => ({ status: 200, body: { raw: request.rawBody?.toString() } }) },
        {
          method: 'POST',
          path: 'signed-then-read',
          public: true,
          rawBody: true,
          // Like Meta's webhooks: the signature over the bytes first, the JSON only then.
          handler: (request) =>
            request.headers['x-signature'] === 'good'
              ? { status: 200, body: { parsed: request.body as unknown } }
              : { status: 401, body: { raw: request.rawBody?.length } },
        },
        {
          method: 'POST',
          path: 'private',
          public: false,
          rawBody: false,
          handler: (request) => ({ status: 200, body: { agent: request.agent?.id, body: request.body } }),
        },
      ],
      { authenticate: async () => ({ id: 'a-1', name: 'Ada', email: 'ada@example.com', role: 'agent' }), logger: createLogger({ level: 'silent' }) },
    );
    await app.ready();
  });
  afterAll(() => app.close());

  it('leaves a public raw-body webhook alone (any content type, a stray cookie too)', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/channels/hooks/signed',
      headers: { host: 'h:1', 'content-type': 'text/plain', cookie: 'parley_session=x' },
      payload: 'hello',
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ raw: 'hello' });
  });

  it("parses a raw-body route's JSON only when its handler reads it: a bad body is a 400 then, and never before the handler's own check", async () => {
    const post = (payload: string, signature: string) =>
      app.inject({
        method: 'POST',
        url: '/channels/hooks/signed-then-read',
        headers: { host: 'h:1', 'content-type': 'application/json', 'x-signature': signature },
        payload,
      });
    const unsigned = await post('{"not json', 'bad');
    expect([unsigned.statusCode, unsigned.json()]).toEqual([401, { raw: 10 }]);
    const tooDeep = await post('['.repeat(500) + ']'.repeat(500), 'bad');
    expect(tooDeep.statusCode).toBe(401);
    const good = await post('{"a":[1,2]}', 'good');
    expect([good.statusCode, good.json()]).toEqual([200, { parsed: { a: [1, 2] } }]);
    const broken = await post('{"not json', 'good');
    expect(broken.statusCode).toBe(400);
    const poisoned = await post('{"__proto__":{"admin":true}}', 'good');
    expect(poisoned.statusCode).toBe(400);
  });

  it('refuses a cookie-authenticated call to a private plugin route from another origin', async () => {
    const foreign = await app.inject({
      method: 'POST',
      url: '/api/channels/hooks/private',
      headers: { host: 'h:1', origin: 'http://h:2', cookie: 'parley_session=x', 'content-type': 'application/json' },
      payload: '{}',
    });
    expect(foreign.statusCode).toBe(403);
    const same = await app.inject({
      method: 'POST',
      url: '/api/channels/hooks/private',
      headers: { host: 'h:1', origin: 'http://h:1', cookie: 'parley_session=x', 'content-type': 'application/json' },
      payload: '{"x":1}',
    });
    expect(same.json()).toEqual({ agent: 'a-1', body: { x: 1 } });
    expect(same.headers['cache-control']).toBe('no-store');
  });

  it('answers a body the route does not parse with a 415 naming the types to send and the one it got', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/api/channels/hooks/private',
      headers: { host: 'h:1', authorization: 'Bearer t', 'content-type': 'text/plain' },
      payload: 'x',
    });
    expect(res.statusCode).toBe(415);
    expect(res.json().message).toBe('send the body as application/json or application/x-www-form-urlencoded (got text/plain)');
  });
});
