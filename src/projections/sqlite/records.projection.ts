import type { Database } from 'better-sqlite3';
import type { RecordedEvent } from '../../application/ports/event-store.port';
import { identityKey, identityOf, type ContactIdentity } from '../../domain/contact/identity';
import type { CustomValues } from '../../domain/record-settings/record-properties';
import { normalizeTime } from '../conversation-summary';
import type { SqliteProjection } from '../projection';
import {
  MAX_MERGE_HOPS,
  RECORDS_EVENT_TYPES,
  contactIdOf,
  conversationIdOf,
  occurredAt,
  SEQ_PER_EVENT,
  searchTextOf,
  sortName,
  withChanges,
  type RecordsEvent,
  type RecordsEventData,
} from '../records-events';
import { splitOf } from './contact-splits';
import { idFromStream, statement } from './statements';

/**
 * The records (docs/contacts.md, docs/tickets.md): contacts, their identities, companies, tickets
 * and the record settings, read by SqliteRecordStore.
 *
 * - rec_conversations: per conversation, the contact holding it now (following links, merges and
 *   splits), the identity its sender address stands for, its inbox and latest message. A contact's
 *   facts (conversationCount, lastActivityAt, inboxes) come from here, so a contact whose
 *   conversations were projected before its ContactCreated (records are made asynchronously, and
 *   installs older than the records have none) still comes out right: its row exists as a stub
 *   (`recorded` 0), invisible until the record is created.
 * - rec_contacts: the record; `activity_key` (lastActivityAt, '' when none) orders the contact list
 *   through an index of live contacts; `search_text` is the name and identity values in lower case.
 * - rec_contact_inboxes: the inboxes a contact has or had conversations in (visibility).
 * - rec_identities: identity key -> the live contact holding it (unique), oldest first by `seq`.
 * - rec_companies: by name (the list) and by domain (the company a domain's contacts join).
 * - rec_tickets, rec_properties, rec_settings.
 *
 * Merges and splits move rows by the indexed contact id; no event scans a whole table.
 */
