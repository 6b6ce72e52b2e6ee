import type { Database } from 'better-sqlite3';
import type { Logger } from 'pino';
import type { EventStore } from '../../application/ports/event-store.port';
import { ProjectionRunner, type ProjectionRunnerOptions } from '../../projections/projection-runner';
import { sqliteProjections } from '../../projections/sqlite';
import { SqliteReadStore } from './sqlite-read-store';
import { SqliteRecordStore } from './sqlite-records';

export interface SqliteReadSideOptions {
  /** The read-side connection to the shared file, opened with synchronous NORMAL. */
  db: Database;
  eventStore: EventStore;
  logger: Logger;
  /** Tuning for tests and benchmarks. */
  runner?: Pick<ProjectionRunnerOptions, 'batchSize' | 'retryDelayMs'>;
}

export interface SqliteReadSide {
  readStore: SqliteReadStore;
  recordStore: SqliteRecordStore;
  /** Not started yet: the app starts it once, and stops it before closing the connection. */
  runner: ProjectionRunner;
}

/**
 * Creates (or, after a projection version bump, recreates) the read-model schema and wires the
 * read store and the projection runner over one connection.
 */
export function createSqliteReadSide({ db, eventStore, logger, runner: tuning }: SqliteReadSideOptions): SqliteReadSide {
  const runner = new ProjectionRunner({ db, eventStore, logger, projections: sqliteProjections, ...tuning });
  runner.prepare();
  return { readStore: new SqliteReadStore(db), recordStore: new SqliteRecordStore(db), runner };
}
