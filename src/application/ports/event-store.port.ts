import type { Actor } from '../../domain/shared/actor';

/**
 * The event store port. Every adapter (SQLite, EventStoreDB) passes the same contract suite
 * (test/contracts/event-store.contract.ts); this file is the prose half of that specification.
 *
 * Revisions are per stream and start at 0 (the first event of a stream has revision 0).
 * Positions are global, start at 1, and strictly increase in commit order; they need not be
 * consecutive (a deleted stream leaves holes; EventStoreDB uses log offsets), but reading all
 * events "after" a position never skips an event that a later read could still return.
 */
export const EVENT_STORE = Symbol('EVENT_STORE');

/**
 * "no-stream": the stream must not exist (or must have been deleted).
 * "any": no check.
 * a number: the stream's last revision must be exactly this.
 */
export type ExpectedRevision = 'no-stream' | 'any' | number;

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
  /** uuid. Appending an event id that the stream already holds is a no-op (see append). */
  id: string;
  type: string;
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
  /** Revision of the last event of the stream after the append. */
  nextRevision: number;
  /** Global position of the last event written (or of the original, for a duplicate). */
  position: number;
  /** True when every event id was already stored: nothing was written. */
  duplicate: boolean;
}

export interface ReadStreamOptions {
  direction?: 'forwards' | 'backwards';
  /** Inclusive. Forwards default 0; backwards default the last revision. */
  fromRevision?: number;
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
  /** Ends the subscription: the iterator returns (no error) soon after the signal aborts. */
  signal?: AbortSignal;
}

export interface EventStore {
  /**
   * Appends atomically: all events or none. Checks `expectedRevision` and throws
   * ConcurrencyError when it does not hold. If every event id is already stored in the stream,
   * nothing is written and `duplicate: true` is returned (redelivery-safe), whatever
   * `expectedRevision` says; a batch that mixes stored and new ids is a ConcurrencyError.
   * The adapter fills in prevHash/hash.
   */
  append(streamId: string, events: NewEvent[], options: { expectedRevision: ExpectedRevision }): Promise<AppendResult>;

  /** Events of one stream; an empty array when the stream does not exist or was deleted. */
  readStream(streamId: string, options?: ReadStreamOptions): Promise<RecordedEvent[]>;

  /** All events of all streams in global order. */
  readAll(options: ReadAllOptions): Promise<RecordedEvent[]>;

  /**
   * Catch-up subscription: first every stored event after `after`, then each new event as it
   * is committed, in global order, without gaps or duplicates. Consume with `for await`.
   */
  subscribeAll(options: SubscribeAllOptions): AsyncIterable<RecordedEvent>;

  /** Position of the last committed event (0 when the store is empty). */
  headPosition(): Promise<number>;

  /**
   * Deletes the stream's events for good ("delete forever"). Reading it then returns nothing,
   * and it can be started again with expected revision "no-stream" (revisions restart at 0).
   */
  deleteStream(streamId: string): Promise<void>;

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

/** The storage engine cannot be reached right now; callers map it to 503 with a retry hint. */
export class StoreUnavailableError extends Error {
  constructor(message: string, override readonly cause?: unknown) {
    super(message);
    this.name = 'StoreUnavailableError';
  }
}
