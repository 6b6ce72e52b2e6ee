import type { Database } from 'better-sqlite3';
import type { Logger } from 'pino';
import type { EventStore, RecordedEvent } from '../application/ports/event-store.port';
import type { ProjectionProgress } from '../application/ports/read-store.port';
import type { SqliteProjection } from './projection';
import { PositionWaiters } from './position-waiters';
import { statement } from './sqlite/statements';

export interface ProjectionRunnerOptions {
  /** The read-side connection (synchronous NORMAL); the read models and checkpoints live there. */
  db: Database;
  eventStore: EventStore;
  projections: readonly SqliteProjection[];
  logger: Logger;
  /** Most events applied in one transaction. */
  batchSize?: number;
  /** Backoff after a failed batch or subscription: doubles from `initial` up to `max`. */
  retryDelayMs?: { initial: number; max: number };
  /**
   * Least time from the end of one batch transaction to the start of the next while events keep
   * coming (0: apply on the next turn of the event loop). Events that arrive meanwhile join the
   * next batch; an event arriving after a quiet spell is applied at once.
   */
  batchIntervalMs?: number;
  /**
   * A waitFor() for a position not applied yet cuts the interval short. For a lane that only
   * readers wait for now and then (the search index); the lane that every command waits for
   * keeps its pace, or it would never batch under load.
   */
  hurryForWaiters?: boolean;
  /**
   * Names the runner in its log lines when several feed one file (the projection lanes). A named
   * lane reports the projections it recreates at debug: the start-up log keeps one line for them.
   */
  lane?: string;
  /** Called after each committed batch with the position every projection of the runner reached. */
  onApplied?: (position: number) => void;
}

/** One start()…stop() run: its subscription, the events received but not yet applied. */
interface Session {
  abort: AbortController;
  buffer: RecordedEvent[];
  /** Batches are applied strictly one after the other, in log order. */
  applying: Promise<void>;
  applyScheduled: boolean;
  /** The timer of a paced apply, cleared when a waiter hurries it. */
  pacing: NodeJS.Timeout | null;
  /** performance.now() when the last batch transaction ended. */
  lastBatchEnd: number;
  done: Promise<void>;
}

/** A projection's applyBatch threw; the runner then finds the event at fault (locate). */
class BatchFailure extends Error {
  constructor(
    readonly projection: SqliteProjection,
    readonly events: RecordedEvent[],
    override readonly cause: unknown,
  ) {
    super(`projection ${projection.name} failed on a batch of ${events.length} events`);
  }
}

/** Thrown to roll a diagnostic transaction back. */
const ROLL_BACK = Symbol('roll back');

/** Raised inside a batch transaction so the log names the projection and event at fault. */
class ProjectionFailure extends Error {
  constructor(
    readonly projection: string,
    readonly event: RecordedEvent,
    override readonly cause: unknown,
    /** Set when the projection applied a batch: it failed somewhere from `event` to `last`. */
    readonly last?: RecordedEvent,
  ) {
    super(
      last && last !== event
        ? `projection ${projection} failed on the batch from position ${event.position} to ${last.position}`
        : `projection ${projection} failed on ${event.type} at position ${event.position}`,
    );
  }
}

const DEFAULT_BATCH_SIZE = 500;
const DEFAULT_RETRY_DELAY_MS = { initial: 100, max: 30_000 };
/**
 * A batch transaction costs far more than the events it carries: its COMMIT writes every page it
 * touched to the write-ahead log and FTS5 writes a new segment per index. Projecting the ingest
 * log in batches of 10 events cost about twice the CPU per event of batches of 500 (measured in
 * bench/README.md, issue 17), so under load the runner waits this long between batches and lets
 * the events of several group commits share one. Idle, it applies at once.
 */
const DEFAULT_BATCH_INTERVAL_MS = 10;

/**
 * Feeds the projections the global log in order, from their checkpoints.
 *
 * Events are applied in batches, each in ONE SQLite transaction that also writes every
 * projection's checkpoint: a crash leaves either the whole batch with its checkpoints or
 * neither. Inside that transaction an event at or below a projection's stored checkpoint is
 * skipped, so a subscription that redelivers (or a second runner) never applies twice.
 */
