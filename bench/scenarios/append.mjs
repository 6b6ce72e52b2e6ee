// Figure 7: appends per second, side by side in one process and one run:
//   - ours: SqliteEventStore, 64 appends in flight (what a busy server does), group commit;
//   - emmett: @event-driven-io/emmett-sqlite 0.38.5 getSQLiteEventStore, one append at a time
//     (its own connection per call; with 16 in flight it fails with SQLITE_BUSY);
//   - raw: better-sqlite3 INSERTs of the very rows our store wrote, into the same table, with as
//     many rows per COMMIT as our store put in one transaction on average (equal fsyncs per row):
//     the storage limit for that work.
// Every file: WAL, synchronous=FULL (checked on each connection, printed in the notes).
// One append = one ~400-byte event to a new stream with expected revision "no stream".
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { getSQLiteEventStore, sqliteConnection } from '@event-driven-io/emmett-sqlite';
import { Database, parley } from '../lib/parley.mjs';
import { main, log, removeDir, tempDir } from '../lib/scenario.mjs';
import { figure, median } from '../lib/stats.mjs';

const CONCURRENCY = 64;

function eventData() {
  return { conversationId: randomUUID(), from: 'ana@example.com', subject: 'Order #1234 has not arrived', body: 'x'.repeat(200) };
}

function newEvent() {
  return {
    id: randomUUID(),
    type: 'MessageReceived',
    data: eventData(),
    metadata: {
      actor: { type: 'contact', address: 'ana@example.com' },
      occurredAt: new Date().toISOString(),
      correlationId: randomUUID(),
      causationId: randomUUID(),
    },
  };
}

async function ours(appends, concurrency) {
  const p = parley();
  const dir = tempDir('append-ours');
  const db = p.openDatabase(p.databaseFile(dir), { synchronous: 'FULL' });
  const store = new p.SqliteEventStore(db);
  try {
    const events = Array.from({ length: appends }, newEvent);
    let next = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < appends) {
          const event = events[next++];
          await store.append(`conversation-${randomUUID()}`, [event], { expectedRevision: 'no-stream' });
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    const { transactions } = store.stats();
    const synchronous = db.pragma('synchronous', { simple: true });
    const schema = db.prepare("SELECT sql FROM sqlite_schema WHERE tbl_name = 'events' AND sql IS NOT NULL").pluck().all();
    const rows = db.prepare('SELECT event_id, stream_id, revision, type, data, metadata, prev_hash, hash FROM events ORDER BY position').raw().all();
    return { rate: appends / seconds, transactions, batch: appends / transactions, synchronous, schema, rows };
  } finally {
    await store.close();
    db.close();
    removeDir(dir);
  }
}

/** The same rows into the same table, `perCommit` rows per BEGIN IMMEDIATE ... COMMIT. */
function raw(rows, schema, perCommit) {
  const BetterSqlite = Database();
  const dir = tempDir('append-raw');
  const db = new BetterSqlite(join(dir, 'raw.db'));
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    for (const sql of schema) db.exec(sql);
    const insert = db.prepare('INSERT INTO events (event_id, stream_id, revision, type, data, metadata, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
    const begin = db.prepare('BEGIN IMMEDIATE');
    const commit = db.prepare('COMMIT');
    const started = performance.now();
    for (let i = 0; i < rows.length; i += perCommit) {
      begin.run();
      const end = Math.min(rows.length, i + perCommit);
      for (let j = i; j < end; j += 1) insert.run(rows[j]);
      commit.run();
    }
    const seconds = (performance.now() - started) / 1000;
    return { rate: rows.length / seconds, synchronous: db.pragma('synchronous', { simple: true }) };
  } finally {
    db.close();
    removeDir(dir);
  }
}

/**
 * emmett-sqlite 0.38.5 now and then fails an append even one at a time ("SQLITE_BUSY: cannot commit
 * transaction - SQL statements in progress", about 1 in 400 here); its transaction is rolled back,
 * so the append is retried, as a caller would, and the time of the failed tries counts. It also
 * console.logs each such error: silenced while measuring.
 */
