import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import type { EventStore, RecordedEvent } from '../../src/application/ports/event-store.port';
import { createSqliteReadSide, type SqliteReadSide } from '../../src/infrastructure/read-store/sqlite-read-side';
import { databaseFile, openDatabase } from '../../src/infrastructure/sqlite/open-database';
import { FedEventStore } from '../contracts/read-store.contract';

/** Pushes events to the runner's subscription and waits until the projections have applied them. */
export function feedThrough(
  source: FedEventStore,
  runner: { waitFor(position: number, timeoutMs: number): Promise<boolean> },
): (events: RecordedEvent[]) => Promise<void> {
  return async (events) => {
    source.push(events);
    const last = events[events.length - 1].position;
    if (!(await runner.waitFor(last, 10_000))) throw new Error(`the projections did not reach position ${last} within 10 s`);
  };
}

export interface FedSqliteReadSide extends Pick<SqliteReadSide, 'readStore' | 'recordStore'> {
  feed(events: RecordedEvent[]): Promise<void>;
  teardown(): Promise<void>;
}

/**
 * The embedded read side on a database of its own, fed the way production feeds it: through the
 * ProjectionRunner's subscription and batch transactions, so redeliveries are skipped (or
 * absorbed) exactly as a live system would.
 */
export function openFedSqliteReadSide(): FedSqliteReadSide {
  const dir = mkdtempSync(join(tmpdir(), 'parley-read-contract-'));
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
    feed: feedThrough(source, runner),
    async teardown() {
      await runner.stop();
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
