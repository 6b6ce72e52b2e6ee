import type { Browser, Page } from 'playwright-core';
import { CHANNEL_CONNECTION, type ChannelConnection } from '../../src/application/ports/channel.port';
import { apiAndEmail, formsLikePlugin, HOUR, windowTestPlugin, type WindowChannelLog } from '../support/reply-window-plugins';
import { reportSkippedSuite } from '../support/engines';
import { chromiumMissing, eventually, launchChromium, logIn, screenshot, startUiApp, textOf, waitForText, type UiApp } from '../support/ui-harness';

/**
 * The reply box of a channel with a reply window and approved templates (WhatsApp's rule, from a
 * test plugin): while the window is open it says until when and offers the text box and the
 * picker; once it closed only the picker is left, whose live preview fills the parameters in, and
 * the template sent shows in the thread with its parameters. A form's conversation is answered by email.
 */
const missing = chromiumMissing();
if (missing) {
  reportSkippedSuite('Web UI in Chromium (reply window and templates)', missing, 'chromium');
  it.skip('reply window browser tests (Chromium not installed)', () => undefined);
} else {
  describe('Web UI in Chromium: reply window and template picker', () => {
    const log: WindowChannelLog = { sent: [], windowAsked: [] };
    let ui: UiApp;
    let browser: Browser;
    let page: Page;
    let channel: ChannelConnection;
    let n = 0;

    beforeAll(async () => {
      ui = await startUiApp({ builtIns: [...apiAndEmail(), () => windowTestPlugin(log), () => formsLikePlugin()] });
      channel = ui.t.app.get<ChannelConnection>(CHANNEL_CONNECTION);
      browser = await launchChromium();
      page = await (await browser.newContext({ viewport: { width: 1440, height: 900 }, locale: 'en-US' })).newPage();
      await logIn(page, ui.baseUrl);
    }, 60_000);

    afterAll(async () => {
      await browser?.close();
      await ui?.close();
    });

    /** A conversation on the window channel whose contact last wrote `hoursAgo` hours ago. */
    async function conversationFrom(hoursAgo: number, text: string): Promise<string> {
      n += 1;
      const { conversationId } = await channel.ingest({
        channel: 'window-test',
        externalThreadId: `ui-window-${n}`,
        externalMessageId: `ui-window-message-${n}`,
        from: { address: `+3161234000${n}`, name: `Contact ${n}` },
        to: [],
        text,
        receivedAt: new Date(Date.now() - hoursAgo * HOUR).toISOString(),
      });
      return conversationId;
    }

    async function open(conversationId: string): Promise<void> {
      await page.goto(`${ui.baseUrl}/inbox?view=all&conversation=${conversationId}`);
      await page.waitForSelector('#panel-reply');
    }

    it('says until when the window is open, and offers the text box and the templates', async () => {
      const id = await conversationFrom(1, 'Is my parcel on its way?');
      await open(id);
      expect(await textOf(page.locator('#reply-window'))).toMatch(/^You can answer freely until /);
      expect(await page.locator('#reply-text').isVisible()).toBe(true);
      expect(await page.locator('#template-picker .template-choice').count()).toBe(3);
      await page.fill('#reply-text', 'Yes, it ships today.');
      await page.click('#send-reply');
      await waitForText(page.locator('#timeline .msg-out'), 'Yes, it ships today.');
    });

    it('once the window closed offers only the picker: choose a template, fill its parameters (live preview), send it, see it in the thread', async () => {
      const id = await conversationFrom(30, 'Hello?');
      await open(id);
      const windowText = await textOf(page.locator('#reply-window'));
      expect(windowText).toMatch(/^The reply window closed at .+: The 24-hour window closed: only approved templates may be sent/);
      expect(await page.locator('#reply-text').count()).toBe(0);
      expect(await page.locator('#send-reply').count()).toBe(0);
      expect(await textOf(page.locator('#reply-templates-only'))).toContain('Only an approved template can be sent now');
      await screenshot(page, 'reply-window-closed');

      const choice = page.locator('.template-choice[data-template-name="order_update"][data-template-language="en_US"]');
      await choice.locator('summary').click();
      const preview = choice.locator('.template-preview');
      expect(await textOf(preview)).toBe('Hello [1], your order [2] has shipped.');
      const inputs = choice.locator('input[data-template-parameter]');
      expect(await inputs.count()).toBe(2);
      await inputs.nth(0).fill('Ana');
      await waitForText(preview, 'Hello Ana, your order [2] has shipped.');
      await inputs.nth(1).fill('A-1042');
      await waitForText(preview, 'Hello Ana, your order A-1042 has shipped.');
      await screenshot(page, 'reply-template-picker');
      await choice.locator('button[data-send-template]').click();

      await waitForText(page.locator('#timeline .msg-out'), 'Hello Ana, your order A-1042 has shipped.');
      const sent = await eventually(() => log.sent.find((m) => m.text === 'Hello Ana, your order A-1042 has shipped.'), 10_000, 'the template at the channel');
      expect(sent?.template).toEqual({ name: 'order_update', language: 'en_US', parameters: ['Ana', 'A-1042'] });
      // Only the chosen template was sent, once.
      expect(log.sent.filter((m) => m.conversationId === id)).toHaveLength(1);
    });

    it('answers a form-like conversation by email: the reply box names the email address', async () => {
      n += 1;
      const { conversationId } = await channel.ingest({
        channel: 'forms',
        externalThreadId: `ui-form-${n}`,
        externalMessageId: `ui-form-message-${n}`,
        from: { address: 'lotte@customer.test', name: 'Lotte' },
        to: [],
        text: 'Please send me the brochure',
      });
      await open(conversationId);
      expect(await page.locator('#reply-channel-fixed').getAttribute('value')).toBe('email');
      expect(await textOf(page.locator('#panel-reply .composer-row'))).toContain('lotte@customer.test');
      expect(await page.locator('#reply-window').count()).toBe(0);
      await page.fill('#reply-text', 'Here it comes.');
      await page.click('#send-reply');
      await waitForText(page.locator('#timeline .msg-out'), 'Here it comes.');
      const detail = await ui.api('GET', `/api/conversations/${conversationId}`);
      expect(detail.body.messages.find((m: { direction: string }) => m.direction === 'out')).toMatchObject({ channel: 'email', text: 'Here it comes.' });
    });
  });
}
