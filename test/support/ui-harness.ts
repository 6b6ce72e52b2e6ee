import { existsSync, mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { createTransport, type SendMailOptions } from 'nodemailer';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';
import { ADMIN, inbound, startTestApp, type TestApp } from './app-harness';

/**
 * Browser tests: the real app listening on a free port, driven by Debian's Chromium through
 * playwright-core. Without /usr/bin/chromium the suites report themselves skipped (by name);
 * .ci/run installs the package when test/ui exists, so in CI they run.
 */
export const CHROMIUM = '/usr/bin/chromium';
/**
 * Screenshots go to test-artifacts/screenshots (git-ignored) on every run; with
 * PARLEY_UPDATE_SCREENSHOTS=1 they replace the committed ones in docs/screenshots that the README
 * links, so an ordinary `npm test` leaves the working tree clean.
 */
export const SCREENSHOTS =
  process.env.PARLEY_UPDATE_SCREENSHOTS === '1'
    ? resolve(__dirname, '..', '..', 'docs', 'screenshots')
    : resolve(__dirname, '..', '..', 'test-artifacts', 'screenshots');

export function chromiumMissing(): string | null {
  return existsSync(CHROMIUM) ? null : `${CHROMIUM} is not installed (apt-get install -y chromium)`;
}

export async function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-quic',
      '--no-first-run',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

export interface UiApp {
  t: TestApp;
  baseUrl: string;
  token: string;
  /** A JSON API call over real HTTP with the admin's bearer token (what an integration would do). */
  api<T = any>(method: string, path: string, body?: unknown, token?: string): Promise<{ status: number; body: T }>;
  /** A message arriving through the API channel. */
  receive(overrides?: Record<string, unknown>): Promise<{ conversationId: string }>;
  close(): Promise<void>;
}

export async function startUiApp(
  options: { env?: Record<string, string>; builtIns?: NonNullable<Parameters<typeof startTestApp>[0]>['builtIns'] } = {},
): Promise<UiApp> {
  const t = await startTestApp({ env: options.env, builtIns: options.builtIns });
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = t.app.getHttpServer().address() as AddressInfo;
  const baseUrl = `http://127.0.0.1:${port}`;
  const hasAdmin = options.env?.PARLEY_ADMIN_EMAIL !== '';
  const token = hasAdmin ? await t.login() : '';
  const api: UiApp['api'] = async (method, path, body, as = token) => {
    const res = await fetch(baseUrl + path, {
      method,
      headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...(as ? { authorization: `Bearer ${as}` } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      /* not JSON */
    }
    return { status: res.status, body: parsed as any };
  };
  return {
    t,
    baseUrl,
    token,
    api,
    async receive(overrides = {}) {
      const res = await api('POST', '/api/channels/api/messages', inbound(overrides));
      if (res.status !== 201 && res.status !== 200) throw new Error(`receiving a message failed: ${res.status} ${JSON.stringify(res.body)}`);
      return res.body;
    },
    close: () => t.close(),
  };
}

export async function logIn(page: Page, baseUrl: string, email = ADMIN.email, password = ADMIN.password): Promise<void> {
  await page.goto(`${baseUrl}/login`);
  await page.fill('input[name=email]', email);
  await page.fill('input[name=password]', password);
  await Promise.all([page.waitForURL(/\/inbox/), page.click('button[type=submit]')]);
  await page.waitForSelector('#app[data-live="on"]');
}

/** Polls until `check` returns a truthy value (or throws its last error after `timeoutMs`). */
export async function eventually<T>(check: () => Promise<T> | T, timeoutMs = 10_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value;
      last = new Error(`${what}: still ${JSON.stringify(value)}`);
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw last;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** An email sent to the app over SMTP; answers its conversation's id once the open list shows it (found by subject). */
export async function receiveEmail(ui: UiApp, mail: SendMailOptions & { subject: string }): Promise<string> {
  await createTransport({ host: '127.0.0.1', port: ui.t.smtpPort, secure: false, ignoreTLS: true }).sendMail(mail);
  return eventually(
    async () => {
      const list = await ui.api('GET', '/api/views/all-open/conversations?limit=50');
      return list.body.items.find((c: { subject: string }) => c.subject === mail.subject)?.id as string;
    },
    10_000,
    `the email "${mail.subject}" in the list`,
  );
}

export async function textOf(locator: Locator): Promise<string> {
  return ((await locator.textContent()) ?? '').replace(/\s+/g, ' ').trim();
}

/** Waits until the locator's text contains `text`. */
export async function waitForText(locator: Locator, text: string, timeoutMs = 10_000): Promise<void> {
  let seen = '';
  await eventually(
    async () => {
      seen = (await locator.count()) > 0 ? await textOf(locator.first()) : '(no such element)';
      return seen.includes(text);
    },
    timeoutMs,
    `waiting for "${text}" in ${locator}`,
  ).catch((error: unknown) => {
    throw new Error(`${error instanceof Error ? error.message : String(error)}; it shows: ${JSON.stringify(seen.slice(0, 300))}`);
  });
}

export async function count(page: Page, viewId: string): Promise<number> {
  return Number(await textOf(page.locator(`[data-count="${viewId}"]`)));
}

/** A row of the conversation list by subject. */
export const row = (page: Page, subject: string) => page.locator('#list li.conv', { hasText: subject });

/** Marks the page so a test can tell a live update from a reload. */
export async function markPage(page: Page): Promise<void> {
  await page.evaluate('window.__parleyMark = true');
}

export async function pageWasNotReloaded(page: Page): Promise<boolean> {
  return (await page.evaluate('window.__parleyMark === true')) === true;
}

/** The id of the focused element ('' for none). DOM code is passed as text: the tests compile without the DOM lib. */
export async function focusedId(page: Page): Promise<string> {
  return String(await page.evaluate('document.activeElement ? document.activeElement.id : ""'));
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`) });
}

export { ADMIN };
