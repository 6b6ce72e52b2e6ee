import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { systemContext } from '../../../src/application/command-handling/command-context';
import { CommandExecutor } from '../../../src/application/command-handling/command-executor';
import { streams } from '../../../src/application/streams';
import { botDecider } from '../../../src/domain/bot/bot.decider';
import { startTestApp, type TestApp } from '../../support/app-harness';

/**
 * "Talk to a person" in a whole Parley: the chat's POST c/:cid/handoff goes through the host's
 * conversations.requestHandoff, which records the visitor's request (the contact as the actor) only
 * while a bot holds the chat, once, and never for one an agent took or one in Trash.
 */
const SHOP = 'https://shop.example';

describe('chat: "Talk to a person" through the host', () => {
  let t: TestApp;
  let admin: string;
  let connectionId: string;
  let inboxId: string;

  beforeAll(async () => {
    // No background work: the flow bot does not answer, so only the visitor's own steps are in the log.
    t = await startTestApp({ backgroundWork: false });
    admin = await t.login();
    inboxId = (await t.request('POST', '/api/inboxes', { token: admin, body: { name: 'Bot chat', agentIds: [] } })).body.id;
    const created = await t.request('POST', `/api/inboxes/${inboxId}/channels`, {
      token: admin,
      body: { type: 'chat', name: 'Shop', settings: { allowedOrigins: [SHOP] } },
    });
    if (created.status !== 201) throw new Error(`connecting chat failed: ${created.status} ${JSON.stringify(created.body)}`);
    connectionId = created.body.id;
  }, 60_000);

  afterAll(async () => {
    await t?.close();
  });

  const route = (path: string) => `/channels/chat/c/${connectionId}/${path}`;
  const frame = { host: 'parley.test', origin: 'http://parley.test', referer: `http://parley.test/channels/chat/c/x/frame?origin=${encodeURIComponent(SHOP)}` };
  async function visitorWith(text: string): Promise<{ token: string; conversationId: string }> {
    const token = (await t.request('POST', route('session'), { body: { origin: SHOP }, headers: frame })).body.token as string;
    const sent = await t.request('POST', route('messages'), {
      body: { text, clientMessageId: 'm-1' },
      headers: { ...frame, authorization: `Bearer ${token}` },
    });
    expect(sent.status).toBe(201);
    const session = await t.request('POST', route('session'), { body: { token }, headers: frame });
    return { token, conversationId: session.body.conversation.id as string };
  }
  const handoff = (token: string) => t.request('POST', route('handoff'), { body: {}, headers: { ...frame, authorization: `Bearer ${token}` } });
  const history = async (id: string) =>
    (await t.request('GET', `/api/conversations/${id}/history`, { token: admin })).body.events as Array<{
      type: string;
      actor: { type: string };
      data: Record<string, unknown>;
    }>;

  it('without a bot the request changes nothing', async () => {
    const { token, conversationId } = await visitorWith('No bot here');
    expect((await handoff(token)).status).toBe(204);
    expect((await history(conversationId)).map((e) => e.type)).not.toContain('BotHandoffRequested');
  });

  it('while the bot holds the chat: recorded once, as the visitor, and the bot lets go; a chat an agent took, or in Trash, is left alone', async () => {
    const botId = 'b0000000-0000-4000-8000-0000000000a1';
    const executor = t.app.get(CommandExecutor);
    const flow = { startStepId: 'hi', steps: [{ id: 'hi', type: 'message' as const, text: 'Hi' }] };
    await executor.execute(
      streams.bot(botId),
      botDecider,
      { type: 'CreateBot', data: { botId, inboxId, name: 'Shop bot', kind: 'flow', channels: [], flow, webhookUrl: null, webhookSecret: null } },
      systemContext(),
    );
    await executor.execute(streams.bot(botId), botDecider, { type: 'ActivateBot', data: {} }, systemContext());

    const { token, conversationId } = await visitorWith('Hello bot');
    expect((await t.request('GET', `/api/conversations/${conversationId}`, { token: admin })).body.assignee).toEqual({ type: 'bot' });
    const session = await t.request('POST', route('session'), { body: { token }, headers: frame });
    expect(session.body.conversation).toEqual({ id: conversationId, status: 'open', heldByBot: true });

    expect((await handoff(token)).status).toBe(204);
    expect((await handoff(token)).status).toBe(204);
    const events = await history(conversationId);
    const asked = events.filter((e) => e.type === 'BotHandoffRequested');
    expect(asked).toHaveLength(1);
    expect(asked[0]!.actor.type).toBe('contact');
    expect(events.find((e) => e.type === 'ConversationUnassigned')?.data).toEqual({ previous: { type: 'bot' }, reason: 'bot-handoff' });
    expect((await t.request('GET', `/api/conversations/${conversationId}`, { token: admin })).body.assignee).toBeNull();

    // An agent took the chat from the bot, or it went to Trash: nothing.
    const me = (await t.request('GET', '/api/me', { token: admin })).body;
    const taken = await visitorWith('Another question');
    expect((await t.request('POST', `/api/conversations/${taken.conversationId}/assign`, { token: admin, body: { assignee: me.id } })).status).toBe(200);
    const trashed = await visitorWith('A third question');
    expect((await t.request('POST', `/api/conversations/${trashed.conversationId}/trash`, { token: admin })).status).toBe(200);
    for (const chat of [taken, trashed]) {
      const before = (await history(chat.conversationId)).length;
      expect((await handoff(chat.token)).status).toBe(204);
      expect(await history(chat.conversationId)).toHaveLength(before);
    }
  });
});
