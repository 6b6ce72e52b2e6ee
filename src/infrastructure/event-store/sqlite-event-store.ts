import type Database from 'better-sqlite3';
import {
  CorruptEventError,
  StoreUnavailableError,
  type AppendResult,
  type EventMetadata,
  type EventStore,
  type ExpectedRevision,
  type NewEvent,
  type ReadAllOptions,
  type ReadStreamOptions,
  type RecordedEvent,
  type SubscribeAllOptions,
} from '../../application/ports/event-store.port';
import { eventHashParts } from './event-hash';
import { BatchFailed, EventLogWriter, type CarriedRows, type Outcome, type PreparedEvent, type WriteOp } from './event-log-writer';
import { WriterThread } from './event-log-writer-thread';
import { retryableSqliteError } from '../sqlite/unavailable';

export interface SqliteEventStoreOptions {
  /**
   * How often an idle subscription looks for events committed by another connection (a CLI, a
   * second process). Appends through this instance wake subscriptions at once. Default 200 ms.
   */
  pollIntervalMs?: number;
  /** Most writes committed in one transaction; bounds the latency of a single group commit. Default 500. */
  maxBatchSize?: number;
  /** Events a subscription reads per query while catching up. Default 500. */
  pageSize?: number;
  /**
   * Run the write transactions in a worker thread on a connection of its own (the server), so the
   * main thread neither runs the inserts nor waits for the fsync. `script` is the worker to run:
   * WRITER_THREAD_FILE (event-log-writer-thread.ts), the compiled one, unless tests that run the
   * TypeScript sources give their own. Without it the writes run in-process, on `db` (the CLI,
   * most tests).
   */
  writerThread?: { script?: string };
}

/** Counters that show group commit at work (tests, diagnostics). */
export interface GroupCommitStats {
  /** Transactions committed (BEGIN IMMEDIATE ... COMMIT). */
  transactions: number;
  /** Appends and stream deletions carried by those transactions, including ones that failed alone. */
  writes: number;
  largestBatch: number;
}

/**
 * AUTOINCREMENT so a position is never handed out twice, even after the newest events were
 * deleted: checkpoints of projections stay meaningful. STRICT so a bad bind fails loudly.
 * UNIQUE(stream_id, revision) doubles as the index for stream reads and for the stream's head.
 */
const SCHEMA = `
  CREATE TABLE IF NOT EXISTS events (
    position  INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id  TEXT NOT NULL UNIQUE,
    stream_id TEXT NOT NULL,
    revision  INTEGER NOT NULL,
    type      TEXT NOT NULL,
    data      TEXT NOT NULL,
    metadata  TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash      TEXT NOT NULL,
    UNIQUE (stream_id, revision)
  ) STRICT;
`;

const COLUMNS = 'position, event_id, stream_id, revision, type, data, metadata, prev_hash, hash';

interface EventRow {
  position: number;
  event_id: string;
  stream_id: string;
  revision: number;
  type: string;
  data: string;
  metadata: string;
  prev_hash: string;
  hash: string;
}

/** One queued write of a group-commit transaction. */
interface PendingWrite {
  op: WriteOp;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

/**
 * Rows of another table that must be durable no later than the events appended after they were
 * handed over (the subject keys, sqlite-subject-keys.ts): the store takes them at the start of
 * every batch and writes them first, in the same transaction. A key is then durable exactly when
 * the first events sealed with it are, and costs no transaction of its own.
 */
export interface RowsToCarry {
  /** The rows to write with the next batch, or null; taken rows are the store's until one of the two calls below. */
  take(): CarriedRows | null;
  /** The batch that carried them committed. */
  committed(rows: CarriedRows): void;
  /** The batch failed (or its outcome is unknown): they go with the next one. */
  giveBack(rows: CarriedRows): void;
}

type Carried = Array<{ source: RowsToCarry; rows: CarriedRows }>;

/**
 * The event store on the embedded SQLite file (docs/design.md "Storage").
 *
 * Group commit: a commit with synchronous=FULL costs an fsync, so one commit per append caps the
 * store at a few thousand appends per second. Writes (append, deleteStream) are queued and, on
 * the next setImmediate, up to `maxBatchSize` of them run in ONE `BEGIN IMMEDIATE ... COMMIT`
 * (EventLogWriter); a write that fails (a ConcurrencyError, say) leaves nothing behind and the
 * others of the batch commit. Each caller's promise settles after COMMIT returned, so a resolved
 * append is durable. Writes run in the order they were called, so later appends to the same
 * stream in the same batch see the earlier ones (their expected revision and hash chain build on
 * them).
 *
 * With `writerThread` the transaction runs in a worker thread (WriterThread): one batch is in
 * flight at a time, and the next one gathers meanwhile, so the order stays the call order. Reads
 * stay on `db`: in WAL mode a read that starts after the thread's COMMIT returned sees it.
 *
 * The connection is the caller's (opened with synchronous=FULL, which the constructor checks):
 * close() ends this store's work and subscriptions but leaves the Database open. Queries are
 * prepared once. Stored JSON is parsed only for events being returned: an append reads no more
 * of its stream than the last revision and hash.
 */
export class SqliteEventStore implements EventStore {
  private readonly pollIntervalMs: number;
  private readonly maxBatchSize: number;
  private readonly pageSize: number;
  private readonly statements: ReturnType<typeof prepareStatements>;
  /** Exactly one of the two: the transaction runs here, or in the writer thread. */
  private readonly writer: EventLogWriter | null;
  private readonly thread: WriterThread | null;
  private readonly carriers: RowsToCarry[] = [];

