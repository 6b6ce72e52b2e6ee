import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A stand-in for Meta's Graph API in tests: a real HTTP server on loopback that records every
 * request and answers as Meta does, errors included. The plugins reach it through their
 * `graphApiBaseUrl` setting and the host's outbound guard (tests set
 * PARLEY_ALLOW_PRIVATE_NETWORK=true), so sends, retries and permanent failures run end to end.
 *
 * Routes are matched in the order they were added, the latest first, so a test can override a
 * default answer for one case (`graph.on('POST', /\/messages$/, () => graphError.expiredToken())`).
 * Unmatched requests answer Meta's "Unsupported request" (400, code 100).
 */
export interface GraphRequest {
  method: string;
  /** The path without the query (`/v21.0/1234/messages`). */
  path: string;
  query: Record<string, string>;
  headers: Record<string, string | string[] | undefined>;
  /** The raw body. */
  body: Buffer;
  /** The body parsed as JSON, when it is JSON; undefined otherwise. */
  json: unknown;
}

export interface GraphAnswer {
  status?: number;
  /** Sent as JSON unless it is a Buffer (then as bytes with `contentType`). */
  body?: unknown;
  contentType?: string;
  headers?: Record<string, string>;
  /** Wait this long before answering (a slow Graph API). */
  delayMs?: number;
}

export type GraphResponder = (request: GraphRequest, match: RegExpExecArray) => GraphAnswer | Promise<GraphAnswer>;

interface Route {
  method: string;
  pattern: RegExp;
  responder: GraphResponder;
}

export class FakeGraphApi {
  /** Every request, in arrival order. */
  readonly requests: GraphRequest[] = [];
  private readonly routes: Route[] = [];
  private server: Server | null = null;
  private port = 0;

  /** The base URL to give a connection as `graphApiBaseUrl` (no trailing slash). */
  get baseUrl(): string {
    if (!this.server) throw new Error('FakeGraphApi: call start() first');
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Answers requests whose method and path (without query) match; the latest route added wins. */
  on(method: string, pattern: RegExp, responder: GraphResponder): this {
    this.routes.unshift({ method: method.toUpperCase(), pattern, responder });
    return this;
  }

  /** Answers the next matching request only, then falls back to the routes added before it. */
  once(method: string, pattern: RegExp, responder: GraphResponder): this {
    const route: Route = {
      method: method.toUpperCase(),
      pattern,
      responder: (request, match) => {
        this.routes.splice(this.routes.indexOf(route), 1);
        return responder(request, match);
      },
    };
    this.routes.unshift(route);
    return this;
  }

  /** The recorded requests with this method whose path matches. */
  requestsTo(method: string, pattern: RegExp): GraphRequest[] {
    return this.requests.filter((r) => r.method === method.toUpperCase() && pattern.test(r.path));
  }

  /** Resolves when `count` requests matching have arrived (or rejects after `timeoutMs`). */
  async waitForRequests(method: string, pattern: RegExp, count = 1, timeoutMs = 10_000): Promise<GraphRequest[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.requestsTo(method, pattern);
      if (found.length >= count) return found;
      if (Date.now() > deadline) throw new Error(`FakeGraphApi: expected ${count} ${method} ${pattern} request(s), got ${found.length}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const url = new URL(req.url ?? '/', 'http://graph.invalid');
    const request: GraphRequest = {
      method: (req.method ?? 'GET').toUpperCase(),
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: req.headers,
      body,
      json: parseJson(body, req.headers['content-type']),
    };
    this.requests.push(request);
    let answer: GraphAnswer;
    try {
      answer = await this.answer(request);
    } catch (error) {
      answer = { status: 500, body: { error: { message: `fake Graph API responder threw: ${(error as Error).message}`, type: 'OAuthException', code: 1 } } };
    }
    if (answer.delayMs) await new Promise((resolve) => setTimeout(resolve, answer.delayMs));
    const payload = Buffer.isBuffer(answer.body) ? answer.body : Buffer.from(JSON.stringify(answer.body ?? {}));
    res.writeHead(answer.status ?? 200, {
      'content-type': Buffer.isBuffer(answer.body) ? (answer.contentType ?? 'application/octet-stream') : 'application/json; charset=UTF-8',
      'content-length': String(payload.length),
      ...answer.headers,
    });
    res.end(payload);
  }

  private async answer(request: GraphRequest): Promise<GraphAnswer> {
    for (const route of [...this.routes]) {
      if (route.method !== request.method) continue;
      const match = route.pattern.exec(request.path);
      if (match) return route.responder(request, match);
    }
    return graphError.unsupported(request.path);
  }
}

function parseJson(body: Buffer, contentType: string | undefined): unknown {
  if (body.length === 0 || !(contentType ?? '').includes('json')) return undefined;
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
}

/** Meta's error envelope: `{ error: { message, type, code, error_subcode?, fbtrace_id } }`. */
function metaError(status: number, code: number, type: string, message: string, extra: Record<string, unknown> = {}): GraphAnswer {
  return { status, body: { error: { message, type, code, ...extra, fbtrace_id: 'AbCdEfGhIjK' } } };
}

/** The Graph API's errors as Meta documents them (Graph API error codes; WhatsApp Cloud API error codes). */
export const graphError = {
  /** 190: the access token expired or was revoked (permanent until an admin gives a new one). */
  expiredToken: (): GraphAnswer =>
    metaError(401, 190, 'OAuthException', 'Error validating access token: Session has expired on Tuesday, 01-Dec-26 10:00:00 PST.', { error_subcode: 463 }),
  /** 4 / 80007 / 130429: rate limited (retry later). */
  rateLimited: (code: 4 | 80007 | 130429 = 130429): GraphAnswer =>
    metaError(429, code, 'OAuthException', code === 130429 ? '(#130429) Rate limit hit' : '(#4) Application request limit reached'),
  /** Messenger: 10 / 2018278: the message is sent outside the allowed window. */
  messengerWindowClosed: (): GraphAnswer =>
    metaError(400, 10, 'OAuthException', '(#10) This message is sent outside of allowed window.', { error_subcode: 2018278 }),
  /** WhatsApp: 131047, more than 24 hours have passed since the recipient last replied. */
  whatsappWindowClosed: (): GraphAnswer =>
    metaError(400, 131047, 'OAuthException', '(#131047) Re-engagement message', {
      error_data: {
        messaging_product: 'whatsapp',
        details: 'Message failed to send because more than 24 hours have passed since the customer last replied to this number.',
      },
    }),
  /** 2 / 1: a temporary problem on Meta's side (retry). */
  temporary: (): GraphAnswer =>
    metaError(503, 2, 'OAuthException', 'An unexpected error has occurred. Please retry your request later.', { is_transient: true }),
  /** 100: unsupported request or invalid parameter. */
  unsupported: (path = ''): GraphAnswer =>
    metaError(
      400,
      100,
      'GraphMethodException',
      `Unsupported request - method type: ${path ? `path ${path}` : 'get'}. Object does not exist, cannot be loaded due to missing permissions, or does not support this operation.`,
    ),
};
