import type Database from 'better-sqlite3';
import { GENESIS_HASH } from '../../application/audit/hash-chain';
import {
  ConcurrencyError,
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
import { chainHash, eventHashParts, type EventHashParts } from './event-hash';

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

interface StoredIdRow {
  event_id: string;
  stream_id: string;
  revision: number;
  position: number;
}

interface StreamHead {
  revision: number;
  hash: string;
}

/** Where the first append to a stream goes: after revision -1, chained to GENESIS_HASH. */
const NO_STREAM: StreamHead = Object.freeze({ revision: -1, hash: GENESIS_HASH });

/** An event checked and serialised before it joins a batch, so the transaction does only SQL and hashing. */
interface PreparedEvent {
  id: string;
  type: string;
  dataJson: string;
  metadataJson: string;
  /**
   * What the hash covers, all but the revision: the values as they will read back from JSON, not
   * as they were passed.
   */
  hash: EventHashParts;
}

/** One queued write of a group-commit transaction. */
interface PendingWrite {
  /**
   * Runs inside the batch transaction. When it throws it must have written nothing: a single
   * statement is undone by SQLite itself, several are wrapped in a SAVEPOINT (insertEvents).
   */
  run(): unknown;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

/**
 * The event store on the embedded SQLite file (docs/design.md "Storage").
 *
 * Group commit: a commit with synchronous=FULL costs an fsync, so one commit per append caps the
 * store at a few thousand appends per second. Writes (append, deleteStream) are queued and, on
 * the next setImmediate, up to `maxBatchSize` of them run in ONE `BEGIN IMMEDIATE ... COMMIT`; a
 * write that fails (a ConcurrencyError, say) leaves nothing behind (a failed statement undoes
 * itself, an append of several events runs in a SAVEPOINT) and the others of the batch commit.
 * Each caller's promise settles after COMMIT returned, so a resolved append is durable.
 * Writes run in the order they were called, so later appends to the same stream in the same
 * batch see the earlier ones (their expected revision and hash chain build on them).
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

  private queue: PendingWrite[] = [];
  private flushHandle: NodeJS.Immediate | null = null;
  private closed = false;
  /** Aborted by close(): ends every subscription of this instance. */
  private readonly closing = new AbortController();
  /** Bumped after every COMMIT; a subscription compares it to know it missed no wake-up. */
  private commitSequence = 0;
  private readonly commitWaiters = new Set<() => void>();
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
  }

  /** A snapshot of the group-commit counters. */
  stats(): GroupCommitStats {
    return { ...this.counters };
  }

  async append(streamId: string, events: NewEvent[], options: { expectedRevision: ExpectedRevision }): Promise<AppendResult> {
    checkStreamId(streamId);
    const expected = checkExpectedRevision(streamId, options?.expectedRevision);
    const prepared = prepareEvents(streamId, events);
    return this.enqueue(() => this.appendInTransaction(streamId, prepared, expected));
  }

  async deleteStream(streamId: string): Promise<void> {
    checkStreamId(streamId);
    // Through the write queue, so a delete never overtakes an append that was called before it.
    await this.enqueue(() => {
      this.statements.deleteStream.run(streamId);
    });
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
   * waiting for a durable answer. Later calls fail with StoreUnavailableError.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.flushHandle) clearImmediate(this.flushHandle);
    this.flushHandle = null;
    while (this.queue.length > 0) this.writeBatch(this.queue.splice(0, this.maxBatchSize));
    this.closing.abort();
  }

  // ---- writes -------------------------------------------------------------------------------

  private enqueue<T>(run: () => T): Promise<T> {
    if (this.closed) return Promise.reject(closedError());
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ run, resolve: resolve as (value: unknown) => void, reject });
      // setImmediate, not a microtask: it runs after the I/O callbacks of this loop turn, so
      // appends from requests that arrived together share one commit.
      this.flushHandle ??= setImmediate(() => this.flushTick());
    });
  }

  private flushTick(): void {
    this.flushHandle = null;
    this.writeBatch(this.queue.splice(0, this.maxBatchSize));
    if (this.queue.length > 0) this.flushHandle = setImmediate(() => this.flushTick());
  }

  private writeBatch(batch: PendingWrite[]): void {
    if (batch.length === 0) return;
    let outcomes: Outcome[];
    try {
      outcomes = this.runTransaction(batch);
    } catch (error) {
      const failure = mapSqliteError(error);
      for (const write of batch) write.reject(failure);
      return;
    }
    this.counters.transactions += 1;
    this.counters.writes += batch.length;
    this.counters.largestBatch = Math.max(this.counters.largestBatch, batch.length);
    this.commitSequence += 1;
    for (const wake of [...this.commitWaiters]) wake();
    outcomes.forEach((outcome, i) => (outcome.ok ? batch[i].resolve(outcome.value) : batch[i].reject(outcome.error)));
  }

  /** Returns one outcome per write; throws when the transaction as a whole failed (nothing committed). */
  private runTransaction(batch: PendingWrite[]): Outcome[] {
    // Outside the try: when BEGIN fails there is no transaction of ours to roll back.
    this.statements.begin.run();
    try {
      const outcomes = batch.map((write) => this.runWrite(write));
      this.statements.commit.run();
      return outcomes;
    } catch (error) {
      if (this.db.inTransaction) {
        try {
          this.statements.rollback.run();
        } catch {
          // The original error says more than a failed rollback; SQLite rolls back on close anyway.
        }
      }
      throw error;
    }
  }

  private runWrite(write: PendingWrite): Outcome {
    try {
      return { ok: true, value: write.run() };
    } catch (error) {
      // Disk full, I/O errors and the like make SQLite abort the whole transaction: then every
      // write of the batch fails together (runTransaction rethrows).
      if (!this.db.inTransaction) throw error;
      return { ok: false, error: mapSqliteError(error) };
    }
  }

  /**
   * Runs inside the batch transaction: sees every write committed or queued before it.
   *
   * Insert first, look the ids up only when that fails. expectedHead checks the expected
   * revision with one short ascending index probe; then the UNIQUE(event_id) constraint tells
   * whether any id is stored already. When it refuses, the inserts are undone and appendChecked
   * works out what happened (a redelivered duplicate, a conflict, an id of another stream)
   * exactly as before: a failed statement and a second look, but only on that rare path.
   */
  private appendInTransaction(streamId: string, events: PreparedEvent[], expected: ExpectedRevision): AppendResult {
    const after = this.expectedHead(streamId, expected);
    if (after === undefined) return this.appendChecked(streamId, events, expected);
    try {
      return this.insertEvents(streamId, events, after.revision, after.hash);
    } catch (error) {
      if ((error as { code?: unknown } | null)?.code !== 'SQLITE_CONSTRAINT_UNIQUE' || !this.db.inTransaction) throw error;
      return this.appendChecked(streamId, events, expected);
    }
  }

  /**
   * The stream's head when it is what `expected` says (or `expected` is "any"); undefined when
   * it is not, and appendChecked must tell a conflict from a redelivered duplicate.
   */
  private expectedHead(streamId: string, expected: ExpectedRevision): StreamHead | undefined {
    if (expected === 'no-stream') return this.statements.streamExists.get(streamId) === undefined ? NO_STREAM : undefined;
    if (expected === 'any') return (this.statements.streamHead.get(streamId) as StreamHead | undefined) ?? NO_STREAM;
    // The expected revision and the one after it, if any: the head is `expected` when there is
    // exactly that one row.
    const rows = this.statements.headFrom.all(streamId, expected) as StreamHead[];
    return rows.length === 1 && rows[0].revision === expected ? rows[0] : undefined;
  }

  /** Reads the stream's head and looks the ids up before writing: duplicates and conflicts. */
  private appendChecked(streamId: string, events: PreparedEvent[], expected: ExpectedRevision): AppendResult {
    const head = this.statements.streamHead.get(streamId) as StreamHead | undefined;
    const stored = this.statements.findEventIds.all(JSON.stringify(events.map((e) => e.id))) as StoredIdRow[];
    if (stored.length > 0) return duplicateResult(streamId, events, stored, expected, head);
    checkRevision(streamId, expected, head);
    return this.insertEvents(streamId, events, head ? head.revision : -1, head ? head.hash : GENESIS_HASH);
  }

  /**
   * Inserts the events after `revision`, chained to `prevHash`. All or nothing: one INSERT undoes
   * itself when it fails; several run in a SAVEPOINT that is rolled back when one fails.
   */
  private insertEvents(streamId: string, events: PreparedEvent[], revision: number, prevHash: string): AppendResult {
    const several = events.length > 1;
    if (several) this.statements.savepoint.run();
    try {
      let position = 0;
      for (const event of events) {
        revision += 1;
        const hash = chainHash(event.hash, revision, prevHash);
        const info = this.statements.insert.run(event.id, streamId, revision, event.type, event.dataJson, event.metadataJson, prevHash, hash);
        position = Number(info.lastInsertRowid);
        prevHash = hash;
      }
      if (several) this.statements.release.run();
      return { nextRevision: revision, position, duplicate: false };
    } catch (error) {
      if (several && this.db.inTransaction) {
        this.statements.rollbackToSavepoint.run();
        this.statements.release.run();
      }
      throw error;
    }
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

function prepareStatements(db: Database.Database) {
  return {
    begin: db.prepare('BEGIN IMMEDIATE'),
    commit: db.prepare('COMMIT'),
    rollback: db.prepare('ROLLBACK'),
    savepoint: db.prepare('SAVEPOINT parley_append'),
    release: db.prepare('RELEASE parley_append'),
    rollbackToSavepoint: db.prepare('ROLLBACK TO parley_append'),
    insert: db.prepare('INSERT INTO events (event_id, stream_id, revision, type, data, metadata, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)'),
    streamHead: db.prepare('SELECT revision, hash FROM events WHERE stream_id = ? ORDER BY revision DESC LIMIT 1'),
    // Ascending probes: an index seek for the newest row (ORDER BY ... DESC, MAX) costs several
    // times more than one for the first row from a key.
    streamExists: db.prepare('SELECT 1 FROM events WHERE stream_id = ? LIMIT 1').pluck(),
    headFrom: db.prepare('SELECT revision, hash FROM events WHERE stream_id = ? AND revision >= ? ORDER BY revision LIMIT 2'),
    // One statement for any number of ids: the ids travel as a JSON array.
    findEventIds: db.prepare('SELECT event_id, stream_id, revision, position FROM events WHERE event_id IN (SELECT value FROM json_each(?))'),
    deleteStream: db.prepare('DELETE FROM events WHERE stream_id = ?'),
    readStreamForwards: db.prepare(`SELECT ${COLUMNS} FROM events WHERE stream_id = ? AND revision >= ? ORDER BY revision ASC LIMIT ?`),
    readStreamBackwards: db.prepare(`SELECT ${COLUMNS} FROM events WHERE stream_id = ? AND revision <= ? ORDER BY revision DESC LIMIT ?`),
    readAll: db.prepare(`SELECT ${COLUMNS} FROM events WHERE position > ? ORDER BY position ASC LIMIT ?`),
    headPosition: db.prepare('SELECT COALESCE(MAX(position), 0) FROM events').pluck(),
  };
}

/**
 * Some of the ids are stored already. All of them in this stream: a redelivery, answered with
 * what the original append returned. Only some: the batch cannot be both old and new.
 */
function duplicateResult(
  streamId: string,
  events: PreparedEvent[],
  stored: StoredIdRow[],
  expected: ExpectedRevision,
  head: StreamHead | undefined,
): AppendResult {
  const elsewhere = stored.find((row) => row.stream_id !== streamId);
  if (elsewhere) {
    throw new Error(
      `cannot append event ${elsewhere.event_id} to stream ${streamId}: that event id is already stored in stream ${elsewhere.stream_id}; event ids must be unique across streams (use a new uuid)`,
    );
  }
  if (stored.length < events.length) throw new ConcurrencyError(streamId, expected, head ? head.revision : 'no-stream');
  const last = stored.reduce((a, b) => (b.revision > a.revision ? b : a));
  return { nextRevision: last.revision, position: last.position, duplicate: true };
}

function checkRevision(streamId: string, expected: ExpectedRevision, head: StreamHead | undefined): void {
  if (expected === 'any') return;
  const actual = head ? head.revision : 'no-stream';
  if (actual !== expected) throw new ConcurrencyError(streamId, expected, actual);
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

const UNAVAILABLE_CODES = /^SQLITE_(BUSY|LOCKED|CANTOPEN)/;

/**
 * A locked or unopenable file is a condition to retry (503); everything else propagates as-is,
 * because only the port's own errors carry a meaning callers can act on.
 */
function mapSqliteError(error: unknown): unknown {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && UNAVAILABLE_CODES.test(code)) {
    return new StoreUnavailableError(`the event store database is unavailable (${code}: ${(error as Error).message}); retry shortly`, error);
  }
  if (error instanceof TypeError && error.message === 'The database connection is not open') {
    return new StoreUnavailableError('the event store database connection was closed; retry against a running instance', error);
  }
  return error;
}
