import { randomUUID } from 'node:crypto';
import type Database from 'better-sqlite3';
import { systemClock, type Clock } from '../../application/ports/clock.port';
import { StoreUnavailableError } from '../../application/ports/event-store.port';
import {
  observedHandler,
  type JobAttemptObserver,
  backoffDelayMs,
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
  type JobState,
  type RegisterOptions,
  type RepeatOptions,
} from '../../application/ports/job-queue.port';
import type { AppLogger } from '../../application/ports/logger.port';
import { openDatabase } from '../sqlite/open-database';

/**
 * The embedded durable queue: one `jobs` table in the same SQLite file as the event log.
 *
 * - enqueue is one INSERT on a synchronous=FULL connection: an acknowledged job survives a power
 *   cut. `id` is the primary key, so a jobId the table still holds is a duplicate (INSERT OR
 *   IGNORE), whatever the row's state, until the history is pruned.
 * - A worker claims a due job in an IMMEDIATE transaction: state 'active', attempts_made + 1, a
 *   fresh lease_token, locked_until = now + lease. It renews the lease while the handler runs,
 *   and every later write of that attempt is guarded by its lease_token. A process that dies
 *   mid-job stops renewing; once locked_until passes, any instance on the file claims the job
 *   again (a crash costs one attempt; at-least-once).
 * - Failures go back to 'pending' with run_at = now + backoff, or to 'failed' with last_error.
 * - A repeatable job is ONE row (its jobId); after each run it goes back to 'pending' at
 *   now + every_ms. A repeatable run that gives up leaves a failed copy `<jobId>@<time>` behind.
 * - In-process enqueues wake the poller at once; otherwise it polls every pollIntervalMs, and
 *   sooner when the next delayed job is due sooner. Completed and failed jobs are pruned to a
 *   bounded history.
 *
 * Times come from the injected clock, so a test that moves its clock and calls drain() runs
 * what became due.
 */

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS jobs (
    id            TEXT PRIMARY KEY,
    type          TEXT NOT NULL,
    data          TEXT NOT NULL,
    state         TEXT NOT NULL CHECK (state IN ('pending', 'active', 'completed', 'failed')),
    run_at        INTEGER NOT NULL,
    attempts_made INTEGER NOT NULL DEFAULT 0,
    max_attempts  INTEGER NOT NULL,
    backoff_type  TEXT NOT NULL,
    backoff_ms    INTEGER NOT NULL,
    every_ms      INTEGER,
    lease_token   TEXT,
    locked_until  INTEGER,
    last_error    TEXT,
    created_at    INTEGER NOT NULL,
    finished_at   INTEGER
  ) STRICT;
  CREATE INDEX IF NOT EXISTS jobs_due ON jobs (type, run_at) WHERE state = 'pending';
  CREATE INDEX IF NOT EXISTS jobs_leases ON jobs (type, locked_until) WHERE state = 'active';
  CREATE INDEX IF NOT EXISTS jobs_history ON jobs (state, finished_at) WHERE state IN ('completed', 'failed');