  private queue: PendingWrite[] = [];
  private flushHandle: NodeJS.Immediate | null = null;
  /** The batch in the writer thread, settled (never rejected) once its callers have their answers. */
  private inFlight: Promise<void> | null = null;
  private closed = false;
  /** Aborted by close(): ends every subscription of this instance. */
  private readonly closing = new AbortController();
  /** Bumped after every COMMIT; a subscription compares it to know it missed no wake-up. */
  private commitSequence = 0;
  private readonly commitWaiters = new Set<() => void>();
  private readonly commitListeners = new Set<() => void>();
  private readonly counters: GroupCommitStats = { transactions: 0, writes: 0, largestBatch: 0 };

  constructor(
    private readonly db: Database.Database,
    options: SqliteEventStoreOptions = {},
  ) {
    this.pollIntervalMs = positiveInteger('pollIntervalMs', options.pollIntervalMs ?? 200);
    this.maxBatchSize = positiveInteger('maxBatchSize', options.maxBatchSize ?? 500);
    this.pageSize = positiveInteger('pageSize', options.pageSize ?? 500);
    // A read-only connection (an audit CLI) cannot create tables; the file must already hold them.
    if (!db.readonly) {
      requireFullSync(db);
      db.exec(SCHEMA);
    }
    this.statements = prepareStatements(db);
    if (options.writerThread) {
      if (db.readonly || db.memory) throw new Error('the event log can write in a thread only on a writable database file');
      this.thread = new WriterThread(db.name, options.writerThread.script);
      this.writer = null;
    } else {
      this.thread = null;
      this.writer = new EventLogWriter(db);
    }
  }

  /** Calls `listener` after each COMMIT of this store's writes; returns the unsubscribe. */
  onCommit(listener: () => void): () => void {
    this.commitListeners.add(listener);
    return () => this.commitListeners.delete(listener);
  }

  /**
   * Another connection committed to the log (the projection thread is told of the main thread's
   * commits): subscriptions read on now instead of at their next poll.
   */
  noticeCommit(): void {
    this.wakeSubscriptions();
  }

  private wakeSubscriptions(): void {
    this.commitSequence += 1;
    for (const wake of [...this.commitWaiters]) wake();
  }

  /** A snapshot of the group-commit counters. */
  stats(): GroupCommitStats {
    return { ...this.counters };
  }

  /** Rows `source` hands over are written first in every batch from now on (see RowsToCarry). */
  carry(source: RowsToCarry): () => void {
    this.carriers.push(source);
    return () => {
      const at = this.carriers.indexOf(source);
      if (at >= 0) this.carriers.splice(at, 1);
    };
  }

  async append(streamId: string, events: NewEvent[], options: { expectedRevision: ExpectedRevision }): Promise<AppendResult> {
    checkStreamId(streamId);
    const expected = checkExpectedRevision(streamId, options?.expectedRevision);
    const prepared = prepareEvents(streamId, events);
    return this.enqueue<AppendResult>({ kind: 'append', streamId, events: prepared, expected });
  }

  async deleteStream(streamId: string): Promise<void> {
    checkStreamId(streamId);
    // Through the write queue, so a delete never overtakes an append that was called before it.
    await this.enqueue<void>({ kind: 'delete', streamId });
  }

