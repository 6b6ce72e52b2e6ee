import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/** What a visitor's session token says, signed with the connection's sessionSecret. */
export interface SessionClaims {
  /** The visitor id. */
  v: string;
  /** The connection id. */
  c: string;
  /** The website origin the chat was opened on ('' when the connection allows any and none was known). */
  o: string;
  /** Issued at, milliseconds since the epoch. */
  t: number;
}

const VISITOR_ID = /^[A-Za-z0-9_-]{16,64}$/;
const MAX_TOKEN = 2048;

/**
 * `<payload>.<signature>`, both base64url: the payload is the claims' JSON, the signature
 * HMAC-SHA256 over the payload's text with the connection's session secret. Stateless: a token
 * is checked without reading storage, so a forged one costs nothing and stores nothing.
 */
export function signSession(claims: SessionClaims, secret: string): string {
  const payload = Buffer.from(JSON.stringify(claims), 'utf8').toString('base64url');
  return `${payload}.${hmac(secret, payload).toString('base64url')}`;
}

/** The claims of a token signed with `secret` for `connectionId`; null for anything else (forged, tampered, another connection's). */
export function verifySession(token: unknown, secret: string, connectionId: string): SessionClaims | null {
  if (typeof token !== 'string' || token.length > MAX_TOKEN || secret === '') return null;
  const dot = token.indexOf('.');
  if (dot <= 0 || dot !== token.lastIndexOf('.')) return null;
  const payload = token.slice(0, dot);
  const given = Buffer.from(token.slice(dot + 1), 'base64url');
  const expected = hmac(secret, payload);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
  let claims: unknown;
  try {
    claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    return null;
  }
  const c = claims as Partial<SessionClaims>;
  if (typeof c !== 'object' || c === null || typeof c.v !== 'string' || !VISITOR_ID.test(c.v)) return null;
  if (c.c !== connectionId || typeof c.o !== 'string' || typeof c.t !== 'number') return null;
  return { v: c.v, c: c.c, o: c.o, t: c.t };
}

/**
 * Whether `identifierHash` is the lower-case hex HMAC-SHA256 of `identifier` with the connection's
 * identity verification secret, compared in constant time.
 */
export function identityHashMatches(identifier: string, identifierHash: unknown, secret: string): boolean {
  if (typeof identifierHash !== 'string' || !/^[0-9a-fA-F]{64}$/.test(identifierHash)) return false;
  const expected = hmac(secret, identifier);
  const given = Buffer.from(identifierHash.toLowerCase(), 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** The identity's storage key part: a digest, so identifiers (often emails) are not spelled out in keys. */
export function identifierKey(identifier: string): string {
  return createHash('sha256').update(identifier, 'utf8').digest('base64url');
}

export function isVisitorId(value: string): boolean {
  return VISITOR_ID.test(value);
}

function hmac(secret: string, text: string): Buffer {
  return createHmac('sha256', secret).update(text, 'utf8').digest();
}
