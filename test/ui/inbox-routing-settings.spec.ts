import type { Browser, BrowserContext, Page } from 'playwright-core';
import { reportSkippedSuite } from '../support/engines';
import { chromiumMissing, launchChromium, logIn, screenshot, startUiApp, type UiApp } from '../support/ui-harness';

/**
 * Inbox settings in Chromium (issue 14): an admin sets the inbox's Auto-assignment (mode, channels
 * from the channel catalog, default and per-agent capacity) and its Business hours (time zone, each
 * day's intervals); after a reload both are kept, and a bad interval shows what is wrong with it.
 * An agent who is not an admin sees neither form.
 */
const missing = chromiumMissing();
if (missing) {
  reportSkippedSuite('Web UI in Chromium (auto-assignment and business hours in Inbox settings)', missing, 'chromium');
  it.skip('inbox routing settings browser tests (Chromium not installed)', () => undefined);
} else {
  describe('Inbox settings: auto-assignment and business hours, in Chromium', () => {
    let ui: UiApp;
    let browser: Browser;
    let context: BrowserContext;
    let page: Page;
    let inboxId = '';
    let memberId = '';

    beforeAll(async () => {
      ui = await startUiApp();
      inboxId = (await ui.api('GET', '/api/inboxes')).body.inboxes.find((i: { isDefault: boolean }) => i.isDefault).id;
      const member = await ui.api('POST', '/api/agents', { name: 'Mia Member', email: 'mia@example.com', password: 'password-123', role: 'agent' });
      memberId = member.body.id;
      await ui.api('PUT', `/api/inboxes/${inboxId}/members`, { agentIds: [memberId] });
      browser = await launchChromium();
      context = await browser.newContext({ locale: 'en-US' });
      page = await context.newPage();
      await logIn(page, ui.baseUrl);
    }, 60_000);

    afterAll(async () => {
      await browser?.close();
      await ui?.close();
    });

    const routing = () => page.locator('#routing-settings');
    const hours = () => page.locator('#business-hours-settings');

    it("sets auto-assignment: mode, channels, default capacity and one agent's capacity, kept after a reload", async () => {
      await page.goto(`${ui.baseUrl}/settings?inbox=${inboxId}`);
      await routing().getByLabel('Mode').selectOption('balanced');
      // The channels come from the catalog: every channel this Parley has, chat and email among them.
      await routing().getByLabel('Chat').check();
      await routing().getByLabel('Email').check();
      await routing().getByLabel('Default capacity').fill('4');
      await routing().getByLabel('Capacity of Mia Member').fill('2');
      await routing().getByRole('button', { name: 'Save auto-assignment' }).click();
      await routing().getByRole('status').getByText('Auto-assignment saved.').waitFor();

      expect((await ui.api('GET', `/api/inboxes/${inboxId}/routing`)).body).toEqual({
        mode: 'balanced',
        channels: ['chat', 'email'],
        defaultCapacity: 4,
        capacities: { [memberId]: 2 },
      });
      await page.reload();
      expect(await routing().getByLabel('Mode').inputValue()).toBe('balanced');
      expect(await routing().getByLabel('Chat').isChecked()).toBe(true);
      expect(await routing().getByLabel('Default capacity').inputValue()).toBe('4');
      expect(await routing().getByLabel('Capacity of Mia Member').inputValue()).toBe('2');
      expect(await routing().getByLabel('Capacity of Admin', { exact: false }).inputValue()).toBe('');
    });

    it('sets business hours: time zone and intervals per day, kept after a reload', async () => {
      await hours().getByLabel('Keep business hours').check();
      await hours().getByLabel('Time zone').selectOption('Europe/Amsterdam');
      await hours().getByLabel('Monday').fill('13:00-17:30, 9:00-12:00');
      await hours().getByLabel('Friday').fill('09:00 - 24:00');
      await hours().getByRole('button', { name: 'Save business hours' }).click();
      await hours().getByRole('status').getByText('Business hours saved.').waitFor();
      await routing().scrollIntoViewIfNeeded();
      await screenshot(page, 'settings-business-hours');

      const stored = (await ui.api('GET', `/api/inboxes/${inboxId}/business-hours`)).body;
      expect(stored).toMatchObject({
        enabled: true,
        timeZone: 'Europe/Amsterdam',
        week: {
          mon: [
            { from: '09:00', to: '12:00' },
            { from: '13:00', to: '17:30' },
          ],
          tue: [],
          fri: [{ from: '09:00', to: '24:00' }],
        },
      });
      await page.reload();
      expect(await hours().getByLabel('Keep business hours').isChecked()).toBe(true);
      expect(await hours().getByLabel('Time zone').inputValue()).toBe('Europe/Amsterdam');
      expect(await hours().getByLabel('Monday').inputValue()).toBe('09:00-12:00, 13:00-17:30');
      expect(await hours().getByLabel('Tuesday').inputValue()).toBe('');
      expect(await hours().locator('#business-hours-status').textContent()).toMatch(
        /^(Open now\.|Closed now; opens \w+day \d\d:\d\d \(Europe\/Amsterdam\)\.)$/,
      );
    });

    it('shows what is wrong with a bad interval, keeps what was typed, and stores nothing', async () => {
      await hours().getByLabel('Tuesday').fill('17:00-09:00');
      await hours().getByRole('button', { name: 'Save business hours' }).click();
      await hours().getByRole('alert').getByText('Tuesday: "17:00-09:00" is not an opening time; write it as 09:00-17:00, the start before the end').waitFor();
      expect(await hours().getByLabel('Tuesday').inputValue()).toBe('17:00-09:00');

      await hours().getByLabel('Tuesday').fill('09:00-13:00, 12:00-17:00');
      await hours().getByRole('button', { name: 'Save business hours' }).click();
      await hours().getByRole('alert').getByText('overlapping opening hours', { exact: false }).waitFor();
      expect((await ui.api('GET', `/api/inboxes/${inboxId}/business-hours`)).body.week.tue).toEqual([]);

      await routing().getByLabel('Default capacity').fill('5000');
      // The browser's own check would stop the form; what the server says is what is tested here.
      await routing()
        .locator('form')
        .evaluate((form) => ((form as unknown as { noValidate: boolean }).noValidate = true));
      await routing().getByRole('button', { name: 'Save auto-assignment' }).click();
      await routing().getByRole('alert').getByText('Default capacity: enter a whole number from 0 to 1000 (got "5000")').waitFor();
      expect((await ui.api('GET', `/api/inboxes/${inboxId}/routing`)).body.defaultCapacity).toBe(4);
    });

    it('speaks Dutch to a Dutch admin', async () => {
      const dutch = await browser.newContext({ locale: 'nl-NL' });
      try {
        const nl = await dutch.newPage();
        await logIn(nl, ui.baseUrl);
        await nl.goto(`${ui.baseUrl}/settings?inbox=${inboxId}`);
        await nl.getByRole('heading', { name: 'Automatisch toewijzen' }).waitFor();
        await nl.getByRole('heading', { name: 'Openingstijden' }).waitFor();
        expect(await nl.locator('#business-hours-settings').getByLabel('Maandag').inputValue()).toBe('09:00-12:00, 13:00-17:30');
      } finally {
        await dutch.close();
      }
    });

    it('shows neither form to an agent who is not an admin', async () => {
      const other = await browser.newContext({ locale: 'en-US' });
      try {
        const agentPage = await other.newPage();
        await logIn(agentPage, ui.baseUrl, 'mia@example.com', 'password-123');
        await agentPage.goto(`${ui.baseUrl}/settings?inbox=${inboxId}`);
        await agentPage.locator('#preferences-form').waitFor();
        expect(await agentPage.locator('#routing-settings').count()).toBe(0);
        expect(await agentPage.locator('#business-hours-settings').count()).toBe(0);
      } finally {
        await other.close();
      }
    });
  });
}
