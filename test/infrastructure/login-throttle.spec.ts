import { PasswordHashingBusyError } from '../../src/application/agents/password-hasher';
import {
  LoginThrottle,
  MAX_PER_CLIENT,
  MAX_PER_EMAIL,
  MAX_PER_EMAIL_AND_CLIENT,
  TooManyAttemptsError,
  clientOf,
} from '../../src/infrastructure/http/auth/login-throttle';
import { SessionTokens } from '../../src/infrastructure/http/auth/session-tokens';

/** The login throttle alone, with a password check the test decides and a clock it moves. */
describe('LoginThrottle', () => {
  const WINDOW_MS = 15 * 60 * 1000;
  let now: number;
  let throttle: LoginThrottle;
  beforeEach(() => {
    now = 1_000_000;
    throttle = new LoginThrottle(() => now);
  });

  const wrong = () => Promise.resolve(null);
  const right = () => Promise.resolve({ id: 'agent-1' });
  /** 'checked' when the password was compared (right or wrong), 429 when refused before. */
  const outcome = (promise: Promise<unknown>) =>
    promise.then(
      () => 'checked',
      (error: unknown) => (error instanceof TooManyAttemptsError ? 429 : Promise.reject(error)),
    );

  it('counts an attempt before its password is checked: of 40 at once, 10 are checked', async () => {
    let checking = 0;
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const slowWrong = async () => {
      checking += 1;
      await gate;
      return null;
    };
    const attempts = Array.from({ length: 40 }, () => outcome(throttle.attempt('ana@example.com', '10.0.0.1', slowWrong)));
    release();
    const results = await Promise.all(attempts);
    expect(checking).toBe(MAX_PER_EMAIL_AND_CLIENT);
    expect(results.filter((r) => r === 429)).toHaveLength(40 - MAX_PER_EMAIL_AND_CLIENT);
  });

  it('says when to try again, and lets the client try again once the window has passed', async () => {
    for (let i = 0; i < MAX_PER_EMAIL_AND_CLIENT; i += 1) await throttle.attempt('ana@example.com', '10.0.0.1', wrong);
    const refused = await throttle.attempt('ana@example.com', '10.0.0.1', right).catch((error: TooManyAttemptsError) => error);
    expect(refused).toBeInstanceOf(TooManyAttemptsError);
    expect((refused as TooManyAttemptsError).retryAfterSeconds).toBe(WINDOW_MS / 1000);
    now += WINDOW_MS + 1;
    await expect(throttle.attempt('ana@example.com', '10.0.0.1', right)).resolves.toEqual({ id: 'agent-1' });
  });

  it("a stranger's failures do not lock the agent out on their own client", async () => {
    for (let i = 0; i < 20; i += 1) await outcome(throttle.attempt('ana@example.com', '10.6.6.6', wrong));
    expect(await outcome(throttle.attempt('ana@example.com', '10.6.6.6', right))).toBe(429);
    expect(await outcome(throttle.attempt('ana@example.com', '10.1.2.3', right))).toBe('checked');
  });

  it('bounds one client over many emails', async () => {
    for (let i = 0; i < MAX_PER_CLIENT; i += 1) await throttle.attempt(`user${i}@example.com`, '10.6.6.6', wrong);
    expect(await outcome(throttle.attempt('fresh@example.com', '10.6.6.6', wrong))).toBe(429);
    expect(await outcome(throttle.attempt('fresh@example.com', '10.1.2.3', wrong))).toBe('checked');
  });

  it('bounds guessing one email spread over many clients, also for a fresh client', async () => {
    const results: Array<string | number> = [];
    for (let client = 0; client < 15; client += 1) {
      results.push(...(await Promise.all(Array.from({ length: 10 }, () => outcome(throttle.attempt('ana@example.com', `10.9.${client}.1`, wrong))))));
    }
    expect(results.filter((r) => r === 'checked')).toHaveLength(MAX_PER_EMAIL);
    expect(await outcome(throttle.attempt('ana@example.com', '10.200.0.1', right))).toBe(429);
    expect(await outcome(throttle.attempt('bo@example.com', '10.200.0.1', right))).toBe('checked');
  });

  it('a success takes its own attempt back and clears that email and client', async () => {
    for (let i = 0; i < MAX_PER_EMAIL_AND_CLIENT - 1; i += 1) await throttle.attempt('ana@example.com', '10.0.0.1', wrong);
    await throttle.attempt('ana@example.com', '10.0.0.1', right);
    for (let i = 0; i < MAX_PER_EMAIL_AND_CLIENT; i += 1) expect(await outcome(throttle.attempt('ana@example.com', '10.0.0.1', wrong))).toBe('checked');
    expect(await outcome(throttle.attempt('ana@example.com', '10.0.0.1', wrong))).toBe(429);
  });

  it('an attempt the password hasher was too busy to take is not counted, and answers 429 "busy"', async () => {
    const busy = () => Promise.reject(new PasswordHashingBusyError());
    for (let i = 0; i < 30; i += 1) {
      const error = await throttle.attempt('ana@example.com', '10.0.0.1', busy).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TooManyAttemptsError);
      expect((error as TooManyAttemptsError).reason).toBe('busy');
      expect((error as TooManyAttemptsError).retryAfterSeconds).toBe(1);
    }
    expect(await outcome(throttle.attempt('ana@example.com', '10.0.0.1', right))).toBe('checked');
  });

  it('passes other errors of the check through, without counting the attempt', async () => {
    const broken = () => Promise.reject(new Error('read store down'));
    for (let i = 0; i < 20; i += 1) await expect(throttle.attempt('ana@example.com', '10.0.0.1', broken)).rejects.toThrow('read store down');
    expect(await outcome(throttle.attempt('ana@example.com', '10.0.0.1', right))).toBe('checked');
  });

  it('strangers filling the per-email limit from many clients do not lock the agent out of a known device', async () => {
    for (let client = 0; client < 10; client += 1) {
      for (let i = 0; i < MAX_PER_EMAIL_AND_CLIENT; i += 1) await outcome(throttle.attempt('ana@example.com', `10.9.${client}.1`, wrong));
    }
    // A new client without a device proof is held back by the per-email limit…
    expect(await outcome(throttle.attempt('ana@example.com', '10.200.0.1', right))).toBe(429);
    // …the agent's own browser, known from an earlier login, is not, and its attempts do not count towards it.
    expect(await outcome(throttle.attempt('ana@example.com', '10.200.0.2', right, { knownDevice: true }))).toBe('checked');
    // Its own per-client limits still hold.
    for (let i = 0; i < MAX_PER_EMAIL_AND_CLIENT; i += 1) await outcome(throttle.attempt('ana@example.com', '10.200.0.3', wrong, { knownDevice: true }));
    expect(await outcome(throttle.attempt('ana@example.com', '10.200.0.3', right, { knownDevice: true }))).toBe(429);
  });

  it('counts IPv6 clients by their /64, and IPv4 mapped into IPv6 as the IPv4 address', async () => {
    expect(clientOf('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64');
    expect(clientOf('2001:db8:1:2:ffff:ffff:ffff:ffff')).toBe('2001:db8:1:2::/64');
    expect(clientOf('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(clientOf('::ffff:10.0.0.1')).toBe('10.0.0.1');
    expect(clientOf('10.0.0.1')).toBe('10.0.0.1');
    for (let i = 0; i < MAX_PER_EMAIL_AND_CLIENT; i += 1) await outcome(throttle.attempt('ana@example.com', `2001:db8:1:2::${i + 1}`, wrong));
    expect(await outcome(throttle.attempt('ana@example.com', '2001:db8:1:2:ffff::9', right))).toBe(429);
    expect(await outcome(throttle.attempt('ana@example.com', '2001:db8:1:3::1', right))).toBe('checked');
  });
});

describe('device proofs', () => {
  const tokens = new SessionTokens('a-secret-of-at-least-32-characters-0123', 3600);

  it('prove an earlier login of that email only, and are no session token', () => {
    const proof = tokens.issueDeviceProof('ana@example.com');
    expect(tokens.verifyDeviceProof(proof, 'ana@example.com')).toBe(true);
    expect(tokens.verifyDeviceProof(proof, 'bo@example.com')).toBe(false);
    expect(tokens.verify(proof)).toBeNull();
    const forged = proof.replace(/\.[^.]+$/, `.${'A'.repeat(43)}`);
    expect(tokens.verifyDeviceProof(forged, 'ana@example.com')).toBe(false);
    expect(tokens.verifyDeviceProof(`${proof}.x`, 'ana@example.com')).toBe(false);
    expect(tokens.verifyDeviceProof(null, 'ana@example.com')).toBe(false);
    const other = new SessionTokens('another-secret-of-at-least-32-characters', 3600);
    expect(other.verifyDeviceProof(proof, 'ana@example.com')).toBe(false);
  });
});
