import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * How Parley signs what it POSTs to a webhook bot (docs/webhook-bots.md "Verifying a request"):
 * `X-Parley-Signature: sha256=<hex>` is the HMAC-SHA256, keyed with the bot's signing secret, of
 * `<timestamp>.<raw body>`, where the timestamp (whole seconds since 1970, UTC) travels in
 * `X-Parley-Timestamp`. Signing the timestamp with the body lets a receiver refuse an old request
 * replayed later; the event id (`X-Parley-Event-Id`, also in the body) lets it drop a redelivery.
 */
export const SIGNATURE_HEADER = 'x-parley-signature';
export const TIMESTAMP_HEADER = 'x-parley-timestamp';
export const EVENT_ID_HEADER = 'x-parley-event-id';

/** What a receiver should accept between Parley's clock and its own (documented; Parley itself does not check it). */
export const SIGNATURE_TOLERANCE_SECONDS = 5 * 60;

/** The signature header's value for one request: `sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">`. */
export function signWebhookBody(secret: string, timestamp: number, body: string | Buffer): string {
  const hmac = createHmac('sha256', secret);
  hmac.update(`${timestamp}.`);
  hmac.update(body);
  return `sha256=${hmac.digest('hex')}`;
}

/** The three headers of a delivery, by their canonical spelling. */
export function webhookBotHeaders(secret: string, timestamp: number, body: string, eventId: string): Record<string, string> {
  return {
    'Content-Type': 'application/json',
    'X-Parley-Event-Id': eventId,
    'X-Parley-Timestamp': String(timestamp),
    'X-Parley-Signature': signWebhookBody(secret, timestamp, body),
  };
}

/**
 * A receiver's check (also what the docs show): the signature matches the body and timestamp, in
 * constant time, and the timestamp is within `toleranceSeconds` of `nowSeconds`.
 */
export function verifyWebhookSignature(input: {
  secret: string;
  body: string | Buffer;
  timestamp: string | undefined;
  signature: string | undefined;
  nowSeconds: number;
  toleranceSeconds?: number;
}): boolean {
  const { secret, body, timestamp, signature, nowSeconds } = input;
  if (!timestamp || !/^\d{1,12}$/.test(timestamp) || !signature) return false;
  if (Math.abs(nowSeconds - Number(timestamp)) > (input.toleranceSeconds ?? SIGNATURE_TOLERANCE_SECONDS)) return false;
  const expected = Buffer.from(signWebhookBody(secret, Number(timestamp), body));
  const given = Buffer.from(signature);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
