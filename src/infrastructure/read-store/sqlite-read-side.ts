import type { Database } from 'better-sqlite3';
import type { Logger } from 'pino';
import type { EventStore } from '../../application/ports/event-store.port';
import { ProjectionLanes } from '../../projections/projection-lanes';
import { ProjectionRunner, type ProjectionRunnerOptions } from '../../projections/projection-runner';
import { sqliteProjections } from '../../projections/sqlite';
import { searchProjection } from '../../projections/sqlite/search.projection';
import { SqliteReadStore } from './sqlite-read-store';
import { SqliteRecordStore } from './sqlite-records';

export interface SqliteReadSideOptions {
  /** The read-side connection to the shared file, opened with synchronous NORMAL. */
  db: Database;
  eventStore: EventStore;
  logger: Logger;
  /** Tuning for tests and benchmarks. */
  runner?: Pick<ProjectionRunnerOptions, 'batchSize' | 'retryDelayMs'>;
  /** Each lane's least time between batches under load (projection-lanes.ts); tests set them. */
  intervals?: { viewsMs?: number; searchMs?: number };
}

export interface SqliteReadSide {
  readStore: SqliteReadStore;
  recordStore: SqliteRecordStore;
  /** Not started yet: the app starts it once, and stops it before closing the connection. */
  runner: ProjectionLanes;
}

/** Under load, the views lane applies at most one batch per this many ms (projection-lanes.ts). */
const VIEWS_BATCH_INTERVAL_MS = 10;
/** Under load and while nobody searches, the search lane applies at most one batch per this many ms. */
const SEARCH_BATCH_INTERVAL_MS = 100;

/**
 * Creates (or, after a projection version bump, recreates) the read-model schema and wires the
 * read store and the projection lanes over one connection.
 */
export function createSqliteReadSide({ db, eventStore, logger, runner: tuning, intervals }: SqliteReadSideOptions): SqliteReadSide {
  const views = new ProjectionRunner({
    db,
    eventStore,
    logger,
    projections: sqliteProjections.filter((projection) => projection !== searchProjection),
    batchIntervalMs: intervals?.viewsMs ?? VIEWS_BATCH_INTERVAL_MS,
    ...tuning,
  });
  const search = new ProjectionRunner({
    db,
    eventStore,
    logger,
    projections: [searchProjection],
    batchIntervalMs: intervals?.searchMs ?? SEARCH_BATCH_INTERVAL_MS,
    lane: 'search',
    hurryForWaiters: true,
    ...tuning,
  });
  const runner = new ProjectionLanes(views, search);
  runner.prepare();
  const beforeSearch = () => runner.searchCaughtUp();
  // The views lane is the only writer of every read model but the search index (one process
  // projects into a file): its position is a generation the read store may keep answers against.
  // Not the lanes' position: that is the lower of the two and need not move with a views batch.
  const readStore = new SqliteReadStore(db, { beforeSearch, generation: () => views.position() });
  return { readStore, recordStore: new SqliteRecordStore(db, { beforeSearch }), runner };
}
