import type { Browser, FrameLocator, Locator, Page } from 'playwright-core';
import { reportSkippedSuite } from '../support/engines';
import {
  chromiumMissing,
  eventually,
  launchChromium,
  logIn,
  markPage,
  pageWasNotReloaded,
  startUiApp,
  textOf,
  waitForText,
  type UiApp,
} from '../support/ui-harness';
import { startChatSite, type ChatSite } from './support/chat-site';

/**
 * Issue 14's "Done when", as a whole, in Chromium: two agents with a browser each, one away.
 *
 * The admin (Ada) sets the inbox up in Settings: a chat-flow bot with the default flow (a greeting
 * with "Talk to a person"), activated, and auto-assignment round robin with a capacity of 1 per
 * agent. Bo has the inbox open too, but is Away. Visitors chat from a website on another loopback
 * address:
 *  1. the bot answers first, with buttons; the chat is in Ada's Bots view; the visitor asks for a
 *     person and the chat goes to Ada (available) live, with a handoff notification on her bell;
 *     Bo (away) gets nothing;
 *  2. a second visitor asks for a person while Ada is full and Bo away: the chat waits in
 *     Unassigned (nobody over capacity); Bo switches to Available and it is his, his bell counts it;
 *  3. rule 9: a third chat the bot still holds cannot be closed yet; the refusal names the time
 *     (in Ada's own time zone) from when it can (the clock itself: test/e2e/bot-rule-nine.e2e.spec.ts);
 *  4. Ada @mentions Bo in a comment: "1 teammate notified", Bo's bell counts it live, and the
 *     notification leads him to the conversation.
 * Everything goes through the web UI, the widget and the public API.
 */
const TIME_ZONE = 'Europe/Amsterdam';
const GREETING = 'Hi! How can we help you?';
const HANDOFF_TEXT = 'One moment, we are connecting you with someone from the team.';

