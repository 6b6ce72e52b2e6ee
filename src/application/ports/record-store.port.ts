import type { ContactIdentity } from '../../domain/contact/identity';
import type { CustomValues, PropertyDefinition, RecordObject } from '../../domain/record-settings/record-properties';
import type { TicketPriority, TicketStatus } from '../../domain/ticket/ticket.events';
import type { ConversationSummary, Page } from './read-store.port';

/**
 * The read side of the records: contacts, companies, tickets and their settings (docs/contacts.md).
 * Fed by projections from the event log like every read model (SQLite and MongoDB adapters, one
 * contract suite: test/contracts/record-store.contract.ts), so it can be rebuilt at any time.
 *
 * Access: a contact is visible to an agent who reaches one of its `inboxIds` (admins see all); a
 * contact with no conversation yet (made by hand) is visible to every agent. Companies are
 * account-wide. A ticket is its inbox's.
 */
export const RECORD_STORE = Symbol('RECORD_STORE');

export interface ContactRecord {
  id: string;
  name: string | null;
  /** Email identities, oldest first: the first is the primary address. */
  emails: string[];
  /** Phone identities (E.164), oldest first. */
  phones: string[];
  /** Every identity, oldest first. */
  identities: ContactIdentity[];
  companyId: string | null;
  jobTitle: string | null;
  custom: CustomValues;
  /** The inboxes the contact has (or had) conversations in: who may see the record. */
  inboxIds: string[];
  conversationCount: number;
  /** The latest message from or to the contact in any of their conversations; null when none. */
  lastActivityAt: string | null;
  createdAt: string;
  updatedAt: string;
  /** Set once merged into another contact: read that one instead. */
  mergedInto: string | null;
  /** A privacy request erased it: nothing personal is kept. */
  erased: boolean;
  /** Stream revision: the ETag / If-Match value. */
  revision: number;
}

export interface CompanyRecord {
  id: string;
  name: string;
  domain: string | null;
  custom: CustomValues;
  contactCount: number;
  createdAt: string;
  updatedAt: string;
  revision: number;
}

export interface TicketRecord {
  id: string;
  conversationId: string;
  inboxId: string;
  /** The conversation's contact (following merges); null when it has none. */
  contactId: string | null;
  name: string;
  status: TicketStatus;
  priority: TicketPriority | null;
  ownerId: string | null;
  custom: CustomValues;
  createdAt: string;
  updatedAt: string;
  closedAt: string | null;
  revision: number;
}

export interface ContactSearch {
  /** Words of the name, an email address or part of it, a phone number; empty: every contact. */
  q: string;
  /** Only contacts visible to an agent who reaches these inboxes; undefined: all (admins). */
  inboxIds?: readonly string[];
  companyId?: string;
  limit: number;
  cursor?: string;
}

export interface TicketSearch {
  inboxIds?: readonly string[];
  status?: TicketStatus;
  ownerId?: string | 'none';
  priority?: TicketPriority;
  contactId?: string;
  companyId?: string;
  q?: string;
  limit: number;
  cursor?: string;
}

export interface RecordSettingsRecord {
  properties: PropertyDefinition[];
  /** The card properties the sidebar shows per record, in order. */
  cardProperties: { contact: string[]; ticket: string[] };
  freeMailDomains: string[];
}

export interface RecordStore {
  /** The live contact holding this identity (identityKey), or null. */
  findContactIdByIdentity(key: string): Promise<string | null>;
  getContact(id: string): Promise<ContactRecord | null>;
  /** Newest activity first; merged and erased contacts are left out. */
  searchContacts(query: ContactSearch): Promise<Page<ContactRecord>>;
  /** The contact's conversations across inboxes and channels (only in `inboxIds` when given), newest first. */
  listContactConversations(contactId: string, inboxIds: readonly string[] | undefined, limit: number): Promise<ConversationSummary[]>;
  getCompany(id: string): Promise<CompanyRecord | null>;
  searchCompanies(query: { q: string; limit: number; cursor?: string }): Promise<Page<CompanyRecord>>;
  /** The company holding this domain (lower case), the oldest when more do; null when none. */
  findCompanyIdByDomain(domain: string): Promise<string | null>;
  getTicket(id: string): Promise<TicketRecord | null>;
  /** The ticket linked to a conversation, or null. */
  getTicketOfConversation(conversationId: string): Promise<TicketRecord | null>;
  /** Newest first. */
  searchTickets(query: TicketSearch): Promise<Page<TicketRecord>>;
  getRecordSettings(): Promise<RecordSettingsRecord>;
}

/** Which custom properties an object has (archived ones left out). */
export function propertiesOf(settings: RecordSettingsRecord, object: RecordObject): PropertyDefinition[] {
  return settings.properties.filter((p) => p.object === object);
}
