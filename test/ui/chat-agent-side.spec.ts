import type { Browser, Page } from 'playwright-core';
import { CHANNEL_CONNECTION, type ChannelConnection, type InboundMessage } from '../../src/application/ports/channel.port';
import { ChannelActivity, type AgentActivityNotice } from '../../src/application/live/channel-activity';
import { SmtpSink } from '../plugins/email/support/smtp-sink';
import { reportSkippedSuite } from '../support/engines';
import { chromiumMissing, eventually, launchChromium, logIn, startUiApp, waitForText, type UiApp } from '../support/ui-harness';

/**
 * The agent's side of a chat (issue 13 §3) in a real browser: the chat icon, what the thread
 * offers (from the chat plugin's declared capabilities: transcript, reply via email once the
 * visitor's address is known, no forward), "Send transcript" by email, "<visitor> is typing…"
 * from the event stream, and the agent's typing and "seen" reaching the chat channel. The visitor's
 * messages come in through the host's channel connection, as the chat plugin hands them over.
 */
const missing = chromiumMissing();
if (missing) {
  reportSkippedSuite('Web UI in Chromium (chat, agent side)', missing, 'chromium');
  it.skip('chat agent-side browser tests (Chromium not installed)', () => undefined);
} else {
  describe('Web UI in Chromium: a chat from the agent side', () => {
    const relay = new SmtpSink();
    let ui: UiApp;
    let browser: Browser;
    let page: Page;
    let channel: ChannelConnection;
    let activity: ChannelActivity;
    const notices: AgentActivityNotice[] = [];
    let n = 0;

    beforeAll(async () => {
      await relay.start();
      ui = await startUiApp({ env: { SMTP_RELAY_URL: relay.url, PARLEY_INBOX_EMAIL: 'support@parley.test' } });
      channel = ui.t.app.get<ChannelConnection>(CHANNEL_CONNECTION);
      activity = ui.t.app.get(ChannelActivity);
      // What the chat channel is told about the agents (the widget's "typing…" and "seen").
      activity.onAgentActivity('chat', (notice) => notices.push(notice));
      browser = await launchChromium();
      page = await (await browser.newContext({ viewport: { width: 1440, height: 900 } })).newPage();
      await logIn(page, ui.baseUrl);
    }, 60_000);

    afterAll(async () => {
      await browser?.close();
      await ui?.close();
      await relay.stop();
    });

    const say = (session: string, from: InboundMessage['from'], text: string) =>
      channel.ingest({ channel: 'chat', externalThreadId: session, externalMessageId: `${session}-${++n}`, from, to: [], text });

    async function openInChat(text: string) {
      await page.goto(`${ui.baseUrl}/inbox?view=chat`);
      const item = page.locator('#list li.conv', { hasText: text });
      await item.waitFor();
      await item.locator('.conv-link').click();
      await page.locator('#thread-main').waitFor();
      return item;
    }

    it('shows the chat with its icon and offers what the chat channel declares', async () => {
      const session = `ui-chat-${Date.now()}`;
      const { conversationId } = await say(session, { address: 'visitor-51c2', name: 'Vera' }, 'Do you ship to Norway?');
      const item = await openInChat('Do you ship to Norway?');
      expect(await item.locator('.channel-chat').count()).toBe(1);
      expect(await page.locator('#thread-main .thread-meta .channel-chat').count()).toBe(1);

      await page.click('#more-menu > summary');
      await page.locator('#transcript-btn').waitFor();
      expect(await page.locator('#more-menu .menu-pop button', { hasText: 'Forward' }).count()).toBe(0);
      await page.keyboard.press('Escape');
      // No email address yet: the reply goes on the chat only.
      expect(await page.locator('#reply-channel').count()).toBe(0);

      // Opening a thread whose latest message is the visitor's tells the chat channel: seen.
      await eventually(() => notices.some((x) => x.type === 'seen' && x.conversationId === conversationId), 5_000, 'a seen notice');

      // The visitor gives their email address: now the reply can go by email (rule 12).
      await say(session, { address: 'vera@customer.test', name: 'Vera' }, 'Or write me at vera@customer.test');
      await page.reload();
      await page.locator('#reply-channel').waitFor();
      expect(await page.locator('#reply-channel option').allTextContents()).toEqual(['Chat', 'Email']);
    });

    it('"Send transcript" emails the chat to the address entered, and the thread shows it', async () => {
      const session = `ui-transcript-${Date.now()}`;
      await say(session, { address: 'visitor-77aa', name: 'Wim' }, 'Where is parcel 9000?');
      await openInChat('Where is parcel 9000?');
      await page.click('#more-menu > summary');
      await page.click('#transcript-btn');
      await page.locator('#transcript-dialog[open]').waitFor();
      await page.fill('#transcript-to', 'colleague@company.test');
      await page.click('#transcript-send');
      await waitForText(page.locator('#flash .flash'), 'The transcript is on its way to colleague@company.test');
      const mail = await eventually(() => relay.received.find((m) => m.envelope.to.includes('colleague@company.test')), 10_000, 'the transcript mail');
      expect(mail!.parsed.text).toContain('Where is parcel 9000?');
      await page.locator('#timeline .msg-transcript').waitFor();
      expect(await page.locator('#timeline .msg-transcript .tag-transcript').textContent()).toContain('Transcript');
    });

    it('shows "<visitor> is typing…" live, gone a few seconds later; the agent\'s typing reaches the channel', async () => {
      const session = `ui-typing-${Date.now()}`;
      const { conversationId } = await say(session, { address: 'visitor-31bb', name: 'Xena' }, 'Hi there, one question');
      await openInChat('Hi there, one question');
      await page.locator('#app[data-live="on"]').waitFor();
      const indicator = page.locator('#typing-indicator');
      expect(await indicator.isVisible()).toBe(false);

      activity.contactTyping(conversationId, 'chat');
      await waitForText(indicator, 'Xena is typing…');
      expect(await indicator.isVisible()).toBe(true);
      await eventually(async () => !(await indicator.isVisible()), 8_000, 'the typing notice to fade');

      const before = notices.filter((x) => x.type === 'typing' && x.conversationId === conversationId).length;
      await page.click('#reply-text');
      await page.keyboard.type('Sure, ', { delay: 20 });
      await eventually(() => notices.filter((x) => x.type === 'typing' && x.conversationId === conversationId).length > before, 5_000, 'a typing notice');
      // Throttled: a burst of keys sends one ping, not one per key.
      const afterBurst = notices.filter((x) => x.type === 'typing' && x.conversationId === conversationId).length;
      expect(afterBurst - before).toBe(1);
      // The widget may say who types: the agent's name travels with the notice.
      const typing = notices.filter((x) => x.type === 'typing' && x.conversationId === conversationId).at(-1);
      expect(typing).toMatchObject({ authorName: expect.any(String) });
      expect((typing as { authorName?: string }).authorName).not.toBe('');
    });
  });
}
