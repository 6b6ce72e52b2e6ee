import type { Browser, FrameLocator, Page } from 'playwright-core';
import { systemContext } from '../../src/application/command-handling/command-context';
import { CommandExecutor } from '../../src/application/command-handling/command-executor';
import { streams } from '../../src/application/streams';
import { botDecider } from '../../src/domain/bot/bot.decider';
import type { BotFlow } from '../../src/domain/bot/bot.events';
import { reportSkippedSuite } from '../support/engines';
import { chromiumMissing, eventually, launchChromium, logIn, startUiApp, waitForText, type UiApp } from '../support/ui-harness';
import { startChatSite, type ChatSite } from './support/chat-site';

/**
 * The built-in flow bot from the visitor's side, in Chromium (issue 14 §3): a website on another
 * loopback address with the chat snippet; the inbox's active flow bot answers the visitor's first
 * message with its greeting and a question with buttons, a click answers it, the visitor gives an
 * email address (a wrong one first), and "Talk to a person" sends the chat to the team: it leaves
 * the Bots view for Unassigned (auto-assignment is off). The agent's thread shows the bot's
 * replies with the buttons they offered. With auto-assignment on, the chat stays with the bot
 * until the visitor asks for a person, and then goes to the agent who is available and online.
 */
const FLOW: BotFlow = {
  startStepId: 'hello',
  steps: [
    { id: 'hello', type: 'message', text: 'Hi! I am the Kettle & Co bot.', next: 'topic' },
    {
      id: 'topic',
      type: 'question',
      text: 'What is your question about?',
      choices: [
        { id: 'order', label: 'My order', next: 'email' },
        { id: 'other', label: 'Something else', next: 'email' },
      ],
    },
    { id: 'email', type: 'collect-email', text: 'At which email address can we reach you?', next: 'more' },
    {
      id: 'more',
      type: 'question',
      text: 'Thanks! Anything else?',
      choices: [{ id: 'team', label: 'Send to team member', next: 'team' }],
    },
    { id: 'team', type: 'handoff', text: 'A team member will take it from here.' },
  ],
};

