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

/**
 * Creates the folder (and missing parents) owner-only; an existing folder of ours that others can
 * read is narrowed too. One we do not own (a volume someone else set up) is left as it is.
 */
export function ensurePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  try {
    const stat = statSync(dir);
    if ((stat.mode & PRIVATE_UMASK) !== 0 && stat.uid === process.getuid?.()) chmodSync(dir, PRIVATE_DIR_MODE);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') throw error;
  }
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
