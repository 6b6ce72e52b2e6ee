import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { reportSkippedSuite } from '../support/engines';
import { chromiumMissing, launchChromium, logIn, startUiApp, type UiApp } from '../support/ui-harness';

/**
 * Cross-site request forgery in a real browser. A page on another port of the same host is the
 * same *site* to Chromium, so it sends the SameSite=Strict session cookie along with its requests.
 * That page tries every request a browser lets it make without CORS (no-cors fetches, body-less
 * or text/plain, and auto-submitted HTML forms of each encoding) against a logged-in agent's
 * session; nothing may change.
 */
const missing = chromiumMissing();
if (missing) {
  reportSkippedSuite('Web UI in Chromium (CSRF from another port)', missing, 'chromium');
  it.skip('CSRF browser tests (Chromium not installed)', () => undefined);
} else {
  describe('CSRF in Chromium: a page on another port of the same host', () => {
    let ui: UiApp;
    let browser: Browser;
    let page: Page;
    let attacker: Server;
    let attackerUrl: string;
    let attackPage = '';

    beforeAll(async () => {
      ui = await startUiApp();
      attacker = createServer((_request, response) => {
        response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        response.end(attackPage);
      });
      await new Promise<void>((resolve) => attacker.listen(0, '127.0.0.1', resolve));
      attackerUrl = `http://127.0.0.1:${(attacker.address() as AddressInfo).port}/`;
      browser = await launchChromium();
      page = await (await browser.newContext()).newPage();
      await logIn(page, ui.baseUrl);
    }, 60_000);

    afterAll(async () => {
      await browser?.close();
      await new Promise((resolve) => attacker?.close(resolve));
      await ui?.close();
    });

    const detail = async (id: string) =>
      (await ui.api('GET', `/api/conversations/${id}`)).body as { status: string; spam: boolean; trashed: boolean; assignee: unknown };

    it('changes nothing through no-cors fetches or form posts riding on the session cookie', async () => {
      const ids = await Promise.all([1, 2, 3, 4, 5].map(async (n) => (await ui.receive({ subject: `Target ${n}` })).conversationId as string));
      const [trashByFetch, spamByTextFetch, closeByForm, spamByTextForm, trashByUiForm] = ids;
      const api = `${ui.baseUrl}/api`;
      const forged = 'forged from another port';
      // Forms post into iframes; the page reports "done" once every request has been answered.
      attackPage = `<!doctype html><html><body>
        <iframe name="f1"></iframe><iframe name="f2"></iframe><iframe name="f3"></iframe><iframe name="f4"></iframe>
        <form id="close" method="post" target="f1" action="${api}/conversations/${closeByForm}/close"><input name="x" value="1"></form>
        <form id="spam" method="post" target="f2" enctype="text/plain" action="${api}/conversations/${spamByTextForm}/spam"><input name='{"a":"' value='"}'></form>
        <form id="ingest" method="post" target="f3" enctype="text/plain" action="${api}/channels/api/messages"><input name='{"externalThreadId":"t","externalMessageId":"m","from":{"address":"x@example.org"},"subject":"${forged}","text":"x","pad":"' value='"}'></form>
        <form id="ui" method="post" target="f4" action="${ui.baseUrl}/ui/conversations/${trashByUiForm}/trash"><input name="x" value="1"></form>
        <script>
          const loaded = (name) => new Promise((resolve) => document.querySelector('iframe[name=' + name + ']').addEventListener('load', resolve, { once: true }));
          (async () => {
            const opts = { method: 'POST', mode: 'no-cors', credentials: 'include' };
            await fetch('${api}/conversations/${trashByFetch}/trash', opts).catch(() => null);
            await fetch('${api}/conversations/${spamByTextFetch}/spam', { ...opts, headers: { 'content-type': 'text/plain' }, body: '{}' }).catch(() => null);
            const frames = ['f1', 'f2', 'f3', 'f4'].map(loaded);
            for (const id of ['close', 'spam', 'ingest', 'ui']) document.getElementById(id).submit();
            await Promise.all(frames);
            document.title = 'done';
          })();
        </script></body></html>`;

      const evil = await page.context().newPage();
      await evil.goto(attackerUrl);
      await evil.waitForFunction('document.title === "done"', undefined, { timeout: 15_000 });
      // The session cookie belongs to the attacker's host as well (ports do not count), so it went along.
      const cookies = await page.context().cookies(attackerUrl);
      expect(cookies.map((c) => c.name)).toContain('parley_session');

      expect(await detail(trashByFetch)).toMatchObject({ trashed: false });
      expect(await detail(spamByTextFetch)).toMatchObject({ spam: false });
      expect(await detail(closeByForm)).toMatchObject({ status: 'open' });
      expect(await detail(spamByTextForm)).toMatchObject({ spam: false });
      expect(await detail(trashByUiForm)).toMatchObject({ trashed: false });
      const found = (await ui.api('GET', `/api/conversations?q=${encodeURIComponent('forged')}`)).body.items as { subject: string }[];
      expect(found.map((c) => c.subject)).not.toContain(forged);

      // Control: the very same request from a Parley page (same origin, same cookie) does work.
      const ours = await page.evaluate(`fetch('/api/conversations/${trashByFetch}/trash', { method: 'POST' }).then((r) => r.status)`);
      expect(ours).toBe(200);
      expect(await detail(trashByFetch)).toMatchObject({ trashed: true });
      await evil.close();
    });
  });
}
