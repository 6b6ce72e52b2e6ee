import { SessionTokens } from '../../src/infrastructure/http/auth/session-tokens';

/** Tokens are checked on every request; the verified-token memory must not change any answer. */
describe('SessionTokens', () => {
  const SECRET = 'session-tokens-test-secret-0123456789abcdef';

  function tokensAt(start: number) {
    const clock = { now: start };
    return { clock, tokens: new SessionTokens(SECRET, 3600, () => clock.now) };
  }

  it('verifies a token it issued, again and again, with the same claims', () => {
    const { tokens } = tokensAt(1_000);
    const { token } = tokens.issue('agent-1', 'fingerprint-1');
    const first = tokens.verify(token);
    expect(first).toEqual({ sub: 'agent-1', cf: 'fingerprint-1', sid: expect.any(String), iat: 1_000, exp: 4_600 });
    expect(tokens.verify(token)).toEqual(first);
  });

  it('hands out copies: a caller changing the claims does not change the next answer', () => {
    const { tokens } = tokensAt(1_000);
    const { token } = tokens.issue('agent-1', 'fingerprint-1');
    const claims = tokens.verify(token)!;
    claims.sub = 'someone-else';
    claims.exp = 99_999;
    expect(tokens.verify(token)).toEqual({ sub: 'agent-1', cf: 'fingerprint-1', sid: expect.any(String), iat: 1_000, exp: 4_600 });
  });

  it('refuses a verified token once it has expired', () => {
    const { clock, tokens } = tokensAt(1_000);
    const { token } = tokens.issue('agent-1', 'fingerprint-1');
    expect(tokens.verify(token)).not.toBeNull();
    clock.now = 4_599;
    expect(tokens.verify(token)).not.toBeNull();
    clock.now = 4_600;
    expect(tokens.verify(token)).toBeNull();
  });

  it('refuses tampered tokens, also after the genuine one was verified', () => {
    const { tokens } = tokensAt(1_000);
    const { token } = tokens.issue('agent-1', 'fingerprint-1');
    expect(tokens.verify(token)).not.toBeNull();
    const [version, payload, signature] = token.split('.');
    const forgedPayload = Buffer.from(JSON.stringify({ sub: 'agent-2', cf: 'fingerprint-1', iat: 1_000, exp: 4_600 })).toString('base64url');
    expect(tokens.verify(`${version}.${forgedPayload}.${signature}`)).toBeNull();
    expect(tokens.verify(`${version}.${payload}.${signature.slice(0, -1)}${signature.endsWith('A') ? 'B' : 'A'}`)).toBeNull();
    expect(tokens.verify(`${token} `)).toBeNull();
    expect(tokens.verify('garbage')).toBeNull();
  });

  it('refuses a genuine token with anything appended as extra segments', () => {
    const { tokens } = tokensAt(1_000);
    const { token } = tokens.issue('agent-1', 'fingerprint-1');
    expect(tokens.verify(token)).not.toBeNull();
    expect(tokens.verify(`${token}.extra`)).toBeNull();
    expect(tokens.verify(`${token}.`)).toBeNull();
    expect(tokens.verify(`${token}..x`)).toBeNull();
  });

  it('gives every login its own session id', () => {
    const { tokens } = tokensAt(1_000);
    const first = tokens.verify(tokens.issue('agent-1', 'fingerprint-1').token)!;
    const second = tokens.verify(tokens.issue('agent-1', 'fingerprint-1').token)!;
    expect(first.sid).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(second.sid).not.toBe(first.sid);
  });

  it('refuses a signed token without a session id (issued before sessions could be logged out)', () => {
    const { tokens } = tokensAt(1_000);
    const payload = Buffer.from(JSON.stringify({ sub: 'agent-1', cf: 'fingerprint-1', iat: 1_000, exp: 4_600 })).toString('base64url');
    const { createHmac } = jest.requireActual<typeof import('node:crypto')>('node:crypto');
    const signature = createHmac('sha256', SECRET).update(payload).digest('base64url');
    expect(tokens.verify(`v1.${payload}.${signature}`)).toBeNull();
  });

  it('refuses a token signed with another secret', () => {
    const other = new SessionTokens('another-secret-0123456789abcdef0123456789', 3600, () => 1_000);
    const { tokens } = tokensAt(1_000);
    expect(tokens.verify(other.issue('agent-1', 'fingerprint-1').token)).toBeNull();
  });

  it('keeps verifying correctly past the number of tokens it remembers', () => {
    const { tokens } = tokensAt(1_000);
    const issued = Array.from({ length: 10_050 }, (_, i) => tokens.issue(`agent-${i}`, 'fp').token);
    for (const token of issued) expect(tokens.verify(token)).not.toBeNull();
    expect(tokens.verify(issued[0])?.sub).toBe('agent-0');
    expect(tokens.verify(issued[10_049])?.sub).toBe('agent-10049');
  });
});
