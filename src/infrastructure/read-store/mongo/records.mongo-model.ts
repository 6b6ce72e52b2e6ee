import { Schema, type Connection, type Model } from 'mongoose';
import type { ContactIdentity } from '../../../domain/contact/identity';
import type { CustomValues, PropertyDefinition } from '../../../domain/record-settings/record-properties';
import type { TicketPriority, TicketStatus } from '../../../domain/ticket/ticket.events';

/**
 * The records' read models on MongoDB (contacts, their identities, companies, tickets, the record
 * settings), the twins of the embedded ones, fed by records.mongo-projection.ts. Every document
 * carries `lastPosition` (the last event applied to it) and is written whole, guarded by it, as
 * the conversation documents are (mongo-models.ts).
 *
 * Indexes:
 * - contact_identities by _id (the identity key): the lookup on the path of every inbound message;
 *   {contactId}: the identities an erasure drops.
 * - contacts {listed, visibleIn, activityKey, _id}: a contact page for agents in order of activity;
 *   {listed, companyId, activityKey, _id}: a company's contacts (and its count). A search term is
 *   found anywhere in the name or an identity value, as in the embedded store: the page is read in
 *   index order and filtered, so it costs the contacts walked to fill it.
 * - companies {created, nameKey, _id}: the list by name (terms filtered the same way);
 *   {created, domain, createdAt, _id}: the company a domain's contacts join.
 * - tickets {removed, inboxId, openedAt, _id}, {removed, openedAt, _id}, {contactId, openedAt, _id}:
 *   ticket pages newest first; {conversationId}: a conversation's ticket.
 * - record_conversations {contactId, identityKey}: what a merge, a split or a recount reads.
 */

/**
 * A contact as the records see it. Rows come into being with the first conversation of their id
 * (counts and inboxes collect before the ContactCreated arrives); only `created` ones are records.
 */
export interface ContactDocument {
  _id: string;
  created: boolean;
  name: string | null;
  companyId: string | null;
  jobTitle: string | null;
  custom: CustomValues;
  inboxIds: string[];
  /** inboxIds, or ['*'] when there is none: a contact made by hand is visible to every agent. */
  visibleIn: string[];
  conversationCount: number;
  lastActivityAt: string | null;
  /** lastActivityAt or '' (sorts last, newest first). */
  activityKey: string;
  createdAt: string;
  updatedAt: string;
  mergedInto: string | null;
  erased: boolean;
  /** created, not merged, not erased: what the searches list. */
  listed: boolean;
  /** The name and every identity value in lower case: what a search term must be part of. */
  searchText: string;
  revision: number;
  lastPosition: number;
}

/** An identity key (identityKey) and the contact holding it; `contactId: null` once it left. */
export interface ContactIdentityDocument {
  _id: string;
  contactId: string | null;
  kind: ContactIdentity['kind'];
  value: string;
  channel: string | null;
  /** Oldest first: the position of the event that gave it to its contact, times 1000, plus its index there. */
  seq: number;
  lastPosition: number;
}

/** A company; the row may exist before its CompanyCreated is projected (`created` false). Its contactCount is counted when read. */
export interface CompanyDocument {
  _id: string;
  created: boolean;
  name: string;
  /** The name trimmed, in lower case: the list order, and what a search term must be part of (or of the domain). */
  nameKey: string;
  domain: string | null;
  custom: CustomValues;
  createdAt: string;
  updatedAt: string;
  revision: number;
  lastPosition: number;
}

/** A ticket; `removed` tickets stay as tombstones keeping their lastPosition. */
export interface TicketDocument {
  _id: string;
  removed: boolean;
  conversationId: string;
  inboxId: string;
  contactId: string | null;
  name: string;
  status: TicketStatus;
  priority: TicketPriority | null;
  ownerId: string | null;
  custom: CustomValues;
  createdAt: string;
  /** createdAt: the sort key, newest first. */
  openedAt: string;
  updatedAt: string;
  closedAt: string | null;
  revision: number;
  lastPosition: number;
}

/** The one settings document (_id 'record-settings'). */
export interface RecordSettingsDocument {
  _id: string;
  /** Every definition, archived ones flagged. */
  properties: Array<PropertyDefinition & { archived?: boolean }>;
  cardProperties: { contact?: string[]; ticket?: string[] };
  /** null until set: the defaults. */
  freeMailDomains: string[] | null;
  lastPosition: number;
}

/** What the records need of a conversation: whose it is now (following links, merges and splits), where, and its latest message. */
export interface RecordConversationDocument {
  _id: string;
  contactId: string | null;
  /** The identity its contact's address stands for: what a split moves. */
  identityKey: string | null;
  inboxId: string;
  channel: string;
  lastActivityAt: string | null;
  /** Deleted forever: a tombstone keeping its lastPosition. */
  deleted: boolean;
  lastPosition: number;
}

/**
 * A contact merged away and the contact it went into, as the conversation summaries follow them
 * (owned by the conversations projection): a conversation started for, or linked to, a merged
 * contact belongs to the end of its chain.
 */
export interface ContactMergeDocument {
  _id: string;
  into: string;
  lastPosition: number;
}

const Mixed = Schema.Types.Mixed;

function options(collection: string) {
  return { collection, versionKey: false as const, minimize: false, strict: 'throw' as const, autoIndex: false, autoCreate: false };
}

