import type { BrowserContext, Frame, Page } from 'playwright-core';

/**
 * What a hostile message could make a browser do that a test can see: a dialog, a request to any
 * origin but the app's own, a global set by its script. Shared by the browser suites that show
 * hostile input (test/ui/email-xss.spec.ts, test/ui/hostile-input.spec.ts).
 */
export interface BrowserWatch {
  /** Messages of every dialog any page or frame opened (each is dismissed). */
  dialogs: string[];
  /** Every request the browser tried to make to another origin (each is aborted). */
  offMachine: string[];
}

/** URLs that never reach the network. */
const LOCAL_SCHEMES = /^(data|blob|about|chrome|chrome-error):/i;

/**
 * Watches every page of `context`: dialogs are recorded and dismissed, requests anywhere but
 * `baseUrl` (the app on loopback) are recorded and aborted, so nothing ever leaves the machine.
 */
export async function watchContext(context: BrowserContext, baseUrl: string): Promise<BrowserWatch> {
  const watch: BrowserWatch = { dialogs: [], offMachine: [] };
  const origin = new URL(baseUrl).origin;
  const onMachine = (url: string) => LOCAL_SCHEMES.test(url) || new URL(url).origin === origin;
  context.on('dialog', (dialog) => {
    watch.dialogs.push(dialog.message());
    void dialog.dismiss().catch(() => undefined);
  });
  // Both: a request that bypassed routing would still be seen.
  context.on('request', (request) => {
    if (!onMachine(request.url()) && !watch.offMachine.includes(request.url())) watch.offMachine.push(request.url());
  });
  await context.route('**/*', (route) => (onMachine(route.request().url()) ? route.continue() : route.abort('blockedbyclient')));
  return watch;
}

/**
 * The values of a global that payload script would set, in the page and in every frame (read
 * through the debugger: the sandboxed email frames run no script of their own).
 */
export async function globalsEverywhere(page: Page, name: string): Promise<unknown[]> {
  const values: unknown[] = [];
  for (const frame of page.frames()) {
    values.push(await frame.evaluate(`window[${JSON.stringify(name)}] ?? null`).catch(() => null));
  }
  return values.filter((value) => value !== null);
}

/** What an email-body frame's document holds that could run, load or leave. */
export interface FrameInspection {
  text: string;
  /** Elements that run, frame, submit, navigate or bring style sheets. */
  dangerous: string[];
  /** Event handler attributes (`onerror` …). */
  handlers: string[];
  /** URLs in attributes that run script or are documents (`javascript:`, `vbscript:`, non-image `data:`), as the browser parses them. */
  scriptUrls: string[];
  /** URLs in attributes that point to another origin. */
  foreignUrls: string[];
  /** Inline styles that can load something. */
  loadingStyles: string[];
  /** Elements with a `background` attribute. */
  backgroundAttributes: number;
  /** Elements whose computed style has a background image (whatever CSS put it there). */
  backgroundImages: string[];
  /** Style sheets beyond the frame's own one. */
  extraStyleSheets: number;
}

/** A frame with nothing in it that could run, load or leave (compare with `{ ...CLEAN_FRAME, text }`). */
export const CLEAN_FRAME: Omit<FrameInspection, 'text'> = {
  dangerous: [],
  handlers: [],
  scriptUrls: [],
  foreignUrls: [],
  loadingStyles: [],
  backgroundAttributes: 0,
  backgroundImages: [],
  extraStyleSheets: 0,
};

/** Inspects an email-body frame's document (DOM code is passed as text: the tests compile without the DOM lib). */
export async function inspectFrame(frame: Frame): Promise<FrameInspection> {
  return (await frame.evaluate(`(() => {
    const all = Array.from(document.querySelectorAll('*'));
    // The sandboxed frame's own origin is opaque ("null"): compare with the origin of its URL.
    const here = new URL(document.URL).origin;
    const urlAttributes = ['href', 'src', 'action', 'formaction', 'data', 'background', 'poster', 'cite', 'xlink:href'];
    const urls = all.flatMap((el) => urlAttributes.filter((name) => el.hasAttribute(name)).map((name) => {
      try { return new URL(el.getAttribute(name), document.baseURI); } catch { return null; }
    })).filter(Boolean);
    return {
      text: document.body.textContent || '',
      dangerous: Array.from(document.body.querySelectorAll(
        'script, style, iframe, frame, frameset, object, embed, applet, form, input, button, textarea, select, meta, base, link, svg, math, template, noscript, video, audio, portal',
      )).map((el) => el.tagName.toLowerCase()),
      handlers: all.flatMap((el) => Array.from(el.attributes).filter((a) => /^on/i.test(a.name)).map((a) => el.tagName.toLowerCase() + '[' + a.name + ']')),
      scriptUrls: urls.filter((u) => u.protocol === 'javascript:' || u.protocol === 'vbscript:' || (u.protocol === 'data:' && !/^data:image\\/(png|gif|jpe?g|webp|bmp);/i.test(u.href))).map((u) => u.href.slice(0, 80)),
      foreignUrls: urls.filter((u) => /^https?:$/.test(u.protocol) && u.origin !== here).map((u) => u.href),
      loadingStyles: all.map((el) => el.getAttribute('style') || '').filter((s) => /url\\s*\\(|image-set|image\\s*\\(|var\\s*\\(|src\\s*\\(|@import|expression|behavior|binding/i.test(s)),
      backgroundAttributes: document.querySelectorAll('[background]').length,
      backgroundImages: all.map((el) => getComputedStyle(el).backgroundImage).filter((b) => b && b !== 'none'),
      extraStyleSheets: document.styleSheets.length - 1,
    };
  })()`)) as FrameInspection;
}
