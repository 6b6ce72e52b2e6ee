import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import pino from 'pino';
import type { EventStore } from '../../src/application/ports/event-store.port';
import type { SqliteEventStore } from '../../src/infrastructure/event-store/sqlite-event-store';
import { orThrow, parseSearchParameters } from '../../src/application/search/conversation-filters';
import { createSqliteReadSide } from '../../src/infrastructure/read-store/sqlite-read-side';
import { databaseFile, openDatabase } from '../../src/infrastructure/sqlite/open-database';
import type { SqliteProjection } from '../../src/projections/projection';
import { ProjectionRunner } from '../../src/projections/projection-runner';
import { append, at, cleanUp, cleanUpTempDirs, conversationEvent as e, newDataDir, openEventStore } from './fixtures';

afterEach(cleanUp);
afterAll(cleanUpTempDirs);

const INBOX = 'inbox-1';
const silent = pino({ level: 'silent' });

/** Remembers the positions of every batch it is handed. */
function batchRecorder(): SqliteProjection & { batches: number[][] } {
  const batches: number[][] = [];
  return {
    name: 'batch_recorder',
    version: 1,
    handles: ['ConversationStarted', 'MessageReceived'],
    batches,
    reset() {},
    apply(event) {
      batches.push([event.position]);
    },
    applyBatch(events) {
      batches.push(events.map((event) => event.position));
    },
  };
}

async function startConversation(store: EventStore, text = 'Where is my order?'): Promise<number> {
  const id = randomUUID();
  return append(store, `conversation-${id}`, e.started({ conversationId: id, inboxId: INBOX }), e.received({ receivedAt: at(1), text }));
}

function pacedRunner(store: EventStore, options: { batchIntervalMs: number; hurryForWaiters?: boolean }) {
  const db = openDatabase(databaseFile(newDataDir()), { synchronous: 'NORMAL' });
  const projection = batchRecorder();
  const runner = new ProjectionRunner({ db, eventStore: store, logger: silent, projections: [projection], ...options });
  runner.start();
  return {
    runner,
    projection,
    async close() {
      await runner.stop();
      db.close();
    },
  };
}

describe('ProjectionRunner pacing (batchIntervalMs)', () => {
  it('applies an event after a quiet spell at once, and lets the events of the next interval share one batch', async () => {
    const { store } = openEventStore();
    const paced = pacedRunner(store, { batchIntervalMs: 1500 });
    try {
      const first = await startConversation(store);
      // Idle: no interval to wait out.
      expect(await paced.runner.waitFor(first, 1000)).toBe(true);

      const second = await startConversation(store);
      const third = await startConversation(store);
      // Within the interval after the first batch: not applied yet.
      expect(await paced.runner.waitFor(third, 300)).toBe(false);
      expect(await paced.runner.waitFor(third, 5000)).toBe(true);

      const positions = paced.projection.batches;
      expect(positions[0]).toEqual([first - 1, first]);
      // Both conversations arrived during one interval: one batch, one transaction.
      expect(positions.slice(1)).toEqual([[second - 1, second, third - 1, third]]);
    } finally {
      await paced.close();
    }
  });

  it('cuts the interval short for a waiter when it hurries for waiters', async () => {
    const { store } = openEventStore();
    const paced = pacedRunner(store, { batchIntervalMs: 60_000, hurryForWaiters: true });
    try {
      expect(await paced.runner.waitFor(await startConversation(store), 1000)).toBe(true);
      const next = await startConversation(store);
      expect(await paced.runner.waitFor(next, 2000)).toBe(true);
    } finally {
      await paced.close();
    }
  });

  it('stops without waiting out a paced interval, and applies the events it received before it ends', async () => {
    const { store } = openEventStore();
    const paced = pacedRunner(store, { batchIntervalMs: 60_000 });
    const first = await startConversation(store);
    expect(await paced.runner.waitFor(first, 1000)).toBe(true);
    const next = await startConversation(store);
    expect(await paced.runner.waitFor(next, 200)).toBe(false);
    const stopping = performance.now();
    await paced.runner.stop();
    expect(performance.now() - stopping).toBeLessThan(5000);
    // A clean stop leaves the checkpoint at the log's end (a rebuild then equals the live file).
    expect(paced.runner.position()).toBe(next);
    expect(paced.projection.batches).toEqual([
      [first - 1, first],
      [next - 1, next],
    ]);
    await paced.close();
  });
});

