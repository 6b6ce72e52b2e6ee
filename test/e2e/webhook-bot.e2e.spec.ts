import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebhookBotEvents } from '../../src/application/bots/webhook-bot.saga';
import { CommandExecutor } from '../../src/application/command-handling/command-executor';
import { JOB_QUEUE, type JobQueue } from '../../src/application/ports/job-queue.port';
import { createLogger } from '../../src/infrastructure/logging/logger';
import { ManualClock, startTestApp } from '../support/app-harness';

/**
 * A webhook bot in a whole Parley (issue 14 §3): a real local HTTP server plays the bot. It gets
 * each visitor message of the chats it holds as a signed POST (the server checks the signature as
 * docs/webhook-bots.md tells a bot to), answers through the bot API with its own token, and hands
 * the chat to the team. Deliveries are retried while the bot answers 5xx; a destination on the
 * private network is refused by the outbound request guard unless PARLEY_ALLOW_PRIVATE_NETWORK
 * allows it; the bot API takes only a current bot token; and the log never holds the secret,
 * the token or what the visitor wrote.
 */
const SHOP = 'https://shop.example';
const SECRET = 'e2e-webhook-bot-signing-secret-0123456789';

interface BotRequest {
  headers: IncomingHttpHeaders;
  body: string;
  payload: { id: string; type: string; conversationId: string; inboxId: string; botId: string; sequence: number; occurredAt: string; data: any };
  /** The signature checked as a receiver would: HMAC-SHA256 of "<timestamp>.<raw body>" with the shared secret, compared in constant time. */
  signatureValid: boolean;
}

/** The bot: records every signed POST and answers with the status `answer` picks (default 200). */
interface FakeBot {
  url: string;
  requests: BotRequest[];
  answer: (request: BotRequest) => number;
  waitFor(predicate: (request: BotRequest) => boolean, what: string): Promise<BotRequest>;
  close(): Promise<void>;
}

