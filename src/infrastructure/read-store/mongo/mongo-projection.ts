import type { RecordedEvent } from '../../../application/ports/event-store.port';
import type { MongoModelName, MongoReadModels } from './mongo-models';

/**
 * A MongoDB projection: like the embedded ones (src/projections/projection.ts) it has a stable
 * name for its checkpoint, a version whose change rebuilds it from position 0, and the event
 * types it handles. It applies a whole batch at once (a few round trips per batch instead of
 * several per event) and must be idempotent on its own: every write is guarded by the position
 * of the event, because no transaction ties the read model to the checkpoint.
 */
export interface MongoProjection {
  readonly name: string;
  readonly version: number;
  readonly handles: readonly string[];
  /** The collections whose documents this projection owns: emptied when its version changes. */
  readonly owns: readonly MongoModelName[];
  /** Applies the events (in log order, only the handled types) through position-guarded writes. */
  applyBatch(events: readonly RecordedEvent[], models: MongoReadModels): Promise<void>;
}

/** `conversation-<id>` -> `<id>`; the same for the other `<kind>-<id>` streams. */
export function idFromStream(streamId: string, prefix: string): string {
  return streamId.startsWith(prefix) ? streamId.slice(prefix.length) : streamId;
}