const missing = chromiumMissing();
if (missing) {
  reportSkippedSuite('Routing, availability, bots and notifications together, in Chromium (issue 14 done)', missing, 'chromium');
  it.skip('routing and bots "done when" browser test (Chromium not installed)', () => undefined);
} else {
  describe('issue 14 done: two agents in a browser each, one away; chats from the widget go to the bot, then to the available agent', () => {
    let ui: UiApp;
    let site: ChatSite;
    let browser: Browser;
    let snippet = '';
    let inboxId = '';
    let botId = '';
    let adaId = '';
    let boId = '';
    let boToken = '';
    let ada: Page;
    let bo: Page;
    const visitors: Page[] = [];
    /** Conversations the test has seen already (a new chat is the one not among them). */
    const known = new Set<string>();
    const conversations: string[] = [];
    const ADA_NAME = 'Ada Admin';
    const BO = { name: 'Bo Berg', email: 'bo.berg@team.test', password: 'bo-password-1' };

    beforeAll(async () => {
      ui = await startUiApp();
      site = await startChatSite(() => snippet);
      adaId = (await ui.api('GET', '/api/me')).body.id;
      expect((await ui.api('PATCH', `/api/agents/${adaId}`, { name: ADA_NAME })).status).toBe(200);
      const created = await ui.api('POST', '/api/agents', { name: BO.name, email: BO.email, password: BO.password, role: 'agent' });
      if (created.status !== 201) throw new Error(`adding Bo answered ${created.status}: ${JSON.stringify(created.body)}`);
      boId = created.body.id;
      boToken = await ui.t.login(BO.email, BO.password);
      inboxId = (await ui.api('GET', '/api/inboxes')).body.inboxes.find((i: { isDefault: boolean }) => i.isDefault).id;
      // Both are members of the inbox (an admin who is not a member is offered nothing by routing).
      const members = await ui.api('PUT', `/api/inboxes/${inboxId}/members`, { agentIds: [adaId, boId] });
      if (members.status !== 200) throw new Error(`setting the members answered ${members.status}: ${JSON.stringify(members.body)}`);
      const connected = await ui.api('POST', `/api/inboxes/${inboxId}/channels`, {
        type: 'chat',
        name: 'Kettle & Co website',
        settings: { allowedOrigins: [site.origin] },
      });
      if (connected.status !== 201) throw new Error(`connecting the chat channel answered ${connected.status}: ${JSON.stringify(connected.body)}`);
      snippet = connected.body.embedSnippet;
      browser = await launchChromium();
      ada = await (await browser.newContext({ viewport: { width: 1440, height: 900 }, locale: 'en-US', timezoneId: TIME_ZONE })).newPage();
      bo = await (await browser.newContext({ viewport: { width: 1440, height: 900 }, locale: 'en-US', timezoneId: TIME_ZONE })).newPage();
      for (const page of [ada, bo]) page.on('dialog', (dialog) => void dialog.accept());
      await logIn(ada, ui.baseUrl);
      await logIn(bo, ui.baseUrl, BO.email, BO.password);
    }, 60_000);

    afterAll(async () => {
      await browser?.close();
      await ui?.close();
      await site?.close();
    });

    // ---- helpers -------------------------------------------------------------------------------------
    const frame = (visitor: Page): FrameLocator => visitor.frameLocator('iframe[src*="/channels/chat/c/"]');
    const botSays = (visitor: Page, text: string) => frame(visitor).locator('#messages li.msg.out:not(.greeting) p.text').getByText(text, { exact: true });
    const choice = (visitor: Page, label: string) => frame(visitor).locator('#messages .choices').getByRole('button', { name: label, exact: true });
    const bell = (page: Page) => page.locator('#notification-count');
    const listRow = (page: Page, conversationId: string): Locator => page.locator(`#list li.conv[data-id="${conversationId}"]`);
    const view = async (viewId: string, token = ui.token): Promise<Array<{ id: string }>> =>
      (await ui.api('GET', `/api/views/${viewId}/conversations?inboxId=${inboxId}`, undefined, token)).body.items;
    const detail = async (conversationId: string) => (await ui.api('GET', `/api/conversations/${conversationId}`)).body;
    const notifications = async (token: string) =>
      (await ui.api('GET', '/api/me/notifications', undefined, token)).body as {
        items: Array<{ type: string; conversationId: string; text: string }>;
        unread: number;
      };

    async function openView(page: Page, viewId: string): Promise<void> {
      await page.goto(`${ui.baseUrl}/inbox?inbox=${inboxId}&view=${viewId}`);
      await page.locator('#app[data-live="on"]').waitFor();
      await markPage(page);
    }

    async function bellShows(page: Page, unread: number, what: string): Promise<void> {
      await eventually(
        async () => (await textOf(bell(page))) === String(unread) && (await bell(page).getAttribute('data-count')) === String(unread),
        15_000,
        what,
      );
    }

    /** A new visitor (a browser of their own) opens the chat on the website and writes; the bot answers first. Returns the conversation. */
    async function visitorWrites(text: string): Promise<{ visitor: Page; conversationId: string }> {
      const visitor = await (await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'en-US' })).newPage();
      visitors.push(visitor);
      await visitor.goto(site.url);
      await visitor.getByRole('button', { name: 'Open chat' }).click();
      await frame(visitor).getByRole('textbox', { name: 'Message' }).waitFor();
      await frame(visitor).getByRole('textbox', { name: 'Message' }).fill(text);
      await frame(visitor).getByRole('button', { name: 'Send', exact: true }).click();
      // The bot answers first: its greeting, with its buttons.
      await botSays(visitor, GREETING).waitFor({ timeout: 15_000 });
      await choice(visitor, 'Talk to a person').waitFor({ timeout: 15_000 });
      // Signed with the bot's name.
      await waitForText(frame(visitor).locator('#messages li.msg.out:not(.greeting)', { hasText: GREETING }).locator('.author'), 'Kettle bot', 15_000);
      // The buttons can be clicked, and the chat offers its own "Talk to a person" while the bot holds it.
      expect(await choice(visitor, 'Talk to a person').isEnabled()).toBe(true);
      expect(await choice(visitor, 'Leave your email address').isEnabled()).toBe(true);
      await frame(visitor).locator('#bot-bar #handoff').waitFor();
      // The chat is in the Bots view, held by the bot.
      const found = (await eventually(async () => (await view('bots')).find((c) => !known.has(c.id)), 15_000, `the chat "${text}" in the Bots view`))!;
      known.add(found.id);
      conversations.push(found.id);
      const held = await detail(found.id);
      expect(held.assignee).toEqual({ type: 'bot' });
      expect(held.messages.some((m: { text: string; direction: string }) => m.direction === 'in' && m.text === text)).toBe(true);
      return { visitor, conversationId: found.id };
    }

    // ---- the test ------------------------------------------------------------------------------------
    it('the admin adds and activates a flow bot and round-robin auto-assignment with capacity 1 in Settings; Bo goes away in his browser', async () => {
      await ada.goto(`${ui.baseUrl}/settings?inbox=${inboxId}`);
      const create = ada.locator('#bot-create-form');
      await create.getByLabel('Name').fill('Kettle bot');
      await create.getByLabel('Kind').selectOption('flow');
      await create.getByRole('button', { name: 'Add bot' }).click();
      await ada.locator('#bot-settings').getByRole('status').getByText('Bot "Kettle bot" added.').waitFor();
      const [bot] = (await ui.api('GET', `/api/inboxes/${inboxId}/bots`)).body.bots;
      botId = bot.id;
      // The default flow: a greeting with "Talk to a person", which hands off.
      const greeting = bot.flow.steps.find((s: { id: string }) => s.id === bot.flow.startStepId);
      expect(greeting.text).toBe(GREETING);
      const person = greeting.choices.find((c: { label: string }) => c.label === 'Talk to a person');
      expect(bot.flow.steps.find((s: { id: string }) => s.id === person.next).type).toBe('handoff');
      await ada.locator(`#bot-activate-${botId}`).click();
      await ada.locator('#bot-settings').getByRole('status').getByText('Bot "Kettle bot" is active', { exact: false }).waitFor();
      expect((await ui.api('GET', `/api/bots/${botId}`)).body.active).toBe(true);

      const routing = ada.locator('#routing-settings');
      await routing.getByLabel('Mode').selectOption('round-robin');
      await routing.getByLabel('Chat').check();
      await routing.getByLabel('Default capacity').fill('1');
      await routing.getByRole('button', { name: 'Save auto-assignment' }).click();
      await routing.getByRole('status').getByText('Auto-assignment saved.').waitFor();
      expect((await ui.api('GET', `/api/inboxes/${inboxId}/routing`)).body).toEqual({
        mode: 'round-robin',
        channels: ['chat'],
        defaultCapacity: 1,
        capacities: {},
      });

      // Bo switches himself to Away with the toggle at the top of his inbox.
      await openView(bo, 'assigned-to-me');
      await bo.locator('#availability-toggle:not(.is-away)').click();
      await bo.locator('#availability-toggle.is-away').waitFor();
      expect((await ui.api('GET', '/api/me', undefined, boToken)).body.availability).toBe('away');

      // Both have the inbox open: both online; Ada available, Bo away.
      await openView(ada, 'bots');
      await eventually(
        async () => {
          const agents = (await ui.api('GET', '/api/agents')).body.agents as Array<{ id: string; online: boolean; availability: string }>;
          const a = agents.find((agent) => agent.id === adaId);
          const b = agents.find((agent) => agent.id === boId);
          return a?.online === true && a.availability === 'available' && b?.online === true && b.availability === 'away';
        },
        15_000,
        'Ada online and available, Bo online and away',
      );
      expect(await textOf(bell(ada))).toBe('0');
      expect(await textOf(bell(bo))).toBe('0');
    });

    it('a visitor is answered by the bot first; "Talk to a person" hands the chat to Ada live, with a notification; Bo, away, gets nothing', async () => {
      const { visitor, conversationId } = await visitorWrites('Hello, my kettle whistles all the time.');
      // Ada sees the chat in the Bots view without reloading.
      await listRow(ada, conversationId).waitFor({ timeout: 15_000 });
      expect(await pageWasNotReloaded(ada)).toBe(true);

      await openView(ada, 'assigned-to-me');
      expect(await listRow(ada, conversationId).count()).toBe(0);
      await choice(visitor, 'Talk to a person').click();
      await botSays(visitor, HANDOFF_TEXT).waitFor({ timeout: 15_000 });

      // Live, in Ada's list of her own conversations, with her name as the owner, and her bell counts the handoff.
      await listRow(ada, conversationId).waitFor({ timeout: 15_000 });
      await waitForText(listRow(ada, conversationId).locator('.tag-owner'), ADA_NAME, 15_000);
      await bellShows(ada, 1, "Ada's bell at 1");
      expect(await pageWasNotReloaded(ada)).toBe(true);
      expect((await detail(conversationId)).assignee).toMatchObject({ type: 'agent', id: adaId });
      const adas = await notifications(ui.token);
      expect(adas.items).toEqual([expect.objectContaining({ type: 'handoff', conversationId })]);
      expect(adas.items[0].text).toContain('The bot handed');

      // Bo, away, is assigned nothing and told nothing.
      expect(await view('assigned-to-me', boToken)).toEqual([]);
      expect((await notifications(boToken)).unread).toBe(0);
      expect(await textOf(bell(bo))).toBe('0');
      expect(await bell(bo).isVisible()).toBe(false);
    });

    it('a second chat handed off while Ada is full and Bo away waits in Unassigned; when Bo comes back it is his, and his bell counts it', async () => {
      await openView(ada, 'unassigned');
      const { visitor, conversationId } = await visitorWrites('Do you sell descaler?');
      // This time the visitor uses the chat's own "Talk to a person" (send to team member).
      await frame(visitor).locator('#handoff').click();
      await waitForText(frame(visitor).locator('#handoff-done'), 'A team member will take over the chat.', 15_000);

      // Ada holds 1 of her capacity of 1 and Bo is away: it waits in Unassigned, shown live.
      await listRow(ada, conversationId).waitFor({ timeout: 15_000 });
      expect(await pageWasNotReloaded(ada)).toBe(true);
      expect((await detail(conversationId)).assignee).toBeNull();
      expect((await view('bots')).some((c) => c.id === conversationId)).toBe(false);

      // Bo switches to Available in his browser: the waiting chat is his, live, and his bell counts it.
      expect(await listRow(bo, conversationId).count()).toBe(0);
      await bo.locator('#availability-toggle.is-away').click();
      await bo.locator('#availability-toggle:not(.is-away)').waitFor();
      await listRow(bo, conversationId).waitFor({ timeout: 15_000 });
      await waitForText(listRow(bo, conversationId).locator('.tag-owner'), BO.name, 15_000);
      await bellShows(bo, 1, "Bo's bell at 1");
      expect(await pageWasNotReloaded(bo)).toBe(true);
      expect((await detail(conversationId)).assignee).toMatchObject({ type: 'agent', id: boId });
      expect((await notifications(boToken)).items).toEqual([expect.objectContaining({ type: 'handoff', conversationId })]);
      // It leaves Ada's Unassigned list live.
      await eventually(async () => (await listRow(ada, conversationId).count()) === 0, 15_000, "the chat to leave Ada's Unassigned list");

      // Nobody over capacity: Ada still holds only the first chat, Bo only this one; Ada was told nothing more.
      expect((await view('assigned-to-me')).map((c) => c.id)).toEqual([conversations[0]]);
      expect((await view('assigned-to-me', boToken)).map((c) => c.id)).toEqual([conversationId]);
      expect((await view('unassigned')).map((c) => c.id)).toEqual([]);
      expect((await notifications(ui.token)).unread).toBe(1);
      expect(await textOf(bell(ada))).toBe('1');
    });

    it('rule 9: a chat the bot still holds cannot be closed by Ada yet; the refusal says from when, in her time zone', async () => {
      const { conversationId } = await visitorWrites('Just looking around, thanks.');
      const held = await detail(conversationId);
      const from = new Date(Date.parse(held.lastReceivedAt) + 30 * 60_000);
      const local = new Intl.DateTimeFormat('en', {
        timeZone: TIME_ZONE,
        day: 'numeric',
        month: 'short',
        year: 'numeric',
        hour: '2-digit',
        minute: '2-digit',
      }).format(from);

      await ada.goto(`${ui.baseUrl}/inbox?inbox=${inboxId}&view=bots&conversation=${conversationId}`);
      await ada.locator(`#thread-main[data-conversation-id="${conversationId}"]`).waitFor();
      await ada.locator('#close-btn').click();
      const flash = ada.locator('#flash .flash');
      await waitForText(flash, 'a bot conversation can be closed only after 30 minutes without visitor activity', 15_000);
      await waitForText(flash, `close it from ${local} (${TIME_ZONE})`);
      const after = await detail(conversationId);
      expect(after.status).toBe('open');
      expect(after.assignee).toEqual({ type: 'bot' });
      // Nobody was handed it: the bot holds it (not waiting in Unassigned, not counted against anyone).
      expect((await view('unassigned')).map((c) => c.id)).toEqual([]);
    });

    it("Ada @mentions Bo in a comment: the UI says 1 teammate notified, Bo's bell counts it live, and the notification opens the conversation", async () => {
      const conversationId = conversations[0];
      await openView(bo, 'assigned-to-me');
      await bellShows(bo, 1, "Bo's bell at 1 after a reload");

      await ada.goto(`${ui.baseUrl}/inbox?inbox=${inboxId}&view=assigned-to-me&conversation=${conversationId}`);
      await ada.locator(`#thread-main[data-conversation-id="${conversationId}"]`).waitFor();
      await ada.locator('#app[data-live="on"]').waitFor();
      await ada.keyboard.press('c');
      await ada.locator('#comment-text').waitFor();
      await ada.locator('#comment-text').fill('@bo could you check which kettle model this is?');
      await ada.locator('#comment-text').press('Control+Enter');
      await waitForText(ada.locator('#flash'), '1 teammate notified', 15_000);

      await bellShows(bo, 2, "Bo's bell at 2");
      expect(await pageWasNotReloaded(bo)).toBe(true);
      const mention = (await notifications(boToken)).items.find((n) => n.type === 'mention');
      expect(mention).toMatchObject({ conversationId, text: expect.stringContaining(`${ADA_NAME} mentioned you`) });

      await bo.locator('#notification-bell-btn').click();
      const item = bo.locator('#notification-list li.notification-item', { hasText: `${ADA_NAME} mentioned you` });
      await item.waitFor({ timeout: 15_000 });
      expect(await item.getAttribute('class')).toContain('is-unread');
      await Promise.all([bo.waitForURL(new RegExp(`conversation=${conversationId}`), { timeout: 15_000 }), item.locator('button').click()]);
      await bo.locator(`#thread-main[data-conversation-id="${conversationId}"]`).waitFor({ timeout: 15_000 });
      await waitForText(bo.locator('#timeline'), 'could you check which kettle model this is?', 15_000);
      await bellShows(bo, 1, "Bo's bell back at 1 (the handoff still unread)");
      expect((await notifications(boToken)).unread).toBe(1);
      // Mentioning Bo gave him nothing to own: Ada still owns it.
      expect((await detail(conversationId)).assignee).toMatchObject({ type: 'agent', id: adaId });
    });
  });
}
