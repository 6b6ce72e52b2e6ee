import type { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { inbound, ManualClock, startTestApp, type TestApp } from '../support/app-harness';
import { reportSkippedSuite } from '../support/engines';
import { chromiumMissing, launchChromium, logIn } from '../support/ui-harness';

/**
 * The Reports page in Chromium for a Dutch agent: reached from the inbox's navigation, it shows
 * the agent's inboxes only, the numbers of known durations written in Dutch ("1 u 5 min"), and
 * the period's boundaries in the agent's own time zone.
 */
const missing = chromiumMissing();
if (missing) {
  reportSkippedSuite('Web UI in Chromium (Reports page)', missing, 'chromium');
  it.skip('reports browser test (Chromium not installed)', () => undefined);
} else {
  describe('Reports page, in Chromium, for a Dutch agent', () => {
    const clock = new ManualClock(new Date('2026-11-24T10:00:00.000Z'));
    let t: TestApp;
    let baseUrl: string;
    let browser: Browser;
    let page: Page;
    let admin: string;
    const daan = { id: '', email: `daan-${Date.now()}@example.com`, password: 'password-123', token: '' };
    let support: string;

    const ok = async (method: string, url: string, body: unknown, token = admin) => {
      const res = await t.request(method, url, { token, body });
      if (res.status >= 300) throw new Error(`${method} ${url}: ${res.status} ${JSON.stringify(res.body)}`);
      return res.body;
    };
    /** A conversation assigned to Daan, answered `reply` seconds and closed `close` seconds after the contact wrote. */
    const handled = async (inboxId: string, reply: number, close: number) => {
      const id = (await ok('POST', '/api/channels/api/messages', inbound({ inboxId }))).conversationId as string;
      await ok('POST', `/api/conversations/${id}/assign`, { assignee: daan.id });
      clock.advance(reply * 1000);
      await ok('POST', `/api/conversations/${id}/replies`, { text: 'Komt eraan.' }, daan.token);
      clock.advance((close - reply) * 1000);
      await ok('POST', `/api/conversations/${id}/close`, {}, daan.token);
      clock.advance(60_000);
    };

    beforeAll(async () => {
      t = await startTestApp({ clock });
      await t.app.listen({ port: 0, host: '127.0.0.1' });
      baseUrl = `http://127.0.0.1:${(t.app.getHttpServer().address() as AddressInfo).port}`;
      admin = await t.login();
      daan.id = (await ok('POST', '/api/agents', { name: 'Daan de Vries', email: daan.email, password: daan.password, role: 'agent' })).id;
      daan.token = await t.login(daan.email, daan.password);
      await ok('PUT', '/api/me/preferences', { language: 'nl', timeZone: 'Pacific/Auckland' }, daan.token);
      support = (await ok('POST', '/api/inboxes', { name: 'Klantenservice', agentIds: [daan.id] })).id;
      await ok('POST', '/api/inboxes', { name: 'Geheime inbox', agentIds: [] });
      // First responses 90 s and 5 min; resolutions 1 h 5 min and 2 days 3 h.
      await handled(support, 90, 3900);
      await handled(support, 300, 2 * 86400 + 3 * 3600);

      browser = await launchChromium();
      const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-US', timezoneId: 'UTC' });
      page = await context.newPage();
    }, 60_000);

    afterAll(async () => {
      await browser?.close();
      await t?.close();
    });

    it('shows p50 and p90 as Dutch durations, the period in the agent’s zone, and only the agent’s inboxes', async () => {
      await logIn(page, baseUrl, daan.email, daan.password);
      await Promise.all([page.waitForURL(/\/ui\/reports/), page.click('#reports-link')]);
      expect(await page.locator('h1').innerText()).toContain('Rapportages');
      // The link opens the report of the inbox the agent was in (the default one); Klantenservice is picked here.
      await page.selectOption('#reports-inbox', support);
      await Promise.all([page.waitForURL(new RegExp(`inbox=${support}`)), page.click('#reports-show')]);

      const row = page.locator(`#reports-agents tr[data-agent-id="${daan.id}"]`);
      const cell = (name: string) => row.locator(`[data-cell="${name}"]`).innerText();
      expect(await row.locator('th').innerText()).toBe('Daan de Vries');
      expect(await cell('assigned')).toBe('2');
      expect(await cell('first-response-p50')).toBe('1 min 30 s');
      expect(await cell('first-response-p90')).toBe('5 min');
      expect(await cell('resolution-p50')).toBe('1 u 5 min');
      expect(await cell('resolution-p90')).toBe('2 d 3 u');
      expect(await page.locator('#reports-agents thead').innerText()).toContain('Eerste reactie, mediaan');

      // Only the inboxes Daan works in are offered (the default one and Klantenservice); the period starts at midnight in Auckland.
      const options = await page.locator('#reports-inbox option').allInnerTexts();
      expect(options).toEqual(['Al mijn inboxen', 'Klantenservice', 'Support']);
      const range = await page.locator('#reports-range').innerText();
      expect(range).toContain('Pacific/Auckland');
      expect(range).toContain('00:00');

      // A custom period without any of it: the agent's row stays, with nothing to measure.
      await page.selectOption('#reports-period', 'custom');
      await page.fill('#reports-from', '2026-01-01');
      await page.fill('#reports-to', '2026-01-31');
      await Promise.all([page.waitForURL(/period=custom/), page.click('#reports-show')]);
      expect(await page.locator(`#reports-agents tr[data-agent-id="${daan.id}"] [data-cell="first-response-p50"]`).innerText()).toBe('—');
      expect(await page.locator('#reports-agents [data-cell="assigned"]').first().innerText()).toBe('0');

      // The day order reversed: the refusal in Dutch, on the page.
      await page.fill('#reports-from', '2026-02-10');
      await page.fill('#reports-to', '2026-02-01');
      await Promise.all([page.waitForURL(/from=2026-02-10/), page.click('#reports-show')]);
      expect(await page.locator('#reports-error').innerText()).toContain('from mag niet na to liggen');
    });
  });
}
