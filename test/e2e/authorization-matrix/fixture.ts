import { deriveIds } from '../../../src/application/streams';
import { randomUUID } from 'node:crypto';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createTransport } from 'nodemailer';
import { startTestApp, type TestApp } from '../../support/app-harness';

/** The ids one probe's request is built from; every one of them names something in inbox B. */
export interface Targets {
  inboxId: string;
  conversationId: string;
  /** A message with an HTML body in that conversation. */
  messageId: string;
  /** A custom view of inbox B. */
  viewId: string;
  /** The original of an email that arrived in inbox B. */
  blobId: string;
  /** The non-admin member of inbox B (an agent id valid as an assignee there). */
  memberId: string;
  /** An agent nobody else needs (admin routes remove or change it). */
  spareAgentId: string;
  /** The conversation's revision when the probe was prepared (the UI's reply form sends it). */
  revision: number;
  /** The conversation's customer address (block and unblock name it). */
  customer: string;
  /** A fresh suffix for names and addresses that must be unique. */
  unique: string;
  /** The contact of the conversation (a record visible to inbox B's agents only). */
  contactId: string;
  /** The conversation's ticket, when the probe asked for one (`ticket: true`); else an id that exists nowhere. */
  ticketId: string;
}

/** What the route's request is: the URL, and a JSON body (API) or form fields (UI). */
export interface Call {
  url: string;
  json?: unknown;
  form?: Record<string, string | string[]>;
}

/** `forged`: a session token Parley never issued (refused like no session at all). */
export type Caller = 'anonymous' | 'forged' | 'outsider' | 'member' | 'admin';

/**
 * How a route is reached, which decides how the request is sent and how an anonymous caller is
 * turned away: `api` JSON with a bearer token (401); `page` a browser navigation with the session
 * cookie (303 to /login); `htmx` a fragment or action sent by htmx with the cookie (401 with
 * HX-Redirect to /login); `form` a plain HTML form post from our own page (303 to /login);
 * `stream` the server-sent events of the inbox page (401 with HX-Redirect).
 */
export type Surface = 'api' | 'page' | 'htmx' | 'form' | 'stream';

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | number | undefined>;
  body: string;
}

/** Text that appears only in inbox B's data: no answer to anyone without access may contain it. */
export const MARKER = `secret-b-${randomUUID().slice(0, 8)}`;
const HOST = 'parley.test';
const PASSWORD = 'matrix-password-1';

export interface RouteCollector {
  /** "METHOD /path" for every route Fastify registered (Nest controllers and channel plugins alike). */
  routes: string[];
  install(app: NestFastifyApplication): void;
}

/** Records routes with Fastify's onRoute hook; installed before Nest and the plugins register any. */
export function routeCollector(): RouteCollector {
  const routes: string[] = [];
  return {
    routes,
    install(app) {
      app
        .getHttpAdapter()
        .getInstance()
        .addHook('onRoute', (route) => {
          for (const method of [route.method].flat()) routes.push(`${method} ${route.url}`);
        });
    },
  };
}

/**
 * One Parley with two inboxes: A (the default, its member is the "outsider") and B (its member is
 * the non-admin "member"; its name, conversations and mail carry MARKER). The admin reaches both.
 */
export class MatrixFixture {
  requests = 0;
  private tokens: Record<Exclude<Caller, 'anonymous'>, string> = { forged: `v1.${randomUUID()}.forged-signature`, outsider: '', member: '', admin: '' };
  private shared!: Pick<Targets, 'inboxId' | 'blobId' | 'memberId'>;
  /** The email conversation of inbox B (only email conversations can be forwarded). */
  private emailConversationId = '';
  defaultInboxId = '';
  outsiderId = '';

  private constructor(
    readonly t: TestApp,
    readonly collector: RouteCollector,
  ) {}

  static async start(): Promise<MatrixFixture> {
    const collector = routeCollector();
    const t = await startTestApp({ env: { PARLEY_INBOX_EMAIL: 'support@parley.test' }, beforeInit: (app) => collector.install(app) });
    const fixture = new MatrixFixture(t, collector);
    try {
      await fixture.populate();
    } catch (error) {
      await t.close();
      throw error;
    }
    return fixture;
  }

