import { createHmac } from 'node:crypto';
import { concernsBot, webhookBotPayload } from '../../src/application/bots/webhook-bot-events';
import { signWebhookBody, verifyWebhookSignature, webhookBotHeaders } from '../../src/application/bots/webhook-bot-signature';
import type { RecordedEvent } from '../../src/application/ports/event-store.port';

const SECRET = 'whsec-test-0123456789abcdef';

describe('webhook bot signature', () => {
  const body = JSON.stringify({ id: 'e-1', type: 'MessageReceived', data: { text: 'Hello, is anyone there?' } });
  const timestamp = 1_796_000_000;

  it('is what a receiver computes itself: HMAC-SHA256 of "<timestamp>.<raw body>" with the secret, as sha256=<hex>', () => {
    const headers = webhookBotHeaders(SECRET, timestamp, body, 'e-1');
    const receiver = createHmac('sha256', SECRET).update(`${headers['X-Parley-Timestamp']}.${body}`).digest('hex');
    expect(headers['X-Parley-Signature']).toBe(`sha256=${receiver}`);
    expect(headers).toMatchObject({ 'Content-Type': 'application/json', 'X-Parley-Event-Id': 'e-1', 'X-Parley-Timestamp': String(timestamp) });
    expect(
      verifyWebhookSignature({ secret: SECRET, body, timestamp: String(timestamp), signature: headers['X-Parley-Signature'], nowSeconds: timestamp + 10 }),
    ).toBe(true);
  });

  it('fails for a tampered body, another timestamp, another secret, a missing header, or a request older than the tolerance', () => {
    const signature = signWebhookBody(SECRET, timestamp, body);
    const check = (overrides: Partial<Parameters<typeof verifyWebhookSignature>[0]>) =>
      verifyWebhookSignature({ secret: SECRET, body, timestamp: String(timestamp), signature, nowSeconds: timestamp, ...overrides });
    expect(check({})).toBe(true);
    expect(check({ body: body.replace('anyone', 'someone') })).toBe(false);
    expect(check({ body: Buffer.from(`${body} `) })).toBe(false);
    expect(check({ timestamp: String(timestamp + 1), nowSeconds: timestamp + 1 })).toBe(false);
    expect(check({ secret: `${SECRET}x` })).toBe(false);
    expect(check({ signature: undefined })).toBe(false);
    expect(check({ timestamp: undefined })).toBe(false);
    expect(check({ signature: signature.replace('sha256=', 'sha1=') })).toBe(false);
    expect(check({ nowSeconds: timestamp + 301 })).toBe(false);
    expect(check({ nowSeconds: timestamp + 300 })).toBe(true);
  });
});

describe('which events a webhook bot hears', () => {
  let revision = 0;
  let command = 0;
  const conversationId = '6a1f0c1e-0000-4000-8000-000000000001';
  const at = (minute: number) => `2026-11-24T10:${String(minute).padStart(2, '0')}:00.000Z`;

  /** Events written by one command share cause and time, as CommandExecutor writes them. */
  function commandOf(minute: number, ...events: Array<{ type: string; data: Record<string, unknown> }>): RecordedEvent[] {
    command += 1;
    return events.map((event) => ({
      id: `event-${revision}`,
      streamId: `conversation-${conversationId}`,
      type: event.type,
      revision: revision++,
      position: revision,
      data: event.data,
      metadata: { actor: { type: 'system' }, occurredAt: at(minute), correlationId: `c-${command}`, causationId: `c-${command}`, prevHash: '', hash: '' },
    }));
  }
  const message = (text: string, minute: number, extra: Record<string, unknown> = {}) => ({
    type: 'MessageReceived',
    data: {
      messageId: `m-${text}`,
      externalMessageId: `x-${text}`,
      from: { address: 'visitor-1@chat.invalid', name: 'Vera' },
      to: [],
      subject: 'Chat',
      text,
      attachments: [],
      receivedAt: at(minute),
      ...extra,
    },
  });
  const started = (minute: number) => ({
    type: 'ConversationStarted',
    data: {
      conversationId,
      inboxId: 'inbox-1',
      channel: 'chat',
      origin: 'inbound',
      externalThreadId: 'visitor-1',
      contact: { id: 'contact-1', address: 'visitor-1@chat.invalid', name: 'Vera' },
      subject: 'Chat',
      startedAt: at(minute),
    },
  });

  it('a conversation the bot took at its start: its first message (written before the assignment), later ones, the handoff, and nothing after', () => {
    revision = 0;
    const stream = [
      ...commandOf(0, started(0), message('hello', 0), { type: 'ConversationAssigned', data: { assignee: { type: 'bot' }, previous: null, via: 'inbox-bot' } }),
      ...commandOf(1, message('prices?', 1, { choiceId: 'pricing' })),
      ...commandOf(2, { type: 'CommentAdded', data: { commentId: 'k-1', authorId: 'agent-1', text: 'internal note', mentions: [], at: at(2) } }),
      ...commandOf(
        3,
        { type: 'BotHandoffRequested', data: { at: at(3) } },
        { type: 'ConversationUnassigned', data: { previous: { type: 'bot' }, reason: 'bot-handoff' } },
      ),
      ...commandOf(4, message('still there?', 4)),
      ...commandOf(5, { type: 'ConversationClosed', data: { closedAt: at(5) } }),
    ];
    const heard = stream.filter((event) => concernsBot(stream, event)).map((event) => event.type);
    expect(heard).toEqual(['MessageReceived', 'ConversationAssigned', 'MessageReceived', 'BotHandoffRequested', 'ConversationUnassigned']);

    const payload = webhookBotPayload(stream[3], { conversationId, inboxId: 'inbox-1', botId: 'bot-1' });
    expect(payload).toEqual({
      id: 'event-3',
      type: 'MessageReceived',
      occurredAt: at(1),
      conversationId,
      inboxId: 'inbox-1',
      botId: 'bot-1',
      sequence: 3,
      data: {
        messageId: 'm-prices?',
        from: { address: 'visitor-1@chat.invalid', name: 'Vera' },
        text: 'prices?',
        receivedAt: at(1),
        choiceId: 'pricing',
        attachments: [],
      },
    });
  });

  it('an agent taking the conversation from the bot is the last thing the bot hears; a conversation assigned to "Bot" by hand is not the bot\'s', () => {
    revision = 0;
    const taken = [
      ...commandOf(0, started(0), message('hello', 0), { type: 'ConversationAssigned', data: { assignee: { type: 'bot' }, previous: null, via: 'inbox-bot' } }),
      ...commandOf(1, { type: 'ConversationAssigned', data: { assignee: { type: 'agent', id: 'agent-1' }, previous: { type: 'bot' } } }),
      ...commandOf(2, message('thanks', 2)),
    ];
    expect(taken.filter((event) => concernsBot(taken, event)).map((event) => event.type)).toEqual([
      'MessageReceived',
      'ConversationAssigned',
      'ConversationAssigned',
    ]);

    revision = 0;
    const byHand = [
      ...commandOf(0, started(0), message('hello', 0)),
      ...commandOf(1, { type: 'ConversationAssigned', data: { assignee: { type: 'bot' }, previous: null } }),
      ...commandOf(2, message('anyone?', 2)),
    ];
    expect(byHand.filter((event) => concernsBot(byHand, event))).toEqual([]);
  });
});