  /**
   * Commits what is queued and the carried rows now, and resolves once they are durable; with
   * nothing to write, once the batch in flight (if any) settled.
   */
  async flush(): Promise<void> {
    if (this.closed) throw closedError();
    await this.settled();
    do await this.startBatch();
    while (this.queue.length > 0 || this.inFlight);
  }

  /** Resolves once no batch is in the writer thread (at once in-process, where a batch never outlives a call). */
  async settled(): Promise<void> {
    while (this.inFlight) await this.inFlight;
  }

  async readStream(streamId: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    checkStreamId(streamId);
    const maxCount = options.maxCount === undefined ? -1 : nonNegativeInteger('maxCount', options.maxCount);
    const rows =
      options.direction === 'backwards'
        ? this.query(() =>
            this.statements.readStreamBackwards.all(
              streamId,
              options.fromRevision === undefined ? Number.MAX_SAFE_INTEGER : nonNegativeInteger('fromRevision', options.fromRevision),
              maxCount,
            ),
          )
        : this.query(() => this.statements.readStreamForwards.all(streamId, nonNegativeInteger('fromRevision', options.fromRevision ?? 0), maxCount));
    return (rows as EventRow[]).map(toRecordedEvent);
  }

  async streamHead(streamId: string): Promise<{ revision: number; position: number } | null> {
    checkStreamId(streamId);
    return (this.query(() => this.statements.streamHead.get(streamId)) as { revision: number; position: number } | undefined) ?? null;
  }

  async readAll(options: ReadAllOptions): Promise<RecordedEvent[]> {
    return this.readAllNow(nonNegativeInteger('after', options.after), nonNegativeInteger('maxCount', options.maxCount));
  }

  async headPosition(): Promise<number> {
    return this.query(() => this.statements.headPosition.get() as number);
  }

  subscribeAll(options: SubscribeAllOptions): AsyncIterable<RecordedEvent> {
    return this.follow(nonNegativeInteger('after', options.after), options.signal);
  }

  /**
   * Writes already accepted are committed before this resolves, not dropped: their callers are
   * waiting for a durable answer. So are rows handed over to be carried. The writer thread has
   * exited when it resolves. Later calls fail with StoreUnavailableError.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.flushHandle) clearImmediate(this.flushHandle);
    this.flushHandle = null;
    await this.settled();
    while (this.queue.length > 0) await this.startBatch();
    // Carried rows with no write left to go with them: once, so a failing batch cannot loop here.
    await this.startBatch();
    await this.thread?.close();
    this.closing.abort();
  }

  // ---- writes -------------------------------------------------------------------------------

  private enqueue<T>(op: WriteOp): Promise<T> {
    if (this.closed) return Promise.reject(closedError());
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ op, resolve: resolve as (value: unknown) => void, reject });
      // setImmediate, not a microtask: it runs after the I/O callbacks of this loop turn, so
      // appends from requests that arrived together share one commit.
      this.flushHandle ??= setImmediate(() => this.flushTick());
    });
  }

  private flushTick(): void {
    this.flushHandle = null;
    // The batch in flight schedules the next one when it settles.
    if (this.inFlight) return;
    void this.startBatch();
    if (this.queue.length > 0 && !this.inFlight) this.flushHandle = setImmediate(() => this.flushTick());
  }

  /**
   * Writes the next batch with the rows carriers hand over: synchronously in-process, or handed
   * to the writer thread (then the returned promise settles when its callers have their answers).
   * Never rejects: every write's own promise carries its outcome.
   */
  private startBatch(): Promise<void> | undefined {
    if (this.inFlight) return this.inFlight;
    const batch = this.queue.splice(0, this.maxBatchSize);
    const carried = this.takeCarried();
    if (batch.length === 0 && carried.length === 0) return undefined;
    const ops = batch.map((write) => write.op);
    const rows = carried.map((c) => c.rows);
    if (this.writer) {
      let outcomes: Outcome[];
      try {
        outcomes = this.writer.run(rows, ops);
      } catch (error) {
        this.fail(batch, carried, error instanceof BatchFailed ? error.error : error);
        return undefined;
      }
      this.settle(batch, carried, outcomes);
      return undefined;
    }
    const inFlight = this.thread!.run(rows, ops).then(
      (outcomes) => this.settle(batch, carried, outcomes),
      (error: unknown) => this.fail(batch, carried, error),
    );
    this.inFlight = inFlight.finally(() => {
      this.inFlight = null;
      // What gathered while this batch was in the thread goes next (close() drains it itself).
      if (this.queue.length > 0 && !this.closed) this.flushHandle ??= setImmediate(() => this.flushTick());
    });
    return this.inFlight;
  }

