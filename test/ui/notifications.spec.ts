import type { Browser, BrowserContext, Page } from 'playwright-core';
import { reportSkippedSuite } from '../support/engines';
import {
  chromiumMissing,
  eventually,
  launchChromium,
  logIn,
  markPage,
  pageWasNotReloaded,
  startUiApp,
  textOf,
  waitForText,
  type UiApp,
} from '../support/ui-harness';

const missing = chromiumMissing();
if (missing) {
  reportSkippedSuite('Notifications in two Chromium contexts (the mentioning and the mentioned agent)', missing, 'chromium');
  it.skip('notification browser tests (Chromium not installed)', () => undefined);
} else {
  /**
   * Two agents, each in their own browser: A mentions B in a comment; B's bell counts it live
   * (no reload), B opens the panel, clicks the notification, lands on the conversation, and the
   * count is back to 0. Then B's switches in Settings turn mentions off in the app.
   */
  describe('notifications: the bell, live, in two browsers', () => {
    let ui: UiApp;
    let browser: Browser;
    let contexts: BrowserContext[] = [];
    let a: Page;
    let b: Page;
    let inboxId = '';
    const bea = { name: 'Bea Baker', email: 'bea.baker@team.test', password: 'bea-password-1' };

    beforeAll(async () => {
      ui = await startUiApp();
      const created = await ui.api('POST', '/api/agents', { name: bea.name, email: bea.email, password: bea.password, role: 'agent' });
      if (created.status !== 201) throw new Error(`creating Bea answered ${created.status}: ${JSON.stringify(created.body)}`);
      inboxId = (await ui.api('GET', '/api/inboxes')).body.inboxes.find((i: { isDefault: boolean }) => i.isDefault).id;
      browser = await launchChromium();
      contexts = [
        await browser.newContext({ viewport: { width: 1440, height: 900 }, locale: 'en-US' }),
        await browser.newContext({ viewport: { width: 1440, height: 900 }, locale: 'en-US' }),
      ];
      a = await contexts[0].newPage();
      b = await contexts[1].newPage();
      await logIn(a, ui.baseUrl);
      await logIn(b, ui.baseUrl, bea.email, bea.password);
    }, 60_000);

    afterAll(async () => {
      await browser?.close();
      await ui?.close();
    });

    const bellCount = (page: Page) => page.locator('#notification-count');

    it("A mentions B: B's bell counts it live; opening it leads to the conversation and clears the count", async () => {
      await b.locator('#notification-bell-btn').waitFor();
      expect(await bellCount(b).isVisible()).toBe(false);
      await markPage(b);

      const { conversationId } = await ui.receive({ subject: 'Cracked teapot lid', text: 'The lid arrived cracked.' });
      await a.goto(`${ui.baseUrl}/inbox?inbox=${inboxId}&view=unassigned&conversation=${conversationId}`);
      await a.locator(`#thread-main[data-conversation-id="${conversationId}"]`).waitFor();
      // "c" opens the comment box (the keyboard shortcut), as an agent would.
      await a.keyboard.press('c');
      await a.locator('#comment-text').waitFor();
      await a.locator('#comment-text').fill('Could you check this one, @bea?');
      await a.locator('#comment-text').press('Control+Enter');
      await waitForText(a.locator('#flash'), '1 teammate notified');

      await eventually(async () => (await textOf(bellCount(b))) === '1' && (await bellCount(b).isVisible()), 15_000, "B's bell showing 1");
      expect(await pageWasNotReloaded(b)).toBe(true);

      await b.locator('#notification-bell-btn').click();
      const item = b.locator('#notification-list li.notification-item', { hasText: 'Cracked teapot lid' });
      await waitForText(item, 'mentioned you in “Cracked teapot lid”');
      expect(await item.getAttribute('class')).toContain('is-unread');
      await Promise.all([b.waitForURL(new RegExp(`conversation=${conversationId}`)), item.locator('button').click()]);
      await b.locator(`#thread-main[data-conversation-id="${conversationId}"]`).waitFor();
      expect(await textOf(bellCount(b))).toBe('0');
      expect(await bellCount(b).isVisible()).toBe(false);
      await b.locator('#notification-bell-btn').click();
      expect(await b.locator('#notification-list li.notification-item.is-unread').count()).toBe(0);
    });

    it('B turns mentions off in the app in Settings; the switches are saved', async () => {
      await b.goto(`${ui.baseUrl}/settings?inbox=${inboxId}`);
      const inApp = b.locator('#notify-mention-inApp');
      await inApp.waitFor();
      expect(await inApp.isChecked()).toBe(true);
      await inApp.uncheck();
      await b.locator('#notification-settings-save').click();
      await b.locator('#notification-settings-saved').waitFor();
      const saved = await ui.api(
        'GET',
        '/api/me/notification-settings',
        undefined,
        (await ui.api('POST', '/api/auth/login', { email: bea.email, password: bea.password })).body.token,
      );
      expect(saved.body.mention).toEqual({ inApp: false, email: true });
      expect(saved.body.assigned).toEqual({ inApp: true, email: true });
    });
  });
}
