import { randomUUID } from 'node:crypto';
import { PermanentJobError, type JobContext, type JobData, type JobQueue } from '../../src/application/ports/job-queue.port';

/**
 * The executable half of the job queue port's specification (the prose half is
 * src/application/ports/job-queue.port.ts). Every adapter runs all of it, unchanged.
 *
 * Each test gets a fresh store (a new SQLite file, a new Redis key prefix) and may open several
 * queue instances on it, as several processes or a restart would. Timing is only ever asserted
 * as a lower bound ("not before") or as an order; waiting is `eventually`, never a fixed sleep
 * followed by an upper bound.
 */
export interface JobQueueStore {
  /** Another queue instance on this store (the same store on every call). */
  open(): Promise<JobQueue>;
  /** Stops every instance opened and removes the store. */
  teardown(): Promise<void>;
}

const FAST = { type: 'fixed', delayMs: 10 } as const;

export function jobQueueContract(name: string, createStore: () => Promise<JobQueueStore>): void {
  describe(name, () => {
    let store: JobQueueStore;
    const opened: JobQueue[] = [];

    beforeEach(async () => {
      store = await createStore();
    });

    afterEach(async () => {
      for (const queue of opened.splice(0)) await queue.stop();
      await store.teardown();
    });

    async function open(): Promise<JobQueue> {
      const queue = await store.open();
      opened.push(queue);
      return queue;
    }

    /** Records every call of a handler. */
    function recorder(behaviour: (data: JobData, job: JobContext) => Promise<void> | void = () => {}) {
      const calls: Array<{ data: JobData; job: JobContext; at: number }> = [];
      const handler = async (data: JobData, job: JobContext) => {
        calls.push({ data, job, at: Date.now() });
        await behaviour(data, job);
      };
      return { calls, handler };
    }

    describe('running jobs', () => {
      it('runs an enqueued job once, with its JSON data and context', async () => {
        const queue = await open();
        const { calls, handler } = recorder();
        queue.register('greet', handler);
        const data = { name: 'Ana', nested: { list: [1, 'two', null], flag: true } };

        const { jobId, duplicate } = await queue.enqueue('greet', data);
        await queue.start();

        await eventually(async () => expect((await queue.job(jobId))?.state).toBe('completed'));
        expect(duplicate).toBe(false);
        expect(calls).toHaveLength(1);
        expect(calls[0].data).toEqual(data);
        expect(calls[0].job).toEqual({ jobId, type: 'greet', attempt: 1, attempts: expect.any(Number) });
        expect(await queue.job(jobId)).toEqual({ jobId, type: 'greet', data, state: 'completed', attemptsMade: 1, lastError: null });
        expect(await queue.counts()).toEqual({ waiting: 0, delayed: 0, active: 0, completed: 1, failed: 0 });
      });

      it('runs jobs enqueued while it is running', async () => {
        const queue = await open();
        const { calls, handler } = recorder();
        queue.register('greet', handler);
        await queue.start();

        const ids = [];
        for (let i = 0; i < 3; i += 1) ids.push((await queue.enqueue('greet', { i })).jobId);

        await eventually(() => expect(calls).toHaveLength(3));
        expect(calls.map((c) => c.data.i).sort()).toEqual([0, 1, 2]);
        expect(new Set(ids).size).toBe(3);
      });

      it('refuses a second handler for a type, and registration after start', async () => {
        const queue = await open();
        queue.register('one', async () => {});
        expect(() => queue.register('one', async () => {})).toThrow(/already registered/);
        await queue.start();
        expect(() => queue.register('two', async () => {})).toThrow(/before start/);
      });
    });

    describe('deduplication by jobId', () => {
      it('stores a jobId once while it is pending, and runs the first data only', async () => {
        const queue = await open();
        const { calls, handler } = recorder();
        queue.register('send', handler);
        const jobId = `send-${randomUUID()}`;

        const first = await queue.enqueue('send', { n: 1 }, { jobId });
        const second = await queue.enqueue('send', { n: 2 }, { jobId });
        expect(await queue.counts()).toMatchObject({ waiting: 1, delayed: 0 });
        await queue.start();

        await eventually(async () => expect((await queue.job(jobId))?.state).toBe('completed'));
        expect(first).toEqual({ jobId, duplicate: false });
        expect(second).toEqual({ jobId, duplicate: true });
        expect(calls.map((c) => c.data)).toEqual([{ n: 1 }]);
      });

      it('treats a jobId that already ran (still in the history) as a duplicate too', async () => {
        const queue = await open();
        const { calls, handler } = recorder();
        queue.register('send', handler);
        await queue.start();
        const jobId = `send-${randomUUID()}`;
        await queue.enqueue('send', { n: 1 }, { jobId });
        await eventually(async () => expect((await queue.job(jobId))?.state).toBe('completed'));

        const again = await queue.enqueue('send', { n: 2 }, { jobId });

        expect(again).toEqual({ jobId, duplicate: true });
        expect(await queue.counts()).toMatchObject({ waiting: 0, delayed: 0, active: 0, completed: 1 });
        expect(calls).toHaveLength(1);
      });

      it('dedupes a delayed job', async () => {
        const queue = await open();
        const jobId = `later-${randomUUID()}`;
        await queue.enqueue('later', {}, { jobId, delayMs: 60_000 });
        expect(await queue.enqueue('later', {}, { jobId, delayMs: 10 })).toEqual({ jobId, duplicate: true });
        expect(await queue.counts()).toMatchObject({ waiting: 0, delayed: 1 });
        expect(await queue.job(jobId)).toMatchObject({ state: 'delayed', attemptsMade: 0, lastError: null });
      });

      it('counts a job due now as waiting and a job due later as delayed', async () => {
        const queue = await open();
        await queue.enqueue('step', {});
        await queue.enqueue('step', {}, { runAt: new Date(Date.now() + 60_000) });
        await queue.enqueue('step', {}, { delayMs: 60_000 });
        expect(await queue.counts()).toEqual({ waiting: 1, delayed: 2, active: 0, completed: 0, failed: 0 });
      });
    });

    describe('delayed jobs', () => {
      it('runs a delayed job not before its time, after an immediate one, and exactly once', async () => {
        const queue = await open();
        const { calls, handler } = recorder();
        queue.register('step', handler);
        await queue.start();

        const enqueuedAt = Date.now();
        const delayed = await queue.enqueue('step', { name: 'delayed' }, { delayMs: 150 });
        await queue.enqueue('step', { name: 'now' });

        await eventually(async () => expect((await queue.job(delayed.jobId))?.state).toBe('completed'));
        expect(calls.map((c) => c.data.name)).toEqual(['now', 'delayed']);
        expect(calls[1].at).toBeGreaterThanOrEqual(enqueuedAt + 150);
        expect((await queue.counts()).completed).toBe(2);
      });

      it('runs a job at runAt (a past runAt means now)', async () => {
        const queue = await open();
        const { calls, handler } = recorder();
        queue.register('step', handler);
        const runAt = new Date(Date.now() + 120);
        const scheduled = await queue.enqueue('step', { name: 'scheduled' }, { runAt: runAt.toISOString() });
        const overdue = await queue.enqueue('step', { name: 'overdue' }, { runAt: new Date(Date.now() - 60_000) });
        await queue.start();

        await eventually(async () => expect((await queue.job(scheduled.jobId))?.state).toBe('completed'));
        expect((await queue.job(overdue.jobId))?.state).toBe('completed');
        expect(calls.map((c) => c.data.name)).toEqual(['overdue', 'scheduled']);
        expect(calls[1].at).toBeGreaterThanOrEqual(runAt.getTime());
      });
    });

    describe('retries', () => {
      it('retries with backoff until an attempt succeeds; the handler sees the attempt numbers', async () => {
        const queue = await open();
        const failedAt: number[] = [];
        const { calls, handler } = recorder((_data, job) => {
          if (job.attempt < 3) {
            failedAt.push(Date.now());
            throw new Error(`flaky ${job.attempt}`);
          }
        });
        queue.register('flaky', handler);
        await queue.start();

        const { jobId } = await queue.enqueue('flaky', {}, { attempts: 4, backoff: { type: 'exponential', delayMs: 30 } });

        await eventually(async () => expect((await queue.job(jobId))?.state).toBe('completed'));
        expect(calls.map((c) => [c.job.attempt, c.job.attempts])).toEqual([
          [1, 4],
          [2, 4],
          [3, 4],
        ]);
        // exponential: 30 ms after the first failure, 60 ms after the second (never earlier)
        expect(calls[1].at).toBeGreaterThanOrEqual(failedAt[0] + 30);
        expect(calls[2].at).toBeGreaterThanOrEqual(failedAt[1] + 60);
        expect(await queue.job(jobId)).toMatchObject({ state: 'completed', attemptsMade: 3, lastError: 'flaky 2' });
      });

      it('waits the same time before every retry with fixed backoff', async () => {
        const queue = await open();
        const failedAt: number[] = [];
        const { calls, handler } = recorder((_data, job) => {
          if (job.attempt < 3) {
            failedAt.push(Date.now());
            throw new Error('not yet');
          }
        });
        queue.register('flaky', handler);
        await queue.start();

        const { jobId } = await queue.enqueue('flaky', {}, { attempts: 3, backoff: { type: 'fixed', delayMs: 40 } });

        await eventually(async () => expect((await queue.job(jobId))?.state).toBe('completed'));
        expect(calls[1].at).toBeGreaterThanOrEqual(failedAt[0] + 40);
        expect(calls[2].at).toBeGreaterThanOrEqual(failedAt[1] + 40);
      });

      it('keeps a job whose attempts ran out as failed, with its last error', async () => {
        const queue = await open();
        const { calls, handler } = recorder((_data, job) => {
          throw new Error(`boom ${job.attempt}`);
        });
        queue.register('doomed', handler);
        await queue.start();

        const { jobId } = await queue.enqueue('doomed', { x: 1 }, { attempts: 3, backoff: FAST });

        await eventually(async () => expect((await queue.job(jobId))?.state).toBe('failed'));
        expect(calls.map((c) => c.job.attempt)).toEqual([1, 2, 3]);
        expect(await queue.job(jobId)).toEqual({ jobId, type: 'doomed', data: { x: 1 }, state: 'failed', attemptsMade: 3, lastError: 'boom 3' });
        expect(await queue.counts()).toMatchObject({ waiting: 0, delayed: 0, active: 0, completed: 0, failed: 1 });
      });

      it('fails a job at once, without a retry, when the handler throws PermanentJobError', async () => {
        const queue = await open();
        const { calls, handler } = recorder(() => {
          throw new PermanentJobError('the address bounced for good');
        });
        queue.register('deliver', handler);
        await queue.start();

        const { jobId } = await queue.enqueue('deliver', {}, { attempts: 5, backoff: FAST });

        await eventually(async () => expect((await queue.job(jobId))?.state).toBe('failed'));
        expect(calls).toHaveLength(1);
        expect(await queue.job(jobId)).toMatchObject({ state: 'failed', attemptsMade: 1, lastError: 'the address bounced for good' });
        expect(await queue.counts()).toMatchObject({ waiting: 0, delayed: 0, failed: 1 });
      });
    });

    describe('observing attempts', () => {
      it('reports each attempt as retrying, failed or completed, to observers added before or after register', async () => {
        const queue = await open();
        const early: string[] = [];
        queue.observe(({ type, outcome }) => early.push(`${type}:${outcome}`));
        queue.register('flaky', async (_data, job) => {
          if (job.attempt < 2) throw new Error('not yet');
        });
        queue.register('doomed', async () => {
          throw new PermanentJobError('never');
        });
        const late: string[] = [];
        queue.observe(({ type, outcome }) => late.push(`${type}:${outcome}`));
        queue.observe(() => {
          throw new Error('a broken observer changes nothing');
        });
        await queue.start();

        const flaky = await queue.enqueue('flaky', {}, { attempts: 3, backoff: FAST });
        const doomed = await queue.enqueue('doomed', {}, { attempts: 3, backoff: FAST });

        await eventually(async () => expect((await queue.job(flaky.jobId))?.state).toBe('completed'));
        await eventually(async () => expect((await queue.job(doomed.jobId))?.state).toBe('failed'));
        expect(early.filter((e) => e.startsWith('flaky'))).toEqual(['flaky:retrying', 'flaky:completed']);
        expect(early.filter((e) => e.startsWith('doomed'))).toEqual(['doomed:failed']);
        expect([...late].sort()).toEqual([...early].sort());
      });
    });

    describe('repeatable jobs', () => {
      it('runs a repeatable job again and again, each run after the previous one', async () => {
        const queue = await open();
        const { calls, handler } = recorder();
        queue.register('tick', handler);
        await queue.repeat('tick', { what: 'tick' }, { everyMs: 40, jobId: 'ticker' });
        await queue.start();

        await eventually(() => expect(calls.length).toBeGreaterThanOrEqual(3));
        expect(calls.every((c) => c.data.what === 'tick' && c.job.type === 'tick')).toBe(true);
        for (let i = 1; i < calls.length; i += 1) expect(calls[i].at).toBeGreaterThanOrEqual(calls[i - 1].at);
      });

      it('keeps one schedule per jobId however often, and from however many instances, it is registered', async () => {
        const first = await open();
        const second = await open();

        await first.repeat('sweep', {}, { everyMs: 60_000, jobId: 'sweeper' });
        await first.repeat('sweep', {}, { everyMs: 60_000, jobId: 'sweeper' });
        await second.repeat('sweep', {}, { everyMs: 60_000, jobId: 'sweeper' });
        expect(await second.counts()).toMatchObject({ waiting: 0, delayed: 1 });

        // A new period replaces the schedule instead of adding one.
        await second.repeat('sweep', {}, { everyMs: 120_000, jobId: 'sweeper' });
        expect(await first.counts()).toMatchObject({ waiting: 0, delayed: 1 });

        // Another jobId is another schedule.
        await first.repeat('sweep', {}, { everyMs: 60_000, jobId: 'other-sweeper' });
        expect(await first.counts()).toMatchObject({ waiting: 0, delayed: 2 });
      });

      it('leaves exactly one next run scheduled after running (re-registered on a restart)', async () => {
        const queue = await open();
        const { calls, handler } = recorder();
        queue.register('tick', handler);
        await queue.repeat('tick', {}, { everyMs: 30, jobId: 'ticker' });
        await queue.start();
        await eventually(() => expect(calls.length).toBeGreaterThanOrEqual(2));
        await queue.stop();

        const restarted = await open();
        await restarted.repeat('tick', {}, { everyMs: 30, jobId: 'ticker' });
        const counts = await restarted.counts();
        expect(counts.waiting + counts.delayed).toBe(1);
        expect(counts.active).toBe(0);
      });
    });

    describe('concurrency', () => {
      it('runs at most `concurrency` jobs of a type at once, per type', async () => {
        const queue = await open();
        const active = { wide: 0, narrow: 0 };
        const peak = { wide: 0, narrow: 0 };
        const done: string[] = [];
        const track = (type: 'wide' | 'narrow') => async () => {
          active[type] += 1;
          peak[type] = Math.max(peak[type], active[type]);
          await sleep(30);
          active[type] -= 1;
          done.push(type);
        };
        queue.register('wide', track('wide'), { concurrency: 2 });
        queue.register('narrow', track('narrow'));
        for (let i = 0; i < 5; i += 1) await queue.enqueue('wide', { i });
        for (let i = 0; i < 3; i += 1) await queue.enqueue('narrow', { i });

        await queue.start();

        await eventually(() => expect(done).toHaveLength(8));
        expect(peak).toEqual({ wide: 2, narrow: 1 });
      });
    });

    describe('stopping and crashing', () => {
      it('stop() waits for the active job to finish', async () => {
        const queue = await open();
        let started = false;
        let finished = false;
        queue.register('slow', async () => {
          started = true;
          await sleep(80);
          finished = true;
        });
        await queue.start();
        const { jobId } = await queue.enqueue('slow', {});
        await eventually(() => expect(started).toBe(true));

        await queue.stop();

        expect(finished).toBe(true);
        const observer = await open();
        expect((await observer.job(jobId))?.state).toBe('completed');
      });

      it('runs, on a new instance, the jobs an instance accepted but never ran', async () => {
        const crashed = await open();
        const now = await crashed.enqueue('work', { n: 1 });
        const later = await crashed.enqueue('work', { n: 2 }, { delayMs: 50 });
        await crashed.stop(); // gone without running anything: what a crash leaves behind

        const restarted = await open();
        const { calls, handler } = recorder();
        restarted.register('work', handler);
        await restarted.start();

        await eventually(async () => {
          expect((await restarted.job(now.jobId))?.state).toBe('completed');
          expect((await restarted.job(later.jobId))?.state).toBe('completed');
        });
        expect(calls.map((c) => c.data.n).sort()).toEqual([1, 2]);
      });
    });
  });
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Retries an assertion until it holds (every 10 ms, up to `timeoutMs`), then fails with its last error. */
export async function eventually(assertion: () => unknown, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await assertion();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await sleep(10);
    }
  }
}
