import { randomBytes } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, lstatSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import Database from 'better-sqlite3';
import { NoEventLogError } from '../../infrastructure/event-store/open-event-log';
import { REBUILD_FILE_NAME, REBUILD_SEARCH_FILE_NAME } from '../../infrastructure/read-store/read-model-rebuild';
import { databaseFile, openDatabase } from '../../infrastructure/sqlite/open-database';
import { pidFileOf } from '../../infrastructure/storage/data-dir-lock';
import { PRIVATE_DIR_MODE, PRIVATE_FILE_MODE } from '../../infrastructure/storage/private-files';
import { EXIT, UsageError, type CliContext } from '../cli-context';

/**
 * Not copied file by file: the database (taken through SQLite's backup API instead: its WAL and
 * shared-memory files belong to the live connection), the pid record of the running server, a
 * replay's scratch files, and mail still being received (spool: not acknowledged yet, so the
 * sender retries it).
 */
const SKIPPED_FILES = new Set(['parley.db', 'parley.db-wal', 'parley.db-shm', 'parley.db-journal', REBUILD_FILE_NAME, REBUILD_SEARCH_FILE_NAME]);
const isSkipped = (path: string) => {
  const name = basename(path);
  if (SKIPPED_FILES.has(name) || [...SKIPPED_FILES].some((file) => name.startsWith(`${file}-`))) return true;
  return path === basename(pidFileOf('.')) || path.split(sep).includes('spool');
};

export interface BackupSummary {
  target: string;
  databaseBytes: number;
  files: number;
  fileBytes: number;
}

/**
 * `parley backup <folder>`: a consistent copy of the data folder while the server runs. The
 * database is copied with SQLite's online backup API (a snapshot as of one instant, with the
 * server writing on); the other files (secret.key, the email channel's originals and
 * attachments) are copied after it, so every file the snapshot refers to is there (they are
 * written before the database refers to them). The result is itself a data folder: restoring is
 * copying it back (or pointing PARLEY_DATA_DIR at it). It is built beside the target and renamed
 * into place at the end: a folder at `<folder>` is always a complete backup.
 */
export async function backup(ctx: CliContext, options: { target: string | undefined }): Promise<number> {
  if (options.target === undefined || options.target === '') throw new UsageError('backup needs the folder to write: parley backup <folder>');
  const target = resolve(options.target);
  if (existsSync(target) && !(statSync(target).isDirectory() && readdirSync(target).length === 0)) {
    throw new UsageError(`${target} already exists: give a new folder (or an empty one), a backup never overwrites`);
  }
  const inside = relative(ctx.dataDir, target);
  if (inside === '' || (!inside.startsWith('..') && !inside.startsWith(sep))) {
    throw new UsageError(`${target} is inside the data folder ${ctx.dataDir}: put the backup somewhere else`);
  }
  const source = databaseFile(ctx.dataDir);
  if (!existsSync(source)) throw new NoEventLogError(source);

  const partial = join(dirname(target), `.${basename(target)}.partial-${randomBytes(4).toString('hex')}`);
  mkdirSync(partial, { recursive: true, mode: PRIVATE_DIR_MODE });
  chmodSync(partial, PRIVATE_DIR_MODE);
  try {
    const summary = await copyDataFolder(ctx.dataDir, partial);
    if (existsSync(target)) rmSync(target, { recursive: true });
    renameSync(partial, target);
    ctx.stdout.write(
      `backed up ${ctx.dataDir} to ${target}: the database (${formatBytes(summary.databaseBytes)}) and ${summary.files} other file${summary.files === 1 ? '' : 's'} (${formatBytes(summary.fileBytes)})\n`,
    );
    return EXIT.ok;
  } catch (error) {
    rmSync(partial, { recursive: true, force: true });
    throw error;
  }
}

async function copyDataFolder(dataDir: string, into: string): Promise<Omit<BackupSummary, 'target'>> {
  const copy = join(into, basename(databaseFile(dataDir)));
  const db = openDatabase(databaseFile(dataDir), { synchronous: 'FULL', readonly: true });
  try {
    await db.backup(copy);
  } finally {
    db.close();
  }
  chmodSync(copy, PRIVATE_FILE_MODE);
  checkAndSeal(copy);

  let files = 0;
  let fileBytes = 0;
  const walk = (relativeDir: string) => {
    for (const entry of readdirSync(join(dataDir, relativeDir), { withFileTypes: true })) {
      const path = relativeDir === '' ? entry.name : join(relativeDir, entry.name);
      if (isSkipped(path)) continue;
      const from = join(dataDir, path);
      const to = join(into, path);
      if (entry.isDirectory()) {
        mkdirSync(to, { mode: PRIVATE_DIR_MODE });
        chmodSync(to, PRIVATE_DIR_MODE);
        walk(path);
      } else if (entry.isFile()) {
        try {
          copyFileSync(from, to);
        } catch (error) {
          // A file the server removed while we walked (a temporary file renamed into place) is no loss.
          if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
          throw error;
        }
        chmodSync(to, PRIVATE_FILE_MODE);
        files += 1;
        fileBytes += lstatSync(to).size;
      }
      // Sockets, links and the like are not Parley's data.
    }
  };
  walk('');
  return { databaseBytes: statSync(copy).size, files, fileBytes };
}

/**
 * The copy must open and pass SQLite's own check before it counts as a backup. It leaves WAL mode
 * on the way: one self-contained file, no -wal or -shm beside it (the server switches back to WAL
 * when it opens the restored file).
 */
function checkAndSeal(file: string): void {
  const db = new Database(file, { fileMustExist: true });
  try {
    db.pragma('journal_mode = DELETE');
    const result = db.pragma('quick_check', { simple: true });
    if (result !== 'ok') throw new Error(`the copied database ${file} fails SQLite's quick_check (${String(result)}); the backup was not kept`);
  } finally {
    db.close();
  }
}

function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}