export class ProjectionRunner implements ProjectionProgress {
  private readonly db: Database;
  private readonly projections: readonly SqliteProjection[];
  private readonly handled: Map<string, ReadonlySet<string>>;
  private readonly batchSize: number;
  private readonly retryDelayMs: { initial: number; max: number };
  private readonly batchIntervalMs: number;
  private readonly hurryForWaiters: boolean;
  private readonly logger: Logger;
  private checkpoints = new Map<string, number>();
  private readonly waiters = new PositionWaiters(() => this.position());
  private session: Session | null = null;

  constructor(private readonly options: ProjectionRunnerOptions) {
    this.db = options.db;
    this.projections = options.projections;
    this.handled = new Map(options.projections.map((p) => [p.name, new Set(p.handles)]));
    this.batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
    this.retryDelayMs = options.retryDelayMs ?? DEFAULT_RETRY_DELAY_MS;
    this.batchIntervalMs = options.batchIntervalMs ?? DEFAULT_BATCH_INTERVAL_MS;
    this.hurryForWaiters = options.hurryForWaiters ?? false;
    this.logger = options.logger;
  }

  /**
   * Creates the checkpoint table and, for each projection that is new or whose stored version
   * differs from its code, recreates its tables empty with checkpoint 0 (it is then rebuilt
   * from the start of the log). Idempotent; start() calls it too.
   */
  prepare(): void {
    this.db.exec(`CREATE TABLE IF NOT EXISTS projection_checkpoints (
      name TEXT PRIMARY KEY, version INTEGER NOT NULL, position INTEGER NOT NULL)`);
    const stored = this.storedCheckpoints();
    const rebuilt: { projection: string; storedVersion: number | null; version: number }[] = [];
    for (const projection of this.projections) {
      const current = stored.get(projection.name);
      if (current?.version === projection.version) continue;
      this.db.transaction(() => {
        projection.reset(this.db);
        this.writeCheckpoint(projection.name, projection.version, 0);
      })();
      rebuilt.push({ projection: projection.name, storedVersion: current?.version ?? null, version: projection.version });
    }
    // One line for them all: a first start creates every projection.
    if (rebuilt.length > 0) {
      if (this.options.lane) this.logger.debug({ projections: rebuilt, lane: this.options.lane }, 'projections (re)created; rebuilding them from position 0');
      else this.logger.info({ projections: rebuilt }, 'projections (re)created; rebuilding them from position 0');
    }
    this.checkpoints = this.positionsOf(this.storedCheckpoints());
  }

  start(): void {
    if (this.session) return;
    this.prepare();
    const session: Session = {
      abort: new AbortController(),
      buffer: [],
      applying: Promise.resolve(),
      applyScheduled: false,
      pacing: null,
      lastBatchEnd: Number.NEGATIVE_INFINITY,
      done: Promise.resolve(),
    };
    session.done = this.run(session);
    this.session = session;
  }

  /**
   * Ends the subscription; resolves once the batch being applied (if any) is committed and the
   * events already received are applied too. A paced lane holds up to one interval of events in
   * its buffer: a clean stop leaves its checkpoint where the log was, not an interval behind.
   */
  async stop(): Promise<void> {
    const session = this.session;
    if (!session) return;
    // Cleared first so start() may follow at once: the aborted session applies no further batch.
    this.session = null;
    session.abort.abort();
    if (session.pacing) clearTimeout(session.pacing);
    session.pacing = null;
    await session.done;
    this.applyReceived(session);
  }

  /** One attempt, no retry: what fails here is applied by the next start, from the checkpoints. */
  private applyReceived(session: Session): void {
    try {
      while (session.buffer.length > 0) {
        const batch = session.buffer.slice(0, this.batchSize);
        this.applyBatch(batch);
        session.buffer.splice(0, batch.length);
      }
    } catch (caught) {
      const err = caught instanceof BatchFailure ? this.locate(caught) : caught;
      this.logger.warn(
        { err, position: session.buffer[0]?.position, buffered: session.buffer.length },
        'could not apply the received events on stop; the next start applies them',
      );
      session.buffer.length = 0;
    }
  }

