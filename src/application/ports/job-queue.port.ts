/**
 * The job queue port: work that must happen later, or again until it succeeds (the 30-day trash
 * purge, outbound delivery). The embedded durable queue (SQLite) and Bull (Redis) implement it
 * and pass one contract suite (test/contracts/job-queue.contract.ts); this file is the prose half
 * of that specification.
 *
 * Delivery is AT LEAST ONCE: a process that dies mid-job, or a lease or lock that runs out, runs
 * the job again. Handlers must therefore be idempotent (check the state first, use deterministic
 * ids, let the deciders turn a repeated command into a no-op).
 *
 * Job data is JSON: it is stored in its JSON form, so it reads back as JSON.parse(JSON.stringify(data)).
 */
export const JOB_QUEUE = Symbol('JOB_QUEUE');

export type JobData = Record<string, unknown>;

export interface Backoff {
  /**
   * fixed: `delayMs` before every retry. exponential: `delayMs * 2^(n-1)` after the n-th failed
   * attempt (delayMs, 2 × delayMs, 4 × delayMs …).
   */
  type: 'fixed' | 'exponential';
  delayMs: number;
}

export const DEFAULT_ATTEMPTS = 3;
export const DEFAULT_BACKOFF: Backoff = { type: 'exponential', delayMs: 1000 };

export interface EnqueueOptions {
  /**
   * Deduplication key. Enqueueing an id the queue still holds — waiting, delayed, active, or
   * finished and still in the bounded history — stores nothing and answers `duplicate: true`.
   * Default: a fresh id.
   */
  jobId?: string;
  /** Run no earlier than this many milliseconds from now. */
  delayMs?: number;
  /** Run no earlier than this time (ISO-8601 or Date); a past time means now. Wins over delayMs. */
  runAt?: string | Date;
  /** Total tries, the first included (>= 1). Default DEFAULT_ATTEMPTS. */
  attempts?: number;
  /** Wait between tries. Default DEFAULT_BACKOFF. */
  backoff?: Backoff;
}

export interface EnqueueResult {
  jobId: string;
  duplicate: boolean;
}

export interface RepeatOptions {
  /** Runs every `everyMs` milliseconds, the first time about `everyMs` from now. */
  everyMs: number;
  /**
   * Names the schedule. Calling repeat again with the same jobId (on every start, from every
   * instance) keeps ONE schedule, and its next run; a different everyMs replaces it. Keep a
   * schedule's data fixed: Bull goes on with the data of the run already scheduled (use another
   * jobId for other data).
   */
  jobId: string;
  attempts?: number;
  backoff?: Backoff;
}

export interface RegisterOptions {
  /** How many jobs of this type one instance runs at the same time. Default 1. */
  concurrency?: number;
}

/** What a handler learns about the job it runs. */
export interface JobContext {
  jobId: string;
  type: string;
  /** 1 for the first try, 2 for the first retry … */
  attempt: number;
  /** Total tries this job has. */
  attempts: number;
}

export type JobHandlerFn = (data: JobData, job: JobContext) => Promise<void>;

export type JobState = 'waiting' | 'delayed' | 'active' | 'completed' | 'failed';

export interface JobCounts {
  /** Due now, not yet taken by a worker. */
  waiting: number;
  /** Due later: scheduled, or backing off before a retry. */
  delayed: number;
  active: number;
  /** Finished, within the bounded history. */
  completed: number;
  /** Gave up (attempts exhausted or PermanentJobError), within the bounded history. */
  failed: number;
}

export interface JobInfo {
  jobId: string;
  type: string;
  data: JobData;
  state: JobState;
  /** Tries started so far. */
  attemptsMade: number;
  /** The message of the last failed try; null when none failed. */
  lastError: string | null;
}

export interface JobQueue {
  /**
   * One handler per type, registered before start(). A handler that throws PermanentJobError
   * fails its job at once; any other error retries it with backoff until its attempts are used
   * up, then the job is kept as failed with its last error.
   */
  register(type: string, handler: JobHandlerFn, options?: RegisterOptions): void;

