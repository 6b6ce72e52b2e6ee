import { createTransport } from 'nodemailer';
import { ManualClock, startTestApp, type TestApp } from '../../support/app-harness';
import { SmtpSink } from './support/smtp-sink';

/**
 * The email channel inside a whole Parley, as a person uses it: a mail client sends to the SMTP
 * port, the message appears in the inbox over the API, an agent's reply leaves through the relay
 * threaded under it, the customer's answer lands in the same conversation; compose and forward
 * go out too; a relay that is down leaves the reply queued and retrying until it is back.
 */
describe('email channel end to end (SMTP in, relay out)', () => {
  const relay = new SmtpSink();
  const clock = new ManualClock(new Date());
  let t: TestApp;
  let token: string;

  beforeAll(async () => {
    await relay.start();
    t = await startTestApp({ clock, env: { SMTP_RELAY_URL: relay.url, PARLEY_INBOX_EMAIL: 'support@parley.test' } });
    token = await t.login();
  });
  afterAll(async () => {
    await t?.close();
    await relay.stop();
  });

  const get = (url: string) => t.request('GET', url, { token });
  const post = (url: string, body: unknown) => t.request('POST', url, { token, body });
  const mailClient = () => createTransport({ host: '127.0.0.1', port: t.smtpPort, secure: false, ignoreTLS: true });
  const customerSends = (mail: Record<string, unknown>) => mailClient().sendMail({ from: 'Jane Roe <jane@customer.test>', to: 'support@parley.test', ...mail });

  async function conversationWithSubject(subject: string, view = 'all-open') {
    const res = await get(`/api/views/${view}/conversations?limit=200`);
    return res.body.items.find((c: { subject: string }) => c.subject === subject) as { id: string } | undefined;
  }

  async function until<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 10_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await probe();
      if (value) return value;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  const deliveryOf = (conversationId: string, messageId: string, status: string) =>
    until(`delivery ${status}`, async () => {
      const detail = await get(`/api/conversations/${conversationId}`);
      const message = detail.body.messages.find((m: { id: string }) => m.id === messageId);
      return message?.delivery?.status === status ? message.delivery : undefined;
    });

  it('a mail client sends to the SMTP port: the message is in the inbox, sanitised, with its original kept', async () => {
    const info = await customerSends({
      subject: 'Order 1042',
      text: 'Where is my order?',
      html: '<p>Where is my <b>order</b>?<script>alert(1)</script></p>',
      messageId: '<order-1042@customer.test>',
    });
    expect(info.response).toMatch(/^250 /);

    const summary = await conversationWithSubject('Order 1042');
    expect(summary).toBeDefined();
    expect((await get('/api/views/email/conversations')).body.items.map((c: { id: string }) => c.id)).toContain(summary!.id);
    const detail = await get(`/api/conversations/${summary!.id}`);
    expect(detail.body).toMatchObject({
      channel: 'email',
      origin: 'inbound',
      contact: { address: 'jane@customer.test', name: 'Jane Roe' },
      awaitingReply: true,
    });
    const [message] = detail.body.messages;
    expect(message).toMatchObject({
      direction: 'in',
      from: { address: 'jane@customer.test', name: 'Jane Roe' },
      text: 'Where is my order?',
      html: '<p>Where is my <b>order</b>?</p>',
    });
    const original = message.attachments.find((a: { filename: string }) => a.filename === 'original.eml');
    expect(original).toMatchObject({ contentType: 'message/rfc822', id: expect.stringMatching(/^sha256:/) });
    const blob = await get(`/api/channels/email/blobs/${original.id}`);
    expect(blob.status).toBe(200);
    expect(String(blob.body)).toContain('Message-ID: <order-1042@customer.test>');
    expect((await t.request('GET', `/api/channels/email/blobs/${original.id}`)).status).toBe(401);

    // The same mail again (the sending server retried): nothing new.
    await customerSends({ subject: 'Order 1042', text: 'Where is my order?', messageId: '<order-1042@customer.test>' });
    expect((await get(`/api/conversations/${summary!.id}`)).body.messages).toHaveLength(1);
  });

  it('mail from a role address (newsletter@, noreply@ …) lands in Spam, not in the team queue', async () => {
    await mailClient().sendMail({ from: 'Deals <newsletter@brand.test>', to: 'support@parley.test', subject: 'November deals', text: 'Fifty percent off.' });
    expect(await conversationWithSubject('November deals', 'spam')).toBeDefined();
    expect(await conversationWithSubject('November deals', 'all-open')).toBeUndefined();
  });

  it("an agent's reply goes out threaded under the customer's mail; the customer's answer lands in the same conversation", async () => {
    const { id } = (await conversationWithSubject('Order 1042'))!;
    const reply = await post(`/api/conversations/${id}/replies`, { text: 'It left our warehouse today.' });
    expect(reply.status).toBe(201);
    await deliveryOf(id, reply.body.messageId, 'delivered');

    const sent = relay.received.find((m) => m.parsed.messageId === `<${reply.body.messageId}@parley.test>`)!;
    expect(sent.envelope).toEqual({ from: 'support@parley.test', to: ['jane@customer.test'] });
    expect(sent.parsed.subject).toBe('Re: Order 1042');
    expect(sent.parsed.inReplyTo).toBe('<order-1042@customer.test>');
    expect(sent.parsed.references).toBe('<order-1042@customer.test>');
    expect(sent.parsed.text).toMatch(
      /^It left our warehouse today\.\n\n-- \n.*\nsupport@parley\.test\n\nOn .*, Jane Roe <jane@customer\.test> wrote:\n> Where is my order\?\n$/,
    );

    await customerSends({
      subject: 'Re: Order 1042',
      text: 'Great, thanks!',
      inReplyTo: sent.parsed.messageId,
      references: ['<order-1042@customer.test>', sent.parsed.messageId!],
    });
    const detail = await get(`/api/conversations/${id}`);
    expect(detail.body.messages.map((m: { direction: string; text: string }) => [m.direction, m.text])).toEqual([
      ['in', 'Where is my order?'],
      ['out', 'It left our warehouse today.'],
      ['in', 'Great, thanks!'],
    ]);
  });

  it('a composed email waits in Sent, goes out, and moves to All open when the contact answers (rule 3)', async () => {
    const composed = await post('/api/emails', { to: 'lea@prospect.test', subject: 'Your quote', text: 'Here is the quote you asked for.' });
    expect(composed.status).toBe(201);
    const { conversationId, messageId } = composed.body;
    expect(await conversationWithSubject('Your quote', 'sent')).toBeDefined();
    await deliveryOf(conversationId, messageId, 'delivered');
    const sent = relay.received.find((m) => m.parsed.messageId === `<${messageId}@parley.test>`)!;
    expect(sent.envelope.to).toEqual(['lea@prospect.test']);
    expect(sent.parsed.inReplyTo).toBeUndefined();

    await mailClient().sendMail({
      from: 'lea@prospect.test',
      to: 'support@parley.test',
      subject: 'Re: Your quote',
      text: 'Looks good, let us talk.',
      inReplyTo: sent.parsed.messageId,
    });
    expect(await conversationWithSubject('Your quote', 'sent')).toBeUndefined();
    expect((await conversationWithSubject('Your quote', 'all-open'))?.id).toBe(conversationId);
    expect((await get(`/api/conversations/${conversationId}`)).body.messages).toHaveLength(2);
  });

  it('a forward reaches the outside address with the note and the thread', async () => {
    const { id } = (await conversationWithSubject('Order 1042'))!;
    const forward = await post(`/api/conversations/${id}/forward`, { to: 'bob@partner.test', note: 'Bob, is this the right warehouse?' });
    expect(forward.status).toBe(201);
    const sent = await until('the forward at the relay', async () =>
      relay.received.find((m) => m.parsed.messageId === `<${forward.body.messageId}@parley.test>`),
    );
    expect(sent.envelope.to).toEqual(['bob@partner.test']);
    expect(sent.parsed.subject).toBe('Fwd: Order 1042');
    expect(sent.parsed.text).toMatch(
      /^Bob, is this the right warehouse\?\n\n---------- Forwarded conversation ----------\n[\s\S]*Where is my order\?[\s\S]*It left our warehouse today\.[\s\S]*Great, thanks!/,
    );
    expect(sent.parsed.inReplyTo).toBeUndefined();
  });

  it('relay down: the reply stays queued and shows "retrying"; once the relay is back it goes out', async () => {
    const { id } = (await conversationWithSubject('Order 1042'))!;
    await relay.stop();
    const reply = await post(`/api/conversations/${id}/replies`, { text: 'One more thing.' });
    const retrying = await deliveryOf(id, reply.body.messageId, 'retrying');
    expect(retrying.reason).toMatch(/could not be reached|ECONNREFUSED/);

    await relay.start();
    clock.advance(5 * 60 * 1000); // past the job's backoff
    await deliveryOf(id, reply.body.messageId, 'delivered');
    const sent = relay.received.filter((m) => m.parsed.messageId === `<${reply.body.messageId}@parley.test>`);
    expect(sent).toHaveLength(1);
    expect(sent[0].parsed.inReplyTo).toMatch(/^<.+>$/);
  });
});
