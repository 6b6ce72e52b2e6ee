import type { RecordedEvent } from '../application/ports/event-store.port';
import type { CompanyEvent } from '../domain/company/company.events';
import type { ContactEvent } from '../domain/contact/contact.events';
import type { ConversationEvent } from '../domain/conversation/conversation.events';
import type { CustomChanges, CustomValues } from '../domain/record-settings/record-properties';
import type { RecordSettingsEvent } from '../domain/record-settings/record-settings.events';
import type { TicketEvent } from '../domain/ticket/ticket.events';
import { normalizeTime } from './conversation-summary';
import { idFromStream } from './sqlite/statements';

/**
 * What the records projections (the embedded one and MongoDB's) share, so that the two read models
 * follow the same events and fold them alike.
 */

export type RecordsEvent = ConversationEvent | ContactEvent | CompanyEvent | TicketEvent | RecordSettingsEvent;
export type RecordsEventData<T extends RecordsEvent['type']> = Extract<RecordsEvent, { type: T }>['data'];

/** The events the records follow. */
export const RECORDS_EVENT_TYPES: readonly RecordsEvent['type'][] = [
  'ConversationStarted',
  'MessageReceived',
  'ReplyQueued',
  'ContactLinked',
  'ContactUnlinked',
  'ConversationDeleted',
  'ContactCreated',
  'ContactIdentityAdded',
  'ContactIdentityRemoved',
  'ContactPropertiesChanged',
  'ContactMerged',
  'ContactMergedIn',
  'ContactErased',
  'CompanyCreated',
  'CompanyChanged',
  'TicketOpened',
  'TicketChanged',
  'TicketRemoved',
  'PropertyDefined',
  'PropertyChanged',
  'PropertyArchived',
  'CardPropertiesChosen',
  'FreeMailDomainsSet',
];

/** Identity seq: oldest first, several identities of one event in their order. */
export const SEQ_PER_EVENT = 1000;

/** How far a chain of merges is followed (each merge points to a live contact when made, so chains stay short). */
export const MAX_MERGE_HOPS = 16;

/** Custom values with the changes applied: a null change removes the value. */
export function withChanges(values: CustomValues, changes: CustomChanges | undefined): CustomValues {
  if (!changes) return values;
  const next: Record<string, string | number> = { ...values };
  for (const [key, value] of Object.entries(changes)) {
    if (value === null) delete next[key];
    else next[key] = value;
  }
  return next;
}

/** The key companies are listed by. */
export function sortName(name: string): string {
  return name.trim().toLowerCase();
}

/** What a contact search matches against: the name and every identity value, in lower case. */
export function searchTextOf(name: string | null, values: readonly string[]): string {
  return [name ?? '', ...values].join(' ').trim().toLowerCase();
}

export function conversationIdOf(event: RecordedEvent): string {
  return idFromStream(event.streamId, 'conversation-');
}

export function contactIdOf(event: RecordedEvent): string {
  return idFromStream(event.streamId, 'contact-');
}

export function occurredAt(event: RecordedEvent): string {
  return normalizeTime(event.metadata.occurredAt);
}
