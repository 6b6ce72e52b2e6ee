import { lookup as dnsLookup } from 'node:dns/promises';
import { request as httpRequest, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import { classifyAddress, type AddressClass } from './address-class';

/**
 * The one way Parley and its plugins make outbound HTTP(S) requests. Every target is vetted before
 * a socket opens: the guard resolves the name itself, refuses when any answer is not a public
 * address (unless private targets are allowed), and hands exactly the vetted addresses to the
 * socket, so a second DNS answer cannot slip a private address in between check and connect.
 * Redirects are followed by hand and every hop is vetted again. Time and response size are bounded.
 */
export interface OutboundHttp {
  request(url: string, init?: OutboundRequestInit): Promise<OutboundResponse>;
}

export interface OutboundRequestInit {
  /** Default GET. */
  method?: string;
  headers?: Record<string, string> | Headers;
  body?: string | Uint8Array;
  /** `follow` (default): up to `maxRedirects` hops, each vetted. `manual`: a 3xx comes back as the response. */
  redirect?: 'follow' | 'manual';
  /** Default 5. */
  maxRedirects?: number;
  /** The whole request: every hop, and reading the body. Default 30 s. */
  timeoutMs?: number;
  /** From the start of a hop until its socket is connected (DNS, TCP and TLS). Default 10 s. */
  connectTimeoutMs?: number;
  /** The decoded body may not exceed this; the request is aborted as soon as it does. Default 5 MiB. */
  maxResponseBytes?: number;
  signal?: AbortSignal;
}

export interface OutboundResponse {
  status: number;
  /** Lower-case names; a repeated header's values joined with ", ". */
  headers: Record<string, string>;
  /** Decoded (gzip, deflate, br) when the server encoded it. */
  body: Buffer;
  /** The URL that answered, after redirects (query and credentials removed). */
  url: string;
}

export type OutboundErrorCode =
  | 'OUTBOUND_INVALID_REQUEST'
  | 'OUTBOUND_REFUSED'
  | 'OUTBOUND_TIMEOUT'
  | 'OUTBOUND_TOO_LARGE'
  | 'OUTBOUND_TOO_MANY_REDIRECTS'
  | 'OUTBOUND_NETWORK'
  | 'OUTBOUND_ABORTED';

/** Why a request did not produce a response. Messages name the target without its path, query or credentials. */
export class OutboundRequestError extends Error {
  constructor(
    readonly code: OutboundErrorCode,
    message: string,
    /** Whether sending the same request later may work (a timeout, a refused connection), as opposed to a refused target. */
    readonly retryable: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'OutboundRequestError';
  }
}

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

export interface OutboundGuardOptions {
  /** PARLEY_ALLOW_PRIVATE_NETWORK: also allow loopback and private targets. */
  allowPrivateNetwork: boolean;
  /** Refusals are logged here at warn (security relevant: an SSRF attempt or a misconfigured URL). */
  logger?: { warn(fields: object, message: string): void };
  /** Name resolution; default the system resolver (dns.lookup, all answers). Tests inject their own. */
  resolve?: (hostname: string) => Promise<ResolvedAddress[]>;
  /** Address classification; default classifyAddress. Tests inject one that counts a loopback address as public. */
  classify?: (address: string) => AddressClass;
}

const DEFAULTS = { timeoutMs: 30_000, connectTimeoutMs: 10_000, maxResponseBytes: 5 * 1024 * 1024, maxRedirects: 5 };
const LIMITS = { timeoutMs: 600_000, connectTimeoutMs: 600_000, maxResponseBytes: 100 * 1024 * 1024, maxRedirects: 20 };
const REDIRECTS = new Set([301, 302, 303, 307, 308]);
/** The guard writes these itself: a caller's Host would misdirect virtual hosting, its lengths would corrupt the body. */
const RESERVED_HEADERS = new Set(['host', 'content-length', 'transfer-encoding']);
/** Dropped when a redirect leaves the origin, as fetch does: a credential meant for one server is not handed to another. */
const CREDENTIAL_HEADERS = ['authorization', 'cookie', 'proxy-authorization'];
const HTTP_TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

const systemResolve = async (hostname: string): Promise<ResolvedAddress[]> =>
  (await dnsLookup(hostname, { all: true, order: 'verbatim' })).map(({ address, family }) => ({ address, family: family === 6 ? 6 : 4 }));

export function createOutboundHttp(options: OutboundGuardOptions): OutboundHttp {
  const resolve = options.resolve ?? systemResolve;
  const classify = options.classify ?? classifyAddress;

  const refuse = (method: string, url: URL, from: URL | null, why: string): never => {
    const target = `${method} ${redactUrl(url)}${from ? ` (redirected from ${redactUrl(from)})` : ''}`;
    options.logger?.warn({ url: redactUrl(url), ...(from ? { redirectedFrom: redactUrl(from) } : {}), reason: why }, 'outbound request refused');
    throw new OutboundRequestError('OUTBOUND_REFUSED', `refused ${target}: ${why}`, false);
  };

  /** The addresses the socket may connect to, once each is vetted. */
  const vet = async (method: string, url: URL, from: URL | null): Promise<ResolvedAddress[]> => {
    if (url.protocol !== 'http:' && url.protocol !== 'https:') refuse(method, url, from, `only http: and https: URLs are allowed (got ${url.protocol})`);
    if (url.username !== '' || url.password !== '') refuse(method, url, from, 'the URL carries a user name or password; send credentials in a header instead');
    const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
    const literal = isIP(host);
    let answers: ResolvedAddress[];
    if (literal !== 0) {
      answers = [{ address: host, family: literal === 6 ? 6 : 4 }];
    } else {
      try {
        answers = await resolve(host);
      } catch (error) {
        const code = (error as { code?: string })?.code;
        throw new OutboundRequestError(
          'OUTBOUND_NETWORK',
          `${method} ${redactUrl(url)}: could not resolve ${host} (${code ?? (error as Error)?.message})`,
          true,
          { cause: error },
        );
      }
      if (answers.length === 0) throw new OutboundRequestError('OUTBOUND_NETWORK', `${method} ${redactUrl(url)}: ${host} has no address`, true);
    }
    for (const { address } of answers) {
      const found = classify(address);
      if (found.kind === 'public' || (options.allowPrivateNetwork && (found.kind === 'loopback' || found.kind === 'private'))) continue;
      const subject = literal !== 0 ? address : `${host} resolves to ${address}`;
      refuse(method, url, from, `${subject}${describeClass(found)}; ${whatAllows(found)}`);
    }
    return answers;
  };

  return {
    async request(rawUrl, init = {}) {
      const settings = checkInit(init);
      let url = parseUrl(rawUrl);
      let method = settings.method;
      let headers = settings.headers;
      let body = settings.body;

      const controller = new AbortController();
      const abortWith = (error: OutboundRequestError) => controller.abort(error);
      const total = setTimeout(
        () => abortWith(new OutboundRequestError('OUTBOUND_TIMEOUT', `${method} ${redactUrl(url)}: no complete answer within ${settings.timeoutMs} ms`, true)),
        settings.timeoutMs,
      );
      const onCallerAbort = () => abortWith(new OutboundRequestError('OUTBOUND_ABORTED', `${method} ${redactUrl(url)}: aborted by the caller`, false));
      if (init.signal?.aborted) onCallerAbort();
      init.signal?.addEventListener('abort', onCallerAbort, { once: true });

      let connectTimer: NodeJS.Timeout | undefined;
      try {
        let from: URL | null = null;
        for (let redirects = 0; ; redirects += 1) {
          connectTimer = setTimeout(
            () =>
              abortWith(
                new OutboundRequestError('OUTBOUND_TIMEOUT', `${method} ${redactUrl(url)}: not connected within ${settings.connectTimeoutMs} ms`, true),
              ),
            Math.min(settings.connectTimeoutMs, settings.timeoutMs),
          );
          const addresses = await untilAborted(vet(method, url, from), controller.signal);
          const timer = connectTimer;
          const response = await send(url, addresses, method, headers, body, controller.signal, () => clearTimeout(timer));
          clearTimeout(connectTimer);

          const location = response.headers.location;
          if (settings.redirect === 'follow' && REDIRECTS.has(response.statusCode ?? 0) && typeof location === 'string') {
            response.destroy();
            if (redirects >= settings.maxRedirects) {
              throw new OutboundRequestError('OUTBOUND_TOO_MANY_REDIRECTS', `${method} ${redactUrl(url)}: more than ${settings.maxRedirects} redirects`, false);
            }
            let next: URL;
            try {
              next = new URL(location, url);
            } catch {
              throw new OutboundRequestError('OUTBOUND_NETWORK', `${method} ${redactUrl(url)}: redirected to an invalid URL`, false);
            }
            const status = response.statusCode ?? 0;
            // fetch's rules: 303 always, and 301/302 after a POST, continue as a GET without a body.
            if (status === 303 ? method !== 'HEAD' : (status === 301 || status === 302) && method === 'POST') {
              method = 'GET';
              body = undefined;
              headers = withoutHeaders(headers, ['content-type', 'content-encoding', 'content-language', 'content-location']);
            }
            if (next.origin !== url.origin) headers = withoutHeaders(headers, CREDENTIAL_HEADERS);
            from = url;
            url = next;
            continue;
          }
          const received = await readBody(response, settings.maxResponseBytes, method, url);
          return { status: response.statusCode ?? 0, headers: flattenHeaders(response), body: received, url: redactUrl(url, { keepPath: true }) };
        }
      } catch (error) {
        throw asOutboundError(error, controller.signal, method, url);
      } finally {
        clearTimeout(total);
        clearTimeout(connectTimer);
        init.signal?.removeEventListener('abort', onCallerAbort);
      }
    },
  };
}

/** Only the origin, and `/…` when there is more: paths carry tokens too (Slack, Discord and Telegram webhooks). */
export function redactUrl(url: URL, options: { keepPath?: boolean } = {}): string {
  const rest = options.keepPath ? url.pathname : url.pathname === '/' && url.search === '' ? '/' : '/…';
  return `${url.protocol}//${url.host}${rest}`;
}

function parseUrl(raw: unknown): URL {
  if (typeof raw !== 'string') throw invalid(`the URL must be a string (got ${typeof raw})`);
  try {
    return new URL(raw);
  } catch {
    // Not quoted: a URL may carry a token, and this one could not be parsed to take it out.
    throw invalid(
      `the URL is not a valid absolute URL (${raw.length} characters${/^[A-Za-z][A-Za-z0-9+.-]*:/.test(raw) ? `, starting ${raw.split(':')[0]}:` : ''})`,
    );
  }
}

interface Settings {
  method: string;
  headers: Record<string, string>;
  body: Buffer | undefined;
  redirect: 'follow' | 'manual';
  maxRedirects: number;
  timeoutMs: number;
  connectTimeoutMs: number;
  maxResponseBytes: number;
}

function checkInit(init: OutboundRequestInit): Settings {
  if (typeof init !== 'object' || init === null) throw invalid('the request options must be an object');
  const method = init.method === undefined ? 'GET' : init.method;
  if (typeof method !== 'string' || !HTTP_TOKEN.test(method)) throw invalid(`method must be an HTTP method such as "POST" (got ${JSON.stringify(method)})`);
  const given: unknown = init.headers ?? {};
  // A fetch Headers object is accepted too (iterating it yields [name, value] pairs).
  const entries = given instanceof Headers ? [...given] : typeof given === 'object' && given !== null && !Array.isArray(given) ? Object.entries(given) : null;
  if (entries === null) throw invalid('headers must be an object of header names to string values');
  const headers: Record<string, string> = {};
  for (const [name, value] of entries) {
    if (!HTTP_TOKEN.test(name)) throw invalid(`header name ${JSON.stringify(name)} is not a valid HTTP header name`);
    if (typeof value !== 'string' || /[\r\n\0]/.test(value)) throw invalid(`header ${name} must be a string without line breaks`);
    const lower = name.toLowerCase();
    if (RESERVED_HEADERS.has(lower)) throw invalid(`header ${name} is set by Parley and may not be given`);
    headers[lower] = value;
  }
  headers['user-agent'] ??= 'Parley';
  let body: Buffer | undefined;
  if (init.body !== undefined) {
    if (typeof init.body === 'string') body = Buffer.from(init.body, 'utf8');
    else if (init.body instanceof Uint8Array) body = Buffer.from(init.body.buffer, init.body.byteOffset, init.body.byteLength);
    else throw invalid('body must be a string or bytes (a Buffer or Uint8Array)');
    if (method.toUpperCase() === 'GET' || method.toUpperCase() === 'HEAD') throw invalid(`a ${method.toUpperCase()} request cannot have a body`);
  }
  const redirect = init.redirect ?? 'follow';
  if (redirect !== 'follow' && redirect !== 'manual') throw invalid(`redirect must be "follow" or "manual" (got ${JSON.stringify(redirect)})`);
  const number = (name: keyof typeof LIMITS, min: number) => {
    const value = init[name] ?? DEFAULTS[name];
    if (!Number.isInteger(value) || value < min || value > LIMITS[name])
      throw invalid(`${name} must be a whole number from ${min} to ${LIMITS[name]} (got ${JSON.stringify(value)})`);
    return value;
  };
  return {
    method: method.toUpperCase(),
    headers,
    body,
    redirect,
    maxRedirects: number('maxRedirects', 0),
    timeoutMs: number('timeoutMs', 1),
    connectTimeoutMs: number('connectTimeoutMs', 1),
    maxResponseBytes: number('maxResponseBytes', 1),
  };
}

const invalid = (message: string) => new OutboundRequestError('OUTBOUND_INVALID_REQUEST', message, false);

/** One hop: connects only to `addresses` (already vetted) and resolves with the response head. */
function send(
  url: URL,
  addresses: ResolvedAddress[],
  method: string,
  headers: Record<string, string>,
  body: Buffer | undefined,
  signal: AbortSignal,
  onConnected: () => void,
): Promise<IncomingMessage> {
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  // The socket asks this instead of DNS: it can only ever get the addresses that were checked.
  const lookup: LookupFunction = (_hostname, lookupOptions, callback) => {
    if (lookupOptions.all) callback(null, addresses);
    else callback(null, addresses[0].address, addresses[0].family);
  };
  const outgoing: OutgoingHttpHeaders = { ...headers, host: url.host, ...(body ? { 'content-length': body.length } : {}) };
  const secure = url.protocol === 'https:';
  return new Promise<IncomingMessage>((resolve, reject) => {
    const request = (secure ? httpsRequest : httpRequest)({
      protocol: url.protocol,
      hostname: host,
      port: url.port === '' ? undefined : Number(url.port),
      path: `${url.pathname}${url.search}`,
      method,
      headers: outgoing,
      // No shared pool: a kept-alive socket from another guard (or another policy) is never reused.
      agent: false,
      lookup,
      signal,
    });
    request.once('socket', (socket) => {
      if (!socket.connecting) onConnected();
      else socket.once(secure ? 'secureConnect' : 'connect', onConnected);
    });
    request.once('response', resolve);
    // `on`, not `once`: an abort after the answer may still emit an error, which must not go unhandled.
    request.on('error', reject);
    request.end(body);
  });
}

async function readBody(response: IncomingMessage, limit: number, method: string, url: URL): Promise<Buffer> {
  const tooLarge = () => new OutboundRequestError('OUTBOUND_TOO_LARGE', `${method} ${redactUrl(url)}: the response is larger than ${limit} bytes`, false);
  const declared = Number(response.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    response.destroy();
    throw tooLarge();
  }
  const decoder = decoderFor(response.headers['content-encoding']);
  const source: Readable = decoder ? pipeline(response, decoder, () => undefined) : response;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of source) {
    size += (chunk as Buffer).length;
    // Counted after decoding, so a small compressed body cannot unpack past the limit.
    if (size > limit) {
      response.destroy();
      throw tooLarge();
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function decoderFor(encoding: string | undefined) {
  switch (encoding?.trim().toLowerCase()) {
    case 'gzip':
    case 'x-gzip':
      return createGunzip();
    case 'deflate':
      return createInflate();
    case 'br':
      return createBrotliDecompress();
    default:
      return null;
  }
}

function flattenHeaders(response: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(response.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return headers;
}

function withoutHeaders(headers: Record<string, string>, names: string[]): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !names.includes(name)));
}

/** Waits for `promise` unless the request is aborted first (a resolver that never answers). */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

function asOutboundError(error: unknown, signal: AbortSignal, method: string, url: URL): OutboundRequestError {
  if (error instanceof OutboundRequestError) return error;
  if (signal.aborted && signal.reason instanceof OutboundRequestError) return signal.reason;
  const code = (error as { code?: string })?.code;
  return new OutboundRequestError('OUTBOUND_NETWORK', `${method} ${redactUrl(url)}: ${code ?? (error as Error)?.message ?? String(error)}`, true, {
    cause: error,
  });
}

function describeClass(found: AddressClass): string {
  const article = found.kind === 'unspecified' ? 'the' : /^[aeiou]/.test(found.kind) ? 'an' : 'a';
  const what = `${article} ${found.kind} address${found.range ? ` (${found.range})` : ''}`;
  return found.embeddedIPv4 ? `, which carries the IPv4 address ${found.embeddedIPv4}, ${what}` : `, ${what}`;
}

function whatAllows(found: AddressClass): string {
  if (found.kind === 'loopback' || found.kind === 'private') return 'private and loopback targets are refused unless PARLEY_ALLOW_PRIVATE_NETWORK=true';
  return `${found.kind} targets are always refused`;
}
