import { createHash, randomBytes, scrypt as scryptCallback, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/**
 * Passwords are stored as scrypt hashes (memory-hard, slow on purpose):
 * `scrypt$N$r$p$salt$hash`, base64url parts, so parameters can be raised later and old hashes
 * still verify.
 */
const PARAMS = { N: 16384, r: 8, p: 1, keyLength: 64 };

function scrypt(password: string, salt: Buffer, keyLength: number, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scryptCallback(password, salt, keyLength, { ...options, maxmem: 64 * 1024 * 1024 }, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

/**
 * scrypt runs on libuv's thread pool (4 threads by default), which file access, DNS lookups and
 * zlib share: unbounded, a flood of logins would occupy every thread and stall inbound mail,
 * webhooks and the UI. At most HASHING_CONCURRENCY hashes run at once in this process, the rest
 * wait in line; a login (unauthenticated, so anybody can send many) finding more than
 * HASHING_QUEUE_LIMIT waiting is refused with PasswordHashingBusyError instead of waiting.
 * Process-wide on purpose: the thread pool it protects is.
 */
export const HASHING_CONCURRENCY = 2;
export const HASHING_QUEUE_LIMIT = 16;

export class PasswordHashingBusyError extends Error {
  readonly retryAfterSeconds = 1;
  constructor() {
    super('too many password checks are waiting; try again in a second');
    this.name = 'PasswordHashingBusyError';
  }
}

/** What a password check does when the line is full: wait anyway (authenticated work) or refuse (logins). */
export type WhenBusy = 'wait' | 'refuse';

class HashingLine {
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  async run<T>(work: () => Promise<T>, whenBusy: WhenBusy): Promise<T> {
    if (this.running < HASHING_CONCURRENCY) {
      this.running += 1;
    } else {
      if (whenBusy === 'refuse' && this.waiting.length >= HASHING_QUEUE_LIMIT) throw new PasswordHashingBusyError();
      // The finishing hash hands its slot over: `running` stays as it is.
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
    try {
      return await work();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.running -= 1;
    }
  }

  get stats(): { running: number; waiting: number } {
    return { running: this.running, waiting: this.waiting.length };
  }
}

const line = new HashingLine();

/** Hashes running and waiting right now in this process. */
export const passwordHashingStats = () => line.stats;

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await line.run(() => scrypt(password, salt, PARAMS.keyLength, { N: PARAMS.N, r: PARAMS.r, p: PARAMS.p }), 'wait');
  return ['scrypt', PARAMS.N, PARAMS.r, PARAMS.p, salt.toString('base64url'), key.toString('base64url')].join('$');
}

export async function verifyPassword(password: string, stored: string, whenBusy: WhenBusy = 'wait'): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64url');
  const key = await line.run(() => scrypt(password, Buffer.from(salt, 'base64url'), expected.length, { N: Number(n), r: Number(r), p: Number(p) }), whenBusy);
  return key.length === expected.length && timingSafeEqual(key, expected);
}

/** A hash of a random password: used to spend the same time when the email is unknown. */
export const DUMMY_HASH_PROMISE = (): Promise<string> => hashPassword(randomBytes(16).toString('hex'));

/**
 * A short digest of the stored hash, carried in session tokens: when the password changes, the
 * digest changes and every session issued before stops working.
 */
export function credentialFingerprint(passwordHash: string): string {
  let fingerprint = fingerprints.get(passwordHash);
  if (fingerprint === undefined) {
    fingerprint = createHash('sha256').update(passwordHash).digest('base64url').slice(0, 16);
    if (fingerprints.size >= FINGERPRINTS_KEPT) fingerprints.clear();
    fingerprints.set(passwordHash, fingerprint);
  }
  return fingerprint;
}

/** Every authenticated request compares a fingerprint: the few hashes in use are digested once. */
const fingerprints = new Map<string, string>();
const FINGERPRINTS_KEPT = 1000;
