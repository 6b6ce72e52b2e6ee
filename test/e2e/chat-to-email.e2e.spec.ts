import { createTransport } from 'nodemailer';
import { CHANNEL_CONNECTION, type ChannelConnection, type InboundMessage } from '../../src/application/ports/channel.port';
import { SmtpSink } from '../plugins/email/support/smtp-sink';
import { startTestApp, type TestApp } from '../support/app-harness';

/**
 * Rule 12 end to end: a chat whose visitor gives an email address is answered by email through the
 * relay (an SMTP sink here), and the visitor's answer, sent by SMTP with In-Reply-To, lands in the
 * SAME conversation. The chat messages come in through the host's channel connection, exactly as
 * the chat plugin's `connection.ingest` hands them over.
 */
describe('chat to email: the answer by email continues the chat (rule 12, e2e)', () => {
  const relay = new SmtpSink();
  let t: TestApp;
  let token: string;
  let channel: ChannelConnection;
  const session = `chat-session-${Date.now()}`;
  let n = 0;

  beforeAll(async () => {
    await relay.start();
    t = await startTestApp({ env: { SMTP_RELAY_URL: relay.url, PARLEY_INBOX_EMAIL: 'support@parley.test' } });
    token = await t.login();
    channel = t.app.get<ChannelConnection>(CHANNEL_CONNECTION);
  });
  afterAll(async () => {
    await t?.close();
    await relay.stop();
  });

  const get = (url: string) => t.request('GET', url, { token });
  const post = (url: string, body: unknown) => t.request('POST', url, { token, body });
  const chatMessage = (from: InboundMessage['from'], text: string, extra: Partial<InboundMessage> = {}): InboundMessage => ({
    channel: 'chat',
    externalThreadId: session,
    externalMessageId: `${session}-${++n}`,
    from,
    to: [],
    text,
    ...extra,
  });
  const mailClient = () => createTransport({ host: '127.0.0.1', port: t.smtpPort, secure: false, ignoreTLS: true });

  async function until<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 10_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await probe();
      if (value) return value;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  it('records the email a visitor gives, answers by email, and takes the emailed answer into the same conversation', async () => {
    // A visitor starts chatting anonymously, then writes from their email address.
    const first = await channel.ingest(chatMessage({ address: 'visitor-4f2a', name: 'Vera' }, 'Do you ship to Norway?'));
    let detail = await get(`/api/conversations/${first.conversationId}`);
    expect(detail.body).toMatchObject({ channel: 'chat', contact: { address: 'visitor-4f2a', name: 'Vera' } });
    expect(detail.body.contact.email).toBeUndefined();
    // Not yet: the visitor's address is no email address.
    expect((await post(`/api/conversations/${first.conversationId}/replies`, { text: 'Yes.', channel: 'email' })).status).toBe(400);

    const second = await channel.ingest(chatMessage({ address: 'vera@customer.test', name: 'Vera' }, 'Write me at vera@customer.test'));
    expect(second).toMatchObject({ conversationId: first.conversationId, duplicate: false });
    detail = await get(`/api/conversations/${first.conversationId}`);
    expect(detail.body.contact).toMatchObject({ address: 'visitor-4f2a', email: 'vera@customer.test' });
    const history = await get(`/api/conversations/${first.conversationId}/history`);
    expect(history.body.events.find((e: { type: string }) => e.type === 'ContactEmailProvided')).toMatchObject({
      data: { address: 'vera@customer.test' },
      actor: { type: 'contact' },
    });

    // "Reply via Email": out through the relay, to the address the visitor gave.
    const reply = await post(`/api/conversations/${first.conversationId}/replies`, { text: 'Yes, in 3-5 days.', channel: 'email' });
    expect(reply.status).toBe(201);
    const sent = await until('the reply at the relay', async () => relay.received.find((m) => m.parsed.text?.includes('Yes, in 3-5 days.')));
    expect(sent.envelope.to).toEqual(['vera@customer.test']);
    const ourMessageId = sent.parsed.messageId!;
    await until('the reply delivered', async () => {
      const d = await get(`/api/conversations/${first.conversationId}`);
      return d.body.messages.find((m: { id: string }) => m.id === reply.body.messageId)?.delivery?.status === 'delivered';
    });

    // The visitor answers the email.
    const info = await mailClient().sendMail({
      from: 'Vera <vera@customer.test>',
      to: 'support@parley.test',
      subject: `Re: ${sent.parsed.subject ?? ''}`,
      text: 'Great, I will order today.',
      inReplyTo: ourMessageId,
      references: [ourMessageId],
      messageId: '<vera-answer-1@customer.test>',
    });
    expect(info.response).toMatch(/^250 /);

    const continued = await until('the answer in the chat conversation', async () => {
      const d = await get(`/api/conversations/${first.conversationId}`);
      return d.body.messages.some((m: { text: string }) => m.text.includes('Great, I will order today.')) ? d.body : undefined;
    });
    expect(continued.channel).toBe('chat');
    expect(continued.messages.map((m: { direction: string; channel: string }) => `${m.direction}:${m.channel}`)).toEqual([
      'in:chat',
      'in:chat',
      'out:email',
      'in:chat',
    ]);
    // No email conversation was started for it.
    const emailView = await get('/api/views/email/conversations?limit=200');
    expect(emailView.body.items.some((c: { contact: { address: string } | null }) => c.contact?.address === 'vera@customer.test')).toBe(false);

    // The same email delivered again stores nothing new.
    await mailClient().sendMail({
      from: 'Vera <vera@customer.test>',
      to: 'support@parley.test',
      subject: 'Re: again',
      text: 'Great, I will order today.',
      inReplyTo: ourMessageId,
      messageId: '<vera-answer-1@customer.test>',
    });
    expect((await get(`/api/conversations/${first.conversationId}`)).body.messages).toHaveLength(4);
  });

  it('refuses a message that claims to continue a conversation never answered on its channel (400)', async () => {
    const chat = await channel.ingest(chatMessage({ address: 'visitor-9' }, 'Hello?', { externalThreadId: `${session}-other` }));
    await expect(
      channel.ingest({
        channel: 'email',
        continuesConversationId: chat.conversationId,
        externalThreadId: '<x@customer.test>',
        externalMessageId: '<x@customer.test>',
        from: { address: 'mallory@evil.test' },
        to: [],
        text: 'let me in',
      }),
    ).rejects.toMatchObject({ message: expect.stringMatching(/was never answered on email/) });
    expect((await get(`/api/conversations/${chat.conversationId}`)).body.messages).toHaveLength(1);
  });
});
