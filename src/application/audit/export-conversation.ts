import type { RecordedEvent } from '../ports/event-store.port';
import { CONVERSATION_EVENT_TYPES } from '../../projections/conversation-summary';
import { toAuditRecord } from './audit-record';

/** Export takes conversation streams only: agent streams, for one, hold password hashes. */
export class ExportRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ExportRefusedError';
  }
}

const CONVERSATION_TYPES = new Set(CONVERSATION_EVENT_TYPES);

/**
 * One JSON line per event (audit-record.ts), in revision order. Refuses a stream that holds
 * anything but conversation events, or any value under a `passwordHash` key: an export may leave
 * the building, and no secret may travel with it.
 */
export function conversationExportLines(events: readonly RecordedEvent[]): string[] {
  for (const event of events) {
    if (!CONVERSATION_TYPES.has(event.type)) {
      throw new ExportRefusedError(`stream ${event.streamId} holds a ${event.type} event (revision ${event.revision}): only conversation streams are exported`);
    }
    if (holdsKey(event.data, 'passwordHash')) {
      throw new ExportRefusedError(`event ${event.id} of stream ${event.streamId} holds a password hash: refusing to export it`);
    }
  }
  return events.map((event) => JSON.stringify(toAuditRecord(event)));
}

function holdsKey(value: unknown, key: string): boolean {
  if (value === null || typeof value !== 'object') return false;
  if (Array.isArray(value)) return value.some((item) => holdsKey(item, key));
  return Object.entries(value).some(([k, v]) => k === key || holdsKey(v, key));
}