  /** The log position every projection has applied (for health and metrics). */
  position(): number {
    return lowest(this.checkpoints);
  }

  waitFor(position: number, timeoutMs: number): Promise<boolean> {
    if (position <= this.position()) return Promise.resolve(true);
    if (this.hurryForWaiters) this.hurry();
    return this.waiters.wait(position, timeoutMs);
  }

  /** Applies a paced batch on the next turn instead of when its interval ends. */
  private hurry(): void {
    const session = this.session;
    if (!session?.pacing) return;
    clearTimeout(session.pacing);
    session.pacing = null;
    setImmediate(() => {
      session.applyScheduled = false;
      void this.applyBuffered(session);
    });
  }

  /** Subscribes from the lowest checkpoint; resubscribes with backoff when the subscription fails. */
  private async run(session: Session): Promise<void> {
    const { signal } = session.abort;
    for (let attempt = 0; !signal.aborted; attempt += 1) {
      try {
        await this.follow(session);
        if (signal.aborted) break;
        this.logger.warn({ position: this.position() }, 'event subscription ended unexpectedly; resubscribing');
      } catch (err) {
        if (signal.aborted) break;
        this.logger.error({ err, position: this.position() }, 'event subscription failed; resubscribing');
      }
      await session.applying;
      session.buffer.length = 0; // the new subscription starts after what was applied
      await sleep(this.backoff(attempt), signal);
    }
    await session.applying;
  }

  private async follow(session: Session): Promise<void> {
    const { signal } = session.abort;
    const after = lowest(this.positionsOf(this.storedCheckpoints()));
    for await (const event of this.options.eventStore.subscribeAll({ after, signal })) {
      if (signal.aborted) break;
      session.buffer.push(event);
      // A full buffer waits for the database (backpressure); otherwise whatever has arrived by
      // the next turn of the event loop goes into one batch.
      if (session.buffer.length >= this.batchSize) await this.applyBuffered(session);
      else this.scheduleApply(session);
    }
  }

  private scheduleApply(session: Session): void {
    if (session.applyScheduled) return;
    session.applyScheduled = true;
    const apply = () => {
      if (session.pacing) clearTimeout(session.pacing);
      session.pacing = null;
      session.applyScheduled = false;
      void this.applyBuffered(session);
    };
    const wait = session.lastBatchEnd + this.batchIntervalMs - performance.now();
    if (wait > 0 && !(this.hurryForWaiters && this.waiters.size > 0)) session.pacing = setTimeout(apply, wait);
    else setImmediate(apply);
  }

  private applyBuffered(session: Session): Promise<void> {
    session.applying = session.applying.then(() => this.drain(session));
    return session.applying;
  }

  /** Never rejects: a failing batch is retried (with backoff) until it commits or the run stops. */
  private async drain(session: Session): Promise<void> {
    const { signal } = session.abort;
    for (let attempt = 0; session.buffer.length > 0 && !signal.aborted;) {
      const batch = session.buffer.slice(0, this.batchSize);
      try {
        this.applyBatch(batch);
        session.lastBatchEnd = performance.now();
        session.buffer.splice(0, batch.length);
        attempt = 0;
      } catch (caught) {
        const err = caught instanceof BatchFailure ? this.locate(caught) : caught;
        const retryInMs = this.backoff(attempt);
        this.logBatchFailure(err, batch, attempt, retryInMs);
        attempt += 1;
        await sleep(retryInMs, signal);
      }
    }
  }

  private applyBatch(batch: RecordedEvent[]): void {
    const commit = this.db.transaction(() => {
      const stored = this.positionsOf(this.storedCheckpoints());
      const last = batch.reduce((highest, event) => Math.max(highest, event.position), 0);
      // Projection by projection (each owns its tables, none reads another's), in log order within.
      for (const projection of this.projections) {
        const checkpoint = stored.get(projection.name) ?? 0;
        this.applyTo(projection, this.eventsFor(projection, batch, checkpoint));
        stored.set(projection.name, Math.max(checkpoint, last));
        this.writeCheckpoint(projection.name, projection.version, stored.get(projection.name) ?? 0);
      }
      return stored;
    });
    // IMMEDIATE takes the write lock before reading the checkpoints the skip decision rests on.
    this.checkpoints = commit.immediate();
    this.waiters.settle();
    this.options.onApplied?.(this.position());
  }

