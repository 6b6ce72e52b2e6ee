import { createHash } from 'node:crypto';

/**
 * Message-IDs as Parley keeps them: `<local@domain>`, angle brackets included, no whitespace or
 * comments, case kept (the local part is case-sensitive). The same value serves as an inbound
 * message's externalMessageId and, for the first message of a thread, as the externalThreadId.
 */

/** Longest Message-ID kept; longer ones are junk or an attack on the index and are ignored. */
const MAX_MESSAGE_ID_LENGTH = 250;
/** References can grow without bound in long threads; only the last ones matter for threading. */
export const MAX_REFERENCES = 100;

/** The first Message-ID in a header value, or null when it holds none. */
export function normaliseMessageId(value: unknown): string | null {
  return parseMessageIds(value)[0] ?? null;
}

/**
 * Every Message-ID in a header value (References, In-Reply-To), in order, de-duplicated. Accepts
 * what real clients write: `<a@b> <c@d>`, ids without brackets, comments, folded lines, arrays.
 */
export function parseMessageIds(value: unknown): string[] {
  const text = Array.isArray(value) ? value.filter((v) => typeof v === 'string').join(' ') : typeof value === 'string' ? value : '';
  if (!text) return [];
  const withoutComments = text.replace(/\([^()]*\)/g, ' ');
  const found: string[] = [];
  const bracketed = [...withoutComments.matchAll(/<([^<>]*)>/g)].map((m) => m[1]);
  const candidates = bracketed.length > 0 ? bracketed : withoutComments.split(/[\s,]+/);
  for (const candidate of candidates) {
    const id = candidate.replace(/\s+/g, '');
    if (!id || !id.includes('@') || id.length > MAX_MESSAGE_ID_LENGTH) continue;
    const normalised = `<${id}>`;
    if (!found.includes(normalised)) found.push(normalised);
  }
  return found.slice(-MAX_REFERENCES);
}

/**
 * Header fields that transit adds or rewrites: a message retried over another path differs in
 * these, so they are left out of the fingerprint of a message without a Message-ID.
 */
const TRACE_HEADERS = new Set([
  'received',
  'return-path',
  'delivered-to',
  'x-original-to',
  'x-received',
  'authentication-results',
  'arc-seal',
  'arc-message-signature',
  'arc-authentication-results',
  'received-spf',
  'x-spam-status',
  'x-spam-score',
  'x-spam-flag',
  'x-virus-scanned',
]);

/**
 * A stable Message-ID for a message that has none: a SHA-256 of its header fields (trace fields
 * excluded) and body. A retried delivery of the same message gets the same id and is stored once.
 */
export function synthesiseMessageId(raw: Buffer): string {
  const { header, body } = splitHeader(raw);
  const hash = createHash('sha256');
  for (const field of unfoldHeaderFields(header)) {
    const name = field
      .slice(0, Math.max(0, field.indexOf(':')))
      .trim()
      .toLowerCase();
    if (TRACE_HEADERS.has(name)) continue;
    hash.update(field.replace(/\s+/g, ' ').trim()).update('\n');
  }
  hash.update('\n').update(body);
  return `<sha256.${hash.digest('hex').slice(0, 40)}@parley.invalid>`;
}

/**
 * The Message-ID Parley gives the email of one of its own messages (a reply, a composed email, a
 * forward): derived from the message id, so a retried send carries the same Message-ID and the
 * recipient's server and client see one message.
 */
export function parleyMessageId(messageId: string, fromAddress: string): string {
  const domain =
    fromAddress
      .slice(fromAddress.lastIndexOf('@') + 1)
      .trim()
      .toLowerCase() || 'parley.invalid';
  return `<${messageId}@${domain}>`;
}

/** Splits a raw message at the first empty line (CRLF or bare LF). */
export function splitHeader(raw: Buffer): { header: Buffer; body: Buffer } {
  const crlf = raw.indexOf('\r\n\r\n');
  const lf = raw.indexOf('\n\n');
  if (crlf === -1 && lf === -1) return { header: raw, body: Buffer.alloc(0) };
  if (lf === -1 || (crlf !== -1 && crlf < lf)) return { header: raw.subarray(0, crlf + 2), body: raw.subarray(crlf + 4) };
  return { header: raw.subarray(0, lf + 1), body: raw.subarray(lf + 2) };
}

/** Header fields with continuation lines joined (raw bytes read as latin1, so nothing is lost). */
export function unfoldHeaderFields(header: Buffer): string[] {
  const fields: string[] = [];
  for (const line of header.toString('latin1').split(/\r?\n/)) {
    if (line === '') continue;
    if (/^[ \t]/.test(line) && fields.length > 0) fields[fields.length - 1] += `\n${line}`;
    else fields.push(line);
  }
  return fields;
}
