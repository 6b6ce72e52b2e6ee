/** Where a stream stood when a state was folded from it. */
export interface StreamHead {
  /** The revision of the stream's last event. */
  revision: number;
  /** The global position of that event: unique in the log, so it names the stream's history too. */
  position: number;
}

interface Entry {
  /** The decider that folded it: a stream's state is the decider's own. */
  decider: object;
  head: StreamHead;
  state: unknown;
}

/**
 * Streams remembered at most; the least recently used goes first. A stream's commands come close
 * together (a message, then the process managers' reactions), so the recent few hundred are what
 * is asked for again; more only holds memory.
 */
const DEFAULT_LIMIT = 512;

/**
 * The states the command loop folded lately, by stream, with the head they were folded at. A
 * command whose stream still ends at that head needs no read of it, and one that grew reads only
 * what was added (handle-command.ts); the store is asked for the head every time, so a write by
 * any other path, a delete or a stream started again is always seen.
 *
 * States are immutable (every decider's evolve returns a new object), so one kept here is never
 * changed by a later fold. What it cannot see is a subject key destroyed after the fold: a state
 * folded before an erasure still holds the opened values. The erasure forgets its streams here
 * after destroying their keys, which is enough only where this process is the only one using the
 * log, so storage offers this cache on the embedded store alone.
 */
export class DecidedStates {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly limit = DEFAULT_LIMIT) {}

  /** The state of `streamId` folded by `decider`, or undefined. */
  get<State>(streamId: string, decider: object): { head: StreamHead; state: State } | undefined {
    const entry = this.entries.get(streamId);
    if (!entry || entry.decider !== decider) return undefined;
    // Most recently used last.
    this.entries.delete(streamId);
    this.entries.set(streamId, entry);
    return { head: entry.head, state: entry.state as State };
  }

  remember<State>(streamId: string, decider: object, head: StreamHead, state: State): void {
    this.entries.delete(streamId);
    this.entries.set(streamId, { decider, head, state });
    if (this.entries.size > this.limit) this.entries.delete(this.entries.keys().next().value as string);
  }

  forget(streamIds: Iterable<string>): void {
    for (const streamId of streamIds) this.entries.delete(streamId);
  }

  get size(): number {
    return this.entries.size;
  }
}
