import type { Browser, FrameLocator, Page } from 'playwright-core';
import { reportSkippedSuite } from '../support/engines';
import { chromiumMissing, launchChromium, screenshot, startUiApp, type UiApp } from '../support/ui-harness';
import { startChatSite, type ChatSite } from './support/chat-site';

/**
 * The chat widget outside business hours (issue 14), in Chromium against the real app: the inbox
 * opens one day a week only, so it is closed now; the widget says when the team is back (weekday
 * and time in the inbox's zone, in the visitor's language) and takes an email address instead.
 */
const missing = chromiumMissing();
if (missing) {
  reportSkippedSuite('Chat widget outside business hours in Chromium', missing, 'chromium');
  it.skip('chat business hours browser tests (Chromium not installed)', () => undefined);
} else {
  describe('the chat widget outside business hours, in Chromium', () => {
    const ZONE = 'Europe/Amsterdam';
    const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
    let ui: UiApp;
    let site: ChatSite;
    let browser: Browser;
    let snippet = '';
    let inboxId = '';
    /** The one open day: three days from today in the inbox's zone, so it is closed now. */
    let openDay: (typeof WEEKDAYS)[number];
    const hours = (enabled: boolean) => ({ enabled, timeZone: ZONE, week: { [openDay]: [{ from: '10:00', to: '11:00' }] } });

    beforeAll(async () => {
      ui = await startUiApp();
      site = await startChatSite(() => snippet);
      inboxId = (await ui.api('GET', '/api/inboxes')).body.inboxes.find((i: { isDefault: boolean }) => i.isDefault).id;
      const connected = await ui.api('POST', `/api/inboxes/${inboxId}/channels`, { type: 'chat', name: 'Shop', settings: { allowedOrigins: [site.origin] } });
      if (connected.status !== 201) throw new Error(`connecting the chat channel answered ${connected.status}: ${JSON.stringify(connected.body)}`);
      snippet = connected.body.embedSnippet;
      const today = new Intl.DateTimeFormat('en-US', { weekday: 'short', timeZone: ZONE }).format(new Date()).toLowerCase() as (typeof WEEKDAYS)[number];
      openDay = WEEKDAYS[(WEEKDAYS.indexOf(today) + 3) % 7];
      const set = await ui.api('PUT', `/api/inboxes/${inboxId}/business-hours`, hours(true));
      if (set.status !== 200) throw new Error(`setting business hours answered ${set.status}: ${JSON.stringify(set.body)}`);
      browser = await launchChromium();
    }, 60_000);

    afterAll(async () => {
      await browser?.close();
      await ui?.close();
      await site?.close();
    });

    const frameOf = (p: Page): FrameLocator => p.frameLocator('iframe[src*="/channels/chat/c/"]');
    /** The weekday and time the team is back, as the visitor's language writes them. */
    const backAt = (language: string) => {
      const day = new Date(Date.UTC(2026, 11, 7 + WEEKDAYS.indexOf(openDay))); // 7 December 2026 is a Monday
      return `${new Intl.DateTimeFormat(language, { weekday: 'long', timeZone: 'UTC' }).format(day)} 10:00`;
    };

    it("says in English when the team is back and takes the visitor's email address", async () => {
      const context = await browser.newContext({ locale: 'en-US' });
      try {
        const visitor = await context.newPage();
        await visitor.goto(site.url);
        await visitor.getByRole('button', { name: 'Open chat' }).click();
        await frameOf(visitor)
          .getByText(`We're back ${backAt('en')}. Leave your email address and we'll reply by email.`)
          .waitFor({ timeout: 10_000 });
        await screenshot(visitor, 'chat-widget-closed');
        await frameOf(visitor).getByLabel('Email').fill('night.owl@customer.test');
        await frameOf(visitor).getByRole('button', { name: 'Save' }).click();
        await frameOf(visitor).getByText("Thanks! We'll reply to night.owl@customer.test.").waitFor();
        await frameOf(visitor).getByRole('textbox', { name: 'Message' }).fill('Do you deliver on Sundays?');
        await frameOf(visitor).getByRole('button', { name: 'Send' }).click();
        await frameOf(visitor).locator('#messages li.msg:not(.pending) p.text').getByText('Do you deliver on Sundays?').waitFor();
      } finally {
        await context.close();
      }
    });

    it('says it in Dutch to a Dutch browser', async () => {
      const context = await browser.newContext({ locale: 'nl-NL' });
      try {
        const visitor = await context.newPage();
        await visitor.goto(site.url);
        await visitor.getByRole('button', { name: 'Chat openen' }).click();
        await frameOf(visitor)
          .getByText(`We zijn er weer op ${backAt('nl')}.`, { exact: false })
          .waitFor({ timeout: 10_000 });
        await frameOf(visitor).getByLabel('E-mailadres').waitFor();
      } finally {
        await context.close();
      }
    });

    it('says nothing of opening hours once they are switched off', async () => {
      expect((await ui.api('PUT', `/api/inboxes/${inboxId}/business-hours`, hours(false))).status).toBe(200);
      const context = await browser.newContext({ locale: 'en-US' });
      try {
        const visitor = await context.newPage();
        await visitor.goto(site.url);
        await visitor.getByRole('button', { name: 'Open chat' }).click();
        await frameOf(visitor).getByText('Hi! How can we help you?').waitFor();
        // Nobody has Parley open, so the away note is there, but it speaks of availability, not of opening hours.
        await frameOf(visitor).getByText('No one is available right now.', { exact: false }).waitFor({ timeout: 10_000 });
        expect(await frameOf(visitor).getByText("We're back", { exact: false }).count()).toBe(0);
      } finally {
        await context.close();
      }
    });
  });
}