  private takeCarried(): Carried {
    const carried: Carried = [];
    for (const source of this.carriers) {
      const rows = source.take();
      if (rows && rows.rows.length > 0) carried.push({ source, rows });
    }
    return carried;
  }

  private settle(batch: PendingWrite[], carried: Carried, outcomes: Outcome[]): void {
    for (const { source, rows } of carried) source.committed(rows);
    this.counters.transactions += 1;
    this.counters.writes += batch.length;
    this.counters.largestBatch = Math.max(this.counters.largestBatch, batch.length);
    this.wakeSubscriptions();
    for (const listener of this.commitListeners) listener();
    outcomes.forEach((outcome, i) => (outcome.ok ? batch[i].resolve(outcome.value) : batch[i].reject(mapSqliteError(outcome.error))));
  }

  /** Nothing of the batch was committed (or, when the writer thread died, it is unknown whether it was). */
  private fail(batch: PendingWrite[], carried: Carried, error: unknown): void {
    for (const { source, rows } of carried) source.giveBack(rows);
    const failure = mapSqliteError(error);
    for (const write of batch) write.reject(failure);
  }

  // ---- reads --------------------------------------------------------------------------------

  private readAllNow(after: number, maxCount: number): RecordedEvent[] {
    const rows = this.query(() => this.statements.readAll.all(after, maxCount)) as EventRow[];
    return rows.map(toRecordedEvent);
  }

  /**
   * Pages through the log after the checkpoint, then sleeps until this instance commits or the
   * poll interval passes (another connection may have committed). Positions are handed out under
   * SQLite's single write lock, in commit order, so reading "after the last seen position" can
   * neither skip nor repeat an event.
   */
  private async *follow(after: number, external: AbortSignal | undefined): AsyncGenerator<RecordedEvent> {
    if (this.closed) throw closedError();
    const signal = external ? AbortSignal.any([external, this.closing.signal]) : this.closing.signal;
    let checkpoint = after;
    while (!signal.aborted) {
      const seen = this.commitSequence;
      const page = this.readAllNow(checkpoint, this.pageSize);
      for (const event of page) {
        if (signal.aborted) return;
        checkpoint = event.position;
        yield event;
      }
      if (page.length < this.pageSize) await this.nextCommitOrPoll(seen, signal);
      // A long catch-up only resolves microtasks; give timers and HTTP a turn after each full page.
      else await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }

  private nextCommitOrPoll(seen: number, signal: AbortSignal): Promise<void> {
    // A commit between our read and now would otherwise be missed until the next poll.
    if (this.commitSequence !== seen || signal.aborted) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.commitWaiters.delete(wake);
        signal.removeEventListener('abort', wake);
        resolve();
      };
      const timer = setTimeout(wake, this.pollIntervalMs);
      this.commitWaiters.add(wake);
      signal.addEventListener('abort', wake, { once: true });
    });
  }

  private query<T>(read: () => T): T {
    if (this.closed) throw closedError();
    try {
      return read();
    } catch (error) {
      throw mapSqliteError(error);
    }
  }
}

/** A resolved append must survive a power cut; with NORMAL the last commits may not. */
function requireFullSync(db: Database.Database): void {
  const level = db.pragma('synchronous', { simple: true }) as number;
  if (level < 2) {
    throw new Error(
      `the event store needs a connection with synchronous=FULL (this one is at level ${level}); open it with openDatabase(file, { synchronous: 'FULL' })`,
    );
  }
}

/** The reads; the writes' statements are EventLogWriter's, on whichever connection writes. */
function prepareStatements(db: Database.Database) {
  return {
    readStreamForwards: db.prepare(`SELECT ${COLUMNS} FROM events WHERE stream_id = ? AND revision >= ? ORDER BY revision ASC LIMIT ?`),
    readStreamBackwards: db.prepare(`SELECT ${COLUMNS} FROM events WHERE stream_id = ? AND revision <= ? ORDER BY revision DESC LIMIT ?`),
    readAll: db.prepare(`SELECT ${COLUMNS} FROM events WHERE position > ? ORDER BY position ASC LIMIT ?`),
    headPosition: db.prepare('SELECT COALESCE(MAX(position), 0) FROM events').pluck(),
    streamHead: db.prepare('SELECT revision, position FROM events WHERE stream_id = ? ORDER BY revision DESC LIMIT 1'),
  };
}

