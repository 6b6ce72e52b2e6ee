import type { RecordedEvent } from '../ports/event-store.port';

/**
 * Reacts to events with commands (a saga). Runs at least once per event, in order, from a
 * checkpoint, so `handle` must be idempotent: the deciders make repeated commands no-ops.
 */
export interface ProcessManager {
  name: string;
  handles: readonly string[];
  handle(event: RecordedEvent): Promise<void>;
}
