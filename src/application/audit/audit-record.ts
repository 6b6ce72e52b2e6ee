import type { Actor } from '../../domain/shared/actor';
import type { RecordedEvent } from '../ports/event-store.port';

/**
 * One event as auditors see it (history, export): everything the hash covers (id, streamId,
 * revision, type, data, metadata) plus the chain links and the global position, so a line of an
 * export can be re-hashed with nothing else at hand.
 */
export interface AuditRecord {
  position: number;
  streamId: string;
  id: string;
  revision: number;
  type: string;
  actor: Actor;
  occurredAt: string;
  correlationId: string;
  causationId: string;
  data: Record<string, unknown>;
  prevHash: string;
  hash: string;
}

export function toAuditRecord(event: RecordedEvent): AuditRecord {
  const { actor, occurredAt, correlationId, causationId, prevHash, hash } = event.metadata;
  return {
    position: event.position,
    streamId: event.streamId,
    id: event.id,
    revision: event.revision,
    type: event.type,
    actor,
    occurredAt,
    correlationId,
    causationId,
    data: event.data,
    prevHash,
    hash,
  };
}
