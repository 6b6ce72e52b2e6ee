import type { RecordedEvent } from '../../application/ports/event-store.port';
import type { ContactCreated, ContactIdentityRemoved } from '../../domain/contact/contact.events';
import { identityKey } from '../../domain/contact/identity';
import { idFromStream } from './statements';

/** Identities split off one contact into another: `from`'s conversations of these identity keys become `to`'s. */
export interface ContactSplit {
  from: string;
  to: string;
  keys: string[];
}

/**
 * The split an event makes, or null. Both sides of a split say it: the contact the identity left
 * (ContactIdentityRemoved with splitTo) and the contact made of it (ContactCreated from a split).
 * The read models move the conversations on whichever comes first (the other then finds none left),
 * so a rebuild still moves them after one side was erased and its identity values read as erased.
 */
export function splitOf(event: RecordedEvent): ContactSplit | null {
  if (event.type === 'ContactIdentityRemoved') {
    const data = event.data as ContactIdentityRemoved['data'];
    return data.splitTo ? { from: idFromStream(event.streamId, 'contact-'), to: data.splitTo, keys: [identityKey(data.identity)] } : null;
  }
  if (event.type === 'ContactCreated') {
    const data = event.data as ContactCreated['data'];
    return data.source === 'split' && data.splitFrom ? { from: data.splitFrom, to: data.contactId, keys: data.identities.map(identityKey) } : null;
  }
  return null;
}
