import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLOSE_IDLE_BOT_CONVERSATION_JOB, closeIdleBotConversationJobId } from '../../src/application/bots/close-idle-bot-conversations';
import { JOB_QUEUE } from '../../src/application/ports/job-queue.port';
import type { EmbeddedJobQueue } from '../../src/infrastructure/jobs/embedded-job-queue';
import { eventually } from '../contracts/job-queue.contract';
import { inbound, ManualClock, startTestApp, type TestApp } from '../support/app-harness';

const MINUTE = 60_000;

/**
 * Rule 9 end to end over HTTP with a manual clock: a conversation the inbox's bot took at its
 * start, whose visitor never asked for a person, can be closed only 30 minutes after the visitor's
 * last activity — the refusal says from when in the agent's own time zone and language — and is
 * closed by the system once those 30 minutes have passed (a durable job, which survives a restart).
 * The bot here is a webhook bot whose URL the outbound guard refuses, so it says nothing; its API
 * token is what hands a conversation off.
 */
describe('rule 9: bot conversations close after 30 minutes without visitor activity (e2e)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'parley-rule-nine-'));
  const clock = new ManualClock();
  let t: TestApp;
  let admin: string;
  let newYorker: string;
  let inboxId: string;
  let botToken: string;

  const queue = () => t.app.get<EmbeddedJobQueue>(JOB_QUEUE);
  const runDueCloses = () => queue().drain([CLOSE_IDLE_BOT_CONVERSATION_JOB]);
  const api = (method: string, url: string, token: string, body?: unknown, headers: Record<string, string> = {}) =>
    t.request(method, url, { token, body: body ?? (method === 'POST' ? {} : undefined), headers });
  const status = async (id: string) => (await api('GET', `/api/conversations/${id}`, admin)).body.status as string;

  /** A visitor's message in the inbox (the API channel, which the bot takes); the clock's now is its time. */
  const visitorWrites = async (overrides: Record<string, unknown> = {}) => {
    const res = await api('POST', '/api/channels/api/messages', admin, inbound({ inboxId, receivedAt: clock.now().toISOString(), ...overrides }));
    expect(res.status).toBe(201);
    return res.body.conversationId as string;
  };

  /** Starts a conversation with the bot and waits until its close is scheduled (the job is in the durable queue). */
  const botConversation = async () => {
    const thread = { externalThreadId: `rule-nine-${Math.random().toString(36).slice(2)}` };
    const id = await visitorWrites(thread);
    const detail = (await api('GET', `/api/conversations/${id}`, admin)).body;
    expect(detail.assignee).toEqual({ type: 'bot' });
    await scheduled(id, detail.lastReceivedAt);
    return { id, thread, startedAt: detail.lastReceivedAt as string };
  };
  const scheduled = (id: string, activityAt: string) =>
    eventually(async () => expect(await queue().job(closeIdleBotConversationJobId(id, activityAt))).toMatchObject({ state: 'delayed' }));

  beforeAll(async () => {
    t = await startTestApp({ clock, dataDir });
    admin = await t.login();
    const inbox = await api('POST', '/api/inboxes', admin, { name: 'Rule nine' });
    inboxId = inbox.body.id;
    const agent = await api('POST', '/api/agents', admin, { name: 'Nora York', email: 'nora@example.com', password: 'password-123', role: 'agent' });
    expect((await api('PUT', `/api/inboxes/${inboxId}/members`, admin, { agentIds: [agent.body.id] })).status).toBe(200);
    newYorker = await t.login('nora@example.com', 'password-123');
    expect((await api('PUT', '/api/me/preferences', newYorker, { timeZone: 'America/New_York' })).status).toBe(200);
    newYorker = await t.login('nora@example.com', 'password-123');

    const bot = await api('POST', `/api/inboxes/${inboxId}/bots`, admin, {
      name: 'Night bot',
      kind: 'webhook',
      channels: ['api'],
      webhookUrl: 'http://127.0.0.1:9/parley',
    });
    expect(bot.status).toBe(201);
    expect((await api('POST', `/api/bots/${bot.body.id}/activate`, admin)).status).toBe(200);
    botToken = (await api('POST', `/api/bots/${bot.body.id}/token`, admin)).body.token;
  });
  afterAll(async () => {
    await t?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("refuses an agent's close before 30 minutes, saying from when in the agent's own time zone and language", async () => {
    const { id, startedAt } = await botConversation();
    clock.advance(29 * MINUTE);
    const from = new Date(Date.parse(startedAt) + 30 * MINUTE);
    const options = { timeZone: 'America/New_York', day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit' } as const;

    const refused = await api('POST', `/api/conversations/${id}/close`, newYorker);
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe('bot-close-too-early');
    expect(refused.body.message).toContain(`close it from ${new Intl.DateTimeFormat('en', options).format(from)} (America/New_York)`);
    expect(refused.body.message).not.toContain(from.toISOString());

    const dutch = await api('POST', `/api/conversations/${id}/close`, newYorker, {}, { 'accept-language': 'nl' });
    expect(dutch.body.message).toContain(`sluit het vanaf ${new Intl.DateTimeFormat('nl', options).format(from)} (America/New_York)`);

    // Closing many at once words each refusal the same way.
    const bulk = await api('POST', '/api/conversations/bulk', newYorker, { ids: [id], action: 'close' });
    expect(bulk.body.results[0]).toMatchObject({ ok: false, code: 'bot-close-too-early' });
    expect(bulk.body.results[0].message).toContain(`(America/New_York)`);

    await runDueCloses();
    expect(await status(id)).toBe('open');
    clock.advance(1 * MINUTE);
  });

  it('is closed by the system once 30 minutes passed without visitor activity', async () => {
    const { id } = await botConversation();
    clock.advance(29 * MINUTE);
    await runDueCloses();
    expect(await status(id)).toBe('open');

    clock.advance(1 * MINUTE);
    await runDueCloses();
    expect(await status(id)).toBe('closed');
    const history = await api('GET', `/api/conversations/${id}/history`, admin);
    const closed = (history.body.events as Array<{ type: string; actor: { type: string } }>).find((event) => event.type === 'ConversationClosed');
    expect(closed?.actor).toEqual({ type: 'system' });
  });

  it('is not closed while the visitor keeps writing: the 30 minutes count from the latest message', async () => {
    const { id, thread } = await botConversation();
    clock.advance(20 * MINUTE);
    expect(await visitorWrites(thread)).toBe(id);
    const latest = (await api('GET', `/api/conversations/${id}`, admin)).body.lastReceivedAt as string;
    await scheduled(id, latest);

    clock.advance(10 * MINUTE);
    await runDueCloses();
    expect(await status(id)).toBe('open');
    expect((await api('POST', `/api/conversations/${id}/close`, newYorker)).status).toBe(409);

    clock.advance(20 * MINUTE);
    await runDueCloses();
    expect(await status(id)).toBe('closed');
  });

  it('is not closed by the system, and closes at once, after the visitor was handed to the team', async () => {
    const { id } = await botConversation();
    const handoff = await t.request('POST', `/api/bot/conversations/${id}/handoff`, { token: botToken, body: {} });
    expect(handoff.status).toBeLessThan(300);
    expect((await api('GET', `/api/conversations/${id}`, admin)).body.assignee).toBeNull();

    clock.advance(45 * MINUTE);
    await runDueCloses();
    expect(await status(id)).toBe('open');
    expect((await api('POST', `/api/conversations/${id}/close`, newYorker)).status).toBe(200);
  });

  it('closes a conversation whose 30 minutes ran out while Parley was down (the job queue is durable)', async () => {
    const { id } = await botConversation();
    await t.close();
    clock.advance(31 * MINUTE);
    t = await startTestApp({ clock, dataDir });
    admin = await t.login();
    await runDueCloses();
    expect(await status(id)).toBe('closed');
  });
});
