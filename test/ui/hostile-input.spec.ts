import { createHmac } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createTransport, type Transporter } from 'nodemailer';
import type { Browser, Page } from 'playwright-core';
import { HOSTILE_FILENAMES, HOSTILE_HTML, HOSTILE_NAMES, HOSTILE_SUBJECTS, PAYLOAD_COUNT, runMarker } from '../fixtures/hostile';
import { reportSkippedSuite } from '../support/engines';
import { CLEAN_FRAME, globalsEverywhere, inspectFrame, watchContext, type BrowserWatch } from '../support/hostile-watch';
import { chromiumMissing, eventually, launchChromium, logIn, startUiApp, textOf, type UiApp } from '../support/ui-harness';

/**
 * The hostile-input corpus (test/fixtures/hostile) through every channel there is, the API
 * channel, the email channel over real SMTP and the example signed-webhook plugin (which stores
 * HTML as it gets it, so the web UI's own cleaning is what stands there), then shown to an agent
 * in Chromium: the inbox list, every conversation, every email-body frame. No dialog may open, no
 * payload script may run, and no request may leave the machine.
 */
const INBOX_EMAIL = 'support@parley.test';
const WEBHOOK_SECRET = 'hostile-input-webhook-secret-0123456789';
const REPO = resolve(__dirname, '..', '..');

interface Message {
  thread: string;
  id: string;
  subject: string;
  name: string;
  text: string;
  html?: string;
  /** When it was sent: keeps a thread's messages in order. */
  at: Date;
  filenames?: string[];
}

interface Channel {
  name: string;
  deliver(message: Message, first: Message): Promise<void>;
}

/** A conversation the test shows: the subject it must display as text, and how many email frames it has. */
interface Shown {
  conversationId?: string;
  channel: string;
  subject: string;
  frames: number;
  filenames: string[];
}

