import { randomUUID } from 'node:crypto';
import type { Database } from 'better-sqlite3';
import pino from 'pino';
import type { EventStore } from '../../src/application/ports/event-store.port';
import type { SqliteProjection } from '../../src/projections/projection';
import { ProjectionRunner } from '../../src/projections/projection-runner';
import { sqliteProjections } from '../../src/projections/sqlite';
import { conversationsProjection } from '../../src/projections/sqlite/conversations.projection';
import {
  agentEvent,
  append,
  at,
  capturingLogger,
  cleanUp,
  cleanUpTempDirs,
  conversationEvent as e,
  dumpReadModels,
  newEvent,
  openEventStore,
  openLiveSystem,
  openReadSide,
} from './fixtures';

afterEach(cleanUp);
afterAll(cleanUpTempDirs);

const INBOX = 'inbox-1';
const silent = pino({ level: 'silent' });

async function startConversation(store: EventStore, receivedAt = at(1)): Promise<{ id: string; position: number }> {
  const id = randomUUID();
  const position = await append(store, `conversation-${id}`, e.started({ conversationId: id, inboxId: INBOX }), e.received({ receivedAt }));
  return { id, position };
}

function checkpoints(db: Database): Record<string, { version: number; position: number }> {
  const rows = db.prepare('SELECT name, version, position FROM projection_checkpoints').all() as Array<{ name: string; version: number; position: number }>;
  return Object.fromEntries(rows.map(({ name, version, position }) => [name, { version, position }]));
}

function unassignedCount(db: Database): number {
  const row = db.prepare(`SELECT count FROM view_counts WHERE inbox_id = ? AND view_id = 'unassigned' AND agent_id = ''`).get(INBOX) as
    { count: number } | undefined;
  return row?.count ?? 0;
}

/** Records every event it is given, and fails while `failing` says so. */
function recordingProjection(name: string, failing: () => boolean = () => false): SqliteProjection {
  return {
    name,
    version: 1,
    handles: ['ConversationStarted', 'MessageReceived'],
    reset(tx) {
      tx.exec(`DROP TABLE IF EXISTS test_${name}; CREATE TABLE test_${name} (position INTEGER NOT NULL)`);
    },
    apply(event, tx) {
      if (failing()) throw new Error('disk on fire');
      tx.prepare(`INSERT INTO test_${name} (position) VALUES (?)`).run(event.position);
    },
  };
}

/** Resubscribes from position 0 whatever it is asked: an at-least-once subscription at its worst. */
function redelivering(store: EventStore): EventStore {
  return Object.assign(Object.create(store) as EventStore, {
    subscribeAll: (options: { after: number; signal?: AbortSignal }) => store.subscribeAll({ ...options, after: 0 }),
  });
}