  close(): Promise<void> {
    return this.t.close();
  }

  private async populate(): Promise<void> {
    this.tokens.admin = await this.t.login();
    this.outsiderId = await this.createAgent('outsider');
    const memberId = await this.createAgent('member');
    this.tokens.outsider = await this.t.login('outsider@parley.test', PASSWORD);
    this.tokens.member = await this.t.login('member@parley.test', PASSWORD);

    const inboxes = await this.admin('GET', '/api/inboxes');
    this.defaultInboxId = inboxes.body.inboxes.find((i: { isDefault: boolean }) => i.isDefault).id;
    await this.admin('PUT', `/api/inboxes/${this.defaultInboxId}/members`, { agentIds: [this.outsiderId] }, 200);
    const inboxB = await this.admin('POST', '/api/inboxes', { name: `Team ${MARKER}`, emailAddress: 'team-b@parley.test', agentIds: [memberId] }, 201);

    // An email into B, for the route that serves its original.
    const mail = createTransport({ host: '127.0.0.1', port: this.t.smtpPort, secure: false, ignoreTLS: true });
    await mail.sendMail({ from: 'Customer <customer@example.org>', to: 'team-b@parley.test', subject: `Invoice ${MARKER}`, text: `Account ${MARKER}` });
    mail.close();
    const emailConversation = await this.until('the email in inbox B', async () => {
      const found = await this.admin('GET', `/api/conversations?inboxId=${inboxB.body.id}&channel=email`);
      return found.body.items?.[0]?.id as string | undefined;
    });
    const detail = await this.admin('GET', `/api/conversations/${emailConversation}`);
    const blobId = detail.body.messages[0].attachments.find((a: { filename: string }) => a.filename === 'original.eml').id as string;
    this.shared = { inboxId: inboxB.body.id, blobId, memberId };
    this.emailConversationId = emailConversation;
  }

  /**
   * Fresh things in inbox B for one probe: a conversation with an HTML message (or B's email
   * conversation), a custom view created by B's member (only its creator or an admin may change
   * it), a spare agent when asked.
   */
  async targets(options: { spareAgent?: boolean; emailConversation?: boolean; ticket?: boolean } = {}): Promise<Targets> {
    const unique = randomUUID().slice(0, 8);
    const received = await this.admin(
      'POST',
      '/api/channels/api/messages',
      {
        inboxId: this.shared.inboxId,
        externalThreadId: `thread-${unique}`,
        externalMessageId: `message-${unique}`,
        from: { address: `customer-${unique}@example.org`, name: `Customer ${unique}` },
        subject: `Contract ${MARKER}`,
        text: `Figures ${MARKER}`,
        html: `<p>Figures <b>${MARKER}</b></p>`,
      },
      201,
    );
    const view = await this.call('member', 'POST', '/api/views', { inboxId: this.shared.inboxId, name: `View ${unique}`, filters: { status: 'open' } }, 201);
    const spareAgentId = options.spareAgent ? await this.createAgent(`spare-${unique}`) : randomUUID();
    const conversationId = options.emailConversation ? this.emailConversationId : (received.body.conversationId as string);
    let { revision } = (await this.admin('GET', `/api/conversations/${conversationId}`, undefined, 200)).body;
    const contactId = deriveIds.contact(`customer-${unique}@example.org`);
    let ticketId: string = randomUUID();
    if (options.ticket) {
      const created = await this.admin('POST', `/api/conversations/${conversationId}/ticket`, { name: `Ticket ${unique}` }, 201);
      ticketId = created.body.ticketId as string;
      revision = created.body.revision as number;
    }
    return {
      ...this.shared,
      conversationId,
      messageId: received.body.messageId,
      viewId: view.body.id,
      spareAgentId,
      revision,
      customer: `customer-${unique}@example.org`,
      unique,
      contactId,
      ticketId,
    };
  }

