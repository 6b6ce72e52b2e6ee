import { CorruptEventError, type EventStore, type RecordedEvent } from '../ports/event-store.port';
import { verifyChain, type ChainBreak } from './hash-chain';

export interface StreamVerification {
  streamId: string;
  /** True when every link of the chain recomputes. */
  ok: boolean;
  /** How many events the stream holds. */
  events: number;
  /** The first broken link, with the global position of the event where it shows. */
  firstBreak: (ChainBreak & { position: number }) | null;
  /** Set when the stored events cannot even be read back (a row edited into invalid JSON). */
  unreadable?: string;
}

/** Recomputes one stream's hash chain (hash-chain.ts) and places its first break in the log. */
export function verifyStreamEvents(streamId: string, events: readonly RecordedEvent[]): StreamVerification {
  const broken = verifyChain([...events]);
  if (broken === null) return { streamId, ok: true, events: events.length, firstBreak: null };
  const position = events.find((event) => event.id === broken.eventId)?.position ?? 0;
  return {
    streamId,
    ok: false,
    events: events.length,
    firstBreak: { revision: broken.revision, eventId: broken.eventId, position, reason: broken.reason, expected: broken.expected, actual: broken.actual },
  };
}

/** Verifies the given streams one at a time (only one stream's events are in memory at once). */
export async function* verifyStreams(eventStore: EventStore, streamIds: Iterable<string>): AsyncGenerator<StreamVerification> {
  for (const streamId of streamIds) {
    let events: RecordedEvent[];
    try {
      events = await eventStore.readStream(streamId);
    } catch (error) {
      if (!(error instanceof CorruptEventError) && !(error instanceof SyntaxError)) throw error;
      yield { streamId, ok: false, events: 0, firstBreak: null, unreadable: error.message };
      continue;
    }
    yield verifyStreamEvents(streamId, events);
  }
}
