import { ChannelActivity } from '../../src/application/live/channel-activity';
import { ManualClock, startTestApp, type TestApp } from '../support/app-harness';

/**
 * An inbox's auto-assignment settings and business hours over the API (issue 14): admins read and
 * replace them whole, they are kept (also across a restart), and a wrong value is a 400 naming the
 * field and the value, in the reader's language.
 */
describe('inbox routing settings and business hours (e2e)', () => {
  let t: TestApp;
  let admin: string;
  let agent: string;
  let agentId: string;
  let inboxId: string;

  beforeAll(async () => {
    t = await startTestApp();
    admin = await t.login();
    const created = await t.request('POST', '/api/agents', {
      token: admin,
      body: { name: 'Mia Member', email: 'mia@example.com', password: 'password-123', role: 'agent' },
    });
    expect(created.status).toBe(201);
    agentId = created.body.id;
    agent = await t.login('mia@example.com', 'password-123');
    const inbox = await t.request('POST', '/api/inboxes', { token: admin, body: { name: 'Sales', agentIds: [agentId] } });
    expect(inbox.status).toBe(201);
    inboxId = inbox.body.id;
  });
  afterAll(() => t?.close());

  const api = (method: string, url: string, token: string, body?: unknown, language = 'en') =>
    t.request(method, url, { token, body, headers: { 'accept-language': language } });

  it('answers the defaults before anything is set: auto-assignment off, business hours off (always open)', async () => {
    expect((await api('GET', `/api/inboxes/${inboxId}/routing`, admin)).body).toEqual({ mode: 'off', channels: [], defaultCapacity: 5, capacities: {} });
    const hours = await api('GET', `/api/inboxes/${inboxId}/business-hours`, admin);
    expect(hours.status).toBe(200);
    expect(hours.body).toMatchObject({ enabled: false, timeZone: 'UTC', week: { mon: [], sun: [] } });
  });

  it('replaces the auto-assignment settings whole and answers them as stored', async () => {
    const put = await api('PUT', `/api/inboxes/${inboxId}/routing`, admin, {
      mode: 'balanced',
      channels: ['email', 'chat', 'chat'],
      defaultCapacity: 3,
      capacities: { [agentId]: 8 },
    });
    expect(put.status).toBe(200);
    const expected = { mode: 'balanced', channels: ['chat', 'email'], defaultCapacity: 3, capacities: { [agentId]: 8 } };
    expect(put.body).toEqual(expected);
    expect((await api('GET', `/api/inboxes/${inboxId}/routing`, admin)).body).toEqual(expected);
    const listed = await api('GET', '/api/inboxes', admin);
    expect(listed.body.inboxes.find((i: { id: string }) => i.id === inboxId).routing).toEqual(expected);
  });

  it('replaces the business hours whole, intervals sorted', async () => {
    const week = {
      mon: [
        { from: '13:00', to: '17:30' },
        { from: '09:00', to: '12:00' },
      ],
      fri: [{ from: '09:00', to: '24:00' }],
    };
    const put = await api('PUT', `/api/inboxes/${inboxId}/business-hours`, admin, { enabled: true, timeZone: 'Europe/Amsterdam', week });
    expect(put.status).toBe(200);
    const expected = {
      enabled: true,
      timeZone: 'Europe/Amsterdam',
      week: {
        mon: [
          { from: '09:00', to: '12:00' },
          { from: '13:00', to: '17:30' },
        ],
        tue: [],
        wed: [],
        thu: [],
        fri: [{ from: '09:00', to: '24:00' }],
        sat: [],
        sun: [],
      },
    };
    expect(put.body).toEqual(expected);
    expect((await api('GET', `/api/inboxes/${inboxId}/business-hours`, admin)).body).toEqual(expected);
  });

  it.each([
    ['routing', { mode: 'fastest', channels: [], defaultCapacity: 5, capacities: {} }, /mode.*fastest/],
    ['routing', { mode: 'off', channels: ['fax'], defaultCapacity: 5, capacities: {} }, /channels: fax is not a channel of this Parley; use one of .*chat/],
    ['routing', { mode: 'off', channels: [], defaultCapacity: -1, capacities: {} }, /defaultCapacity.*-1/],
    ['routing', { mode: 'off', channels: [], defaultCapacity: 5, capacities: { 'agent-nobody': 2 } }, /capacities: unknown agent id\(s\) agent-nobody/],
    [
      'routing',
      { mode: 'off', channels: [], defaultCapacity: 5, capacities: { MIA: 2.5 } },
      /capacities\.[-0-9a-f]{36} must be a whole number from 0 to 1000, got 2\.5/,
    ],
    ['business-hours', { enabled: true, timeZone: 'Mars/Olympus', week: {} }, /timeZone must be an IANA time zone .* got "Mars\/Olympus"/],
    ['business-hours', { enabled: true, timeZone: 'UTC', week: { tue: [{ from: '17:00', to: '09:00' }] } }, /week\.tue has \{"from":"17:00","to":"09:00"\}/],
    ['business-hours', { enabled: true, timeZone: 'UTC', week: { wed: [{ from: '9', to: '17:00' }] } }, /week\.wed has \{"from":"9","to":"17:00"\}/],
    [
      'business-hours',
      {
        enabled: true,
        timeZone: 'UTC',
        week: {
          thu: [
            { from: '09:00', to: '13:00' },
            { from: '12:00', to: '17:00' },
          ],
        },
      },
      /week\.thu has overlapping opening hours \(09:00-13:00 and 12:00-17:00\)/,
    ],
    ['business-hours', { enabled: true, timeZone: 'UTC', week: { someday: [] } }, /week must be one of mon, tue, wed, thu, fri, sat, sun, got "someday"/],
    ['business-hours', { enabled: 'yes', timeZone: 'UTC', week: {} }, /enabled/],
  ])('PUT %s refuses %j with a 400 naming the field and value', async (what, body, message) => {
    const before = (await api('GET', `/api/inboxes/${inboxId}/${what}`, admin)).body;
    // MIA stands for the member's id, known only once the app runs.
    const res = await api('PUT', `/api/inboxes/${inboxId}/${what}`, admin, JSON.parse(JSON.stringify(body).replace('"MIA"', JSON.stringify(agentId))));
    expect(res.status).toBe(400);
    expect([res.body.message].flat().join(' | ')).toMatch(message);
    expect((await api('GET', `/api/inboxes/${inboxId}/${what}`, admin)).body).toEqual(before);
  });

  it('words the refusals in Dutch for a Dutch reader', async () => {
    const zone = await api('PUT', `/api/inboxes/${inboxId}/business-hours`, admin, { enabled: true, timeZone: 'Mars/Olympus', week: {} }, 'nl');
    expect(zone.status).toBe(400);
    expect(zone.body).toMatchObject({ code: 'time-zone-unknown' });
    expect(zone.body.message).toContain('timeZone moet een IANA-tijdzone zijn');
    const channel = await api('PUT', `/api/inboxes/${inboxId}/routing`, admin, { mode: 'off', channels: ['fax'], defaultCapacity: 5, capacities: {} }, 'nl');
    expect(channel.body).toMatchObject({ code: 'routing-channel-unknown' });
    expect(channel.body.message).toContain('channels: fax is geen kanaal van deze Parley');
  });

  it('is for admins only: a member of the inbox gets 403, an unknown inbox 404', async () => {
    for (const what of ['routing', 'business-hours']) {
      expect((await api('GET', `/api/inboxes/${inboxId}/${what}`, agent)).status).toBe(403);
      expect((await api('PUT', `/api/inboxes/${inboxId}/${what}`, agent, {})).status).toBe(400); // the shape is checked before anything else
      expect((await api('GET', `/api/inboxes/7d0f4a52-52a2-4b0e-9d36-1f4c3f7c7a11/${what}`, admin)).status).toBe(404);
    }
    const valid = { mode: 'round-robin', channels: [], defaultCapacity: 1, capacities: {} };
    expect((await api('PUT', `/api/inboxes/${inboxId}/routing`, agent, valid)).status).toBe(403);
    expect((await api('PUT', '/api/inboxes/7d0f4a52-52a2-4b0e-9d36-1f4c3f7c7a11/routing', admin, valid)).status).toBe(404);
    expect((await api('GET', `/api/inboxes/${inboxId}/routing`, admin)).body.mode).toBe('balanced');
  });

  it('keeps both across a restart (the read model is rebuilt from the log)', async () => {
    const dataDir = t.dataDir;
    await t.app.close();
    t = await startTestApp({ dataDir });
    admin = await t.login();
    expect((await api('GET', `/api/inboxes/${inboxId}/routing`, admin)).body).toMatchObject({ mode: 'balanced', defaultCapacity: 3 });
    expect((await api('GET', `/api/inboxes/${inboxId}/business-hours`, admin)).body).toMatchObject({ enabled: true, timeZone: 'Europe/Amsterdam' });
  });
});