async function startFakeBot(secret: string): Promise<FakeBot> {
  const requests: BotRequest[] = [];
  const bot: Partial<FakeBot> = { requests, answer: () => 200 };
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const expected = Buffer.from(
        `sha256=${createHmac('sha256', secret)
          .update(`${String(request.headers['x-parley-timestamp'])}.${body}`)
          .digest('hex')}`,
      );
      const given = Buffer.from(String(request.headers['x-parley-signature'] ?? ''));
      const recorded: BotRequest = {
        headers: request.headers,
        body,
        payload: JSON.parse(body),
        signatureValid: given.length === expected.length && timingSafeEqual(given, expected),
      };
      requests.push(recorded);
      response.writeHead(bot.answer!(recorded), { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(bot, {
    url: `http://127.0.0.1:${port}/parley-events`,
    async waitFor(predicate: (request: BotRequest) => boolean, what: string) {
      const deadline = Date.now() + 15_000;
      for (;;) {
        const found = requests.find(predicate);
        if (found) return found;
        if (Date.now() > deadline) throw new Error(`the bot got no ${what} within 15 s (got ${requests.map((r) => r.payload.type).join(', ')})`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  }) as FakeBot;
}

/** A Parley whose log lines the test reads, with chat connected to a new inbox and a webhook bot active on it. */
async function parleyWithWebhookBot(options: { env: Record<string, string>; clock: ManualClock; webhookUrl: string }) {
  const lines: string[] = [];
  const t = await startTestApp({
    env: options.env,
    clock: options.clock,
    logger: createLogger({ level: 'debug' }, { write: (line: string) => void lines.push(line) }),
  });
  const admin = await t.login();
  const inboxId = (await t.request('POST', '/api/inboxes', { token: admin, body: { name: 'Shop chat', agentIds: [] } })).body.id as string;
  const chat = await t.request('POST', `/api/inboxes/${inboxId}/channels`, {
    token: admin,
    body: { type: 'chat', name: 'Shop', settings: { allowedOrigins: [SHOP] } },
  });
  if (chat.status !== 201) throw new Error(`connecting chat failed: ${chat.status} ${JSON.stringify(chat.body)}`);
  const created = await t.request('POST', `/api/inboxes/${inboxId}/bots`, {
    token: admin,
    body: { name: 'Order bot', kind: 'webhook', webhookUrl: options.webhookUrl, webhookSecret: SECRET },
  });
  if (created.status !== 201) throw new Error(`creating the bot failed: ${created.status} ${JSON.stringify(created.body)}`);
  const botId = created.body.id as string;
  expect((await t.request('POST', `/api/bots/${botId}/activate`, { token: admin })).status).toBe(200);
  const issued = await t.request('POST', `/api/bots/${botId}/token`, { token: admin });
  expect(issued.status).toBe(201);

  const visitorRoute = (path: string) => `/channels/chat/c/${chat.body.id}/${path}`;
  const frame = { host: 'parley.test', origin: 'http://parley.test', referer: `http://parley.test${visitorRoute('frame')}?origin=${encodeURIComponent(SHOP)}` };
  /** A new website visitor says `text`: the conversation it started. */
  const visitorSays = async (text: string): Promise<{ conversationId: string; visitor: string }> => {
    const session = await t.request('POST', visitorRoute('session'), { body: {}, headers: frame });
    const visitor = session.body.token as string;
    const sent = await t.request('POST', visitorRoute('messages'), {
      body: { text, clientMessageId: `m-${Date.now()}` },
      headers: { authorization: `Bearer ${visitor}` },
    });
    expect(sent.status).toBe(201);
    const resumed = await t.request('POST', visitorRoute('session'), { body: { token: visitor }, headers: frame });
    return { conversationId: resumed.body.conversation.id as string, visitor };
  };
  return { t, admin, inboxId, botId, botToken: issued.body.token as string, lines, visitorSays };
}

describe('webhook bot (e2e)', () => {
  const clock = new ManualClock(new Date());
  let bot: FakeBot;
  let parley: Awaited<ReturnType<typeof parleyWithWebhookBot>>;

  beforeAll(async () => {
    bot = await startFakeBot(SECRET);
    // The bot listens on 127.0.0.1: the outbound guard allows it only with private targets allowed.
    parley = await parleyWithWebhookBot({ env: { PARLEY_ALLOW_PRIVATE_NETWORK: 'true' }, clock, webhookUrl: bot.url });
  }, 60_000);

  afterAll(async () => {
    await parley?.t.close();
    await bot?.close();
  });

  it("gets the visitor's message signed, answers as the bot through its API, and hands the chat to the team", async () => {
    const { t, admin, inboxId, botId, botToken, visitorSays } = parley;
    const { conversationId } = await visitorSays('Where is my order 4711?');

    const message = await bot.waitFor((r) => r.payload.type === 'MessageReceived' && r.payload.conversationId === conversationId, 'message');
    expect(message.signatureValid).toBe(true);
    expect(message.headers['x-parley-event-id']).toBe(message.payload.id);
    expect(message.headers['content-type']).toBe('application/json');
    expect(Number(message.headers['x-parley-timestamp'])).toBe(Math.floor(clock.now().getTime() / 1000));
    expect(message.payload).toMatchObject({ conversationId, inboxId, botId, data: { text: 'Where is my order 4711?', from: { address: expect.any(String) } } });
    // The bot also hears that it got the conversation.
    const assigned = await bot.waitFor((r) => r.payload.type === 'ConversationAssigned' && r.payload.conversationId === conversationId, 'assignment');
    expect(assigned.payload.data).toMatchObject({ assignee: { type: 'bot' }, via: 'inbox-bot' });

    // An internal comment is never sent to the bot, and the bot API does not show it.
    expect((await t.request('POST', `/api/conversations/${conversationId}/comments`, { token: admin, body: { text: 'VIP customer, be quick' } })).status).toBe(
      201,
    );

    const read = await t.request('GET', `/api/bot/conversations/${conversationId}`, { token: botToken });
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({ id: conversationId, inboxId, channel: 'chat', status: 'open' });
    expect(read.body.messages.map((m: { text: string }) => m.text)).toEqual(['Where is my order 4711?']);
    expect(JSON.stringify(read.body)).not.toContain('VIP customer');

    const replied = await t.request('POST', `/api/bot/conversations/${conversationId}/replies`, {
      token: botToken,
      body: { text: 'It left our warehouse today. Anything else?', choices: [{ id: 'person', label: 'Talk to a person' }] },
      headers: { 'idempotency-key': 'answer-4711' },
    });
    expect(replied.status).toBe(201);
    // The same request again (the bot retried it): the same reply, not a second one.
    const again = await t.request('POST', `/api/bot/conversations/${conversationId}/replies`, {
      token: botToken,
      body: { text: 'It left our warehouse today. Anything else?', choices: [{ id: 'person', label: 'Talk to a person' }] },
      headers: { 'idempotency-key': 'answer-4711' },
    });
    expect(again.status).toBe(201);
    expect(again.body.messageId).toBe(replied.body.messageId);

    const thread = await t.request('GET', `/api/conversations/${conversationId}`, { token: admin });
    const botReplies = thread.body.messages.filter((m: { direction: string }) => m.direction === 'out');
    expect(botReplies).toEqual([
      expect.objectContaining({ id: replied.body.messageId, authorId: `bot:${botId}`, text: 'It left our warehouse today. Anything else?' }),
    ]);
    expect(thread.body.assignee).toEqual({ type: 'bot' });
    const history = await t.request('GET', `/api/conversations/${conversationId}/history`, { token: admin });
    expect(history.body.events.find((e: { type: string }) => e.type === 'ReplyQueued').actor).toEqual({ type: 'bot' });

    const handoff = await t.request('POST', `/api/bot/conversations/${conversationId}/handoff`, { token: botToken });
    expect(handoff.status).toBe(200);
    const after = await t.request('GET', `/api/conversations/${conversationId}`, { token: admin });
    // Nobody is online to take it: it waits in Unassigned for the team.
    expect(after.body.assignee).toBeNull();
    const unassigned = await t.request('GET', `/api/views/unassigned/conversations?inboxId=${inboxId}`, { token: admin });
    expect(JSON.stringify(unassigned.body)).toContain(conversationId);
    const told = await bot.waitFor((r) => r.payload.type === 'BotHandoffRequested' && r.payload.conversationId === conversationId, 'handoff');
    expect(told.signatureValid).toBe(true);
    // The bot holds it no more: its API answers as for an unknown conversation.
    expect((await t.request('GET', `/api/bot/conversations/${conversationId}`, { token: botToken })).status).toBe(404);
    expect((await t.request('POST', `/api/bot/conversations/${conversationId}/replies`, { token: botToken, body: { text: 'late' } })).status).toBe(404);
    expect(bot.requests.some((r) => r.body.includes('VIP customer'))).toBe(false);
  });

  it('retries a delivery the bot answers with 500, with the same event id and a valid signature, until it succeeds; a 400 is not retried', async () => {
    const { t, visitorSays } = parley;
    let failuresLeft = 1;
    bot.answer = (r) => (r.payload.type === 'MessageReceived' && r.payload.data.text === 'Retry me' && failuresLeft-- > 0 ? 500 : 200);
    const { conversationId } = await visitorSays('Retry me');
    const first = await bot.waitFor((r) => r.payload.conversationId === conversationId && r.payload.type === 'MessageReceived', 'first attempt');
    const jobs = t.app.get<JobQueue>(JOB_QUEUE);
    const jobId = `webhook-bot:${first.payload.id}`;
    await until(async () => (await jobs.job(jobId))?.state === 'delayed', 'the job to wait for its retry');
    // The retry is due 30 s later by Parley's clock.
    clock.advance(31_000);
    await until(async () => (await jobs.job(jobId))?.state === 'completed', 'the retry to succeed');
    const attempts = bot.requests.filter((r) => r.payload.id === first.payload.id);
    expect(attempts).toHaveLength(2);
    expect(attempts.every((r) => r.signatureValid && r.headers['x-parley-event-id'] === first.payload.id)).toBe(true);

    bot.answer = (r) => (r.payload.type === 'MessageReceived' && r.payload.data.text === 'Refuse me' ? 400 : 200);
    const refused = await visitorSays('Refuse me');
    const only = await bot.waitFor((r) => r.payload.conversationId === refused.conversationId && r.payload.type === 'MessageReceived', 'refused delivery');
    await until(async () => (await jobs.job(`webhook-bot:${only.payload.id}`))?.state === 'failed', 'the refused job to fail');
    clock.advance(31_000);
    expect((await jobs.job(`webhook-bot:${only.payload.id}`))?.attemptsMade).toBe(1);
    expect(bot.requests.filter((r) => r.payload.id === only.payload.id)).toHaveLength(1);
    bot.answer = () => 200;
  });

  it('handling an event again (process managers run at least once) delivers nothing twice', async () => {
    const { t, visitorSays } = parley;
    const { conversationId } = await visitorSays('Only once, please');
    const delivered = await bot.waitFor((r) => r.payload.conversationId === conversationId && r.payload.type === 'MessageReceived', 'message');
    const jobs = t.app.get<JobQueue>(JOB_QUEUE);
    const jobId = `webhook-bot:${delivered.payload.id}`;
    await until(async () => (await jobs.job(jobId))?.state === 'completed', 'the delivery to complete');
    const stream = await t.app.get(CommandExecutor).store.readStream(`conversation-${conversationId}`);
    const event = stream.find((e) => e.id === delivered.payload.id)!;
    // The delivery's job id names the event (found above by it), so the queue takes the same event's job once.
    await t.app.get(WebhookBotEvents).handle(event);
    expect(await jobs.job(jobId)).toMatchObject({ state: 'completed', attemptsMade: 1 });
    expect(bot.requests.filter((r) => r.payload.id === delivered.payload.id)).toHaveLength(1);
  });

  it("takes only the bot's current token: none, an agent's session, an unknown or a replaced token get 401, and the bot token opens no agent route", async () => {
    const { t, admin, botId, botToken, visitorSays } = parley;
    const { conversationId } = await visitorSays('Token check');
    await bot.waitFor((r) => r.payload.conversationId === conversationId && r.payload.type === 'MessageReceived', 'message');
    const url = `/api/bot/conversations/${conversationId}`;

    const none = await t.request('GET', url);
    expect(none.status).toBe(401);
    expect(none.body.code).toBe('bot-auth-required');
    expect((await t.request('GET', url, { token: admin })).status).toBe(401);
    const unknown = await t.request('GET', url, { token: 'not-a-token-of-any-bot-0123456789' });
    expect(unknown.status).toBe(401);
    expect(unknown.body.code).toBe('bot-token-invalid');
    expect((await t.request('GET', `/api/conversations/${conversationId}`, { token: botToken })).status).toBe(401);
    expect((await t.request('GET', '/api/agents', { token: botToken })).status).toBe(401);
    // Another inbox's conversation (or an unknown one) answers 404 like any conversation the bot does not hold.
    expect((await t.request('GET', `/api/bot/conversations/00000000-0000-4000-8000-000000000000`, { token: botToken })).status).toBe(404);

    expect((await t.request('GET', url, { token: botToken })).status).toBe(200);
    const reissued = await t.request('POST', `/api/bots/${botId}/token`, { token: admin });
    expect(reissued.status).toBe(201);
    expect((await t.request('GET', url, { token: botToken })).status).toBe(401);
    expect((await t.request('GET', url, { token: reissued.body.token })).status).toBe(200);
    parley.botToken = reissued.body.token;
  });

  it("on a channel without buttons, a reply's choices are listed in its text, numbered", async () => {
    const { t, admin } = parley;
    const inboxId = (await t.request('POST', '/api/inboxes', { token: admin, body: { name: 'API desk', agentIds: [] } })).body.id as string;
    const created = await t.request('POST', `/api/inboxes/${inboxId}/bots`, {
      token: admin,
      body: { name: 'API bot', kind: 'webhook', channels: ['api'], webhookUrl: bot.url, webhookSecret: SECRET },
    });
    expect(created.status).toBe(201);
    expect((await t.request('POST', `/api/bots/${created.body.id}/activate`, { token: admin })).status).toBe(200);
    const token = (await t.request('POST', `/api/bots/${created.body.id}/token`, { token: admin })).body.token as string;
    const posted = await t.request('POST', '/api/channels/api/messages', {
      token: admin,
      body: {
        inboxId,
        externalThreadId: `api-${Date.now()}`,
        externalMessageId: 'api-1',
        from: { address: 'ann@example.org' },
        subject: 'Plan',
        text: 'Which plan?',
      },
    });
    expect(posted.status).toBe(201);
    const conversationId = posted.body.conversationId as string;
    const heard = await bot.waitFor((r) => r.payload.conversationId === conversationId && r.payload.type === 'MessageReceived', 'API message');
    expect(heard.payload.botId).toBe(created.body.id);

    const replied = await t.request('POST', `/api/bot/conversations/${conversationId}/replies`, {
      token,
      body: {
        text: 'Which one suits you?',
        choices: [
          { id: 'small', label: 'Small' },
          { id: 'large', label: 'Large' },
        ],
      },
    });
    expect(replied.status).toBe(201);
    const thread = await t.request('GET', `/api/conversations/${conversationId}`, { token: admin });
    expect(thread.body.messages.find((m: { id: string }) => m.id === replied.body.messageId).text).toBe('Which one suits you?\n\n1. Small\n2. Large');
    // The first bot's token reaches nothing of this inbox.
    expect((await t.request('GET', `/api/bot/conversations/${conversationId}`, { token: parley.botToken })).status).toBe(404);
  });

  it('refuses the token of a deactivated or removed bot (401)', async () => {
    const { t, admin, botId, visitorSays } = parley;
    const { conversationId } = await visitorSays('Before deactivation');
    await bot.waitFor((r) => r.payload.conversationId === conversationId && r.payload.type === 'MessageReceived', 'message');
    const url = `/api/bot/conversations/${conversationId}`;
    expect((await t.request('GET', url, { token: parley.botToken })).status).toBe(200);
    expect((await t.request('POST', `/api/bots/${botId}/deactivate`, { token: admin })).status).toBe(200);
    const deactivated = await t.request('GET', url, { token: parley.botToken });
    expect(deactivated.status).toBe(401);
    expect(deactivated.body.code).toBe('bot-token-invalid');
    expect((await t.request('DELETE', `/api/bots/${botId}`, { token: admin })).status).toBeLessThan(300);
    expect((await t.request('GET', url, { token: parley.botToken })).status).toBe(401);
  });

  it('is rate-limited: a flood of bot API requests gets 429 with Retry-After', async () => {
    const { t } = parley;
    let answer: { status: number; headers: Record<string, unknown>; body: any } | null = null;
    for (let n = 0; n < 400 && answer?.status !== 429; n++) {
      answer = await t.request('GET', '/api/bot/conversations/00000000-0000-4000-8000-000000000000', { token: 'flood-token-that-no-bot-has-0123456789' });
      if (answer.status !== 401 && answer.status !== 429) throw new Error(`unexpected ${answer.status}`);
    }
    expect(answer?.status).toBe(429);
    expect(answer?.body.code).toBe('bot-api-rate-limited');
    expect(Number(answer?.headers['retry-after'])).toBeGreaterThan(0);
  });

  it('logs deliveries and failures without the signing secret, the token or what the visitor wrote', async () => {
    const { lines, botToken } = parley;
    const log = lines.join('\n');
    expect(log).toContain('webhook bot event delivered');
    expect(log).toContain('webhook bot answered with an error; retrying');
    expect(log).toContain('webhook bot delivery failed for good');
    expect(log).not.toContain(SECRET);
    expect(log).not.toContain(botToken);
    const webhookLines = lines.filter((line) => line.includes('webhook bot'));
    expect(webhookLines.length).toBeGreaterThan(3);
    for (const line of webhookLines) {
      expect(line).not.toContain('Where is my order');
      expect(line).not.toContain('Retry me');
      expect(line).not.toContain('Refuse me');
      expect(line).not.toContain('/parley-events');
    }
  });
});

describe('webhook bot on the private network (e2e)', () => {
  let bot: FakeBot;
  let parley: Awaited<ReturnType<typeof parleyWithWebhookBot>>;

  beforeAll(async () => {
    bot = await startFakeBot(SECRET);
    // PARLEY_ALLOW_PRIVATE_NETWORK is not set: 127.0.0.1 is a destination the guard refuses.
    parley = await parleyWithWebhookBot({ env: {}, clock: new ManualClock(new Date()), webhookUrl: bot.url });
  }, 60_000);

  afterAll(async () => {
    await parley?.t.close();
    await bot?.close();
  });

  it('is refused by the outbound request guard, for good, with a log line that says why', async () => {
    const { conversationId } = await parley.visitorSays('Anyone there?');
    const refusal = await until(
      async () => parley.lines.find((line) => line.includes('refused by the outbound request guard') && line.includes(conversationId)),
      'the refusal in the log',
    );
    const entry = JSON.parse(refusal);
    expect(entry.level).toBeGreaterThanOrEqual(50);
    expect(entry.reason).toContain('PARLEY_ALLOW_PRIVATE_NETWORK');
    expect(entry.reason).not.toContain('/parley-events');
    const history = await parley.t.request('GET', `/api/conversations/${conversationId}/history`, { token: parley.admin });
    const received = history.body.events.find((e: { type: string }) => e.type === 'MessageReceived');
    const job = await parley.t.app.get<JobQueue>(JOB_QUEUE).job(`webhook-bot:${received.id}`);
    expect(job).toMatchObject({ state: 'failed', attemptsMade: 1 });
    expect(bot.requests).toHaveLength(0);
    expect(parley.lines.join('\n')).not.toContain(SECRET);
  });
});

/** Polls `check` until it answers something truthy (15 s at most). */
async function until<T>(check: () => Promise<T | undefined | null | false>, what: string): Promise<T> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`waited 15 s for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
