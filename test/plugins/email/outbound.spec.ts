import { createServer, type Server } from 'node:net';
import { createTransport } from 'nodemailer';
import type { OutboundMessage } from '../../../src/plugins/channel-plugin';
import { createEmailPlugin, type EmailPlugin } from '../../../src/plugins/email/email-plugin';
import { classifySendError } from '../../../src/plugins/email/outbound/email-sender';
import { MemoryKeyValueStore } from '../../../src/plugins/email/storage/key-value-store';
import { FakeHost } from './support/fake-host';
import { SmtpSink } from './support/smtp-sink';

const INBOX = { address: 'support@parley.test', name: 'Acme Support' };
const JANE = { address: 'jane@customer.test', name: 'Jane Roe' };

let sequence = 0;
function outbound(overrides: Partial<OutboundMessage> = {}): OutboundMessage {
  sequence += 1;
  return {
    conversationId: '11111111-1111-4111-8111-111111111111',
    messageId: `00000000-0000-4000-8000-${String(sequence).padStart(12, '0')}`,
    channel: 'email',
    conversationChannel: 'email',
    to: [JANE],
    from: INBOX,
    subject: 'Re: Order 1042',
    text: 'It left our warehouse today.\nTracking: 12345',
    thread: { externalThreadId: '<a@customer.test>', externalMessageIds: ['<a@customer.test>', '<b@customer.test>'] },
    kind: 'reply',
    ...overrides,
  };
}

