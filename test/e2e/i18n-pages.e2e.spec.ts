import { LOCALE_RESOURCES } from '../../src/infrastructure/i18n/i18n';
import { inbound, startTestApp, type TestApp } from '../support/app-harness';

/**
 * Every page and fragment of the agent UI, rendered in Dutch and in English: none may show a raw
 * translation key (a missing key also fails the render itself: the locale throws on it).
 */
describe('the web UI in Dutch and English', () => {
  let t: TestApp;
  let token: string;
  let conversationId: string;

  beforeAll(async () => {
    t = await startTestApp();
    token = await t.login();
    const first = await t.request('POST', '/api/channels/api/messages', { token, body: inbound({ subject: 'Levering vertraagd' }) });
    expect(first.status).toBe(201);
    conversationId = first.body.conversationId;
    const trashed = await t.request('POST', '/api/channels/api/messages', { token, body: inbound() });
    expect((await t.request('POST', `/api/conversations/${trashed.body.conversationId}/trash`, { token, body: {} })).status).toBeLessThan(300);
    expect((await t.request('POST', `/api/conversations/${conversationId}/comments`, { token, body: { text: 'Even nakijken' } })).status).toBeLessThan(300);
  });
  afterAll(() => t.close());

  /** `group.key` of every top-level group of the locale files, as it would show if left untranslated. */
  const rawKey = new RegExp(`(?<![\\w/.-])(?:${Object.keys(LOCALE_RESOURCES.en).join('|')})\\.[\\w-]+(?:\\.[\\w-]+)?(?![\\w/])`);
  const page = async (url: string, language: string, auth = true) => {
    const res = await t.request('GET', url, { ...(auth ? { token } : {}), headers: { 'accept-language': language } });
    expect({ url, status: res.status }).toEqual({ url, status: expect.any(Number) });
    const html = String(res.body);
    expect({ url, language, rawKey: html.match(rawKey)?.[0] ?? null }).toEqual({ url, language, rawKey: null });
    return { status: res.status, html };
  };

  const pages = () => [
    '/inbox',
    '/inbox?view=assigned-to-me',
    '/inbox?view=all-open',
    '/inbox?view=trash',
    '/inbox?view=sent',
    '/inbox?view=all-closed',
    `/inbox?conversation=${conversationId}`,
    '/inbox?search=1&q=Levering&status=open',
    '/settings',
    '/ui/nav',
    '/ui/list',
    `/ui/conversations/${conversationId}`,
    `/ui/conversations/${conversationId}/main`,
  ];

  it.each(['nl', 'en'])('renders every page and fragment in %s without a raw key', async (language) => {
    for (const url of pages()) expect({ url, status: (await page(url, language)).status }).toEqual({ url, status: 200 });
    expect((await page('/login', language, false)).status).toBe(200);
    // An error page (a malformed conversation id).
    expect((await page('/ui/conversations/not-an-id', language)).status).toBe(400);
  });

  it("speaks Dutch to a browser that asks for it, with the source document's view names", async () => {
    const { html } = await page('/inbox', 'nl-NL,nl;q=0.9,en;q=0.5');
    expect(html).toContain('<html lang="nl"');
    for (const name of ['Niet toegewezen', 'Aan mij toegewezen', 'Alles open', 'Formulieren', 'Alle gesloten', 'Verzonden', 'Prullenbak', 'Gefilterd'])
      expect(html).toContain(name);
    expect(html).toContain('Uitloggen');
    expect(html).not.toContain('Log out');
    const thread = await page(`/ui/conversations/${conversationId}`, 'nl');
    expect(thread.html).toContain('Interne opmerking');
    expect(thread.html).toContain('Gesprek sluiten');
  });

  it("names channels in the reader's language, also on their icons", async () => {
    const composed = await t.request('POST', '/api/emails', { token, body: { to: 'klant@example.org', subject: 'Offerte', text: 'Hierbij de offerte.' } });
    expect(composed.status).toBe(201);
    const dutch = await page(`/ui/conversations/${composed.body.conversationId}`, 'nl');
    expect(dutch.html).toContain('<span class="channel channel-email" title="E-mail" aria-label="E-mail">');
    const english = await page(`/ui/conversations/${composed.body.conversationId}`, 'en');
    expect(english.html).toContain('<span class="channel channel-email" title="Email" aria-label="Email">');
  });

  it('speaks English by default and to a browser asking for a language Parley does not have', async () => {
    for (const language of ['en-GB', 'de-DE']) {
      const { html } = await page('/inbox', language);
      expect(html).toContain('<html lang="en"');
      expect(html).toContain('Unassigned');
      expect(html).toContain('Log out');
    }
  });

  describe("the agent's saved language and time zone", () => {
    afterEach(async () => {
      expect((await t.request('PUT', '/api/me/preferences', { token, body: { language: null, timeZone: null } })).status).toBe(200);
    });

    it('wins over the browser, and clearing it follows the browser again', async () => {
      const saved = await t.request('PUT', '/api/me/preferences', { token, body: { language: 'nl', timeZone: 'Asia/Tokyo' } });
      expect(saved.status).toBe(200);
      expect(saved.body).toEqual({ language: 'nl', timeZone: 'Asia/Tokyo' });
      const { html } = await page('/inbox', 'en-US,en;q=0.9');
      expect(html).toContain('<html lang="nl" data-time-zone="Asia/Tokyo" data-zone-saved>');
      expect(html).toContain('Niet toegewezen');
      expect((await t.request('PUT', '/api/me/preferences', { token, body: { language: null } })).status).toBe(200);
      expect((await page('/inbox', 'en-US')).html).toContain('<html lang="en" data-time-zone="Asia/Tokyo" data-zone-saved>');
    });

    it('is set from the settings page form', async () => {
      const inboxId = (await t.request('GET', '/api/inboxes', { token })).body.inboxes[0].id as string;
      const res = await t.app.inject({
        method: 'POST',
        url: `/settings/preferences?inbox=${inboxId}`,
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/x-www-form-urlencoded',
          origin: 'http://localhost:3000',
          host: 'localhost:3000',
        },
        payload: 'language=nl&timeZone=Europe%2FAmsterdam',
      });
      expect(res.statusCode).toBe(303);
      expect(res.headers.location).toMatch(/saved=preferences$/);
      const settings = await page(res.headers.location as string, 'en');
      expect(settings.html).toContain('Je taal en tijdzone zijn bewaard.');
      expect(settings.html).toContain('<option value="Europe/Amsterdam" selected>');
    });

    it('refuses a language or zone Parley does not know, naming the field and value', async () => {
      const language = await t.request('PUT', '/api/me/preferences', { token, body: { language: 'fr' } });
      expect(language.status).toBe(400);
      expect(JSON.stringify(language.body)).toMatch(/language must be one of en, nl, got \\"fr\\"/);
      const zone = await t.request('PUT', '/api/me/preferences', { token, body: { timeZone: 'Europe/Atlantis' } });
      expect(zone.status).toBe(400);
      expect(JSON.stringify(zone.body)).toMatch(/timeZone must be an IANA time zone.*Europe\/Atlantis/);
      expect((await t.request('PUT', '/api/me/preferences', { token, body: { timeZone: 42 } })).status).toBe(400);
    });
  });

  it("refuses an empty form field in the reader's language, naming the field", async () => {
    const post = (language: string) =>
      t.app.inject({
        method: 'POST',
        url: `/ui/conversations/${conversationId}/comment`,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/x-www-form-urlencoded', 'hx-request': 'true', 'accept-language': language },
        payload: 'text=',
      });
    const dutch = await post('nl');
    expect(dutch.statusCode).toBe(400);
    expect(dutch.body).toContain('De opmerking mag niet leeg zijn.');
    expect((await post('en')).body).toContain('The comment must not be empty.');
  });

  it('renders the first-run setup page in both languages', async () => {
    const fresh = await startTestApp({ env: { PARLEY_ADMIN_EMAIL: '', PARLEY_ADMIN_PASSWORD: '' } });
    try {
      for (const [language, heading] of [
        ['nl', 'Welkom bij Parley'],
        ['en', 'Welcome to Parley'],
      ]) {
        const res = await fresh.request('GET', '/setup', { headers: { 'accept-language': language } });
        expect(res.status).toBe(200);
        expect(String(res.body)).toContain(heading);
        expect(String(res.body).match(rawKey)?.[0] ?? null).toBeNull();
      }
    } finally {
      await fresh.close();
    }
  });

  it('shows times in the time zone the browser reported', async () => {
    const utc = await t.request('GET', `/ui/conversations/${conversationId}`, { token, headers: { 'accept-language': 'nl', cookie: 'parley_tz=UTC' } });
    const tokyo = await t.request('GET', `/ui/conversations/${conversationId}`, {
      token,
      headers: { 'accept-language': 'nl', cookie: 'parley_tz=Asia%2FTokyo' },
    });
    const times = (html: string) =>
      [...html.matchAll(/<time class="msg-time" datetime="([^"]+)" data-long>([^<]+)<\/time>/g)].map((m) => ({ iso: m[1], shown: m[2] }));
    const [atUtc] = times(String(utc.body));
    const [atTokyo] = times(String(tokyo.body));
    const expected = (zone: string) =>
      new Intl.DateTimeFormat('nl', { timeZone: zone, day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit' }).format(
        new Date(atUtc.iso),
      );
    expect(atUtc.shown).toBe(expected('UTC'));
    expect(atTokyo.shown).toBe(expected('Asia/Tokyo'));
    expect(atTokyo.shown).not.toBe(atUtc.shown);
  });
});
