import { createTransport } from 'nodemailer';
import { startTestApp, type TestApp, until } from '../../support/app-harness';
import { SmtpSink } from './support/smtp-sink';

/**
 * Issue 16: the other people an email is addressed to take part in the thread as the Cc'd do.
 * Jane writes To the inbox and Piet, Cc Mia: Piet and Mia are participants (the inbox never is),
 * and the reply box's Reply all offers both in Cc. A real SMTP session in.
 */
describe('email: To recipients besides the inbox are participants', () => {
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

  it('counts the others in To as participants, never the inbox, and Reply all offers them in Cc', async () => {
    const subject = 'Quote for the three of us';
    await createTransport({ host: '127.0.0.1', port: t.smtpPort, secure: false, ignoreTLS: true }).sendMail({
      from: 'Jane Roe <jane@customer.test>',
      to: ['Support <Support@parley.test>', 'Piet Jansen <piet@customer.test>', 'jane@customer.test'],
      cc: 'mia@partner.test',
      subject,
      text: 'Piet is in To, Mia in Cc.',
    });
    const id = await until(`conversation ${subject}`, async () => {
      const list = await get('/api/views/all-open/conversations?limit=200');
      return list.body.items.find((c: { subject: string }) => c.subject === subject)?.id as string | undefined;
    });
    const list = await get('/api/views/all-open/conversations?limit=200');
    expect(list.body.items.find((c: { id: string }) => c.id === id).participants).toEqual([
      { address: 'jane@customer.test', name: 'Jane Roe' },
      { address: 'piet@customer.test', name: 'Piet Jansen' },
      { address: 'mia@partner.test' },
    ]);
    // The message's To is kept as it came, the inbox included.
    const detail = await get(`/api/conversations/${id}`);
    expect(detail.body.messages[0].to.map((p: { address: string }) => p.address.toLowerCase())).toEqual([
      'support@parley.test',
      'piet@customer.test',
      'jane@customer.test',
    ]);

    const page = await t.request('GET', `/ui/conversations/${id}`, { token, headers: { 'hx-request': 'true', 'accept-language': 'en' } });
    expect(page.status).toBe(200);
    const html = String(page.body);
    expect(html).toContain('data-cc="piet@customer.test, mia@partner.test"');
  });
});