  /**
   * Durable once it resolves: an acknowledged job survives a crash. Works before start() (not
   * after stop(): Bull has closed its connections); rejects with StoreUnavailableError when the
   * store cannot be reached.
   */
  enqueue(type: string, data: JobData, options?: EnqueueOptions): Promise<EnqueueResult>;

  /** A repeatable job; idempotent per jobId, across restarts and instances. */
  repeat(type: string, data: JobData, options: RepeatOptions): Promise<void>;

  /** Starts running the registered types. */
  start(): Promise<void>;

  /**
   * Stops taking jobs and waits, bounded, for the active ones to finish. A job still running
   * when the bound passes is left to its lease or lock: another instance (or the next start)
   * runs it again.
   */
  stop(): Promise<void>;

  /**
   * Hears how every attempt of every registered type ended (metrics). Observers may be added
   * before or after handlers are registered; one that throws is ignored.
   */
  observe(observer: JobAttemptObserver): void;

  /** For tests and operators. */
  counts(): Promise<JobCounts>;
  /** A job by id (one-off jobs), or null when unknown or pruned from the history. */
  job(jobId: string): Promise<JobInfo | null>;
}

/** How one attempt ended: `retrying` when it failed with tries left, `failed` when the job gave up. */
export type JobAttemptOutcome = 'completed' | 'retrying' | 'failed';

export type JobAttemptObserver = (attempt: { type: string; outcome: JobAttemptOutcome }) => void;

/**
 * The handler an adapter runs: the registered one, reporting each attempt's outcome to the
 * observers. The outcome follows the port's rules (PermanentJobError or the last attempt gives
 * up), so every adapter reports alike.
 */
export function observedHandler(type: string, handler: JobHandlerFn, observers: readonly JobAttemptObserver[]): JobHandlerFn {
  const report = (outcome: JobAttemptOutcome) => {
    for (const observer of observers) {
      try {
        observer({ type, outcome });
      } catch {
        // A metrics observer must never change what happens to the job.
      }
    }
  };
  return async (data, job) => {
    try {
      await handler(data, job);
    } catch (error) {
      report(error instanceof PermanentJobError || job.attempt >= job.attempts ? 'failed' : 'retrying');
      throw error;
    }
    report('completed');
  };
}

/** Thrown by a handler when retrying cannot help (a bad address, a deleted target): the job fails at once. */
export class PermanentJobError extends Error {
  constructor(
    message: string,
    override readonly cause?: unknown,
  ) {
    super(message);
    this.name = 'PermanentJobError';
  }
}

export function backoffDelayMs(backoff: Backoff, failedAttempts: number): number {
  return backoff.type === 'fixed' ? backoff.delayMs : backoff.delayMs * 2 ** Math.max(0, failedAttempts - 1);
}

/** Checks options the same way in every adapter, with messages naming the option. */
export function checkJobOptions(options: { attempts?: number; backoff?: Backoff; delayMs?: number; everyMs?: number }): void {
  const { attempts, backoff, delayMs, everyMs } = options;
  if (attempts !== undefined && (!Number.isSafeInteger(attempts) || attempts < 1)) {
    throw new RangeError(`attempts must be a whole number >= 1 (got ${String(attempts)})`);
  }
  if (backoff !== undefined && (!['fixed', 'exponential'].includes(backoff.type) || !(backoff.delayMs >= 0))) {
    throw new RangeError(`backoff must be {type: "fixed" | "exponential", delayMs >= 0} (got ${JSON.stringify(backoff)})`);
  }
  if (delayMs !== undefined && !(delayMs >= 0)) throw new RangeError(`delayMs must be >= 0 (got ${String(delayMs)})`);
  if (everyMs !== undefined && (!Number.isSafeInteger(everyMs) || everyMs < 1)) {
    throw new RangeError(`everyMs must be a whole number of milliseconds >= 1 (got ${String(everyMs)})`);
  }
}