const missing = chromiumMissing();
if (missing) {
  reportSkippedSuite('Chat with a flow bot in Chromium', missing, 'chromium');
  it.skip('chat bot flow browser tests (Chromium not installed)', () => undefined);
} else {
  describe('a chat answered by the flow bot, in Chromium', () => {
    let ui: UiApp;
    let site: ChatSite;
    let browser: Browser;
    let page: Page;
    let snippet = '';
    let inboxId = '';
    const botId = 'b0000000-0000-4000-8000-00000000f10b';

    beforeAll(async () => {
      ui = await startUiApp();
      site = await startChatSite(() => snippet);
      inboxId = (await ui.api('GET', '/api/inboxes')).body.inboxes.find((i: { isDefault: boolean }) => i.isDefault).id;
      const connected = await ui.api('POST', `/api/inboxes/${inboxId}/channels`, { type: 'chat', name: 'Shop', settings: { allowedOrigins: [site.origin] } });
      if (connected.status !== 201) throw new Error(`connecting the chat channel answered ${connected.status}: ${JSON.stringify(connected.body)}`);
      snippet = connected.body.embedSnippet;
      // The inbox's flow bot, active, for chat (no channels named: chat only).
      const executor = ui.t.app.get(CommandExecutor);
      const data = { botId, inboxId, name: 'Kettle bot', kind: 'flow' as const, channels: [], flow: FLOW, webhookUrl: null, webhookSecret: null };
      await executor.execute(streams.bot(botId), botDecider, { type: 'CreateBot', data }, systemContext());
      await executor.execute(streams.bot(botId), botDecider, { type: 'ActivateBot', data: {} }, systemContext());
      browser = await launchChromium();
      page = await (await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'en-US' })).newPage();
    }, 60_000);

    afterAll(async () => {
      await browser?.close();
      await ui?.close();
      await site?.close();
    });

    const frame = (): FrameLocator => page.frameLocator('iframe[src*="/channels/chat/c/"]');
    const botSays = (text: string) => frame().locator('#messages li.msg.out p.text').getByText(text, { exact: true });
    const choice = (label: string) => frame().locator('#messages .choices').getByRole('button', { name: label, exact: true });
    async function send(text: string): Promise<void> {
      await frame().getByRole('textbox', { name: 'Message' }).fill(text);
      await frame().getByRole('button', { name: 'Send', exact: true }).click();
    }
    const view = async (viewId: string): Promise<Array<{ id: string; preview: string }>> =>
      (await ui.api('GET', `/api/views/${viewId}/conversations?inboxId=${inboxId}`)).body.items;

    it('greets with buttons, takes a click and an email address, and "Talk to a person" hands the chat to the team', async () => {
      await page.goto(site.url);
      await page.getByRole('button', { name: 'Open chat' }).click();
      await frame().getByRole('textbox', { name: 'Message' }).waitFor();
      await send('Hello, is anyone there?');

      // The bot answers first: its greeting, then its question with two buttons; the chat is in the Bots view.
      await botSays('Hi! I am the Kettle & Co bot.').waitFor({ timeout: 15_000 });
      await botSays('What is your question about?').waitFor({ timeout: 15_000 });
      await choice('My order').waitFor();
      // Signed with the bot's name.
      expect(await frame().locator('#messages li.msg.out', { hasText: 'What is your question about?' }).locator('.author').textContent()).toBe('Kettle bot');
      expect(await choice('Something else').isEnabled()).toBe(true);
      const conversation = await eventually(async () => (await view('bots')).find((c) => c.preview), 10_000, 'the chat in the Bots view');
      // While the bot holds the chat, the visitor can ask for a person.
      await frame().getByRole('button', { name: 'Talk to a person' }).waitFor();

      // A click answers with the button's label; the buttons are spent.
      await choice('My order').click();
      await frame().locator('#messages li.msg.in:not(.pending) p.text').getByText('My order', { exact: true }).waitFor();
      expect(await choice('My order').getAttribute('aria-pressed')).toBe('true');
      expect(await choice('Something else').isDisabled()).toBe(true);
      await botSays('At which email address can we reach you?').waitFor({ timeout: 15_000 });

      // Not an address: asked again, saying why; then a good one.
      await send('tomorrow');
      await botSays('"tomorrow" is not an email address (like name@example.com).\n\nAt which email address can we reach you?').waitFor({ timeout: 15_000 });
      await send('vera@customer.test');
      await botSays('Thanks! Anything else?').waitFor({ timeout: 15_000 });
      await choice('Send to team member').waitFor();

      // "Talk to a person": the chat leaves the Bots view for Unassigned (no one is auto-assigned here).
      await frame().getByRole('button', { name: 'Talk to a person' }).click();
      await waitForText(frame().locator('#handoff-done'), 'A team member will take over the chat.');
      expect(await choice('Send to team member').isDisabled()).toBe(true);
      await eventually(async () => !(await view('bots')).some((c) => c.id === conversation!.id), 10_000, 'the chat to leave the Bots view');
      await eventually(async () => (await view('unassigned')).some((c) => c.id === conversation!.id), 10_000, 'the chat in Unassigned');

      const detail = (await ui.api('GET', `/api/conversations/${conversation!.id}`)).body;
      expect(detail.assignee).toBeNull();
      expect(detail.contact.email ?? null).toBe('vera@customer.test');
      const history = (await ui.api('GET', `/api/conversations/${conversation!.id}/history`)).body.events as Array<{ type: string; actor: { type: string } }>;
      const handoff = history.find((e) => e.type === 'BotHandoffRequested');
      expect(handoff?.actor.type).toBe('contact');
      // The bot's replies as the thread keeps them: from the bot, the question with its buttons.
      const question = detail.messages.find((m: { text: string }) => m.text === 'What is your question about?');
      expect(question.authorId).toBe(`bot:${botId}`);
      expect(question.choices).toEqual([
        { id: 'order', label: 'My order' },
        { id: 'other', label: 'Something else' },
      ]);
      expect(detail.messages.find((m: { text: string }) => m.text === 'My order').direction).toBe('in');
    });

    it("shows the agent the bot's replies in the thread, with the buttons it offered", async () => {
      const conversation = (await view('unassigned')).find((c) => c.preview);
      await logIn(page, ui.baseUrl);
      await page.goto(`${ui.baseUrl}/inbox?view=unassigned&conversation=${conversation!.id}`);
      const question = page.locator('#timeline .msg', { hasText: 'What is your question about?' });
      await question.waitFor();
      expect(await question.locator('.bot-choices li').allTextContents()).toEqual(['My order', 'Something else']);
    });

    it('with auto-assignment on, "Talk to a person" gives the chat to the agent who is available and online', async () => {
      // The admin has Parley open (online) and is available; the inbox hands out chats round robin.
      const agentPage = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
      await logIn(agentPage, ui.baseUrl);
      await agentPage.goto(`${ui.baseUrl}/inbox`);
      await agentPage.locator('#app[data-live="on"]').waitFor();
      const me = (await ui.api('GET', '/api/me')).body;
      await eventually(async () => (await ui.api('GET', '/api/me')).body.online === true, 10_000, 'the admin online');
      const routing = await ui.api('PUT', `/api/inboxes/${inboxId}/routing`, { mode: 'round-robin', channels: ['chat'], defaultCapacity: 5, capacities: {} });
      expect(routing.status).toBe(200);

      // Another visitor (a browser of their own).
      const visitor = await (await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'en-US' })).newPage();
      page = visitor;
      await page.goto(site.url);
      await page.getByRole('button', { name: 'Open chat' }).click();
      await frame().getByRole('textbox', { name: 'Message' }).waitFor();
      await send('Can someone call me back?');
      await botSays('What is your question about?').waitFor({ timeout: 15_000 });
      const conversation = await eventually(
        async () => (await view('bots')).find((c) => c.preview.includes('Can someone call me back?') || c.preview === 'What is your question about?'),
        10_000,
        'the new chat in the Bots view',
      );
      // The bot holds it: auto-assignment leaves it alone until the visitor asks for a person.
      expect((await ui.api('GET', `/api/conversations/${conversation!.id}`)).body.assignee).toEqual({ type: 'bot' });

      await frame().getByRole('button', { name: 'Talk to a person' }).click();
      await waitForText(frame().locator('#handoff-done'), 'A team member will take over the chat.');
      await eventually(
        async () => (await ui.api('GET', `/api/conversations/${conversation!.id}`)).body.assignee?.id === me.id,
        15_000,
        'the chat assigned to the available, online admin',
      );
      expect((await view('bots')).some((c) => c.id === conversation!.id)).toBe(false);
      await agentPage.close();
    });
  });
}
