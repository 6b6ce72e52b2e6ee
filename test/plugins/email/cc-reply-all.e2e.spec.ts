import { createTransport } from 'nodemailer';
import { inbound, startTestApp, type TestApp, until } from '../../support/app-harness';
import { SmtpSink } from './support/smtp-sink';

/**
 * Issue 16 §2: the Cc'd people of an email thread are its participants (the list counts them, the
 * thread shows the Cc), and a reply can go to all of them: To the contact, Cc the others, never
 * the inbox itself. A real SMTP session in, the relay's SMTP sink out.
 */
describe('email: Cc participants and reply-all', () => {
  const relay = new SmtpSink();
  let t: TestApp;
  let token: string;

  beforeAll(async () => {
    await relay.start();
    t = await startTestApp({ env: { SMTP_RELAY_URL: relay.url, PARLEY_INBOX_EMAIL: 'support@parley.test' } });
    token = await t.login();
  });
  afterAll(async () => {
    await t?.close();
    await relay.stop();
  });

  const get = (url: string) => t.request('GET', url, { token });
  const reply = (id: string, body: Record<string, unknown>) => t.request('POST', `/api/conversations/${id}/replies`, { token, body });

  /** Jane writes to the inbox, copying Piet, Mia and (again) the inbox itself. */
  async function ccThread(subject: string): Promise<string> {
    await createTransport({ host: '127.0.0.1', port: t.smtpPort, secure: false, ignoreTLS: true }).sendMail({
      from: 'Jane Roe <jane@customer.test>',
      to: 'support@parley.test',
      cc: ['Piet Jansen <piet@customer.test>', 'mia@partner.test', 'Support <SUPPORT@parley.test>'],
      subject,
      text: 'Piet and Mia need the answer too.',
    });
    return until(`conversation ${subject}`, async () => {
      const list = await get('/api/views/all-open/conversations?limit=200');
      return list.body.items.find((c: { subject: string }) => c.subject === subject)?.id as string | undefined;
    });
  }

  it("makes the Cc'd people participants (never the inbox) and shows the Cc on the message", async () => {
    const id = await ccThread('Order 1042 for three');
    const list = await get('/api/views/all-open/conversations?limit=200');
    const row = list.body.items.find((c: { id: string }) => c.id === id);
    expect(row.participants).toEqual([
      { address: 'jane@customer.test', name: 'Jane Roe' },
      { address: 'piet@customer.test', name: 'Piet Jansen' },
      { address: 'mia@partner.test' },
    ]);
    const detail = await get(`/api/conversations/${id}`);
    expect(detail.body.messages[0].to).toEqual([{ address: 'support@parley.test' }]);
    expect(detail.body.messages[0].cc).toEqual([{ address: 'piet@customer.test', name: 'Piet Jansen' }, { address: 'mia@partner.test' }]);
  });

  it('sends reply-all with To the contact and Cc the others through SMTP, and records it on the reply', async () => {
    const id = await ccThread('Delivery address for three');
    const sent = await reply(id, { text: 'Noted for all of you.', to: ['jane@customer.test'], cc: ['piet@customer.test', 'mia@partner.test'] });
    expect(sent.status).toBe(201);
    const mail = await until('reply-all at the relay', async () => relay.received.find((m) => m.parsed.messageId === `<${sent.body.messageId}@parley.test>`));
    expect(mail.parsed.to).toMatchObject({ value: [{ address: 'jane@customer.test', name: 'Jane Roe' }] });
    expect(mail.parsed.cc).toMatchObject({
      value: [
        { address: 'piet@customer.test', name: 'Piet Jansen' },
        { address: 'mia@partner.test', name: '' },
      ],
    });
    expect(mail.envelope.to.sort()).toEqual(['jane@customer.test', 'mia@partner.test', 'piet@customer.test']);

    const detail = await get(`/api/conversations/${id}`);
    const out = detail.body.messages.find((m: { id: string }) => m.id === sent.body.messageId);
    expect(out.to).toEqual([{ address: 'jane@customer.test', name: 'Jane Roe' }]);
    expect(out.cc).toEqual([{ address: 'piet@customer.test', name: 'Piet Jansen' }, { address: 'mia@partner.test' }]);
  });

  it('a plain reply still goes to the contact alone, without a Cc header', async () => {
    const id = await ccThread('Just Jane');
    const sent = await reply(id, { text: 'Only for you, Jane.' });
    expect(sent.status).toBe(201);
    const mail = await until('the reply at the relay', async () => relay.received.find((m) => m.parsed.messageId === `<${sent.body.messageId}@parley.test>`));
    expect(mail.parsed.to).toMatchObject({ value: [{ address: 'jane@customer.test' }] });
    expect(mail.parsed.cc).toBeUndefined();
    expect(mail.envelope.to).toEqual(['jane@customer.test']);
  });

  it('a person copied on a reply joins the participants', async () => {
    const id = await ccThread('Add my manager');
    expect((await reply(id, { text: 'Copying your manager.', cc: ['Boss@Customer.test'] })).status).toBe(201);
    const row = await until('the new participant', async () => {
      const list = await get('/api/views/all-open/conversations?limit=200');
      const found = list.body.items.find((c: { id: string }) => c.id === id);
      return found?.participants.length === 4 ? found : undefined;
    });
    expect(row.participants.map((p: { address: string }) => p.address)).toEqual([
      'jane@customer.test',
      'piet@customer.test',
      'mia@partner.test',
      'boss@customer.test',
    ]);
  });

  it('refuses a Cc that is not an email address with 400 naming cc[i] and the value, and sends nothing', async () => {
    const id = await ccThread('Bad copy');
    const before = relay.received.length;
    const res = await reply(id, { text: 'Hello', cc: ['piet@customer.test', 'not an address'] });
    expect(res.status).toBe(400);
    expect(res.body.message).toBe('cc[1] must be an email address, got "not an address"');
    const tooMany = await reply(id, { text: 'Hello', cc: Array.from({ length: 51 }, (_, i) => `p${i}@example.org`) });
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.message).toBe('cc may name at most 50 addresses (it names 51)');
    const emptyTo = await reply(id, { text: 'Hello', to: [] });
    expect(emptyTo.status).toBe(400);
    expect(emptyTo.body.message).toMatch(/^to must name at least one email address/);
    const notList = await reply(id, { text: 'Hello', cc: 'piet@customer.test' });
    expect(notList.status).toBe(400);
    expect(notList.body.message).toEqual(['cc: must be a list of email addresses (got "piet@customer.test")']);
    const detail = await get(`/api/conversations/${id}`);
    expect(detail.body.messages.filter((m: { direction: string }) => m.direction === 'out')).toEqual([]);
    expect(relay.received.length).toBe(before);
  });

  it('refuses To or Cc on a channel without the cc capability with 400 naming cc', async () => {
    const posted = await t.request('POST', '/api/channels/api/messages', { token, body: inbound() });
    expect(posted.status).toBe(201);
    const res = await reply(posted.body.conversationId, { text: 'Hello', cc: ['piet@customer.test'] });
    expect(res.status).toBe(400);
    expect(res.body.message).toBe('cc: the api channel does not take To or Cc; leave to and cc out to answer the contact');
    expect(res.body.code).toBe('reply-cc-not-supported');
    const to = await reply(posted.body.conversationId, { text: 'Hello', to: ['piet@customer.test'] });
    expect(to.status).toBe(400);
  });
});
