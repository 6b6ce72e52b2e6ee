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

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scrypt(password, salt, PARAMS.keyLength, { N: PARAMS.N, r: PARAMS.r, p: PARAMS.p });
  return ['scrypt', PARAMS.N, PARAMS.r, PARAMS.p, salt.toString('base64url'), key.toString('base64url')].join('$');
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64url');
  const key = await scrypt(password, Buffer.from(salt, 'base64url'), expected.length, { N: Number(n), r: Number(r), p: Number(p) });
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
