import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { JobContext } from '../../src/application/ports/job-queue.port';
import { openEmbeddedJobQueue, type EmbeddedJobQueue, type EmbeddedJobQueueOptions } from '../../src/infrastructure/jobs/embedded-job-queue';
import { databaseFile, openDatabase } from '../../src/infrastructure/sqlite/open-database';
import { eventually, jobQueueContract } from '../contracts/job-queue.contract';
import { ManualClock } from '../support/app-harness';

function newDataDir(): string {
  return mkdtempSync(join(tmpdir(), 'parley-jobs-'));
}

jobQueueContract('EmbeddedJobQueue (contract)', async () => {
  const dir = newDataDir();
  const queues: EmbeddedJobQueue[] = [];
  return {
    async open() {
      const queue = openEmbeddedJobQueue(databaseFile(dir), { pollIntervalMs: 20 });
      queues.push(queue);
      return queue;
    },
    async teardown() {
      for (const queue of queues) await queue.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

describe('EmbeddedJobQueue (SQLite specifics)', () => {
  let dir: string;
  const queues: EmbeddedJobQueue[] = [];

  beforeEach(() => {
    dir = newDataDir();
  });

  afterEach(async () => {
    for (const queue of queues.splice(0)) await queue.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function open(options: EmbeddedJobQueueOptions = {}): EmbeddedJobQueue {
    const queue = openEmbeddedJobQueue(databaseFile(dir), { pollIntervalMs: 20, ...options });
    queues.push(queue);
    return queue;
  }

  it('keeps its jobs in a `jobs` table of the shared database file, written with synchronous=FULL', async () => {
    const queue = open();
    await queue.enqueue('work', { n: 1 }, { jobId: 'job-1' });

    const db = openDatabase(databaseFile(dir), { synchronous: 'NORMAL', readonly: true });
    try {
      expect(db.prepare(`SELECT id, type, data, state FROM jobs`).all()).toEqual([{ id: 'job-1', type: 'work', data: '{"n":1}', state: 'pending' }]);
    } finally {
      db.close();
    }
    expect((queue as unknown as { db: { pragma(p: string, o: object): unknown } }).db.pragma('synchronous', { simple: true })).toBe(2); // FULL
  });

  it('runs a job again once the lease of an instance that died mid-job has expired', async () => {
    const clock = new ManualClock();
    const leaseMs = 30_000;

    // The first instance takes the job and never finishes it; stop() gives up on it after 20 ms,
    // which leaves the row as a crash would: active, leased, no one renewing.
    const crashed = open({ clock, leaseMs, stopTimeoutMs: 20 });
    const firstAttempt: JobContext[] = [];
    crashed.register('work', async (_data, job) => {
      firstAttempt.push(job);
      await new Promise(() => {}); // hangs for ever
    });
    const { jobId } = await crashed.enqueue('work', { n: 1 }, { attempts: 3 });
    await crashed.start();
    await eventually(() => expect(firstAttempt).toHaveLength(1));
    await crashed.stop();

    const survivor = open({ clock, leaseMs });
    const attempts: JobContext[] = [];
    survivor.register('work', async (_data, job) => {
      attempts.push(job);
    });

    // Still leased: nobody else may take it.
    await survivor.drain();
    expect(attempts).toEqual([]);
    expect(await survivor.job(jobId)).toMatchObject({ state: 'active', attemptsMade: 1 });

    clock.advance(leaseMs + 1);
    await survivor.drain();

    expect(attempts).toEqual([{ jobId, type: 'work', attempt: 2, attempts: 3 }]);
    expect(await survivor.job(jobId)).toMatchObject({ state: 'completed', attemptsMade: 2 });
  });

  it('fails a job whose last attempt died with its worker, naming the expired lease', async () => {
    const clock = new ManualClock();
    const crashed = open({ clock, leaseMs: 1000, stopTimeoutMs: 20 });
    crashed.register('work', () => new Promise(() => {}));
    const { jobId } = await crashed.enqueue('work', {}, { attempts: 1 });
    await crashed.start();
    await eventually(async () => expect((await crashed.job(jobId))?.state).toBe('active'));
    await crashed.stop();

    const survivor = open({ clock });
    let ran = false;
    survivor.register('work', async () => {
      ran = true;
    });
    clock.advance(1001);
    await survivor.drain();

    expect(ran).toBe(false);
    expect(await survivor.job(jobId)).toMatchObject({ state: 'failed', attemptsMade: 1, lastError: expect.stringMatching(/lease expired/) });
  });

  it('renews the lease of a long job, so no other instance takes it', async () => {
    const queue = open({ leaseMs: 60 });
    let release!: () => void;
    const runs: number[] = [];
    queue.register('long', async (_data, job) => {
      runs.push(job.attempt);
      await new Promise<void>((resolve) => (release = resolve));
    });
    const { jobId } = await queue.enqueue('long', {});
    await queue.start();
    await eventually(() => expect(runs).toEqual([1]));

    const other = open({ leaseMs: 60 });
    const stolen: number[] = [];
    other.register('long', async (_data, job) => void stolen.push(job.attempt));
    for (let i = 0; i < 5; i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 40));
      await other.drain();
    }
    release();

    await eventually(async () => expect((await queue.job(jobId))?.state).toBe('completed'));
    expect(stolen).toEqual([]);
    expect(runs).toEqual([1]);
  });

  it('runs what became due when the clock moves, on drain()', async () => {
    const clock = new ManualClock();
    const queue = open({ clock });
    const ran: string[] = [];
    queue.register('remind', async (data) => void ran.push(String(data.what)));
    await queue.enqueue('remind', { what: 'tomorrow' }, { runAt: new Date(clock.now().getTime() + 86_400_000) });

    await queue.drain();
    expect(ran).toEqual([]);
    expect(await queue.counts()).toMatchObject({ delayed: 1, waiting: 0 });

    clock.advance(86_400_000);
    expect(await queue.counts()).toMatchObject({ delayed: 0, waiting: 1 });
    await queue.drain();
    expect(ran).toEqual(['tomorrow']);
  });

  it('prunes completed jobs down to the history it keeps, newest kept', async () => {
    const clock = new ManualClock();
    const queue = open({ clock, keepCompleted: 3 });
    queue.register('work', async () => {});
    for (let i = 0; i < 5; i += 1) {
      await queue.enqueue('work', {}, { jobId: `job-${i}` });
      await queue.drain();
      clock.advance(1000);
    }
    // Pruning runs on start (and after every 100 finished jobs).
    await queue.start();

    expect((await queue.counts()).completed).toBe(3);
    expect(await queue.job('job-0')).toBeNull();
    expect((await queue.job('job-4'))?.state).toBe('completed');
  });

  it('keeps a repeatable job that gave up as a failed copy and runs it again at its next time', async () => {
    const clock = new ManualClock();
    const queue = open({ clock });
    let runs = 0;
    queue.register('tick', async () => {
      runs += 1;
      throw new Error('sweep failed');
    });
    await queue.repeat('tick', {}, { everyMs: 1000, jobId: 'ticker', attempts: 1 });

    clock.advance(1000);
    await queue.drain();

    expect(runs).toBe(1);
    expect(await queue.counts()).toMatchObject({ failed: 1, delayed: 1 });
    expect(await queue.job('ticker')).toMatchObject({ state: 'delayed', attemptsMade: 0 });
    clock.advance(1000);
    await queue.drain();
    expect(runs).toBe(2);
  });

  it('rejects data that is not a JSON object and options out of range, naming them', async () => {
    const queue = open();
    await expect(queue.enqueue('work', [] as never)).rejects.toThrow(/JSON object/);
    await expect(queue.enqueue('work', {}, { attempts: 0 })).rejects.toThrow(/attempts/);
    await expect(queue.enqueue('work', {}, { backoff: { type: 'linear' as never, delayMs: 1 } })).rejects.toThrow(/backoff/);
    await expect(queue.repeat('work', {}, { everyMs: 0, jobId: 'x' })).rejects.toThrow(/everyMs/);
  });
});