function toRecordedEvent(row: EventRow): RecordedEvent {
  let metadata: EventMetadata;
  let data: Record<string, unknown>;
  try {
    metadata = JSON.parse(row.metadata) as EventMetadata;
    data = JSON.parse(row.data) as Record<string, unknown>;
  } catch {
    throw new CorruptEventError(row.stream_id, row.revision, row.position, row.event_id);
  }
  return {
    id: row.event_id,
    streamId: row.stream_id,
    type: row.type,
    revision: row.revision,
    position: row.position,
    data,
    metadata: { ...metadata, prevHash: row.prev_hash, hash: row.hash },
  };
}

function prepareEvents(streamId: string, events: NewEvent[]): PreparedEvent[] {
  if (!Array.isArray(events) || events.length === 0) {
    throw new TypeError(`append to stream ${streamId}: events must be a non-empty array (skip the append when there is nothing to write)`);
  }
  if (events.length === 1) return [prepareEvent(streamId, events[0], 0)];
  const ids = new Set<string>();
  return events.map((event, i) => {
    const prepared = prepareEvent(streamId, event, i);
    if (ids.has(prepared.id)) throw new TypeError(`append to stream ${streamId}: event id ${prepared.id} appears twice in one append`);
    ids.add(prepared.id);
    return prepared;
  });
}

/**
 * Serialises one event. Only the port's four metadata fields are stored, because only they are
 * covered by the hash. The hash is computed over the JSON round trip of data and metadata, so a
 * value that JSON changes (a Date becomes a string) still verifies when read back.
 */
function prepareEvent(streamId: string, event: NewEvent, index: number): PreparedEvent {
  const invalid = (field: string) => new TypeError(`append to stream ${streamId}: events[${index}].${field}`);
  if (typeof event?.id !== 'string' || event.id === '') throw invalid('id must be a non-empty string (a uuid)');
  if (typeof event.type !== 'string' || event.type === '') throw invalid('type must be a non-empty string');
  if (typeof event.data !== 'object' || event.data === null || Array.isArray(event.data)) throw invalid('data must be a plain object');
  if (typeof event.metadata !== 'object' || event.metadata === null) throw invalid('metadata is missing');
  const { actor, occurredAt, correlationId, causationId } = event.metadata;
  const dataJson = JSON.stringify(event.data);
  const metadataJson = JSON.stringify({ actor, occurredAt, correlationId, causationId });
  return {
    id: event.id,
    type: event.type,
    dataJson,
    metadataJson,
    hash: eventHashParts(event.id, streamId, event.type, JSON.parse(dataJson), JSON.parse(metadataJson)),
  };
}

function checkStreamId(streamId: string): void {
  if (typeof streamId !== 'string' || streamId === '') throw new TypeError('streamId must be a non-empty string');
}

function checkExpectedRevision(streamId: string, expected: unknown): ExpectedRevision {
  if (expected === 'no-stream' || expected === 'any') return expected;
  if (typeof expected === 'number' && Number.isSafeInteger(expected) && expected >= 0) return expected;
  throw new TypeError(`append to stream ${streamId}: expectedRevision must be 'no-stream', 'any' or a revision >= 0, got ${JSON.stringify(expected)}`);
}

function nonNegativeInteger(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 0) throw new TypeError(`${name} must be an integer >= 0, got ${String(value)}`);
  return value;
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 1) throw new TypeError(`${name} must be an integer >= 1, got ${String(value)}`);
  return value;
}

function closedError(): StoreUnavailableError {
  return new StoreUnavailableError('the event store is closed (the application is shutting down); retry against a running instance');
}

/** A locked or unopenable file, or a closed connection, is a condition to retry (503); everything else propagates as-is. */
function mapSqliteError(error: unknown): unknown {
  const retryable = retryableSqliteError(error, 'the event store database');
  if (retryable) return retryable;
  if (error instanceof TypeError && error.message === 'The database connection is not open') {
    return new StoreUnavailableError('the event store database connection was closed; retry against a running instance', error);
  }
  return error;
}
