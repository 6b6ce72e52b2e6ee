import type { Browser, Page, Request } from 'playwright-core';
import { reportSkippedSuite } from '../support/engines';
import { CLEAN_FRAME, globalsEverywhere, inspectFrame } from '../support/hostile-watch';
import { chromiumMissing, launchChromium, logIn, startUiApp, waitForText, type UiApp } from '../support/ui-harness';

/**
 * Hostile email HTML (and hostile subjects, names and text) shown to an agent: nothing in it may
 * run. Every payload, if it ran, would set a global flag and call a probe URL that the test
 * watches; the test asserts in the browser that neither happened, in the page and in every frame.
 */
const PROBE = '/xss-probe';
const run = (id: string) => `window.top.__xss=(window.top.__xss||[]).concat('${id}');fetch('${PROBE}?${id}')`;

const HOSTILE_HTML = [
  `<p>Hello, please see my order.</p>`,
  `<script>${run('script')}</script>`,
  `<img src="x" onerror="${run('img-onerror')}">`,
  `<a id="js-link" href="javascript:${run('javascript-link')}">Track my parcel</a>`,
  `<svg xmlns="http://www.w3.org/2000/svg" onload="${run('svg-onload')}"><script>${run('svg-script')}</script><a href="javascript:${run('svg-link')}"><text y="20">svg</text></a></svg>`,
  `<iframe src="javascript:${run('iframe-js')}"></iframe><iframe srcdoc="<script>${run('srcdoc')}</script>"></iframe>`,
  `<object data="javascript:${run('object')}"></object><embed src="javascript:${run('embed')}">`,
  `<body onload="${run('body-onload')}"><div onmouseover="${run('mouseover')}" id="hover-me">Hover me</div>`,
  `<math><mtext><table><mglyph><style><img src=x onerror="${run('mxss')}"></style></mglyph></table></mtext></math>`,
  `<form action="${PROBE}?form"><button id="form-button">Confirm</button></form>`,
  `<meta http-equiv="refresh" content="0;url=javascript:${run('meta-refresh')}">`,
  `<style>@import url('${PROBE}?css-import'); body { background: url("javascript:${run('css-url')}"); }</style>`,
  `<details open ontoggle="${run('ontoggle')}"><summary>More</summary></details>`,
  `<video><source onerror="${run('video')}"></video><audio src="x" onerror="${run('audio')}"></audio>`,
  `<base href="javascript:${run('base')}//">`,
].join('\n');

