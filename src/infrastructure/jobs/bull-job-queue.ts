import { Inject, Injectable } from '@nestjs/common';
import { InjectQueue } from '@nestjs/bull';
import Bull, { type Job, type JobOptions, type Queue, type QueueOptions } from 'bull';
import { systemClock, type Clock } from '../../application/ports/clock.port';
import { StoreUnavailableError } from '../../application/ports/event-store.port';
import {
  observedHandler,
  type JobAttemptObserver,
  checkJobOptions,
  DEFAULT_ATTEMPTS,
  DEFAULT_BACKOFF,
  PermanentJobError,
  type Backoff,
  type EnqueueOptions,
  type EnqueueResult,
  type JobCounts,
  type JobData,
  type JobHandlerFn,
  type JobInfo,
  type JobQueue,
  type RegisterOptions,
  type RepeatOptions,
} from '../../application/ports/job-queue.port';
import type { AppLogger } from '../../application/ports/logger.port';
import { maskUrlPassword } from '../config/config';

/**
 * The job queue port on Bull (Redis), for several Parley instances sharing one queue.
 *
 * - One Bull queue ("jobs"); each job type is a named job, run with `queue.process(type,
 *   concurrency, fn)`. Bull adds the concurrencies of all named processors up into one pool of
 *   workers that take any job, so a per-type slot limit here keeps each type within its own.
 * - jobId -> Bull's jobId: Bull keeps one job per id (waiting, delayed, active, or in the kept
 *   history), which is the port's deduplication.
 * - delay/runAt -> `delay`; attempts + backoff -> Bull's (exponential is the port's doubling,
 *   a custom strategy); repeat -> `repeat: { every }` with the jobId, so Bull keeps one schedule.
 * - PermanentJobError -> `job.discard()`, then the error: Bull fails it without a retry.
 * - Bull renews each active job's lock; a worker that dies loses it, and Bull's stalled-job check
 *   runs the job again (at-least-once).
 * - Redis that cannot be reached surfaces as StoreUnavailableError naming REDIS_URL, bounded in
 *   time: at start-up (ready()) and on every call the port's callers make.
 *
 * Bull schedules on Redis's machines' wall time; runAt is turned into a delay with the injected
 * clock.
 */

/** The Bull queue's name, as registered with @nestjs/bull. */
export const BULL_JOBS_QUEUE = 'jobs';
/** Key prefix in Redis: keys are `<prefix>:jobs:*`. */
export const BULL_DEFAULT_PREFIX = 'parley';
export const BULL_JOB_QUEUE_OPTIONS = Symbol('BULL_JOB_QUEUE_OPTIONS');

export interface BullJobQueueOptions {
  /** For error messages (its password is masked). */
  redisUrl: string;
  clock?: Clock;
  logger?: AppLogger;
  /** How long ready() (start-up) waits for Redis to answer. */
  connectTimeoutMs?: number;
  /** How long one enqueue / repeat / counts may wait for Redis. */
  commandTimeoutMs?: number;
  /** How long stop() waits for active jobs. */
  stopTimeoutMs?: number;
}

const KEEP_COMPLETED = 1000;
const KEEP_FAILED = 5000;
const EXPONENTIAL = 'parley-exponential';

/**
 * Queue options shared by the Nest module (BullModule.forRoot) and createBullJobQueue: the same
 * connection settings, job retention and backoff strategy either way.
 */
export function bullQueueOptions(redisUrl: string, prefix: string = BULL_DEFAULT_PREFIX): QueueOptions & { url: string } {
  return {
    url: redisUrl,
    prefix,
    // Bull reads host, port, password and db from the URL, not TLS: rediss:// asks for it here.
    // disconnectTimeout: how long a dropped connection's socket may linger (ioredis keeps a timer that long).
    redis: { connectTimeout: 10_000, disconnectTimeout: 500, ...(/^rediss:/i.test(redisUrl) ? { tls: {} } : {}) },
    defaultJobOptions: { removeOnComplete: KEEP_COMPLETED, removeOnFail: KEEP_FAILED },
    settings: {
      backoffStrategies: {
        // The port's exponential backoff: delayMs, 2 × delayMs, 4 × delayMs … (Bull's own is 1, 3, 7 ×).
        [EXPONENTIAL]: (attemptsMade: number, _error: Error, options?: { delayMs?: number }) => (options?.delayMs ?? 0) * 2 ** Math.max(0, attemptsMade - 1),
      },
    },
  };
}

