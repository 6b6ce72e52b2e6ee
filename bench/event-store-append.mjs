// Append rate of the SQLite event store, sequential vs concurrent, on a temp file.
//
//   npx tsc -p tsconfig.build.json            # or npm run build
//   node bench/event-store-append.mjs [appends=3000] [concurrency=50]
//
// PARLEY_DIST=<dir> points at another build output (default: ./dist next to this folder).
// Each append is one ~400-byte event to a fresh stream with expectedRevision 'no-stream'.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const require = createRequire(import.meta.url);
const dist = resolve(process.env.PARLEY_DIST ?? new URL('../dist', import.meta.url).pathname);
const { SqliteEventStore } = require(join(dist, 'infrastructure/event-store/sqlite-event-store.js'));
const { openDatabase, databaseFile } = require(join(dist, 'infrastructure/sqlite/open-database.js'));

const appends = Number(process.argv[2] ?? 3000);
const concurrency = Number(process.argv[3] ?? 50);

function newEvent() {
  return {
    id: randomUUID(),
    type: 'MessageReceived',
    data: { conversationId: randomUUID(), from: 'ana@example.com', subject: 'Order #1234 has not arrived', body: 'x'.repeat(200) },
    metadata: {
      actor: { type: 'contact', address: 'ana@example.com' },
      occurredAt: new Date().toISOString(),
      correlationId: randomUUID(),
      causationId: randomUUID(),
    },
  };
}

async function measure(label, run) {
  const dir = mkdtempSync(join(tmpdir(), 'parley-bench-'));
  const db = openDatabase(databaseFile(dir), { synchronous: 'FULL' });
  const store = new SqliteEventStore(db);
  try {
    const started = process.hrtime.bigint();
    await run(store);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const { transactions, largestBatch } = store.stats();
    console.log(
      `${label.padEnd(28)} ${Math.round(appends / seconds)
        .toString()
        .padStart(7)} appends/s  (${appends} in ${seconds.toFixed(2)} s, ${transactions} transactions, largest batch ${largestBatch})`,
    );
  } finally {
    await store.close();
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const appendOne = (store) => store.append(`bench-${randomUUID()}`, [newEvent()], { expectedRevision: 'no-stream' });

await measure('sequential (1 in flight)', async (store) => {
  for (let i = 0; i < appends; i += 1) await appendOne(store);
});

await measure(`concurrent (${concurrency} in flight)`, async (store) => {
  let remaining = appends;
  const worker = async () => {
    while (remaining > 0) {
      remaining -= 1;
      await appendOne(store);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
});