const missing = chromiumMissing();
if (missing) {
  reportSkippedSuite('Web UI in Chromium (hostile email HTML)', missing, 'chromium');
  it.skip('web UI browser tests (Chromium not installed)', () => undefined);
} else {
  describe('Web UI in Chromium: hostile email HTML never runs', () => {
    let ui: UiApp;
    let browser: Browser;
    let page: Page;
    const probes: string[] = [];
    const dialogs: string[] = [];

    beforeAll(async () => {
      ui = await startUiApp();
      browser = await launchChromium();
      const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
      // Every request the browser makes is watched: a probe hit means a payload ran (or the CSS loaded).
      await context.route('**/*', (route) => {
        const url = route.request().url();
        if (url.includes(PROBE)) {
          probes.push(url);
          return route.fulfill({ status: 204 });
        }
        if (!url.startsWith(ui.baseUrl)) {
          probes.push(url); // no external request is expected at all (the email has no remote images)
          return route.abort();
        }
        return route.continue();
      });
      page = await context.newPage();
      page.on('dialog', (dialog) => {
        dialogs.push(dialog.message());
        void dialog.dismiss();
      });
      page.on('popup', (popup) => {
        probes.push(`popup:${popup.url()}`);
      });
      await logIn(page, ui.baseUrl);
    }, 60_000);

    afterAll(async () => {
      await browser?.close();
      await ui?.close();
    });

    it('shows the email, sanitised, in a sandboxed frame without scripts, and no payload runs', async () => {
      const subject = `<img src=x onerror="${run('subject')}">Order question`;
      const { conversationId } = await ui.receive({
        subject,
        from: { address: 'mallory@evil.test', name: `<script>${run('name')}</script>Mallory` },
        text: `<script>${run('text')}</script> plain text version`,
        html: HOSTILE_HTML,
      });
      await page.goto(`${ui.baseUrl}/inbox?view=unassigned&conversation=${conversationId}`);
      await page.waitForSelector('#app[data-live="on"]');
      await waitForText(page.locator('#thread-subject'), 'Order question');
      // Subject and name are shown as text, not markup.
      expect(await page.locator('#thread-subject').textContent()).toContain('<img src=x onerror=');
      expect(await page.locator('#list .conv-contact').first().textContent()).toContain('<script>');

      const iframe = page.locator('iframe.msg-frame');
      await iframe.waitFor();
      expect(await iframe.getAttribute('sandbox')).not.toContain('allow-scripts');
      expect(await iframe.getAttribute('sandbox')).not.toContain('allow-same-origin');
      const frame = page.frames().find((f) => f.url().includes('/body'));
      expect(frame).toBeDefined();
      await frame!.waitForLoadState();
      // What the frame's document holds (evaluated through the debugger: the frame itself runs no script).
      const rendered = await inspectFrame(frame!);
      expect(rendered.text).toContain('Hello, please see my order.');
      expect(rendered).toEqual({ ...CLEAN_FRAME, text: rendered.text });

      // Second layer, independent of the sanitiser: markup slipped into the frame still cannot run
      // (sandbox without allow-scripts, and the frame's CSP allows no script at all).
      const slipped = `<img src="x" onerror="${run('slipped-img')}"><a id="slipped" href="javascript:${run('slipped-link')}">slipped</a>`;
      await frame!.evaluate(
        `(() => { const holder = document.createElement('div'); holder.innerHTML = ${JSON.stringify(slipped)}; document.body.append(holder); })()`,
      );
      await frame!
        .locator('#slipped')
        .click({ timeout: 2000 })
        .catch(() => undefined);

      // Interact like a curious agent: hover, click the links and the button inside the email.
      // By text: the sanitiser drops ids.
      await frame!
        .getByText('Hover me')
        .hover({ timeout: 2000 })
        .catch(() => undefined);
      await frame!
        .getByText('Track my parcel')
        .click({ timeout: 2000 })
        .catch(() => undefined);
      await frame!
        .locator('text=Confirm')
        .click({ timeout: 2000 })
        .catch(() => undefined);
      await page.waitForTimeout(500);

      expect(probes).toEqual([]);
      expect(dialogs).toEqual([]);
      expect(await globalsEverywhere(page, '__xss')).toEqual([]);
    });

    it('serves the email body with its own strict CSP (sandboxed even when opened on its own)', async () => {
      const { conversationId } = await ui.receive({ subject: 'Direct body', html: `<p>direct</p><script>${run('direct')}</script>` });
      const conversation = (await ui.api('GET', `/api/conversations/${conversationId}`)).body;
      const bodyUrl = `/ui/conversations/${conversationId}/messages/${conversation.messages[0].id}/body`;
      const response = await page.goto(ui.baseUrl + bodyUrl);
      const csp = response!.headers()['content-security-policy'];
      expect(csp).toContain("default-src 'none'");
      expect(csp).toMatch(/sandbox(?! [^;]*allow-scripts)/);
      expect(csp).not.toContain('allow-scripts');
      expect(csp).toContain("frame-ancestors 'self'");
      await page.waitForTimeout(300);
      expect(await page.evaluate('document.body.textContent')).toContain('direct');
      expect(probes).toEqual([]);
      expect(await globalsEverywhere(page, '__xss')).toEqual([]);
    });

    it('sends the strict CSP, nosniff and referrer headers on every page', async () => {
      const response = await page.goto(`${ui.baseUrl}/inbox`);
      const headers = response!.headers();
      expect(headers['content-security-policy']).toBe(
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; frame-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
      );
      expect(headers['x-content-type-options']).toBe('nosniff');
      expect(headers['referrer-policy']).toBe('same-origin');
      expect(headers['cache-control']).toBe('no-store');
      const violations: string[] = [];
      page.on('console', (message) => {
        if (/Content Security Policy/i.test(message.text())) violations.push(message.text());
      });
      await page.reload();
      await page.waitForSelector('#app[data-live="on"]');
      await page.locator('#list .conv', { hasText: 'Direct body' }).locator('.conv-link').click();
      await page.waitForSelector('#thread-main[data-conversation-id]');
      await page.waitForTimeout(300);
      // Our own pages never need an exception to the CSP (no inline script or style anywhere).
      expect(violations).toEqual([]);
      expect(probes.filter((p: string | Request) => String(p).startsWith('http') && !String(p).startsWith(ui.baseUrl))).toEqual([]);
    });
  });
}
