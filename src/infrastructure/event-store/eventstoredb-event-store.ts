import {
  BACKWARDS,
  CancelledError,
  DeadlineExceededError,
  END,
  EventStoreDBClient,
  FORWARDS,
  NO_STREAM,
  NotLeaderError,
  START,
  StreamDeletedError,
  StreamNotFoundError,
  TimeoutError,
  UnavailableError,
  WrongExpectedVersionError,
  jsonEvent,
  metastreamOf,
  streamNameFilter,
  type AllStreamResolvedEvent,
  type AppendExpectedRevision,
  type Position,
  type ReadPosition,
  type ReadRevision,
  type ResolvedEvent,
} from '@eventstore/db-client';
import { GENESIS_HASH, hashEvent } from '../../application/audit/hash-chain';
import {
  ConcurrencyError,
  StoreUnavailableError,
  type AppendResult,
  type EventMetadata,
  type EventStore,
  type ExpectedRevision,
  type NewEvent,
  type ReadAllOptions,
  type ReadStreamOptions,
  type RecordedEvent,
  type RecordedMetadata,
  type SubscribeAllOptions,
} from '../../application/ports/event-store.port';

/**
 * Every Parley stream is stored as `parley-<streamId>`, so `$all` can be filtered down to
 * Parley's events (the server's own `$...` streams and other applications' streams are skipped).
 */
export const PARLEY_STREAM_PREFIX = 'parley-';

export interface EventStoreDbEventStoreOptions {
  /** Stream name prefix inside EventStoreDB. Default `parley-`. */
  prefix?: string;
  /**
   * How long a subscription trusts a stream's truncation point ($tb) before reading it again, to
   * skip events of streams deleted by ANOTHER process. Deletions through this instance are seen
   * at once. Default 1000 ms.
   */
  truncationCacheMs?: number;
  /** Events read per `$all` page (readAll, headPosition). Default 500. */
  pageSize?: number;
  /** Conflicts an append with "any" retries before giving up with a ConcurrencyError. Default 50. */
  maxAppendAttempts?: number;
  /** close() disposes the client. True when the store created it (connect); false for a client handed in. */
  ownsClient?: boolean;
}

/**
 * The event store on EventStoreDB (docs/design.md "Storage", the scale-out engine).
 *
 * Revisions. The port numbers each stream from 0 again after a deletion; EventStoreDB never
 * reuses an event number. "Delete forever" therefore truncates the stream: it sets the stream's
 * `$tb` (truncate before) metadata to its last event number + 1. The server then hides (and a
 * scavenge removes) every older event, and this adapter reports `revision = event number - $tb`,
 * so the first event after a deletion is revision 0 again and expected revisions are translated
 * the same way. The hash chain covers that normalised revision, so a stream verifies the same on
 * SQLite and here. We write `$tb` ourselves instead of calling the server's soft delete, which
 * stores `$tb = long.MaxValue` (hiding the last event number an exact expected revision needs)
 * and lifts it again in a separate write after the next append (a read just after recreating may
 * still see the stream as deleted, kurrent-io/KurrentDB#1744). A stream soft-deleted by another
 * tool is still understood: it reads as deleted and can be started again with "no-stream".
 *
 * `$all` bypasses truncation: the events of deleted streams stay in it until a scavenge. readAll,
 * headPosition and subscribeAll skip them by checking each stream's current `$tb`.
 *
 * Positions are EventStoreDB commit positions (log offsets: increasing, not consecutive), as
 * plain numbers; a position beyond 2^53 - 1 fails loudly instead of losing precision.
 *
 * Appends to one stream through this instance run one after the other; an append reads the
 * stream first (expected revision, event ids already stored, the previous hash) and writes with
 * the exact event number it saw, so concurrent writers from other processes surface as
 * WrongExpectedVersion and are re-checked here: never a broken chain, never a duplicate.
 */
export class EventStoreDbEventStore implements EventStore {
  private readonly prefix: string;
  private readonly truncationCacheMs: number;
  private readonly pageSize: number;
  private readonly maxAppendAttempts: number;
  private readonly ownsClient: boolean;

