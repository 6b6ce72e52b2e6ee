import type { Browser, Page } from 'playwright-core';
import type { MessageField } from '../../src/application/ports/channel.port';
import type { ChannelHostConnection, ChannelPlugin } from '../../src/plugins/channel-plugin';
import { BUILT_IN_PLUGINS } from '../../src/plugins/registry/built-in-plugins';
import { reportSkippedSuite } from '../support/engines';
import {
  chromiumMissing,
  eventually,
  launchChromium,
  logIn,
  markPage,
  pageWasNotReloaded,
  screenshot,
  startUiApp,
  textOf,
  waitForText,
  type UiApp,
} from '../support/ui-harness';

const ICON = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" aria-hidden="true"><circle cx="12" cy="12" r="9"/></svg>';

/**
 * A Meta-like channel of the test's own: a send waits until the test lets it through (so the thread
 * can be seen "Sending"), then is taken under the channel's id `out-<message id>`. The test speaks
 * for the channel's webhook through the host connection: receipts (reportStatus) and reactions.
 */
interface ChannelState {
  host: ChannelHostConnection | null;
  release: () => void;
  gate: Promise<void>;
}
function newGate(state: ChannelState): void {
  state.gate = new Promise((resolve) => (state.release = resolve));
}
function receiptChannel(state: ChannelState): () => ChannelPlugin {
  return () => ({
    id: 'receipts-test',
    displayName: 'Receipts test',
    icon: ICON,
    channel: 'receipts-test',
    capabilities: { reply: true, html: false, attachments: false, transcript: false, switchToEmail: false, forward: false, compose: false, templates: true },
    connect(host) {
      state.host = host;
    },
    async templates() {
      return [{ name: 'order_update', language: 'en_US', category: 'UTILITY', body: 'Your order {{1}} ships {{2}}.', parameterCount: 2 }];
    },
    async send(outbound) {
      await state.gate;
      return { status: 'delivered' as const, externalMessageId: `out-${outbound.messageId}` };
    },
  });
}

/**
 * A reply's delivery status moves live in an open thread as the channel reports it (Sending → Sent
 * → Delivered → Read), a reaction appears on the message it is for, a message's fields show as a
 * list under it in the reader's language, and a failure the channel reports shows its reason.
 */
