import type { Browser } from 'playwright-core';
import { reportSkippedSuite } from '../support/engines';
import { chromiumMissing, eventually, launchChromium, logIn, receiveEmail, startUiApp, textOf, waitForText, type UiApp } from '../support/ui-harness';
import { SmtpSink } from '../plugins/email/support/smtp-sink';

/**
 * Issue 16 §2 in the browser: an email thread with Cc'd people shows their count in the list (a
 * title naming them) and the Cc under the message; the reply box offers Reply and Reply all with
 * To and Cc, and the customer's mail server gets To and Cc. A channel without the `cc`
 * capability gets neither.
 */
const missing = chromiumMissing();
if (missing) {
  reportSkippedSuite('Web UI in Chromium (reply all)', missing, 'chromium');
  it.skip('reply-all browser tests (Chromium not installed)', () => undefined);
} else {
  describe('Web UI in Chromium: reply and reply all', () => {
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
        cc: ['Piet Jansen <piet@customer.test>', 'mia@partner.test', 'support@parley.test'],
        subject: 'Order for the three of us',
        text: 'Piet and Mia need the answer too.',
      });
      apiId = (await ui.receive({ subject: 'An API message' })).conversationId;
      browser = await launchChromium();
    }, 60_000);

    afterAll(async () => {
      await browser?.close();
      await ui?.close();
      await relay.stop();
    });

    it('shows the participants in the list and the Cc under the message', async () => {
      const page = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
      await logIn(page, ui.baseUrl);
      await page.goto(`${ui.baseUrl}/inbox?view=all-open&conversation=${emailId}`);
      const row = page.locator(`li.conv[data-id="${emailId}"]`);
      const count = row.locator('.conv-participants');
      expect(await textOf(count.locator('[aria-hidden="true"]'))).toBe('+2');
      expect(await count.getAttribute('title')).toBe('3 participants: Jane Roe <jane@customer.test>, Piet Jansen <piet@customer.test>, mia@partner.test');
      await waitForText(page.locator('.msg .msg-cc'), 'Cc Piet Jansen <piet@customer.test>, mia@partner.test');
    });

    it('offers Reply all on the email thread: Cc filled with the others (never the inbox), and the mail goes out with To and Cc', async () => {
      const page = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
      await logIn(page, ui.baseUrl);
      await page.goto(`${ui.baseUrl}/inbox?view=all-open&conversation=${emailId}`);
      await page.waitForSelector('#reply-recipients');
      expect(await page.inputValue('#reply-to')).toBe('Jane Roe <jane@customer.test>');
      expect(await page.inputValue('#reply-cc')).toBe('');
      expect(await page.isChecked('#reply-mode-sender')).toBe(true);

      await page.check('#reply-mode-all');
      expect(await page.inputValue('#reply-cc')).toBe('piet@customer.test, mia@partner.test');
      await page.check('#reply-mode-sender');
      expect(await page.inputValue('#reply-cc')).toBe('');
      await page.check('#reply-mode-all');
      // Cc stays editable: add someone by hand.
      await page.fill('#reply-cc', `${await page.inputValue('#reply-cc')}, boss@customer.test`);

      await page.fill('#reply-text', 'Noted for all of you.');
      await page.click('#send-reply');
      await waitForText(page.locator('.msg-out .msg-cc').last(), 'Cc Piet Jansen <piet@customer.test>, mia@partner.test, boss@customer.test');

      const sent = await eventually(() => relay.received.find((m) => m.parsed.text?.includes('Noted for all of you.')), 10_000, 'reply-all at the relay');
      expect(sent!.parsed.to).toMatchObject({ value: [{ address: 'jane@customer.test' }] });
      expect(Array.isArray(sent!.parsed.cc) ? [] : sent!.parsed.cc!.value.map((p) => p.address)).toEqual([
        'piet@customer.test',
        'mia@partner.test',
        'boss@customer.test',
      ]);
      expect(sent!.envelope.to).not.toContain('support@parley.test');
    });

    it('a plain Reply goes to the contact alone', async () => {
      const page = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
      await logIn(page, ui.baseUrl);
      await page.goto(`${ui.baseUrl}/inbox?view=all-open&conversation=${emailId}`);
      await page.waitForSelector('#reply-recipients');
      await page.fill('#reply-text', 'Only for Jane.');
      await page.click('#send-reply');
      const sent = await eventually(() => relay.received.find((m) => m.parsed.text?.includes('Only for Jane.')), 10_000, 'the reply at the relay');
      expect(sent!.envelope.to).toEqual(['jane@customer.test']);
      expect(sent!.parsed.cc).toBeUndefined();
    });

    it('offers neither Reply all nor To and Cc on a channel without the cc capability', async () => {
      const page = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
      await logIn(page, ui.baseUrl);
      await page.goto(`${ui.baseUrl}/inbox?view=all-open&conversation=${apiId}`);
      await waitForText(page.locator('#thread-subject'), 'An API message');
      expect(await page.locator('#reply-text').isVisible()).toBe(true);
      expect(await page.locator('#reply-recipients').count()).toBe(0);
      expect(await page.locator('#reply-mode-all').count()).toBe(0);
      expect(await page.locator('#reply-cc').count()).toBe(0);
    });
  });
}
