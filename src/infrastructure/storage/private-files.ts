import { chmodSync, closeSync, mkdirSync, openSync, statSync } from 'node:fs';

/**
 * The data folder holds every conversation, every original email and the key that signs
 * sessions: only the user Parley runs as may read it. The entry points set the umask (077);
 * these helpers make it hold when Parley is embedded under another umask, and narrow files an
 * older version left world-readable.
 */
export const PRIVATE_UMASK = 0o077;
export const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;

/** Creates the folder (and missing parents) owner-only; an existing folder is left as it is (it may be a volume someone else set up). */
export function ensurePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
}

/** Creates the file empty and owner-only if it does not exist, else narrows it to owner-only. */
export function ensurePrivateFile(file: string): void {
  closeSync(openSync(file, 'a', PRIVATE_FILE_MODE));
  restrictFile(file);
}

/** Narrows an existing file to owner-only; a missing file, or one we do not own, is left alone. */
export function restrictFile(file: string): void {
  try {
    if ((statSync(file).mode & PRIVATE_UMASK) !== 0) chmodSync(file, PRIVATE_FILE_MODE);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' && code !== 'EPERM') throw error;
  }
}
