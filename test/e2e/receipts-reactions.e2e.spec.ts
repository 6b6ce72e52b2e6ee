import type { MessageField } from '../../src/application/ports/channel.port';
import type { ChannelHostConnection, ChannelPlugin } from '../../src/plugins/channel-plugin';
import { BUILT_IN_PLUGINS } from '../../src/plugins/registry/built-in-plugins';
import { startTestApp, type TestApp } from '../support/app-harness';

const ICON = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" aria-hidden="true"><circle cx="12" cy="12" r="9"/></svg>';

/**
 * A Meta-like channel of the test's own: its sends are taken at once under an id of the channel's
 * (`out-<message id>`), and the test speaks for its webhook through the host connection it was
 * given: receipts (reportStatus), reactions, fields and spam (ingest).
 */
function receiptChannel(state: { host: ChannelHostConnection | null; sent: string[] }): () => ChannelPlugin {
  return () => ({
    id: 'receipts-test',
    displayName: 'Receipts test',
    icon: ICON,
    channel: 'receipts-test',
    capabilities: { reply: true, html: false, attachments: false, transcript: false, switchToEmail: false, forward: false, compose: false },
    connect(host) {
      state.host = host;
    },
    async send(outbound) {
      state.sent.push(outbound.messageId);
      return { status: 'delivered' as const, externalMessageId: `out-${outbound.messageId}` };
    },
  });
}

/**
 * Receipts, reactions and fields end to end through the HTTP API: a reply goes out, the channel
 * reports it delivered and read (and out of order, and twice), the contact reacts to it and to
 * their own message, a message carries fields, and a message the channel judged spam lands in Spam.
 */
