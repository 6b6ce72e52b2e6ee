import type { Browser, Page } from 'playwright-core';
import { reportSkippedSuite } from '../support/engines';
import { chromiumMissing, launchChromium, logIn, row, startUiApp, type UiApp } from '../support/ui-harness';

/**
 * Presence in the browser (issue 14, rule 11): the admin has the inbox open in Chromium (its live
 * stream makes them online), a teammate never opened Parley. The team list in Settings and the
 * owner dropdown of a thread show who is online and available, online but away, or offline.
 */
const missing = chromiumMissing();
if (missing) {
  reportSkippedSuite('Presence in Chromium', missing, 'chromium');
  it.skip('presence browser tests (Chromium not installed)', () => undefined);
} else {
  describe('presence in the web UI, in Chromium', () => {
    let ui: UiApp;
    let browser: Browser;
    let page: Page;
    let adminId = '';
    let olafId = '';

    beforeAll(async () => {
      ui = await startUiApp();
      adminId = (await ui.api('GET', '/api/me')).body.id;
      const olaf = await ui.api('POST', '/api/agents', { name: 'Olaf Offline', email: 'olaf@example.com', password: 'olaf-password-1', role: 'agent' });
      if (olaf.status !== 201) throw new Error(`adding Olaf answered ${olaf.status}`);
      olafId = olaf.body.id;
      browser = await launchChromium();
      const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, locale: 'en-US' });
      page = await context.newPage();
    }, 60_000);

    afterAll(async () => {
      await browser?.close();
      await ui?.close();
    });

    const teamRow = (name: string) => page.locator('section[aria-labelledby="team"] tbody tr', { hasText: name });

    it('the inbox open in the browser makes the agent online; the team list shows each teammate with a dot and a legend', async () => {
      await ui.receive({ subject: 'Where is my parcel?' });
      await logIn(page, ui.baseUrl);
      // logIn waits for the live stream: the page is connected, so the admin is online.
      expect((await ui.api('GET', '/api/me')).body.online).toBe(true);

      await page.goto(`${ui.baseUrl}/settings`);
      const admin = teamRow('Admin');
      expect(await admin.locator('.presence-dot').getAttribute('class')).toContain('presence-available');
      expect(await admin.locator('[data-presence]').innerText()).toBe('Online, available');
      const olaf = teamRow('Olaf Offline');
      expect(await olaf.locator('.presence-dot').getAttribute('class')).toContain('presence-offline');
      expect(await olaf.locator('[data-presence]').innerText()).toBe('Offline (set to available)');
      expect(await page.locator('#presence-legend').innerText()).toContain('New conversations go only to teammates who are online and available');
    });

    it("the thread's owner dropdown marks each teammate's presence, with a tooltip", async () => {
      await page.goto(`${ui.baseUrl}/inbox`);
      await row(page, 'Where is my parcel?').locator('a').click();
      const select = page.locator('#owner-select');
      await select.waitFor();
      const me = select.locator(`option[value="${adminId}"]`);
      expect(await me.getAttribute('data-presence')).toBe('available');
      expect(await me.getAttribute('title')).toBe('Online, available');
      expect((await me.innerText()).startsWith('●')).toBe(true);
      const olaf = select.locator(`option[value="${olafId}"]`);
      expect(await olaf.getAttribute('data-presence')).toBe('offline');
      expect((await olaf.innerText()).startsWith('○')).toBe(true);
      expect(await page.locator('label.owner').getAttribute('title')).toContain('only online, available teammates are offered new conversations');
    });

    it('going away keeps the agent online but shows them away; the toggle says they keep what they own', async () => {
      const toggle = page.locator('#availability-toggle');
      expect(await toggle.getAttribute('title')).toContain('you keep the conversations you own but are offered nothing new');
      await toggle.click();
      await page.locator('#availability-toggle.is-away').waitFor();
      expect(await page.locator('#availability-toggle').getAttribute('title')).toContain('you keep the conversations you own');
      await page.goto(`${ui.baseUrl}/settings`);
      expect(await teamRow('Admin').locator('[data-presence]').innerText()).toBe('Online, away');
      expect(await teamRow('Admin').locator('.presence-dot').getAttribute('class')).toContain('presence-away');
      await ui.api('PUT', '/api/me/availability', { status: 'available' });
    });
  });
}
