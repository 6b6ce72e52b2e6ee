import { readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * `<dataDir>/parley.pid` says which process is using the embedded file (a running server).
 * Tools that must not run alongside it (`parley replay`) read it; a file left behind by a
 * process that died (SIGKILL, power cut) is ignored because that pid is no longer alive.
 */
export function pidFileOf(dataDir: string): string {
  return join(dataDir, 'parley.pid');
}

/** Records this process as the user of the folder; the returned function takes the record back. */
export function claimDataDir(dataDir: string): () => void {
  const file = pidFileOf(dataDir);
  writeFileSync(file, `${process.pid}\n`, { mode: 0o600 });
  return () => {
    try {
      // Only our own record: a second process may have claimed the folder since.
      if (readFileSync(file, 'utf8').trim() === String(process.pid)) unlinkSync(file);
    } catch {
      // already gone
    }
  };
}

/** The pid of another live process using the folder, or null. */
export function dataDirHolder(dataDir: string): number | null {
  let pid: number;
  try {
    pid = Number(readFileSync(pidFileOf(dataDir), 'utf8').trim());
  } catch {
    return null;
  }
  if (!Number.isSafeInteger(pid) || pid <= 0 || pid === process.pid) return null;
  return isAlive(pid) ? pid : null;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to another user; ESRCH: no such process.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
