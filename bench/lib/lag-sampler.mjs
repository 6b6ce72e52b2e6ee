// Projection lag seen from outside the server: a worker thread polls the server's database file
// (read-only connection, WAL, so it never blocks the server) about every millisecond for the log's
// head position and the projections' checkpoint. An event's lag is the time from the first poll
// that saw it committed to the first poll that saw it projected (resolution about 1 ms; a
// checkpoint is written in the same transaction as the read models it covers). The lag is the
// views lane's (every read model a command's answer waits for); the search index, a lane of its
// own that searches wait for (src/projections/projection-lanes.ts), is sampled apart.
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';

/** Starts sampling; stop() resolves with { samples: [[lagMs, events]], searchSamples, polls, events }. */
export function startLagSampler(databaseFile) {
  const flag = new Int32Array(new SharedArrayBuffer(4));
  const worker = new Worker(fileURLToPath(import.meta.url), { workerData: { databaseFile, flag } });
  const done = new Promise((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  return {
    async stop() {
      Atomics.store(flag, 0, 1);
      Atomics.notify(flag, 0);
      const result = await done;
      await worker.terminate();
      return result;
    },
  };
}

if (!isMainThread && workerData?.databaseFile) {
  const { createRequire } = await import('node:module');
  const { join } = await import('node:path');
  const { REPO_ROOT } = await import('./parley.mjs');
  const Database = createRequire(join(REPO_ROOT, 'package.json'))('better-sqlite3');
  const db = new Database(workerData.databaseFile, { readonly: true, fileMustExist: true });
  const tables = new Set(db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all());
  // EVENT_STORE=eventstoredb or READ_STORE=mongodb (BENCH_SERVER_ENV): the log or the checkpoints
  // are on another server, so this file cannot tell the lag; no samples rather than wrong ones.
  const missing = ['events', 'projection_checkpoints'].filter((t) => !tables.has(t));
  if (missing.length > 0) {
    while (Atomics.load(workerData.flag, 0) === 0) Atomics.wait(workerData.flag, 0, 0, 100);
    db.close();
    parentPort.postMessage({
      samples: [],
      searchSamples: [],
      polls: 0,
      events: 0,
      unresolved: 0,
      unavailable: `no ${missing.join(' or ')} table in the server's SQLite file`,
    });
  } else {
    sample(db);
  }
}

function sample(db) {
  const headOf = db.prepare('SELECT COALESCE(MAX(position), 0) FROM events').pluck();
  const checkpointOf = db.prepare("SELECT COALESCE(MIN(position), 0) FROM projection_checkpoints WHERE name <> 'search'").pluck();
  const searchCheckpointOf = db.prepare("SELECT COALESCE(MIN(position), 0) FROM projection_checkpoints WHERE name = 'search'").pluck();
  const { flag } = workerData;
  const heads = []; // [position, firstSeenMs, events]
  const samples = [];
  const searchSamples = [];
  let searchResolved = 0;
  let lastHead = headOf.get();
  let resolved = 0;
  let polls = 0;
  // Events committed before sampling began have no "first seen" time: they are not counted.
  while (Atomics.load(flag, 0) === 0) {
    const now = performance.now();
    const head = headOf.get();
    const checkpoint = checkpointOf.get();
    const searchCheckpoint = searchCheckpointOf.get();
    polls += 1;
    if (head > lastHead) {
      heads.push([head, now, head - lastHead]);
      lastHead = head;
    }
    while (resolved < heads.length && heads[resolved][0] <= checkpoint) {
      samples.push([now - heads[resolved][1], heads[resolved][2]]);
      resolved += 1;
    }
    while (searchResolved < heads.length && heads[searchResolved][0] <= searchCheckpoint) {
      searchSamples.push([now - heads[searchResolved][1], heads[searchResolved][2]]);
      searchResolved += 1;
    }
    Atomics.wait(flag, 0, 0, 1);
  }
  db.close();
  parentPort.postMessage({ samples, searchSamples, polls, events: samples.reduce((n, [, w]) => n + w, 0), unresolved: heads.length - resolved });
}