const missing = chromiumMissing();
if (missing) {
  reportSkippedSuite('Web UI in Chromium (hostile-input corpus)', missing, 'chromium');
  it.skip('hostile-input browser tests (Chromium not installed)', () => undefined);
} else {
  describe('hostile-input corpus through every channel, shown in Chromium', () => {
    let ui: UiApp;
    let browser: Browser;
    let page: Page;
    let watch: BrowserWatch;
    let mailer: Transporter;
    let pluginDir: string;
    const figures = {
      setupMs: 0,
      payloads: PAYLOAD_COUNT,
      channels: 0,
      messages: 0,
      conversations: 0,
      pages: 0,
      frames: 0,
      clicks: 0,
      deliverMs: 0,
      renderMs: 0,
    };

    beforeAll(async () => {
      const started = Date.now();
      ui = await startWithSignedWebhookPlugin();
      mailer = createTransport({ host: '127.0.0.1', port: ui.t.smtpPort, secure: false, ignoreTLS: true });
      browser = await launchChromium();
      const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
      watch = await watchContext(context, ui.baseUrl);
      page = await context.newPage();
      await logIn(page, ui.baseUrl);
      figures.setupMs = Date.now() - started;
    }, 60_000);

    afterAll(async () => {
      mailer?.close();
      await browser?.close();
      await ui?.close();
      for (const key of Object.keys(WEBHOOK_ENV)) delete process.env[key];
      if (pluginDir) rmSync(pluginDir, { recursive: true, force: true });
      process.stdout.write(`hostile-input: ${JSON.stringify(figures)}\n`);
    });

    /** The example plugin installed as an operator would: a package where Parley is started. */
    const WEBHOOK_ENV = { PARLEY_PLUGIN_SIGNED_WEBHOOK_SECRET: WEBHOOK_SECRET, PARLEY_PLUGIN_SIGNED_WEBHOOK_OUTBOUND_URL: 'http://127.0.0.1:9/replies' };
    async function startWithSignedWebhookPlugin(): Promise<UiApp> {
      pluginDir = mkdtempSync(join(tmpdir(), 'parley-hostile-plugins-'));
      mkdirSync(join(pluginDir, 'node_modules'));
      symlinkSync(join(REPO, 'examples', 'parley-plugin-signed-webhook'), join(pluginDir, 'node_modules', 'parley-plugin-signed-webhook'), 'dir');
      Object.assign(process.env, WEBHOOK_ENV);
      const cwd = process.cwd();
      process.chdir(pluginDir); // plugin packages resolve from the working directory
      try {
        return await startUiApp({ env: { PARLEY_PLUGINS: 'parley-plugin-signed-webhook', PARLEY_INBOX_EMAIL: INBOX_EMAIL } });
      } finally {
        process.chdir(cwd);
      }
    }

    const channels: Channel[] = [
      {
        name: 'api',
        async deliver(m) {
          const res = await ui.api('POST', '/api/channels/api/messages', {
            externalThreadId: m.thread,
            externalMessageId: m.id,
            from: { address: 'mallory@evil.test', name: m.name },
            subject: m.subject,
            text: m.text,
            html: m.html,
            receivedAt: m.at.toISOString(),
          });
          if (res.status !== 201) throw new Error(`api channel answered ${res.status}: ${JSON.stringify(res.body)}`);
        },
      },
      {
        name: 'email (SMTP)',
        async deliver(m, first) {
          const messageId = `<${m.id}@evil.test>`;
          const parent = m === first ? {} : { inReplyTo: `<${first.id}@evil.test>`, references: [`<${first.id}@evil.test>`] };
          await mailer.sendMail({
            from: { name: m.name, address: 'mallory@evil.test' },
            to: INBOX_EMAIL,
            subject: m.subject,
            text: m.text,
            html: m.html,
            date: m.at,
            messageId,
            ...parent,
            attachments: (m.filenames ?? []).map((filename) => ({ filename, content: `attachment ${filename}`, contentType: 'application/octet-stream' })),
          });
        },
      },
      {
        name: 'signed webhook (example plugin)',
        async deliver(m) {
          const body = JSON.stringify({
            threadId: m.thread,
            messageId: m.id,
            from: { address: 'mallory@evil.test', name: m.name },
            subject: m.subject,
            text: m.text,
            html: m.html,
            sentAt: m.at.toISOString(),
          });
          const res = await fetch(`${ui.baseUrl}/channels/signed-webhook/messages`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'x-parley-signature': `sha256=${createHmac('sha256', WEBHOOK_SECRET).update(body).digest('hex')}` },
            body,
          });
          if (res.status !== 201) throw new Error(`signed webhook answered ${res.status}: ${await res.text()}`);
        },
      },
    ];

    /**
     * Every payload through every channel: one thread of all the HTML payloads, one conversation
     * per hostile subject. Channels run side by side; within a thread the first message goes
     * first (the others reply to it), the rest a few at a time.
     */
    async function deliverCorpus(): Promise<Shown[]> {
      const shown: Shown[] = [];
      const sentAt = (i: number) => new Date(Date.now() - 60 * 60 * 1000 + i * 1000);
      await Promise.all(
        channels.map(async (channel) => {
          const slug = channel.name.split(' ')[0];
          const thread: Message[] = HOSTILE_HTML.map((payload, i) => ({
            thread: `hostile-html-${slug}`,
            id: `hostile-html-${slug}-${payload.id}`,
            subject: `Hostile HTML via ${channel.name}`,
            name: HOSTILE_NAMES[i % HOSTILE_NAMES.length].value,
            // The HTML as the text version too: it must show as text.
            text: `${payload.html} <script>${runMarker(`text-${payload.id}`)}</script>`,
            html: payload.html,
            at: sentAt(i),
            filenames: i === 0 ? HOSTILE_FILENAMES.map((f) => f.value) : undefined,
          }));
          const conversations: Message[] = HOSTILE_SUBJECTS.map((subject, i) => ({
            thread: `hostile-subject-${slug}-${subject.id}`,
            id: `hostile-subject-${slug}-${subject.id}`,
            subject: subject.value,
            name: HOSTILE_NAMES[i % HOSTILE_NAMES.length].value,
            text: `${subject.value} ${HOSTILE_NAMES[i % HOSTILE_NAMES.length].value}`,
            at: sentAt(HOSTILE_HTML.length + i),
          }));
          await channel.deliver(thread[0], thread[0]);
          const rest = [...thread.slice(1).map((m) => () => channel.deliver(m, thread[0])), ...conversations.map((m) => () => channel.deliver(m, m))];
          for (let i = 0; i < rest.length; i += 4) await Promise.all(rest.slice(i, i + 4).map((send) => send()));
          shown.push({
            channel: channel.name,
            subject: thread[0].subject,
            frames: thread.length,
            filenames: channel.name.startsWith('email') ? HOSTILE_FILENAMES.map((f) => f.value) : [],
          });
          for (const m of conversations) shown.push({ channel: channel.name, subject: m.subject, frames: 0, filenames: [] });
          figures.messages += thread.length + conversations.length;
          figures.channels += 1;
        }),
      );
      // Which conversation each became (over the API: the test checks what the agent sees, not how it is stored).
      const all = (await ui.api('GET', '/api/views/all-open/conversations?limit=200')).body.items as { id: string; subject: string; channel: string }[];
      const channelOf = (name: string) => (name.startsWith('email') ? 'email' : name.startsWith('api') ? 'api' : 'signed-webhook');
      for (const s of shown) {
        s.conversationId = all.find((c) => c.channel === channelOf(s.channel) && normalise(c.subject ?? '') === normalise(s.subject))?.id;
        if (!s.conversationId || s.frames === 0) continue;
        // A message whose HTML was all hostile keeps none: it shows as text, without a frame.
        const detail = (await ui.api('GET', `/api/conversations/${s.conversationId}`)).body as { messages: { html?: string }[] };
        s.frames = detail.messages.filter((m) => m.html && /\S/.test(m.html)).length;
      }
      figures.conversations = shown.length;
      return shown;
    }

    const normalise = (text: string) => text.replace(/\s+/g, ' ').trim();

    /** Nothing ran anywhere on the page, and nothing left the machine or opened a dialog so far. */
    async function expectNothingRan(where: string) {
      // Parley's own pages carry no inline script and no handler attributes: any found came from a message.
      // The one exception is inert data: the UI's strings, one JSON block in the head (never executed).
      const markup = await page.evaluate(`({
        handlers: Array.from(document.querySelectorAll('*')).flatMap((el) => Array.from(el.attributes).filter((a) => /^on/i.test(a.name)).map((a) => el.tagName + '[' + a.name + ']')),
        inlineScripts: Array.from(document.querySelectorAll('script:not([src])')).filter((el) => !(el.id === 'parley-strings' && el.type === 'application/json' && el.parentElement === document.head && document.querySelectorAll('#parley-strings').length === 1)).length,
      })`);
      expect({ where, pwned: await globalsEverywhere(page, '__pwned'), dialogs: watch.dialogs, offMachine: watch.offMachine, markup }).toEqual({
        where,
        pwned: [],
        dialogs: [],
        offMachine: [],
        markup: { handlers: [], inlineScripts: 0 },
      });
    }

    it('no payload runs, opens a dialog or makes a request leave the machine, in the list, the threads and the email frames', async () => {
      const started = Date.now();
      const shown = await deliverCorpus();
      expect(shown.filter((s) => !s.conversationId).map((s) => `${s.channel}: ${s.subject.slice(0, 60)}`)).toEqual([]);
      // The plugin stores HTML as it gets it: every payload reaches the web UI's own cleaning.
      expect(shown.find((s) => s.channel.startsWith('signed webhook') && s.frames > 0)?.frames).toBe(HOSTILE_HTML.length);
      figures.deliverMs = Date.now() - started;

      // The inbox list: every hostile subject and name shown as text.
      await page.goto(`${ui.baseUrl}/inbox?view=all-open`);
      await page.waitForSelector('#app[data-live="on"]');
      figures.pages += 1;
      const listText = normalise((await page.locator('#list').textContent()) ?? '');
      for (const s of shown) expect(listText).toContain(normalise(s.subject).slice(0, 80));
      for (const name of HOSTILE_NAMES) expect(listText).toContain(normalise(name.value).slice(0, 40));
      expect(await page.locator('#list img, #list script, #list iframe, #list svg:not(.icon):not([aria-hidden="true"])').count()).toBe(0);
      await expectNothingRan('inbox list');

      // Each conversation opened from the list, as an agent does (htmx swaps the thread in).
      for (const s of shown) {
        await page.locator(`#list li.conv[data-id="${s.conversationId}"] a.conv-link`).click();
        await page.waitForSelector(`#thread-main[data-conversation-id="${s.conversationId}"]`);
        figures.pages += 1;
        expect(normalise(await textOf(page.locator('#thread-subject')))).toBe(normalise(s.subject));
        for (const filename of s.filenames) {
          // As text, whatever it holds (the email channel may shorten a path to its last part).
          const last = filename.split(/[\\/]/).pop()!;
          expect(normalise((await page.locator('#thread-main .attachments').first().textContent()) ?? '')).toContain(normalise(last).slice(0, 60));
        }
        if (s.frames > 0) await checkFrames(s);
        await expectNothingRan(`${s.channel}: ${s.subject.slice(0, 60)}`);
      }
      figures.renderMs = Date.now() - started - figures.deliverMs;
    }, 90_000);

    it("a <style> that got past the cleaning still loads nothing: the frame's CSP allows its own style sheet only", async () => {
      const { conversationId } = await ui.receive({ subject: 'Slipped style', html: '<p id="x">A plain message</p>' });
      await page.goto(`${ui.baseUrl}/inbox?view=all-open&conversation=${conversationId}`);
      await page.waitForSelector(`#thread-main[data-conversation-id="${conversationId}"]`);
      await eventually(() => page.frames().some((f) => f.url().includes(`/conversations/${conversationId}/messages/`)), 10_000, 'the email frame');
      const frame = page.frames().find((f) => f.url().includes(`/conversations/${conversationId}/messages/`))!;
      await frame.waitForLoadState('load');
      const before = watch.offMachine.length;
      // As if the sanitiser had missed it (through the debugger: the frame runs no script itself).
      await frame.evaluate(`(() => {
        const style = document.createElement('style');
        style.textContent = 'body { background-image: url(http://exfil.invalid/slipped-style) } @import url(http://exfil.invalid/slipped-import);';
        document.body.append(style);
      })()`);
      await page.waitForTimeout(500);
      expect(watch.offMachine.slice(before)).toEqual([]);
      expect(await frame.evaluate('getComputedStyle(document.body).backgroundImage')).toBe('none');
      // The frame's own look still applies.
      expect(await frame.evaluate('getComputedStyle(document.body).marginTop')).toBe('12px');
    });

    /** Every email frame of the thread: nothing in its document can run, load or leave; then a curious agent hovers and clicks. */
    async function checkFrames(s: Shown) {
      const frameCount = await page.locator('iframe.msg-frame').count();
      expect({ thread: s.subject, frames: frameCount }).toEqual({ thread: s.subject, frames: s.frames });
      const framesOfThread = () => page.frames().filter((f) => !f.isDetached() && f.url().includes(`/conversations/${s.conversationId}/messages/`));
      await eventually(() => framesOfThread().length === s.frames, 10_000, `${s.frames} email frames of "${s.subject}"`);
      const frames = framesOfThread();
      const unclean: Record<string, unknown>[] = [];
      for (const frame of frames) {
        await frame.waitForLoadState('load');
        const { text, ...found } = await inspectFrame(frame);
        // Only what differs from a clean frame, with the start of the frame's text to tell which payload it was.
        const problems = Object.fromEntries(
          Object.entries(found).filter(([key, value]) => JSON.stringify(value) !== JSON.stringify(CLEAN_FRAME[key as keyof typeof CLEAN_FRAME])),
        );
        if (Object.keys(problems).length > 0) unclean.push({ text: text.slice(0, 60), ...problems });
        figures.frames += 1;
      }
      for (const frame of frames) {
        const hover = frame.getByText('Hover me');
        if ((await hover.count()) > 0) await hover.first().hover({ timeout: 5000 });
        const links = frame.locator('a[href]');
        for (let i = 0; i < (await links.count()); i += 1) await links.nth(i).click({ timeout: 5000 });
        figures.clicks += await links.count();
      }
      await page.waitForTimeout(300);
      // Links open in new tabs (same origin only, or they would have been refused above): close them.
      for (const other of page.context().pages()) if (other !== page) await other.close();
      await expectNothingRan(`${s.channel}: ${s.subject.slice(0, 60)}`);
      expect({ thread: s.subject, unclean }).toEqual({ thread: s.subject, unclean: [] });
    }
  });
}
