import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { ChannelRequest, ChannelResponse } from '../channel-plugin';
import { TokenBuckets } from '../token-buckets';

/**
 * What Meta's webhooks (Messenger and WhatsApp Cloud API) share: the subscription handshake and
 * the `X-Hub-Signature-256` header. Meta signs every delivery with the app's secret: the header is
 * `sha256=<hex HMAC-SHA256 of the exact body bytes>`. Both are checked in constant time, before
 * the body is parsed.
 */

/** `sha256=<hex>`: what Meta sends for `body` signed with `appSecret` (tests sign their payloads with it too). */
export function metaSignature(appSecret: string, body: Buffer | string): string {
  return `sha256=${createHmac('sha256', appSecret).update(body).digest('hex')}`;
}

/**
 * The app secret among `appSecrets` that signed `rawBody`, or null when the header is missing,
 * malformed or matches none. Every secret is tried (one page or number per connection, possibly
 * of different Meta apps), each comparison in constant time.
 */
export function signingSecret(rawBody: Buffer, header: string | string[] | undefined, appSecrets: readonly string[]): string | null {
  const given = typeof header === 'string' ? /^sha256=([0-9a-f]{64})$/i.exec(header.trim()) : null;
  if (!given) return null;
  const givenBytes = Buffer.from(given[1]!.toLowerCase(), 'hex');
  let found: string | null = null;
  for (const secret of new Set(appSecrets)) {
    if (!secret) continue;
    const expected = createHmac('sha256', secret).update(rawBody).digest();
    // No early exit: the time taken does not tell which secret matched.
    if (timingSafeEqual(expected, givenBytes) && found === null) found = secret;
  }
  return found;
}

/** Equal strings, compared in constant time (over their digests, so lengths do not leak either). */
export function sameSecret(given: string, expected: string): boolean {
  const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();
  return timingSafeEqual(digest(given), digest(expected));
}

/**
 * Meta's subscription handshake (`GET …/webhook?hub.mode=subscribe&hub.verify_token=…&hub.challenge=…`):
 * the challenge echoed as plain text when the mode is `subscribe` and the token is one of the
 * connections' verify tokens; 403 for anything else.
 */
export function answerHandshake(request: ChannelRequest, verifyTokens: readonly string[]): ChannelResponse {
  const one = (name: string) => {
    const value = request.query[name];
    return typeof value === 'string' ? value : undefined;
  };
  const mode = one('hub.mode');
  const token = one('hub.verify_token');
  const challenge = one('hub.challenge');
  const forbidden: ChannelResponse = { status: 403, body: { error: 'the verify token does not match a connection of this channel' } };
  if (mode !== 'subscribe' || token === undefined || challenge === undefined || challenge.length > 1024) return forbidden;
  let matched = false;
  for (const expected of verifyTokens) if (expected && sameSecret(token, expected)) matched = true;
  if (!matched) return forbidden;
  return { status: 200, body: challenge, headers: { 'content-type': 'text/plain; charset=utf-8' } };
}

/**
 * A per-address allowance of refused webhook requests (unsigned, wrongly signed, a handshake with
 * the wrong verify token): Meta's signed deliveries never spend it, so a flood of forged requests
 * from one address is answered 429 before its body is hashed against every app secret, while Meta
 * keeps delivering. Per process, in memory, like the chat's and the forms' limits.
 */
export class RefusedRequestLimit {
  private readonly buckets: TokenBuckets;

  constructor(now: () => number = Date.now, capacity = 60, perSecond = 2) {
    this.buckets = new TokenBuckets(capacity, perSecond, now);
  }

  /** A 429 with Retry-After when `ip` used up its refusals, else null (go on and check the request). */
  blocked(ip: string | undefined): ChannelResponse | null {
    const wait = this.buckets.peek(ip || 'unknown');
    if (wait === null) return null;
    return {
      status: 429,
      headers: { 'retry-after': String(wait) },
      body: { error: `too many refused webhook requests from this address; try again in ${wait} s` },
    };
  }

  /** Counts a refused request of `ip`. */
  refused(ip: string | undefined): void {
    this.buckets.take(ip || 'unknown');
  }
}

/**
 * `handler` behind `limit`: a request from an address that used up its refusals is answered 429
 * before the handler sees it; an answer of 401 or 403 (no or a wrong signature, a wrong verify
 * token) spends one of them.
 */
export function withRefusalLimit(limit: RefusedRequestLimit, handler: (request: ChannelRequest) => Promise<ChannelResponse>) {
  return async (request: ChannelRequest): Promise<ChannelResponse> => {
    const blocked = limit.blocked(request.ip);
    if (blocked) return blocked;
    const response = await handler(request);
    if (response.status === 401 || response.status === 403) limit.refused(request.ip);
    return response;
  };
}

/** The GET handler of a Meta webhook route: the subscription handshake against `verifyTokens()`, behind `limit`. */
export function handshakeRoute(limit: RefusedRequestLimit, verifyTokens: () => Promise<readonly string[]>) {
  return withRefusalLimit(limit, async (request) => answerHandshake(request, await verifyTokens()));
}
