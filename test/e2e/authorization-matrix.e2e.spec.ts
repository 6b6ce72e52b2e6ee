import { compareRouteTable, MARKER, MatrixFixture, type Answer, type Caller, type Surface, type Targets } from './authorization-matrix/fixture';
import { ROUTE_TABLE, unknownTwin, type Probe, type Resource, type RouteEntry } from './authorization-matrix/route-table';

/**
 * The authorisation matrix, generated from the application's own route table (Fastify's onRoute
 * hook, so the channel plugins' routes are in it too): every route is called anonymously, as an
 * agent without access to the inbox its request names (the "outsider", who must get the same
 * answer as for an id that does not exist), as a non-admin on admin routes, and as the caller who
 * may (the non-admin member of the inbox, or the admin), which proves the fixture is right. A
 * route without an entry in ROUTE_TABLE, or an entry that is no route, fails.
 */
describe('authorisation matrix', () => {
  let fx: MatrixFixture;
  const startedAt = Date.now();
  const cases: Case[] = [];

  interface Case {
    key: string;
    method: string;
    entry: RouteEntry;
    probe: Probe;
    /** "/path [variant]" for failure lines (after the method sent). */
    label: string;
    targets: Targets;
    selfService?: boolean;
  }

  beforeAll(async () => {
    fx = await MatrixFixture.start();
    for (const [key, entry] of Object.entries(ROUTE_TABLE)) {
      const method = key.slice(0, key.indexOf(' '));
      const probes = entry.probes.map((probe) => ({ probe, selfService: false }));
      if (entry.access === 'admin' && entry.selfService) probes.push({ probe: entry.selfService.probe, selfService: true });
      for (const { probe, selfService } of probes) {
        const targets = await fx.targets({ spareAgent: probe.spareAgent, emailConversation: probe.emailConversation, ticket: probe.ticket });
        await probe.prepare?.(fx, targets);
        const label = `${key.slice(method.length + 1)}${probe.variant ? ` [${probe.variant}]` : ''}${selfService ? ' [self-service]' : ''}`;
        cases.push({ key, method, entry, probe, label, targets, selfService });
      }
    }
  }, 60_000);

  afterAll(async () => {
    if (fx) {
      const headMirrors = compareRouteTable(fx.collector.routes, Object.keys(ROUTE_TABLE)).headMirrors.length;
      const figures = {
        routes: Object.keys(ROUTE_TABLE).length,
        headRoutes: headMirrors,
        probes: cases.length,
        requests: fx.requests,
        seconds: Math.round((Date.now() - startedAt) / 100) / 10,
      };
      process.stdout.write(`authorization-matrix: ${JSON.stringify(figures)}\n`);
    }
    await fx?.close();
  });

  const send = (caller: Caller, c: Case, targets = c.targets, method = c.method) => fx.send(caller, c.entry.surface, method, c.probe.call(targets));
  /** The probe itself, and for a GET the HEAD that Fastify answers with the same handler. */
  const methodsOf = (c: Case) => (c.method === 'GET' ? ['GET', 'HEAD'] : [c.method]);
  const describeAnswer = (a: Answer) =>
    `${a.status}${a.headers.location ? ` -> ${String(a.headers.location)}` : ''} ${a.body.slice(0, 160).replace(/\s+/g, ' ')}`;

  /** The refusal of a caller without a session, by how the route is reached. */
  function anonymousProblem(surface: Surface, a: Answer): string | null {
    switch (surface) {
      case 'api':
        return a.status === 401 ? null : 'expected 401';
      case 'page':
      case 'form':
        return a.status === 303 && String(a.headers.location).startsWith('/login') ? null : 'expected 303 to /login';
      case 'htmx':
      case 'stream':
        return a.status === 401 && String(a.headers['hx-redirect']).startsWith('/login') ? null : 'expected 401 with HX-Redirect to /login';
    }
  }

  function leaks(a: Answer): boolean {
    return a.body.includes(MARKER) || JSON.stringify(a.headers).includes(MARKER);
  }

  it('every route has an entry and every entry is a route (plugin routes included)', () => {
    const { missing, stale } = compareRouteTable(fx.collector.routes, Object.keys(ROUTE_TABLE));
    expect({ missing, stale }).toEqual({ missing: [], stale: [] });
    expect(fx.collector.routes).toEqual(expect.arrayContaining(['POST /api/channels/api/messages', 'GET /api/channels/email/blobs/:id']));
  });

  it('anonymous or with a forged token: refused on every route that is not public (401, or the UI sends to /login); public routes answer as documented', async () => {
    const problems: string[] = [];
    for (const c of cases.filter((x) => !x.selfService)) {
      for (const method of methodsOf(c)) {
        if (c.entry.access === 'public') {
          const a = await send('anonymous', c, c.targets, method);
          const answered = a.status === c.probe.allowed && (!c.probe.location || c.probe.location.test(String(a.headers.location)));
          if (!answered)
            problems.push(`${method} ${c.label}: expected ${c.probe.allowed}${c.probe.location ? ` -> ${c.probe.location}` : ''}, got ${describeAnswer(a)}`);
          if (leaks(a)) problems.push(`${method} ${c.label}: the anonymous answer contains inbox B's data`);
          continue;
        }
        for (const caller of ['anonymous', 'forged'] as const) {
          const a = await send(caller, c, c.targets, method);
          const problem = anonymousProblem(c.entry.surface, a);
          if (problem)
            problems.push(`${method} ${c.label} (${caller === 'forged' ? 'a token Parley never issued' : 'no session'}): ${problem}, got ${describeAnswer(a)}`);
          if (leaks(a)) problems.push(`${method} ${c.label}: the ${caller} answer contains inbox B's data`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it("an agent without access to the inbox gets the same answer as for an id that does not exist (404), never the inbox's data", async () => {
    const problems: string[] = [];
    for (const c of cases.filter((x) => x.entry.access !== 'public' && !x.selfService)) {
      const { probe } = c;
      for (const method of methodsOf(c)) {
        const a = await send('outsider', c, c.targets, method);
        if (leaks(a)) problems.push(`${method} ${c.label}: the outsider's answer contains inbox B's data`);
        if (c.entry.access === 'admin') {
          const expected = probe.outsider?.status ?? 403;
          if (a.status !== expected) problems.push(`${method} ${c.label}: expected ${expected} for a non-admin outsider, got ${describeAnswer(a)}`);
          continue;
        }
        const scope = probe.scope!;
        if ('unscoped' in scope) {
          if (a.status !== probe.allowed)
            problems.push(`${method} ${c.label}: names no inbox (${scope.unscoped}), so expected ${probe.allowed}, got ${describeAnswer(a)}`);
          continue;
        }
        const expected = probe.outsider?.status ?? 404;
        const twin = unknownTwin(scope.resource, c.targets);
        const u = await send('outsider', c, twin, method);
        if (a.status !== expected)
          problems.push(`${method} ${c.label}: the ${scope.resource} of inbox B (${scope.via}): expected ${expected}, got ${describeAnswer(a)}`);
        if (u.status !== expected)
          problems.push(`${method} ${c.label}: an unknown ${scope.resource} (${scope.via}): expected ${expected}, got ${describeAnswer(u)}`);
        const ids = [idOf(scope.resource, c.targets), idOf(scope.resource, twin)];
        if (a.status === u.status && normalise(a.body, ids) !== normalise(u.body, ids)) {
          problems.push(
            `${method} ${c.label}: the answer differs from an unknown ${scope.resource}'s: ${normalise(a.body, ids).slice(0, 160)} | ${normalise(u.body, ids).slice(0, 160)}`,
          );
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it('a non-admin (even a member of the inbox) gets 403 on admin routes', async () => {
    const problems: string[] = [];
    for (const c of cases.filter((x) => x.entry.access === 'admin' && !x.selfService)) {
      for (const method of methodsOf(c)) {
        const a = await send('member', c, c.targets, method);
        if (a.status !== 403) problems.push(`${method} ${c.label}: expected 403, got ${describeAnswer(a)}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('positive controls: the non-admin member of the inbox (member routes) and the admin (admin routes) get the answer of a permitted request', async () => {
    const problems: string[] = [];
    for (const c of cases.filter((x) => x.entry.access !== 'public')) {
      const caller: Caller = c.entry.access === 'admin' && !c.selfService ? 'admin' : 'member';
      const a = await send(caller, c);
      const problem = a.status !== c.probe.allowed || (c.probe.location && !c.probe.location.test(String(a.headers.location)));
      if (problem)
        problems.push(
          `${c.method} ${c.label} as ${caller}: expected ${c.probe.allowed}${c.probe.location ? ` -> ${c.probe.location}` : ''}, got ${describeAnswer(a)}`,
        );
    }
    expect(problems).toEqual([]);
  });

  it('public on purpose, and bounded: logins are throttled (429 with Retry-After), setup is refused once an admin exists', async () => {
    const throttled = async (attempt: (n: number) => Promise<Answer>) => {
      for (let n = 1; n <= 40; n++) {
        const a = await attempt(n);
        if (a.status === 429) return a;
        if (a.status !== 401) return a;
      }
      return null;
    };
    const api = await throttled(() =>
      fx.send('anonymous', 'api', 'POST', { url: '/api/auth/login', json: { email: 'guess-api@parley.test', password: 'wrong-password' } }),
    );
    expect(api?.status).toBe(429);
    expect(Number(api?.headers['retry-after'])).toBeGreaterThan(0);
    const web = await throttled(() =>
      fx.send('anonymous', 'form', 'POST', { url: '/login', form: { email: 'guess-web@parley.test', password: 'wrong-password' } }),
    );
    expect(web?.status).toBe(429);
    expect(Number(web?.headers['retry-after'])).toBeGreaterThan(0);

    const setup = await fx.send('anonymous', 'api', 'POST', {
      url: '/api/setup',
      json: { name: 'Late', email: 'late@example.org', password: 'late-password-1' },
    });
    expect(setup.status).toBe(409);
    // Neither this nor the setup probes of the table (API and web) created anyone.
    const agents = await fx.send('admin', 'api', 'GET', { url: '/api/agents' });
    const emails: string[] = JSON.parse(agents.body).agents.map((a: { email: string }) => a.email);
    expect(emails.filter((email) => email === 'late@example.org' || email.startsWith('intruder'))).toEqual([]);
    expect(emails).toContain('member@parley.test');
  });
});

describe('authorisation matrix: the expectation table', () => {
  it('the table comparison catches a new route without an entry and an entry without a route', () => {
    const table = ['GET /api/things', 'POST /api/things'];
    expect(compareRouteTable(['GET /api/things', 'HEAD /api/things', 'POST /api/things', 'DELETE /api/things/:id'], table)).toEqual({
      missing: ['DELETE /api/things/:id'],
      stale: [],
      headMirrors: ['HEAD /api/things'],
    });
    expect(compareRouteTable(['GET /api/things', 'HEAD /api/things', 'HEAD /api/other'], table)).toEqual({
      missing: ['HEAD /api/other'],
      stale: ['POST /api/things'],
      headMirrors: ['HEAD /api/things'],
    });
  });

  it('every entry says why: public routes carry a reason, member routes name the inbox they act on or why they name none', () => {
    const problems: string[] = [];
    for (const [key, entry] of Object.entries(ROUTE_TABLE)) {
      if (entry.access === 'public' && entry.why.trim().length < 10) problems.push(`${key}: a public route needs a reason`);
      if (entry.access === 'member')
        for (const probe of entry.probes) if (!probe.scope) problems.push(`${key}: say which id names the inbox, or why none does`);
      if (entry.probes.length === 0) problems.push(`${key}: no probe`);
    }
    expect(problems).toEqual([]);
  });
});

function idOf(resource: Resource, t: Targets): string {
  return { conversation: t.conversationId, inbox: t.inboxId, view: t.viewId, blob: t.blobId, contact: t.contactId, ticket: t.ticketId }[resource];
}

/** An answer with the ids it was asked about blanked, to compare "your resource" with "no such resource". */
function normalise(body: string, ids: string[]): string {
  let text = body;
  for (const id of ids) text = text.split(id).join('<id>').split(encodeURIComponent(id)).join('<id>');
  return text;
}
