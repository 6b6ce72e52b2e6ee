import { EVENT_STORE, type EventStore } from '../../src/application/ports/event-store.port';
import { JOB_QUEUE, type JobQueue } from '../../src/application/ports/job-queue.port';
import { NotifyAgents } from '../../src/application/notifications/notify-agents.saga';
import { systemContext } from '../../src/application/command-handling/command-context';
import { CommandExecutor } from '../../src/application/command-handling/command-executor';
import { streams } from '../../src/application/streams';
import { agentDecider } from '../../src/domain/agent/agent.decider';
import { SmtpSink, type SunkMail } from '../plugins/email/support/smtp-sink';
import { inbound, startTestApp, type TestApp } from '../support/app-harness';

const PASSWORD = 'password-123';
const PUBLIC_URL = 'https://parley.example.test';

/**
 * Notifications that arrive (issue 14): an @mention, an assignment by someone else, a new message
 * in a conversation you own reach the agent in the notification centre (GET /api/me/notifications,
 * read as that agent) and by email (at a local SMTP relay), each as the agent's switches say; a
 * switch turned off tells nothing; a mention of a teammate without access to the inbox is refused
 * and stores nothing; taking a conversation yourself tells you nothing.
 *
 * "Nothing" is shown without waiting for time to pass: the process manager handles events in log
 * order, so once a later notification of the same agent has arrived, an earlier event that was to
 * tell them nothing has been handled too.
 */
