import type { Browser, BrowserContext, Page } from 'playwright-core';
import { BUILT_IN_PLUGINS } from '../../src/plugins/registry/built-in-plugins';
import { connectTestPlugin, newConnectTestPluginState, type ConnectTestPluginState } from '../support/connect-test-plugin';
import { reportSkippedSuite } from '../support/engines';
import { chromiumMissing, eventually, launchChromium, logIn, startUiApp, type UiApp } from '../support/ui-harness';

/**
 * Inbox settings in Chromium: an admin connects a channel with the form its plugin declares,
 * generates a secret, copies the embed code, and removes the connection after confirming.
 */
const missing = chromiumMissing();
if (missing) {
  reportSkippedSuite('Web UI in Chromium (channel connections in Inbox settings)', missing, 'chromium');
  it.skip('channel connection browser tests (Chromium not installed)', () => undefined);
} else {
  describe('Inbox settings: channels, in Chromium', () => {
    let ui: UiApp;
    let browser: Browser;
    let context: BrowserContext;
    let page: Page;
    let state: ConnectTestPluginState;

    beforeAll(async () => {
      state = newConnectTestPluginState();
      ui = await startUiApp({ builtIns: [...BUILT_IN_PLUGINS, () => connectTestPlugin(state)] });
      browser = await launchChromium();
      context = await browser.newContext({ locale: 'en-US' });
      await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: ui.baseUrl });
      page = await context.newPage();
      await logIn(page, ui.baseUrl);
    }, 60_000);

    afterAll(async () => {
      await browser?.close();
      await ui?.close();
    });

    it('connects a channel from its form, with a generated secret, and shows the embed code to copy', async () => {
      await page.goto(`${ui.baseUrl}/settings`);
      const form = page.locator('#connect-connect-test');
      await form.getByLabel('Name', { exact: true }).fill('Shop chat');
      await form.getByLabel('Allowed websites').fill('https://shop.example\nhttps://www.shop.example');
      await form.getByLabel('Greeting').fill('Hi there!');
      await form.getByLabel('Ask for name and email first').check();
      await form.getByLabel('Close after minutes of silence').fill('45');
      const secret = form.getByLabel('API token');
      await expect(secret.getAttribute('type')).resolves.toBe('password');
      await form.getByRole('button', { name: 'Generate' }).click();
      // Shown once in plain text, so the admin can copy it into their website's code.
      await expect(secret.getAttribute('type')).resolves.toBe('text');
      const generated = await secret.inputValue();
      expect(generated).toMatch(/^[0-9a-f]{64}$/);

      await Promise.all([page.waitForURL(/saved=channel-connected/), form.getByRole('button', { name: 'Connect Connect test' }).click()]);
      await expect(page.getByRole('status').textContent()).resolves.toContain('Channel connected.');

      const [connection] = (await ui.api('GET', `/api/inboxes/${new URL(page.url()).searchParams.get('inbox')}/channels`)).body.channels;
      expect(connection).toMatchObject({
        name: 'Shop chat',
        settings: { allowedOrigins: ['https://shop.example', 'https://www.shop.example'], greeting: 'Hi there!', preChat: true, inactivityMinutes: 45 },
      });
      expect((await state.host!.connections.get(connection.id))?.settings.apiToken).toBe(generated);
      expect(await page.content()).not.toContain(generated);

      const row = page.locator(`li.channel-connection[data-connection-id="${connection.id}"]`);
      const snippet = await row.getByLabel('Embed code').inputValue();
      expect(snippet).toBe(`<script src="${ui.baseUrl}/channels/connect-test/widget.js" data-connection="${connection.id}" async></script>`);
      await row.getByRole('button', { name: 'Copy code' }).click();
      await eventually(async () => (await row.getByRole('button', { name: 'Copied' }).count()) === 1, 5_000, 'the copy button says Copied');
      expect(await page.evaluate('navigator.clipboard.readText()')).toBe(snippet);
    });

    it('removes the connection only after the admin confirms', async () => {
      const row = page.locator('li.channel-connection');
      page.once('dialog', (dialog) => void dialog.dismiss());
      await row.getByRole('button', { name: 'Remove channel' }).click();
      await expect(row.count()).resolves.toBe(1);

      page.once('dialog', (dialog) => {
        expect(dialog.message()).toContain('Remove the channel "Shop chat"?');
        void dialog.accept();
      });
      await Promise.all([page.waitForURL(/saved=channel-removed/), row.getByRole('button', { name: 'Remove channel' }).click()]);
      await expect(page.getByRole('status').textContent()).resolves.toContain('Channel removed');
      await expect(page.locator('li.channel-connection').count()).resolves.toBe(0);
      expect(await state.host!.connections.list()).toEqual([]);
    });
  });
}
