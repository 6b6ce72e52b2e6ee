import { createTransport } from 'nodemailer';
import type { ChannelHostConnection, InboundMessage, OutboundMessage } from '../../../src/plugins/channel-plugin';
import { createEmailPlugin, type EmailPlugin } from '../../../src/plugins/email/email-plugin';
import { MemoryKeyValueStore } from '../../../src/plugins/email/storage/key-value-store';
import { FakeHost } from './support/fake-host';
import { SmtpSink } from './support/smtp-sink';

const INBOX = { address: 'support@parley.test', name: 'Acme Support' };
const VERA = { address: 'vera@customer.test', name: 'Vera' };
const CHAT_CONVERSATION = '22222222-2222-4222-8222-222222222222';

let sequence = 0;
function chatReplyByEmail(overrides: Partial<OutboundMessage> = {}): OutboundMessage {
  sequence += 1;
  return {
    conversationId: CHAT_CONVERSATION,
    messageId: `00000000-0000-4000-8000-${String(sequence).padStart(12, '0')}`,
    channel: 'email',
    conversationChannel: 'chat',
    to: [VERA],
    from: INBOX,
    subject: 'Re: Shipping to Norway',
    text: 'Yes, in 3-5 days.',
    thread: { externalThreadId: 'chat-session-7', externalMessageIds: ['chat-session-7-1', 'chat-session-7-2'] },
    kind: 'reply',
    ...overrides,
  };
}

/** Rule 12 in the email channel: the answer to a chat's reply by email is ingested as continuing the chat. */
describe('email channel: answers to a chat answered by email', () => {
  const sink = new SmtpSink();
  let host: FakeHost;
  let plugin: EmailPlugin;
  /** What the plugin handed to ingest, in order (the host's idempotency applies to what it stores). */
  let ingested: InboundMessage[];
  /** Refuse ingests that continue a conversation, as the core does when it may not be continued. */
  let refuseContinuing = false;

  async function connect() {
    host = new FakeHost();
    ingested = [];
    const connection: ChannelHostConnection = {
      ...host.connection,
      ingest: async (message, options) => {
        ingested.push(message);
        if (refuseContinuing && message.continuesConversationId) {
          throw Object.assign(new Error(`continuesConversationId ${message.continuesConversationId} was never answered on email`), { statusCode: 400 });
        }
        return host.connection.ingest(message, options);
      },
    };
    plugin = createEmailPlugin({
      smtpPort: 0,
      smtpHost: '127.0.0.1',
      storage: new MemoryKeyValueStore(),
      inboxEmail: INBOX.address,
      relayUrl: sink.url,
      relayTimeouts: { connectionMs: 1000, greetingMs: 1000, socketMs: 2000 },
      smtpCloseTimeoutMs: 300,
    });
    await plugin.connect(connection);
    await host.start();
  }
  const receive = (mail: Record<string, unknown>) =>
    createTransport({ host: '127.0.0.1', port: plugin.smtpPort(), secure: false, ignoreTLS: true }).sendMail({
      from: `${VERA.name} <${VERA.address}>`,
      to: INBOX.address,
      ...mail,
    });

  beforeAll(() => sink.start());
  afterAll(() => sink.stop());
  beforeEach(async () => {
    sink.received.length = 0;
    refuseContinuing = false;
    await connect();
  });
  afterEach(async () => {
    await host.stop();
    await plugin.disconnect?.();
  });

  it('remembers the thread of the reply and ingests the answer with continuesConversationId', async () => {
    const result = await plugin.send!(chatReplyByEmail());
    expect(result.status).toBe('delivered');
    const sent = sink.received.at(-1)!;
    const messageId = sent.parsed.messageId!;

    await receive({
      subject: 'Re: Shipping to Norway',
      text: 'Great, thanks!',
      inReplyTo: messageId,
      references: [messageId],
      messageId: '<v1@customer.test>',
    });
    expect(ingested.at(-1)).toMatchObject({ channel: 'email', continuesConversationId: CHAT_CONVERSATION, externalMessageId: '<v1@customer.test>' });

    // A later email of the same thread (answering her own answer) continues it too.
    await receive({ subject: 'Re: Shipping to Norway', text: 'One more thing', inReplyTo: '<v1@customer.test>', messageId: '<v2@customer.test>' });
    expect(ingested.at(-1)).toMatchObject({ continuesConversationId: CHAT_CONVERSATION, externalMessageId: '<v2@customer.test>' });
    // The remembered thread is in the host's plugin storage, where every instance finds it.
    expect(await host.storage.list('continued-thread/')).toEqual([{ key: expect.any(String), value: { conversationId: CHAT_CONVERSATION, channel: 'chat' } }]);
  });

  it('ingests an ordinary email thread when the conversation may not be continued (deleted forever, another inbox)', async () => {
    refuseContinuing = true;
    await plugin.send!(chatReplyByEmail());
    const messageId = sink.received.at(-1)!.parsed.messageId!;
    const info = await receive({ subject: 'Re: Shipping to Norway', text: 'Hello?', inReplyTo: messageId, messageId: '<v3@customer.test>' });
    expect(info.response).toMatch(/^250 /);
    expect(ingested.map((m) => m.continuesConversationId ?? null)).toEqual([CHAT_CONVERSATION, null]);
    expect(host.messages.at(-1)).toMatchObject({ externalMessageId: '<v3@customer.test>', text: 'Hello?' });
  });

  it("remembers nothing for an email conversation's own replies, or for a transcript", async () => {
    await plugin.send!(chatReplyByEmail({ conversationChannel: 'email', thread: { externalThreadId: '<root@customer.test>', externalMessageIds: [] } }));
    await plugin.send!(chatReplyByEmail({ kind: 'transcript', thread: { externalThreadId: 'chat-session-8', externalMessageIds: [] } }));
    for (const sent of sink.received) {
      await receive({
        subject: 'Re: x',
        text: 'answer',
        inReplyTo: sent.parsed.messageId,
        messageId: `<answer-${sent.parsed.messageId!.slice(1, 9)}@customer.test>`,
      });
    }
    expect(ingested).toHaveLength(2);
    expect(ingested.every((m) => m.continuesConversationId === undefined)).toBe(true);
    expect(await host.storage.list('continued-thread/')).toEqual([]);
  });
});