`;

export interface EmbeddedJobQueueOptions {
  clock?: Clock;
  logger?: AppLogger;
  /** How often the file is checked for due jobs enqueued elsewhere and for expired leases. */
  pollIntervalMs?: number;
  /** How long a claimed job stays locked without a renewal (renewed every third of it). */
  leaseMs?: number;
  /** How long stop() waits for active jobs. */
  stopTimeoutMs?: number;
  /** History kept: the newest completed and failed jobs. */
  keepCompleted?: number;
  keepFailed?: number;
}

interface JobRow {
  id: string;
  type: string;
  data: string;
  state: 'pending' | 'active' | 'completed' | 'failed';
  run_at: number;
  attempts_made: number;
  max_attempts: number;
  backoff_type: Backoff['type'];
  backoff_ms: number;
  every_ms: number | null;
  lease_token: string | null;
  locked_until: number | null;
  last_error: string | null;
}

interface Registration {
  handler: JobHandlerFn;
  concurrency: number;
  active: number;
}

const PRUNE_EVERY_FINISHED = 100;
const LEASE_LOST_ERROR = 'the worker running its last attempt stopped before finishing (its lease expired)';

const silentLogger: AppLogger = { info() {}, warn() {}, error() {}, debug() {} };

/** The queue on its own synchronous=FULL connection to `file`; close() closes that connection. */
export function openEmbeddedJobQueue(file: string, options: EmbeddedJobQueueOptions = {}): EmbeddedJobQueue {
  const db = openDatabase(file, { synchronous: 'FULL' });
  try {
    return new EmbeddedJobQueue(db, options, true);
  } catch (error) {
    db.close();
    throw error;
  }
}

export class EmbeddedJobQueue implements JobQueue {
  private readonly clock: Clock;
  private readonly logger: AppLogger;
  private readonly pollIntervalMs: number;
  private readonly leaseMs: number;
  private readonly stopTimeoutMs: number;
  private readonly keepCompleted: number;
  private readonly keepFailed: number;
  private readonly registrations = new Map<string, Registration>();
  private readonly observers: JobAttemptObserver[] = [];
  /** Attempts running in this instance, each with its lease renewal timer. */
  private readonly running = new Map<Promise<void>, NodeJS.Timeout>();
  private started = false;
  private stopped = false;
  private closed = false;
  private timer: NodeJS.Timeout | undefined;
  private wakePending = false;
  private finishedSincePrune = 0;
  private readonly statements;

  constructor(
    private readonly db: Database.Database,
    options: EmbeddedJobQueueOptions = {},
    private readonly ownsConnection = false,
  ) {
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger ?? silentLogger;
    this.pollIntervalMs = options.pollIntervalMs ?? 1000;
    this.leaseMs = options.leaseMs ?? 60_000;
    this.stopTimeoutMs = options.stopTimeoutMs ?? 10_000;
    this.keepCompleted = options.keepCompleted ?? 1000;
    this.keepFailed = options.keepFailed ?? 5000;
    db.exec(SCHEMA);
    this.statements = {
      insert: db.prepare(
        `INSERT INTO jobs (id, type, data, state, run_at, max_attempts, backoff_type, backoff_ms, every_ms, created_at, last_error, finished_at)
         VALUES (@id, @type, @data, @state, @runAt, @maxAttempts, @backoffType, @backoffMs, @everyMs, @now, @lastError, @finishedAt)
         ON CONFLICT (id) DO NOTHING`,
      ),
      upsertRepeat: db.prepare(
        `INSERT INTO jobs (id, type, data, state, run_at, max_attempts, backoff_type, backoff_ms, every_ms, created_at)
         VALUES (@id, @type, @data, 'pending', @runAt, @maxAttempts, @backoffType, @backoffMs, @everyMs, @now)
         ON CONFLICT (id) DO UPDATE SET
           type = excluded.type, data = excluded.data, max_attempts = excluded.max_attempts,
           backoff_type = excluded.backoff_type, backoff_ms = excluded.backoff_ms, every_ms = excluded.every_ms,
           -- The same schedule keeps its next run (a restart must not postpone it); a changed one starts over.
           run_at = CASE WHEN jobs.every_ms IS excluded.every_ms AND jobs.state IN ('pending', 'active') THEN jobs.run_at ELSE excluded.run_at END,
           attempts_made = CASE WHEN jobs.state IN ('completed', 'failed') THEN 0 ELSE jobs.attempts_made END,
           state = CASE WHEN jobs.state = 'active' THEN 'active' ELSE 'pending' END,
           finished_at = NULL`,
      ),
      due: db.prepare(`SELECT * FROM jobs WHERE type = ? AND state = 'pending' AND run_at <= ? ORDER BY run_at, created_at, id LIMIT ?`),
      expired: db.prepare(`SELECT * FROM jobs WHERE type = ? AND state = 'active' AND locked_until <= ? ORDER BY locked_until LIMIT ?`),
      claim: db.prepare(`UPDATE jobs SET state = 'active', attempts_made = attempts_made + 1, lease_token = @token, locked_until = @until WHERE id = @id`),
      renew: db.prepare(`UPDATE jobs SET locked_until = ? WHERE id = ? AND lease_token = ?`),
      complete: db.prepare(
        `UPDATE jobs SET state = 'completed', finished_at = @now, lease_token = NULL, locked_until = NULL WHERE id = @id AND lease_token = @token`,
      ),
      reschedule: db.prepare(
        `UPDATE jobs SET state = 'pending', run_at = @now + every_ms, attempts_made = 0, lease_token = NULL, locked_until = NULL, last_error = NULL
         WHERE id = @id AND (lease_token = @token OR @token IS NULL)`,
      ),
      retry: db.prepare(
        `UPDATE jobs SET state = 'pending', run_at = @runAt, last_error = @error, lease_token = NULL, locked_until = NULL WHERE id = @id AND lease_token = @token`,
      ),
      fail: db.prepare(
        `UPDATE jobs SET state = 'failed', last_error = @error, finished_at = @now, lease_token = NULL, locked_until = NULL
         WHERE id = @id AND (lease_token = @token OR @token IS NULL)`,
      ),
      nextDue: db.prepare(`SELECT MIN(run_at) FROM jobs WHERE state = 'pending'`).pluck(),
      counts: db.prepare(
        `SELECT
           COUNT(*) FILTER (WHERE (state = 'pending' AND run_at <= @now) OR (state = 'active' AND locked_until <= @now)) AS waiting,
           COUNT(*) FILTER (WHERE state = 'pending' AND run_at > @now) AS delayed,
           COUNT(*) FILTER (WHERE state = 'active' AND locked_until > @now) AS active,
           COUNT(*) FILTER (WHERE state = 'completed') AS completed,
           COUNT(*) FILTER (WHERE state = 'failed') AS failed
         FROM jobs`,
      ),
      get: db.prepare(`SELECT * FROM jobs WHERE id = ?`),
      prune: db.prepare(`DELETE FROM jobs WHERE id IN (SELECT id FROM jobs WHERE state = @state ORDER BY finished_at DESC LIMIT -1 OFFSET @keep)`),
    };
  }

  register(type: string, handler: JobHandlerFn, options: RegisterOptions = {}): void {
    if (this.started) throw new Error(`register "${type}" before start(): this queue is already running`);
    if (this.registrations.has(type)) throw new Error(`a handler for job type "${type}" is already registered; register one per type`);
    const concurrency = options.concurrency ?? 1;
    if (!Number.isSafeInteger(concurrency) || concurrency < 1) throw new RangeError(`concurrency must be a whole number >= 1 (got ${concurrency})`);
    this.registrations.set(type, { handler: observedHandler(type, handler, this.observers), concurrency, active: 0 });
  }

  observe(observer: JobAttemptObserver): void {
    this.observers.push(observer);
  }

  async enqueue(type: string, data: JobData, options: EnqueueOptions = {}): Promise<EnqueueResult> {
    checkJobOptions(options);
    const now = this.now();
    const jobId = options.jobId ?? randomUUID();
    const runAt = Math.round(options.runAt !== undefined ? Math.max(now, toEpoch(options.runAt)) : now + (options.delayMs ?? 0));
    const backoff = options.backoff ?? DEFAULT_BACKOFF;
    const changes = this.write(() =>
      this.statements.insert.run({
        id: jobId,
        type,
        data: toJson(data),
        state: 'pending',
        runAt,
        maxAttempts: options.attempts ?? DEFAULT_ATTEMPTS,
        backoffType: backoff.type,
        backoffMs: Math.round(backoff.delayMs),
        everyMs: null,
        now,
        lastError: null,
        finishedAt: null,
      }),
    ).changes;
    if (changes > 0) this.wake();
    return { jobId, duplicate: changes === 0 };
  }

  async repeat(type: string, data: JobData, options: RepeatOptions): Promise<void> {
    checkJobOptions(options);
    const now = this.now();
    const backoff = options.backoff ?? DEFAULT_BACKOFF;
    this.write(() =>
      this.statements.upsertRepeat.run({
        id: options.jobId,
        type,
        data: toJson(data),
        runAt: now + options.everyMs,
        maxAttempts: options.attempts ?? DEFAULT_ATTEMPTS,
        backoffType: backoff.type,
        backoffMs: Math.round(backoff.delayMs),
        everyMs: options.everyMs,
        now,
      }),
    );
    this.wake();
  }

  async start(): Promise<void> {
    this.assertOpen();
    if (this.started) return;
    this.started = true;
    this.prune();
    this.poll();
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearTimeout(this.timer);
    if (this.running.size === 0) return;
    let timedOut = false;
    let bound: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([...this.running.keys()]),
      new Promise<void>((resolve) => {
        bound = setTimeout(() => {
          timedOut = true;
          resolve();
        }, this.stopTimeoutMs);
      }),
    ]);
    clearTimeout(bound);
    if (timedOut) {
      // Left to their leases: without renewals they expire, and the next start runs them again.
      for (const renewal of this.running.values()) clearInterval(renewal);
      this.logger.warn(
        { activeJobs: this.running.size, stopTimeoutMs: this.stopTimeoutMs },
        'job queue stopped with jobs still running; they run again after their lease expires',
      );
    }
  }

  /** stop(), then closes the connection when the queue opened it. */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.stop();
    this.closed = true;
    if (this.ownsConnection) this.db.close();
  }

  /** Nest calls this on shutdown, after the Lifecycle stopped the queue. */
  async onApplicationShutdown(): Promise<void> {
    await this.close();
  }

  async counts(): Promise<JobCounts> {
    this.assertOpen();
    return { ...(this.statements.counts.get({ now: this.now() }) as JobCounts) };
  }

  async job(jobId: string): Promise<JobInfo | null> {
    this.assertOpen();
    const row = this.statements.get.get(jobId) as JobRow | undefined;
    if (!row) return null;
    return {
      jobId: row.id,
      type: row.type,
      data: JSON.parse(row.data) as JobData,
      state: stateOf(row, this.now()),
      attemptsMade: row.attempts_made,
      lastError: row.last_error,
    };
  }

  /**
   * Runs every job that is due now (by the injected clock) and waits for them, again and again
   * until nothing is due and nothing runs: what tests and operators call instead of waiting for
   * the poller. Needs the handlers registered; works whether or not start() was called.
   * `types` limits it to those job types.
   */
  async drain(types?: readonly string[]): Promise<void> {
    for (;;) {
      this.claimDue(types);
      if (this.running.size === 0) return;
      await Promise.allSettled([...this.running.keys()]);
    }
  }

  // ---- the worker ----------------------------------------------------------------------------

  private poll(): void {
    this.wakePending = false;
    if (!this.started || this.stopped || this.closed) return;
    clearTimeout(this.timer);
    try {
      this.claimDue();
    } catch (error) {
      this.logger.error({ err: error }, 'job queue could not claim jobs; trying again at the next poll');
    }
    let delay = this.pollIntervalMs;
    try {
      const next = this.statements.nextDue.get() as number | null;
      if (next !== null) delay = Math.max(1, Math.min(delay, next - this.now()));
    } catch {
      /* the next poll tries again */
    }
    this.timer = setTimeout(() => this.poll(), delay);
    this.timer.unref();
  }

  /** Coalesced: many enqueues in one tick cost one poll. */
  private wake(): void {
    if (!this.started || this.stopped || this.wakePending) return;
    this.wakePending = true;
    setImmediate(() => this.poll());
  }

  /** Claims due jobs for every registered type with a free slot, and starts them. */
  private claimDue(types?: readonly string[]): void {
    if (this.closed) return;
    const now = this.now();
    for (const [type, registration] of this.registrations) {
      if (types && !types.includes(type)) continue;
      const free = registration.concurrency - registration.active;
      if (free <= 0) continue;
      const claimed = this.db
        .transaction(() => {
          const rows: JobRow[] = [];
          for (const row of this.statements.expired.all(type, now, free) as JobRow[]) {
            if (row.attempts_made >= row.max_attempts) this.giveUp(row, null, LEASE_LOST_ERROR, now);
            else rows.push(row);
          }
          if (rows.length < free) rows.push(...(this.statements.due.all(type, now, free - rows.length) as JobRow[]));
          return rows.map((row) => {
            const token = randomUUID();
            this.statements.claim.run({ id: row.id, token, until: now + this.leaseMs });
            return { ...row, attempts_made: row.attempts_made + 1, lease_token: token };
          });
        })
        .immediate();
      for (const row of claimed) this.run(row, registration);
    }
  }

  private run(row: JobRow, registration: Registration): void {
    const token = row.lease_token as string;
    registration.active += 1;
    const renewal = setInterval(
      () => {
        try {
          if (this.statements.renew.run(this.now() + this.leaseMs, row.id, token).changes === 0) clearInterval(renewal);
        } catch (error) {
          this.logger.warn({ jobId: row.id, err: error }, 'could not renew a job lease');
        }
      },
      Math.max(10, Math.floor(this.leaseMs / 3)),
    );
    renewal.unref();
    const attempt = this.attempt(row, registration.handler).finally(() => {
      clearInterval(renewal);
      registration.active -= 1;
      this.running.delete(attempt);
      this.wake();
    });
    this.running.set(attempt, renewal);
  }

  private async attempt(row: JobRow, handler: JobHandlerFn): Promise<void> {
    const context = { jobId: row.id, type: row.type, attempt: row.attempts_made, attempts: row.max_attempts };
    let error: unknown;
    try {
      await handler(JSON.parse(row.data) as JobData, context);
    } catch (caught) {
      error = caught ?? new Error('the handler threw without an error');
    }
    if (this.closed) return; // the connection is gone; the lease expires and the job runs again
    try {
      this.finish(row, error);
    } catch (writeError) {
      this.logger.error({ jobId: row.id, type: row.type, err: writeError }, 'could not record a job outcome; it runs again after its lease expires');
    }
  }

  private finish(row: JobRow, error: unknown): void {
    const now = this.now();
    const token = row.lease_token;
    let changes: number;
    if (error === undefined) {
      changes = (row.every_ms === null ? this.statements.complete : this.statements.reschedule).run({ id: row.id, token, now }).changes;
      this.afterFinished();
    } else {
      const message = messageOf(error);
      const permanent = error instanceof PermanentJobError;
      if (permanent || row.attempts_made >= row.max_attempts) {
        changes = this.giveUp(row, token, message, now);
        this.logger.warn(
          { jobId: row.id, type: row.type, attempt: row.attempts_made, permanent, err: error },
          permanent ? 'job failed permanently' : 'job failed and has no attempts left',
        );
      } else {
        const retryInMs = backoffDelayMs({ type: row.backoff_type, delayMs: row.backoff_ms }, row.attempts_made);
        changes = this.statements.retry.run({ id: row.id, token, runAt: now + retryInMs, error: message }).changes;
        this.logger.info({ jobId: row.id, type: row.type, attempt: row.attempts_made, retryInMs, err: error }, 'job failed; retrying');
      }
    }
    if (changes === 0) {
      this.logger.warn({ jobId: row.id, type: row.type }, 'a job outlived its lease and another worker took it over; this outcome was not recorded');
    }
  }

  /** Attempts used up: a one-off job is kept as failed; a repeatable one leaves a failed copy and runs at its next time. */
  private giveUp(row: JobRow, token: string | null, message: string, now: number): number {
    if (row.every_ms === null) return this.statements.fail.run({ id: row.id, token, error: message, now }).changes;
    return this.db.transaction(() => {
      this.statements.insert.run({
        id: `${row.id}@${new Date(now).toISOString()}`,
        type: row.type,
        data: row.data,
        state: 'failed',
        runAt: row.run_at,
        maxAttempts: row.max_attempts,
        backoffType: row.backoff_type,
        backoffMs: row.backoff_ms,
        everyMs: null,
        now,
        lastError: message,
        finishedAt: now,
      });
      this.afterFinished();
      return this.statements.reschedule.run({ id: row.id, token, now }).changes;
    })();
  }

  private afterFinished(): void {
    if (++this.finishedSincePrune >= PRUNE_EVERY_FINISHED) this.prune();
  }

  private prune(): void {
    this.finishedSincePrune = 0;
    this.statements.prune.run({ state: 'completed', keep: this.keepCompleted });
    this.statements.prune.run({ state: 'failed', keep: this.keepFailed });
  }

  // ---- helpers -------------------------------------------------------------------------------

  private now(): number {
    return this.clock.now().getTime();
  }

  private assertOpen(): void {
    if (this.closed) throw new StoreUnavailableError('the job queue is closed (the application is shutting down); retry against a running instance');
  }

  private write<T>(fn: () => T): T {
    this.assertOpen();
    try {
      return fn();
    } catch (error) {
      throw mapSqliteError(error);
    }
  }
}

function stateOf(row: JobRow, now: number): JobState {
  switch (row.state) {
    case 'pending':
      return row.run_at <= now ? 'waiting' : 'delayed';
    case 'active':
      return (row.locked_until ?? 0) <= now ? 'waiting' : 'active';
    default:
      return row.state;
  }
}

function toEpoch(value: string | Date): number {
  const ms = value instanceof Date ? value.getTime() : Date.parse(value);
  if (Number.isNaN(ms)) throw new RangeError(`runAt must be an ISO-8601 time or a Date (got ${String(value)})`);
  return ms;
}

function toJson(data: JobData): string {
  const json = JSON.stringify(data);
  if (typeof json !== 'string' || json[0] !== '{') throw new TypeError('job data must be a JSON object');
  return json;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

const UNAVAILABLE_CODES = /^SQLITE_(BUSY|LOCKED|CANTOPEN|FULL|IOERR|READONLY)/;

/** A locked, full or unwritable file is a condition to retry (503); anything else propagates as-is. */
function mapSqliteError(error: unknown): unknown {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && UNAVAILABLE_CODES.test(code)) {
    return new StoreUnavailableError(`the job queue's database is unavailable (${code}: ${(error as Error).message}); retry shortly`, error);
  }
  if (error instanceof TypeError && error.message === 'The database connection is not open') {
    return new StoreUnavailableError('the job queue database connection was closed; retry against a running instance', error);
  }
  return error;
}
