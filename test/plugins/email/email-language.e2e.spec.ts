import { createTransport } from 'nodemailer';
import { startTestApp, type TestApp } from '../../support/app-harness';
import { SmtpSink } from './support/smtp-sink';

/**
 * What Parley itself writes into an email (the quote's "On … wrote:" line, a forward's headers)
 * is in the language of the agent who wrote it: Dutch for an agent who chose Dutch, else English.
 */
describe('email in the agent’s language', () => {
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
  const post = (url: string, body: unknown) => t.request('POST', url, { token, body });
  const setLanguage = async (language: 'nl' | null) => expect((await t.request('PUT', '/api/me/preferences', { token, body: { language } })).status).toBe(200);

  async function until<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 10_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await probe();
      if (value) return value;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  async function customerWrites(subject: string): Promise<string> {
    await createTransport({ host: '127.0.0.1', port: t.smtpPort, secure: false, ignoreTLS: true }).sendMail({
      from: 'Jane Roe <jane@customer.test>',
      to: 'support@parley.test',
      subject,
      text: 'Waar blijft mijn bestelling?',
    });
    return until(`conversation ${subject}`, async () => {
      const list = await get('/api/views/all-open/conversations?limit=200');
      return list.body.items.find((c: { subject: string }) => c.subject === subject)?.id as string | undefined;
    });
  }

  const sentMail = (messageId: string) =>
    until(`mail ${messageId}`, async () => relay.received.find((m) => m.parsed.messageId === `<${messageId}@parley.test>`));

  it('a Dutch agent’s reply quotes the customer under a Dutch line, and a forward names its headers in Dutch', async () => {
    await setLanguage('nl');
    try {
      const id = await customerWrites('Bestelling 77');
      const reply = await post(`/api/conversations/${id}/replies`, { text: 'Hij is vandaag verstuurd.' });
      expect(reply.status).toBe(201);
      const sent = await sentMail(reply.body.messageId);
      expect(sent.parsed.text).toMatch(/\n\nOp .+ UTC schreef Jane Roe <jane@customer\.test>:\n> Waar blijft mijn bestelling\?\n$/);
      expect(sent.parsed.html).toMatch(/Op .+ UTC schreef Jane Roe &lt;jane@customer\.test&gt;:/);
      expect(sent.parsed.text).not.toContain('wrote:');

      const forward = await post(`/api/conversations/${id}/forward`, { to: 'warehouse@partner.test', note: 'Kunnen jullie dit nakijken?' });
      expect(forward.status).toBe(201);
      const forwarded = await sentMail(forward.body.messageId);
      expect(forwarded.parsed.text).toContain('---------- Doorgestuurd gesprek ----------\nOnderwerp: Bestelling 77');
      expect(forwarded.parsed.text).toMatch(/\nVan: Jane Roe <jane@customer\.test>\nDatum: .+ UTC\nAan: support@parley\.test\n/);
      expect(forwarded.parsed.text).not.toContain('Forwarded conversation');
    } finally {
      await setLanguage(null);
    }
  });

  it('an agent who chose no language writes English around the text, as before', async () => {
    const id = await customerWrites('Order 78');
    const reply = await post(`/api/conversations/${id}/replies`, { text: 'It left today.' });
    const sent = await sentMail(reply.body.messageId);
    expect(sent.parsed.text).toMatch(/\n\nOn .+ GMT, Jane Roe <jane@customer\.test> wrote:\n> Waar blijft mijn bestelling\?\n$/);
    const forward = await post(`/api/conversations/${id}/forward`, { to: 'warehouse@partner.test' });
    expect((await sentMail(forward.body.messageId)).parsed.text).toContain('---------- Forwarded conversation ----------\nSubject: Order 78');
  });
});
