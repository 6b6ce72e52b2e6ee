import type { Browser, Page } from 'playwright-core';
import { launchChromium, logIn, row, startUiApp, type UiApp } from '../support/ui-harness';

/**
 * A browser set to Dutch in Tokyo: the login page and the inbox speak Dutch, the script reports
 * the zone (parley_tz) so later pages are rendered in it, and the times shown are Tokyo's.
 */
describe("Web UI in Chromium: Dutch and the browser's time zone", () => {
  let ui: UiApp;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    ui = await startUiApp();
    browser = await launchChromium();
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, locale: 'nl-NL', timezoneId: 'Asia/Tokyo' });
    page = await context.newPage();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await ui?.close();
  });

  it("logs in and works in Dutch, with times in the browser's zone", async () => {
    const { conversationId } = await ui.receive({ subject: 'Bestelling 1042' });
    await page.goto(`${ui.baseUrl}/login`);
    expect(await page.locator('h1').innerText()).toBe('Inloggen');
    await logIn(page, ui.baseUrl);
    expect(await page.locator('html').getAttribute('lang')).toBe('nl');
    expect(await page.locator('.view-link[data-view="unassigned"] .view-name').innerText()).toBe('Niet toegewezen');
    expect((await page.context().cookies()).find((c) => c.name === 'parley_tz')?.value).toBe(encodeURIComponent('Asia/Tokyo'));

    await row(page, 'Bestelling 1042').locator('a').click();
    const time = page.locator('#timeline .msg-time').first();
    await time.waitFor();
    const iso = (await time.getAttribute('datetime'))!;
    const tokyo = new Intl.DateTimeFormat('nl', {
      timeZone: 'Asia/Tokyo',
      day: 'numeric',
      month: 'short',
      year: 'numeric',
      hour: '2-digit',
      minute: '2-digit',
    }).format(new Date(iso));
    expect(await time.innerText()).toBe(tokyo);
    // The fragment came from the server, rendered in the zone the cookie reported.
    const fragment = await ui.t.request('GET', `/ui/conversations/${conversationId}`, {
      token: ui.token,
      headers: { 'accept-language': 'nl', cookie: `parley_tz=${encodeURIComponent('Asia/Tokyo')}` },
    });
    expect(String(fragment.body)).toContain(`>${tokyo}</time>`);

    await page.locator('#select-all').check();
    expect(await page.locator('#bulk-count').innerText()).toMatch(/^\d+ geselecteerd$/);
  });
});
