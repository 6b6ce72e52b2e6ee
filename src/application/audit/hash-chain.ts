import { createHash } from 'node:crypto';

/** prevHash of the first event of every stream. */
export const GENESIS_HASH = '0'.repeat(64);

export interface HashableEvent {
  id: string;
  streamId: string;
  revision: number;
  type: string;
  data: unknown;
  metadata: {
    actor: unknown;
    occurredAt: string;
    correlationId: string;
    causationId: string;
  };
}

/**
 * JSON with object keys sorted at every depth, so the same event always hashes the same
 * whatever engine stored it and in which key order it came back.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
  const entries = Object.keys(value as Record<string, unknown>)
    .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`);
  return `{${entries.join(',')}}`;
}

/**
 * sha256(prevHash + canonical event). The global position is left out on purpose: it is
 * assigned by the engine and differs between engines, while the chain must survive a migration.
 */
export function hashEvent(event: HashableEvent, prevHash: string): string {
  const { actor, occurredAt, correlationId, causationId } = event.metadata;
  const body = canonicalJson({
    id: event.id,
    streamId: event.streamId,
    revision: event.revision,
    type: event.type,
    data: event.data,
    metadata: { actor, occurredAt, correlationId, causationId },
  });
  return createHash('sha256').update(prevHash).update('\n').update(body).digest('hex');
}

export interface ChainBreak {
  revision: number;
  eventId: string;
  reason: 'hash-mismatch' | 'prev-hash-mismatch' | 'revision-gap' | 'unreadable';
  expected: string;
  actual: string;
}

/** Recomputes a stream's chain; returns the first broken link, or null when intact. */
export function verifyChain(events: Array<HashableEvent & { metadata: HashableEvent['metadata'] & { prevHash: string; hash: string } }>): ChainBreak | null {
  let prevHash = GENESIS_HASH;
  let expectedRevision = events.length > 0 ? events[0].revision : 0;
  for (const event of events) {
    if (event.revision !== expectedRevision) {
      return { revision: event.revision, eventId: event.id, reason: 'revision-gap', expected: String(expectedRevision), actual: String(event.revision) };
    }
    if (event.metadata.prevHash !== prevHash) {
      return { revision: event.revision, eventId: event.id, reason: 'prev-hash-mismatch', expected: prevHash, actual: event.metadata.prevHash };
    }
    const recomputed = hashEvent(event, prevHash);
    if (recomputed !== event.metadata.hash) {
      return { revision: event.revision, eventId: event.id, reason: 'hash-mismatch', expected: recomputed, actual: event.metadata.hash };
    }
    prevHash = event.metadata.hash;
    expectedRevision += 1;
  }
  return null;
}
