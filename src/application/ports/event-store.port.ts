import type { Actor } from '../../domain/shared/actor';

/**
 * The event store port. Every adapter (SQLite, EventStoreDB) passes the same contract suite
 * (test/contracts/event-store.contract.ts); this file is the prose half of that specification.
 *
 * Revisions are per stream and start at 0 (the first event of a stream has revision 0).
 * Positions are global, start at 1, and strictly increase in commit order; they need not be
 * consecutive (a deleted stream leaves holes; EventStoreDB uses log offsets), but reading all
 * events "after" a position never skips an event that a later read could still return.
 * A position is never handed out twice, not even after the events holding it were deleted.
 */
export const EVENT_STORE = Symbol('EVENT_STORE');

/**
 * The same log without the privacy layer (docs/privacy.md): events exactly as stored, personal
 * values sealed. Only for what must see the stored bytes: hash-chain verification.
 */
export const STORED_EVENT_STORE = Symbol('STORED_EVENT_STORE');

/**
 * "no-stream": the stream must not exist (or must have been deleted).
 * "any": no check.
 * a number: the stream's last revision must be exactly this.
 */
export type ExpectedRevision = 'no-stream' | 'any' | number;

/** Exactly these four fields are stored: they are what the hash covers. Extra fields are dropped. */
export interface EventMetadata {
  actor: Actor;
  /** ISO-8601 time the event was recorded (from the injected clock, not the database). */
  occurredAt: string;
  /** Ties together everything caused by one request or message. */
  correlationId: string;
  /** The command or event id that directly caused this event. */
  causationId: string;
}

export interface NewEvent {
  /**
   * uuid. Appending an event id that the stream already holds is a no-op (see append).
   * Ids are unique across ALL streams (other events cite them as causationId): reusing one in
   * another stream is a caller bug, rejected with a plain Error (not a ConcurrencyError) where
   * the engine can check it (SQLite does).
   */
  id: string;
  type: string;
  /**
   * Stored and hashed in its JSON form: values JSON changes read back changed (a Date comes
   * back as its ISO string, undefined properties disappear); a value JSON cannot encode (a
   * BigInt) fails the whole append.
   */
  data: Record<string, unknown>;
  metadata: EventMetadata;
}

export interface RecordedEvent {
  id: string;
  streamId: string;
  type: string;
  revision: number;
  position: number;
  data: Record<string, unknown>;
  metadata: RecordedMetadata;
}

export interface RecordedMetadata extends EventMetadata {
  /** `hash` of the previous event of the same stream; GENESIS_HASH for revision 0. */
  prevHash: string;
  /** sha256 over the canonical form of this event and prevHash (application/audit/hash-chain.ts). */
  hash: string;
}

export interface AppendResult {
  /**
   * Revision of the last event of the stream after the append. For a duplicate: the revision of
   * the last of those events as originally stored, i.e. what the original append returned, even
   * when the stream has moved on since.
   */
  nextRevision: number;
  /** Global position of the last event written (or of the original, for a duplicate). */
  position: number;
  /** True when every event id was already stored: nothing was written. */
  duplicate: boolean;
}

export interface ReadStreamOptions {
  direction?: 'forwards' | 'backwards';
  /** Inclusive. Forwards default 0; backwards default the last revision. Past the end: []. */
  fromRevision?: number;
  /** Default: no limit. 0 returns []. */
  maxCount?: number;
}

export interface ReadAllOptions {
  /** Exclusive: return events with position > after. 0 means from the beginning. */
  after: number;
  maxCount: number;
}

export interface SubscribeAllOptions {
  /** Exclusive checkpoint, as in readAll. */
  after: number;
  /**
   * Ends the subscription: the iterator returns (no error) soon after the signal aborts. It
   * also ends when the consumer leaves its `for await` loop and when the store is closed.
   */
  signal?: AbortSignal;
}

export interface EventStore {
  /**
   * Appends atomically: all events or none. Checks `expectedRevision` and throws
   * ConcurrencyError when it does not hold. If every event id is already stored in the stream,
   * nothing is written and `duplicate: true` is returned (redelivery-safe), whatever
   * `expectedRevision` says; a batch that mixes stored and new ids is a ConcurrencyError.
   * The adapter fills in prevHash/hash.
   *
   * `events` must not be empty (skip the call when a command decided nothing): an empty append
   * rejects with an Error that is not a ConcurrencyError. A numeric expectedRevision is an
   * integer >= 0. ConcurrencyError.actual is the stream's last revision, or "no-stream".
   * Concurrent appends to one stream with "any" are serialised: each chains on the previous.
   */
  append(streamId: string, events: NewEvent[], options: { expectedRevision: ExpectedRevision }): Promise<AppendResult>;

  /** Events of one stream; an empty array when the stream does not exist or was deleted. */
  readStream(streamId: string, options?: ReadStreamOptions): Promise<RecordedEvent[]>;

  /**
   * The revision and global position of the stream's last event, null when the stream does not
   * exist (or was deleted); nothing of the events is read. Optional: the command loop uses it to
   * reuse a state it folded before (DecidedStates), and without it reads the stream every time.
   */
  streamHead?(streamId: string): Promise<{ revision: number; position: number } | null>;

  /** All events of all streams in global order. */
  readAll(options: ReadAllOptions): Promise<RecordedEvent[]>;

  /**
   * Catch-up subscription: first every stored event after `after`, then each new event as it
   * is committed, in global order, without gaps or duplicates. Consume with `for await`.
   */
  subscribeAll(options: SubscribeAllOptions): AsyncIterable<RecordedEvent>;

  /**
   * Position of the last committed event still stored (0 when the store is empty). Deleting the
   * newest stream may lower it; positions are still never reused.
   */
  headPosition(): Promise<number>;

  /**
   * Deletes the stream's events for good ("delete forever"). Reading it then returns nothing,
   * and it can be started again with expected revision "no-stream" (revisions restart at 0, the
   * hash chain restarts at GENESIS_HASH). A no-op for a stream that does not exist.
   */
  deleteStream(streamId: string): Promise<void>;

  /**
   * Idempotent. Writes already accepted are completed (durably) before it resolves; calls made
   * afterwards reject with StoreUnavailableError; open subscriptions end. A connection or client
   * the adapter was given stays open: its owner closes it.
   */
  close(): Promise<void>;
}

export class ConcurrencyError extends Error {
  constructor(
    readonly streamId: string,
    readonly expected: ExpectedRevision,
    readonly actual: number | 'no-stream',
  ) {
    super(`stream ${streamId}: expected revision ${String(expected)} but it is ${String(actual)}`);
    this.name = 'ConcurrencyError';
  }
}

/**
 * A stored event cannot be read back (its data or metadata is no longer valid JSON: the log was
 * edited behind Parley's back). Reads fail loudly instead of guessing; `parley audit verify`
 * and GET /api/audit/verify report it as a broken link at this position.
 */
export class CorruptEventError extends Error {
  constructor(
    readonly streamId: string,
    readonly revision: number,
    readonly position: number,
    readonly eventId: string,
  ) {
    super(
      `the event log is damaged: event ${eventId} (stream ${streamId}, revision ${revision}, position ${position}) cannot be read; run "parley audit verify"`,
    );
    this.name = 'CorruptEventError';
  }
}

/** The storage engine cannot be reached right now; callers map it to 503 with a retry hint. */
export class StoreUnavailableError extends Error {
  constructor(
    message: string,
    override readonly cause?: unknown,
  ) {
    super(message);
    this.name = 'StoreUnavailableError';
  }
}
