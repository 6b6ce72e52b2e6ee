import { parentPort, workerData } from 'node:worker_threads';
import { openDatabase } from '../sqlite/open-database';
import { BatchFailed, EventLogWriter, toWireError, type Outcome } from './event-log-writer';
import type { FromWriterThread, ToWriterThread, WireOutcome, WriterThreadData } from './event-log-writer-thread';

/**
 * The event log's writer thread (see WriterThread): runs each batch the store sends in one
 * BEGIN IMMEDIATE ... COMMIT on a connection of its own with synchronous=FULL, and answers the
 * outcomes once COMMIT returned, so the main thread never waits for the fsync.
 */
const port = parentPort;
if (!port) throw new Error('event-log-writer.worker runs as a worker thread only');
const post = (message: FromWriterThread) => port.postMessage(message);

const { file } = workerData as WriterThreadData;
// The store created the schema on its own connection before it started this thread.
const db = openDatabase(file, { synchronous: 'FULL' });
const writer = new EventLogWriter(db);

port.on('message', (message: ToWriterThread) => {
  if (message.type === 'close') {
    db.close();
    post({ type: 'closed' });
    port.close();
    return;
  }
  let outcomes: Outcome[];
  try {
    outcomes = writer.run(message.carried, message.writes);
  } catch (error) {
    post({ type: 'failed', error: toWireError(error instanceof BatchFailed ? error.error : error) });
    return;
  }
  post({ type: 'done', outcomes: outcomes.map((o): WireOutcome => (o.ok ? o : { ok: false, error: toWireError(o.error) })) });
});