  /**
   * The batch's events this projection has not applied yet and handles, in log order. An event
   * at or below the checkpoint, or redelivered later in the same batch (at-least-once delivery),
   * is left out.
   */
  private eventsFor(projection: SqliteProjection, batch: readonly RecordedEvent[], checkpoint: number): RecordedEvent[] {
    const handled = this.handled.get(projection.name);
    const events: RecordedEvent[] = [];
    let applied = checkpoint;
    for (const event of batch) {
      if (event.position <= applied) continue;
      applied = event.position;
      if (handled?.has(event.type)) events.push(event);
    }
    return events;
  }

  private applyTo(projection: SqliteProjection, events: RecordedEvent[]): void {
    if (events.length === 0) return;
    if (projection.applyBatch) {
      try {
        projection.applyBatch(events, this.db);
      } catch (err) {
        throw new BatchFailure(projection, events, err);
      }
      return;
    }
    this.applyEach(projection, events);
  }

  /**
   * After a batch applied at once failed (its transaction is rolled back by then): applies the
   * same events one at a time in a transaction that is always rolled back, to name the event at
   * fault. No savepoint per batch is needed for this, so the common path pays nothing.
   */
  private locate(failure: BatchFailure): ProjectionFailure {
    let located = new ProjectionFailure(failure.projection.name, failure.events[0], failure.cause, failure.events.at(-1));
    try {
      this.db.transaction(() => {
        try {
          this.applyEach(failure.projection, failure.events);
        } catch (err) {
          if (err instanceof ProjectionFailure) located = err;
        }
        throw ROLL_BACK;
      })();
    } catch (err) {
      if (err !== ROLL_BACK)
        this.logger.warn({ err, projection: failure.projection.name }, 'could not replay the failed batch event by event to name the event at fault');
    }
    return located;
  }

  private applyEach(projection: SqliteProjection, events: readonly RecordedEvent[]): void {
    for (const event of events) {
      try {
        projection.apply(event, this.db);
      } catch (err) {
        throw new ProjectionFailure(projection.name, event, err);
      }
    }
  }

  private logBatchFailure(err: unknown, batch: RecordedEvent[], attempt: number, retryInMs: number): void {
    if (err instanceof ProjectionFailure) {
      this.logger.error(
        {
          projection: err.projection,
          position: err.event.position,
          eventType: err.event.type,
          streamId: err.event.streamId,
          attempt,
          retryInMs,
          err: err.cause,
        },
        'projection failed to apply an event; retrying the batch',
      );
    } else {
      this.logger.error({ position: batch[0].position, batchSize: batch.length, attempt, retryInMs, err }, 'projection batch failed; retrying');
    }
  }

  private backoff(attempt: number): number {
    return Math.min(this.retryDelayMs.max, this.retryDelayMs.initial * 2 ** Math.min(attempt, 30));
  }

  private storedCheckpoints(): Map<string, { version: number; position: number }> {
    const rows = statement(this.db, 'SELECT name, version, position FROM projection_checkpoints').all() as Array<{
      name: string;
      version: number;
      position: number;
    }>;
    return new Map(rows.map((row) => [row.name, { version: row.version, position: row.position }]));
  }

  /** Current projections only: a checkpoint left by a removed projection must not hold the others back. */
  private positionsOf(stored: Map<string, { version: number; position: number }>): Map<string, number> {
    return new Map(this.projections.map((p) => [p.name, stored.get(p.name)?.position ?? 0]));
  }

  private writeCheckpoint(name: string, version: number, position: number): void {
    statement(
      this.db,
      `INSERT INTO projection_checkpoints (name, version, position) VALUES (?, ?, ?)
       ON CONFLICT (name) DO UPDATE SET version = excluded.version, position = excluded.position`,
    ).run(name, version, position);
  }
}

function lowest(positions: Map<string, number>): number {
  return positions.size === 0 ? 0 : Math.min(...positions.values());
}

/** Resolves after `ms`, or at once when the signal aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
