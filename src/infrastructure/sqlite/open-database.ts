import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { StoreUnavailableError } from '../../application/ports/event-store.port';
import { ensurePrivateDir, ensurePrivateFile, restrictFile } from '../storage/private-files';

export interface OpenDatabaseOptions {
  /**
   * FULL for the event log (a commit that returned survives a power cut); NORMAL is enough for
   * read models and jobs, which can be rebuilt or redone from the log.
   */
  synchronous: 'FULL' | 'NORMAL';
  readonly?: boolean;
}

/** How long a connection waits for another writer (another connection or a CLI) before SQLITE_BUSY. */
const BUSY_TIMEOUT_MS = 5000;

/** The one embedded file shared by the event log, the read models and the jobs. */
export function databaseFile(dataDir: string): string {
  return join(dataDir, 'parley.db');
}

/**
 * Opens a connection in WAL mode, so readers never block the writer and the other way round.
 * `synchronous` is per connection: each opener states the durability it needs.
 */
export function openDatabase(file: string, options: OpenDatabaseOptions): Database.Database {
  const readonly = options.readonly ?? false;
  let db: Database.Database;
  try {
    // Owner-only: SQLite gives the WAL and shared-memory files the database file's own mode.
    if (!readonly) {
      ensurePrivateDir(dirname(file));
      ensurePrivateFile(file);
      for (const companion of [`${file}-wal`, `${file}-shm`]) restrictFile(companion);
    }
    db = new Database(file, { readonly, fileMustExist: readonly });
  } catch (error) {
    throw new StoreUnavailableError(
      `cannot open the database file ${file}: ${(error as Error).message} (check that PARLEY_DATA_DIR exists and is writable)`,
      error,
    );
  }
  try {
    configure(db, options.synchronous, readonly);
  } catch (error) {
    db.close();
    throw error;
  }
  return db;
}

function configure(db: Database.Database, synchronous: 'FULL' | 'NORMAL', readonly: boolean): void {
  // busy_timeout first, so switching to WAL waits for a concurrent opener instead of failing.
  db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
  // A read-only connection cannot change the journal mode; it inherits the file's.
  const mode = readonly ? db.pragma('journal_mode', { simple: true }) : db.pragma('journal_mode = WAL', { simple: true });
  if (!readonly && mode !== 'wal') {
    throw new Error(`the database ${db.name} could not switch to WAL journal mode (it is in "${String(mode)}" mode); use a file on a local disk`);
  }
  db.pragma(`synchronous = ${synchronous}`);
  db.pragma('foreign_keys = ON');
}
