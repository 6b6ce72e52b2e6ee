import type { Browser, BrowserContext, Page } from 'playwright-core';
import { reportSkippedSuite } from '../support/engines';
import { chromiumMissing, launchChromium, logIn, screenshot, startUiApp, type UiApp } from '../support/ui-harness';

/**
 * The "Bot" section of Inbox settings in Chromium (issue 14): an admin adds a chat-flow bot (it
 * starts with the default flow: a greeting offering "Talk to a person"), edits the flow (a step's
 * text, a new step, a new button) and sees a wrong "next step" refused with what was typed kept;
 * activates it, adds a webhook bot whose generated signing secret is shown once, is refused a
 * second active bot (the message names the first), issues an API token shown once. In Dutch for a
 * Dutch admin; an agent who is not an admin sees no Bot section.
 */
const missing = chromiumMissing();
if (missing) {
  reportSkippedSuite('Web UI in Chromium (the Bot section of Inbox settings)', missing, 'chromium');
  it.skip('bot settings browser tests (Chromium not installed)', () => undefined);
} else {
  describe('Inbox settings: bots, in Chromium', () => {
    let ui: UiApp;
    let browser: Browser;
    let context: BrowserContext;
    let page: Page;
    let inboxId = '';
    let helperId = '';

    beforeAll(async () => {
      ui = await startUiApp();
      inboxId = (await ui.api('GET', '/api/inboxes')).body.inboxes.find((i: { isDefault: boolean }) => i.isDefault).id;
      const member = await ui.api('POST', '/api/agents', { name: 'Mia Member', email: 'mia@example.com', password: 'password-123', role: 'agent' });
      await ui.api('PUT', `/api/inboxes/${inboxId}/members`, { agentIds: [member.body.id] });
      browser = await launchChromium();
      context = await browser.newContext({ locale: 'en-US' });
      page = await context.newPage();
      page.on('dialog', (dialog) => void dialog.accept());
      await logIn(page, ui.baseUrl);
    }, 60_000);

    afterAll(async () => {
      await browser?.close();
      await ui?.close();
    });

    const section = () => page.locator('#bot-settings');
    const bots = async () => (await ui.api('GET', `/api/inboxes/${inboxId}/bots`)).body.bots as Array<Record<string, any>>;
    const helper = async () => (await bots()).find((bot) => bot.id === helperId)!;
    const step = (index: number, part: string) => page.locator(`#bot-${helperId}-step-${index}-${part}`);

    it('adds a chat-flow bot that starts with a greeting offering "Talk to a person"', async () => {
      await page.goto(`${ui.baseUrl}/settings?inbox=${inboxId}`);
      await section().getByText('This inbox has no bot yet.').waitFor();
      const create = page.locator('#bot-create-form');
      await create.getByLabel('Name').fill('Helper');
      await create.getByLabel('Kind').selectOption('flow');
      await create.getByRole('button', { name: 'Add bot' }).click();
      await section().getByRole('status').getByText('Bot "Helper" added.').waitFor();

      const [bot] = await bots();
      helperId = bot.id;
      expect(bot).toMatchObject({ name: 'Helper', kind: 'flow', active: false, channels: [] });
      const greeting = bot.flow.steps.find((s: { id: string }) => s.id === bot.flow.startStepId);
      expect(greeting.choices[0]).toMatchObject({ label: 'Talk to a person', next: 'handoff' });

      // The editor shows the flow: the greeting's text and its first button.
      expect(await page.locator(`#bot-start-${helperId}`).inputValue()).toBe('greeting');
      expect(await step(0, 'text').inputValue()).toBe('Hi! How can we help you?');
      expect(await page.locator(`#bot-${helperId}-step-0-choice-0-label`).inputValue()).toBe('Talk to a person');
      expect(await step(0, 'type').inputValue()).toBe('question');
    });

    it('edits the flow: a step text, a new step and a new button, kept after a reload', async () => {
      const stepCount = (await helper()).flow.steps.length;
      await step(0, 'text').fill('Hello! What do you need?');
      // The first empty row adds a step; the greeting's first empty button row adds a button leading to it.
      await step(stepCount, 'id').fill('hours');
      await step(stepCount, 'type').selectOption('message');
      await step(stepCount, 'text').fill('We are open from 9 to 17.');
      await step(stepCount, 'next').fill('greeting');
      const newButton = (await helper()).flow.steps[0].choices.length;
      await page.locator(`#bot-${helperId}-step-0-choice-${newButton}-label`).fill('Opening hours');
      await page.locator(`#bot-${helperId}-step-0-choice-${newButton}-next`).fill('hours');
      await page.locator(`#bot-save-${helperId}`).click();
      await section().getByRole('status').getByText('Bot "Helper" saved.').waitFor();

      const flow = (await helper()).flow;
      expect(flow.steps[0]).toMatchObject({ text: 'Hello! What do you need?' });
      expect(flow.steps[0].choices.map((c: { label: string; next: string }) => [c.label, c.next])).toContainEqual(['Opening hours', 'hours']);
      expect(flow.steps.find((s: { id: string }) => s.id === 'hours')).toEqual({
        id: 'hours',
        type: 'message',
        text: 'We are open from 9 to 17.',
        next: 'greeting',
      });

      await page.reload();
      await page.locator(`#bot-form-${helperId}`).waitFor();
      expect(await step(0, 'text').inputValue()).toBe('Hello! What do you need?');
      expect(await step(stepCount, 'id').inputValue()).toBe('hours');
      await page.locator(`#bot-flow-${helperId}`).scrollIntoViewIfNeeded();
      await screenshot(page, 'settings-bot');
    });

    it('refuses a button leading to no step, names it, keeps what was typed and stores nothing', async () => {
      const before = (await helper()).flow;
      await page.locator(`#bot-${helperId}-step-0-choice-0-next`).fill('nowhere');
      await page.locator(`#bot-save-${helperId}`).click();
      await section().getByRole('alert').getByText('steps[0].choices[0].next names no step of the flow, got "nowhere"').waitFor();
      expect(await page.locator(`#bot-${helperId}-step-0-choice-0-next`).inputValue()).toBe('nowhere');
      expect((await helper()).flow).toEqual(before);
    });

    it('activates it; a webhook bot shows its generated secret once and cannot be active as well; an API token is shown once', async () => {
      await page.reload();
      await page.locator(`#bot-activate-${helperId}`).click();
      await section().getByRole('status').getByText('Bot "Helper" is active', { exact: false }).waitFor();
      expect((await helper()).active).toBe(true);
      expect(await page.locator(`#bot-${helperId} [data-bot-state]`).getAttribute('data-bot-state')).toBe('active');

      const create = page.locator('#bot-create-form');
      await create.getByLabel('Name').fill('Hook');
      await create.getByLabel('Kind').selectOption('webhook');
      await create.getByLabel('Webhook URL').fill('https://bot.example.com/parley');
      await create.getByRole('button', { name: 'Add bot' }).click();
      await section().getByText('The signing secret of "Hook":').waitFor();
      const secret = await page.locator('#bot-shown-value').textContent();
      expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
      const hook = (await bots()).find((bot) => bot.name === 'Hook')!;
      expect(hook).toMatchObject({ kind: 'webhook', webhookUrl: 'https://bot.example.com/parley', hasWebhookSecret: true });
      expect(JSON.stringify(hook)).not.toContain(secret);

      await page.locator(`#bot-activate-${hook.id}`).click();
      await section().getByRole('alert').getByText('bot "Helper" is already active in this inbox (one bot per inbox); deactivate it first').waitFor();
      expect((await bots()).find((bot) => bot.id === hook.id)!.active).toBe(false);

      await page.locator(`#bot-token-${hook.id}`).click();
      await section().getByText('The API token of "Hook":').waitFor();
      expect(await page.locator('#bot-shown-value').textContent()).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect((await bots()).find((bot) => bot.id === hook.id)!.hasToken).toBe(true);
      // Shown once: the section fetched again shows no secret.
      await page.reload();
      await page.locator(`#bot-form-${hook.id}`).waitFor();
      expect(await page.locator('#bot-shown-once').count()).toBe(0);
    });

    it('speaks Dutch to a Dutch admin', async () => {
      const dutch = await browser.newContext({ locale: 'nl-NL' });
      try {
        const nl = await dutch.newPage();
        await logIn(nl, ui.baseUrl);
        await nl.goto(`${ui.baseUrl}/settings?inbox=${inboxId}`);
        await nl.getByRole('heading', { name: 'Een bot toevoegen' }).waitFor();
        await nl.locator(`#bot-${helperId}`).getByText('Actief', { exact: true }).waitFor();
        expect(await nl.locator(`#bot-${helperId}-step-0-type option:checked`).textContent()).toBe('Vraag met knoppen');
      } finally {
        await dutch.close();
      }
    });

    it('shows no Bot section to an agent who is not an admin', async () => {
      const other = await browser.newContext({ locale: 'en-US' });
      try {
        const agentPage = await other.newPage();
        await logIn(agentPage, ui.baseUrl, 'mia@example.com', 'password-123');
        await agentPage.goto(`${ui.baseUrl}/settings?inbox=${inboxId}`);
        await agentPage.locator('#preferences-form').waitFor();
        expect(await agentPage.locator('#bot-settings').count()).toBe(0);
      } finally {
        await other.close();
      }
    });
  });
}