function contactSchema(): Schema<ContactDocument> {
  const schema = new Schema<ContactDocument>(
    {
      _id: { type: String, required: true },
      created: Boolean,
      name: { type: String, default: null },
      companyId: { type: String, default: null },
      jobTitle: { type: String, default: null },
      custom: Mixed,
      inboxIds: [String],
      visibleIn: [String],
      conversationCount: Number,
      lastActivityAt: { type: String, default: null },
      activityKey: String,
      createdAt: String,
      updatedAt: String,
      mergedInto: { type: String, default: null },
      erased: Boolean,
      listed: Boolean,
      searchText: String,
      revision: Number,
      lastPosition: { type: Number, required: true },
    },
    options('contacts'),
  );
  schema.index({ listed: 1, visibleIn: 1, activityKey: -1, _id: -1 }, { name: 'by_activity' });
  schema.index({ listed: 1, companyId: 1, activityKey: -1, _id: -1 }, { name: 'by_company' });
  return schema;
}

function identitySchema(): Schema<ContactIdentityDocument> {
  const schema = new Schema<ContactIdentityDocument>(
    {
      _id: { type: String, required: true },
      contactId: { type: String, default: null },
      kind: String,
      value: String,
      channel: { type: String, default: null },
      seq: Number,
      lastPosition: { type: Number, required: true },
    },
    options('contact_identities'),
  );
  schema.index({ contactId: 1, seq: 1 }, { name: 'by_contact' });
  return schema;
}

function companySchema(): Schema<CompanyDocument> {
  const schema = new Schema<CompanyDocument>(
    {
      _id: { type: String, required: true },
      created: Boolean,
      name: String,
      nameKey: String,
      domain: { type: String, default: null },
      custom: Mixed,
      createdAt: String,
      updatedAt: String,
      revision: Number,
      lastPosition: { type: Number, required: true },
    },
    options('companies'),
  );
  schema.index({ created: 1, nameKey: 1, _id: 1 }, { name: 'by_name' });
  schema.index({ created: 1, domain: 1, createdAt: 1, _id: 1 }, { name: 'by_domain' });
  return schema;
}

function ticketSchema(): Schema<TicketDocument> {
  const schema = new Schema<TicketDocument>(
    {
      _id: { type: String, required: true },
      removed: Boolean,
      conversationId: String,
      inboxId: String,
      contactId: { type: String, default: null },
      name: String,
      status: String,
      priority: { type: String, default: null },
      ownerId: { type: String, default: null },
      custom: Mixed,
      createdAt: String,
      openedAt: String,
      updatedAt: String,
      closedAt: { type: String, default: null },
      revision: Number,
      lastPosition: { type: Number, required: true },
    },
    options('tickets'),
  );
  schema.index({ removed: 1, inboxId: 1, openedAt: -1, _id: -1 }, { name: 'by_inbox' });
  schema.index({ removed: 1, openedAt: -1, _id: -1 }, { name: 'by_time' });
  schema.index({ contactId: 1, openedAt: -1, _id: -1 }, { name: 'by_contact' });
  schema.index({ conversationId: 1 }, { name: 'by_conversation' });
  return schema;
}

function recordSettingsSchema(): Schema<RecordSettingsDocument> {
  return new Schema<RecordSettingsDocument>(
    {
      _id: { type: String, required: true },
      properties: Mixed,
      cardProperties: Mixed,
      freeMailDomains: { type: [String], default: null },
      lastPosition: { type: Number, required: true },
    },
    options('record_settings'),
  );
}

function recordConversationSchema(): Schema<RecordConversationDocument> {
  const schema = new Schema<RecordConversationDocument>(
    {
      _id: { type: String, required: true },
      contactId: { type: String, default: null },
      identityKey: { type: String, default: null },
      inboxId: String,
      channel: String,
      lastActivityAt: { type: String, default: null },
      deleted: Boolean,
      lastPosition: { type: Number, required: true },
    },
    options('record_conversations'),
  );
  schema.index({ contactId: 1, identityKey: 1 }, { name: 'by_contact' });
  return schema;
}

function contactMergeSchema(): Schema<ContactMergeDocument> {
  return new Schema<ContactMergeDocument>(
    { _id: { type: String, required: true }, into: { type: String, required: true }, lastPosition: { type: Number, required: true } },
    options('contact_merges'),
  );
}

export interface RecordModels {
  contacts: Model<ContactDocument>;
  contactIdentities: Model<ContactIdentityDocument>;
  companies: Model<CompanyDocument>;
  tickets: Model<TicketDocument>;
  recordSettings: Model<RecordSettingsDocument>;
  recordConversations: Model<RecordConversationDocument>;
  contactMerges: Model<ContactMergeDocument>;
}

export function defineRecordModels(connection: Connection): RecordModels {
  return {
    contacts: connection.model<ContactDocument>('Contact', contactSchema()),
    contactIdentities: connection.model<ContactIdentityDocument>('ContactIdentity', identitySchema()),
    companies: connection.model<CompanyDocument>('Company', companySchema()),
    tickets: connection.model<TicketDocument>('Ticket', ticketSchema()),
    recordSettings: connection.model<RecordSettingsDocument>('RecordSettings', recordSettingsSchema()),
    recordConversations: connection.model<RecordConversationDocument>('RecordConversation', recordConversationSchema()),
    contactMerges: connection.model<ContactMergeDocument>('ContactMerge', contactMergeSchema()),
  };
}

export const RECORD_SETTINGS_ID = 'record-settings';
