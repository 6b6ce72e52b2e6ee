import type { CustomChanges, CustomValues } from '../record-settings/record-properties';
import type { ContactIdentity } from './identity';

/**
 * A contact: the person behind conversations, as a record of its own (stream `contact-<id>`).
 * Inbound messages find a contact by identity or create one; agents edit, merge and split them.
 * Personal data in these events is sealed with the contact's key (docs/privacy.md), so erasing
 * the contact destroys the key and leaves the hash chain intact.
 */
export type ContactEvent =
  ContactCreated | ContactIdentityAdded | ContactIdentityRemoved | ContactPropertiesChanged | ContactMerged | ContactMergedIn | ContactErased;

export interface ContactCreated {
  type: 'ContactCreated';
  data: {
    contactId: string;
    identities: ContactIdentity[];
    name?: string;
    /** inbound: a message from an identity nobody holds; agent: created by hand; split: an identity split off `splitFrom`. */
    source: 'inbound' | 'agent' | 'split';
    splitFrom?: string;
    createdAt: string;
  };
}

/** An identity joined the contact (an email address or phone number an agent added). */
export interface ContactIdentityAdded {
  type: 'ContactIdentityAdded';
  data: { identity: ContactIdentity };
}

/** An identity left the contact: removed by an agent, or split off into the contact `splitTo`. */
export interface ContactIdentityRemoved {
  type: 'ContactIdentityRemoved';
  data: { identity: ContactIdentity; splitTo?: string };
}

/**
 * Only what changed is present. `companyId: null` leaves the company; `custom` changes only the keys
 * it names (null clears one). `via`: an agent's edit (absent), a later message that carried a name
 * for an empty one (`message`), or the company found by the email domain (`email-domain`).
 */
export interface ContactPropertiesChanged {
  type: 'ContactPropertiesChanged';
  data: {
    name?: string;
    jobTitle?: string;
    companyId?: string | null;
    custom?: CustomChanges;
    via?: 'message' | 'email-domain';
  };
}

/** This contact was merged into `intoContactId`: it holds nothing any more and points there. */
export interface ContactMerged {
  type: 'ContactMerged';
  data: { intoContactId: string; at: string };
}

/**
 * The contact `fromContactId` was merged into this one: its identities joined, and the properties
 * this contact had empty were filled from it (`filled`). Its conversations and tickets now count as this contact's.
 */
export interface ContactMergedIn {
  type: 'ContactMergedIn';
  data: {
    fromContactId: string;
    identities: ContactIdentity[];
    filled: { name?: string; jobTitle?: string; companyId?: string; custom?: CustomValues };
    at: string;
  };
}

/**
 * A privacy request erased the contact: its key (and its conversations' keys) were destroyed, so
 * the sealed personal data of every earlier event is unreadable. The record stays as an empty shell.
 */
export interface ContactErased {
  type: 'ContactErased';
  data: { at: string; conversationIds: string[]; ticketIds: string[] };
}
