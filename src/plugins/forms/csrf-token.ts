import { createHmac, timingSafeEqual } from 'node:crypto';

/** How long a hosted page's token is good for. */
export const CSRF_TOKEN_TTL_MS = 2 * 60 * 60 * 1000;
/** A token issued a little "in the future" (another instance's clock) is still taken. */
const CLOCK_SKEW_MS = 5 * 60 * 1000;

/**
 * The token the hosted page carries in a hidden field: `<issued at, ms>.<signature>`, the signature
 * HMAC-SHA256 over `<formId>.<issued at>` with the form's secret. Stateless: checked without
 * reading anything, so a forged one costs nothing and stores nothing.
 */
export function issueCsrfToken(formId: string, secret: string, now: number): string {
  const issued = String(Math.floor(now));
  return `${issued}.${sign(formId, issued, secret).toString('base64url')}`;
}

/** Whether `token` is one this form's page issued within the last two hours (compared in constant time). */
export function csrfTokenValid(token: unknown, formId: string, secret: string, now: number): boolean {
  if (typeof token !== 'string' || token.length > 200 || secret === '') return false;
  const match = /^(\d{1,16})\.([A-Za-z0-9_-]{43})$/.exec(token);
  if (!match) return false;
  const issued = Number(match[1]);
  if (!(issued <= now + CLOCK_SKEW_MS && now - issued <= CSRF_TOKEN_TTL_MS)) return false;
  const given = Buffer.from(match[2], 'base64url');
  const expected = sign(formId, match[1], secret);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

function sign(formId: string, issued: string, secret: string): Buffer {
  return createHmac('sha256', secret).update(`${formId}.${issued}`, 'utf8').digest();
}