/**
 * The Bull adapter without Nest (contract tests, scripts): its own Bull queue on `redisUrl`
 * under `prefix`. stop() closes the queue's connections.
 */
export function createBullJobQueue(redisUrl: string, options: Omit<BullJobQueueOptions, 'redisUrl'> & { prefix?: string } = {}): BullJobQueue {
  const { url, ...queueOptions } = bullQueueOptions(redisUrl, options.prefix);
  const queue = new Bull(BULL_JOBS_QUEUE, url, queueOptions);
  return new BullJobQueue(queue, { ...options, redisUrl });
}

interface Registration {
  handler: JobHandlerFn;
  concurrency: number;
  slots: Slots;
}

@Injectable()
export class BullJobQueue implements JobQueue {
  private readonly clock: Clock;
  private readonly logger: AppLogger | undefined;
  private readonly connectTimeoutMs: number;
  private readonly commandTimeoutMs: number;
  private readonly stopTimeoutMs: number;
  private readonly where: string;
  private readonly registrations = new Map<string, Registration>();
  private readonly observers: JobAttemptObserver[] = [];
  private started = false;
  private stopping: Promise<void> | undefined;
  private lastRedisError: Error | undefined;

  constructor(
    @InjectQueue(BULL_JOBS_QUEUE) private readonly queue: Queue,
    @Inject(BULL_JOB_QUEUE_OPTIONS) options: BullJobQueueOptions,
  ) {
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger;
    this.connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
    this.commandTimeoutMs = options.commandTimeoutMs ?? 5_000;
    this.stopTimeoutMs = options.stopTimeoutMs ?? 10_000;
    this.where = `Redis at REDIS_URL=${maskUrlPassword(options.redisUrl)}`;
    // Bull re-emits its connections' errors here; without a listener they would be thrown.
    queue.on('error', (error: Error) => {
      this.lastRedisError = error;
    });
  }

  /**
   * Resolves once Redis answers; otherwise, after connectTimeoutMs, drops the connections and
   * rejects with a StoreUnavailableError naming REDIS_URL (start-up fails instead of hanging).
   */
  async ready(): Promise<void> {
    try {
      await withTimeout(
        this.queue.isReady().then(() => this.queue.client.ping()),
        this.connectTimeoutMs,
      );
    } catch (error) {
      const reason = this.lastRedisError?.message ?? (error as Error).message;
      for (const client of (this.queue as unknown as { clients: Array<{ disconnect(): void }> }).clients) client.disconnect();
      throw new StoreUnavailableError(
        `cannot reach ${this.where} within ${this.connectTimeoutMs} ms (QUEUE=bull keeps its jobs there): ${reason}. ` +
          'Start Redis, correct REDIS_URL, or use QUEUE=embedded.',
        error,
      );
    }
  }

  register(type: string, handler: JobHandlerFn, options: RegisterOptions = {}): void {
    if (this.started) throw new Error(`register "${type}" before start(): this queue is already running`);
    if (this.registrations.has(type)) throw new Error(`a handler for job type "${type}" is already registered; register one per type`);
    const concurrency = options.concurrency ?? 1;
    if (!Number.isSafeInteger(concurrency) || concurrency < 1) throw new RangeError(`concurrency must be a whole number >= 1 (got ${concurrency})`);
    this.registrations.set(type, { handler: observedHandler(type, handler, this.observers), concurrency, slots: new Slots(concurrency) });
  }

  observe(observer: JobAttemptObserver): void {
    this.observers.push(observer);
  }

  async enqueue(type: string, data: JobData, options: EnqueueOptions = {}): Promise<EnqueueResult> {
    checkJobOptions(options);
    checkData(data);
    const { jobId } = options;
    const runAt = options.runAt !== undefined ? toEpoch(options.runAt) : this.clock.now().getTime() + (options.delayMs ?? 0);
    return this.redis('enqueue', async () => {
      // Bull answers a known id with the existing job; looking first tells the caller it was a duplicate.
      if (jobId !== undefined && (await this.queue.getJob(jobId))) return { jobId, duplicate: true };
      const job = await this.queue.add(type, data, {
        ...retryOptions(options),
        jobId,
        delay: Math.max(0, Math.round(runAt - this.clock.now().getTime())),
      });
      return { jobId: String(job.id), duplicate: false };
    });
  }

