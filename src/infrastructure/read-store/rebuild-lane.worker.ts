import { parentPort, workerData } from 'node:worker_threads';
import { FedEventStore, LocalLane, type FromLaneWorker, type LaneWorkerData, type ToLaneWorker } from './rebuild-lane';

/**
 * One rebuild lane in its own thread (see WorkerLane): a LocalLane fed the log's events by the
 * main thread, which reads and opens them once for both lanes (LogTee), driven by messages. Its
 * log lines, progress and outcome go back to the main thread, which decides what to do with them.
 */
const port = parentPort;
if (!port) throw new Error('rebuild-lane.worker runs as a worker thread only');
const post = (message: FromLaneWorker) => port.postMessage(message);

const data = workerData as LaneWorkerData;
// What a runner may have taken without applying when it stops: its batch (the runner's default is 500).
const log = new FedEventStore(Math.max(data.batchSize ?? 500, 500));
const lane = new LocalLane(data, log, { write: (line) => post({ type: 'log', line }) });
const progress = setInterval(() => post({ type: 'applied', applied: lane.applied }), 100);

port.on('message', (message: ToLaneWorker) => {
  if (message.type === 'events') {
    log.push(message.events);
    return;
  }
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
