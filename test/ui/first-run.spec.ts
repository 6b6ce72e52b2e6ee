import type { Browser, Page } from 'playwright-core';
import { reportSkippedSuite } from '../support/engines';
import { chromiumMissing, launchChromium, row, screenshot, startUiApp, textOf, waitForText, type UiApp } from '../support/ui-harness';

/**
 * A newcomer's first minutes, in the browser only: open the page, complete setup, log out and in,
 * and work a conversation end to end. Also: pages need a session (redirect to /login, then back),
 * and state-changing form posts from elsewhere are refused (CSRF).
 */
const missing = chromiumMissing();
if (missing) {
  reportSkippedSuite('Web UI in Chromium (first run, login)', missing, 'chromium');
  it.skip('web UI browser tests (Chromium not installed)', () => undefined);
} else {
  describe('Web UI in Chromium: first run, login and logout', () => {
    let ui: UiApp;
    let browser: Browser;
    let page: Page;

    beforeAll(async () => {
      // No PARLEY_ADMIN_*: nobody exists yet, so the page offers the first-run setup.
      ui = await startUiApp({ env: { PARLEY_ADMIN_EMAIL: '', PARLEY_ADMIN_PASSWORD: '' } });
      browser = await launchChromium();
      page = await (await browser.newContext({ viewport: { width: 1440, height: 900 } })).newPage();
    }, 60_000);

    afterAll(async () => {
      await browser?.close();
      await ui?.close();
    });

    it('sends a newcomer from / to the setup page, which creates the first admin and opens the inbox', async () => {
      await page.goto(ui.baseUrl);
      expect(new URL(page.url()).pathname).toBe('/setup');
      await screenshot(page, 'setup');
      await page.fill('input[name=name]', 'Ada Lovelace');
      await page.fill('input[name=email]', 'ada@example.com');
      await page.fill('input[name=password]', 'a long password');
      await page.fill('input[name=confirm]', 'a different one');
      await page.click('button[type=submit]');
      await waitForText(page.locator('#setup-error'), 'The two passwords differ');
      await page.fill('input[name=password]', 'a long password');
      await page.fill('input[name=confirm]', 'a long password');
      await Promise.all([page.waitForURL(/\/inbox/), page.click('button[type=submit]')]);
      await page.waitForSelector('#app[data-live="on"]');
      expect(await textOf(page.locator('#nav'))).toContain('Ada Lovelace');
      // Setup is a one-time thing.
      await page.goto(`${ui.baseUrl}/setup`);
      expect(new URL(page.url()).pathname).toBe('/login');
    });

    it('works a conversation end to end without the API: open, comment, reply, close', async () => {
      const token = (await ui.api('POST', '/api/auth/login', { email: 'ada@example.com', password: 'a long password' })).body.token;
      await ui.api(
        'POST',
        '/api/channels/api/messages',
        {
          externalThreadId: 'first-1',
          externalMessageId: 'first-1',
          from: { address: 'jane@customer.test', name: 'Jane' },
          subject: 'Hello there',
          text: 'My first question',
        },
        token,
      );
      await page.goto(`${ui.baseUrl}/inbox`);
      await row(page, 'Hello there').locator('.conv-link').click();
      await waitForText(page.locator('#thread-subject'), 'Hello there');
      await page.click('#tab-comment');
      await page.fill('#comment-text', 'Looking into it');
      await page.click('#add-comment');
      await waitForText(page.locator('#timeline .note'), 'Looking into it');
      await page.click('#tab-reply');
      await page.fill('#reply-text', 'Here is the answer.');
      await page.click('#send-reply');
      await waitForText(page.locator('#timeline .msg-out'), 'Here is the answer.');
      await page.click('#close-btn');
      await waitForText(page.locator('#status-tag'), 'Closed');
    });

    it('adds a teammate in Inbox settings, who can then log in; removes them again', async () => {
      await page.goto(`${ui.baseUrl}/inbox`);
      await Promise.all([page.waitForURL(/\/settings/), page.click('#settings-link')]);
      await page.fill('#add-agent-form input[name=name]', 'Grace Hopper');
      await page.fill('#add-agent-form input[name=email]', 'grace@example.com');
      await page.fill('#add-agent-form input[name=password]', 'short');
      await page.click('#add-agent-form button[type=submit]');
      // The browser's own check (minlength) stops it; the server checks too.
      expect(page.url()).not.toContain('saved=');
      await page.fill('#add-agent-form input[name=password]', 'grace-password-1');
      await Promise.all([page.waitForURL(/saved=agent-added/), page.click('#add-agent-form button[type=submit]')]);
      await waitForText(page.locator('#members-form'), 'Grace Hopper');
      const login = await ui.api('POST', '/api/auth/login', { email: 'grace@example.com', password: 'grace-password-1' });
      expect(login.status).toBe(200);
      const inboxes = (await ui.api('GET', '/api/inboxes', undefined, login.body.token)).body.inboxes;
      expect(inboxes.map((i: { name: string }) => i.name)).toEqual(['Support']);
      page.once('dialog', (dialog) => void dialog.accept());
      await Promise.all([
        page.waitForURL(/saved=agent-removed/),
        page.locator('#members-form tr', { hasText: 'Grace Hopper' }).locator('button', { hasText: 'Remove' }).click(),
      ]);
      expect(await textOf(page.locator('#members-form'))).not.toContain('Grace Hopper');
    });

    it('logs out, refuses a wrong password, and after login returns to the page that was asked for', async () => {
      await page.goto(`${ui.baseUrl}/inbox`);
      await Promise.all([page.waitForURL(/\/login/), page.click('form[data-logout] button')]);
      // Without a session a page redirects to the login, remembering where it was going.
      await page.goto(`${ui.baseUrl}/inbox?view=all-closed`);
      expect(page.url()).toContain('/login?next=%2Finbox%3Fview%3Dall-closed');
      await screenshot(page, 'login');
      await page.fill('input[name=email]', 'ada@example.com');
      await page.fill('input[name=password]', 'wrong password');
      await page.click('button[type=submit]');
      await waitForText(page.locator('#login-error'), 'Email or password is wrong');
      await page.fill('input[name=password]', 'a long password');
      await Promise.all([page.waitForURL(/view=all-closed/), page.click('button[type=submit]')]);
      await row(page, 'Hello there').waitFor();
    });

    it('refuses state-changing UI posts that do not come from a Parley page (CSRF), and UI fragments without a session', async () => {
      const cookies = await page.context().cookies();
      const session = cookies.find((c) => c.name === 'parley_session');
      expect(session?.httpOnly).toBe(true);
      expect(session?.sameSite).toBe('Strict');
      const cookie = `parley_session=${session!.value}`;
      const form = { 'content-type': 'application/x-www-form-urlencoded', cookie };
      const foreign = await fetch(`${ui.baseUrl}/ui/me/availability`, {
        method: 'POST',
        headers: { ...form, origin: 'https://evil.example' },
        body: 'status=away',
      });
      expect(foreign.status).toBe(403);
      const noOrigin = await fetch(`${ui.baseUrl}/ui/me/availability`, { method: 'POST', headers: form, body: 'status=away' });
      expect(noOrigin.status).toBe(403);
      const ours = await fetch(`${ui.baseUrl}/ui/me/availability`, { method: 'POST', headers: { ...form, 'hx-request': 'true' }, body: 'status=away' });
      expect(ours.status).toBe(200);
      // The JSON API never takes form bodies, so an HTML form elsewhere cannot reach it: refused as
      // cross-origin use of the cookie (403) and, even from our own origin, as a form (415).
      const apiForm = await fetch(`${ui.baseUrl}/api/me/availability`, { method: 'PUT', headers: form, body: 'status=away' });
      expect(apiForm.status).toBe(403);
      const apiFormHere = await fetch(`${ui.baseUrl}/api/me/availability`, { method: 'PUT', headers: { ...form, origin: ui.baseUrl }, body: 'status=away' });
      expect(apiFormHere.status).toBe(415);
      const anonymous = await fetch(`${ui.baseUrl}/ui/list`, { headers: { 'hx-request': 'true' } });
      expect(anonymous.status).toBe(401);
      expect(anonymous.headers.get('hx-redirect')).toBe('/login');
      const events = await fetch(`${ui.baseUrl}/events`);
      expect(events.status).toBe(401);
    });
  });
}