  private closed = false;
  private closing: Promise<void> | null = null;
  /** Aborted by close(): ends every subscription of this instance. */
  private readonly closeSignal = new AbortController();
  private readonly inFlight = new Set<Promise<unknown>>();
  /** Tail of the queue of writes per stream (engine name). */
  private readonly streamLocks = new Map<string, Promise<void>>();
  /** Truncation offsets seen, for subscriptions: engine name -> offset and when it was read. */
  private readonly truncations = new Map<string, { offset: Truncation; readAt: number }>();

  constructor(
    private readonly client: EventStoreDBClient,
    options: EventStoreDbEventStoreOptions = {},
  ) {
    this.prefix = options.prefix ?? PARLEY_STREAM_PREFIX;
    if (this.prefix === '' || this.prefix.startsWith('$')) {
      throw new TypeError(`prefix must be a non-empty stream name prefix that does not start with "$", got ${JSON.stringify(this.prefix)}`);
    }
    this.truncationCacheMs = nonNegativeInteger('truncationCacheMs', options.truncationCacheMs ?? 1000);
    this.pageSize = positiveInteger('pageSize', options.pageSize ?? 500);
    this.maxAppendAttempts = positiveInteger('maxAppendAttempts', options.maxAppendAttempts ?? 50);
    this.ownsClient = options.ownsClient ?? false;
  }

  /**
   * A store with its own client for `connectionString` (esdb://host:2113?tls=false …); close()
   * disposes it. Nothing is sent yet: see checkReachable.
   */
  static connect(connectionString: string, options: Omit<EventStoreDbEventStoreOptions, 'ownsClient'> = {}): EventStoreDbEventStore {
    return new EventStoreDbEventStore(EventStoreDBClient.connectionString(connectionString), { ...options, ownsClient: true });
  }