export const recordsProjection: SqliteProjection = {
  name: 'records',
  version: 2,
  handles: RECORDS_EVENT_TYPES,
  reset(tx) {
    tx.exec(`
      DROP TABLE IF EXISTS rec_conversations;
      DROP TABLE IF EXISTS rec_contacts;
      DROP TABLE IF EXISTS rec_contact_inboxes;
      DROP TABLE IF EXISTS rec_identities;
      DROP TABLE IF EXISTS rec_companies;
      DROP TABLE IF EXISTS rec_tickets;
      DROP TABLE IF EXISTS rec_properties;
      DROP TABLE IF EXISTS rec_settings;
      CREATE TABLE rec_conversations (
        id TEXT PRIMARY KEY,
        contact_id TEXT,
        identity_key TEXT,
        inbox_id TEXT NOT NULL,
        channel TEXT NOT NULL,
        last_activity_at TEXT
      );
      CREATE INDEX rec_conversations_by_contact ON rec_conversations (contact_id, identity_key) WHERE contact_id IS NOT NULL;
      CREATE INDEX rec_conversations_by_activity ON rec_conversations (contact_id, last_activity_at) WHERE contact_id IS NOT NULL;
      CREATE TABLE rec_contacts (
        id TEXT PRIMARY KEY,
        recorded INTEGER NOT NULL,
        name TEXT,
        company_id TEXT,
        job_title TEXT,
        custom TEXT NOT NULL,
        search_text TEXT NOT NULL,
        conversation_count INTEGER NOT NULL,
        last_activity_at TEXT,
        activity_key TEXT NOT NULL,
        created_at TEXT,
        updated_at TEXT,
        merged_into TEXT,
        erased INTEGER NOT NULL,
        revision INTEGER NOT NULL
      );
      CREATE INDEX rec_contacts_by_activity ON rec_contacts (activity_key, id) WHERE recorded = 1 AND merged_into IS NULL AND erased = 0;
      CREATE INDEX rec_contacts_by_company ON rec_contacts (company_id, activity_key, id) WHERE company_id IS NOT NULL;
      CREATE TABLE rec_contact_inboxes (
        contact_id TEXT NOT NULL,
        inbox_id TEXT NOT NULL,
        PRIMARY KEY (contact_id, inbox_id)
      ) WITHOUT ROWID;
      CREATE TABLE rec_identities (
        key TEXT PRIMARY KEY,
        contact_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        value TEXT NOT NULL,
        channel TEXT,
        seq INTEGER NOT NULL
      );
      CREATE INDEX rec_identities_by_contact ON rec_identities (contact_id, seq);
      CREATE TABLE rec_companies (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        sort_name TEXT NOT NULL,
        domain TEXT,
        custom TEXT NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        revision INTEGER NOT NULL
      );
      CREATE INDEX rec_companies_by_name ON rec_companies (sort_name, id);
      CREATE INDEX rec_companies_by_domain ON rec_companies (domain, created_at, id);
      CREATE TABLE rec_tickets (
        id TEXT PRIMARY KEY,
        conversation_id TEXT NOT NULL,
        inbox_id TEXT NOT NULL,
        contact_id TEXT,
        name TEXT NOT NULL,
        status TEXT NOT NULL,
        priority TEXT,
        owner_id TEXT,
        custom TEXT NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        closed_at TEXT,
        revision INTEGER NOT NULL
      );
      CREATE INDEX rec_tickets_by_conversation ON rec_tickets (conversation_id);
      CREATE INDEX rec_tickets_by_contact ON rec_tickets (contact_id) WHERE contact_id IS NOT NULL;
      CREATE INDEX rec_tickets_by_time ON rec_tickets (created_at, id);
      CREATE INDEX rec_tickets_by_inbox ON rec_tickets (inbox_id, created_at, id);
      CREATE TABLE rec_properties (
        object TEXT NOT NULL,
        key TEXT NOT NULL,
        label TEXT NOT NULL,
        type TEXT NOT NULL,
        options TEXT,
        archived INTEGER NOT NULL,
        seq INTEGER NOT NULL,
        PRIMARY KEY (object, key)
      );
      CREATE TABLE rec_settings (name TEXT PRIMARY KEY, value TEXT NOT NULL);
    `);
  },
  apply(event, tx) {
    applyRecordEvent(event, tx);
  },
  applyBatch(events, tx) {
    for (const event of events) applyRecordEvent(event, tx);
  },
};

type AnyEvent = RecordsEvent;
type DataOf<T extends AnyEvent['type']> = RecordsEventData<T>;
type Handler<T extends AnyEvent['type']> = (tx: Database, event: RecordedEvent, data: DataOf<T>) => void;

