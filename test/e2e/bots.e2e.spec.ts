import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { READ_STORE, type ReadStore } from '../../src/application/ports/read-store.port';
import { ChannelActivity } from '../../src/application/live/channel-activity';
import { inbound, startTestApp, type TestApp } from '../support/app-harness';
import { eventually } from '../contracts/job-queue.contract';

/**
 * Bots as records (issue 14 §3) over HTTP: admins create flow and webhook bots, change, activate
 * (one per inbox), deactivate and remove them and issue a bot's API token; secrets are answered
 * once and never stored in plain text; new conversations of an inbox with an active bot start
 * assigned to it (the Bots view), only on the bot's channels.
 */
function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

describe('bots (e2e)', () => {
  let t: TestApp;
  let admin: string;
  let agent: string;
  let inboxId: string;

  const api = (method: string, url: string, token: string | undefined, body?: unknown) => t.request(method, url, { token, body });

  beforeAll(async () => {
    t = await startTestApp();
    admin = await t.login();
    const member = await api('POST', '/api/agents', admin, { name: 'Mia Member', email: 'mia@example.com', password: 'password-123', role: 'agent' });
    expect(member.status).toBe(201);
    const inbox = await api('POST', '/api/inboxes', admin, { name: 'Bots inbox' });
    expect(inbox.status).toBe(201);
    inboxId = inbox.body.id;
    expect((await api('PUT', `/api/inboxes/${inboxId}/members`, admin, { agentIds: [member.body.id] })).status).toBe(200);
    agent = await t.login('mia@example.com', 'password-123');
  });
  afterAll(() => t.close());

  const createBot = async (body: Record<string, unknown>) => {
    const res = await api('POST', `/api/inboxes/${inboxId}/bots`, admin, body);
    expect(res.status).toBe(201);
    return res.body;
  };
  const ingest = async (overrides: Record<string, unknown> = {}) => {
    const res = await api('POST', '/api/channels/api/messages', admin, inbound({ inboxId, ...overrides }));
    expect(res.status).toBe(201);
    return res.body.conversationId as string;
  };

  it('creates a flow bot with the default flow (greeting with "Talk to a person" -> handoff), inactive, and lists it', async () => {
    const bot = await createBot({ name: 'Helper', kind: 'flow' });
    expect(bot).toMatchObject({
      inboxId,
      name: 'Helper',
      kind: 'flow',
      channels: [],
      active: false,
      hasToken: false,
      webhookUrl: null,
      hasWebhookSecret: false,
    });
    const greeting = bot.flow.steps.find((step: { id: string }) => step.id === bot.flow.startStepId);
    const person = greeting.choices.find((choice: { label: string }) => choice.label === 'Talk to a person');
    expect(bot.flow.steps.find((step: { id: string }) => step.id === person.next).type).toBe('handoff');
    expect(bot).not.toHaveProperty('tokenHash');
    expect(bot).not.toHaveProperty('webhookSecret');

    const list = await api('GET', `/api/inboxes/${inboxId}/bots`, admin);
    expect(list.status).toBe(200);
    expect(list.body.bots.map((b: { id: string }) => b.id)).toContain(bot.id);
    expect((await api('GET', `/api/bots/${bot.id}`, admin)).body).toEqual(bot);
    expect((await api('DELETE', `/api/bots/${bot.id}`, admin)).status).toBe(204);
  });

  it('answers a generated webhook secret once, keeps it encrypted, and takes an admin-chosen one without answering it', async () => {
    const generated = await createBot({ name: 'Hook', kind: 'webhook', webhookUrl: 'https://bot.example.com/parley' });
    expect(generated.webhookSecret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(generated.hasWebhookSecret).toBe(true);
    const again = await api('GET', `/api/bots/${generated.id}`, admin);
    expect(again.body).not.toHaveProperty('webhookSecret');
    expect(JSON.stringify(again.body)).not.toContain(generated.webhookSecret);

    const chosen = await createBot({ name: 'Hook 2', kind: 'webhook', webhookUrl: 'https://bot.example.com/two', webhookSecret: 'admin-chosen-secret-5f1e' });
    expect(chosen).not.toHaveProperty('webhookSecret');
    expect(chosen.hasWebhookSecret).toBe(true);

    const rotated = await api('PATCH', `/api/bots/${chosen.id}`, admin, { newWebhookSecret: true });
    expect(rotated.status).toBe(200);
    expect(rotated.body.webhookSecret).toMatch(/^[A-Za-z0-9_-]{43}$/);

    // Nothing of the three secrets is stored in plain text (event log, read models).
    const stored = filesUnder(t.dataDir).map((file) => readFileSync(file).toString('latin1'));
    for (const secret of [generated.webhookSecret, 'admin-chosen-secret-5f1e', rotated.body.webhookSecret]) {
      expect(stored.some((content) => content.includes(secret))).toBe(false);
    }
    // The stored ciphertext decrypts for the delivery (bound to the bot's id).
    const record = await t.app.get<ReadStore>(READ_STORE).getBot(chosen.id);
    expect(record?.webhookSecret).toMatch(/^v1:/);
    for (const id of [generated.id, chosen.id]) expect((await api('DELETE', `/api/bots/${id}`, admin)).status).toBe(204);
  });

  it('refuses bad bots naming the field and value', async () => {
    const badUrl = await api('POST', `/api/inboxes/${inboxId}/bots`, admin, { name: 'Hook', kind: 'webhook', webhookUrl: 'ftp://x' });
    expect(badUrl.status).toBe(400);
    expect(badUrl.body).toMatchObject({ code: 'bot-webhook-url-invalid' });
    expect(badUrl.body.message).toContain('"ftp://x"');
    const badKind = await api('POST', `/api/inboxes/${inboxId}/bots`, admin, { name: 'X', kind: 'robot' });
    expect(badKind.status).toBe(400);
    expect(JSON.stringify(badKind.body.message)).toContain('kind');
    const badFlow = await api('POST', `/api/inboxes/${inboxId}/bots`, admin, {
      name: 'Loop',
      kind: 'flow',
      flow: { startStepId: 'a', steps: [{ id: 'a', type: 'message', text: 'Hi', next: 'nowhere' }] },
    });
    expect(badFlow.status).toBe(400);
    expect(badFlow.body).toMatchObject({ code: 'bot-step-next-unknown' });
    expect(badFlow.body.message).toContain('steps[0].next');
    const flowOnWebhook = await createBot({ name: 'Hook 3', kind: 'webhook', webhookUrl: 'https://bot.example.com/3' });
    const refused = await api('PATCH', `/api/bots/${flowOnWebhook.id}`, admin, { flow: { startStepId: 'a', steps: [{ id: 'a', type: 'handoff' }] } });
    expect(refused.status).toBe(400);
    expect(refused.body.code).toBe('bot-flow-not-flow-bot');
    expect((await api('GET', `/api/bots/00000000-0000-4000-8000-000000000000`, admin)).status).toBe(404);
    expect((await api('DELETE', `/api/bots/${flowOnWebhook.id}`, admin)).status).toBe(204);
    expect((await api('GET', `/api/bots/${flowOnWebhook.id}`, admin)).status).toBe(404);
  });

  it('is for admins only: an agent of the inbox gets 403, in Dutch too', async () => {
    const bot = await createBot({ name: 'Admins only', kind: 'flow' });
    expect((await api('GET', `/api/inboxes/${inboxId}/bots`, agent)).status).toBe(403);
    expect((await api('POST', `/api/bots/${bot.id}/activate`, agent)).status).toBe(403);
    const token = await api('POST', `/api/bots/${bot.id}/token`, agent);
    expect(token.status).toBe(403);
    expect(token.body).toMatchObject({ code: 'admin-only-bots', message: 'only admins can manage bots' });
    const dutch = await t.request('DELETE', `/api/bots/${bot.id}`, { token: agent, headers: { 'accept-language': 'nl' } });
    expect(dutch.body).toMatchObject({ code: 'admin-only-bots', message: 'alleen beheerders kunnen bots beheren' });
    expect((await api('DELETE', `/api/bots/${bot.id}`, admin)).status).toBe(204);
  });

  it('issues an API token once, keeps only its SHA-256, and a new token replaces the old', async () => {
    const bot = await createBot({ name: 'Tokened', kind: 'webhook', webhookUrl: 'https://bot.example.com/t' });
    const first = await api('POST', `/api/bots/${bot.id}/token`, admin);
    expect(first.status).toBe(201);
    expect(first.body.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect((await api('GET', `/api/bots/${bot.id}`, admin)).body.hasToken).toBe(true);
    const store = t.app.get<ReadStore>(READ_STORE);
    const hash = (token: string) => createHash('sha256').update(token).digest('hex');
    expect((await store.findBotByTokenHash(hash(first.body.token)))?.id).toBe(bot.id);
    const second = await api('POST', `/api/bots/${bot.id}/token`, admin);
    expect(second.body.token).not.toBe(first.body.token);
    expect(await store.findBotByTokenHash(hash(first.body.token))).toBeNull();
    expect((await store.findBotByTokenHash(hash(second.body.token)))?.id).toBe(bot.id);
    expect(filesUnder(t.dataDir).some((file) => readFileSync(file).toString('latin1').includes(second.body.token))).toBe(false);
    expect((await api('DELETE', `/api/bots/${bot.id}`, admin)).status).toBe(204);
    expect(await store.findBotByTokenHash(hash(second.body.token))).toBeNull();
  });

  it('activates one bot per inbox (the refusal names the active one); new conversations of its channels start with it', async () => {
    const helper = await createBot({ name: 'Helper bot', kind: 'flow', channels: ['api'] });
    const other = await createBot({ name: 'Other bot', kind: 'flow', channels: ['api'] });
    const before = await ingest();
    expect((await api('POST', `/api/bots/${helper.id}/activate`, admin)).body.active).toBe(true);

    const refused = await api('POST', `/api/bots/${other.id}/activate`, admin);
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ code: 'bot-other-active' });
    expect(refused.body.message).toContain('"Helper bot"');
    const dutch = await t.request('POST', `/api/bots/${other.id}/activate`, { token: admin, headers: { 'accept-language': 'nl' } });
    expect(dutch.body.message).toBe('bot "Helper bot" is al actief in deze inbox (één bot per inbox); zet die eerst uit');

    const started = await ingest();
    expect((await api('GET', `/api/conversations/${started}`, admin)).body.assignee).toEqual({ type: 'bot' });
    // The flow bot greets the visitor; its reply shows with the bot's name.
    await eventually(async () => {
      const messages = (await api('GET', `/api/conversations/${started}`, admin)).body.messages as Array<Record<string, any>>;
      expect(messages.find((message) => message.authorId === `bot:${helper.id}`)?.from.name).toBe('Helper bot');
    });
    const bots = await api('GET', `/api/views/bots/conversations?inboxId=${inboxId}`, admin);
    expect(bots.body.items.map((c: { id: string }) => c.id)).toContain(started);
    // An older conversation stays as it was; an email of the inbox is not the bot's channel.
    expect((await api('GET', `/api/conversations/${before}`, admin)).body.assignee).toBeNull();

    const activity = t.app.get(ChannelActivity);
    expect((await activity.teamStatus(inboxId, 'api')).botActive).toBe(true);
    expect((await activity.teamStatus(inboxId, 'chat')).botActive).toBe(false);

    expect((await api('POST', `/api/bots/${helper.id}/deactivate`, admin)).body.active).toBe(false);
    const after = await ingest();
    expect((await api('GET', `/api/conversations/${after}`, admin)).body.assignee).toBeNull();
    expect((await activity.teamStatus(inboxId, 'api')).botActive).toBe(false);
    // Now the other may.
    expect((await api('POST', `/api/bots/${other.id}/activate`, admin)).status).toBe(200);
    expect((await api('DELETE', `/api/bots/${other.id}`, admin)).status).toBe(204);
    expect((await api('GET', `/api/conversations/${await ingest()}`, admin)).body.assignee).toBeNull();
    expect((await api('DELETE', `/api/bots/${helper.id}`, admin)).status).toBe(204);
  });

  it('of two bots activated at the same moment, exactly one stays active; the other is refused naming it', async () => {
    const first = await createBot({ name: 'Racer one', kind: 'flow' });
    const second = await createBot({ name: 'Racer two', kind: 'flow' });
    const answers = await Promise.all([first, second].map((bot) => api('POST', `/api/bots/${bot.id}/activate`, admin)));
    expect(answers.map((answer) => answer.status).sort()).toEqual([200, 409]);
    const winner = answers.find((answer) => answer.status === 200)!.body;
    expect(answers.find((answer) => answer.status === 409)!.body.message).toContain(`"${winner.name}"`);
    expect((await api('GET', `/api/inboxes/${inboxId}/bots`, admin)).body.bots.filter((bot: { active: boolean }) => bot.active)).toEqual([
      expect.objectContaining({ id: winner.id }),
    ]);
    for (const bot of [first, second]) expect((await api('DELETE', `/api/bots/${bot.id}`, admin)).status).toBe(204);
  });

  it('a bot without channels takes chat only', async () => {
    const chatOnly = await createBot({ name: 'Chat only', kind: 'flow' });
    expect((await api('POST', `/api/bots/${chatOnly.id}/activate`, admin)).status).toBe(200);
    expect((await api('GET', `/api/conversations/${await ingest()}`, admin)).body.assignee).toBeNull();
    expect((await t.app.get(ChannelActivity).teamStatus(inboxId, 'chat')).botActive).toBe(true);
    expect((await api('DELETE', `/api/bots/${chatOnly.id}`, admin)).status).toBe(204);
  });
});
