import { HttpException, HttpStatus } from '@nestjs/common';

/**
 * Slows password guessing (API.md 429): at most MAX_FAILURES wrong passwords per email, and
 * MAX_FAILURES_PER_CLIENT per client address, within WINDOW_MS; then 429 with Retry-After until the
 * window has passed. A success clears the email's count. In memory, per instance: with several
 * instances each enforces its own limit, which still bounds guessing.
 */
const WINDOW_MS = 15 * 60 * 1000;
const MAX_FAILURES = 10;
const MAX_FAILURES_PER_CLIENT = 50;
const MAX_TRACKED_KEYS = 100_000;

export class TooManyAttemptsError extends HttpException {
  constructor(readonly retryAfterSeconds: number) {
    super(
      { statusCode: 429, error: 'Too Many Requests', message: `too many failed logins; try again in ${retryAfterSeconds} s`, retryAfter: retryAfterSeconds },
      HttpStatus.TOO_MANY_REQUESTS,
    );
  }
}

export class LoginThrottle {
  private readonly failures = new Map<string, number[]>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Throws TooManyAttemptsError when this email or client already failed too often. */
  check(email: string, client: string): void {
    const wait = Math.max(this.waitFor(`email:${email}`, MAX_FAILURES), this.waitFor(`client:${client}`, MAX_FAILURES_PER_CLIENT));
    if (wait > 0) throw new TooManyAttemptsError(Math.ceil(wait / 1000));
  }

  recordFailure(email: string, client: string): void {
    if (this.failures.size > MAX_TRACKED_KEYS) this.failures.clear(); // bounded memory under a flood
    for (const key of [`email:${email}`, `client:${client}`]) {
      this.failures.set(key, [...this.recent(key), this.now()]);
    }
  }

  recordSuccess(email: string): void {
    this.failures.delete(`email:${email}`);
  }

  private recent(key: string): number[] {
    const since = this.now() - WINDOW_MS;
    return (this.failures.get(key) ?? []).filter((t) => t > since);
  }

  /** Milliseconds until the key may try again; 0 when it may now. */
  private waitFor(key: string, max: number): number {
    const recent = this.recent(key);
    return recent.length < max ? 0 : recent[recent.length - max] + WINDOW_MS - this.now();
  }
}
