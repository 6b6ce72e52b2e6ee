import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RecordedEvent } from '../../src/application/ports/event-store.port';
import type { ProcessManager } from '../../src/application/process-managers/process-manager';
import { ProcessManagerRunner } from '../../src/application/process-managers/process-manager-runner';
import { SqliteEventStore } from '../../src/infrastructure/event-store/sqlite-event-store';
import { databaseFile, openDatabase } from '../../src/infrastructure/sqlite/open-database';

/** The runner reads the log once for all managers; each must still see its events alone, in order, from its checkpoint. */
describe('ProcessManagerRunner', () => {
  let dir: string;
  let store: SqliteEventStore;
  let close: () => void;
  const saved = new Map<string, number>();
  const checkpoints = {
    getProcessorCheckpoint: (name: string) => saved.get(name) ?? 0,
    saveProcessorCheckpoint: (name: string, position: number) => void saved.set(name, position),
  };
  const logs: Array<{ level: string; fields: object; message: string }> = [];
  const logger = {
    info: (fields: object, message: string) => void logs.push({ level: 'info', fields, message }),
    warn: (fields: object, message: string) => void logs.push({ level: 'warn', fields, message }),
    error: (fields: object, message: string) => void logs.push({ level: 'error', fields, message }),
    debug: (fields: object, message: string) => void logs.push({ level: 'debug', fields, message }),
  };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'parley-pm-runner-'));
    const db = openDatabase(databaseFile(dir), { synchronous: 'FULL' });
    store = new SqliteEventStore(db, { pollIntervalMs: 20 });
    close = () => {
      void store.close();
      db.close();
    };
    saved.clear();
    logs.length = 0;
  });

  afterEach(() => {
    close();
    rmSync(dir, { recursive: true, force: true });
  });

  const append = async (type: string, n = 1) => {
    for (let i = 0; i < n; i += 1) {
      await store.append(
        `s-${randomUUID()}`,
        [
          {
            id: randomUUID(),
            type,
            data: { i },
            metadata: { actor: { type: 'system' }, occurredAt: new Date(0).toISOString(), correlationId: 'c', causationId: 'c' },
          },
        ],
        { expectedRevision: 'no-stream' },
      );
    }
  };

  function recorder(name: string, handles: string[], behaviour: (event: RecordedEvent) => Promise<void> = async () => undefined) {
    const seen: number[] = [];
    const manager: ProcessManager = {
      name,
      handles,
      handle: async (event) => {
        await behaviour(event);
        seen.push(event.position);
      },
    };
    return { manager, seen };
  }

  const until = async (check: () => boolean, ms = 5000) => {
    const deadline = Date.now() + ms;
    while (!check()) {
      if (Date.now() > deadline) throw new Error('timed out');
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  };

  it('gives each manager the events it handles, once, in log order, and records its checkpoint', async () => {
    await append('A');
    await append('B');
    const runner = new ProcessManagerRunner(store, checkpoints, logger);
    const a = recorder('a', ['A']);
    const b = recorder('b', ['B', 'A']);
    runner.start([a.manager, b.manager]);
    await append('A');
    await append('C', 3);
    await append('B');
    await until(() => a.seen.length === 2 && b.seen.length === 4);
    expect(a.seen).toEqual([1, 3]);
    expect(b.seen).toEqual([1, 2, 3, 7]);
    await runner.stop();
    expect(saved.get('a')).toBe(7); // passed-over events are recorded on stopping
    expect(saved.get('b')).toBe(7);
  });

  it('writes the checkpoints that moved together, once per short while rather than per handled event', async () => {
    const writes: Array<Array<readonly [string, number]>> = [];
    const batched = {
      ...checkpoints,
      saveProcessorCheckpoint: () => {
        throw new Error('one by one');
      },
      saveProcessorCheckpoints: (entries: ReadonlyArray<readonly [string, number]>) => {
        writes.push([...entries]);
        for (const [name, position] of entries) saved.set(name, position);
      },
    };
    const runner = new ProcessManagerRunner(store, batched, logger);
    const a = recorder('a', ['A']);
    const b = recorder('b', ['A']);
    runner.start([a.manager, b.manager]);
    await append('A', 3);
    await until(() => a.seen.length === 3 && b.seen.length === 3);
    // Written soon after, without stopping (a crash then would hand these events again: they are idempotent).
    await until(() => saved.get('a') === 3 && saved.get('b') === 3);
    expect(writes.length).toBeLessThan(6);
    expect(writes.some((entries) => entries.length === 2)).toBe(true);
    await runner.stop();
  });

  it('a busy lane waits for its checkpoint to be written every 50 handled events', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let first = true;
    const busy = recorder('busy', ['A'], async () => {
      if (first) {
        first = false;
        await gate; // the lane fills up behind the first event
      }
    });
    const runner = new ProcessManagerRunner(store, checkpoints, logger);
    runner.start([busy.manager]);
    await append('A', 120);
    await until(() => !first);
    await new Promise((resolve) => setTimeout(resolve, 300)); // the log is read into the lane
    const written: number[] = [];
    const original = checkpoints.saveProcessorCheckpoint;
    checkpoints.saveProcessorCheckpoint = (name: string, position: number) => {
      written.push(position);
      original(name, position);
    };
    try {
      release();
      await until(() => busy.seen.length === 120);
      await until(() => saved.get('busy') === 120);
      expect(written.slice(0, 2)).toEqual([50, 100]);
    } finally {
      checkpoints.saveProcessorCheckpoint = original;
    }
    await runner.stop();
  });

  it('starts each manager after its own stored checkpoint', async () => {
    await append('A', 4);
    saved.set('late', 0);
    saved.set('ahead', 3);
    const runner = new ProcessManagerRunner(store, checkpoints, logger);
    const late = recorder('late', ['A']);
    const ahead = recorder('ahead', ['A']);
    runner.start([late.manager, ahead.manager]);
    await until(() => late.seen.length === 4 && ahead.seen.length === 1);
    expect(ahead.seen).toEqual([4]);
    await runner.stop();
  });

  it('a manager that is retrying holds back only itself', async () => {
    let failures = 2;
    const slow = recorder('slow', ['A'], async () => {
      if (failures-- > 0) throw new Error('storage busy');
    });
    const quick = recorder('quick', ['A']);
    const runner = new ProcessManagerRunner(store, checkpoints, logger);
    runner.start([slow.manager, quick.manager]);
    await append('A', 3);
    await until(() => quick.seen.length === 3);
    expect(slow.seen.length).toBeLessThan(3); // still backing off (100 ms, then 200 ms)
    await until(() => slow.seen.length === 3);
    expect(slow.seen).toEqual([1, 2, 3]);
    expect(logs.filter((l) => l.message === 'process manager failed on an event; retrying')).toHaveLength(2);
    await runner.stop();
  });

  it('a manager that falls too far behind reads the log on its own and misses nothing', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const stuck = recorder('stuck', ['A'], () => gate);
    const quick = recorder('quick', ['A']);
    const runner = new ProcessManagerRunner(store, checkpoints, logger);
    runner.laneLimit = 5;
    runner.start([stuck.manager, quick.manager]);
    await append('A', 12);
    await until(() => quick.seen.length === 12);
    expect(logs.some((l) => l.message.startsWith('process manager fell far behind'))).toBe(true);
    release();
    await until(() => stuck.seen.length === 12);
    expect(stuck.seen).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    await append('A');
    await until(() => stuck.seen.length === 13 && quick.seen.length === 13);
    await runner.stop();
    expect(saved.get('stuck')).toBe(13);
  });

  it('stops while a handler waits, and hands that event again to the next start', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let first = true;
    const waiting = recorder('waiting', ['A'], async () => {
      if (first) {
        first = false;
        await gate;
        throw new Error('interrupted');
      }
    });
    const runner = new ProcessManagerRunner(store, checkpoints, logger);
    runner.start([waiting.manager]);
    await append('A');
    await until(() => !first);
    const stopping = runner.stop();
    release();
    await stopping;
    expect(waiting.seen).toEqual([]);
    expect(saved.get('waiting') ?? 0).toBe(0);
    runner.start([waiting.manager]);
    await until(() => waiting.seen.length === 1);
    expect(waiting.seen).toEqual([1]);
    await runner.stop();
  });

  it('a manager with concurrency gets the queued events in runs, the checkpoint past a run once all are done, and a failed one again alone, in order', async () => {
    const started: number[] = [];
    const finished: number[] = [];
    let running = 0;
    let mostAtOnce = 0;
    let failOnce = true;
    let release!: () => void;
    const first = new Promise<void>((resolve) => (release = resolve));
    const manager: ProcessManager = {
      name: 'runs',
      handles: ['A'],
      concurrency: 4,
      handle: async (event) => {
        started.push(event.position);
        running += 1;
        mostAtOnce = Math.max(mostAtOnce, running);
        try {
          await (event.position === 1 ? first : new Promise((resolve) => setTimeout(resolve, 10)));
          if (event.position === 5 && failOnce) {
            failOnce = false;
            throw new Error('storage busy');
          }
          finished.push(event.position);
        } finally {
          running -= 1;
        }
      },
    };
    const runner = new ProcessManagerRunner(store, checkpoints, logger);
    runner.start([manager]);
    await append('A');
    await until(() => started.length === 1);
    // Queued while the first is handled: a passed event, then eight handled ones (positions 3 to 10).
    await append('B');
    await append('A', 8);
    await new Promise((resolve) => setTimeout(resolve, 200));
    release();
    await until(() => finished.length === 9);
    expect(mostAtOnce).toBe(4);
    // Runs of four, each call right after the other; 5 failed in its run and was handed again on its own after the others of it.
    expect(started).toEqual([1, 3, 4, 5, 6, 5, 7, 8, 9, 10]);
    expect(finished).toEqual([1, 3, 4, 6, 5, 7, 8, 9, 10]);
    expect(logs.map((l) => l.message)).toContain('process manager failed on an event handed over with others; handing it again on its own');
    await until(() => saved.get('runs') === 10);
    await runner.stop();
  });
});