  /**
   * Reads one event of `$all` within `timeoutMs`; throws StoreUnavailableError when the server
   * does not answer in time or refuses the connection (start-up check: fail fast, not hang).
   */
  async checkReachable(timeoutMs: number): Promise<void> {
    const read = this.client.readAll({ fromPosition: START, maxCount: 1 });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new StoreUnavailableError(`EventStoreDB did not answer within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      await Promise.race([drain(read), timeout]);
    } catch (error) {
      void read.cancel().catch(() => undefined);
      throw mapEngineError(error);
    } finally {
      clearTimeout(timer);
    }
  }

  append(streamId: string, events: NewEvent[], options: { expectedRevision: ExpectedRevision }): Promise<AppendResult> {
    return this.track(async () => {
      checkStreamId(streamId);
      const expected = checkExpectedRevision(streamId, options?.expectedRevision);
      const prepared = prepareEvents(streamId, events);
      const name = toEngineStreamName(this.prefix, streamId);
      return this.withStreamLock(name, () => this.appendChecked(streamId, name, prepared, expected));
    });
  }

  deleteStream(streamId: string): Promise<void> {
    return this.track(async () => {
      checkStreamId(streamId);
      const name = toEngineStreamName(this.prefix, streamId);
      // Queued behind appends already called, so a delete never overtakes them.
      await this.withStreamLock(name, () => this.truncate(name));
    });
  }

  readStream(streamId: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    return this.track(async () => {
      checkStreamId(streamId);
      const backwards = options.direction === 'backwards';
      const fromRevision = options.fromRevision === undefined ? undefined : nonNegativeInteger('fromRevision', options.fromRevision);
      const maxCount = options.maxCount === undefined ? undefined : nonNegativeInteger('maxCount', options.maxCount);
      if (maxCount === 0) return [];
      const name = toEngineStreamName(this.prefix, streamId);
      const { offset } = await this.readTruncation(name);
      if (offset === 'deleted') return [];
      const from: ReadRevision = fromRevision === undefined ? (backwards ? END : BigInt(offset)) : rawRevision(fromRevision, offset);
      const resolved = await this.readRaw(name, { direction: backwards ? BACKWARDS : FORWARDS, fromRevision: from, maxCount });
      return resolved.flatMap((r) => {
        const event = r.event;
        if (!event || Number(event.revision) < offset) return [];
        return [toRecordedEvent(streamId, event, offset)];
      });
    });
  }

  readAll(options: ReadAllOptions): Promise<RecordedEvent[]> {
    return this.track(async () => {
      const after = nonNegativeInteger('after', options.after);
      const maxCount = nonNegativeInteger('maxCount', options.maxCount);
      const found: RecordedEvent[] = [];
      let from: ReadPosition = after === 0 ? START : toEnginePosition(after);
      let seen = BigInt(after);
      while (found.length < maxCount) {
        const page = await collect(this.client.readAll({ fromPosition: from, maxCount: this.pageSize, direction: FORWARDS }));
        // A read from a position includes the event at that position: skip what was seen.
        const fresh = page.filter((r) => r.event !== undefined && r.event.position.commit > seen);
        if (fresh.length === 0) break;
        found.push(
          ...(await this.visibleOf(
            fresh.map((r) => r.event as NonNullable<typeof r.event>),
            'fresh',
          )),
        );
        const last = fresh[fresh.length - 1].event as NonNullable<AllStreamResolvedEvent['event']>;
        seen = last.position.commit;
        from = last.position;
        if (page.length < this.pageSize) break;
      }
      return found.slice(0, maxCount);
    });
  }

  headPosition(): Promise<number> {
    return this.track(async () => {
      let from: ReadPosition = END;
      let below: bigint | null = null;
      for (;;) {
        const page = await collect(this.client.readAll({ fromPosition: from, maxCount: this.pageSize, direction: BACKWARDS }));
        const fresh = page.filter((r) => r.event !== undefined && (below === null || r.event.position.commit < below));
        if (fresh.length === 0) return 0;
        const [newest] = await this.visibleOf(
          fresh.map((r) => r.event as NonNullable<typeof r.event>),
          'fresh',
        );
        if (newest) return newest.position;
        const oldest = fresh[fresh.length - 1].event as NonNullable<AllStreamResolvedEvent['event']>;
        below = oldest.position.commit;
        from = oldest.position;
        if (page.length < this.pageSize) return 0;
      }
    });
  }

  subscribeAll(options: SubscribeAllOptions): AsyncIterable<RecordedEvent> {
    return this.follow(nonNegativeInteger('after', options.after), options.signal);
  }

  /**
   * Appends already called complete first (their callers wait for a durable answer); then open
   * subscriptions end and, when this store created the client, the client is disposed.
   */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.closed = true;
      this.closeSignal.abort();
      await Promise.allSettled([...this.inFlight]);
      if (this.ownsClient) await this.client.dispose();
    })();
    return this.closing;
  }

  // ---- appends -------------------------------------------------------------------------------

  private async appendChecked(streamId: string, name: string, events: PreparedEvent[], expected: ExpectedRevision): Promise<AppendResult> {
    // Set when the server told us the last event number of a stream that reads as empty (a
    // stream soft-deleted by another tool hides it).
    let emptyStreamHint: AppendExpectedRevision | undefined;
    for (let attempt = 1; ; attempt += 1) {
      const stream = await this.readWholeStream(name);
      const duplicate = duplicateResult(streamId, events, stream, expected);
      if (duplicate) return duplicate;
      const actual = actualRevisionOf(stream);
      if (expected !== 'any' && expected !== actual) throw new ConcurrencyError(streamId, expected, actual);

      const tail = stream.events.at(-1);
      const engineExpected: AppendExpectedRevision = tail ? tail.revision : (emptyStreamHint ?? expectedForEmptyStream(stream.offset));
      const base = tail ? normaliseRevision(tail.revision, stream.offset as number) : -1;
      const toWrite = chain(streamId, events, base, tail ? metadataOf(tail).hash : GENESIS_HASH);
      try {
        const result = await this.client.appendToStream(name, toWrite, { expectedRevision: engineExpected });
        const nextRevision = base + events.length;
        const position = (await this.positionOf(name, result.nextExpectedRevision)) ?? result.position;
        if (position === undefined) throw new Error(`EventStoreDB did not report the position of the append to ${name}`);
        return { nextRevision, position: toPortPosition(position.commit), duplicate: false };
      } catch (error) {
        if (!(error instanceof WrongExpectedVersionError)) throw error;
        if (attempt >= this.maxAppendAttempts) throw new ConcurrencyError(streamId, expected, actual);
        // Someone else wrote first: read the stream again and decide again (duplicate, conflict,
        // or, with "any", chain on top of what they wrote).
        emptyStreamHint = stream.events.length === 0 && error.actualVersion !== engineExpected ? error.actualVersion : undefined;
        // Writers in other processes: a little jitter so they stop colliding.
        await sleep(Math.random() * Math.min(100, 5 * attempt));
      }
    }
  }

  /** Position of the event with this event number (reads it back: the append's own answer is not per event). */
  private async positionOf(name: string, eventNumber: bigint): Promise<Position | undefined> {
    const [resolved] = await this.readRaw(name, { direction: FORWARDS, fromRevision: eventNumber, maxCount: 1 });
    return resolved?.event?.revision === eventNumber ? resolved.event.position : undefined;
  }

  /** Sets `$tb` past the last event, until no event is left visible (an append may slip in). */
  private async truncate(name: string): Promise<void> {
    for (let attempt = 1; attempt <= 10; attempt += 1) {
      const meta = await this.readMetadata(name);
      if (meta.offset === 'deleted') return;
      const [last] = await this.readRaw(name, { direction: BACKWARDS, fromRevision: END, maxCount: 1 });
      if (!last?.event || Number(last.event.revision) < meta.offset) return;
      const offset = Number(last.event.revision) + 1;
      try {
        await this.client.appendToStream(metastreamOf(name), jsonEvent({ type: '$metadata', data: { ...meta.data, $tb: offset } }), {
          expectedRevision: meta.revision,
        });
        this.truncations.set(name, { offset, readAt: Date.now() });
      } catch (error) {
        // Another writer changed the metadata first: read it again.
        if (!(error instanceof WrongExpectedVersionError)) throw error;
      }
    }
    throw new StoreUnavailableError(`could not delete EventStoreDB stream ${name}: it kept changing while being deleted; retry`);
  }

  // ---- reads ---------------------------------------------------------------------------------

  private async readWholeStream(name: string): Promise<StreamSnapshot> {
    const { offset } = await this.readTruncation(name);
    if (offset === 'deleted') return { offset, events: [] };
    const resolved = await this.readRaw(name, { direction: FORWARDS, fromRevision: BigInt(offset) });
    const events = resolved.flatMap((r) => (r.event && Number(r.event.revision) >= offset ? [r.event] : []));
    return { offset, events };
  }

  /** A stream's events as the client returns them; [] when the stream does not exist. */
  private async readRaw(
    name: string,
    options: { direction: typeof FORWARDS | typeof BACKWARDS; fromRevision: ReadRevision; maxCount?: number },
  ): Promise<ResolvedEvent[]> {
    try {
      return await collect(this.client.readStream(name, options));
    } catch (error) {
      if (error instanceof StreamNotFoundError || error instanceof StreamDeletedError) return [];
      throw error;
    }
  }

  private async readMetadata(name: string): Promise<StreamMetadataSnapshot> {
    const [last] = await this.readRaw(metastreamOf(name), { direction: BACKWARDS, fromRevision: END, maxCount: 1 });
    const data = last?.event?.isJson && isPlainObject(last.event.data) ? last.event.data : {};
    return { offset: truncationOf(data), revision: last?.event ? last.event.revision : NO_STREAM, data };
  }

  private async readTruncation(name: string): Promise<{ offset: Truncation }> {
    const { offset } = await this.readMetadata(name);
    this.truncations.set(name, { offset, readAt: Date.now() });
    return { offset };
  }

  /**
   * The truncation offset for an event met in `$all`. A subscription trusts what it read for
   * truncationCacheMs (a finite `$tb` only ever grows, so hiding events below it stays right);
   * it reads again when the cached value is the server's soft delete (lifted by the next append)
   * or the event starts a hash chain above the cached offset (the stream was deleted and
   * restarted meanwhile, by another process).
   */
  private async truncationFor(name: string, eventNumber: number, prevHash: unknown, mode: 'fresh' | 'cached'): Promise<Truncation> {
    const cached = this.truncations.get(name);
    if (mode === 'cached' && cached && cached.offset !== 'deleted' && Date.now() - cached.readAt < this.truncationCacheMs) {
      const restarted = prevHash === GENESIS_HASH && eventNumber > cached.offset;
      if (!restarted) return cached.offset;
    }
    return (await this.readTruncation(name)).offset;
  }

  /** The events (from `$all`) that belong to Parley and are not deleted, as port events, in order. */
  private async visibleOf(events: Array<NonNullable<AllStreamResolvedEvent['event']>>, mode: 'fresh' | 'cached'): Promise<RecordedEvent[]> {
    const ours = events.filter((e) => fromEngineStreamName(this.prefix, e.streamId) !== null);
    const offsets = new Map<string, Truncation>();
    if (mode === 'fresh') {
      await Promise.all([...new Set(ours.map((e) => e.streamId))].map(async (name) => offsets.set(name, (await this.readTruncation(name)).offset)));
    }
    const visible: RecordedEvent[] = [];
    for (const event of ours) {
      const prevHash = isPlainObject(event.metadata) ? event.metadata.prevHash : undefined;
      const offset = offsets.get(event.streamId) ?? (await this.truncationFor(event.streamId, Number(event.revision), prevHash, mode));
      if (offset === 'deleted' || Number(event.revision) < offset) continue;
      visible.push(toRecordedEvent(fromEngineStreamName(this.prefix, event.streamId) as string, event, offset));
    }
    return visible;
  }

  /**
   * Catch-up then live, from the server's filtered `$all` subscription, consumed with for await
   * (one event at a time, in order). Abort and close() unsubscribe, which ends the loop.
   */
  private async *follow(after: number, external: AbortSignal | undefined): AsyncGenerator<RecordedEvent> {
    if (this.closed) throw closedError();
    const signal = external ? AbortSignal.any([external, this.closeSignal.signal]) : this.closeSignal.signal;
    if (signal.aborted) return;
    const subscription = this.client.subscribeToAll({
      fromPosition: after === 0 ? START : toEnginePosition(after),
      filter: streamNameFilter({ prefixes: [this.prefix] }),
    });
    let stopped = false;
    const stop = () => {
      if (stopped) return;
      stopped = true;
      void subscription
        .unsubscribe()
        .catch(() => undefined)
        .finally(() => subscription.destroy());
    };
    signal.addEventListener('abort', stop, { once: true });
    let checkpoint = BigInt(after);
    try {
      for await (const resolved of subscription as AsyncIterable<AllStreamResolvedEvent>) {
        if (signal.aborted) return;
        const event = resolved.event;
        if (!event || event.position.commit <= checkpoint) continue;
        checkpoint = event.position.commit;
        const [visible] = await this.visibleOf([event], 'cached');
        if (signal.aborted) return;
        if (visible) yield visible;
      }
    } catch (error) {
      if (signal.aborted) return;
      throw mapEngineError(error);
    } finally {
      signal.removeEventListener('abort', stop);
      stop();
    }
  }

  // ---- plumbing ------------------------------------------------------------------------------

  /** Refuses work after close(), maps engine errors, and lets close() wait for work under way. */
  private track<T>(operation: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(closedError());
    const running = operation().catch((error: unknown) => {
      throw mapEngineError(error);
    });
    this.inFlight.add(running);
    void running.then(
      () => this.inFlight.delete(running),
      () => this.inFlight.delete(running),
    );
    return running;
  }

  private async withStreamLock<T>(name: string, run: () => Promise<T>): Promise<T> {
    const previous = this.streamLocks.get(name) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((resolve) => (release = resolve));
    const tail = previous.then(() => mine);
    this.streamLocks.set(name, tail);
    await previous;
    try {
      return await run();
    } finally {
      release();
      if (this.streamLocks.get(name) === tail) this.streamLocks.delete(name);
    }
  }
}

// ---- pure parts (unit-tested without a server) ------------------------------------------------

/** `$tb` of a stream: events below it are deleted; 'deleted' for the server's soft delete (long.MaxValue). */
export type Truncation = number | 'deleted';

type EngineEvent = NonNullable<ResolvedEvent['event']>;

interface StreamSnapshot {
  offset: Truncation;
  /** The visible events, forwards. */
  events: EngineEvent[];
}

interface StreamMetadataSnapshot {
  offset: Truncation;
  revision: bigint | typeof NO_STREAM;
  data: Record<string, unknown>;
}

interface PreparedEvent {
  id: string;
  type: string;
  data: Record<string, unknown>;
  metadata: EventMetadata;
}

export function toEngineStreamName(prefix: string, streamId: string): string {
  return `${prefix}${streamId}`;
}

/** The port's stream id of an engine stream name, or null for a stream that is not Parley's. */
export function fromEngineStreamName(prefix: string, name: string): string | null {
  return name.startsWith(prefix) && name.length > prefix.length ? name.slice(prefix.length) : null;
}

/**
 * `$tb` from a stream's metadata. The server's soft delete writes long.MaxValue, which JSON
 * parsing turns into a number above 2^53: that reads as "deleted".
 */
export function truncationOf(metadata: Record<string, unknown>): Truncation {
  const tb = metadata.$tb;
  if (typeof tb !== 'number' || !Number.isInteger(tb) || tb <= 0) return 0;
  return Number.isSafeInteger(tb) ? tb : 'deleted';
}

/** The port's revision of an engine event number, given the stream's truncation offset. */
export function normaliseRevision(eventNumber: bigint | number, offset: number): number {
  const revision = Number(eventNumber) - offset;
  if (!Number.isSafeInteger(revision) || revision < 0) {
    throw new RangeError(`event number ${String(eventNumber)} lies before the stream's truncation point ${offset}`);
  }
  return revision;
}

/** The engine event number of a port revision. */
export function rawRevision(revision: number, offset: number): bigint {
  return BigInt(offset) + BigInt(revision);
}

/** What to expect of a stream without visible events: it never existed, or everything up to $tb - 1 was deleted. */
export function expectedForEmptyStream(offset: Truncation): AppendExpectedRevision {
  return offset === 'deleted' || offset === 0 ? NO_STREAM : BigInt(offset - 1);
}

/** Commit positions are bigints; the port's positions are numbers, exact only below 2^53. */
export function toPortPosition(commit: bigint): number {
  if (commit < 0n || commit > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new RangeError(`EventStoreDB log position ${commit} is outside 0..2^53-1, which Parley's positions (JavaScript numbers) cannot represent exactly`);
  }
  return Number(commit);
}

/** For implicit (single append) transactions EventStoreDB's commit and prepare positions are equal. */
export function toEnginePosition(position: number): Position {
  return { commit: BigInt(position), prepare: BigInt(position) };
}

/**
 * Connection-level failures become StoreUnavailableError (HTTP 503, retry later); everything
 * else (the port's own errors, bugs, bad input) passes through unchanged.
 */
export function mapEngineError(error: unknown): unknown {
  if (error instanceof StoreUnavailableError || error instanceof ConcurrencyError) return error;
  const unavailable =
    error instanceof UnavailableError ||
    error instanceof DeadlineExceededError ||
    error instanceof TimeoutError ||
    error instanceof NotLeaderError ||
    error instanceof CancelledError ||
    (error instanceof Error && /^Failed to discover after \d+ attempts/.test(error.message)) ||
    grpcCodeOf(error) === GRPC_UNAVAILABLE ||
    grpcCodeOf(error) === GRPC_DEADLINE_EXCEEDED;
  if (!unavailable) return error;
  const reason = error instanceof Error ? error.message : String(error);
  return new StoreUnavailableError(`EventStoreDB is unavailable (${reason}); retry shortly`, error);
}

const GRPC_DEADLINE_EXCEEDED = 4;
const GRPC_UNAVAILABLE = 14;

function grpcCodeOf(error: unknown): unknown {
  return typeof error === 'object' && error !== null && 'code' in error ? (error as { code: unknown }).code : undefined;
}

function actualRevisionOf(stream: StreamSnapshot): number | 'no-stream' {
  const tail = stream.events.at(-1);
  return tail ? normaliseRevision(tail.revision, stream.offset as number) : 'no-stream';
}

/**
 * All event ids already in the stream: a redelivery, answered with what the original append
 * returned. Only some: the batch cannot be both old and new, a conflict.
 */
function duplicateResult(streamId: string, events: PreparedEvent[], stream: StreamSnapshot, expected: ExpectedRevision): AppendResult | null {
  // The server hands uuids back in lower case.
  const wanted = new Set(events.map((e) => e.id.toLowerCase()));
  const stored = stream.events.filter((e) => wanted.has(e.id.toLowerCase()));
  if (stored.length === 0) return null;
  if (stored.length < events.length) throw new ConcurrencyError(streamId, expected, actualRevisionOf(stream));
  const last = stored[stored.length - 1];
  return {
    nextRevision: normaliseRevision(last.revision, stream.offset as number),
    position: toPortPosition(requirePosition(last).commit),
    duplicate: true,
  };
}

/** Fills prevHash/hash over what will be read back (JSON), with the port's stream id and normalised revisions. */
function chain(streamId: string, events: PreparedEvent[], base: number, previousHash: string) {
  let prevHash = previousHash;
  return events.map((event, i) => {
    const hash = hashEvent({ id: event.id, streamId, revision: base + 1 + i, type: event.type, data: event.data, metadata: event.metadata }, prevHash);
    const metadata: RecordedMetadata = { ...event.metadata, prevHash, hash };
    prevHash = hash;
    return jsonEvent({ id: event.id, type: event.type, data: event.data, metadata });
  });
}

function toRecordedEvent(streamId: string, event: EngineEvent, offset: number): RecordedEvent {
  if (!event.isJson || !isPlainObject(event.data) || !isPlainObject(event.metadata)) {
    throw new Error(`event ${event.id} in EventStoreDB stream ${event.streamId} is not a Parley event (JSON data and metadata expected)`);
  }
  const { actor, occurredAt, correlationId, causationId, prevHash, hash } = event.metadata as unknown as RecordedMetadata;
  return {
    id: event.id,
    streamId,
    type: event.type,
    revision: normaliseRevision(event.revision, offset),
    position: toPortPosition(requirePosition(event).commit),
    data: event.data,
    metadata: { actor, occurredAt, correlationId, causationId, prevHash, hash },
  };
}

function metadataOf(event: EngineEvent): RecordedMetadata {
  if (!isPlainObject(event.metadata) || typeof event.metadata.hash !== 'string') {
    throw new Error(`event ${event.id} in EventStoreDB stream ${event.streamId} has no hash in its metadata: it was not written by Parley`);
  }
  return event.metadata as unknown as RecordedMetadata;
}

function requirePosition(event: EngineEvent): Position {
  if (!event.position) {
    throw new Error('EventStoreDB did not return event positions on stream reads: Parley needs EventStoreDB 22.6 or later');
  }
  return event.position;
}

function prepareEvents(streamId: string, events: NewEvent[]): PreparedEvent[] {
  if (!Array.isArray(events) || events.length === 0) {
    throw new TypeError(`append to stream ${streamId}: events must be a non-empty array (skip the append when there is nothing to write)`);
  }
  const ids = new Set<string>();
  return events.map((event, i) => {
    const prepared = prepareEvent(streamId, event, i);
    if (ids.has(prepared.id)) throw new TypeError(`append to stream ${streamId}: event id ${prepared.id} appears twice in one append`);
    ids.add(prepared.id);
    return prepared;
  });
}

/**
 * Only the port's four metadata fields are kept (they are what the hash covers), and data and
 * metadata go through JSON here, so what is hashed is what will be read back and a value JSON
 * cannot encode fails before anything is sent.
 */
function prepareEvent(streamId: string, event: NewEvent, index: number): PreparedEvent {
  const where = `append to stream ${streamId}: events[${index}]`;
  if (typeof event?.id !== 'string' || !UUID.test(event.id)) throw new TypeError(`${where}.id must be a uuid, got ${JSON.stringify(event?.id)}`);
  if (typeof event.type !== 'string' || event.type === '') throw new TypeError(`${where}.type must be a non-empty string`);
  if (!isPlainObject(event.data)) throw new TypeError(`${where}.data must be a plain object`);
  if (typeof event.metadata !== 'object' || event.metadata === null) throw new TypeError(`${where}.metadata is missing`);
  const { actor, occurredAt, correlationId, causationId } = event.metadata;
  return {
    id: event.id,
    type: event.type,
    data: JSON.parse(JSON.stringify(event.data)) as Record<string, unknown>,
    metadata: JSON.parse(JSON.stringify({ actor, occurredAt, correlationId, causationId })) as EventMetadata,
  };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

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

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array);
}

function closedError(): StoreUnavailableError {
  return new StoreUnavailableError('the event store is closed (the application is shutting down); retry against a running instance');
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function collect<T>(read: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of read) items.push(item);
  return items;
}

async function drain(read: AsyncIterable<unknown>): Promise<void> {
  for await (const _ of read) {
    // only whether the server answers matters
  }
}
