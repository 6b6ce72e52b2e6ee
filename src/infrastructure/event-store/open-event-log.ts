import { existsSync } from 'node:fs';
import type { Database } from 'better-sqlite3';
import { databaseFile, openDatabase } from '../sqlite/open-database';
import type { EventStore } from '../../application/ports/event-store.port';
import { SqliteSubjectKeys } from '../privacy/sqlite-subject-keys';
import { SealedEventStore } from './sealed-event-store';
import { SqliteEventStore } from './sqlite-event-store';

/** The data folder holds no event log (wrong PARLEY_DATA_DIR, or Parley never started there). */
export class NoEventLogError extends Error {
  constructor(readonly file: string) {
    super(`there is no Parley event log at ${file}: point PARLEY_DATA_DIR (or --data-dir) at the folder the server uses`);
    this.name = 'NoEventLogError';
  }
}

export interface ReadOnlyEventLog {
  file: string;
  db: Database;
  /** The events exactly as stored (personal values sealed): what the hash chain covers. */
  store: SqliteEventStore;
  /** The events as the server reads them: personal values opened with the subject keys in the file, redacted where destroyed. */
  opened: EventStore;
  /** Every stream that holds events, in name order. */
  streamIds(): string[];
  close(): Promise<void>;
}

/**
 * The embedded event log opened read-only, for tools that run beside (or without) the server:
 * they can never change an event, and WAL lets them read while the server writes.
 */
export function openReadOnlyEventLog(dataDir: string, options: { pageSize?: number } = {}): ReadOnlyEventLog {
  const file = databaseFile(dataDir);
  if (!existsSync(file)) throw new NoEventLogError(file);
  const db = openDatabase(file, { synchronous: 'FULL', readonly: true });
  if (db.prepare("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'events'").get() === undefined) {
    db.close();
    throw new NoEventLogError(file);
  }
  const store = new SqliteEventStore(db, options);
  return {
    file,
    db,
    store,
    opened: new SealedEventStore(store, new SqliteSubjectKeys(db)),
    streamIds: () => db.prepare('SELECT DISTINCT stream_id FROM events ORDER BY stream_id').pluck().all() as string[],
    async close() {
      await store.close();
      db.close();
    },
  };
}