/** The projection thread run from the TypeScript sources (the server runs the compiled one). */
const PROJECTION_THREAD = join(__dirname, '../support/projection-thread.worker.js');
const LANES = [
  ['in this thread', false],
  ['in the projection thread', true],
] as const;

describe.each(LANES)('ProjectionLanes %s: the search index in a lane of its own', (_where, threaded) => {
  function openLanes(store: SqliteEventStore, file: string) {
    const db = openDatabase(file, { synchronous: 'NORMAL' });
    // The search lane paced for a minute: only a search's wait can bring it forward.
    const side = createSqliteReadSide({
      db,
      eventStore: store,
      logger: silent,
      intervals: { viewsMs: 0, searchMs: 60_000 },
      thread: threaded ? { file, log: store, level: 'silent', script: PROJECTION_THREAD } : undefined,
    });
    side.runner.start();
    return {
      ...side,
      async close() {
        await side.runner.stop();
        db.close();
      },
    };
  }

  it('answers a command from the views lane while the search lane lags, and a search still finds what was acknowledged', async () => {
    const { store, file } = openEventStore();
    const side = openLanes(store, file);
    try {
      const first = await startConversation(store, 'first words');
      expect(await side.runner.waitFor(first, 2000)).toBe(true);

      const second = await startConversation(store, 'pelican shipment');
      // What a command waits for.
      expect(await side.runner.waitForViews(second, 2000)).toBe(true);
      expect(side.runner.searchPosition()).toBeLessThan(second);
      expect(side.runner.position()).toBeLessThan(second);

      const { filters, sort, limit } = orThrow(parseSearchParameters({ q: 'pelican' }));
      const found = await side.readStore.searchConversations({ inboxId: INBOX, filters, sort, limit });
      expect(found.items).toHaveLength(1);
      expect(side.runner.searchPosition()).toBeGreaterThanOrEqual(second);
      expect(await side.readStore.countConversations({ inboxId: INBOX, filters })).toBe(1);
    } finally {
      await side.close();
    }
  });

  it('waits for both lanes in waitFor (tools and tests that need every read model)', async () => {
    const { store, file } = openEventStore();
    const side = openLanes(store, file);
    try {
      expect(await side.runner.waitFor(await startConversation(store), 2000)).toBe(true);
      const next = await startConversation(store);
      expect(await side.runner.waitFor(next, 2000)).toBe(true);
      expect(side.runner.searchPosition()).toBeGreaterThanOrEqual(next);
    } finally {
      await side.close();
    }
  });
});

describe('ThreadedProjectionLanes', () => {
  it('starts the projection thread again when it ends unasked, and the lanes go on from their checkpoints', async () => {
    const { store, file } = openEventStore();
    const db = openDatabase(file, { synchronous: 'NORMAL' });
    const lines: string[] = [];
    const logger = pino({ level: 'error' }, { write: (line: string) => lines.push(line) });
    const side = createSqliteReadSide({
      db,
      eventStore: store,
      logger,
      intervals: { viewsMs: 0, searchMs: 0 },
      thread: { file, log: store, level: 'silent', script: join(__dirname, '../support/projection-thread-dies-once.worker.js') },
    });
    side.runner.start();
    try {
      const position = await startConversation(store, 'after the restart');
      expect(await side.runner.waitFor(position, 10_000)).toBe(true);
      expect(lines.map((line) => JSON.parse(line) as { msg: string; exitCode: number })).toEqual([
        expect.objectContaining({ msg: 'the projection thread ended; starting it again', exitCode: 3 }),
      ]);
      const { filters, sort, limit } = orThrow(parseSearchParameters({ q: 'restart' }));
      expect((await side.readStore.searchConversations({ inboxId: INBOX, filters, sort, limit })).items).toHaveLength(1);
    } finally {
      await side.runner.stop();
      db.close();
    }
  });
});