const missing = chromiumMissing();
if (missing) {
  reportSkippedSuite('Web UI in Chromium (receipts and reactions)', missing, 'chromium');
  it.skip('receipt and reaction browser tests (Chromium not installed)', () => undefined);
} else {
  describe('Web UI in Chromium: receipts, reactions and fields in the thread', () => {
    const state: ChannelState = { host: null, release: () => undefined, gate: Promise.resolve() };
    let ui: UiApp;
    let browser: Browser;
    let n = 0;

    beforeAll(async () => {
      ui = await startUiApp({ builtIns: [...BUILT_IN_PLUGINS, receiptChannel(state)] });
      browser = await launchChromium();
    }, 60_000);

    afterAll(async () => {
      state.release();
      await browser?.close();
      await ui?.close();
    });

    const host = () => state.host!;

    async function conversation(fields?: MessageField[]) {
      const thread = `thread-${++n}`;
      const { conversationId } = await host().ingest({
        channel: 'receipts-test',
        externalThreadId: thread,
        externalMessageId: `in-${thread}`,
        from: { address: '+31612345678', name: 'Ana Lopez' },
        to: [],
        text: `Where is order ${n}?`,
        ...(fields ? { fields } : {}),
      });
      return { conversationId, thread };
    }

    async function openThread(conversationId: string, locale = 'en-GB'): Promise<Page> {
      const page = await (await browser.newContext({ viewport: { width: 1280, height: 800 }, locale })).newPage();
      await logIn(page, ui.baseUrl);
      await page.goto(`${ui.baseUrl}/inbox?view=all-open&conversation=${conversationId}`);
      await page.waitForSelector('#app[data-live="on"]');
      await page.locator('#thread-main').waitFor();
      return page;
    }

    it('shows a reply Sending, Sent, Delivered and Read as the channel reports it, and a reaction, without a reload', async () => {
      const { conversationId, thread } = await conversation();
      const page = await openThread(conversationId);
      await markPage(page);

      newGate(state);
      const reply = await ui.api('POST', `/api/conversations/${conversationId}/replies`, { text: 'It left our warehouse this morning.' });
      expect(reply.status).toBe(201);
      const messageId = reply.body.messageId as string;
      const status = page.locator(`#msg-${messageId} .delivery`);
      await waitForText(status, 'Sending');
      expect(await status.getAttribute('data-delivery')).toBe('sending');

      state.release();
      await eventually(async () => (await status.getAttribute('data-delivery')) === 'sent', 10_000, 'Sent');
      expect(await textOf(status)).toBe('Sent');

      await host().conversations.reportStatus({ conversationId, messageId, status: 'delivered', at: new Date().toISOString() });
      await eventually(async () => (await status.getAttribute('data-delivery')) === 'delivered', 10_000, 'Delivered');
      expect(await textOf(status)).toBe('Delivered');

      await host().conversations.reportStatus({ conversationId, messageId, status: 'read', at: new Date().toISOString() });
      await eventually(async () => (await status.getAttribute('data-delivery')) === 'read', 10_000, 'Read');
      expect(await textOf(status)).toBe('Read');
      // The receipt's time is its title.
      expect(await status.getAttribute('title')).toBeTruthy();

      await host().ingest({
        channel: 'receipts-test',
        externalThreadId: thread,
        externalMessageId: `reaction-${thread}`,
        from: { address: '+31612345678', name: 'Ana Lopez' },
        to: [],
        text: '',
        reaction: { toExternalMessageId: `out-${messageId}`, emoji: '👍' },
      });
      const reaction = page.locator(`#msg-${messageId} .msg-reactions .reaction`);
      await reaction.waitFor();
      expect(await reaction.getAttribute('title')).toBe('Reaction from Ana Lopez');
      expect(await textOf(reaction.locator('[aria-hidden="true"]'))).toBe('👍');
      // Only on the message it is for.
      expect(await page.locator('.msg-reactions').count()).toBe(1);
      expect(await pageWasNotReloaded(page)).toBe(true);
      await screenshot(page, 'thread-receipts-reactions');
      await page.context().close();
    });

    it("shows a failure the channel reported with the channel's reason", async () => {
      const { conversationId } = await conversation();
      newGate(state);
      state.release();
      const reply = await ui.api('POST', `/api/conversations/${conversationId}/replies`, { text: 'Here is your code.' });
      const messageId = reply.body.messageId as string;
      await eventually(async () => {
        const detail = await ui.api('GET', `/api/conversations/${conversationId}`);
        return detail.body.messages.find((m: { id: string }) => m.id === messageId)?.delivery?.status === 'delivered';
      });
      const page = await openThread(conversationId);
      await host().conversations.reportStatus({
        conversationId,
        messageId,
        status: 'failed',
        reason: 'Message undeliverable (131026)',
        at: new Date().toISOString(),
      });
      const status = page.locator(`#msg-${messageId} .delivery`);
      await waitForText(status, 'Failed: Message undeliverable (131026)');
      expect(await status.getAttribute('data-delivery')).toBe('failed');
      await page.context().close();
    });

    it('marks a template reply with the template it was sent as', async () => {
      const { conversationId } = await conversation();
      newGate(state);
      state.release();
      const reply = await ui.api('POST', `/api/conversations/${conversationId}/replies`, {
        template: { name: 'order_update', language: 'en_US', parameters: ['A-1001', 'tomorrow'] },
      });
      expect(reply.status).toBe(201);
      const page = await openThread(conversationId);
      const message = page.locator(`#msg-${reply.body.messageId as string}`);
      await waitForText(message.locator('.msg-template'), 'Template: order_update');
      expect(await textOf(message.locator('.msg-text'))).toBe('Your order A-1001 ships tomorrow.');
      await page.context().close();
    });

    it("lists a message's fields under it in the reader's language, a link opening apart", async () => {
      const { conversationId } = await conversation([
        { key: 'order', label: { en: 'Order number', nl: 'Bestelnummer' }, value: 'A-1001' },
        { key: 'location', label: { en: 'Location' }, value: 'Dam 1, Amsterdam', url: 'https://maps.example/?q=52.37,4.89' },
      ]);
      const page = await openThread(conversationId);
      const list = page.locator('.msg-fields');
      await list.waitFor();
      expect(await textOf(list.locator('[data-key="order"] dt'))).toBe('Order number');
      expect(await textOf(list.locator('[data-key="order"] dd'))).toBe('A-1001');
      const link = list.locator('[data-key="location"] dd a');
      expect(await link.getAttribute('href')).toBe('https://maps.example/?q=52.37,4.89');
      expect(await link.getAttribute('rel')).toBe('noopener noreferrer');
      expect(await link.getAttribute('target')).toBe('_blank');
      await page.context().close();

      // In Dutch: the Dutch label where the channel gave one, the English one otherwise.
      await ui.api('PATCH', '/api/me', { language: 'nl' });
      try {
        const dutch = await openThread(conversationId, 'nl-NL');
        const fields = dutch.locator('.msg-fields');
        await fields.waitFor();
        expect(await textOf(fields.locator('[data-key="order"] dt'))).toBe('Bestelnummer');
        expect(await textOf(fields.locator('[data-key="location"] dt'))).toBe('Location');
        await dutch.context().close();
      } finally {
        await ui.api('PATCH', '/api/me', { language: null });
      }
    });
  });
}
