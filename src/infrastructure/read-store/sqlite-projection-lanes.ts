import type { Database } from 'better-sqlite3';
import type { Logger } from 'pino';
import type { EventStore } from '../../application/ports/event-store.port';
import { ProjectionLanes } from '../../projections/projection-lanes';
import { ProjectionRunner, type ProjectionRunnerOptions } from '../../projections/projection-runner';
import { sqliteProjections } from '../../projections/sqlite';
import { searchProjection } from '../../projections/sqlite/search.projection';

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
