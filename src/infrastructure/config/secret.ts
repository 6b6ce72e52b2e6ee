import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ensurePrivateDir, restrictFile } from '../storage/private-files';
import { MIN_SECRET_LENGTH } from './config';

export const SECRET_FILE_NAME = 'secret.key';

/**
 * The key that signs session tokens when PARLEY_SECRET is not set: read from
 * `<dataDir>/secret.key`, or created there on the first start (48 random bytes, base64url, mode
 * 0600) so sessions survive restarts of a one-container install without any configuration.
 */
export function loadOrCreateSecret(dataDir: string): string {
  const file = path.join(dataDir, SECRET_FILE_NAME);
  ensurePrivateDir(dataDir);
  try {
    // 'wx' refuses to overwrite: a key that exists is never replaced (that would sign everyone out).
    fs.writeFileSync(file, randomBytes(48).toString('base64url'), { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    restrictFile(file); // one an older version left readable to others
  }
  const secret = fs.readFileSync(file, 'utf8').trim();
  if (secret.length < MIN_SECRET_LENGTH) {
    throw new Error(
      `${file} holds a secret shorter than ${MIN_SECRET_LENGTH} characters: delete the file to have a new one ` +
        `generated (this signs out every session) or set PARLEY_SECRET`,
    );
  }
  return secret;
}
