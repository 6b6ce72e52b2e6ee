#!/usr/bin/env node
// node bench/projection-batches.mjs [--messages=4000] [batch sizes…, default 1 10 100 500]
//
// What one projection transaction costs against the events it carries: ingests `messages` API
// messages into a fresh server (as the ingest scenario sends them: 60 % new threads), copies the
// log it wrote, then projects that log from position 0 with every read model (the views lane and
// the search lane together) in batches of each size, and prints server-side CPU µs per event.
// The evidence behind the projection lanes' pacing (src/projections/projection-lanes.ts).
import { randomUUID } from 'node:crypto';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DIST, REPO_ROOT } from './lib/parley.mjs';
import { client, startServer } from './lib/server.mjs';
import { textSource } from './lib/text.mjs';

const args = process.argv.slice(2);
const messages = Number(args.find((a) => a.startsWith('--messages='))?.slice(11) ?? 4000);
const sizes = args.filter((a) => /^\d+$/.test(a)).map(Number);
const require = createRequire(join(REPO_ROOT, 'package.json'));
const pino = require('pino');
const { openDatabase } = require(join(DIST, 'infrastructure/sqlite/open-database.js'));
const { SqliteEventStore } = require(join(DIST, 'infrastructure/event-store/sqlite-event-store.js'));
const { SealedEventStore } = require(join(DIST, 'infrastructure/event-store/sealed-event-store.js'));
const { SqliteSubjectKeys } = require(join(DIST, 'infrastructure/privacy/sqlite-subject-keys.js'));
const { ProjectionRunner } = require(join(DIST, 'projections/projection-runner.js'));
const { sqliteProjections } = require(join(DIST, 'projections/sqlite/index.js'));

async function ingestLog(dir) {
  const text = textSource(7);
  const dataDir = join(dir, 'data');
  const server = await startServer({ dataDir });
  const api = client(server.baseUrl, { connections: 16 });
  try {
    await api.login();
    const threads = [];
    let sent = 0;
    const loop = async () => {
      while (sent < messages) {
        sent += 1;
        let thread;
        if (threads.length === 0 || text.random.chance(0.6)) {
          const person = text.person(text.random.int(50_000));
          const order = text.orderNumber(sent + 1_000_000);
          thread = { id: `batches-${randomUUID()}`, from: { address: person.address, name: person.name }, subject: text.subject(order), order, sent: 0 };
          threads.push(thread);
        } else {
          thread = threads[text.random.int(threads.length)];
        }
        const message = { externalThreadId: thread.id, externalMessageId: `${thread.id}-${thread.sent++}`, from: thread.from, subject: thread.subject };
        const res = await api.request('POST', '/api/channels/api/messages', { ...message, text: text.body(thread.order) });
        if (res.status >= 300) throw new Error(`ingest answered ${res.status}: ${JSON.stringify(res.body)}`);
      }
    };
    await Promise.all(Array.from({ length: 16 }, loop));
  } finally {
    await api.close();
    await server.stop();
  }
  return join(dataDir, 'parley.db');
}

/** Projects the whole log of a copy of `source` in batches of `size`; answers CPU µs per event. */
async function project(source, dir, size) {
  const file = join(dir, `batches-${size}.db`);
  copyFileSync(source, file);
  const eventDb = openDatabase(file, { synchronous: 'FULL' });
  const readDb = openDatabase(file, { synchronous: 'NORMAL' });
  readDb.exec('DELETE FROM projection_checkpoints'); // every read model rebuilt from position 0
  const sealed = new SealedEventStore(new SqliteEventStore(eventDb), new SqliteSubjectKeys(eventDb, { sharesTheLog: true }));
  const log = await sealed.readAll({ after: 0, maxCount: Number.MAX_SAFE_INTEGER });
  // The log from memory, `size` events per turn of the event loop: one batch transaction each.
  const store = {
    async *subscribeAll({ after, signal }) {
      let i = log.findIndex((event) => event.position > after);
      for (i = i < 0 ? log.length : i; i < log.length && !signal?.aborted; i += 1) {
        yield log[i];
        if ((i + 1) % size === 0) await new Promise((resolve) => setTimeout(resolve, 0));
      }
      if (!signal?.aborted) await new Promise((resolve) => signal?.addEventListener('abort', resolve, { once: true }));
    },
  };
  const runner = new ProjectionRunner({
    db: readDb,
    eventStore: store,
    projections: sqliteProjections,
    logger: pino({ level: 'warn' }),
    batchSize: 500,
    batchIntervalMs: 0,
  });
  runner.prepare();
  const before = process.cpuUsage();
  runner.start();
  if (!(await runner.waitFor(log.at(-1).position, 600_000))) throw new Error('the projections did not reach the head of the log');
  const used = process.cpuUsage(before);
  await runner.stop();
  readDb.close();
  eventDb.close();
  return { events: log.length, cpuUsPerEvent: (used.user + used.system) / log.length };
}

const dir = mkdtempSync(join(tmpdir(), 'parley-batches-'));
try {
  console.log(`ingesting ${messages} messages into a fresh server…`);
  const source = await ingestLog(dir);
  for (const size of sizes.length > 0 ? sizes : [1, 10, 100, 500]) {
    const { events, cpuUsPerEvent } = await project(source, dir, size);
    console.log(`batches of ${String(size).padStart(3)}: ${events} events, ${cpuUsPerEvent.toFixed(0)} µs CPU per event`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
