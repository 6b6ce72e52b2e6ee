import { inbound, ManualClock, startTestApp, type TestApp } from '../support/app-harness';

/**
 * `GET /api/reports/agents` over HTTP with a clock moved by hand, so every duration is known:
 * exact nearest-rank p50/p90 per agent and per inbox, the period, the refusals, and who sees what.
 */
describe('reports over HTTP', () => {
  let t: TestApp;
  let admin: string;
  const clock = new ManualClock(new Date('2026-11-02T08:00:00.000Z'));
  const start = clock.now().toISOString();
  const password = 'password-123';
  let support: string;
  let billing: string;
  const ann = { id: '', token: '' };
  const bob = { id: '', token: '' };
  const cleo = { id: '', token: '' };

  const minutes = (n: number) => clock.advance(n * 60_000);
  const call = async (method: string, url: string, token: string, body?: unknown) => {
    const res = await t.request(method, url, { token, ...(body === undefined ? {} : { body }) });
    expect({ method, url, status: res.status < 300 ? 'ok' : res.status, body: res.status < 300 ? 'ok' : res.body }).toEqual({
      method,
      url,
      status: 'ok',
      body: 'ok',
    });
    return res.body;
  };
  const agent = async (into: { id: string; token: string }, name: string) => {
    const email = `${name.toLowerCase()}-${Math.random().toString(36).slice(2)}@example.com`;
    into.id = (await call('POST', '/api/agents', admin, { name, email, password, role: 'agent' })).id;
    into.token = await t.login(email, password);
  };
  /**
   * A conversation in `inboxId`: the contact writes, `assignee` gets it after `assignAfter`
   * minutes, `replier` answers `firstResponse` minutes after the contact wrote, and `closer`
   * closes it `resolution` minutes after the start. The clock ends at the close.
   */
  const handled = async (o: { inboxId: string; assignee: string; replier: string; firstResponse: number; resolution: number; closer?: string }) => {
    const id = (await call('POST', '/api/channels/api/messages', admin, inbound({ inboxId: o.inboxId }))).conversationId as string;
    minutes(1);
    await call('POST', `/api/conversations/${id}/assign`, admin, { assignee: o.assignee === ann.token ? ann.id : o.assignee === bob.token ? bob.id : cleo.id });
    minutes(o.firstResponse - 1);
    await call('POST', `/api/conversations/${id}/replies`, o.replier, { text: 'On it.' });
    minutes(o.resolution - o.firstResponse);
    await call('POST', `/api/conversations/${id}/close`, o.closer ?? o.replier, {});
    minutes(60);
    return id;
  };

  beforeAll(async () => {
    t = await startTestApp({ clock });
    admin = await t.login();
    await agent(ann, 'Ann');
    await agent(bob, 'Bob');
    await agent(cleo, 'Cleo');
    support = (await call('POST', '/api/inboxes', admin, { name: 'Helpdesk', agentIds: [ann.id, bob.id] })).id;
    billing = (await call('POST', '/api/inboxes', admin, { name: 'Billing', agentIds: [cleo.id, ann.id] })).id;

    // Ann in Helpdesk: first responses 1, 2 and 5 minutes; resolutions 10, 20 and 60 minutes.
    await handled({ inboxId: support, assignee: ann.token, replier: ann.token, firstResponse: 1, resolution: 10 });
    await handled({ inboxId: support, assignee: ann.token, replier: ann.token, firstResponse: 5, resolution: 60 });
    await handled({ inboxId: support, assignee: ann.token, replier: ann.token, firstResponse: 2, resolution: 20 });
    // Bob in Helpdesk: answered in 3 minutes, closed after 30 by Ann (credited to Bob, its assignee).
    await handled({ inboxId: support, assignee: bob.token, replier: bob.token, firstResponse: 3, resolution: 30, closer: ann.token });
    // Cleo in Billing: 4 minutes, 40 minutes; Ann in Billing: 7 minutes, 70 minutes.
    await handled({ inboxId: billing, assignee: cleo.token, replier: cleo.token, firstResponse: 4, resolution: 40 });
    await handled({ inboxId: billing, assignee: ann.token, replier: ann.token, firstResponse: 7, resolution: 70 });
  });
  afterAll(() => t.close());

  const period = () => `from=${start}&to=${clock.now().toISOString()}`;
  const stats = (p50: number | null, p90: number | null, count: number) => ({ p50, p90, count });

  it('gives per agent the conversations assigned and exact nearest-rank p50/p90 of first response and resolution, in seconds', async () => {
    const report = await call('GET', `/api/reports/agents?${period()}&inboxId=${support}`, admin);
    expect(report).toEqual({
      from: start,
      to: clock.now().toISOString(),
      inboxId: support,
      percentileMethod: 'nearest-rank',
      unit: 'seconds',
      agents: [
        { agentId: ann.id, agentName: 'Ann', conversationsAssigned: 3, firstResponse: stats(120, 300, 3), resolution: stats(1200, 3600, 3) },
        { agentId: bob.id, agentName: 'Bob', conversationsAssigned: 1, firstResponse: stats(180, 180, 1), resolution: stats(1800, 1800, 1) },
      ],
    });
  });

  it('without an inbox: per agent over every inbox, and per agent and inbox', async () => {
    const report = await call('GET', `/api/reports/agents?${period()}`, admin);
    expect(report.inboxId).toBeNull();
    // Every agent of the inboxes shows, those without facts (here in the default inbox) with zeros.
    expect(report.agents).toEqual([
      expect.objectContaining({ agentName: 'Admin', conversationsAssigned: 0, firstResponse: stats(null, null, 0), resolution: stats(null, null, 0) }),
      expect.objectContaining({ agentName: 'Ann', conversationsAssigned: 4, firstResponse: stats(120, 420, 4), resolution: stats(1200, 4200, 4) }),
      expect.objectContaining({ agentName: 'Bob', conversationsAssigned: 1 }),
      expect.objectContaining({ agentName: 'Cleo', conversationsAssigned: 1, firstResponse: stats(240, 240, 1), resolution: stats(2400, 2400, 1) }),
    ]);
    const mine = report.byInbox.filter((r: { inboxId: string }) => r.inboxId === support || r.inboxId === billing);
    expect(
      mine.map((r: { inboxName: string; agentName: string; conversationsAssigned: number }) => [r.inboxName, r.agentName, r.conversationsAssigned]),
    ).toEqual([
      ['Billing', 'Ann', 1],
      ['Billing', 'Cleo', 1],
      ['Helpdesk', 'Ann', 3],
      ['Helpdesk', 'Bob', 1],
    ]);
  });

  it('counts only what happened in the period, [from, to)', async () => {
    // The first conversation ran from start to start + 10 min: its assignment at +1 and answer at +1 fall in [start, start + 2 min).
    const to = new Date(Date.parse(start) + 2 * 60_000).toISOString();
    const report = await call('GET', `/api/reports/agents?from=${start}&to=${to}&inboxId=${support}`, admin);
    expect(report.agents).toEqual([
      expect.objectContaining({ agentName: 'Ann', conversationsAssigned: 1, firstResponse: stats(60, 60, 1), resolution: stats(null, null, 0) }),
      expect.objectContaining({ agentName: 'Bob', conversationsAssigned: 0, firstResponse: stats(null, null, 0) }),
    ]);
  });

  it('an agent sees their own inboxes only: another inbox answers as unknown, and the overall report leaves it out', async () => {
    const hidden = await t.request('GET', `/api/reports/agents?${period()}&inboxId=${support}`, { token: cleo.token });
    expect(hidden.status).toBe(404);
    expect(hidden.body.message).toBe(`inbox ${support} not found`);
    const own = await call('GET', `/api/reports/agents?${period()}`, cleo.token);
    expect(own.byInbox.filter((r: { inboxId: string }) => r.inboxId === support)).toEqual([]);
    expect(
      own.byInbox.filter((r: { inboxId: string }) => r.inboxId === billing).map((r: { inboxName: string; agentName: string }) => [r.inboxName, r.agentName]),
    ).toEqual([
      ['Billing', 'Ann'],
      ['Billing', 'Cleo'],
    ]);
    expect(own.agents.find((r: { agentName: string }) => r.agentName === 'Ann')).toMatchObject({ conversationsAssigned: 1, firstResponse: stats(420, 420, 1) });
    const member = await call('GET', `/api/reports/agents?${period()}&inboxId=${support}`, bob.token);
    expect(member.agents).toHaveLength(2);
    expect((await t.request('GET', `/api/reports/agents?${period()}`)).status).toBe(401);
  });

  it('refuses a bad period or inbox with a 400 naming the field and the value', async () => {
    const refusal = async (query: string) => {
      const res = await t.request('GET', `/api/reports/agents?${query}`, { token: admin });
      return { status: res.status, code: res.body.code, message: res.body.message };
    };
    expect(await refusal('from=2026-11-10T00:00:00Z&to=2026-11-01T00:00:00Z')).toEqual({
      status: 400,
      code: 'report-period-reversed',
      message: 'from must not be after to (from 2026-11-10T00:00:00.000Z, to 2026-11-01T00:00:00.000Z)',
    });
    expect(await refusal('from=2025-01-01&to=2026-11-01')).toEqual({
      status: 400,
      code: 'report-period-too-long',
      message: 'to: the period may span at most 366 days (from 2025-01-01T00:00:00.000Z to 2026-11-01T00:00:00.000Z spans 669)',
    });
    expect(await refusal('from=yesterday')).toEqual({
      status: 400,
      code: 'param-not-instant',
      message: 'from: must be an ISO 8601 date-time with a time zone, e.g. 2026-11-24T10:00:00Z, or a date, e.g. 2026-11-24 (got "yesterday")',
    });
    expect(await refusal('to=2026-02-30')).toMatchObject({ status: 400, code: 'param-not-instant' });
    expect(await refusal('inboxId=support')).toEqual({ status: 400, code: 'param-not-uuid', message: 'inboxId: must be a UUID (got "support")' });
    // Exactly 366 days is allowed.
    expect((await t.request('GET', '/api/reports/agents?from=2025-11-01&to=2026-11-02', { token: admin })).status).toBe(200);
  });

  it('answers a refusal in Dutch for a Dutch reader', async () => {
    const res = await t.request('GET', '/api/reports/agents?from=2026-11-10&to=2026-11-01', { token: admin, headers: { 'accept-language': 'nl' } });
    expect(res.status).toBe(400);
    expect(res.body.message).toBe('from mag niet na to liggen (from 2026-11-10T00:00:00.000Z, to 2026-11-01T00:00:00.000Z)');
  });

  it('without from and to: the 30 days up to now', async () => {
    const report = await call('GET', `/api/reports/agents?inboxId=${support}`, admin);
    expect(report.to).toBe(clock.now().toISOString());
    expect(Date.parse(report.to) - Date.parse(report.from)).toBe(30 * 24 * 60 * 60_000);
    expect(report.agents[0]).toMatchObject({ agentName: 'Ann', conversationsAssigned: 3 });
  });
});