describe('email channel: outbound', () => {
  const sink = new SmtpSink();
  let host: FakeHost;
  let plugin: EmailPlugin;

  async function connect(relayUrl: string | null = sink.url, timeouts = { connectionMs: 1000, greetingMs: 1000, socketMs: 2000 }) {
    host = new FakeHost();
    plugin = createEmailPlugin({
      smtpPort: 0,
      smtpHost: '127.0.0.1',
      storage: new MemoryKeyValueStore(),
      inboxEmail: 'support@parley.test',
      relayUrl,
      relayTimeouts: timeouts,
      smtpCloseTimeoutMs: 300,
    });
    await plugin.connect(host.connection);
    await host.start();
  }
  const receive = (mail: Record<string, unknown>) =>
    createTransport({ host: '127.0.0.1', port: plugin.smtpPort(), secure: false, ignoreTLS: true }).sendMail({
      from: `${JANE.name} <${JANE.address}>`,
      to: INBOX.address,
      ...mail,
    });

  beforeAll(() => sink.start());
  afterAll(() => sink.stop());
  beforeEach(() => {
    sink.received.length = 0;
    sink.rcptReply = null;
    sink.hang = false;
  });
  afterEach(async () => {
    await host.stop();
    await plugin.disconnect?.();
  });

  it('sends a reply from the inbox address, threaded under the customer message, with signature and quoted history', async () => {
    await connect();
    await receive({ subject: 'Order 1042', text: 'Where is my order?\nIt is <late>.', messageId: '<a@customer.test>' });
    await receive({ subject: 'Re: Order 1042', text: 'Any news?', messageId: '<b@customer.test>', inReplyTo: '<a@customer.test>' });

    const reply = outbound();
    const result = await plugin.send!(reply);
    const messageId = `<${reply.messageId}@parley.test>`;
    expect(result).toEqual({ status: 'delivered', externalMessageId: messageId });

    expect(sink.received).toHaveLength(1);
    const [{ envelope, parsed }] = sink.received;
    expect(envelope).toEqual({ from: 'support@parley.test', to: ['jane@customer.test'] });
    expect(parsed.from?.value).toEqual([{ address: 'support@parley.test', name: 'Acme Support' }]);
    expect(parsed.to).toMatchObject({ value: [{ address: 'jane@customer.test', name: 'Jane Roe' }] });
    expect(parsed.subject).toBe('Re: Order 1042');
    expect(parsed.messageId).toBe(messageId);
    expect(parsed.inReplyTo).toBe('<b@customer.test>');
    expect(parsed.references).toEqual(['<a@customer.test>', '<b@customer.test>']);
    expect(parsed.headers.get('x-parley-conversation-id')).toBe(reply.conversationId);
    const lines = parsed.text!.split('\n');
    expect(lines.slice(0, 7)).toEqual(['It left our warehouse today.', 'Tracking: 12345', '', '-- ', 'Acme Support', 'support@parley.test', '']);
    expect(lines[7]).toMatch(/^On .+ GMT, Jane Roe <jane@customer\.test> wrote:$/);
    expect(lines.slice(8)).toEqual(['> Any news?', '']);
    expect(parsed.html).toContain('<p>It left our warehouse today.<br>Tracking: 12345</p>');
    expect(parsed.html).toMatch(/<blockquote type="cite"[^>]*>Any news\?<br><\/blockquote>/);
  });

  it('escapes what it quotes in the HTML part, and sanitises the agent HTML', async () => {
    await connect();
    await receive({ subject: 'XSS', text: 'Look: <script>alert(1)</script>', messageId: '<xss@customer.test>' });
    await plugin.send!(
      outbound({
        html: '<p>Hi <img src=x onerror=alert(2)><script>alert(3)</script></p>',
        thread: { externalThreadId: '<xss@customer.test>', externalMessageIds: ['<xss@customer.test>'] },
      }),
    );
    const { html } = sink.received[0].parsed;
    expect(html).toContain('Look: &lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).not.toMatch(/<script|onerror|alert\(2\)|alert\(3\)/);
    expect(html).toContain('<p>Hi <img /></p>');
  });

  it('a retried send carries the same Message-ID', async () => {
    await connect();
    const reply = outbound();
    await plugin.send!(reply);
    await plugin.send!(reply);
    expect(sink.received.map((m) => m.parsed.messageId)).toEqual([`<${reply.messageId}@parley.test>`, `<${reply.messageId}@parley.test>`]);
  });

  it("the customer's answer to a reply comes back into the same thread, even when only In-Reply-To is kept", async () => {
    await connect();
    await receive({ subject: 'Order 1042', text: 'Where is my order?', messageId: '<a@customer.test>' });
    const reply = outbound({ thread: { externalThreadId: '<a@customer.test>', externalMessageIds: ['<a@customer.test>'] } });
    await plugin.send!(reply);
    await receive({ subject: 'Re: Re: Order 1042', text: 'Thanks!', messageId: '<c@customer.test>', inReplyTo: `<${reply.messageId}@parley.test>` });
    expect(host.messages.map((m) => m.externalThreadId)).toEqual(['<a@customer.test>', '<a@customer.test>']);
  });

  it('our own email coming back in (Bcc to the inbox) is not stored as a message from the contact', async () => {
    await connect();
    const reply = outbound();
    await plugin.send!(reply);
    const { raw } = sink.received[0];
    await createTransport({ host: '127.0.0.1', port: plugin.smtpPort(), secure: false, ignoreTLS: true }).sendMail({
      envelope: { from: INBOX.address, to: [INBOX.address] },
      raw,
    });
    expect(host.messages).toHaveLength(0);
  });

  it('a composed email starts a thread of its own: no In-Reply-To, and the answer finds it', async () => {
    await connect();
    const composed = outbound({
      kind: 'compose',
      subject: 'Your quote',
      text: 'Here is the quote you asked for.',
      thread: { externalThreadId: 'compose-root', externalMessageIds: [] },
    });
    const threadKey = `<${composed.messageId}@parley.test>`;
    composed.thread.externalThreadId = threadKey;
    await plugin.send!(composed);
    const sent = sink.received[0].parsed;
    expect(sent.messageId).toBe(threadKey);
    expect(sent.inReplyTo).toBeUndefined();
    expect(sent.references).toBeUndefined();
    expect(sent.text).not.toMatch(/wrote:/);
    // The contact answers from a client that drops In-Reply-To but keeps References.
    await receive({ subject: 'Re: Your quote', text: 'Looks good', messageId: '<answer@customer.test>', references: [threadKey] });
    expect(host.messages[0].externalThreadId).toBe(threadKey);
  });

  it('a forward goes to the outside address as a new email; an answer to it joins the conversation', async () => {
    await connect();
    const forward = outbound({
      kind: 'forward',
      to: [{ address: 'bob@partner.test' }],
      subject: 'Fwd: Order 1042',
      text: 'Bob, can you check?\n\n---------- Forwarded conversation ----------\nFrom: Jane Roe <jane@customer.test>\n\nWhere is my order?',
    });
    await plugin.send!(forward);
    const sent = sink.received[0];
    expect(sent.envelope.to).toEqual(['bob@partner.test']);
    expect(sent.parsed.subject).toBe('Fwd: Order 1042');
    expect(sent.parsed.inReplyTo).toBeUndefined();
    expect(sent.parsed.text).toContain('---------- Forwarded conversation ----------');
    await createTransport({ host: '127.0.0.1', port: plugin.smtpPort(), secure: false, ignoreTLS: true }).sendMail({
      from: 'bob@partner.test',
      to: INBOX.address,
      subject: 'Re: Fwd: Order 1042',
      text: 'Checked, it is fine.',
      inReplyTo: `<${forward.messageId}@parley.test>`,
    });
    expect(host.messages[0].externalThreadId).toBe('<a@customer.test>');

    // The next reply to the customer names neither the forward nor Bob's answer (the delivery job lists every id).
    const forwardId = `<${forward.messageId}@parley.test>`;
    const bobsAnswer = host.messages[0].externalMessageId;
    await plugin.send!(outbound({ thread: { externalThreadId: '<a@customer.test>', externalMessageIds: ['<a@customer.test>', forwardId, bobsAnswer] } }));
    expect(sink.received[1].parsed.references).toBe('<a@customer.test>');
    expect(sink.received[1].raw.toString()).not.toContain(forward.messageId);
    expect(sink.received[1].raw.toString()).not.toContain(bobsAnswer);
  });

  describe('failures are classified for the delivery job', () => {
    it('a recipient refused with 5xx is permanent; 4xx is retryable', async () => {
      await connect();
      sink.rcptReply = { code: 550, message: '5.1.1 User unknown' };
      expect(await plugin.send!(outbound())).toEqual({ status: 'failed', retryable: false, reason: expect.stringMatching(/550.*User unknown/) });
      sink.rcptReply = { code: 451, message: '4.7.1 Greylisted, try again' };
      expect(await plugin.send!(outbound())).toEqual({ status: 'failed', retryable: true, reason: expect.stringMatching(/451.*Greylisted/) });
    });

    it('the relay down (connection refused) is retryable; once it is back the same message goes out', async () => {
      const relay = new SmtpSink();
      const port = await relay.start();
      await relay.stop();
      await connect(`smtp://127.0.0.1:${port}`);
      const reply = outbound();
      expect(await plugin.send!(reply)).toEqual({ status: 'failed', retryable: true, reason: expect.stringMatching(/ECONNREFUSED|could not be reached/) });
      await relay.start(port);
      try {
        expect(await plugin.send!(reply)).toEqual({ status: 'delivered', externalMessageId: `<${reply.messageId}@parley.test>` });
        expect(relay.received).toHaveLength(1);
      } finally {
        await relay.stop();
      }
    });

    it('a relay that never answers times out, retryably', async () => {
      const silent: Server = createServer(() => undefined);
      await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
      const { port } = silent.address() as { port: number };
      await connect(`smtp://127.0.0.1:${port}`, { connectionMs: 300, greetingMs: 300, socketMs: 300 });
      try {
        expect(await plugin.send!(outbound())).toEqual({ status: 'failed', retryable: true, reason: expect.stringMatching(/ETIMEDOUT|timeout|timed out/i) });
      } finally {
        silent.close();
      }
    });

    it('credentials the relay refuses are permanent', async () => {
      const guarded = new SmtpSink({
        authOptional: false,
        onAuth: (_auth, _session, callback) => callback(Object.assign(new Error('5.7.8 Authentication credentials invalid'), { responseCode: 535 })),
      });
      const port = await guarded.start();
      await connect(`smtp://parley:wrong@127.0.0.1:${port}`);
      try {
        expect(await plugin.send!(outbound())).toEqual({ status: 'failed', retryable: false, reason: expect.stringMatching(/535/) });
      } finally {
        await guarded.stop();
      }
    });

    it('never puts the relay password in a failure reason or a log, also when the user name holds an @', async () => {
      // A relay that quotes what it was given back in its refusal.
      const echoing = new SmtpSink({
        authOptional: false,
        onAuth: (auth, _session, callback) =>
          callback(Object.assign(new Error(`5.7.8 Bad credentials ${auth.username}:${auth.password}`), { responseCode: 535 })),
      });
      const port = await echoing.start();
      await connect(`smtp://relay%40acme.test:relay-pw-77@127.0.0.1:${port}`);
      try {
        const result = await plugin.send!(outbound());
        expect(result).toEqual({ status: 'failed', retryable: false, reason: expect.stringMatching(/535/) });
        expect(JSON.stringify(result)).not.toContain('relay-pw-77');
        expect(host.logs.length).toBeGreaterThan(0);
        expect(
          JSON.stringify(host.logs, (_key, value: unknown) => (value instanceof Error ? { ...value, message: value.message, stack: value.stack } : value)),
        ).not.toContain('relay-pw-77');
      } finally {
        await echoing.stop();
      }
    });

    it('no relay configured: retryable, saying which setting is missing', async () => {
      await connect(null);
      expect(await plugin.send!(outbound())).toEqual({ status: 'failed', retryable: true, reason: expect.stringMatching(/SMTP_RELAY_URL/) });
    });

    it('nothing to send to, or nothing to send from, is permanent', async () => {
      await connect();
      expect(await plugin.send!(outbound({ to: [{ address: 'visitor-123' }] }))).toEqual({
        status: 'failed',
        retryable: false,
        reason: expect.stringMatching(/no email address to send to/),
      });
      await host.stop();
      host = new FakeHost();
      plugin = createEmailPlugin({ smtpPort: 0, smtpHost: '127.0.0.1', storage: new MemoryKeyValueStore(), relayUrl: sink.url });
      await plugin.connect(host.connection);
      expect(await plugin.send!(outbound({ from: undefined }))).toEqual({
        status: 'failed',
        retryable: false,
        reason: expect.stringMatching(/no email address to send from/),
      });
      expect(sink.received).toHaveLength(0);
    });

    it.each([
      [{ code: 'ECONNECTION' }, true],
      [{ code: 'ETIMEDOUT' }, true],
      [{ code: 'ESOCKET', errno: -111 }, true],
      [{ code: 'EDNS' }, true],
      [{ code: 'EENVELOPE', responseCode: 550 }, false],
      [{ code: 'EMESSAGE', responseCode: 552 }, false],
      [{ code: 'EMESSAGE', responseCode: 452 }, true],
      [{ code: 'EPROTOCOL', responseCode: 503 }, true],
      [{ code: 'EAUTH', responseCode: 535 }, false],
      [{ code: 'ECONFIG' }, false],
      [new Error('something odd'), true],
    ])('%j -> retryable %s', (error, retryable) => {
      expect(classifySendError(error)).toMatchObject({ status: 'failed', retryable });
    });
  });
});
