import type { ReadSideLanes } from '../../projections/projection-lanes';
import type { LogLevel } from '../config/config';
import { ThreadedProjectionLanes, type CommitSource } from './projection-thread';
import { createProjectionLanes, type ProjectionLanesOptions } from './sqlite-projection-lanes';
import { SqliteReadStore } from './sqlite-read-store';
import { SqliteRecordStore } from './sqlite-records';

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