describe('notifications (e2e)', () => {
  const relay = new SmtpSink();
  let t: TestApp;
  let admin: string;
  const agents: Record<string, { id: string; email: string; token: string }> = {};

  beforeAll(async () => {
    await relay.start();
    t = await startTestApp({ env: { SMTP_RELAY_URL: relay.url, PARLEY_INBOX_EMAIL: 'support@parley.test', PARLEY_PUBLIC_URL: PUBLIC_URL } });
    admin = await t.login();
    for (const name of ['Bea Baker', 'Carl Cole', 'Nina Noord', 'Olaf Outside']) {
      const email = `${name.split(' ')[0].toLowerCase()}.${Date.now()}@team.test`;
      const created = await t.request('POST', '/api/agents', { token: admin, body: { name, email, password: PASSWORD, role: 'agent' } });
      expect(created.status).toBe(201);
      agents[name.split(' ')[0].toLowerCase()] = { id: created.body.id, email, token: await t.login(email, PASSWORD) };
    }
    // Olaf works elsewhere: he is no member of the inbox the conversations arrive in.
    const inboxes = (await t.request('GET', '/api/inboxes', { token: admin })).body.inboxes as { id: string; isDefault: boolean }[];
    const inbox = inboxes.find((i) => i.isDefault)!;
    const members = await t.request('PUT', `/api/inboxes/${inbox.id}/members`, {
      token: admin,
      body: { agentIds: [agents.bea.id, agents.carl.id, agents.nina.id] },
    });
    expect(members.status).toBe(200);
  });
  afterAll(async () => {
    await t?.close();
    await relay.stop();
  });

  const as = (token: string) => ({
    get: (url: string) => t.request('GET', url, { token }),
    post: (url: string, body: unknown = {}) => t.request('POST', url, { token, body }),
    patch: (url: string, body: unknown) => t.request('PATCH', url, { token, body }),
    put: (url: string, body: unknown) => t.request('PUT', url, { token, body }),
  });

  async function until<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 15_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await probe();
      if (value) return value;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  type Item = { id: string; type: string; conversationId: string; read: boolean; createdAt: string; text: string };
  const notificationsOf = async (token: string) => (await as(token).get('/api/me/notifications')).body as { items: Item[]; unread: number };
  const notificationFor = (token: string, conversationId: string, type: string) =>
    until(`a ${type} notification about ${conversationId}`, async () =>
      (await notificationsOf(token)).items.find((item) => item.conversationId === conversationId && item.type === type),
    );
  const mailTo = (address: string, conversationId: string) =>
    until(`an email to ${address}`, async () =>
      relay.received.find((m) => m.envelope.to.includes(address) && m.parsed.headers.get('x-parley-conversation-id') === conversationId),
    );
  const ingest = async (overrides: Record<string, unknown> = {}) => {
    const res = await as(admin).post('/api/channels/api/messages', inbound(overrides));
    expect(res.status).toBe(201);
    return res.body.conversationId as string;
  };

  it('a mention reaches the mentioned agent: in their notification centre and by email with a link to the conversation', async () => {
    const bea = agents.bea;
    const conversationId = await ingest({ subject: 'Refund for order 1234' });
    const comment = await as(admin).post(`/api/conversations/${conversationId}/comments`, { text: 'Can you take this, @bea?' });
    expect(comment.status).toBe(201);
    expect(comment.body).toMatchObject({ mentions: [bea.id], notified: 1 });

    const item = await notificationFor(bea.token, conversationId, 'mention');
    expect(item).toMatchObject({ read: false, text: expect.stringMatching(/mentioned you in “Refund for order 1234”/) });
    expect((await notificationsOf(bea.token)).unread).toBeGreaterThanOrEqual(1);
    // Only ever one's own: the admin who wrote the comment has no notification of it.
    expect((await notificationsOf(admin)).items.some((i) => i.id === item.id)).toBe(false);

    const mail: SunkMail = await mailTo(bea.email, conversationId);
    expect(mail.parsed.subject).toMatch(/^\[Parley\] .*mentioned you in “Refund for order 1234”/);
    expect(mail.parsed.text).toContain(`${PUBLIC_URL}/inbox?inbox=`);
    expect(mail.parsed.text).toContain(`conversation=${conversationId}`);
    expect(mail.parsed.headers.get('auto-submitted')).toBe('auto-generated');
    expect(mail.parsed.headers.get('in-reply-to')).toBeUndefined();

    const read = await as(bea.token).post('/api/me/notifications/read', { ids: [item.id] });
    expect(read.status).toBe(200);
    expect((await notificationsOf(bea.token)).items.find((i) => i.id === item.id)?.read).toBe(true);
    // Someone else's id is unknown to you.
    expect((await as(admin).post('/api/me/notifications/read', { ids: [item.id] })).status).toBe(404);
    expect((await as(bea.token).post('/api/me/notifications/read', {})).status).toBe(400);
  });

  it('handling the same event again (process managers run at least once) tells nobody twice', async () => {
    const bea = agents.bea;
    const conversationId = await ingest({ subject: 'Twice told' });
    await as(admin).post(`/api/conversations/${conversationId}/comments`, { text: '@bea once' });
    await notificationFor(bea.token, conversationId, 'mention');
    await mailTo(bea.email, conversationId);
    const events = await t.app.get<EventStore>(EVENT_STORE).readStream(`conversation-${conversationId}`);
    const comment = events.find((event) => event.type === 'CommentAdded')!;
    await t.app.get(NotifyAgents).handle(comment);
    await t.app.get(NotifyAgents).handle(comment);
    // Whatever the repeats enqueued has run once nothing waits or runs.
    const queue = t.app.get<JobQueue>(JOB_QUEUE);
    await until('an idle queue', async () => {
      const counts = await queue.counts();
      return counts.waiting === 0 && counts.active === 0;
    });
    expect((await notificationsOf(bea.token)).items.filter((i) => i.conversationId === conversationId)).toHaveLength(1);
    expect(relay.received.filter((m) => m.envelope.to.includes(bea.email) && m.parsed.headers.get('x-parley-conversation-id') === conversationId)).toHaveLength(
      1,
    );
  });

  it("writes the notification and its email in the agent's language", async () => {
    const nina = agents.nina;
    expect((await as(nina.token).put('/api/me/preferences', { language: 'nl' })).status).toBe(200);
    const conversationId = await ingest({ subject: 'Levering' });
    await as(admin).post(`/api/conversations/${conversationId}/comments`, { text: '@nina kijk even?' });
    const item = await notificationFor(nina.token, conversationId, 'mention');
    expect(item.text).toMatch(/noemde je in “Levering”/);
    const mail = await mailTo(nina.email, conversationId);
    expect(mail.parsed.subject).toMatch(/noemde je in “Levering”/);
    expect(mail.parsed.text).toContain('Open het gesprek');
  });

  it('switches turned off tell nothing, and the comment box does not say anyone was notified', async () => {
    const carl = agents.carl;
    const off = await as(carl.token).patch('/api/me/notification-settings', { mention: { inApp: false, email: false } });
    expect(off.status).toBe(200);
    expect(off.body).toMatchObject({ mention: { inApp: false, email: false }, assigned: { inApp: true, email: true } });
    expect((await as(carl.token).get('/api/me/notification-settings')).body.mention).toEqual({ inApp: false, email: false });
    // Only what is given changes.
    const one = await as(carl.token).patch('/api/me/notification-settings', { 'new-message': { email: true } });
    expect(one.body).toMatchObject({ mention: { inApp: false, email: false }, 'new-message': { inApp: true, email: true } });
    expect((await as(carl.token).patch('/api/me/notification-settings', { mention: { sms: true } })).status).toBe(400);
    expect((await as(carl.token).patch('/api/me/notification-settings', { gossip: { inApp: true } })).status).toBe(400);

    const conversationId = await ingest();
    const quiet = await as(admin).post(`/api/conversations/${conversationId}/comments`, { text: '@carl FYI' });
    expect(quiet.body).toMatchObject({ mentions: [carl.id], notified: 0 });
    // A later event that does tell Carl something (an assignment: still on) has been handled after the mention.
    expect((await as(admin).post(`/api/conversations/${conversationId}/assign`, { assignee: carl.id })).status).toBe(200);
    await notificationFor(carl.token, conversationId, 'assigned');
    await mailTo(carl.email, conversationId);
    expect((await notificationsOf(carl.token)).items.filter((i) => i.conversationId === conversationId).map((i) => i.type)).toEqual(['assigned']);
    const mails = relay.received.filter((m) => m.envelope.to.includes(carl.email) && m.parsed.headers.get('x-parley-conversation-id') === conversationId);
    expect(mails.map((m) => m.parsed.subject)).toEqual([expect.stringMatching(/assigned/)]);
  });

  it('refuses a mention of a teammate without access to the inbox, naming them, and stores nothing', async () => {
    const conversationId = await ingest();
    const refused = await as(admin).post(`/api/conversations/${conversationId}/comments`, { text: 'Ask @olaf about it' });
    expect(refused.status).toBe(400);
    expect(refused.body.code).toBe('mention-without-access');
    expect(refused.body.message).toMatch(/@olaf \(Olaf Outside\) cannot be mentioned here: no access to this inbox/);
    const dutch = await t.request('POST', `/api/conversations/${conversationId}/comments`, {
      token: admin,
      body: { text: 'Ask @olaf about it' },
      headers: { 'accept-language': 'nl' },
    });
    expect(dutch.body.message).toMatch(/geen toegang tot deze inbox/);
    expect((await as(admin).get(`/api/conversations/${conversationId}`)).body.comments).toEqual([]);
  });

  it('an assignment by someone else tells the assignee; taking a conversation yourself does not', async () => {
    const bea = agents.bea;
    const assigned = await ingest({ subject: 'Broken hinge' });
    expect((await as(admin).post(`/api/conversations/${assigned}/assign`, { assignee: bea.id })).status).toBe(200);
    const item = await notificationFor(bea.token, assigned, 'assigned');
    expect(item.text).toMatch(/assigned “Broken hinge” to you/);

    const first = inbound();
    const taken = await ingest(first);
    expect((await as(bea.token).post(`/api/conversations/${taken}/assign`, { assignee: bea.id })).status).toBe(200);
    // Handled after the self-assignment: a contact's new message in the conversation Bea now owns.
    expect(await ingest({ externalThreadId: first.externalThreadId, from: first.from, subject: first.subject })).toBe(taken);
    const types = async () => (await notificationsOf(bea.token)).items.filter((i) => i.conversationId === taken).map((i) => i.type);
    await until('the new-message notification', async () => (await types()).includes('new-message'));
    expect(await types()).toEqual(['new-message']);
  });

  it('a bot handing a conversation over tells the agent who gets it, as a handoff', async () => {
    const bea = agents.bea;
    const inboxId = ((await as(admin).get('/api/inboxes')).body.inboxes as { id: string; isDefault: boolean }[]).find((i) => i.isDefault)!.id;
    // A webhook bot that takes the API channel's new conversations, and hands one over through the bot API.
    const bot = await as(admin).post(`/api/inboxes/${inboxId}/bots`, {
      name: 'Triage bot',
      kind: 'webhook',
      channels: ['api'],
      webhookUrl: 'https://bot.example.test/parley',
    });
    expect(bot.status).toBe(201);
    expect((await as(admin).post(`/api/bots/${bot.body.id}/activate`)).status).toBe(200);
    const botToken = (await as(admin).post(`/api/bots/${bot.body.id}/token`)).body.token as string;
    try {
      const conversationId = await ingest({ subject: 'Where is my parcel?' });
      expect((await as(admin).get(`/api/conversations/${conversationId}`)).body.assignee).toMatchObject({ type: 'bot' });
      expect((await t.request('POST', `/api/bot/conversations/${conversationId}/handoff`, { token: botToken, body: {} })).status).toBe(200);
      expect((await as(admin).post(`/api/conversations/${conversationId}/assign`, { assignee: bea.id })).status).toBe(200);
      const item = await notificationFor(bea.token, conversationId, 'handoff');
      expect(item.text).toBe('The bot handed “Where is my parcel?” over to you');
      expect((await notificationsOf(bea.token)).items.filter((i) => i.conversationId === conversationId).map((i) => i.type)).toEqual(['handoff']);
    } finally {
      expect((await as(admin).post(`/api/bots/${bot.body.id}/deactivate`)).status).toBe(200);
    }
  });

  it('an agent taken out of the inbox is told nothing more about it, and does not see what they were told while out', async () => {
    const nina = agents.nina;
    const first = inbound({ subject: 'Lost parcel' });
    const conversationId = await ingest(first);
    expect((await as(admin).post(`/api/conversations/${conversationId}/assign`, { assignee: nina.id })).status).toBe(200);
    await notificationFor(nina.token, conversationId, 'assigned');
    const inboxId = ((await as(admin).get('/api/inboxes')).body.inboxes as { id: string; isDefault: boolean }[]).find((i) => i.isDefault)!.id;
    const members = (agentIds: string[]) => as(admin).put(`/api/inboxes/${inboxId}/members`, { agentIds });
    expect((await members([agents.bea.id, agents.carl.id])).status).toBe(200);
    try {
      // Out of the inbox: what she was told about it is not shown (nor counted).
      expect((await notificationsOf(nina.token)).items.filter((i) => i.conversationId === conversationId)).toEqual([]);
      // The contact writes again in the conversation she still owns; then Bea is mentioned elsewhere.
      expect(await ingest({ externalThreadId: first.externalThreadId, from: first.from, subject: first.subject })).toBe(conversationId);
      const later = await ingest();
      await as(admin).post(`/api/conversations/${later}/comments`, { text: '@bea please' });
      // Handled in log order: once Bea has heard of the mention, the message before it has been handled too.
      await notificationFor(agents.bea.token, later, 'mention');
    } finally {
      expect((await members([agents.bea.id, agents.carl.id, nina.id])).status).toBe(200);
    }
    // Back in the inbox: the assignment shows again, and the message that came while she was out told her nothing.
    expect((await notificationsOf(nina.token)).items.filter((i) => i.conversationId === conversationId).map((i) => i.type)).toEqual(['assigned']);
  });

  it('auto-assignment handing a conversation to an agent tells them, as assigned automatically', async () => {
    const bea = agents.bea;
    const inboxId = ((await as(admin).get('/api/inboxes')).body.inboxes as { id: string; isDefault: boolean }[]).find((i) => i.isDefault)!.id;
    const executor = t.app.get(CommandExecutor);
    const presence = (online: boolean) =>
      executor.execute(streams.agent(bea.id), agentDecider, { type: 'SetPresence', data: { online, now: new Date().toISOString() } }, systemContext());
    // Bea is the one agent online: round robin hands the API channel's new conversations to her.
    await presence(true);
    const routing = (mode: 'off' | 'round-robin') =>
      as(admin).put(`/api/inboxes/${inboxId}/routing`, { mode, channels: ['api'], defaultCapacity: 50, capacities: {} });
    expect((await routing('round-robin')).status).toBe(200);
    try {
      const conversationId = await ingest({ subject: 'Routed to you' });
      const item = await notificationFor(bea.token, conversationId, 'assigned');
      expect(item.text).toBe('“Routed to you” was assigned to you automatically');
    } finally {
      expect((await routing('off')).status).toBe(200);
      await presence(false);
    }
  });

  it('marks all read at once', async () => {
    const bea = agents.bea;
    expect((await notificationsOf(bea.token)).unread).toBeGreaterThan(0);
    const all = await as(bea.token).post('/api/me/notifications/read', { all: true });
    expect(all.body).toEqual({ unread: 0 });
    expect((await notificationsOf(bea.token)).items.every((i) => i.read)).toBe(true);
  });
});