  async repeat(type: string, data: JobData, options: RepeatOptions): Promise<void> {
    checkJobOptions(options);
    checkData(data);
    if (type.includes(':') || options.jobId.includes(':')) {
      throw new RangeError(`a repeatable job's type and jobId must not contain ":" on Bull (got "${type}", "${options.jobId}")`);
    }
    await this.redis('repeat', async () => {
      // One schedule per jobId. Bull keys a schedule by name, id and period: a changed period would
      // add a second one, and adding the same one again in a later period would schedule an
      // extra run. So an existing identical schedule is kept, and a different one replaced.
      const key = `${type}:${options.jobId}::${options.everyMs}`;
      let scheduled = false;
      for (const schedule of await this.queue.getRepeatableJobs()) {
        if (schedule.key === key) scheduled = true;
        else if (schedule.id === options.jobId) await this.queue.removeRepeatableByKey(schedule.key);
      }
      if (!scheduled) await this.queue.add(type, data, { ...retryOptions(options), jobId: options.jobId, repeat: { every: options.everyMs } });
    });
  }

  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    await this.ready();
    for (const [type, registration] of this.registrations) {
      this.queue
        .process(type, registration.concurrency, (job: Job) => this.run(job, registration))
        .catch((error: unknown) => {
          if (!this.stopping) this.logger?.error({ type, err: error }, 'Bull stopped processing a job type');
        });
    }
  }

  stop(): Promise<void> {
    this.stopping ??= this.close();
    return this.stopping;
  }

  /** Nest calls this on shutdown too (after the Lifecycle stopped the queue): a no-op then. */
  onApplicationShutdown(): Promise<void> {
    return this.stop();
  }

  async counts(): Promise<JobCounts> {
    const counts = await this.redis('counts', () => this.queue.getJobCounts());
    const paused = (counts as { paused?: number }).paused ?? 0;
    return { waiting: counts.waiting + paused, delayed: counts.delayed, active: counts.active, completed: counts.completed, failed: counts.failed };
  }

  async job(jobId: string): Promise<JobInfo | null> {
    return this.redis('job', async () => {
      const job = await this.queue.getJob(jobId);
      if (!job) return null;
      const bullState = await job.getState();
      const state = bullState === 'completed' || bullState === 'failed' || bullState === 'delayed' || bullState === 'active' ? bullState : 'waiting';
      return {
        jobId: String(job.id),
        type: job.name,
        data: job.data as JobData,
        state,
        // Bull counts failed tries only; the port counts every try started.
        attemptsMade: job.attemptsMade + (state === 'completed' || state === 'active' ? 1 : 0),
        lastError: job.failedReason ?? null,
      };
    });
  }

  private async run(job: Job, registration: Registration): Promise<void> {
    await registration.slots.acquire();
    try {
      await registration.handler(job.data as JobData, {
        jobId: String(job.id),
        type: job.name,
        attempt: job.attemptsMade + 1,
        attempts: job.opts.attempts ?? 1,
      });
    } catch (error) {
      if (error instanceof PermanentJobError) job.discard();
      this.logger?.warn({ jobId: job.id, type: job.name, attempt: job.attemptsMade + 1, err: error }, 'job failed');
      throw error instanceof Error ? error : new Error(String(error));
    } finally {
      registration.slots.release();
    }
  }

  private async close(): Promise<void> {
    let timedOut = false;
    let bound: NodeJS.Timeout | undefined;
    // Bull's close() waits for the active jobs, then up to 500 ms for its worker connection,
    // blocked in BRPOPLPUSH, to quit. Dropping that connection sooner would lose a job the server
    // hands out at that moment (left active without a lock until a stalled-job check).
    await Promise.race([
      this.closeQueue().catch((error: unknown) => this.logger?.warn({ err: error }, 'closing the Bull queue failed')),
      new Promise<void>((resolve) => {
        bound = setTimeout(() => {
          timedOut = true;
          resolve();
        }, this.stopTimeoutMs);
      }),
    ]);
    clearTimeout(bound);
    if (timedOut) {
      // The jobs still running lose their locks with the connections; Bull's stalled check reruns them.
      for (const client of (this.queue as unknown as { clients: Array<{ disconnect(): void }> }).clients) client.disconnect();
      this.logger?.warn({ stopTimeoutMs: this.stopTimeoutMs }, 'Bull queue stopped with jobs still running; another worker reruns them');
    }
  }

  /**
   * Pauses this worker (waiting for its running jobs), hands back a job its blocking fetch took
   * at that very moment, then closes. Bull aborts the worker's BRPOPLPUSH by dropping the
   * connection; a job Redis had just moved to "active" is then held by nobody, without a lock,
   * until a stalled-job check (up to two intervals, 30 s each) returns it.
   */
  private async closeQueue(): Promise<void> {
    if (this.started) {
      await this.queue.pause(true);
      const returned = await this.returnUnlockedActiveJobs();
      if (returned.length > 0) this.logger?.info({ jobIds: returned }, 'Bull queue: jobs fetched while stopping were put back to wait');
    }
    await this.queue.close();
  }

  /**
   * Active jobs without a lock go back to the front of the wait list (or of the paused list while
   * the queue is paused), as Bull's stalled check moves them, but at once. A job another worker
   * fetched in the same instant and has not locked yet may then run twice: delivery is at least
   * once anyway.
   */
  private async returnUnlockedActiveJobs(): Promise<string[]> {
    const queue = this.queue as unknown as { keys: Record<string, string>; toKey(key: string): string };
    const script = `
      local target = KEYS[2]
      if redis.call('EXISTS', KEYS[4]) == 1 then target = KEYS[3] end
      local returned = {}
      for _, id in ipairs(redis.call('LRANGE', KEYS[1], 0, -1)) do
        if redis.call('EXISTS', ARGV[1] .. id .. ':lock') == 0 then
          redis.call('LREM', KEYS[1], 1, id)
          redis.call('RPUSH', target, id)
          table.insert(returned, id)
        end
      end
      return returned`;
    return (await this.queue.client.eval(
      script,
      4,
      queue.keys.active,
      queue.keys.wait,
      queue.keys.paused,
      queue.keys['meta-paused'],
      queue.toKey(''),
    )) as string[];
  }

  /** Bounds one call and turns a Redis failure into the port's StoreUnavailableError. */
  private async redis<T>(operation: string, call: () => Promise<T>): Promise<T> {
    try {
      return await withTimeout(call(), this.commandTimeoutMs);
    } catch (error) {
      if (error instanceof RangeError || error instanceof TypeError) throw error;
      throw new StoreUnavailableError(`job queue ${operation} failed: ${this.where} did not answer (${(error as Error).message}); retry shortly`, error);
    }
  }
}