describe('receipts, reactions and fields (e2e)', () => {
  const state: { host: ChannelHostConnection | null; sent: string[] } = { host: null, sent: [] };
  let t: TestApp;
  let token: string;
  let n = 0;

  beforeAll(async () => {
    t = await startTestApp({ builtIns: [...BUILT_IN_PLUGINS, receiptChannel(state)] });
    token = await t.login();
  });
  afterAll(async () => {
    await t?.close();
  });

  const host = () => state.host!;
  const get = (url: string) => t.request('GET', url, { token });
  const post = (url: string, body: unknown = {}) => t.request('POST', url, { token, body });

  async function until<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 10_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await probe();
      if (value) return value;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  type Message = { id: string; delivery: unknown; reactions?: unknown; fields?: unknown };
  const messageOf = async (conversationId: string, messageId: string): Promise<Message> => {
    const detail = await get(`/api/conversations/${conversationId}`);
    return (detail.body.messages as Message[]).find((m) => m.id === messageId)!;
  };

  /** A conversation with one contact message (`in-<thread>`) and one agent reply the channel took. */
  async function conversationWithReply() {
    const thread = `thread-${++n}`;
    const started = await host().ingest({
      channel: 'receipts-test',
      externalThreadId: thread,
      externalMessageId: `in-${thread}`,
      from: { address: '+31612345678', name: 'Ana' },
      to: [],
      text: 'Is my order on its way?',
    });
    const conversationId = started.conversationId;
    const reply = await post(`/api/conversations/${conversationId}/replies`, { text: 'It left this morning.' });
    expect(reply.status).toBe(201);
    const messageId = reply.body.messageId as string;
    await until(
      'the reply taken by the channel',
      async () => ((await messageOf(conversationId, messageId)).delivery as { status: string }).status === 'delivered',
    );
    return { conversationId, messageId, thread };
  }

  it('shows the receipts of a reply, only forward: delivered, read; a late delivered and a repeat change nothing', async () => {
    const { conversationId, messageId } = await conversationWithReply();
    expect((await messageOf(conversationId, messageId)).delivery).toEqual({ status: 'delivered' });

    await host().conversations.reportStatus({ conversationId, messageId, status: 'delivered', at: '2026-12-07T10:00:00.000Z' });
    await until('delivered', async () => ((await messageOf(conversationId, messageId)).delivery as { receipt?: string }).receipt === 'delivered');
    expect((await messageOf(conversationId, messageId)).delivery).toEqual({ status: 'delivered', receipt: 'delivered', at: '2026-12-07T10:00:00.000Z' });

    await host().conversations.reportStatus({ conversationId, messageId, status: 'read', at: '2026-12-07T10:01:00.000Z' });
    await until('read', async () => ((await messageOf(conversationId, messageId)).delivery as { receipt?: string }).receipt === 'read');
    // Out of order and again: recorded nothing (the history shows two receipts).
    await host().conversations.reportStatus({ conversationId, messageId, status: 'delivered', at: '2026-12-07T10:00:30.000Z' });
    await host().conversations.reportStatus({ conversationId, messageId, status: 'read', at: '2026-12-07T10:02:00.000Z' });
    await host().conversations.reportStatus({ conversationId, messageId, status: 'failed', reason: 'too late', at: '2026-12-07T10:03:00.000Z' });
    const history = await get(`/api/conversations/${conversationId}/history`);
    const receipts = (history.body.events as { type: string; data: { status: string } }[]).filter((e) => e.type === 'ReplyStatusReported');
    expect(receipts.map((e) => e.data.status)).toEqual(['delivered', 'read']);
    expect((await messageOf(conversationId, messageId)).delivery).toEqual({ status: 'delivered', receipt: 'read', at: '2026-12-07T10:01:00.000Z' });
  });

  it("a failure the channel reports after taking the reply makes it failed with the channel's reason", async () => {
    const { conversationId, messageId } = await conversationWithReply();
    await host().conversations.reportStatus({
      conversationId,
      messageId,
      status: 'failed',
      reason: 'Message undeliverable (131026)',
      at: '2026-12-07T11:00:00.000Z',
    });
    await until('failed', async () => ((await messageOf(conversationId, messageId)).delivery as { status: string }).status === 'failed');
    expect((await messageOf(conversationId, messageId)).delivery).toEqual({
      status: 'failed',
      reason: 'Message undeliverable (131026)',
      at: '2026-12-07T11:00:00.000Z',
    });
  });

  it('shows reactions on the message they are for, one per contact: replaced, taken away; an unknown message is a 404', async () => {
    const { conversationId, messageId, thread } = await conversationWithReply();
    const react = (id: string, to: string, emoji: string) =>
      host().ingest({
        channel: 'receipts-test',
        externalThreadId: thread,
        externalMessageId: id,
        from: { address: '+31612345678', name: 'Ana' },
        to: [],
        text: '',
        reaction: { toExternalMessageId: to, emoji },
      });
    await react('r1', `out-${messageId}`, '👍');
    await react('r2', `in-${thread}`, '❤️');
    await until('both reactions', async () => (await messageOf(conversationId, messageId)).reactions !== undefined);
    const detail = await get(`/api/conversations/${conversationId}`);
    const [inbound, reply] = detail.body.messages as Message[];
    expect(reply.reactions).toEqual([{ emoji: '👍', from: { address: '+31612345678', name: 'Ana' }, at: expect.any(String) }]);
    await until(
      'the reaction to the contact message',
      async () => ((await messageOf(conversationId, inbound.id)).reactions as unknown[] | undefined)?.length === 1,
    );

    await react('r3', `out-${messageId}`, '🎉');
    await until('replaced', async () => JSON.stringify((await messageOf(conversationId, messageId)).reactions).includes('🎉'));
    expect(((await messageOf(conversationId, messageId)).reactions as unknown[]).length).toBe(1);
    // The same reaction redelivered changes nothing; an empty one takes it away.
    expect((await react('r3', `out-${messageId}`, '🎉')).duplicate).toBe(true);
    await react('r4', `out-${messageId}`, '');
    await until('taken away', async () => (await messageOf(conversationId, messageId)).reactions === undefined);
    // Still the contact's messages: no message rows for reactions.
    expect((await get(`/api/conversations/${conversationId}`)).body.messages).toHaveLength(2);

    await expect(react('r5', 'out-unknown', '👍')).rejects.toMatchObject({ statusCode: 404 });
  });

  it('keeps fields with the message, and a message the channel judged spam lands in Spam', async () => {
    const fields: MessageField[] = [
      { key: 'order', label: { en: 'Order number', nl: 'Bestelnummer' }, value: 'A-1001' },
      { key: 'map', label: { en: 'Location' }, value: 'Dam 1', url: 'https://maps.example/?q=52.37,4.89' },
    ];
    const form = await host().ingest({
      channel: 'receipts-test',
      externalThreadId: `form-${++n}`,
      externalMessageId: `form-${n}`,
      from: { address: 'ana@customer.test', name: 'Ana' },
      to: [],
      text: 'Please call me back',
      fields,
    });
    const detail = await until('the message', async () => {
      const d = await get(`/api/conversations/${form.conversationId}`);
      return d.status === 200 && d.body;
    });
    expect(detail.messages[0].fields).toEqual(fields);

    const spam = await host().ingest({
      channel: 'receipts-test',
      externalThreadId: `form-${++n}`,
      externalMessageId: `form-${n}`,
      from: { address: 'bot@spam.test' },
      to: [],
      text: 'Cheap watches',
      spam: true,
    });
    const summary = await until('in Spam', async () => {
      const d = await get(`/api/conversations/${spam.conversationId}`);
      return d.status === 200 && d.body.spam === true && d.body;
    });
    expect(summary.spam).toBe(true);
    const history = await get(`/api/conversations/${spam.conversationId}/history`);
    expect((history.body.events as { type: string; data: unknown }[]).find((e) => e.type === 'ConversationMarkedAsSpam')?.data).toEqual({ reason: 'channel' });
  });
});
