import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import type { EventStore, RecordedEvent } from '../../src/application/ports/event-store.port';
import { createSqliteReadSide } from '../../src/infrastructure/read-store/sqlite-read-side';
import { databaseFile, openDatabase } from '../../src/infrastructure/sqlite/open-database';
import { FedEventStore } from './read-store.contract';
import { recordStoreContract } from './record-store.contract';

/**
 * The embedded record store through the record-store contract, fed the way production feeds it:
 * through the ProjectionRunner's subscription and batch transactions.
 */
recordStoreContract('SQLite record store', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'parley-record-contract-'));
  const db = openDatabase(databaseFile(dir), { synchronous: 'NORMAL' });
  const source = new FedEventStore();
  const { readStore, recordStore, runner } = createSqliteReadSide({
    db,
    eventStore: source as unknown as EventStore,
    logger: pino({ level: 'silent' }),
    runner: { retryDelayMs: { initial: 5, max: 50 } },
  });
  runner.start();
  return {
    readStore,
    recordStore,
    async feed(events: RecordedEvent[]) {
      source.push(events);
      const last = events[events.length - 1].position;
      if (!(await runner.waitFor(last, 10_000))) throw new Error(`the projections did not reach position ${last} within 10 s`);
    },
    async teardown() {
      await runner.stop();
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});
