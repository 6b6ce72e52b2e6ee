import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
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
        ((await get('/api/views/email/conversations?limit=200')).body.items as Array<{ id: string; subject: string }>).find(
          (c) => c.subject === 'Invoice attached',
        ),
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
      const summary = ((await get('/api/views/email/conversations?limit=200')).body.items as Array<{ id: string; subject: string }>).find(
        (c) => c.subject === 'Invoice attached',
      )!;
      const cookie = await sessionCookie();
      const page = await t.request('GET', `/inbox?view=email&conversation=${summary.id}`, { headers: { cookie } });
      expect(page.status).toBe(200);
      const detail = await get(`/api/conversations/${summary.id}`);
      const invoice = (detail.body.messages[0].attachments as Array<{ id: string; filename: string; contentType: string }>).find((a) =>
        a.filename.startsWith('invoice'),
      )!;
      const href = downloadUrl(invoice);
      const links = [...String(page.body).matchAll(/<a href="([^"]*)" download="([^"]*)"/g)].map(([, url, name]) => [
        decodeEntities(url),
        decodeEntities(name),
      ]);
      expect(links).toContainEqual([href, 'invoice "march".pdf']);
    });
  });

  describe('the web UI says what is so', () => {
    let cookie: string;
    beforeAll(async () => {
      cookie = await sessionCookie();
    });
    const page = async (url: string, headers: Record<string, string> = {}) => {
      const res = await t.request('GET', url, { headers: { cookie, 'hx-request': 'true', 'accept-language': 'en', ...headers } });
      expect(res.status).toBe(200);
      return String(res.body);
    };
    const webPost = (url: string, form: Record<string, string>, headers: Record<string, string> = {}) =>
      t.app.inject({
        method: 'POST',
        url,
        headers: { cookie, 'hx-request': 'true', 'accept-language': 'en', 'content-type': 'application/x-www-form-urlencoded', ...headers },
        payload: new URLSearchParams(form).toString(),
      });
    const ingest = async () => {
      const res = await post('/api/channels/api/messages', inbound());
      expect(res.status).toBe(201);
      return res.body.conversationId as string;
    };
    const revisionOf = async (id: string) => String((await get(`/api/conversations/${id}`)).body.revision);

    it('does not call a reply sent while it waits for a relay that is not there (item 3)', async () => {
      const composed = await post('/api/emails', { to: 'sam@prospect.test', subject: 'Offer', text: 'Our offer.' });
      const id = composed.body.conversationId as string;
      // The composed email's own first attempt moves the revision; reply against the settled one.
      await until('the first delivery attempt', async () => {
        const detail = await get(`/api/conversations/${id}`);
        return detail.body.messages[0].delivery.status !== 'queued';
      });
      const res = await webPost(`/ui/conversations/${id}/reply?view=sent`, { text: 'One more thing.', revision: await revisionOf(id) });
      expect(res.statusCode).toBe(200);
      const flash = /<div[^>]*id="flash"[^>]*>([\s\S]*?)<\/div>/.exec(res.body)?.[1] ?? res.body;
      expect(flash).not.toContain('Reply sent');
      expect(flash).toMatch(/Reply not sent yet \(.+\)\. Parley keeps trying|Reply queued/);
    });

    /** Rule 9 holds for a conversation the inbox's bot took at its start: this one starts while a bot is active for the API channel. */
    const ingestWithBot = async () => {
      const inboxId = ((await get('/api/inboxes')).body.inboxes as { id: string; isDefault: boolean }[]).find((inbox) => inbox.isDefault)!.id;
      const bot = await post(`/api/inboxes/${inboxId}/bots`, { name: 'Greeter', kind: 'flow', channels: ['api'] });
      expect(bot.status).toBe(201);
      expect((await post(`/api/bots/${bot.body.id}/activate`, {})).status).toBe(200);
      const id = await ingest();
      expect((await t.request('DELETE', `/api/bots/${bot.body.id}`, { token })).status).toBe(204);
      return id;
    };

    it("shows the time a bot conversation may be closed in the agent's own time zone (item 5)", async () => {
      const id = await ingestWithBot();
      const detail = (await get(`/api/conversations/${id}`)).body;
      expect(detail.assignee).toEqual({ type: 'bot' });
      const iso = new Date(Date.parse(detail.lastReceivedAt) + 30 * 60_000).toISOString();
      const api = await post(`/api/conversations/${id}/close`, {});
      expect(api.status).toBe(409);
      expect(api.body.code).toBe('bot-close-too-early');
      // The JSON API words it in the agent's saved zone; this admin saved none and sent no browser zone: UTC, named.
      const utc = new Intl.DateTimeFormat('en', { timeZone: 'UTC', day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit' });
      expect(api.body.message).toContain(`close it from ${utc.format(new Date(iso))} (UTC)`);
      const res = await webPost(`/ui/conversations/${id}/close?view=bots`, { revision: await revisionOf(id) }, { cookie: `${cookie}; parley_tz=Asia%2FTokyo` });
      expect(res.statusCode).toBe(409);
      const local = new Intl.DateTimeFormat('en', {
        timeZone: 'Asia/Tokyo',
        day: 'numeric',
        month: 'short',
        year: 'numeric',
        hour: '2-digit',
        minute: '2-digit',
      }).format(new Date(iso));
      expect(res.body).toContain(`close it from ${local}`);
      expect(res.body).not.toContain(iso);
    });

    it('names nobody in header, reply target and placeholder once the contact is unlinked (item 6)', async () => {
      const id = await ingest();
      const before = await page(`/ui/conversations/${id}?view=all-open`);
      expect(before).toMatch(/placeholder="Write a reply to Customer \d+…"/);
      expect((await post(`/api/conversations/${id}/unlink-contact`, {})).status).toBe(200);
      const after = await page(`/ui/conversations/${id}?view=all-open`);
      expect(after).toContain('<span>No contact</span>');
      expect(after).not.toMatch(/Write a reply to|Reply to \S+ via/);
      expect(after).toContain('id="reply-no-contact"');
      expect(after).toMatch(/<textarea id="reply-text"[^>]* disabled /);
    });

    it('takes the awaiting-reply dot off a closed conversation (item 7)', async () => {
      const id = await ingest();
      expect((await post(`/api/conversations/${id}/close`, {})).status).toBe(200);
      const list = await page('/ui/list?view=all-closed');
      const row = new RegExp(`<li class="conv([^"]*)" data-id="${id}"`).exec(list);
      expect(row).not.toBeNull();
      expect(row![1]).not.toContain('is-awaiting');
    });

    it('says an empty Chat view fills up once a chat channel is connected, and shows admins where (item 8)', async () => {
      const chat = await page('/ui/list?view=chat');
      expect(chat).toContain('No open Chat conversations. They appear here once a Chat channel is connected to this inbox and someone writes.');
      expect(chat).toMatch(/<a href="\/settings\?inbox(=|&#x3D;)[0-9a-f-]+" id="connect-channel-link">Connect a channel in Inbox settings<\/a>/);
      expect(await page('/ui/list?view=chat', { 'accept-language': 'nl' })).toContain('zodra er een Chat-kanaal aan deze inbox is gekoppeld');
      expect(chat).not.toContain('New conversations appear here as they arrive');
      // Messenger, WhatsApp and forms are connected per inbox the same way (issue 15).
      for (const [view, name] of [
        ['messenger', 'Messenger'],
        ['whatsapp', 'WhatsApp'],
        ['forms', 'Forms'],
      ] as const) {
        const empty = await page(`/ui/list?view=${view}`);
        expect(empty).toContain(`No open ${name} conversations. They appear here once a ${name} channel is connected to this inbox and someone writes.`);
        expect(empty).toContain('id="connect-channel-link"');
      }
    });

    it('shows a forward in the list and as a row of the thread (item 1)', async () => {
      const composed = await post('/api/emails', { to: 'kim@prospect.test', subject: 'Forward me', text: 'Details.' });
      const id = composed.body.conversationId as string;
      expect((await post(`/api/conversations/${id}/forward`, { to: 'legal@partner.test' })).status).toBe(201);
      const list = await page('/ui/list?view=sent');
      const row = new RegExp(`data-id="${id}"[\\s\\S]*?</li>`).exec(list)![0];
      expect(row).toContain('title="Forwarded"');
      const thread = await page(`/ui/conversations/${id}?view=sent`);
      expect(thread).toMatch(/<li class="msg msg-out msg-forward"[\s\S]*?Forwarded[\s\S]*?legal@partner\.test/);
    });
  });

  describe('an agent manages their own password and views in the UI (item 12)', () => {
    const form = (url: string, cookie: string, fields: Record<string, string>) =>
      t.app.inject({
        method: 'POST',
        url,
        headers: { cookie, origin: 'http://parley.test', host: 'parley.test', 'content-type': 'application/x-www-form-urlencoded', 'accept-language': 'en' },
        payload: new URLSearchParams(fields).toString(),
      });
    const sessionOf = (res: { headers: Record<string, unknown> }) =>
      ([] as string[])
        .concat((res.headers['set-cookie'] as string | string[] | undefined) ?? [])
        .find((c) => c.startsWith('parley_session='))
        ?.split(';')[0];

    it('changes the password from the settings page, keeping this browser signed in and no other', async () => {
      const created = await post('/api/agents', { name: 'Pat Newcomer', email: 'pat@parley.test', password: 'first-password-1', role: 'admin' });
      expect(created.status).toBe(201);
      const login = await t.request('POST', '/api/auth/login', { body: { email: 'pat@parley.test', password: 'first-password-1' } });
      const oldCookie = sessionOf(login)!;
      const settings = await t.request('GET', '/settings', { headers: { cookie: oldCookie, 'accept-language': 'en' } });
      expect(String(settings.body)).toContain('id="password-form"');

      const differ = await form('/settings/password', oldCookie, {
        currentPassword: 'first-password-1',
        password: 'second-password-2',
        confirm: 'second-password-3',
      });
      expect(differ.statusCode).toBe(400);
      expect(differ.body).toContain('The two new passwords differ');
      const wrong = await form('/settings/password', oldCookie, {
        currentPassword: 'not-my-password',
        password: 'second-password-2',
        confirm: 'second-password-2',
      });
      expect(wrong.statusCode).toBeGreaterThanOrEqual(400);
      expect(wrong.statusCode).toBeLessThan(500);

      const changed = await form('/settings/password', oldCookie, {
        currentPassword: 'first-password-1',
        password: 'second-password-2',
        confirm: 'second-password-2',
      });
      expect(changed.statusCode).toBe(303);
      expect(changed.headers.location).toMatch(/saved=password$/);
      const newCookie = sessionOf(changed)!;
      expect(newCookie).toBeDefined();
      expect((await t.request('GET', '/api/me', { headers: { cookie: newCookie } })).status).toBe(200);
      expect((await t.request('GET', '/api/me', { headers: { cookie: oldCookie } })).status).toBe(401);
      expect((await t.request('POST', '/api/auth/login', { body: { email: 'pat@parley.test', password: 'second-password-2' } })).status).toBe(200);
      expect((await t.request('POST', '/api/auth/login', { body: { email: 'pat@parley.test', password: 'first-password-1' } })).status).toBe(401);
    });

    it('renames and deletes a custom view from the settings page', async () => {
      const cookie = await sessionCookie();
      const view = await post('/api/views', { name: 'Refunds', filters: { q: 'refund' } });
      expect(view.status).toBe(201);
      const viewId = view.body.id as string;
      const settings = String((await t.request('GET', '/settings', { headers: { cookie, 'accept-language': 'en' } })).body);
      expect(settings).toContain(`action="/settings/views/${viewId}/rename`);
      const inboxId = /action="\/settings\/views\/[^/]+\/rename\?inbox=([0-9a-f-]{36})"/.exec(settings)![1];

      const renamed = await form(`/settings/views/${viewId}/rename?inbox=${inboxId}`, cookie, { name: 'Refund requests' });
      expect(renamed.statusCode).toBe(303);
      expect(renamed.headers.location).toBe(`/settings?inbox=${inboxId}&saved=view-renamed`);
      const names = async () =>
        ((await get(`/api/views?inboxId=${inboxId}`)).body.views as Array<{ id: string; name: string }>).filter((v) => v.id === viewId).map((v) => v.name);
      expect(await names()).toEqual(['Refund requests']);

      const deleted = await form(`/settings/views/${viewId}/delete?inbox=${inboxId}`, cookie, {});
      expect(deleted.statusCode).toBe(303);
      expect(await names()).toEqual([]);
    });
  });

  /** How the thread links an attachment: the blob, with the name and type its message gives. */
  const downloadUrl = (a: { id: string; filename: string; contentType: string }) =>
    `/api/channels/email/blobs/${encodeURIComponent(a.id)}?name=${encodeURIComponent(a.filename)}&type=${encodeURIComponent(a.contentType)}`;

  const decodeEntities = (text: string) =>
    text.replace(
      /&(amp|quot|#x27|#x3D|#x60|lt|gt);/g,
      (_, name: string) => ({ amp: '&', quot: '"', '#x27': "'", '#x3D': '=', '#x60': '`', lt: '<', gt: '>' })[name]!,
    );

  async function sessionCookie(): Promise<string> {
    const res = await t.request('POST', '/api/auth/login', { body: { email: 'admin@example.com', password: 'admin-password-1' } });
    const cookies = ([] as string[]).concat((res.headers['set-cookie'] as string | string[] | undefined) ?? []);
    return cookies.find((c) => c.startsWith('parley_session='))!.split(';')[0];
  }
});

/**
 * npm 11 warns about every dependency install script that package.json's allowScripts does not
 * decide on (and npm 12 skips them): each one installed here must be allowed or denied (item 13).
 */
describe('install scripts are declared (item 13)', () => {
  it('names every installed package with an install script in allowScripts', () => {
    const root = join(__dirname, '..', '..');
    const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { allowScripts?: Record<string, boolean> };
    const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as { packages: Record<string, { name?: string }> };
    const withScripts = new Set<string>();
    for (const location of Object.keys(lock.packages)) {
      if (!location.startsWith('node_modules/') || !existsSync(join(root, location, 'package.json'))) continue;
      const pkg = JSON.parse(readFileSync(join(root, location, 'package.json'), 'utf8')) as { name: string; scripts?: Record<string, string> };
      const scripts = pkg.scripts ?? {};
      // npm runs `node-gyp rebuild` for a package with a binding.gyp and no install script of its own.
      const implicitBuild = !scripts.install && !scripts.preinstall && existsSync(join(root, location, 'binding.gyp'));
      if (scripts.preinstall || scripts.install || scripts.postinstall || implicitBuild) withScripts.add(pkg.name);
    }
    expect(withScripts.size).toBeGreaterThan(0);
    const undecided = [...withScripts].filter((name) => typeof manifest.allowScripts?.[name] !== 'boolean');
    expect(undecided).toEqual([]);
    // The native SQLite driver is the embedded store: its build must run.
    expect(manifest.allowScripts?.['better-sqlite3']).toBe(true);
  });
});
