import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Bearer / cookie session tokens: `v1.<payload>.<signature>`, payload base64url JSON
 * {sub: agentId, cf: credential fingerprint, sid: session id, iat, exp}, HMAC-SHA256 with the
 * instance secret. Signed so several instances can share the secret; the guard still checks on
 * every request, in the shared read store, that the agent exists (removing an agent revokes its
 * tokens at once), that the password has not changed since the token was issued (`cf`) and that
 * this session was not logged out (`sid`).
 */
export interface SessionClaims {
  sub: string;
  cf: string;
  /** One login: logging out ends it (and only it) everywhere. */
  sid: string;
  iat: number;
  exp: number;
}

/** Tokens remembered as verified; at this many the memory is cleared (a bound, not an eviction policy). */
const VERIFIED_TOKENS_KEPT = 10_000;

export class SessionTokens {
  /**
   * Tokens whose signature already checked out, with their claims: a busy client sends the same
   * token on every request, and the HMAC need not be recomputed for it. Only a token that passed
   * the full check is stored, keyed by its exact text; expiry is still checked on every use.
   */
  private readonly verified = new Map<string, SessionClaims>();

  constructor(
    private readonly secret: string,
    private readonly ttlSeconds: number,
    private readonly nowSeconds: () => number = () => Math.floor(Date.now() / 1000),
  ) {}

  issue(agentId: string, credentialFingerprint: string): { token: string; expiresAt: string } {
    const iat = this.nowSeconds();
    const claims: SessionClaims = { sub: agentId, cf: credentialFingerprint, sid: randomBytes(16).toString('base64url'), iat, exp: iat + this.ttlSeconds };
    const payload = Buffer.from(JSON.stringify(claims)).toString('base64url');
    return { token: `v1.${payload}.${this.sign(payload)}`, expiresAt: new Date(claims.exp * 1000).toISOString() };
  }

  /** The claims of a valid, unexpired token; null otherwise (never throws on garbage). */
  verify(token: string): SessionClaims | null {
    const known = this.verified.get(token);
    if (known) return known.exp > this.nowSeconds() ? { ...known } : null;
    const claims = this.check(token);
    if (claims) {
      if (this.verified.size >= VERIFIED_TOKENS_KEPT) this.verified.clear();
      this.verified.set(token, { ...claims });
    }
    return claims;
  }

  private check(token: string): SessionClaims | null {
    const parts = token.split('.');
    // Exactly three parts: anything appended to a genuine token makes it another, unsigned text.
    if (parts.length !== 3) return null;
    const [version, payload, signature] = parts;
    if (version !== 'v1' || !payload || !signature) return null;
    const expected = Buffer.from(this.sign(payload));
    const given = Buffer.from(signature);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return null;
    try {
      const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as SessionClaims;
      if (typeof claims.sub !== 'string' || typeof claims.cf !== 'string' || typeof claims.sid !== 'string' || typeof claims.exp !== 'number') return null;
      return claims.exp > this.nowSeconds() ? claims : null;
    } catch {
      return null;
    }
  }

  /**
   * A device proof: this browser logged in as `email` before. Logins from a known device are not
   * held back by the per-email limit that strangers' guesses fill, so nobody can lock an agent out
   * of the browser they use. Signed apart from session tokens (another prefix and version), so
   * neither can pass for the other.
   */
  issueDeviceProof(email: string): string {
    const payload = `${Buffer.from(email, 'utf8').toString('base64url')}.${this.nowSeconds() + DEVICE_PROOF_SECONDS}`;
    return `d1.${payload}.${this.sign(`device\u0000${payload}`)}`;
  }

  /** Whether `proof` is a valid, unexpired device proof for `email`. */
  verifyDeviceProof(proof: string | null, email: string): boolean {
    const parts = proof?.split('.') ?? [];
    if (parts.length !== 4 || parts[0] !== 'd1') return false;
    const [, encodedEmail, expires, signature] = parts;
    const expected = Buffer.from(this.sign(`device\u0000${encodedEmail}.${expires}`));
    const given = Buffer.from(signature);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return false;
    return Buffer.from(encodedEmail, 'base64url').toString('utf8') === email && Number(expires) > this.nowSeconds();
  }

  private sign(payload: string): string {
    return createHmac('sha256', this.secret).update(payload).digest('base64url');
  }
}

export const SESSION_COOKIE = 'parley_session';

/** The device proof's cookie, and how long a device stays known without logging in again. */
export const DEVICE_COOKIE = 'parley_device';
const DEVICE_PROOF_SECONDS = 180 * 24 * 60 * 60;
export const DEVICE_PROOF_MAX_AGE = DEVICE_PROOF_SECONDS;

/** When a token's session ends by itself (its `exp`), as an ISO time. */
export function sessionExpiry(claims: SessionClaims): string {
  return new Date(claims.exp * 1000).toISOString();
}
