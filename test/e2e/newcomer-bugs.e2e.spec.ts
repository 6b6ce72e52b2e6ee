import { createTransport } from 'nodemailer';
import { inbound, startTestApp, type TestApp } from '../support/app-harness';

/**
 * What a new user tripped over (issue 12), checked over HTTP on a whole Parley: each case failed
 * before its fix. No relay is configured, so email replies and forwards stay queued and retrying.
 */
describe('newcomer bugs (e2e)', () => {
  let t: TestApp;
  let token: string;

  beforeAll(async () => {
    t = await startTestApp({ env: { PARLEY_INBOX_EMAIL: 'support@parley.test' } });
    token = await t.login();
  });
  afterAll(() => t?.close());

  const get = (url: string) => t.request('GET', url, { token });
  const post = (url: string, body: unknown) => t.request('POST', url, { token, body });

  async function until<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 10_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await probe();
      if (value) return value;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  describe('unknown channel filter (item 4)', () => {
    it('answers 400 naming the value for a channel nobody provides', async () => {
      const res = await get('/api/conversations?channel=fax');
      expect(res.status).toBe(400);
      expect(([] as string[]).concat(res.body.message)).toEqual([expect.stringMatching(/^channel: must be one of email, .*api \(got "fax"\)$/)]);
    });

    it('accepts the built-in channels and those of loaded plugins', async () => {
      expect((await get('/api/conversations?channel=email')).status).toBe(200);
      expect((await get('/api/conversations?channel=chat')).status).toBe(200);
      expect((await get('/api/conversations?channel=api')).status).toBe(200);
    });
  });

  describe('API channel without text (item 9)', () => {
    it('says the text is missing, not that it is too long', async () => {
      const { text: _text, ...withoutText } = inbound();
      const res = await post('/api/channels/api/messages', withoutText);
      expect(res.status).toBe(400);
      const messages = ([] as string[]).concat(res.body.message);
      expect(messages).toEqual(['text: is required (got nothing)']);
    });
  });

  describe('forwarding leaves a trace (item 1)', () => {
    it('marks the conversation forwarded and shows the forward as a row in its thread', async () => {
      const composed = await post('/api/emails', { to: 'lea@prospect.test', subject: 'Your quote', text: 'Here is the quote.' });
      expect(composed.status).toBe(201);
      const id = composed.body.conversationId as string;
      const before = await get(`/api/conversations/${id}`);
      expect(before.body.forwarded).toBe(false);

      const forwarded = await post(`/api/conversations/${id}/forward`, { to: 'boss@partner.test', note: 'Please have a look' });
      expect(forwarded.status).toBe(201);

      const after = await get(`/api/conversations/${id}`);
      expect(after.body.forwarded).toBe(true);
      const row = after.body.messages.find((m: { id: string }) => m.id === forwarded.body.messageId);
      expect(row).toMatchObject({ direction: 'out', kind: 'forward', to: [{ address: 'boss@partner.test' }] });
      expect(after.body.messages.find((m: { id: string }) => m.id === composed.body.messageId)).toMatchObject({ kind: 'reply' });

      const listed = await get('/api/views/sent/conversations?limit=200');
      expect(listed.body.items.find((c: { id: string }) => c.id === id)).toMatchObject({ forwarded: true });

      // The thread as it stood at a moment (the auditors' view) shows the forward too.
      const atNow = await get(`/api/conversations/${id}?at=${encodeURIComponent(new Date(Date.now() + 1000).toISOString())}`);
      expect(atNow.status).toBe(200);
      expect(atNow.body.forwarded).toBe(true);
      expect(atNow.body.messages.find((m: { id: string }) => m.id === forwarded.body.messageId)).toMatchObject({ kind: 'forward' });
    });
  });

  describe('attachments can be downloaded (item 2)', () => {
    it('serves an attachment as bytes with its type, as a download, never inline', async () => {
      const pdf = Buffer.from('%PDF-1.4 pretend invoice');
      await createTransport({ host: '127.0.0.1', port: t.smtpPort, secure: false, ignoreTLS: true }).sendMail({
        from: 'Jane Roe <jane@customer.test>',
        to: 'support@parley.test',
        subject: 'Invoice attached',
        text: 'See the invoice.',
        attachments: [
          { filename: 'invoice "march".pdf', content: pdf, contentType: 'application/pdf' },
          { filename: 'page.html', content: '<script>alert(1)</script>', contentType: 'text/html' },
        ],
      });
      const summary = await until('the email conversation', async () =>
        ((await get('/api/views/email/conversations?limit=200')).body.items as Array<{ id: string; subject: string }>).find((c) => c.subject === 'Invoice attached'),
      );
      const detail = await get(`/api/conversations/${summary.id}`);
      const attachments = detail.body.messages[0].attachments as Array<{ id: string; filename: string; contentType: string }>;
      const invoice = attachments.find((a) => a.filename === 'invoice "march".pdf')!;
      const page = attachments.find((a) => a.filename === 'page.html')!;

      const res = await t.app.inject({ method: 'GET', url: downloadUrl(invoice), headers: { authorization: `Bearer ${token}` } });
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toBe('application/pdf');
      expect(res.headers['content-disposition']).toBe(`attachment; filename="invoice _march_.pdf"; filename*=UTF-8''invoice%20%22march%22.pdf`);
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.rawPayload.equals(pdf)).toBe(true);

      // HTML from a stranger is never rendered from our origin: a download, sandboxed, as octets.
      const html = await t.app.inject({ method: 'GET', url: downloadUrl(page), headers: { authorization: `Bearer ${token}` } });
      expect(html.statusCode).toBe(200);
      expect(html.headers['content-type']).toBe('application/octet-stream');
      expect(String(html.headers['content-disposition'])).toMatch(/^attachment; /);
      expect(String(html.headers['content-security-policy'])).toContain('sandbox');
    });

    it('links each attachment of the thread to its download', async () => {
      const summary = ((await get('/api/views/email/conversations?limit=200')).body.items as Array<{ id: string; subject: string }>).find((c) => c.subject === 'Invoice attached')!;
      const cookie = await sessionCookie();
      const page = await t.request('GET', `/inbox?view=email&conversation=${summary.id}`, { headers: { cookie } });
      expect(page.status).toBe(200);
      const detail = await get(`/api/conversations/${summary.id}`);
      const invoice = (detail.body.messages[0].attachments as Array<{ id: string; filename: string; contentType: string }>).find((a) => a.filename.startsWith('invoice'))!;
      const href = downloadUrl(invoice);
      const links = [...String(page.body).matchAll(/<a href="([^"]*)" download="([^"]*)"/g)].map(([, url, name]) => [decodeEntities(url), decodeEntities(name)]);
      expect(links).toContainEqual([href, 'invoice "march".pdf']);
    });
  });

  /** How the thread links an attachment: the blob, with the name and type its message gives. */
  const downloadUrl = (a: { id: string; filename: string; contentType: string }) =>
    `/api/channels/email/blobs/${encodeURIComponent(a.id)}?name=${encodeURIComponent(a.filename)}&type=${encodeURIComponent(a.contentType)}`;

  const decodeEntities = (text: string) =>
    text.replace(/&(amp|quot|#x27|#x3D|#x60|lt|gt);/g, (_, name: string) => ({ amp: '&', quot: '"', '#x27': "'", '#x3D': '=', '#x60': '`', lt: '<', gt: '>' })[name]!);

  async function sessionCookie(): Promise<string> {
    const res = await t.request('POST', '/api/auth/login', { body: { email: 'admin@example.com', password: 'admin-password-1' } });
    return String(res.headers['set-cookie']).split(';')[0];
  }
});
