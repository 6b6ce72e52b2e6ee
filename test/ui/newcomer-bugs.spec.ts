import type { Browser, Page } from 'playwright-core';
import { launchChromium, logIn, startUiApp, textOf, waitForText, type UiApp } from '../support/ui-harness';

/**
 * What a new user tripped over (issue 12), in a real browser: the browser's own time zone reaches
 * the refusal to close a bot conversation, and an unlinked contact leaves nobody to reply to.
 */
describe('Web UI in Chromium: newcomer bugs', () => {
  let ui: UiApp;
  let browser: Browser;

  beforeAll(async () => {
    ui = await startUiApp();
    browser = await launchChromium();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await ui?.close();
  });

  const pageIn = async (timezoneId: string): Promise<Page> => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'en-US', timezoneId });
    const page = await context.newPage();
    page.on('dialog', (dialog) => void dialog.accept());
    await logIn(page, ui.baseUrl);
    return page;
  };
  const open = async (page: Page, view: string, conversationId: string) => {
    await page.goto(`${ui.baseUrl}/inbox?view=${view}&conversation=${conversationId}`);
    await page.locator('#thread-pane .thread-subject, #thread-pane h1, #thread-pane h2').first().waitFor();
  };

  it("words the bot-close refusal in the browser's time zone, not in UTC (item 5)", async () => {
    // Rule 9 holds for a conversation the inbox's bot took at its start: this one starts while a bot is active for the API channel.
    const inboxId = ((await ui.api('GET', '/api/inboxes')).body.inboxes as Array<{ id: string; isDefault: boolean }>).find((inbox) => inbox.isDefault)!.id;
    const bot = await ui.api('POST', `/api/inboxes/${inboxId}/bots`, { name: 'Greeter', kind: 'flow', channels: ['api'] });
    expect((await ui.api('POST', `/api/bots/${bot.body.id}/activate`, {})).status).toBe(200);
    const { conversationId } = await ui.receive({ subject: 'Bot is on it' });
    expect((await ui.api('DELETE', `/api/bots/${bot.body.id}`)).status).toBe(204);
    const detail = (await ui.api('GET', `/api/conversations/${conversationId}`)).body;
    expect(detail.assignee).toEqual({ type: 'bot' });
    const refusal = await ui.api('POST', `/api/conversations/${conversationId}/close`, {});
    expect(refusal.body.code).toBe('bot-close-too-early');
    const iso = new Date(Date.parse(detail.lastReceivedAt) + 30 * 60_000).toISOString();

    const page = await pageIn('America/New_York');
    // The page tells the server the browser's zone (a cookie) on its first load; this load uses it.
    await open(page, 'bots', conversationId);
    await open(page, 'bots', conversationId);
    await page.click('#close-btn');
    const local = new Intl.DateTimeFormat('en', {
      timeZone: 'America/New_York',
      day: 'numeric',
      month: 'short',
      year: 'numeric',
      hour: '2-digit',
      minute: '2-digit',
    }).format(new Date(iso));
    await waitForText(page.locator('#flash .flash'), `close it from ${local}`);
    expect(await textOf(page.locator('#flash .flash'))).not.toContain(iso);
    await page.context().close();
  });

  it('offers no reply to anyone once the contact is unlinked (item 6)', async () => {
    const { conversationId } = await ui.receive({ subject: 'Who is this with', from: { address: 'lee@customer.test', name: 'Lee Park' } });
    const page = await pageIn('Europe/Amsterdam');
    await open(page, 'all-open', conversationId);
    expect(await page.getAttribute('#reply-text', 'placeholder')).toContain('Lee Park');
    await page.click('#unlink-contact');
    await page.locator('#reply-no-contact').waitFor();
    expect(await page.isDisabled('#reply-text')).toBe(true);
    expect(await page.isDisabled('#send-reply')).toBe(true);
    expect(await page.getAttribute('#reply-text', 'placeholder')).not.toContain('Lee Park');
    expect(await textOf(page.locator('#thread-pane'))).not.toContain('Reply to lee@customer.test');
    expect(await textOf(page.locator('#contact-name, #no-contact').first())).not.toContain('Lee Park');
    await page.context().close();
  });
});
