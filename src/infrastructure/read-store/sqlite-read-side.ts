import type { Database } from 'better-sqlite3';
import type { Logger } from 'pino';
import type { EventStore } from '../../application/ports/event-store.port';
import { ProjectionLanes, type ReadSideLanes } from '../../projections/projection-lanes';
import { ProjectionRunner, type ProjectionRunnerOptions } from '../../projections/projection-runner';
import { sqliteProjections } from '../../projections/sqlite';
import { searchProjection } from '../../projections/sqlite/search.projection';
import type { LogLevel } from '../config/config';
import { ThreadedProjectionLanes, type CommitSource } from './projection-thread';
import { SqliteReadStore } from './sqlite-read-store';
import { SqliteRecordStore } from './sqlite-records';

export interface ProjectionLanesOptions {
  /** The read-side connection to the shared file, opened with synchronous NORMAL. */
  db: Database;
  eventStore: EventStore;
  logger: Logger;
  /** Tuning for tests and benchmarks. */
  runner?: Pick<ProjectionRunnerOptions, 'batchSize' | 'retryDelayMs'>;
  /** Each lane's least time between batches under load (projection-lanes.ts); tests set them. */
  intervals?: { viewsMs?: number; searchMs?: number };
  /** Called after each batch of either lane (the projection thread reports the positions). */
  onApplied?: () => void;
}

export interface SqliteReadSideOptions extends Omit<ProjectionLanesOptions, 'onApplied'> {
  /**
   * Runs the lanes in a worker thread with its own connections to this file (projection-thread.ts)
   * instead of on `db`; `log` announces this process's commits to it.
   */
  thread?: { file: string; log: CommitSource; level: LogLevel; script?: string };
}

export interface SqliteReadSide {
  readStore: SqliteReadStore;
  recordStore: SqliteRecordStore;
  /** Not started yet: the app starts it once, and stops it before closing the connection. */
  runner: ReadSideLanes;
}

/** Under load, the views lane applies at most one batch per this many ms (projection-lanes.ts). */
const VIEWS_BATCH_INTERVAL_MS = 10;
/** Under load and while nobody searches, the search lane applies at most one batch per this many ms. */
const SEARCH_BATCH_INTERVAL_MS = 100;

/** The two lanes over one connection, not started; prepare() has created (or recreated) their tables. */
export function createProjectionLanes({ db, eventStore, logger, runner: tuning, intervals, onApplied }: ProjectionLanesOptions): ProjectionLanes {
  const views = new ProjectionRunner({
    db,
    eventStore,
    logger,
    projections: sqliteProjections.filter((projection) => projection !== searchProjection),
    batchIntervalMs: intervals?.viewsMs ?? VIEWS_BATCH_INTERVAL_MS,
    onApplied,
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
    onApplied,
    ...tuning,
  });
  const lanes = new ProjectionLanes(views, search);
  lanes.prepare();
  return lanes;
}

/**
 * Creates (or, after a projection version bump, recreates) the read-model schema and wires the
 * read store and the projection lanes, here over one connection or in the projection thread.
 */
export function createSqliteReadSide(options: SqliteReadSideOptions): SqliteReadSide {
  const { db, thread } = options;
  // Prepared here in either case: the read store's statements need the tables before the thread starts.
  const local = createProjectionLanes(options);
  const runner: ReadSideLanes = thread
    ? new ThreadedProjectionLanes({
        data: { file: thread.file, level: thread.level, intervals: options.intervals, tuning: options.runner },
        log: thread.log,
        logger: options.logger,
        initial: { views: local.views.position(), search: local.search.position() },
        script: thread.script,
      })
    : local;
  const beforeSearch = () => runner.searchCaughtUp();
  // The views lane is the only writer of every read model but the search index (one process
  // projects into a file): its position is a generation the read store may keep answers against.
  // Not the lanes' position: that is the lower of the two and need not move with a views batch.
  const readStore = new SqliteReadStore(db, { beforeSearch, generation: () => runner.viewsPosition() });
  return { readStore, recordStore: new SqliteRecordStore(db, { beforeSearch }), runner };
}