  /** Sends one request the way its surface is used (token or cookie, htmx headers, JSON or form body). */
  async send(caller: Caller, surface: Surface, method: string, call: Call): Promise<Answer> {
    this.requests += 1;
    const headers: Record<string, string> = { host: HOST };
    const token = caller === 'anonymous' ? null : this.tokens[caller];
    if (token) {
      if (surface === 'api') headers.authorization = `Bearer ${token}`;
      else headers.cookie = `parley_session=${encodeURIComponent(token)}`;
    }
    if (surface === 'htmx') headers['hx-request'] = 'true';
    if (surface === 'htmx' || surface === 'form') headers.origin = `http://${HOST}`;
    let payload: string | undefined;
    if (call.form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      const form = new URLSearchParams();
      for (const [name, value] of Object.entries(call.form)) for (const v of [value].flat()) form.append(name, v);
      payload = form.toString();
    } else if (call.json !== undefined) {
      headers['content-type'] = 'application/json';
      payload = JSON.stringify(call.json);
    }
    const inject = { method: method as 'GET', url: call.url, headers, payload };
    if (surface === 'stream') return this.openStream(inject);
    const res = await this.t.app.inject(inject);
    return { status: res.statusCode, headers: res.headers, body: res.body };
  }

  /** An event stream never ends by itself: take the status, headers and first event (or nothing within a second), then hang up. */
  private async openStream(inject: Parameters<NestFastifyApplication['inject']>[0] & object): Promise<Answer> {
    const abort = new AbortController();
    const res = await this.t.app.inject({ ...inject, payloadAsStream: true, signal: abort.signal } as never);
    const stream = (res as unknown as { stream(): NodeJS.ReadableStream }).stream();
    const first = await new Promise<string>((resolve) => {
      setTimeout(() => resolve(''), 1000).unref();
      stream.once('data', (chunk: Buffer) => resolve(chunk.toString()));
      stream.once('end', () => resolve(''));
      stream.once('error', () => resolve(''));
    });
    abort.abort();
    return { status: res.statusCode, headers: res.headers, body: first };
  }

  private admin(method: string, url: string, json?: unknown, expected?: number) {
    return this.call('admin', method, url, json, expected);
  }

  private async call(caller: Exclude<Caller, 'anonymous'>, method: string, url: string, json?: unknown, expected?: number) {
    this.requests += 1;
    const res = await this.t.request(method, url, { token: this.tokens[caller], body: json });
    if (expected !== undefined && res.status !== expected) throw new Error(`fixture: ${method} ${url} answered ${res.status} ${JSON.stringify(res.body)}`);
    return res;
  }

  /** Changes something as the admin to set up a probe (e.g. trash before delete forever); refuses to go on if that fails. */
  async asAdmin(method: string, url: string, json: unknown = {}): Promise<void> {
    const res = await this.admin(method, url, json);
    if (res.status >= 300) throw new Error(`fixture: ${method} ${url} answered ${res.status} ${JSON.stringify(res.body)}`);
  }

  private async createAgent(name: string): Promise<string> {
    const res = await this.admin('POST', '/api/agents', { name, email: `${name}@parley.test`, password: PASSWORD, role: 'agent' }, 201);
    return res.body.id;
  }

  private async until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await probe();
      if (value !== undefined) return value;
      if (Date.now() > deadline) throw new Error(`fixture: timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

/**
 * The route table against the expectation table: routes without an entry, and entries that are
 * no route. A HEAD route that Fastify adds beside a GET needs no entry of its own (it runs the
 * GET's handler; the matrix sends it too).
 */
export function compareRouteTable(collected: readonly string[], table: readonly string[]): { missing: string[]; stale: string[]; headMirrors: string[] } {
  const routes = new Set(collected);
  const headMirrors = [...routes].filter((key) => key.startsWith('HEAD ') && routes.has(`GET ${key.slice(5)}`));
  const needEntry = [...routes].filter((key) => !headMirrors.includes(key));
  const entries = new Set(table);
  return {
    missing: needEntry.filter((key) => !entries.has(key)).sort(),
    stale: [...entries].filter((key) => !routes.has(key)).sort(),
    headMirrors: headMirrors.sort(),
  };
}
