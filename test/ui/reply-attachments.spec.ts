import type { Browser } from 'playwright-core';
import { reportSkippedSuite } from '../support/engines';
import { chromiumMissing, eventually, launchChromium, logIn, receiveEmail, startUiApp, waitForText, type UiApp } from '../support/ui-harness';
import { SmtpSink } from '../plugins/email/support/smtp-sink';

/**
 * The reply box takes files on a channel that sends them (issue 12 §5.2): chosen with the
 * paperclip, uploaded at once, sent with the reply; the reply in the thread links each file as a
 * download, and the customer gets them as attachments.
 */
const missing = chromiumMissing();
if (missing) {
  reportSkippedSuite('Web UI in Chromium (reply attachments)', missing, 'chromium');
  it.skip('reply attachment browser tests (Chromium not installed)', () => undefined);
} else {
  describe('Web UI in Chromium: a reply with attachments', () => {
    const relay = new SmtpSink();
    let ui: UiApp;
    let browser: Browser;
    let emailId: string;
    let apiId: string;

    beforeAll(async () => {
      await relay.start();
      ui = await startUiApp({ env: { SMTP_RELAY_URL: relay.url, PARLEY_INBOX_EMAIL: 'support@parley.test' } });
      emailId = await receiveEmail(ui, {
        from: 'Jane Roe <jane@customer.test>',
        to: 'support@parley.test',
        subject: 'Send the manual please',
        text: 'Could you send me the manual?',
      });
      apiId = (await ui.receive({ subject: 'An API message' })).conversationId;
      browser = await launchChromium();
    }, 60_000);

    afterAll(async () => {
      await browser?.close();
      await ui?.close();
      await relay.stop();
    });

    it('uploads the chosen file, sends it with the reply, and the reply links it as a download', async () => {
      const page = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
      await logIn(page, ui.baseUrl);
      await page.goto(`${ui.baseUrl}/inbox?view=all-open&conversation=${emailId}`);
      await page.waitForSelector('#app[data-live="on"]');

      await page.setInputFiles('#reply-files', { name: 'manual.pdf', mimeType: 'application/pdf', buffer: Buffer.from('%PDF-1.4 the manual') });
      const chip = page.locator('#reply-attachments .attach-item', { hasText: 'manual.pdf' });
      await chip.locator('input[name="attachmentIds"]').waitFor({ state: 'attached' });
      // A file chosen by mistake can be taken off again before sending.
      await page.setInputFiles('#reply-files', { name: 'wrong.txt', mimeType: 'text/plain', buffer: Buffer.from('oops') });
      const wrong = page.locator('#reply-attachments .attach-item', { hasText: 'wrong.txt' });
      await wrong.locator('.attach-remove').click();
      await wrong.waitFor({ state: 'detached' });

      await page.fill('#reply-text', 'Here is the manual.');
      await page.click('#send-reply');
      const link = page.locator('.msg a', { hasText: 'manual.pdf' }).last();
      await link.waitFor();
      const href = await link.getAttribute('href');
      expect(href).toMatch(new RegExp(`^/api/conversations/${emailId}/attachments/[0-9a-f-]{36}$`));
      expect(await page.locator('.msg a', { hasText: 'wrong.txt' }).count()).toBe(0);

      const download = await page.request.get(`${ui.baseUrl}${href}`);
      expect(download.status()).toBe(200);
      expect(download.headers()['content-disposition']).toMatch(/^attachment; filename="manual.pdf"/);
      expect((await download.body()).toString()).toBe('%PDF-1.4 the manual');

      const sent = await eventually(() => relay.received.find((m) => m.parsed.text?.includes('Here is the manual.')), 10_000, 'the reply at the relay');
      expect(sent!.parsed.attachments.map((a) => a.filename)).toEqual(['manual.pdf']);
    });

    it('offers no paperclip where the channel sends no files', async () => {
      const page = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
      await logIn(page, ui.baseUrl);
      await page.goto(`${ui.baseUrl}/inbox?view=all-open&conversation=${apiId}`);
      await waitForText(page.locator('#thread-subject'), 'An API message');
      expect(await page.locator('#reply-files').count()).toBe(0);
      expect(await page.locator('#reply-text').isVisible()).toBe(true);
    });
  });
}