async function emmett(appends) {
  const dir = tempDir('append-emmett');
  const fileName = join(dir, 'emmett.db');
  const store = getSQLiteEventStore({ fileName });
  const consoleLog = console.log;
  console.log = () => {};
  let failures = 0;
  const append = async () => {
    const stream = `conversation-${randomUUID()}`;
    const events = [{ type: 'MessageReceived', data: eventData() }];
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await store.appendToStream(stream, events, { expectedStreamVersion: 0n });
      } catch (error) {
        if (error?.code !== 'SQLITE_BUSY' || attempt >= 10) throw error;
        failures += 1;
      }
    }
  };
  try {
    await append(); // creates the schema
    failures = 0;
    const started = performance.now();
    for (let i = 0; i < appends; i += 1) await append();
    const seconds = (performance.now() - started) / 1000;
    // emmett opens a connection per call with the driver's defaults; read them the same way.
    const connection = sqliteConnection({ fileName });
    const synchronous = (await connection.querySingle('PRAGMA synchronous')).synchronous;
    const journal = (await connection.querySingle('PRAGMA journal_mode')).journal_mode;
    connection.close();
    return { rate: appends / seconds, synchronous, journal, failures };
  } finally {
    console.log = consoleLog;
    removeDir(dir);
  }
}

async function oursSequential(appends) {
  const result = await ours(appends, 1);
  return result.rate;
}

main('append', async ({ quick, runs }) => {
  const appends = quick ? 5000 : 20_000;
  const emmettAppends = quick ? 300 : 1000;
  const sequentialAppends = quick ? 500 : 2000;
  const r = { ours: [], raw: [], rawCeiling: [], emmett: [], sequential: [], vsEmmett: [], vsRaw: [], batch: [] };
  const notes = [];
  let emmettFailures = 0;
  let emmettAppendsTotal = 0;
  for (let run = 1; run <= runs; run += 1) {
    const o = await ours(appends, CONCURRENCY);
    const perCommit = Math.max(1, Math.round(o.batch));
    const w = raw(o.rows, o.schema, perCommit);
    const c = raw(o.rows, o.schema, 500);
    const e = await emmett(emmettAppends);
    const s = await oursSequential(sequentialAppends);
    r.ours.push(o.rate);
    r.raw.push(w.rate);
    r.rawCeiling.push(c.rate);
    r.emmett.push(e.rate);
    r.sequential.push(s);
    r.vsEmmett.push(o.rate / e.rate);
    r.vsRaw.push(o.rate / w.rate);
    r.batch.push(o.batch);
    emmettFailures += e.failures;
    emmettAppendsTotal += emmettAppends;
    log(
      `run ${run}: ours ${Math.round(o.rate)}/s (${o.transactions} commits, ${o.batch.toFixed(1)} appends each), raw ${Math.round(w.rate)}/s at ${perCommit}/commit, raw ${Math.round(c.rate)}/s at 500/commit, emmett ${Math.round(e.rate)}/s, ours 1-in-flight ${Math.round(s)}/s`,
    );
    if (run === 1) {
      notes.push(
        `durability: PRAGMA synchronous ours=${o.synchronous} raw=${w.synchronous} emmett=${e.synchronous} (2 = FULL), journal WAL for all (emmett: ${e.journal})`,
        `workload: ${appends} appends of one ~400-byte event to a new stream, ${CONCURRENCY} in flight (ours); emmett ${emmettAppends} appends one at a time`,
      );
    }
  }
  const batch = Math.round(median(r.batch));
  notes.push(
    `emmett-sqlite failed ${emmettFailures} of ${emmettAppendsTotal} sequential appends with SQLITE_BUSY "cannot commit transaction - SQL statements in progress"; each was retried and its time counted`,
  );
  return {
    notes,
    figures: [
      figure({ id: 'append.ours', label: `Appends/s, our store (${CONCURRENCY} in flight)`, unit: '/s', runs: r.ours }),
      figure({ id: 'append.emmett', label: 'Appends/s, emmett-sqlite 0.38.5 (1 in flight)', unit: '/s', runs: r.emmett }),
      figure({ id: 'append.raw', label: `Appends/s, raw better-sqlite3 (~${batch} rows/commit)`, unit: '/s', runs: r.raw }),
      figure({ id: 'append.vs-emmett', label: 'Ratio ours / emmett-sqlite', unit: '×', runs: r.vsEmmett, target: { op: '>=', value: 1.5 }, digits: 1 }),
      figure({
        id: 'append.vs-raw',
        label: 'Ratio ours / raw SQLite (same rows per commit)',
        unit: '×',
        runs: r.vsRaw,
        target: { op: '>=', value: 0.5 },
        digits: 2,
      }),
      figure({ id: 'append.raw-500', label: 'Appends/s, raw better-sqlite3, 500 rows/commit', unit: '/s', runs: r.rawCeiling }),
      figure({ id: 'append.ours-sequential', label: 'Appends/s, our store (1 in flight)', unit: '/s', runs: r.sequential }),
    ],
  };
});
