import type { RecordedEvent } from '../ports/event-store.port';

/**
 * Reacts to events with commands (a saga). Runs at least once per event, in order, from a
 * checkpoint, so `handle` must be idempotent: the deciders make repeated commands no-ops.
 */
export interface ProcessManager {
  name: string;
  handles: readonly string[];
  handle(event: RecordedEvent): Promise<void>;
  /**
   * How many handled events the runner may hand over at once (default 1: each after the last is
   * done). Above 1, `handle` is called for each event of a run, in log order, one call right after
   * the other (each call's synchronous part runs before the next call starts), and the checkpoint
   * moves past the run once every one of them is done. The manager then keeps in order what must be
   * (the events of one record), and a call that fails fails those after it that depend on it: the
   * runner hands every failed event again, one at a time and in log order, as it would without.
   */
  concurrency?: number;
  /**
   * Called when the runner starts the managers, before any event: a pass over the log begins at the
   * stored checkpoints. A manager that keeps what it learnt in a pass forgets it here, since events
   * it did not see may have been handled meanwhile (the projector lease moved to another instance and back).
   */
  startPass?(): void;
}
