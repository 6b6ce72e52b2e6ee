import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { BrowserContext, Frame, Page } from 'playwright-core';

/**
 * A website of a Parley user for the chat browser tests: a page on its own loopback address
 * (127.0.0.2, so another site than Parley's 127.0.0.1, as a customer's website would be) with the
 * embed snippet that `POST /api/inboxes/:id/channels` answered, pasted in as a newcomer would.
 */
export interface ChatSite {
  origin: string;
  url: string;
  /** Every path the site was asked for (a payload's `src=x` would show here as `/x`). */
  requests: string[];
  close(): Promise<void>;
}

/** The host of the test website: loopback, but another site than the app's 127.0.0.1. */
export const SITE_HOST = '127.0.0.2';

export async function startChatSite(snippet: () => string): Promise<ChatSite> {
  const requests: string[] = [];
  const server: Server = createServer((req, res) => {
    requests.push(req.url ?? '');
    if (req.url !== '/' && !req.url?.startsWith('/?')) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
    res.end(`<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Kettle &amp; Co</title></head>
<body>
  <h1>Kettle &amp; Co</h1>
  <p>Kettles, mugs and everything for tea.</p>
  ${snippet()}
</body>
</html>`);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, SITE_HOST, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const origin = `http://${SITE_HOST}:${port}`;
  return {
    origin,
    url: `${origin}/`,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** What a script payload in a chat message could make a browser do that the test can see. */
export interface ChatWatch {
  /** Dialogs whose message carries the payload's marker (each is dismissed; other dialogs are accepted). */
  payloadDialogs: string[];
  /** Requests to any origin but Parley's and the test website's (each is aborted). */
  offMachine: string[];
  /** Requests for the payload's image (`src=x`), on any origin. */
  payloadRequests: string[];
}

/**
 * Watches every page of `context`: dialogs with `marker` in them are recorded (others, such as
 * the web UI's own confirmations, are accepted), requests leaving the two loopback origins are
 * recorded and aborted, and requests for a payload's `x` image are recorded.
 */
export async function watchChat(context: BrowserContext, origins: string[], marker: string): Promise<ChatWatch> {
  const watch: ChatWatch = { payloadDialogs: [], offMachine: [], payloadRequests: [] };
  const local = /^(data|blob|about|chrome|chrome-error):/i;
  const onMachine = (url: string) => local.test(url) || origins.includes(new URL(url).origin);
  context.on('dialog', (dialog) => {
    if (dialog.message().includes(marker)) {
      watch.payloadDialogs.push(dialog.message());
      void dialog.dismiss().catch(() => undefined);
    } else {
      void dialog.accept().catch(() => undefined);
    }
  });
  context.on('request', (request) => {
    const url = request.url();
    if (!local.test(url) && new URL(url).pathname.endsWith('/x')) watch.payloadRequests.push(url);
    if (!onMachine(url) && !watch.offMachine.includes(url)) watch.offMachine.push(url);
  });
  await context.route('**/*', (route) => (onMachine(route.request().url()) ? route.continue() : route.abort('blockedbyclient')));
  return watch;
}

/** The chat frame the widget opened in `page` (the iframe from Parley's origin). */
export function chatFrame(page: Page): Frame | undefined {
  return page.frames().find((frame) => frame.url().includes('/channels/chat/c/'));
}

/** The values of `name` as a global in the page and every frame of it (set only if a payload ran). */
export async function globalsIn(page: Page, name: string): Promise<unknown[]> {
  const values: unknown[] = [];
  for (const frame of page.frames()) values.push(await frame.evaluate(`window[${JSON.stringify(name)}] ?? null`).catch(() => null));
  return values.filter((value) => value !== null);
}
