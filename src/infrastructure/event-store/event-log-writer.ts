import type Database from 'better-sqlite3';
import { GENESIS_HASH } from '../../application/audit/hash-chain';
import { ConcurrencyError, type AppendResult, type ExpectedRevision } from '../../application/ports/event-store.port';
import { chainHash, type EventHashParts } from './event-hash';

/**
 * The write half of the embedded event log: one group-commit transaction over a batch of writes.
 * It runs either on the store's own connection (in-process) or in the writer thread
 * (event-log-writer.worker.ts) on a connection of its own, so everything here is plain data in
 * and plain data out: a batch and its outcomes cross the thread boundary as structured clones.
 */

/** An event checked and serialised before it joins a batch, so the transaction does only SQL and hashing. */
export interface PreparedEvent {
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

/** One queued write of a batch. */
export type WriteOp = { kind: 'append'; streamId: string; events: PreparedEvent[]; expected: ExpectedRevision } | { kind: 'delete'; streamId: string };

/**
 * Rows of another table that must be durable no later than the writes of the batch that carries
 * them (the subject keys of the events being appended). Written first, all or nothing with the
 * batch: when one fails, the whole transaction fails. The statement must be idempotent
 * (INSERT OR IGNORE): a batch whose outcome is unknown (a writer thread that died) is carried again.
 */
export interface CarriedRows {
  sql: string;
  rows: unknown[][];
}

/** An error as it crosses the thread boundary; rebuilt by reviveError. */
export type WireError =
  { name: 'ConcurrencyError'; streamId: string; expected: ExpectedRevision; actual: number | 'no-stream' } | { name: string; message: string; code?: string };

export type Outcome = { ok: true; value: AppendResult | undefined } | { ok: false; error: unknown };

/** Thrown when the batch as a whole did not commit: nothing of it was written. */
export class BatchFailed extends Error {
  constructor(readonly error: unknown) {
    super('the batch transaction failed');
  }
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

/**
 * Runs batches on one connection (synchronous=FULL: COMMIT returns once the batch is durable).
 * Writes run in the order given, so later appends to the same stream in the same batch see the
 * earlier ones (their expected revision and hash chain build on them). A write that fails (a
 * ConcurrencyError, say) leaves nothing behind (a failed statement undoes itself, an append of
 * several events runs in a SAVEPOINT) and the others of the batch commit.
 */
export class EventLogWriter {
  private readonly statements: ReturnType<typeof prepareStatements>;
  private readonly carriedStatements = new Map<string, Database.Statement>();

  constructor(private readonly db: Database.Database) {
    this.statements = prepareStatements(db);
  }

  /**
   * One outcome per write; throws BatchFailed when the transaction as a whole failed (nothing
   * committed, carried rows included).
   */
  run(carried: readonly CarriedRows[], writes: readonly WriteOp[]): Outcome[] {
    // Outside the try: when BEGIN fails there is no transaction of ours to roll back.
    try {
      this.statements.begin.run();
    } catch (error) {
      throw new BatchFailed(error);
    }
    try {
      for (const rows of carried) this.writeCarried(rows);
      const outcomes = writes.map((write) => this.runWrite(write));
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
      throw new BatchFailed(error);
    }
  }

  private writeCarried({ sql, rows }: CarriedRows): void {
    let statement = this.carriedStatements.get(sql);
    if (!statement) this.carriedStatements.set(sql, (statement = this.db.prepare(sql)));
    for (const row of rows) statement.run(...row.map(asBindable));
  }

  private runWrite(write: WriteOp): Outcome {
    try {
      if (write.kind === 'delete') {
        this.statements.deleteStream.run(write.streamId);
        return { ok: true, value: undefined };
      }
      return { ok: true, value: this.append(write.streamId, write.events, write.expected) };
    } catch (error) {
      // Disk full, I/O errors and the like make SQLite abort the whole transaction: then every
      // write of the batch fails together (run rethrows).
      if (!this.db.inTransaction) throw error;
      return { ok: false, error };
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
  private append(streamId: string, events: PreparedEvent[], expected: ExpectedRevision): AppendResult {
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
  };
}

/** A Buffer sent to another thread arrives as a plain Uint8Array; SQLite must store it as a BLOB again. */
function asBindable(value: unknown): unknown {
  return value instanceof Uint8Array && !Buffer.isBuffer(value) ? Buffer.from(value.buffer, value.byteOffset, value.byteLength) : value;
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

/** What of an error the writer thread sends back: enough to rebuild the port's errors and SQLite's codes. */
export function toWireError(error: unknown): WireError {
  if (error instanceof ConcurrencyError) return { name: 'ConcurrencyError', streamId: error.streamId, expected: error.expected, actual: error.actual };
  const code = (error as { code?: unknown } | null)?.code;
  return {
    name: error instanceof Error ? error.name : 'Error',
    message: error instanceof Error ? error.message : String(error),
    ...(typeof code === 'string' ? { code } : {}),
  };
}

export function reviveError(wire: WireError): Error {
  if ('streamId' in wire) return new ConcurrencyError(wire.streamId, wire.expected, wire.actual);
  const error = new Error(wire.message) as Error & { code?: string };
  error.name = wire.name;
  if (wire.code !== undefined) error.code = wire.code;
  return error;
}
