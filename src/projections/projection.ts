import type { Database } from 'better-sqlite3';
import type { RecordedEvent } from '../application/ports/event-store.port';

/**
 * One read model fed from the event log (CONTRIBUTING.md "Projections"). The runner calls `apply`
 * inside the transaction that also advances the checkpoint, and only for events after it, so a
 * projection need not guard against replays itself (though the conversations one also does).
 */
export interface Projection<Tx> {
  /** Checkpoint key; stable across versions. */
  readonly name: string;
  /** Bump it whenever the tables or what `apply` writes change: the read model is rebuilt from 0. */
  readonly version: number;
  /** Event types `apply` cares about; other events only move the checkpoint. */
  readonly handles: readonly string[];
  /** Drops this projection's tables and creates them empty in the current schema. */
  reset(tx: Tx): void;
  apply(event: RecordedEvent, tx: Tx): void;
  /**
   * Optional: applies several events, in log order, with the same result as `apply` on each in
   * turn. The runner calls it once per batch with the events this projection handles, so a
   * projection may fold them in memory and write each row once.
   */
  applyBatch?(events: readonly RecordedEvent[], tx: Tx): void;
}

/** The embedded engine: `tx` is the read-side connection, inside the runner's open transaction. */
export type SqliteProjection = Projection<Database>;