function retryOptions(options: { attempts?: number; backoff?: Backoff }): JobOptions {
  const backoff = options.backoff ?? DEFAULT_BACKOFF;
  return {
    attempts: options.attempts ?? DEFAULT_ATTEMPTS,
    backoff:
      backoff.type === 'fixed'
        ? { type: 'fixed', delay: backoff.delayMs }
        : ({ type: EXPONENTIAL, options: { delayMs: backoff.delayMs } } as unknown as JobOptions['backoff']),
    removeOnComplete: KEEP_COMPLETED,
    removeOnFail: KEEP_FAILED,
  };
}

function checkData(data: JobData): void {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) throw new TypeError('job data must be a JSON object');
}

function toEpoch(value: string | Date): number {
  const ms = value instanceof Date ? value.getTime() : Date.parse(value);
  if (Number.isNaN(ms)) throw new RangeError(`runAt must be an ISO-8601 time or a Date (got ${String(value)})`);
  return ms;
}

class TimeoutError extends Error {
  constructor(ms: number) {
    super(`no answer within ${ms} ms`);
    this.name = 'TimeoutError';
  }
}

async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([promise, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new TimeoutError(ms)), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

/** A counting semaphore: at most `size` holders; the rest wait in order. */
class Slots {
  private free: number;
  private readonly waiting: Array<() => void> = [];

  constructor(size: number) {
    this.free = size;
  }

  acquire(): Promise<void> {
    if (this.free > 0) {
      this.free -= 1;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.free += 1;
  }
}
