import { parentPort, workerData } from 'node:worker_threads';
import { SealedEventStore } from '../event-store/sealed-event-store';
import { SqliteEventStore } from '../event-store/sqlite-event-store';
import { createLogger } from '../logging/logger';
import { SqliteSubjectKeys } from '../privacy/sqlite-subject-keys';
import { openDatabase } from '../sqlite/open-database';
import { SEARCH_CATCH_UP_MS } from '../../projections/projection-lanes';
import type { FromProjectionThread, ProjectionThreadData, ToProjectionThread } from './projection-thread';
import { createProjectionLanes } from './sqlite-projection-lanes';

/**
 * The projection lanes in their own thread (see ThreadedProjectionLanes). The thread reads the log
 * on a connection of its own and opens sealed events with the subject keys in the same file (keys
 * commit with the first events sealed with them, so every event it reads has its key). It applies
 * the batches on a second connection, synchronous NORMAL as on the main thread, and reports the
 * lanes' positions after each one. Its log lines go to the main thread's logger.
 */
const port = parentPort;
if (!port) throw new Error('projection-thread.worker runs as a worker thread only');
const post = (message: FromProjectionThread) => port.postMessage(message);

const data = workerData as ProjectionThreadData;
const logger = createLogger({ level: data.level }, { write: (line: string) => post({ type: 'log', line }) });
const logDb = openDatabase(data.file, { synchronous: 'FULL' });
const log = new SqliteEventStore(logDb);
const keys = new SqliteSubjectKeys(logDb);
const readDb = openDatabase(data.file, { synchronous: 'NORMAL' });
const report = () => post({ type: 'applied', views: lanes.views.position(), search: lanes.search.position() });
const lanes = createProjectionLanes({
  db: readDb,
  eventStore: new SealedEventStore(log, keys),
  logger,
  intervals: data.intervals,
  runner: data.tuning,
  onApplied: report,
});
lanes.start();
report();

port.on('message', (message: ToProjectionThread) => {
  switch (message.type) {
    case 'commit':
      log.noticeCommit();
      return;
    case 'search-wait':
      // Waiting hurries the paced search lane; the answer reaches the main thread as a report.
      void lanes.search.waitFor(message.position, SEARCH_CATCH_UP_MS);
      return;
    case 'stop':
      void (async () => {
        await lanes.stop();
        post({ type: 'stopped', views: lanes.views.position(), search: lanes.search.position() });
        await log.close();
        await keys.close();
        readDb.close();
        logDb.close();
        port.close();
      })();
      return;
  }
});
