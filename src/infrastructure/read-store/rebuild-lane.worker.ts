import { parentPort, workerData } from 'node:worker_threads';
import { openReadOnlyEventLog } from '../event-store/open-event-log';
import { LocalLane, type FromLaneWorker, type LaneWorkerData, type ToLaneWorker } from './rebuild-lane';

/**
 * One rebuild lane in its own thread (see WorkerLane): a LocalLane on its own read-only
 * connection to the log, driven by messages. Its log lines, progress and outcome go back to the
 * main thread, which decides what to do with them.
 */
const port = parentPort;
if (!port) throw new Error('rebuild-lane.worker runs as a worker thread only');
const post = (message: FromLaneWorker) => port.postMessage(message);

const data = workerData as LaneWorkerData;
const log = openReadOnlyEventLog(data.dataDir);
const lane = new LocalLane(data, log.opened, { write: (line) => post({ type: 'log', line }) });
const progress = setInterval(() => post({ type: 'applied', applied: lane.applied }), 100);

port.on('message', (message: ToLaneWorker) => {
  if (message.type === 'catch-up') {
    lane.catchUp(message.head).then(
      () => post({ type: 'reached', applied: lane.applied }),
      (error: unknown) => post({ type: 'failed', message: error instanceof Error ? error.message : String(error) }),
    );
    return;
  }
  clearInterval(progress);
  void (async () => {
    await lane.close();
    await log.close();
    post({ type: 'closed' });
    port.close();
  })();
});
