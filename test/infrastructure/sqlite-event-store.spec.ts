import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { verifyChain } from '../../src/application/audit/hash-chain';
import { ConcurrencyError, StoreUnavailableError, type NewEvent } from '../../src/application/ports/event-store.port';
import { SqliteEventStore } from '../../src/infrastructure/event-store/sqlite-event-store';
import { databaseFile, openDatabase } from '../../src/infrastructure/sqlite/open-database';
import { eventStoreContract } from '../contracts/event-store.contract';

const tempDirs: string[] = [];

function newDataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'parley-event-store-'));
  tempDirs.push(dir);
  return dir;
}

afterAll(() => {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

/** The writer thread run from the TypeScript sources (the server runs the compiled one). */
const WRITER_THREAD = { script: join(__dirname, '../support/event-log-writer.worker.js') };
const MODES = [
  ['in-process', undefined],
  ['writer thread', WRITER_THREAD],
] as const;

eventStoreContract('SqliteEventStore (contract)', async () => {
  const db = openDatabase(databaseFile(newDataDir()), { synchronous: 'FULL' });
  const store = new SqliteEventStore(db, { pollIntervalMs: 50 });
  return { store, teardown: async () => void db.close() };
});

eventStoreContract('SqliteEventStore with its writer thread (contract)', async () => {
  const db = openDatabase(databaseFile(newDataDir()), { synchronous: 'FULL' });
  const store = new SqliteEventStore(db, { pollIntervalMs: 50, writerThread: WRITER_THREAD });
  return { store, teardown: async () => void db.close() };
});

describe.each(MODES)('SqliteEventStore (SQLite specifics, writes %s)', (_mode, writerThread) => {
  /** A store on a fresh file; closed with its connection after the test. */
  const opened: Array<{ store: SqliteEventStore; db: Database.Database }> = [];

  function open(file = databaseFile(newDataDir()), options: ConstructorParameters<typeof SqliteEventStore>[1] = { pollIntervalMs: 50 }) {
    const db = openDatabase(file, { synchronous: 'FULL' });
    const store = new SqliteEventStore(db, { ...options, writerThread });
    opened.push({ store, db });
    return { store, db, file };
  }

  afterEach(async () => {
    for (const { store, db } of opened.splice(0)) {
      await store.close();
      if (db.open) db.close();
    }
  });

  describe('openDatabase', () => {
    it('opens in WAL mode with the asked synchronous level, a busy timeout and foreign keys on', () => {
      const dir = newDataDir();
      const full = openDatabase(join(dir, 'full.db'), { synchronous: 'FULL' });
      const normal = openDatabase(join(dir, 'normal.db'), { synchronous: 'NORMAL' });
      try {
        expect(full.pragma('journal_mode', { simple: true })).toBe('wal');
        expect(full.pragma('synchronous', { simple: true })).toBe(2);
        expect(normal.pragma('synchronous', { simple: true })).toBe(1);
        expect(full.pragma('busy_timeout', { simple: true })).toBe(5000);
        expect(full.pragma('foreign_keys', { simple: true })).toBe(1);
      } finally {
        full.close();
        normal.close();
      }
    });

    it('creates the parent directory, and databaseFile names <dataDir>/parley.db', () => {
      const dataDir = join(newDataDir(), 'nested', 'data');
      const file = databaseFile(dataDir);

      openDatabase(file, { synchronous: 'NORMAL' }).close();

      expect(file).toBe(join(dataDir, 'parley.db'));
      expect(existsSync(file)).toBe(true);
    });

    it('opens read-only connections that cannot write, and says which file is missing', () => {
      const file = databaseFile(newDataDir());
      expect(() => openDatabase(file, { synchronous: 'NORMAL', readonly: true })).toThrow(StoreUnavailableError);
      expect(() => openDatabase(file, { synchronous: 'NORMAL', readonly: true })).toThrow(file);

      openDatabase(file, { synchronous: 'FULL' }).close();
      const readonly = openDatabase(file, { synchronous: 'NORMAL', readonly: true });
      try {
        expect(() => readonly.exec('CREATE TABLE t (x)')).toThrow(/readonly/);
      } finally {
        readonly.close();
      }
    });
  });

  describe('the connection', () => {
    it('is at synchronous FULL for the store, and the store refuses a NORMAL one', () => {
      const { db } = open();
      expect(db.pragma('synchronous', { simple: true })).toBe(2);

      const normal = openDatabase(databaseFile(newDataDir()), { synchronous: 'NORMAL' });
      try {
        expect(() => new SqliteEventStore(normal)).toThrow(/synchronous=FULL/);
      } finally {
        normal.close();
      }
    });

    it('creates its table once, and a second store on the same connection reuses it', async () => {
      const { store, db } = open();
      await store.append('s-' + randomUUID(), [newEvent()], { expectedRevision: 'no-stream' });

      const again = new SqliteEventStore(db);

      expect(await again.readAll({ after: 0, maxCount: 10 })).toHaveLength(1);
      const columns = (db.pragma('table_info(events)') as Array<{ name: string }>).map((c) => c.name);
      expect(columns).toEqual(['position', 'event_id', 'stream_id', 'revision', 'type', 'data', 'metadata', 'prev_hash', 'hash']);
      await again.close();
    });

    it('close() leaves the Database open (the caller owns it)', async () => {
      const { store, db } = open();

      await store.close();

      expect(db.open).toBe(true);
      expect(db.prepare('SELECT 1 AS one').get()).toEqual({ one: 1 });
    });
  });

  describe('durability', () => {
    it('keeps events across close and reopen, with positions never reused', async () => {
      const first = open();
      const streamId = 's-' + randomUUID();
      const doomed = 's-' + randomUUID();
      await first.store.append(streamId, [newEvent(), newEvent()], { expectedRevision: 'no-stream' });
      const last = await first.store.append(doomed, [newEvent()], { expectedRevision: 'no-stream' });
      await first.store.deleteStream(doomed);
      const before = await first.store.readStream(streamId);
      await first.store.close();
      first.db.close();

      const second = open(first.file);

      expect(await second.store.readStream(streamId)).toEqual(before);
      expect(verifyChain(before)).toBeNull();
      const next = await second.store.append(streamId, [newEvent()], { expectedRevision: 1 });
      expect(next.position).toBeGreaterThan(last.position);
    });

    it('commits the writes queued when close() is called before it resolves', async () => {
      const { store, file } = open();
      const streamId = 's-' + randomUUID();

      const pending = store.append(streamId, [newEvent()], { expectedRevision: 'no-stream' });
      await store.close();

      await expect(pending).resolves.toMatchObject({ nextRevision: 0, duplicate: false });
      const reader = open(file);
      expect(await reader.store.readStream(streamId)).toHaveLength(1);
    });
  });

  describe('another process on the same file', () => {
    it('is seen by subscribeAll through polling', async () => {
      const writer = open();
      const reader = open(writer.file, { pollIntervalMs: 50 });
      const streamId = 's-' + randomUUID();
      const controller = new AbortController();
      const received: string[] = [];

      const following = (async () => {
        for await (const event of reader.store.subscribeAll({ after: 0, signal: controller.signal })) {
          received.push(event.type);
          if (received.length === 3) return;
        }
      })();
      await sleep(100); // the reader is now idle, waiting
      await writer.store.append(streamId, [newEvent('One')], { expectedRevision: 'no-stream' });
      await sleep(20);
      await writer.store.append(streamId, [newEvent('Two'), newEvent('Three')], { expectedRevision: 0 });

      await withTimeout(following, 2000);
      controller.abort();
      expect(received).toEqual(['One', 'Two', 'Three']);
    });

    it('appends from two connections to one stream keep one valid chain', async () => {
      const a = open();
      const b = open(a.file);
      const streamId = 's-' + randomUUID();

      await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? a : b).store.append(streamId, [newEvent()], { expectedRevision: 'any' })));

      const read = await a.store.readStream(streamId);
      expect(read.map((e) => e.revision)).toEqual(Array.from({ length: 20 }, (_, i) => i));
      expect(verifyChain(read)).toBeNull();
    });

    it('holding the write lock makes appends fail with StoreUnavailableError while reads go on', async () => {
      const { store, db, file } = open();
      db.pragma('busy_timeout = 20');
      const streamId = 's-' + randomUUID();
      await store.append(streamId, [newEvent()], { expectedRevision: 'no-stream' });
      const other = new Database(file);
      other.exec('BEGIN IMMEDIATE');
      try {
        const error = await store.append(streamId, [newEvent()], { expectedRevision: 0 }).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(StoreUnavailableError);
        expect((error as Error).message).toMatch(/SQLITE_BUSY/);
        expect(await store.readStream(streamId)).toHaveLength(1);
      } finally {
        other.exec('ROLLBACK');
        other.close();
      }
      await expect(store.append(streamId, [newEvent()], { expectedRevision: 0 })).resolves.toMatchObject({ nextRevision: 1 });
    });

    it('a read-only connection reads, and its append fails with the SQLite error as-is', async () => {
      const { store, file } = open();
      const streamId = 's-' + randomUUID();
      await store.append(streamId, [newEvent()], { expectedRevision: 'no-stream' });
      const readonlyDb = openDatabase(file, { synchronous: 'NORMAL', readonly: true });
      const readonly = new SqliteEventStore(readonlyDb);
      try {
        expect(await readonly.readStream(streamId)).toHaveLength(1);
        const error = await readonly.append(streamId, [newEvent()], { expectedRevision: 0 }).catch((e: unknown) => e);
        expect(error).not.toBeInstanceOf(StoreUnavailableError);
        expect(error).toMatchObject({ code: expect.stringMatching(/^SQLITE_READONLY/) });
      } finally {
        await readonly.close();
        readonlyDb.close();
      }
    });
  });

  describe('group commit', () => {
    it('writes 200 concurrent appends in far fewer than 200 transactions', async () => {
      const { store } = open();
      const before = store.stats();

      const results = await Promise.all(Array.from({ length: 200 }, () => store.append('s-' + randomUUID(), [newEvent()], { expectedRevision: 'no-stream' })));

      const after = store.stats();
      expect(results.every((r) => r.nextRevision === 0)).toBe(true);
      expect(after.transactions - before.transactions).toBe(1);
      expect(after.writes - before.writes).toBe(200);
      expect(after.largestBatch).toBe(200);
    });

    it('splits a queue longer than maxBatchSize into several transactions', async () => {
      const { store } = open(undefined, { maxBatchSize: 10 });

      await Promise.all(Array.from({ length: 25 }, () => store.append('s-' + randomUUID(), [newEvent()], { expectedRevision: 'any' })));

      expect(store.stats()).toEqual({ transactions: 3, writes: 25, largestBatch: 10 });
    });

    it('a conflicting append rolls back only itself; the others of the batch commit', async () => {
      const { store } = open();
      const existing = 's-' + randomUUID();
      await store.append(existing, [newEvent()], { expectedRevision: 'no-stream' });
      const [a, c] = ['s-' + randomUUID(), 's-' + randomUUID()];
      const before = store.stats().transactions;

      const outcomes = await Promise.allSettled([
        store.append(a, [newEvent(), newEvent()], { expectedRevision: 'no-stream' }),
        store.append(existing, [newEvent(), newEvent()], { expectedRevision: 'no-stream' }),
        store.append(c, [newEvent()], { expectedRevision: 'no-stream' }),
      ]);

      expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
      expect((outcomes[1] as PromiseRejectedResult).reason).toBeInstanceOf(ConcurrencyError);
      expect(store.stats().transactions - before).toBe(1);
      expect(await store.readStream(a)).toHaveLength(2);
      expect(await store.readStream(existing)).toHaveLength(1);
      expect(await store.readStream(c)).toHaveLength(1);
    });

    it('appends to one stream in one batch see each other', async () => {
      const { store } = open();
      const streamId = 's-' + randomUUID();
      const repeated = [newEvent('First')];
      const before = store.stats().transactions;

      const outcomes = await Promise.allSettled([
        store.append(streamId, repeated, { expectedRevision: 'no-stream' }),
        store.append(streamId, [newEvent()], { expectedRevision: 'no-stream' }),
        store.append(streamId, [newEvent('Second')], { expectedRevision: 0 }),
        store.append(streamId, repeated, { expectedRevision: 'no-stream' }),
        store.append(streamId, [newEvent('Third')], { expectedRevision: 'any' }),
      ]);

      expect(store.stats().transactions - before).toBe(1);
      expect(outcomes[0]).toMatchObject({ status: 'fulfilled', value: { nextRevision: 0, duplicate: false } });
      expect(outcomes[1]).toMatchObject({ status: 'rejected', reason: { expected: 'no-stream', actual: 0 } });
      expect(outcomes[2]).toMatchObject({ status: 'fulfilled', value: { nextRevision: 1 } });
      expect(outcomes[3]).toMatchObject({ status: 'fulfilled', value: { nextRevision: 0, duplicate: true } });
      expect(outcomes[4]).toMatchObject({ status: 'fulfilled', value: { nextRevision: 2 } });
      const read = await store.readStream(streamId);
      expect(read.map((e) => e.type)).toEqual(['First', 'Second', 'Third']);
      expect(verifyChain(read)).toBeNull();
    });

    it('a delete queued between appends runs in call order', async () => {
      const { store } = open();
      const streamId = 's-' + randomUUID();

      const [, , reborn] = await Promise.all([
        store.append(streamId, [newEvent('Old')], { expectedRevision: 'no-stream' }),
        store.deleteStream(streamId),
        store.append(streamId, [newEvent('New')], { expectedRevision: 'no-stream' }),
      ]);

      expect(reborn.nextRevision).toBe(0);
      expect((await store.readStream(streamId)).map((e) => e.type)).toEqual(['New']);
    });
  });

  describe('rows carried with a batch', () => {
    /** A carrier handing over `rows` once; records what the store told it. */
    function carrier(sql: string, rows: unknown[][]) {
      const told: string[] = [];
      let pending: unknown[][] | null = rows;
      return {
        told,
        take: () => {
          const taken = pending && { sql, rows: pending };
          pending = null;
          return taken;
        },
        committed: () => void told.push('committed'),
        giveBack: (given: { rows: unknown[][] }) => {
          told.push('given back');
          pending = given.rows;
        },
      };
    }

    it('are written first in the transaction of the next batch, with no transaction of their own', async () => {
      const { store, db } = open();
      db.exec('CREATE TABLE carried (id TEXT PRIMARY KEY, body BLOB)');
      const rows = carrier('INSERT OR IGNORE INTO carried (id, body) VALUES (?, ?)', [['a', Buffer.from([1, 2, 3])]]);
      store.carry(rows);
      const before = store.stats().transactions;

      await store.append('s-' + randomUUID(), [newEvent()], { expectedRevision: 'no-stream' });

      expect(store.stats().transactions - before).toBe(1);
      expect(rows.told).toEqual(['committed']);
      expect(db.prepare('SELECT id, body FROM carried').all()).toEqual([{ id: 'a', body: Buffer.from([1, 2, 3]) }]);
    });

    it('fail the whole batch when they cannot be written: no event commits without them, and they are handed back', async () => {
      const { store, db } = open();
      db.exec('CREATE TABLE carried (id TEXT PRIMARY KEY NOT NULL)');
      const rows = carrier('INSERT INTO carried (id) VALUES (?)', [[null]]);
      store.carry(rows);
      const streamId = 's-' + randomUUID();

      const outcomes = await Promise.allSettled([store.append(streamId, [newEvent()], { expectedRevision: 'no-stream' }), store.deleteStream(streamId)]);

      expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected']);
      expect(rows.told).toEqual(['given back']);
      expect(await store.readStream(streamId)).toEqual([]);
    });

    it('are written by flush() and by close() even with no write to go with them', async () => {
      const { store, db } = open();
      db.exec('CREATE TABLE carried (id TEXT PRIMARY KEY)');
      const first = carrier('INSERT INTO carried (id) VALUES (?)', [['flushed']]);
      store.carry(first);
      await store.flush();
      store.carry(carrier('INSERT INTO carried (id) VALUES (?)', [['closed']]));
      await store.close();

      expect(db.prepare('SELECT id FROM carried ORDER BY id').pluck().all()).toEqual(['closed', 'flushed']);
    });
  });

  describe('catch-up subscriptions', () => {
    it('let the event loop run between pages of a long catch-up (HTTP and timers are not starved)', async () => {
      const { store } = open(undefined, { pollIntervalMs: 50, pageSize: 10 });
      const streamId = 's-' + randomUUID();
      await store.append(
        streamId,
        Array.from({ length: 50 }, () => newEvent()),
        { expectedRevision: 'no-stream' },
      );
      const abort = new AbortController();
      let delivered = 0;
      let deliveredWhenImmediateRan = -1;
      setImmediate(() => (deliveredWhenImmediateRan = delivered));
      for await (const event of store.subscribeAll({ after: 0, signal: abort.signal })) {
        delivered += 1;
        if (event.streamId === streamId && event.revision === 49) abort.abort();
      }
      expect(delivered).toBe(50);
      expect(deliveredWhenImmediateRan).toBeGreaterThanOrEqual(0);
      expect(deliveredWhenImmediateRan).toBeLessThan(50);
    });
  });

  describe('decisions the port leaves to the adapter', () => {
    it('rejects an event id that is already stored in another stream, naming both streams', async () => {
      const { store } = open();
      const event = newEvent();
      const [first, second] = ['s-' + randomUUID(), 's-' + randomUUID()];
      await store.append(first, [event], { expectedRevision: 'no-stream' });

      const error = await store.append(second, [event], { expectedRevision: 'any' }).catch((e: unknown) => e);

      expect(error).not.toBeInstanceOf(ConcurrencyError);
      expect((error as Error).message).toContain(first);
      expect((error as Error).message).toContain(second);
      expect(await store.readStream(second)).toEqual([]);
    });

    it('rejects invalid input with a message naming the field', async () => {
      const { store } = open();
      const streamId = 's-' + randomUUID();

      await expect(store.append(streamId, [newEvent(), { ...newEvent(), type: '' }], { expectedRevision: 'any' })).rejects.toThrow('events[1].type');
      await expect(store.append(streamId, [newEvent()], { expectedRevision: -1 })).rejects.toThrow(/expectedRevision/);
      const twice = newEvent();
      await expect(store.append(streamId, [twice, twice], { expectedRevision: 'any' })).rejects.toThrow(/appears twice/);
      await expect(store.readStream(streamId, { maxCount: -1 })).rejects.toThrow(/maxCount/);
      expect(await store.readStream(streamId)).toEqual([]);
    });

    it('stores only the port metadata fields, all covered by the hash', async () => {
      const { store } = open();
      const streamId = 's-' + randomUUID();
      const event = newEvent();
      (event.metadata as unknown as Record<string, unknown>).extra = 'not hashed';

      await store.append(streamId, [event], { expectedRevision: 'no-stream' });

      const [read] = await store.readStream(streamId);
      expect(Object.keys(read.metadata).sort()).toEqual(['actor', 'causationId', 'correlationId', 'hash', 'occurredAt', 'prevHash']);
    });

    it('hashes the JSON form of data, so values JSON changes still verify', async () => {
      const { store } = open();
      const streamId = 's-' + randomUUID();

      await store.append(streamId, [newEvent('Dated', { at: new Date('2026-03-04T05:06:07Z'), gone: undefined })], { expectedRevision: 'no-stream' });

      const read = await store.readStream(streamId);
      expect(read[0].data).toEqual({ at: '2026-03-04T05:06:07.000Z' });
      expect(verifyChain(read)).toBeNull();
    });

    it('an append refused by a stored event id leaves no trace, not even a used position', async () => {
      const { store } = open();
      const stored = newEvent();
      const first = await store.append('s-' + randomUUID(), [stored], { expectedRevision: 'no-stream' });
      const other = 's-' + randomUUID();

      await expect(store.append(other, [stored], { expectedRevision: 'no-stream' })).rejects.toThrow(/already stored/);
      await expect(store.append(other, [newEvent(), stored], { expectedRevision: 'any' })).rejects.toThrow(/already stored/);
      const next = await store.append(other, [newEvent()], { expectedRevision: 'no-stream' });

      expect(next.position).toBe(first.position + 1);
      expect(await store.readStream(other)).toHaveLength(1);
    });

    it('checks the expected revision against the whole stream, even one with a revision missing', async () => {
      const { store, db } = open();
      const streamId = 's-' + randomUUID();
      const events = [newEvent(), newEvent(), newEvent()];
      await store.append(streamId, events, { expectedRevision: 'no-stream' });
      // What a tampered file looks like (parley audit verify reports the gap).
      db.prepare('DELETE FROM events WHERE event_id IN (?, ?)').run(events[0].id, events[1].id);

      await expectConflict(store.append(streamId, [newEvent()], { expectedRevision: 'no-stream' }), 2);
      await expectConflict(store.append(streamId, [newEvent()], { expectedRevision: 0 }), 2);
      await expectConflict(store.append(streamId, [newEvent()], { expectedRevision: 1 }), 2);
      await expect(store.append(streamId, [newEvent()], { expectedRevision: 2 })).resolves.toMatchObject({ nextRevision: 3 });

      async function expectConflict(append: Promise<unknown>, actual: number) {
        const error = await append.catch((e: unknown) => e);
        expect(error).toBeInstanceOf(ConcurrencyError);
        expect(error).toMatchObject({ actual });
      }
    });

    it('headPosition is the last stored event: deleting the newest stream lowers it', async () => {
      const { store } = open();
      const kept = await store.append('s-' + randomUUID(), [newEvent()], { expectedRevision: 'no-stream' });
      const doomed = 's-' + randomUUID();
      await store.append(doomed, [newEvent()], { expectedRevision: 'no-stream' });

      await store.deleteStream(doomed);

      expect(await store.headPosition()).toBe(kept.position);
    });

    it('a subscription wakes at once on appends through the same instance, without waiting for a poll', async () => {
      const { store } = open(undefined, { pollIntervalMs: 60_000 });
      const controller = new AbortController();
      const streamId = 's-' + randomUUID();

      const first = (async () => {
        for await (const event of store.subscribeAll({ after: 0, signal: controller.signal })) return event;
        return undefined;
      })();
      await sleep(20);
      await store.append(streamId, [newEvent('Now')], { expectedRevision: 'no-stream' });

      await expect(withTimeout(first, 1000)).resolves.toMatchObject({ streamId, type: 'Now' });
      controller.abort();
    });

    it('an idle subscription sleeps between polls instead of spinning', async () => {
      const { store } = open(undefined, { pollIntervalMs: 100 });
      const controller = new AbortController();
      // Count reads rather than CPU time: a spinning loop reads thousands of times in 500 ms, a
      // sleeping one about five times, whatever else the machine is doing.
      const reads = jest.spyOn(store as unknown as { readAllNow: (...args: unknown[]) => unknown }, 'readAllNow');

      const iterating = (async () => {
        for await (const _ of store.subscribeAll({ after: 0, signal: controller.signal })) void _;
      })();
      await sleep(500);
      controller.abort();
      await iterating;

      expect(reads.mock.calls.length).toBeGreaterThan(0);
      expect(reads.mock.calls.length).toBeLessThan(50);
    });
  });
});