/** Every statement of the projection (a test checks that none scans a table). */
export const RECORDS_PROJECTION_SQL = {
  conversation: 'SELECT contact_id, identity_key, inbox_id, channel, last_activity_at FROM rec_conversations WHERE id = ?',
  insertConversation: `INSERT INTO rec_conversations (id, contact_id, identity_key, inbox_id, channel, last_activity_at) VALUES (?, ?, ?, ?, ?, NULL)
     ON CONFLICT (id) DO UPDATE SET contact_id = excluded.contact_id, identity_key = excluded.identity_key, inbox_id = excluded.inbox_id, channel = excluded.channel`,
  mergeTarget: 'SELECT merged_into FROM rec_contacts WHERE id = ?',
  conversationActivity: 'UPDATE rec_conversations SET last_activity_at = ? WHERE id = ?',
  contactActivity: `UPDATE rec_contacts SET last_activity_at = ?, activity_key = ? WHERE id = ? AND (last_activity_at IS NULL OR last_activity_at < ?)`,
  linkConversation: 'UPDATE rec_conversations SET contact_id = ?, identity_key = ? WHERE id = ?',
  deleteConversation: 'DELETE FROM rec_conversations WHERE id = ?',
  factsOf: 'SELECT COUNT(*) AS count, MAX(last_activity_at) AS last FROM rec_conversations WHERE contact_id = ?',
  saveFacts: 'UPDATE rec_contacts SET conversation_count = ?, last_activity_at = ?, activity_key = ? WHERE id = ?',
  stub: `INSERT INTO rec_contacts (id, recorded, custom, search_text, conversation_count, activity_key, erased, revision)
     VALUES (?, 0, '{}', '', 0, '', 0, -1) ON CONFLICT (id) DO NOTHING`,
  addInbox: 'INSERT INTO rec_contact_inboxes (contact_id, inbox_id) VALUES (?, ?) ON CONFLICT DO NOTHING',
  copyInboxes: `INSERT INTO rec_contact_inboxes (contact_id, inbox_id) SELECT ?, inbox_id FROM rec_contact_inboxes WHERE contact_id = ? ON CONFLICT DO NOTHING`,
  ticketContactOfConversation: 'UPDATE rec_tickets SET contact_id = ? WHERE conversation_id = ?',
  contact: 'SELECT name, custom, company_id, job_title FROM rec_contacts WHERE id = ?',
  createContact: `UPDATE rec_contacts SET recorded = 1, name = ?, created_at = ?, updated_at = ?, revision = ? WHERE id = ?`,
  touchContact: 'UPDATE rec_contacts SET updated_at = ?, revision = ? WHERE id = ?',
  holdIdentity: `INSERT INTO rec_identities (key, contact_id, kind, value, channel, seq) VALUES (?, ?, ?, ?, ?, ?)
     ON CONFLICT (key) DO UPDATE SET contact_id = excluded.contact_id, seq = excluded.seq`,
  dropIdentity: 'DELETE FROM rec_identities WHERE key = ? AND contact_id = ?',
  identitiesOf: 'SELECT value FROM rec_identities WHERE contact_id = ? ORDER BY seq',
  searchText: 'UPDATE rec_contacts SET search_text = ? WHERE id = ?',
  splitTickets: `UPDATE rec_tickets SET contact_id = ? WHERE conversation_id IN
     (SELECT id FROM rec_conversations WHERE contact_id = ? AND identity_key = ?)`,
  splitInboxes: `INSERT INTO rec_contact_inboxes (contact_id, inbox_id)
     SELECT DISTINCT ?, inbox_id FROM rec_conversations WHERE contact_id = ? AND identity_key = ? ON CONFLICT DO NOTHING`,
  splitConversations: 'UPDATE rec_conversations SET contact_id = ? WHERE contact_id = ? AND identity_key = ?',
  mergeConversations: 'UPDATE rec_conversations SET contact_id = ? WHERE contact_id = ?',
  mergeTickets: 'UPDATE rec_tickets SET contact_id = ? WHERE contact_id = ?',
  mergeIdentities: 'UPDATE rec_identities SET contact_id = ? WHERE contact_id = ?',
  mergedInto: 'UPDATE rec_contacts SET merged_into = ?, updated_at = ?, revision = ? WHERE id = ?',
  saveProperties: 'UPDATE rec_contacts SET name = ?, company_id = ?, job_title = ?, custom = ?, updated_at = ?, revision = ? WHERE id = ?',
  erase: `UPDATE rec_contacts SET name = NULL, company_id = NULL, job_title = NULL, custom = '{}', search_text = '', erased = 1,
       updated_at = ?, revision = ? WHERE id = ?`,
  dropIdentitiesOf: 'DELETE FROM rec_identities WHERE contact_id = ?',
  forgetConversationIdentities: 'UPDATE rec_conversations SET identity_key = NULL WHERE contact_id = ?',
  eraseTicketName: `UPDATE rec_tickets SET name = '', custom = '{}' WHERE id = ?`,
  createCompany: `INSERT INTO rec_companies (id, name, sort_name, domain, custom, created_at, updated_at, revision) VALUES (?, ?, ?, ?, '{}', ?, ?, ?)
     ON CONFLICT (id) DO UPDATE SET name = excluded.name, sort_name = excluded.sort_name, domain = excluded.domain, revision = excluded.revision`,
  company: 'SELECT name, domain, custom FROM rec_companies WHERE id = ?',
  saveCompany: 'UPDATE rec_companies SET name = ?, sort_name = ?, domain = ?, custom = ?, updated_at = ?, revision = ? WHERE id = ?',
  openTicket: `INSERT INTO rec_tickets (id, conversation_id, inbox_id, contact_id, name, status, priority, owner_id, custom, created_at, updated_at, closed_at, revision)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, '{}', ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
  ticket: 'SELECT name, status, priority, owner_id, custom, closed_at FROM rec_tickets WHERE id = ?',
  saveTicket: 'UPDATE rec_tickets SET name = ?, status = ?, priority = ?, owner_id = ?, custom = ?, closed_at = ?, updated_at = ?, revision = ? WHERE id = ?',
  removeTicket: 'DELETE FROM rec_tickets WHERE id = ?',
  defineProperty: `INSERT INTO rec_properties (object, key, label, type, options, archived, seq) VALUES (?, ?, ?, ?, ?, 0, ?)
     ON CONFLICT (object, key) DO UPDATE SET label = excluded.label, type = excluded.type, options = excluded.options, archived = 0`,
  changePropertyLabel: 'UPDATE rec_properties SET label = ? WHERE object = ? AND key = ?',
  changePropertyOptions: 'UPDATE rec_properties SET options = ? WHERE object = ? AND key = ?',
  archiveProperty: 'UPDATE rec_properties SET archived = 1 WHERE object = ? AND key = ?',
  setting: 'INSERT INTO rec_settings (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value',
} as const;

interface ConversationRow {
  contact_id: string | null;
  identity_key: string | null;
  inbox_id: string;
  channel: string;
  last_activity_at: string | null;
}

const handlers: { [T in AnyEvent['type']]?: Handler<T> } = {
  ConversationStarted(tx, event, data) {
    const key = identityKey(identityOf(data.channel, data.contact.address));
    const contactId = liveContact(tx, data.contact.id);
    statement(tx, RECORDS_PROJECTION_SQL.insertConversation).run(data.conversationId, contactId, key, data.inboxId, data.channel);
    holdConversation(tx, contactId, data.inboxId);
  },
  MessageReceived(tx, event, data) {
    activity(tx, event, normalizeTime(data.receivedAt));
  },
  ReplyQueued(tx, event, data) {
    activity(tx, event, normalizeTime(data.queuedAt));
  },
  ContactLinked(tx, event, data) {
    const id = conversationIdOf(event);
    const row = conversation(tx, id);
    if (!row) return;
    const contactId = liveContact(tx, data.contactId);
    statement(tx, RECORDS_PROJECTION_SQL.linkConversation).run(contactId, identityKey(identityOf(row.channel, data.address)), id);
    statement(tx, RECORDS_PROJECTION_SQL.ticketContactOfConversation).run(contactId, id);
    holdConversation(tx, contactId, row.inbox_id);
    if (row.contact_id && row.contact_id !== contactId) refreshFacts(tx, row.contact_id);
  },
  ContactUnlinked(tx, event) {
    const id = conversationIdOf(event);
    const row = conversation(tx, id);
    if (!row) return;
    statement(tx, RECORDS_PROJECTION_SQL.linkConversation).run(null, row.identity_key, id);
    statement(tx, RECORDS_PROJECTION_SQL.ticketContactOfConversation).run(null, id);
    if (row.contact_id) refreshFacts(tx, row.contact_id);
  },
  ConversationDeleted(tx, event) {
    const id = conversationIdOf(event);
    const row = conversation(tx, id);
    if (!row) return;
    statement(tx, RECORDS_PROJECTION_SQL.deleteConversation).run(id);
    if (row.contact_id) refreshFacts(tx, row.contact_id);
  },

  ContactCreated(tx, event, data) {
    statement(tx, RECORDS_PROJECTION_SQL.stub).run(data.contactId);
    followSplit(tx, event);
    statement(tx, RECORDS_PROJECTION_SQL.createContact).run(
      data.name ?? null,
      normalizeTime(data.createdAt),
      occurredAt(event),
      event.revision,
      data.contactId,
    );
    data.identities.forEach((identity, index) => holdIdentity(tx, data.contactId, identity, event.position * SEQ_PER_EVENT + index));
    refreshSearchText(tx, data.contactId);
  },
  ContactIdentityAdded(tx, event, data) {
    const id = contactIdOf(event);
    statement(tx, RECORDS_PROJECTION_SQL.stub).run(id);
    holdIdentity(tx, id, data.identity, event.position * SEQ_PER_EVENT);
    touch(tx, event, id);
    refreshSearchText(tx, id);
  },
  ContactIdentityRemoved(tx, event, data) {
    const id = contactIdOf(event);
    const key = identityKey(data.identity);
    statement(tx, RECORDS_PROJECTION_SQL.dropIdentity).run(key, id);
    followSplit(tx, event);
    touch(tx, event, id);
    refreshSearchText(tx, id);
  },
  ContactPropertiesChanged(tx, event, data) {
    const id = contactIdOf(event);
    statement(tx, RECORDS_PROJECTION_SQL.stub).run(id);
    const row = statement(tx, RECORDS_PROJECTION_SQL.contact).get(id) as {
      name: string | null;
      custom: string;
      company_id: string | null;
      job_title: string | null;
    };
    statement(tx, RECORDS_PROJECTION_SQL.saveProperties).run(
      data.name !== undefined ? data.name : row.name,
      data.companyId !== undefined ? data.companyId : row.company_id,
      data.jobTitle !== undefined ? data.jobTitle : row.job_title,
      JSON.stringify(withChanges(JSON.parse(row.custom) as CustomValues, data.custom)),
      occurredAt(event),
      event.revision,
      id,
    );
    if (data.name !== undefined) refreshSearchText(tx, id);
  },
  ContactMerged(tx, event, data) {
    const from = contactIdOf(event);
    const into = liveContact(tx, data.intoContactId);
    statement(tx, RECORDS_PROJECTION_SQL.stub).run(from);
    statement(tx, RECORDS_PROJECTION_SQL.stub).run(into);
    statement(tx, RECORDS_PROJECTION_SQL.mergeTickets).run(into, from);
    statement(tx, RECORDS_PROJECTION_SQL.mergeConversations).run(into, from);
    statement(tx, RECORDS_PROJECTION_SQL.mergeIdentities).run(into, from);
    statement(tx, RECORDS_PROJECTION_SQL.copyInboxes).run(into, from);
    statement(tx, RECORDS_PROJECTION_SQL.mergedInto).run(into, normalizeTime(data.at), event.revision, from);
    refreshFacts(tx, from);
    refreshFacts(tx, into);
    refreshSearchText(tx, from);
    refreshSearchText(tx, into);
  },
  ContactMergedIn(tx, event, data) {
    const id = contactIdOf(event);
    statement(tx, RECORDS_PROJECTION_SQL.stub).run(id);
    data.identities.forEach((identity, index) => holdIdentity(tx, id, identity, event.position * SEQ_PER_EVENT + index));
    const row = statement(tx, RECORDS_PROJECTION_SQL.contact).get(id) as {
      name: string | null;
      custom: string;
      company_id: string | null;
      job_title: string | null;
    };
    const { filled } = data;
    statement(tx, RECORDS_PROJECTION_SQL.saveProperties).run(
      filled.name ?? row.name,
      filled.companyId ?? row.company_id,
      filled.jobTitle ?? row.job_title,
      JSON.stringify({ ...(JSON.parse(row.custom) as CustomValues), ...(filled.custom ?? {}) }),
      normalizeTime(data.at),
      event.revision,
      id,
    );
    refreshSearchText(tx, id);
  },
  ContactErased(tx, event, data) {
    const id = contactIdOf(event);
    statement(tx, RECORDS_PROJECTION_SQL.stub).run(id);
    statement(tx, RECORDS_PROJECTION_SQL.erase).run(normalizeTime(data.at), event.revision, id);
    statement(tx, RECORDS_PROJECTION_SQL.dropIdentitiesOf).run(id);
    // The identity a conversation's sender address stands for is personal data too.
    statement(tx, RECORDS_PROJECTION_SQL.forgetConversationIdentities).run(id);
    for (const ticketId of data.ticketIds) statement(tx, RECORDS_PROJECTION_SQL.eraseTicketName).run(ticketId);
  },

  CompanyCreated(tx, event, data) {
    const at = normalizeTime(data.createdAt);
    statement(tx, RECORDS_PROJECTION_SQL.createCompany).run(data.companyId, data.name, sortName(data.name), data.domain, at, at, event.revision);
  },
  CompanyChanged(tx, event, data) {
    const id = idFromStream(event.streamId, 'company-');
    const row = statement(tx, RECORDS_PROJECTION_SQL.company).get(id) as { name: string; domain: string | null; custom: string } | undefined;
    if (!row) return;
    const name = data.name ?? row.name;
    const domain = data.domain !== undefined ? data.domain : row.domain;
    const custom = JSON.stringify(withChanges(JSON.parse(row.custom) as CustomValues, data.custom));
    statement(tx, RECORDS_PROJECTION_SQL.saveCompany).run(name, sortName(name), domain, custom, occurredAt(event), event.revision, id);
  },

  TicketOpened(tx, event, data) {
    const contactId = conversation(tx, data.conversationId)?.contact_id ?? null;
    const at = normalizeTime(data.openedAt);
    statement(tx, RECORDS_PROJECTION_SQL.openTicket).run(
      data.ticketId,
      data.conversationId,
      data.inboxId,
      contactId,
      data.name,
      data.status,
      data.priority,
      data.ownerId,
      at,
      at,
      data.status === 'closed' ? at : null,
      event.revision,
    );
  },
  TicketChanged(tx, event, data) {
    const id = idFromStream(event.streamId, 'ticket-');
    const row = statement(tx, RECORDS_PROJECTION_SQL.ticket).get(id) as
      { name: string; status: string; priority: string | null; owner_id: string | null; custom: string; closed_at: string | null } | undefined;
    if (!row) return;
    const at = normalizeTime(data.at);
    const status = data.status ?? row.status;
    const closedAt = status !== 'closed' ? null : row.status === 'closed' ? row.closed_at : at;
    statement(tx, RECORDS_PROJECTION_SQL.saveTicket).run(
      data.name ?? row.name,
      status,
      data.priority !== undefined ? data.priority : row.priority,
      data.ownerId !== undefined ? data.ownerId : row.owner_id,
      JSON.stringify(withChanges(JSON.parse(row.custom) as CustomValues, data.custom)),
      closedAt,
      at,
      event.revision,
      id,
    );
  },
  TicketRemoved(tx, event) {
    statement(tx, RECORDS_PROJECTION_SQL.removeTicket).run(idFromStream(event.streamId, 'ticket-'));
  },

  PropertyDefined(tx, event, data) {
    statement(tx, RECORDS_PROJECTION_SQL.defineProperty).run(
      data.object,
      data.key,
      data.label,
      data.type,
      data.options ? JSON.stringify(data.options) : null,
      event.position,
    );
  },
  PropertyChanged(tx, event, data) {
    if (data.label !== undefined) statement(tx, RECORDS_PROJECTION_SQL.changePropertyLabel).run(data.label, data.object, data.key);
    if (data.options !== undefined) statement(tx, RECORDS_PROJECTION_SQL.changePropertyOptions).run(JSON.stringify(data.options), data.object, data.key);
  },
  PropertyArchived(tx, event, data) {
    statement(tx, RECORDS_PROJECTION_SQL.archiveProperty).run(data.object, data.key);
  },
  CardPropertiesChosen(tx, event, data) {
    statement(tx, RECORDS_PROJECTION_SQL.setting).run(`cardProperties.${data.object}`, JSON.stringify(data.keys));
  },
  FreeMailDomainsSet(tx, event, data) {
    statement(tx, RECORDS_PROJECTION_SQL.setting).run('freeMailDomains', JSON.stringify(data.domains));
  },
};

function applyRecordEvent(event: RecordedEvent, tx: Database): void {
  const handler = handlers[event.type as AnyEvent['type']] as Handler<AnyEvent['type']> | undefined;
  handler?.(tx, event, event.data as never);
}

/**
 * The contact a conversation event naming `contactId` belongs to: the contact it was merged into
 * when it was (an inbound message resolved against read models a merge had not reached yet).
 */
export function liveContact(tx: Database, contactId: string): string {
  let id = contactId;
  for (let hops = 0; hops < MAX_MERGE_HOPS; hops++) {
    const into = statement(tx, RECORDS_PROJECTION_SQL.mergeTarget).pluck().get(id) as string | null | undefined;
    if (!into) return id;
    id = into;
  }
  return id;
}

function conversation(tx: Database, id: string): ConversationRow | null {
  return (statement(tx, RECORDS_PROJECTION_SQL.conversation).get(id) as ConversationRow | undefined) ?? null;
}

/** Moves the conversations (and their tickets and inboxes) of identities split off to the new contact (contact-splits.ts). */
function followSplit(tx: Database, event: RecordedEvent): void {
  const split = splitOf(event);
  if (!split) return;
  statement(tx, RECORDS_PROJECTION_SQL.stub).run(split.to);
  for (const key of split.keys) {
    statement(tx, RECORDS_PROJECTION_SQL.splitTickets).run(split.to, split.from, key);
    statement(tx, RECORDS_PROJECTION_SQL.splitInboxes).run(split.to, split.from, key);
    statement(tx, RECORDS_PROJECTION_SQL.splitConversations).run(split.to, split.from, key);
  }
  refreshFacts(tx, split.from);
  refreshFacts(tx, split.to);
}

/** A conversation joined the contact: its inbox and the counts (the row exists as a stub until the record does). */
function holdConversation(tx: Database, contactId: string, inboxId: string): void {
  statement(tx, RECORDS_PROJECTION_SQL.stub).run(contactId);
  statement(tx, RECORDS_PROJECTION_SQL.addInbox).run(contactId, inboxId);
  refreshFacts(tx, contactId);
}

/** The hot path of every message: two keyed updates, the contact's only when the time is newer. */
function activity(tx: Database, event: RecordedEvent, at: string): void {
  const id = conversationIdOf(event);
  const row = conversation(tx, id);
  if (!row) return;
  if (row.last_activity_at === null || row.last_activity_at < at) statement(tx, RECORDS_PROJECTION_SQL.conversationActivity).run(at, id);
  if (row.contact_id) statement(tx, RECORDS_PROJECTION_SQL.contactActivity).run(at, at, row.contact_id, at);
}

/** Count and latest activity of a contact's conversations, read through the (contact_id, last_activity_at) index. */
function refreshFacts(tx: Database, contactId: string): void {
  const facts = statement(tx, RECORDS_PROJECTION_SQL.factsOf).get(contactId) as { count: number; last: string | null };
  statement(tx, RECORDS_PROJECTION_SQL.saveFacts).run(facts.count, facts.last, facts.last ?? '', contactId);
}

function holdIdentity(tx: Database, contactId: string, identity: ContactIdentity, seq: number): void {
  statement(tx, RECORDS_PROJECTION_SQL.holdIdentity).run(identityKey(identity), contactId, identity.kind, identity.value, identity.channel ?? null, seq);
}

function touch(tx: Database, event: RecordedEvent, contactId: string): void {
  statement(tx, RECORDS_PROJECTION_SQL.touchContact).run(occurredAt(event), event.revision, contactId);
}

/** What a contact search matches against: the name and every identity value, in lower case. */
function refreshSearchText(tx: Database, contactId: string): void {
  const row = statement(tx, RECORDS_PROJECTION_SQL.contact).get(contactId) as { name: string | null } | undefined;
  if (!row) return;
  const values = statement(tx, RECORDS_PROJECTION_SQL.identitiesOf).pluck().all(contactId) as string[];
  statement(tx, RECORDS_PROJECTION_SQL.searchText).run(searchTextOf(row.name, values), contactId);
}