describe('ProjectionRunner', () => {
  it('applies the log and stores every checkpoint with the last position', async () => {
    const live = openLiveSystem();
    await startConversation(live.store);
    const { position } = await startConversation(live.store);
    await live.caughtUp();

    expect(live.runner.position()).toBe(position);
    for (const projection of sqliteProjections) {
      expect(checkpoints(live.db)[projection.name]).toEqual({ version: projection.version, position });
    }
    expect(unassignedCount(live.db)).toBe(2);
  });

  it('applies a backlog larger than a batch exactly once, in log order', async () => {
    const { store, file } = openEventStore();
    for (let i = 0; i < 30; i += 1) await startConversation(store);
    const { db } = openReadSide(file, store);
    const runner = new ProjectionRunner({ db, eventStore: store, projections: [recordingProjection('recorder')], logger: silent, batchSize: 7 });
    runner.start();
    try {
      expect(await runner.waitFor(await store.headPosition(), 5000)).toBe(true);
    } finally {
      await runner.stop();
    }
    const positions = db.prepare('SELECT position FROM test_recorder ORDER BY rowid').pluck().all() as number[];
    expect(positions).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
  });

  describe('waitFor', () => {
    it('is true at once for a position already applied', async () => {
      const live = openLiveSystem();
      const { position } = await startConversation(live.store);
      await live.caughtUp();
      expect(await live.runner.waitFor(position, 0)).toBe(true);
      expect(await live.runner.waitFor(0, 0)).toBe(true);
    });

    it('resolves as soon as the position is applied', async () => {
      const live = openLiveSystem();
      const waiting = live.runner.waitFor(2, 5000);
      await startConversation(live.store);
      expect(await waiting).toBe(true);
      expect(unassignedCount(live.db)).toBe(1);
    });

    it('is false after the timeout when the position is not reached', async () => {
      const live = openLiveSystem();
      await live.runner.stop();
      await startConversation(live.store);
      const started = Date.now();
      expect(await live.runner.waitFor(2, 50)).toBe(false);
      expect(Date.now() - started).toBeGreaterThanOrEqual(45);
    });
  });

  it('resumes after stop/start from its checkpoint, without applying anything twice', async () => {
    const live = openLiveSystem();
    await startConversation(live.store);
    await live.caughtUp();
    await live.runner.stop();

    const { position } = await startConversation(live.store);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(unassignedCount(live.db)).toBe(1);
    expect(live.runner.position()).toBeLessThan(position);

    live.runner.start();
    expect(await live.runner.waitFor(position, 5000)).toBe(true);
    expect(unassignedCount(live.db)).toBe(2);
    const membershipRows = live.db.prepare(`SELECT COUNT(*) AS n FROM view_membership WHERE view_id = 'unassigned'`).get() as { n: number };
    expect(membershipRows.n).toBe(2);
  });

  it('skips events at or below the stored checkpoint, so a redelivering subscription never double-applies', async () => {
    const live = openLiveSystem();
    await live.runner.stop();
    // The recorder is not idempotent by itself: only the runner's checkpoint guard protects it.
    const projections = [...sqliteProjections, recordingProjection('recorder')];
    const first = new ProjectionRunner({ db: live.db, eventStore: live.store, projections, logger: silent });
    first.start();
    const { id } = await startConversation(live.store);
    await append(live.store, `conversation-${id}`, e.assigned({ type: 'agent', id: 'a1' }), e.closed());
    const { position } = await startConversation(live.store);
    expect(await first.waitFor(position, 5000)).toBe(true);
    await first.stop();
    const before = dumpReadModels(live.db);

    const replaying = new ProjectionRunner({ db: live.db, eventStore: redelivering(live.store), projections, logger: silent });
    replaying.start();
    try {
      // An event no projection handles: once it is applied, every redelivered one before it was seen.
      const marker = await append(live.store, 'agent-email-x@example.com', newEvent('AgentEmailClaimed', { email: 'x@example.com', agentId: 'a9' }));
      expect(await replaying.waitFor(marker, 5000)).toBe(true);
    } finally {
      await replaying.stop();
    }
    expect(dumpReadModels(live.db)).toEqual(before);
    expect(live.db.prepare('SELECT position FROM test_recorder ORDER BY rowid').pluck().all()).toEqual([1, 2, 5, 6]);
  });

  it('a version bump resets that projection and rebuilds it from position 0; the others are kept', async () => {
    const live = openLiveSystem();
    await append(live.store, 'agent-a1', agentEvent.registered('a1', 'Ana', 'ana@acme.test'));
    await startConversation(live.store);
    await startConversation(live.store);
    await live.caughtUp();
    await live.runner.stop();
    const before = dumpReadModels(live.db);

    live.db.exec(`UPDATE view_counts SET count = 999; UPDATE rm_agents SET name = 'kept as is'`);
    const bumped = sqliteProjections.map((p) => (p === conversationsProjection ? { ...p, version: p.version + 1 } : p));
    const { logger, lines } = capturingLogger();
    const runner = new ProjectionRunner({ db: live.db, eventStore: live.store, projections: bumped, logger });
    runner.start();
    try {
      expect(await runner.waitFor(await live.store.headPosition(), 5000)).toBe(true);
    } finally {
      await runner.stop();
    }

    const after = dumpReadModels(live.db);
    expect(after.view_counts).toEqual(before.view_counts);
    expect(after.view_membership).toEqual(before.view_membership);
    expect(after.rm_conversations).toEqual(before.rm_conversations);
    expect(live.db.prepare('SELECT name FROM rm_agents').pluck().all()).toEqual(['kept as is']);
    expect(checkpoints(live.db).conversations.version).toBe(conversationsProjection.version + 1);
    // One start-up line names every projection it (re)creates.
    expect(lines).toContainEqual(
      expect.objectContaining({
        projections: expect.arrayContaining([
          { projection: 'conversations', storedVersion: conversationsProjection.version, version: conversationsProjection.version + 1 },
        ]),
      }),
    );
  });

  it('a failing projection rolls back the whole batch, logs, retries with backoff and never skips', async () => {
    const live = openLiveSystem();
    await live.runner.stop();
    let failing = true;
    const { logger, lines } = capturingLogger();
    const runner = new ProjectionRunner({
      db: live.db,
      eventStore: live.store,
      projections: [...sqliteProjections, recordingProjection('flaky', () => failing)],
      logger,
      retryDelayMs: { initial: 5, max: 20 },
    });
    runner.start();
    try {
      const { position } = await startConversation(live.store);
      const failures = () => lines.filter((l) => l.projection === 'flaky' && l.level === 50);
      while (failures().length < 3) await new Promise((resolve) => setTimeout(resolve, 5));

      // Nothing of the failing batch is visible: not the other projections' rows, not a checkpoint.
      expect(unassignedCount(live.db)).toBe(0);
      expect(runner.position()).toBe(0);
      const [failure, second] = failures();
      expect(failure).toMatchObject({ level: 50, position: 1, eventType: 'ConversationStarted', err: { message: 'disk on fire' } });
      expect(second.retryInMs).toBeGreaterThan(failure.retryInMs as number);

      failing = false;
      expect(await runner.waitFor(position, 5000)).toBe(true);
      expect(live.db.prepare('SELECT position FROM test_flaky ORDER BY position').pluck().all()).toEqual([1, 2]);
      expect(unassignedCount(live.db)).toBe(1);
    } finally {
      await runner.stop();
    }
  });

  it('stop() returns promptly while a batch is failing, and the batch is applied after the next start', async () => {
    const live = openLiveSystem();
    await live.runner.stop();
    let failing = true;
    const flaky = recordingProjection('flaky', () => failing);
    const runner = new ProjectionRunner({
      db: live.db,
      eventStore: live.store,
      projections: [flaky],
      logger: silent,
      retryDelayMs: { initial: 10_000, max: 10_000 },
    });
    runner.start();
    const { position } = await startConversation(live.store);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const stopping = Date.now();
    await runner.stop();
    expect(Date.now() - stopping).toBeLessThan(5000); // the failing batch's 10 s backoff is cut short, not waited out

    failing = false;
    runner.start();
    try {
      expect(await runner.waitFor(position, 5000)).toBe(true);
    } finally {
      await runner.stop();
    }
    expect(live.db.prepare('SELECT position FROM test_flaky ORDER BY position').pluck().all()).toEqual([1, 2]);
  });
});