describe('the team status a live channel reads follows the business hours (e2e)', () => {
  // Friday 4 December 2026, 18:30 in Amsterdam (CET, UTC+1).
  const clock = new ManualClock(new Date('2026-12-04T17:30:00.000Z'));
  let t: TestApp;
  let admin: string;
  let inboxId: string;

  beforeAll(async () => {
    t = await startTestApp({ clock });
    admin = await t.login();
    inboxId = (await t.request('GET', '/api/inboxes', { token: admin })).body.inboxes[0].id;
  });
  afterAll(() => t?.close());

  it('is open while the inbox keeps no hours, closed after hours with the next opening, open again once it comes', async () => {
    const activity = t.app.get(ChannelActivity);
    expect(await activity.teamStatus(inboxId)).toMatchObject({ open: true, nextOpenAt: null, timeZone: 'UTC' });

    const weekday = [{ from: '09:00', to: '17:00' }];
    const week = { mon: weekday, tue: weekday, wed: weekday, thu: weekday, fri: weekday };
    const set = await t.request('PUT', `/api/inboxes/${inboxId}/business-hours`, { token: admin, body: { enabled: true, timeZone: 'Europe/Amsterdam', week } });
    expect(set.status).toBe(200);
    expect(await activity.teamStatus(inboxId)).toMatchObject({ open: false, nextOpenAt: '2026-12-07T08:00:00.000Z', timeZone: 'Europe/Amsterdam' });

    clock.advance(Date.parse('2026-12-07T08:00:00.000Z') - clock.now().getTime()); // Monday 09:00 in Amsterdam
    expect(await activity.teamStatus(inboxId)).toMatchObject({ open: true, nextOpenAt: null, timeZone: 'Europe/Amsterdam' });
  });
});
