import { createHmac } from 'node:crypto';
import type { Browser, BrowserContext, Frame, FrameLocator, Page } from 'playwright-core';
import { reportSkippedSuite } from '../support/engines';
import { chromiumMissing, eventually, launchChromium, logIn, screenshot, startUiApp, type UiApp } from '../support/ui-harness';
import { startChatSite, type ChatSite } from './support/chat-site';

/**
 * The chat widget itself in Chromium (issue 13 "Widget"), on a test website on another loopback
 * address that embeds the snippet the chat connection answered, against the real app: what the
 * visitor sees and can do by keyboard, in English, in Dutch and on a phone; the unread badge,
 * "seen", a closed conversation and a new one, "we'll reply by email" with no agent available,
 * and messages that get through exactly once past a rate limit and an offline spell. What the
 * agent does is done over the API (the agent's screen is test/ui/chat-two-pages.spec.ts).
 */
const missing = chromiumMissing();
if (missing) {
  reportSkippedSuite('Chat widget in Chromium', missing, 'chromium');
  it.skip('chat widget browser tests (Chromium not installed)', () => undefined);
} else {
  describe('the chat widget on a website, in Chromium', () => {
    let ui: UiApp;
    let site: ChatSite;
    let browser: Browser;
    let snippet = '';
    let context: BrowserContext;
    let page: Page;
    let inboxId = '';
    let conversationId = '';

    beforeAll(async () => {
      ui = await startUiApp();
      site = await startChatSite(() => snippet);
      inboxId = (await ui.api('GET', '/api/inboxes')).body.inboxes.find((i: { isDefault: boolean }) => i.isDefault).id;
      const connected = await ui.api('POST', `/api/inboxes/${inboxId}/channels`, { type: 'chat', name: 'Shop', settings: { allowedOrigins: [site.origin] } });
      if (connected.status !== 201) throw new Error(`connecting the chat channel answered ${connected.status}: ${JSON.stringify(connected.body)}`);
      snippet = connected.body.embedSnippet;
      browser = await launchChromium();
      context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'en-US' });
      page = await context.newPage();
    }, 60_000);

    afterAll(async () => {
      await browser?.close();
      await ui?.close();
      await site?.close();
    });

    const frameOf = (p: Page): FrameLocator => p.frameLocator('iframe[src*="/channels/chat/c/"]');
    const chatFrame = (p: Page): Frame => {
      const found = p.frames().find((f) => f.url().includes('/channels/chat/c/'));
      if (!found) throw new Error('no chat frame in the page');
      return found;
    };
    /** The launcher's accessible name and whether it has focus (it lives in a shadow root). */
    const launcher = (p: Page) => p.locator('button[aria-expanded]');
    const launcherHasFocus = (p: Page) => p.evaluate(`document.activeElement?.shadowRoot?.activeElement?.getAttribute('aria-expanded') != null`);
    const focusedInFrame = (p: Page) => chatFrame(p).evaluate('document.activeElement ? document.activeElement.id : ""');
    /** Messages the widget shows as accepted by Parley (not still being sent), by text. */
    const delivered = (p: Page, text: string) => frameOf(p).locator('#messages li.msg:not(.pending) p.text').getByText(text, { exact: true });

    async function send(p: Page, text: string): Promise<void> {
      await frameOf(p).getByRole('textbox', { name: 'Message' }).fill(text);
      await frameOf(p).getByRole('button', { name: 'Send' }).click();
    }
    /** The chat conversations the agents see, as the API lists the Chat view. */
    async function chatView(): Promise<Array<{ id: string; preview: string }>> {
      return (await ui.api('GET', `/api/views/chat/conversations?inboxId=${inboxId}`)).body.items;
    }
    /** The conversation of the Chat view whose preview has `text`, once it is there. */
    async function chatWith(text: string): Promise<{ id: string; preview: string }> {
      const found = await eventually(async () => (await chatView()).find((c) => c.preview.includes(text)), 10_000, `a chat saying "${text}" in the Chat view`);
      return found!;
    }
    async function textsOf(id: string): Promise<string[]> {
      return (await ui.api('GET', `/api/conversations/${id}`)).body.messages.map((m: { text: string }) => m.text);
    }

    it('opens from the launcher with the focus in the text box, and a message sent reaches the Chat view', async () => {
      await page.goto(site.url);
      const open = page.getByRole('button', { name: 'Open chat' });
      expect(await open.getAttribute('aria-expanded')).toBe('false');
      await open.click();
      const iframe = page.locator('iframe[src*="/channels/chat/c/"]');
      await iframe.waitFor();
      expect(new URL((await iframe.getAttribute('src'))!).origin).toBe(ui.baseUrl);
      expect(await launcher(page).getAttribute('aria-label')).toBe('Close chat');
      expect(await launcher(page).getAttribute('aria-expanded')).toBe('true');
      await frameOf(page).getByText('Hi! How can we help you?').waitFor();
      await eventually(async () => (await focusedInFrame(page)) === 'text', 5_000, 'focus in the text box');

      await send(page, 'Hello from the shop, is the blue kettle in stock?');
      await delivered(page, 'Hello from the shop, is the blue kettle in stock?').waitFor();
      expect(await frameOf(page).getByRole('textbox', { name: 'Message' }).inputValue()).toBe('');
      conversationId = (await chatWith('blue kettle')).id;
    });

    it('Escape closes it and gives the focus back to the launcher; a reply while closed shows on the launcher', async () => {
      await frameOf(page).getByRole('textbox', { name: 'Message' }).press('Escape');
      await page.locator('iframe[src*="/channels/chat/c/"]').waitFor({ state: 'hidden' });
      expect(await launcherHasFocus(page)).toBe(true);
      expect(await launcher(page).getAttribute('aria-label')).toBe('Open chat');

      const reply = await ui.api('POST', `/api/conversations/${conversationId}/replies`, { text: 'Yes, we have three left.' });
      expect(reply.status).toBe(201);
      await page.getByRole('button', { name: 'Open chat (1 new)' }).waitFor({ timeout: 10_000 });
      await page.keyboard.press('Enter'); // the launcher has the focus
      await delivered(page, 'Yes, we have three left.').waitFor();
      expect(await launcher(page).getAttribute('aria-label')).toBe('Close chat');
      await screenshot(page, 'chat-widget');
      await page.keyboard.press('Escape');
      await page.locator('iframe[src*="/channels/chat/c/"]').waitFor({ state: 'hidden' });
      expect(await launcher(page).getAttribute('aria-label')).toBe('Open chat');
    });

    it('shows the agent typing, and "Seen" once an agent opened the conversation', async () => {
      await launcher(page).click();
      await send(page, 'Could you put one aside for me?');
      await delivered(page, 'Could you put one aside for me?').waitFor();
      expect(await frameOf(page).getByText('Seen').count()).toBe(0);

      expect((await ui.api('POST', `/api/conversations/${conversationId}/typing`)).status).toBe(204);
      await frameOf(page).locator('#typing').getByText('typing').waitFor({ timeout: 5_000 });

      const agentPage = await browser.newPage();
      try {
        await logIn(agentPage, ui.baseUrl);
        // Opened from the Chat view, as an agent does (the thread then tells the channel it was seen).
        await agentPage.goto(`${ui.baseUrl}/inbox?view=chat`);
        await agentPage.locator('#list li.conv', { hasText: 'Could you put one aside for me?' }).locator('.conv-link').click();
        await agentPage.locator('#timeline', { hasText: 'Could you put one aside for me?' }).waitFor();
        const seen = frameOf(page).locator('#messages li.msg.in.seen', { hasText: 'Could you put one aside for me?' });
        await seen.getByText('Seen').waitFor({ timeout: 5_000 });
      } finally {
        await agentPage.close();
      }
    });

    it('a reload keeps the conversation, without asking again', async () => {
      await page.reload();
      await page.getByRole('button', { name: 'Open chat' }).click();
      await delivered(page, 'Hello from the shop, is the blue kettle in stock?').waitFor();
      await delivered(page, 'Yes, we have three left.').waitFor();
      expect(await frameOf(page).locator('#messages li.msg:not(.greeting)').count()).toBe(3);
      expect(await chatView().then((items) => items.filter((c) => c.preview.includes('aside') || c.id === conversationId).length)).toBe(1);
    });

    it('past the rate limit it says to slow down, and the message still arrives once', async () => {
      // The visitor's own session, used from elsewhere (as another tab would) until Parley says 429.
      const cid = /data-parley-chat="([^"]+)"/.exec(snippet)![1];
      // Kept by the loader on the website when the browser refuses the frame its own storage, else by the frame.
      const read = (key: string) => `(() => { try { return localStorage.getItem('${key}:${cid}'); } catch { return null; } })()`;
      const token = String((await page.evaluate(read('parley-chat-token'))) || (await chatFrame(page).evaluate(read('parley-chat'))));
      const burst: string[] = [];
      let sent = 0;
      const post = async () => {
        const text = `Burst message ${++sent}`;
        const response = await fetch(`${ui.baseUrl}/channels/chat/c/${cid}/messages`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify({ text, clientMessageId: `burst-${sent}` }),
        });
        if (response.status === 201) burst.push(text);
        else if (response.status !== 429) throw new Error(`a burst message answered ${response.status}: ${await response.text()}`);
        return response;
      };
      let refused: Response | undefined;
      while (!refused && sent < 100) {
        const response = await post();
        if (response.status === 429) refused = response;
      }
      expect(refused?.headers.get('retry-after')).toMatch(/^\d+$/);
      // Kept at the limit while the visitor writes (a slow machine must not let the bucket refill
      // first), until the widget's own send is refused; the alerts it shows meanwhile are recorded.
      await chatFrame(page).evaluate(`(() => {
        const error = document.getElementById('error');
        window.__alerts = [];
        new MutationObserver(() => { if (!error.hidden) window.__alerts.push(error.textContent); })
          .observe(error, { attributes: true, childList: true, characterData: true, subtree: true });
      })()`);
      let draining = true;
      const widgetRefused = (response: { url(): string; status(): number }) => {
        if (response.url().endsWith('/messages') && response.status() === 429) draining = false;
      };
      page.on('response', widgetRefused);
      const drain = (async () => {
        for (let i = 0; draining && i < 500; i++) {
          await post();
          await new Promise((resolve) => setTimeout(resolve, 20)); // ~50 a second: a regained token is taken at once
        }
      })();
      await send(page, 'Sorry, my cat sat on the keyboard.');
      await drain;
      page.off('response', widgetRefused);
      await delivered(page, 'Sorry, my cat sat on the keyboard.').waitFor({ timeout: 20_000 });
      expect(await frameOf(page).getByRole('alert').isVisible()).toBe(false);
      expect(((await chatFrame(page).evaluate('window.__alerts')) as string[]).some((text) => text.includes('too quickly'))).toBe(true);
      // The burst showed in the widget too (the visitor's own messages from elsewhere), each once.
      await delivered(page, burst[burst.length - 1]).waitFor();
      for (const text of burst) expect(await delivered(page, text).count()).toBe(1);
      const stored = await textsOf(conversationId);
      expect(stored.filter((t) => t.startsWith('Burst message'))).toEqual(burst);
      expect(stored.filter((t) => t === 'Sorry, my cat sat on the keyboard.')).toHaveLength(1);
      expect(await frameOf(page).locator('#messages p.text').getByText('Sorry, my cat sat on the keyboard.', { exact: true }).count()).toBe(1);
    }, 40_000);

    it('offline, a message waits and is sent once when the connection is back', async () => {
      await context.setOffline(true);
      await send(page, 'Sent from a train tunnel');
      await frameOf(page).getByText('offline').first().waitFor({ timeout: 10_000 });
      expect(await frameOf(page).locator('#messages li.msg.pending', { hasText: 'Sent from a train tunnel' }).count()).toBe(1);
      await context.setOffline(false);
      await delivered(page, 'Sent from a train tunnel').waitFor({ timeout: 20_000 });
      await eventually(async () => (await textsOf(conversationId)).includes('Sent from a train tunnel'), 10_000, 'the message stored');
      expect((await textsOf(conversationId)).filter((t) => t === 'Sent from a train tunnel')).toHaveLength(1);
    }, 40_000);

    it('a message over 10,000 characters is refused before it is sent, and stays in the box', async () => {
      const before = (await textsOf(conversationId)).length;
      const long = 'kettle '.repeat(1430); // 10,010 characters
      await send(page, long);
      await frameOf(page).getByRole('alert').getByText('This message is too long.').waitFor();
      expect((await frameOf(page).getByRole('textbox', { name: 'Message' }).inputValue()) === long).toBe(true);
      expect(await frameOf(page).locator('#messages li.msg.pending').count()).toBe(0);
      expect((await textsOf(conversationId)).length).toBe(before);
      await frameOf(page).getByRole('textbox', { name: 'Message' }).fill('');
    });

    it('a closed conversation: the widget says so and offers a new one, which the next message starts', async () => {
      expect((await ui.api('POST', `/api/conversations/${conversationId}/close`, {})).status).toBeLessThan(300);
      await frameOf(page).getByText('This conversation was closed. Send a message to start a new one.').waitFor({ timeout: 5_000 });
      await frameOf(page).getByRole('button', { name: 'Start a new conversation' }).click();
      expect(await frameOf(page).locator('#messages li.msg:not(.greeting)').count()).toBe(0);
      expect(await focusedInFrame(page)).toBe('text');
      await send(page, 'A new question: do you ship to Belgium?');
      await delivered(page, 'A new question: do you ship to Belgium?').waitFor();
      expect((await chatWith('Belgium')).id).not.toBe(conversationId);
    });

    it('with no agent available it says "we\'ll reply by email" and takes the address', async () => {
      expect((await ui.api('PUT', '/api/me/availability', { status: 'away' })).status).toBeLessThan(300);
      const other = await browser.newContext({ locale: 'en-US' });
      try {
        const visitor = await other.newPage();
        await visitor.goto(site.url);
        await visitor.getByRole('button', { name: 'Open chat' }).click();
        await frameOf(visitor).getByText("we'll reply by email").waitFor({ timeout: 10_000 });
        await frameOf(visitor).getByLabel('Email').fill('not an address');
        await frameOf(visitor).getByRole('button', { name: 'Save' }).click();
        await frameOf(visitor).getByRole('alert').getByText('Enter a valid email address.').waitFor();
        await frameOf(visitor).getByLabel('Email').fill('grace@customer.test');
        await frameOf(visitor).getByRole('button', { name: 'Save' }).click();
        await frameOf(visitor).getByText("Thanks! We'll reply to grace@customer.test.").waitFor();
        await send(visitor, 'Please send me the price list.');
        await delivered(visitor, 'Please send me the price list.').waitFor();
        const chat = await chatWith('price list');
        const detail = (await ui.api('GET', `/api/conversations/${chat.id}`)).body;
        expect(JSON.stringify(detail.contact)).toContain('grace@customer.test');
      } finally {
        await other.close();
        await ui.api('PUT', '/api/me/availability', { status: 'available' });
      }
    });

    it('speaks Dutch to a Dutch browser', async () => {
      const dutch = await browser.newContext({ locale: 'nl-NL' });
      try {
        const visitor = await dutch.newPage();
        await visitor.goto(site.url);
        await visitor.getByRole('button', { name: 'Chat openen' }).click();
        await frameOf(visitor).getByText('Hallo! Waarmee kunnen we je helpen?').waitFor();
        expect(await chatFrame(visitor).evaluate('document.documentElement.lang')).toBe('nl');
        await frameOf(visitor).getByRole('textbox', { name: 'Bericht' }).fill('Hebben jullie ook rode waterkokers?');
        await frameOf(visitor).getByRole('button', { name: 'Verstuur' }).click();
        await delivered(visitor, 'Hebben jullie ook rode waterkokers?').waitFor();
        await frameOf(visitor).getByRole('button', { name: 'Chat sluiten' }).click();
        await visitor.getByRole('button', { name: 'Chat openen' }).waitFor();
      } finally {
        await dutch.close();
      }
    });

    it('fills a phone screen, and its own close button closes it', async () => {
      const phone = await browser.newContext({ viewport: { width: 375, height: 667 }, locale: 'en-US', hasTouch: true });
      try {
        const visitor = await phone.newPage();
        await visitor.goto(site.url);
        await visitor.getByRole('button', { name: 'Open chat' }).tap();
        const box = await visitor.locator('iframe[src*="/channels/chat/c/"]').boundingBox();
        expect(box).toEqual({ x: 0, y: 0, width: 375, height: 667 });
        const send = frameOf(visitor).getByRole('button', { name: 'Send' });
        const sendBox = (await send.boundingBox())!;
        expect(sendBox.x + sendBox.width).toBeLessThanOrEqual(375);
        expect(sendBox.y + sendBox.height).toBeLessThanOrEqual(667);
        await screenshot(visitor, 'chat-widget-phone');
        await frameOf(visitor).getByRole('button', { name: 'Close chat' }).tap();
        await visitor.locator('iframe[src*="/channels/chat/c/"]').waitFor({ state: 'hidden' });
        expect(await launcherHasFocus(visitor)).toBe(true);
      } finally {
        await phone.close();
      }
    });

    it('a visitor the website signed in sees their history in another browser; a wrong signature is refused', async () => {
      const secret = 'a-test-identity-secret-of-forty-characters';
      // The website renders the signed-in customer into the page before the snippet, as docs/chat.md shows.
      let identity: Record<string, string> = {};
      let signedSnippet = '';
      const signedSite = await startChatSite(() => `<script>window.parleyChat = ${JSON.stringify(identity)};</script>\n${signedSnippet}`);
      const contexts: BrowserContext[] = [];
      try {
        const connected = await ui.api('POST', `/api/inboxes/${inboxId}/channels`, {
          type: 'chat',
          name: 'Shop (signed in)',
          settings: { allowedOrigins: [signedSite.origin], requireVerifiedIdentity: true, identityVerificationSecret: secret },
        });
        expect(connected.status).toBe(201);
        signedSnippet = connected.body.embedSnippet;
        const identifierHash = createHmac('sha256', secret).update('customer-42').digest('hex');
        identity = { identifier: 'customer-42', name: 'Cas Customer', email: 'cas@customer.test', identifierHash };

        const first = await browser.newContext({ locale: 'en-US' });
        contexts.push(first);
        const one = await first.newPage();
        await one.goto(signedSite.url);
        await one.getByRole('button', { name: 'Open chat' }).click();
        await send(one, 'Where is order 77?');
        await delivered(one, 'Where is order 77?').waitFor();
        const detail = (await ui.api('GET', `/api/conversations/${(await chatWith('order 77')).id}`)).body;
        expect(JSON.stringify(detail.contact)).toContain('cas@customer.test');

        // Another browser, the same customer: the same conversation.
        const second = await browser.newContext({ locale: 'en-US' });
        contexts.push(second);
        const two = await second.newPage();
        await two.goto(signedSite.url);
        await two.getByRole('button', { name: 'Open chat' }).click();
        await delivered(two, 'Where is order 77?').waitFor();

        // A page that claims the customer with a made-up signature gets no chat.
        identity = { ...identity, identifierHash: '0'.repeat(64) };
        const forged = await browser.newContext({ locale: 'en-US' });
        contexts.push(forged);
        const three = await forged.newPage();
        await three.goto(signedSite.url);
        await three.getByRole('button', { name: 'Open chat' }).click();
        await frameOf(three).getByRole('alert').getByText('This chat is not available right now.').waitFor();
        expect(await frameOf(three).locator('#messages li.msg:not(.greeting)').count()).toBe(0);
      } finally {
        for (const c of contexts) await c.close();
        await signedSite.close();
      }
    }, 60_000);
  });
}
