import type { Readable } from 'node:stream';
import { describe, expect, it } from '@jest/globals';
import type { ChannelResponse, OutboundMessage } from '../../../src/plugins/channel-plugin';
import { createChatPlugin } from '../../../src/plugins/chat/chat-plugin';
import { FakeHostConnection } from '../../../src/plugins/testing';

/**
 * The chat channel and the inbox's flow bot (docs/bot-flows.md): the chat declares `choices`, shows
 * a bot's buttons to the visitor (live and in the history), sends a clicked button back with its
 * choiceId, and "Talk to a person" (POST c/:cid/handoff) asks the host to hand the chat to the team.
 */
const CID = '7d1c0a52-0000-4000-8000-00000000b07c';
const INBOX = '0a1b2c3d-0000-4000-8000-0000000000b1';
const base = `/channels/chat/c/${CID}`;
type Body = Record<string, any>;
const body = (response: ChannelResponse) => response.body as Body;
const flush = () => new Promise((resolve) => setImmediate(resolve));
const CHOICES = [
  { id: 'order', label: 'My order' },
  { id: 'other', label: 'Something else' },
];

async function setup() {
  const plugin = createChatPlugin({ now: () => Date.parse('2026-12-07T10:00:00.000Z'), replyPollMs: 0 });
  const settings = await plugin.connectionSettings!.validate({}, { inboxId: INBOX });
  const host = new FakeHostConnection({ id: 'chat', channel: 'chat' }, {}, { connections: [{ id: CID, inboxId: INBOX, settings }] });
  await plugin.connect(host.connection);
  host.endConnect();
  const token = body(await host.request('POST', `${base}/session`, { body: {} })).token as string;
  const auth = { authorization: `Bearer ${token}` };
  return { plugin, host, token, auth };
}

function botReply(host: FakeHostConnection, conversationId: string, text: string, choices?: typeof CHOICES): OutboundMessage {
  const stored = host.stored.find((m) => m.conversationId === conversationId)!;
  return {
    conversationId,
    messageId: host.recordReply(conversationId, { text, authorName: 'Kettle bot', status: 'queued', bot: true, ...(choices ? { choices } : {}) }),
    channel: 'chat',
    conversationChannel: 'chat',
    to: [{ address: stored.from.address }],
    subject: '',
    text,
    thread: { externalThreadId: stored.externalThreadId, externalMessageIds: [stored.externalMessageId] },
    kind: 'reply',
    ...(choices ? { choices } : {}),
  };
}

describe('chat plugin: a flow bot answers', () => {
  it('declares the choices capability', () => {
    expect(createChatPlugin().capabilities.choices).toBe(true);
  });

  it("pushes a bot's question with its buttons, saying the bot holds the chat, and keeps them in the history", async () => {
    const { plugin, host, token, auth } = await setup();
    await host.request('POST', `${base}/messages`, { body: { text: 'Hi', clientMessageId: 'm-1' }, headers: auth });
    const conversationId = host.stored[0]!.conversationId;
    host.botHeldConversations.add(conversationId);
    let events = '';
    const abort = new AbortController();
    const opened = await host.request('GET', `${base}/events?token=${encodeURIComponent(token)}`, { signal: abort.signal });
    (opened.body as Readable).on('data', (chunk: Buffer) => (events += chunk.toString('utf8')));

    const outbound = botReply(host, conversationId, 'What is your question about?', CHOICES);
    expect(await plugin.send!(outbound)).toEqual({ status: 'delivered', externalMessageId: outbound.messageId });
    await flush();
    const pushed = {
      id: outbound.messageId,
      direction: 'outbound',
      authorName: 'Kettle bot',
      text: 'What is your question about?',
      at: '2026-12-07T10:00:00.000Z',
      choices: CHOICES,
      bot: true,
      heldByBot: true,
    };
    expect(events).toContain(`event: message\ndata: ${JSON.stringify(pushed)}\n\n`);
    abort.abort();

    const session = body(await host.request('POST', `${base}/session`, { body: { token } }));
    expect(session.conversation).toEqual({ id: conversationId, status: 'open', heldByBot: true });
    expect(session.messages.find((m: Body) => m.direction === 'outbound')).toMatchObject({ text: 'What is your question about?', choices: CHOICES, bot: true });
  });

  it("sends a clicked button back as the visitor's message with its choiceId, and refuses a choiceId that is none", async () => {
    const { host, auth } = await setup();
    const picked = await host.request('POST', `${base}/messages`, { body: { text: 'My order', clientMessageId: 'm-1', choiceId: 'order' }, headers: auth });
    expect(picked.status).toBe(201);
    expect(host.stored[0]).toMatchObject({ text: 'My order', choiceId: 'order' });
    const plain = await host.request('POST', `${base}/messages`, { body: { text: 'Thanks', clientMessageId: 'm-2' }, headers: auth });
    expect(plain.status).toBe(201);
    expect(host.stored[1]!.choiceId).toBeUndefined();

    const bad = await host.request('POST', `${base}/messages`, { body: { text: 'x', clientMessageId: 'm-3', choiceId: 'no spaces!' }, headers: auth });
    expect(bad.status).toBe(400);
    expect(body(bad).message).toBe('choiceId: must be the id of a button (1-40 letters, digits, dashes or underscores), got "no spaces!"');
    expect(host.stored).toHaveLength(2);
  });

  it('"Talk to a person" asks the host to hand the chat over; without a chat it does nothing; without a session it is refused', async () => {
    const { host, auth } = await setup();
    expect((await host.request('POST', `${base}/handoff`, { body: {}, headers: auth })).status).toBe(204);
    expect(host.handoffCalls).toEqual([]);

    await host.request('POST', `${base}/messages`, { body: { text: 'Hi', clientMessageId: 'm-1' }, headers: auth });
    const conversationId = host.stored[0]!.conversationId;
    host.botHeldConversations.add(conversationId);
    expect((await host.request('POST', `${base}/handoff`, { body: {}, headers: auth })).status).toBe(204);
    expect(host.handoffCalls).toEqual([{ conversationId }]);
    expect((await host.connection.conversations.get(conversationId))?.heldByBot).toBeUndefined();

    expect((await host.request('POST', `${base}/handoff`, { body: {} })).status).toBe(401);
    expect(host.problems).toEqual([]);
  });
});
