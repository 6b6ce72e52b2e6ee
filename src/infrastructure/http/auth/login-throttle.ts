import { isIP } from 'node:net';
import { HttpException, HttpStatus } from '@nestjs/common';
import { PasswordHashingBusyError } from '../../../application/agents/password-hasher';

/**
 * Slows password guessing (429 with Retry-After), within WINDOW_MS:
 * - MAX_PER_EMAIL_AND_CLIENT attempts for one email from one client: the usual lock-out, which a
 *   stranger's guesses from elsewhere cannot impose on the agent's own client;
 * - MAX_PER_CLIENT attempts from one client over all emails;
 * - MAX_PER_EMAIL attempts for one email from all clients together, much higher, so guessing
 *   spread over many clients is still bounded. A known device (one that logged in as that email
 *   before, shown by its device proof) is neither held back nor counted by it: strangers filling
 *   that limit cannot lock the agent out of their own browser.
 * A client is its address; IPv6 addresses count by their /64, which one host usually holds whole.
 * An attempt is counted when it begins, before the password is hashed, so parallel requests
 * cannot all slip past the check; a success takes its own attempt back and clears that email and
 * client's count. In memory, per instance: with several instances each enforces its own limits,
 * which still bounds guessing.
 */
const WINDOW_MS = 15 * 60 * 1000;
export const MAX_PER_EMAIL_AND_CLIENT = 10;
export const MAX_PER_CLIENT = 50;
export const MAX_PER_EMAIL = 100;
/** Keys remembered at most; past it the least recently used go first (bounded memory under a flood). */
const MAX_TRACKED_KEYS = 100_000;

export class TooManyAttemptsError extends HttpException {
  constructor(
    readonly retryAfterSeconds: number,
    readonly reason: 'failures' | 'busy' = 'failures',
  ) {
    super(
      {
        statusCode: 429,
        error: 'Too Many Requests',
        message:
          reason === 'busy'
            ? `the server is busy checking other logins; try again in ${retryAfterSeconds} s`
            : `too many failed logins; try again in ${retryAfterSeconds} s`,
        retryAfter: retryAfterSeconds,
      },
      HttpStatus.TOO_MANY_REQUESTS,
    );
  }
}

export class LoginThrottle {
  private readonly attempts = new Map<string, number[]>();

  constructor(private readonly now: () => number = Date.now) {}

  /**
   * Runs one login attempt: counted first (TooManyAttemptsError when a limit is reached), then
   * `check` (the password comparison), which answers the agent or null for wrong credentials.
   * When the password hasher is too busy to take the attempt, it is not counted and the caller
   * gets a 429 to retry shortly.
   */
  async attempt<T>(email: string, clientAddress: string, check: () => Promise<T | null>, options: { knownDevice?: boolean } = {}): Promise<T | null> {
    const client = clientOf(clientAddress);
    const keys = [`pair:${email}\u0000${client}`, `client:${client}`, ...(options.knownDevice ? [] : [`email:${email}`])];
    const limits = [MAX_PER_EMAIL_AND_CLIENT, MAX_PER_CLIENT, MAX_PER_EMAIL];
    const now = this.now();
    const wait = Math.max(...keys.map((key, i) => this.waitFor(key, limits[i], now)));
    if (wait > 0) throw new TooManyAttemptsError(Math.ceil(wait / 1000));
    for (const key of keys) this.record(key, now);
    let result: T | null;
    try {
      result = await check();
    } catch (error) {
      for (const key of keys) this.forget(key, now);
      if (error instanceof PasswordHashingBusyError) throw new TooManyAttemptsError(error.retryAfterSeconds, 'busy');
      throw error;
    }
    if (result !== null) {
      for (const key of keys) this.forget(key, now);
      this.attempts.delete(keys[0]);
    }
    return result;
  }

  private recent(key: string, now: number): number[] {
    const since = now - WINDOW_MS;
    return (this.attempts.get(key) ?? []).filter((t) => t > since);
  }

  /** Milliseconds until the key may try again; 0 when it may now. */
  private waitFor(key: string, max: number, now: number): number {
    const recent = this.recent(key, now);
    return recent.length < max ? 0 : recent[recent.length - max] + WINDOW_MS - now;
  }

  private record(key: string, at: number): void {
    const recent = this.recent(key, at);
    recent.push(at);
    // Re-inserted at the end: the Map's order is then least recently used first.
    this.attempts.delete(key);
    this.attempts.set(key, recent);
    if (this.attempts.size > MAX_TRACKED_KEYS) this.attempts.delete(this.attempts.keys().next().value!);
  }

  /** Takes back one attempt made at `at` (it succeeded, or was never checked). */
  private forget(key: string, at: number): void {
    const times = this.attempts.get(key);
    const index = times?.indexOf(at) ?? -1;
    if (times && index !== -1) times.splice(index, 1);
    // An empty key holds nothing; left behind, a flood of refused attempts would push real counts out.
    if (times?.length === 0) this.attempts.delete(key);
  }
}

/** The throttle's client: the address, or for IPv6 its /64 (an IPv4 address mapped into IPv6 counts as the IPv4 one). */
export function clientOf(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return mapped[1];
  if (isIP(address) !== 6) return address;
  const [head, tail = ''] = address.toLowerCase().split('::');
  const headGroups = head ? head.split(':') : [];
  const tailGroups = tail ? tail.split(':') : [];
  // A dotted IPv4 tail (::ffff:… aside, e.g. 64:ff9b::1.2.3.4) stands for two groups.
  const tailCount = tailGroups.length + (tailGroups.at(-1)?.includes('.') ? 1 : 0);
  const groups = address.includes('::') ? [...headGroups, ...Array(8 - headGroups.length - tailCount).fill('0'), ...tailGroups] : headGroups;
  return `${groups
    .slice(0, 4)
    .map((g) => g.replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}