function newEvent(type = 'SomethingHappened', data: Record<string, unknown> = { value: randomUUID() }): NewEvent {
  return {
    id: randomUUID(),
    type,
    data,
    metadata: {
      actor: { type: 'system' },
      occurredAt: '2026-01-02T03:04:05.678Z',
      correlationId: randomUUID(),
      causationId: randomUUID(),
    },
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

describe('SqliteEventStore with its writer thread', () => {
  it('fails the writes of a thread that dies with StoreUnavailableError, acknowledges none of them, and still closes', async () => {
    const dir = newDataDir();
    // A writer that exits as soon as it is handed a batch, before any COMMIT.
    const dying = join(dir, 'dying-writer.js');
    writeFileSync(dying, "require('node:worker_threads').parentPort.once('message', () => process.exit(3));\n");
    const db = openDatabase(databaseFile(dir), { synchronous: 'FULL' });
    const store = new SqliteEventStore(db, { writerThread: { script: dying } });
    const streamId = 's-' + randomUUID();

    const first = await Promise.allSettled([store.append(streamId, [newEvent()], { expectedRevision: 'no-stream' }), store.deleteStream('s-' + randomUUID())]);
    // The next batch starts a new thread (which dies too): an error again, not a hang.
    const second = store.append(streamId, [newEvent()], { expectedRevision: 'no-stream' });

    for (const outcome of first) expect(outcome).toMatchObject({ status: 'rejected', reason: expect.any(StoreUnavailableError) });
    await expect(second).rejects.toThrow(/writer thread stopped .*exit.* code 3/);
    await store.close();
    expect(await new SqliteEventStore(db).readStream(streamId)).toEqual([]);
    db.close();
  });

  it('refuses a database it cannot open a second connection to', () => {
    const db = new Database(':memory:');
    try {
      db.pragma('synchronous = FULL');
      expect(() => new SqliteEventStore(db, { writerThread: WRITER_THREAD })).toThrow(/writable database file/);
    } finally {
      db.close();
    }
  });
});
