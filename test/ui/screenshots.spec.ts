import type { Browser, Page } from 'playwright-core';
import { reportSkippedSuite } from '../support/engines';
import { chromiumMissing, launchChromium, logIn, row, screenshot, startUiApp, waitForText, type UiApp } from '../support/ui-harness';

/**
 * The screenshots the README links (docs/screenshots), taken of a small, realistic inbox so they
 * show the product rather than test data. Each one is also a check that the screen renders.
 */
const missing = chromiumMissing();
if (missing) {
  reportSkippedSuite('Web UI in Chromium (screenshots)', missing, 'chromium');
  it.skip('web UI screenshots (Chromium not installed)', () => undefined);
} else {
  describe('Web UI in Chromium: screenshots of the main screens', () => {
    let ui: UiApp;
    let browser: Browser;
    let page: Page;
    const ids: Record<string, string> = {};

    const minutesAgo = (minutes: number) => new Date(Date.now() - minutes * 60_000).toISOString();

    beforeAll(async () => {
      ui = await startUiApp();
      await ui.api('PATCH', `/api/agents/${(await ui.api('GET', '/api/me')).body.id}`, { name: 'Ada Lovelace' });
      const grace = (await ui.api('POST', '/api/agents', { name: 'Grace Hopper', email: 'grace@example.com', password: 'grace-password-1', role: 'admin' }))
        .body;
      const messages = [
        {
          key: 'kettle',
          from: { address: 'jane@customer.test', name: 'Jane Cooper' },
          subject: 'Where is my order #1042?',
          text: 'Hi, I ordered a blue kettle two weeks ago (order 1042) and it still has not arrived. Could you check where it is?',
          receivedAt: minutesAgo(95),
        },
        {
          key: 'mug',
          from: { address: 'li.wei@example.org', name: 'Li Wei' },
          subject: 'Refund for a broken mug',
          text: 'The mug arrived broken. I would like a refund, please.',
          html: '<p>Hello,</p><p>The <b>stoneware mug</b> from order 1107 arrived broken (photo attached).</p><p>I would like a <i>refund</i>, please.</p><blockquote>Order 1107 · 1 × Stoneware mug, blue</blockquote><p>Thanks,<br>Li</p>',
          receivedAt: minutesAgo(64),
        },
        {
          key: 'wholesale',
          from: { address: 'marco@cafe-rossi.test', name: 'Marco Rossi' },
          subject: 'Wholesale prices for cafés',
          text: 'Do you offer wholesale prices? We would need about 40 kettles a quarter for our cafés.',
          receivedAt: minutesAgo(41),
        },
        {
          key: 'invoice',
          from: { address: 'sam@startup.test', name: 'Sam Patel' },
          subject: 'Invoice address change',
          text: 'Please change the invoice address on our account to 12 Harbour Street, Bristol.',
          receivedAt: minutesAgo(22),
        },
        {
          key: 'lid',
          from: { address: 'noor@example.net', name: 'Noor Haddad' },
          subject: 'Replacement lid for the teapot',
          text: 'Can I buy a replacement lid for the cast-iron teapot? Mine cracked.',
          receivedAt: minutesAgo(8),
        },
        {
          key: 'prize',
          from: { address: 'winner@prizes.test', name: 'Prize Team' },
          subject: 'You have won a holiday!!!',
          text: 'Click here to claim your prize.',
          receivedAt: minutesAgo(130),
        },
        {
          key: 'old',
          from: { address: 'old.customer@example.com', name: 'Tom Becker' },
          subject: 'Newsletter unsubscribe',
          text: 'Please remove me from the newsletter.',
          receivedAt: minutesAgo(300),
        },
      ];
      for (const [i, m] of messages.entries()) {
        const { key, ...message } = m;
        ids[key] = (await ui.receive({ ...message, externalThreadId: `shot-${i}`, externalMessageId: `shot-${i}` })).conversationId;
      }
      await ui.receive({
        externalThreadId: 'shot-1',
        externalMessageId: 'shot-1b',
        from: { address: 'li.wei@example.org', name: 'Li Wei' },
        subject: 'Re: Refund for a broken mug',
        text: 'PS: the handle came off as well.',
        receivedAt: minutesAgo(60),
      });
      await ui.api('POST', `/api/conversations/${ids.mug}/comments`, { text: '@grace.hopper can you check the warehouse photos for order 1107?' });
      await ui.api('POST', `/api/conversations/${ids.mug}/ticket`, { name: 'Refund order 1107' });
      await ui.api('POST', `/api/conversations/${ids.mug}/replies`, {
        text: 'Sorry about that, Li! We are refunding the mug today; you will see it on your card in 3–5 days.',
      });
      await ui.api('POST', `/api/conversations/${ids.wholesale}/assign`, { assignee: grace.id });
      await ui.api('POST', `/api/conversations/${ids.wholesale}/comments`, { text: 'Sending our price list this afternoon.' });
      await ui.api('POST', `/api/conversations/${ids.prize}/block-sender`, {});
      await ui.api('POST', `/api/conversations/${ids.old}/trash`, {});
      browser = await launchChromium();
      page = await (await browser.newContext({ viewport: { width: 1440, height: 900 } })).newPage();
      await logIn(page, ui.baseUrl);
    }, 60_000);

    afterAll(async () => {
      await browser?.close();
      await ui?.close();
    });

    const show = async (query: string) => {
      await page.goto(`${ui.baseUrl}/inbox?${query}`);
      await page.waitForSelector('#app[data-live="on"]');
      await page.waitForTimeout(300); // email frames load
    };

    it('the inbox with a conversation open', async () => {
      await show(`view=all-open&conversation=${ids.mug}`);
      await waitForText(page.locator('#thread-subject'), 'Refund for a broken mug');
      await page.locator('iframe.msg-frame').waitFor();
      await screenshot(page, 'inbox-thread');
      await show(`view=unassigned&conversation=${ids.kettle}`);
      await screenshot(page, 'inbox');
    });

    it('search with filters', async () => {
      await show('search=1&q=kettle&status=open&hideTrash=true&hideFiltered=false');
      await page.locator('#search-filters[open]').waitFor();
      await row(page, 'Where is my order').waitFor();
      await row(page, 'Wholesale prices').waitFor();
      await screenshot(page, 'search');
    });

    it('Trash, Filtered and the shortcuts', async () => {
      await show(`view=trash&conversation=${ids.old}`);
      await page.locator('#delete-btn').waitFor();
      await screenshot(page, 'trash');
      await show(`view=filtered&conversation=${ids.prize}`);
      await page.locator('.thread-notice').waitFor();
      await screenshot(page, 'filtered');
      await show('view=unassigned');
      await page.keyboard.press('?');
      await page.locator('#help-dialog[open]').waitFor();
      await screenshot(page, 'shortcuts');
    });

    it('on a phone: the list, then a conversation', async () => {
      const phone = await (await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true })).newPage();
      await logIn(phone, ui.baseUrl);
      await phone.goto(`${ui.baseUrl}/inbox?view=all-open`);
      await phone.waitForSelector('#app[data-live="on"]');
      await screenshot(phone, 'phone-list');
      await row(phone, 'Refund for a broken mug').locator('.conv-link').click();
      await waitForText(phone.locator('#thread-subject'), 'Refund for a broken mug');
      await phone.locator('iframe.msg-frame').first().waitFor();
      await phone.waitForTimeout(300); // email frames load
      await screenshot(phone, 'phone-thread');
    });
  });
}
