import type { AnyBulkWriteOperation, Model, QueryFilter } from 'mongoose';
import type { RecordedEvent } from '../../../application/ports/event-store.port';
import { identityKey, identityOf, type ContactIdentity } from '../../../domain/contact/identity';
import { normalizeTime } from '../../../projections/conversation-summary';
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
} from '../../../projections/records-events';
import { writeInOrder } from './guarded-writes';
import type { MongoReadModels } from './mongo-models';
import { idFromStream, type MongoProjection } from './mongo-projection';
import { splitOf } from '../../../projections/sqlite/contact-splits';
import {
  RECORD_SETTINGS_ID,
  type CompanyDocument,
  type ContactDocument,
  type ContactIdentityDocument,
  type RecordConversationDocument,
  type RecordSettingsDocument,
  type TicketDocument,
} from './records.mongo-model';

type AnyEvent = RecordsEvent;
type DataOf<T extends AnyEvent['type']> = RecordsEventData<T>;

/**
 * The records (contacts, identities, companies, tickets, record settings) on MongoDB: the twin of
 * the embedded records projection, with the same semantics.
 *
 * - record_conversations: per conversation, the contact holding it now (following links, merges
 *   and splits), the identity its sender address stands for, its inbox and latest message. A
 *   contact's conversationCount and lastActivityAt are counted from these whenever a conversation
 *   leaves or joins it, so a contact whose conversations were projected before its ContactCreated
 *   still comes out right: its document exists as a stub (`created` false) until the record does.
 * - contacts keep the inboxes they have or had conversations in (visibility), never fewer.
 * - contact_identities: identity key -> the contact holding it, oldest first by `seq`.
 *
 * No transaction: the batch is folded in memory over the documents it touches (loaded once, or
 * when an event needs them: the conversations of a merged contact …), and every touched document
 * is written whole, guarded by its lastPosition. An event applies to a document only when its
 * position is above the lastPosition the document had when loaded, so a redelivered event changes
 * nothing, and one event may change a document several times (a merge moving many conversations).
 *
 * The order of the writes makes a crash in between safe: what a document's change was computed
 * from is written after it (tickets and contacts before the record conversations and identities
 * they follow), so a retry that finds the source already moved on also finds the document written.
 */
export const recordsMongoProjection: MongoProjection = {
  name: 'records',
  version: 1,
  handles: RECORDS_EVENT_TYPES,
  owns: ['contacts', 'contactIdentities', 'companies', 'tickets', 'recordSettings', 'recordConversations'],
  async applyBatch(events, models) {
    if (events.length === 0) return;
    const batch = new RecordsBatch(models);
    await batch.prefetch(events);
    for (const event of events) await batch.apply(event);
    await batch.write();
  },
};

/** A document while a batch is applied: `loaded` is its lastPosition as stored (0 when new). */
interface Entry<T> {
  doc: T;
  loaded: number;
  touched: boolean;
}

// Any model: the documents are written whole, untyped (mongoose casts them against the schema).
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyModel = Model<any>;

/** One collection's documents of the batch: loaded in bulk or one by one, changed in memory, written once. */
class Documents<T extends { _id: string; lastPosition: number }> {
  readonly entries = new Map<string, Entry<T>>();

  constructor(
    readonly model: AnyModel,
    private readonly fresh: (id: string) => T,
  ) {}

  /** Loads the documents matching `filter` that are not held yet (the held ones are newer). */
  async load(filter: QueryFilter<T>): Promise<void> {
    const stored = (await this.model.find(filter).lean()) as unknown as T[];
    for (const doc of stored) if (!this.entries.has(doc._id)) this.entries.set(doc._id, { doc, loaded: doc.lastPosition, touched: false });
  }

  async loadIds(ids: Iterable<string>): Promise<void> {
    const missing = [...new Set(ids)].filter((id) => !this.entries.has(id));
    if (missing.length > 0) await this.load({ _id: { $in: missing } } as QueryFilter<T>);
  }

  /** The document, loaded if needed; null when there is none. */
  async find(id: string): Promise<Entry<T> | null> {
    await this.loadIds([id]);
    return this.entries.get(id) ?? null;
  }

  /** The document, a fresh one (not stored yet) when there is none. */
  async get(id: string): Promise<Entry<T>> {
    const entry = await this.find(id);
    if (entry) return entry;
    const created: Entry<T> = { doc: this.fresh(id), loaded: 0, touched: false };
    this.entries.set(id, created);
    return created;
  }

  /** Changes the document for the event at `position` unless it was applied to it before. */
  change(entry: Entry<T>, position: number, mutate: (doc: T) => void): boolean {
    if (position <= entry.loaded) return false;
    mutate(entry.doc);
    entry.doc.lastPosition = Math.max(entry.doc.lastPosition, position);
    entry.touched = true;
    return true;
  }

  held(predicate: (doc: T) => boolean): Entry<T>[] {
    return [...this.entries.values()].filter((entry) => predicate(entry.doc));
  }

  async write(): Promise<void> {
    const operations = [...this.entries.values()]
      .filter((entry) => entry.touched)
      .map(({ doc }) => {
        const { _id, ...fields } = doc;
        return { updateOne: { filter: { _id, lastPosition: { $lt: doc.lastPosition } }, update: { $set: fields }, upsert: true } } as AnyBulkWriteOperation;
      });
    if (operations.length > 0) await writeInOrder(this.model, operations);
  }
}

function stubContact(id: string): ContactDocument {
  return {
    _id: id,
    created: false,
    name: null,
    companyId: null,
    jobTitle: null,
    custom: {},
    inboxIds: [],
    visibleIn: ['*'],
    conversationCount: 0,
    lastActivityAt: null,
    activityKey: '',
    createdAt: '',
    updatedAt: '',
    mergedInto: null,
    erased: false,
    listed: false,
    searchText: '',
    revision: -1,
    lastPosition: 0,
  };
}

function stubCompany(id: string): CompanyDocument {
  return { _id: id, created: false, name: '', nameKey: '', domain: null, custom: {}, createdAt: '', updatedAt: '', revision: -1, lastPosition: 0 };
}

function stubTicket(id: string): TicketDocument {
  return {
    _id: id,
    removed: true,
    conversationId: '',
    inboxId: '',
    contactId: null,
    name: '',
    status: 'new',
    priority: null,
    ownerId: null,
    custom: {},
    createdAt: '',
    openedAt: '',
    updatedAt: '',
    closedAt: null,
    revision: -1,
    lastPosition: 0,
  };
}

function stubIdentity(key: string): ContactIdentityDocument {
  return { _id: key, contactId: null, kind: 'other', value: '', channel: null, seq: 0, lastPosition: 0 };
}

function stubConversation(id: string): RecordConversationDocument {
  return { _id: id, contactId: null, identityKey: null, inboxId: '', channel: '', lastActivityAt: null, deleted: true, lastPosition: 0 };
}

function stubSettings(id: string): RecordSettingsDocument {
  return { _id: id, properties: [], cardProperties: {}, freeMailDomains: null, lastPosition: 0 };
}

class RecordsBatch {
  private readonly contacts: Documents<ContactDocument>;
  private readonly identities: Documents<ContactIdentityDocument>;
  private readonly companies: Documents<CompanyDocument>;
  private readonly tickets: Documents<TicketDocument>;
  private readonly conversations: Documents<RecordConversationDocument>;
  private readonly settings: Documents<RecordSettingsDocument>;
  /** Contacts whose every conversation, or every identity, is held (loaded by contact id once per batch). */
  private readonly conversationsLoadedFor = new Set<string>();
  private readonly identitiesLoadedFor = new Set<string>();

  constructor(models: MongoReadModels) {
    this.contacts = new Documents(models.contacts, stubContact);
    this.identities = new Documents(models.contactIdentities, stubIdentity);
    this.companies = new Documents(models.companies, stubCompany);
    this.tickets = new Documents(models.tickets, stubTicket);
    this.conversations = new Documents(models.recordConversations, stubConversation);
    this.settings = new Documents(models.recordSettings, stubSettings);
  }

  /** The documents of the hot path in a few queries: the batch's conversations and their contacts. */
  async prefetch(events: readonly RecordedEvent[]): Promise<void> {
    const conversationIds = new Set<string>();
    const contactIds = new Set<string>();
    for (const event of events) {
      if (event.type === 'ConversationStarted') {
        const data = event.data as DataOf<'ConversationStarted'>;
        conversationIds.add(data.conversationId);
        contactIds.add(data.contact.id);
      } else if (event.streamId.startsWith('conversation-')) conversationIds.add(idFromStream(event.streamId, 'conversation-'));
      else if (event.streamId.startsWith('contact-')) contactIds.add(idFromStream(event.streamId, 'contact-'));
    }
    await this.conversations.loadIds(conversationIds);
    for (const entry of this.conversations.entries.values()) if (entry.doc.contactId) contactIds.add(entry.doc.contactId);
    await this.contacts.loadIds(contactIds);
  }

  async apply(event: RecordedEvent): Promise<void> {
    const handler = handlers[event.type as AnyEvent['type']] as Handler<AnyEvent['type']> | undefined;
    await handler?.(this, event, event.data as never);
  }

  /** Written so that what a change was computed from lands after it (see the projection's comment). */
  async write(): Promise<void> {
    await this.companies.write();
    await this.tickets.write();
    await this.contacts.write();
    await this.identities.write();
    await this.conversations.write();
    await this.settings.write();
  }

  // ---- conversations ---------------------------------------------------------------------------

  async conversationStarted(event: RecordedEvent, data: DataOf<'ConversationStarted'>): Promise<void> {
    const entry = await this.conversations.get(data.conversationId);
    const before = liveContactOf(entry.doc);
    const contactId = await this.liveContact(data.contact.id);
    const applied = this.conversations.change(entry, event.position, (doc) => {
      doc.contactId = contactId;
      doc.identityKey = identityKey(identityOf(data.channel, data.contact.address));
      doc.inboxId = data.inboxId;
      doc.channel = data.channel;
      if (doc.deleted) doc.lastActivityAt = null;
      doc.deleted = false;
    });
    if (!applied) return;
    if (before !== null && before !== contactId) await this.refreshFacts(before, event.position);
    // A new conversation only adds to its contact: counted without reading the contact's others.
    const contact = await this.contacts.get(contactId);
    const known = before === contactId;
    this.contacts.change(contact, event.position, (doc) => {
      addInbox(doc, data.inboxId);
      if (!known) doc.conversationCount += 1;
      setActivity(doc, maxTime(doc.lastActivityAt, entry.doc.lastActivityAt));
    });
  }

  /** The hot path of every message: the conversation's time, and the contact's only when newer. */
  async activity(event: RecordedEvent, at: string): Promise<void> {
    const entry = await this.conversations.find(conversationIdOf(event));
    if (!entry || entry.doc.deleted) return;
    const applied = this.conversations.change(entry, event.position, (doc) => {
      doc.lastActivityAt = maxTime(doc.lastActivityAt, at);
    });
    if (!applied || !entry.doc.contactId) return;
    const contact = await this.contacts.find(entry.doc.contactId);
    if (!contact) return;
    this.contacts.change(contact, event.position, (doc) => {
      if (doc.lastActivityAt === null || doc.lastActivityAt < at) setActivity(doc, at);
    });
  }

  async contactLinked(event: RecordedEvent, data: DataOf<'ContactLinked'>): Promise<void> {
    const id = conversationIdOf(event);
    const entry = await this.conversations.find(id);
    if (!entry || entry.doc.deleted) return;
    const before = entry.doc.contactId;
    const contactId = await this.liveContact(data.contactId);
    const applied = this.conversations.change(entry, event.position, (doc) => {
      doc.contactId = contactId;
      doc.identityKey = identityKey(identityOf(doc.channel, data.address));
    });
    if (!applied) return;
    await this.ticketsOfConversationTo(id, contactId, event.position);
    const contact = await this.contacts.get(contactId);
    this.contacts.change(contact, event.position, (doc) => addInbox(doc, entry.doc.inboxId));
    await this.refreshFacts(contactId, event.position);
    if (before && before !== contactId) await this.refreshFacts(before, event.position);
  }

  async contactUnlinked(event: RecordedEvent): Promise<void> {
    const id = conversationIdOf(event);
    const entry = await this.conversations.find(id);
    if (!entry || entry.doc.deleted) return;
    const before = entry.doc.contactId;
    const applied = this.conversations.change(entry, event.position, (doc) => {
      doc.contactId = null;
    });
    if (!applied) return;
    await this.ticketsOfConversationTo(id, null, event.position);
    if (before) await this.refreshFacts(before, event.position);
  }

  async conversationDeleted(event: RecordedEvent): Promise<void> {
    const entry = await this.conversations.find(conversationIdOf(event));
    if (!entry || entry.doc.deleted) return;
    const before = entry.doc.contactId;
    const applied = this.conversations.change(entry, event.position, (doc) => {
      doc.deleted = true;
      doc.contactId = null;
      doc.identityKey = null;
      doc.lastActivityAt = null;
    });
    if (applied && before) await this.refreshFacts(before, event.position);
  }

  // ---- contacts ----------------------------------------------------------------------------------

  async contactCreated(event: RecordedEvent, data: DataOf<'ContactCreated'>): Promise<void> {
    const contact = await this.contacts.get(data.contactId);
    await this.followSplit(event);
    this.contacts.change(contact, event.position, (doc) => {
      doc.created = true;
      doc.name = data.name ?? null;
      doc.createdAt = normalizeTime(data.createdAt);
      doc.updatedAt = occurredAt(event);
      doc.revision = event.revision;
    });
    for (const [index, identity] of data.identities.entries()) await this.holdIdentity(data.contactId, identity, event.position, index);
    await this.refreshDerived(data.contactId, event.position);
  }

  async identityAdded(event: RecordedEvent, data: DataOf<'ContactIdentityAdded'>): Promise<void> {
    const id = contactIdOf(event);
    await this.contacts.get(id);
    await this.holdIdentity(id, data.identity, event.position, 0);
    await this.touch(event, id);
    await this.refreshDerived(id, event.position);
  }

  async identityRemoved(event: RecordedEvent, data: DataOf<'ContactIdentityRemoved'>): Promise<void> {
    const id = contactIdOf(event);
    const key = identityKey(data.identity);
    const identity = await this.identities.find(key);
    if (identity && identity.doc.contactId === id) this.identities.change(identity, event.position, (doc) => (doc.contactId = null));
    await this.followSplit(event);
    await this.touch(event, id);
    await this.refreshDerived(id, event.position);
  }

  async propertiesChanged(event: RecordedEvent, data: DataOf<'ContactPropertiesChanged'>): Promise<void> {
    const id = contactIdOf(event);
    const contact = await this.contacts.get(id);
    this.contacts.change(contact, event.position, (doc) => {
      if (data.name !== undefined) doc.name = data.name;
      if (data.companyId !== undefined) doc.companyId = data.companyId;
      if (data.jobTitle !== undefined) doc.jobTitle = data.jobTitle;
      doc.custom = withChanges(doc.custom, data.custom);
      doc.updatedAt = occurredAt(event);
      doc.revision = event.revision;
    });
    if (data.name !== undefined) await this.refreshDerived(id, event.position);
  }

  async contactMerged(event: RecordedEvent, data: DataOf<'ContactMerged'>): Promise<void> {
    const from = contactIdOf(event);
    const into = await this.liveContact(data.intoContactId);
    const source = await this.contacts.get(from);
    const target = await this.contacts.get(into);
    const { position } = event;
    await this.tickets.load({ contactId: from });
    for (const ticket of this.tickets.held((doc) => doc.contactId === from)) this.tickets.change(ticket, position, (doc) => (doc.contactId = into));
    await this.loadConversationsOf([from, into]);
    for (const entry of this.conversations.held((doc) => doc.contactId === from)) this.conversations.change(entry, position, (doc) => (doc.contactId = into));
    await this.loadIdentitiesOf([from]);
    for (const identity of this.identities.held((doc) => doc.contactId === from)) this.identities.change(identity, position, (doc) => (doc.contactId = into));
    this.contacts.change(target, position, (doc) => {
      for (const inboxId of source.doc.inboxIds) addInbox(doc, inboxId);
    });
    this.contacts.change(source, position, (doc) => {
      doc.mergedInto = into;
      doc.updatedAt = normalizeTime(data.at);
      doc.revision = event.revision;
    });
    await this.refreshFacts(from, position);
    await this.refreshFacts(into, position);
    await this.refreshDerived(from, position);
    await this.refreshDerived(into, position);
  }

  async contactMergedIn(event: RecordedEvent, data: DataOf<'ContactMergedIn'>): Promise<void> {
    const id = contactIdOf(event);
    const contact = await this.contacts.get(id);
    for (const [index, identity] of data.identities.entries()) await this.holdIdentity(id, identity, event.position, index);
    const { filled } = data;
    this.contacts.change(contact, event.position, (doc) => {
      doc.name = filled.name ?? doc.name;
      doc.companyId = filled.companyId ?? doc.companyId;
      doc.jobTitle = filled.jobTitle ?? doc.jobTitle;
      doc.custom = { ...doc.custom, ...(filled.custom ?? {}) };
      doc.updatedAt = normalizeTime(data.at);
      doc.revision = event.revision;
    });
    await this.refreshDerived(id, event.position);
  }

  async contactErased(event: RecordedEvent, data: DataOf<'ContactErased'>): Promise<void> {
    const id = contactIdOf(event);
    const contact = await this.contacts.get(id);
    this.contacts.change(contact, event.position, (doc) => {
      doc.name = null;
      doc.companyId = null;
      doc.jobTitle = null;
      doc.custom = {};
      doc.erased = true;
      doc.updatedAt = normalizeTime(data.at);
      doc.revision = event.revision;
    });
    await this.loadIdentitiesOf([id]);
    for (const identity of this.identities.held((doc) => doc.contactId === id))
      this.identities.change(identity, event.position, (doc) => (doc.contactId = null));
    // The identity a conversation's sender address stands for is personal data too.
    await this.loadConversationsOf([id]);
    for (const entry of this.conversations.held((doc) => doc.contactId === id))
      this.conversations.change(entry, event.position, (doc) => (doc.identityKey = null));
    for (const ticketId of data.ticketIds) {
      const ticket = await this.tickets.find(ticketId);
      if (ticket && !ticket.doc.removed) {
        this.tickets.change(ticket, event.position, (doc) => {
          // Custom values are sealed like the name: they read empty once the keys are gone.
          doc.name = '';
          doc.custom = {};
        });
      }
    }
    await this.refreshDerived(id, event.position);
  }

  // ---- companies, tickets, settings --------------------------------------------------------------

  async companyCreated(event: RecordedEvent, data: DataOf<'CompanyCreated'>): Promise<void> {
    const company = await this.companies.get(data.companyId);
    const at = normalizeTime(data.createdAt);
    this.companies.change(company, event.position, (doc) => {
      if (!doc.created) {
        doc.createdAt = at;
        doc.updatedAt = at;
        doc.custom = {};
      }
      doc.created = true;
      doc.name = data.name;
      doc.nameKey = sortName(data.name);
      doc.domain = data.domain;
      doc.revision = event.revision;
    });
  }

  async companyChanged(event: RecordedEvent, data: DataOf<'CompanyChanged'>): Promise<void> {
    const company = await this.companies.find(idFromStream(event.streamId, 'company-'));
    if (!company || !company.doc.created) return;
    this.companies.change(company, event.position, (doc) => {
      doc.name = data.name ?? doc.name;
      doc.nameKey = sortName(doc.name);
      if (data.domain !== undefined) doc.domain = data.domain;
      doc.custom = withChanges(doc.custom, data.custom);
      doc.updatedAt = occurredAt(event);
      doc.revision = event.revision;
    });
  }

  async ticketOpened(event: RecordedEvent, data: DataOf<'TicketOpened'>): Promise<void> {
    const ticket = await this.tickets.get(data.ticketId);
    if (!ticket.doc.removed) return;
    const conversation = await this.conversations.find(data.conversationId);
    const contactId = conversation && !conversation.doc.deleted ? conversation.doc.contactId : null;
    const at = normalizeTime(data.openedAt);
    this.tickets.change(ticket, event.position, (doc) => {
      Object.assign(doc, {
        removed: false,
        conversationId: data.conversationId,
        inboxId: data.inboxId,
        contactId,
        name: data.name,
        status: data.status,
        priority: data.priority,
        ownerId: data.ownerId,
        custom: {},
        createdAt: at,
        openedAt: at,
        updatedAt: at,
        closedAt: data.status === 'closed' ? at : null,
        revision: event.revision,
      });
    });
  }

  async ticketChanged(event: RecordedEvent, data: DataOf<'TicketChanged'>): Promise<void> {
    const ticket = await this.tickets.find(idFromStream(event.streamId, 'ticket-'));
    if (!ticket || ticket.doc.removed) return;
    const at = normalizeTime(data.at);
    this.tickets.change(ticket, event.position, (doc) => {
      const status = data.status ?? doc.status;
      doc.closedAt = status !== 'closed' ? null : doc.status === 'closed' ? doc.closedAt : at;
      doc.status = status;
      if (data.name !== undefined) doc.name = data.name;
      if (data.priority !== undefined) doc.priority = data.priority;
      if (data.ownerId !== undefined) doc.ownerId = data.ownerId;
      doc.custom = withChanges(doc.custom, data.custom);
      doc.updatedAt = at;
      doc.revision = event.revision;
    });
  }

  async ticketRemoved(event: RecordedEvent): Promise<void> {
    const ticket = await this.tickets.find(idFromStream(event.streamId, 'ticket-'));
    if (!ticket) return;
    this.tickets.change(ticket, event.position, (doc) => Object.assign(doc, { ...stubTicket(doc._id), lastPosition: doc.lastPosition }));
  }

  async changeSettings(event: RecordedEvent, mutate: (doc: RecordSettingsDocument) => void): Promise<void> {
    this.settings.change(await this.settings.get(RECORD_SETTINGS_ID), event.position, mutate);
  }

  // ---- shared steps ------------------------------------------------------------------------------

  /**
   * The contact a conversation event naming `contactId` belongs to: the contact it was merged into
   * when it was (an inbound message resolved against read models a merge had not reached yet).
   */
  private async liveContact(contactId: string): Promise<string> {
    let id = contactId;
    for (let hops = 0; hops < MAX_MERGE_HOPS; hops++) {
      const into = (await this.contacts.find(id))?.doc.mergedInto;
      if (!into) return id;
      id = into;
    }
    return id;
  }

  private async holdIdentity(contactId: string, identity: ContactIdentity, position: number, index: number): Promise<void> {
    const entry = await this.identities.get(identityKey(identity));
    this.identities.change(entry, position, (doc) => {
      doc.contactId = contactId;
      doc.kind = identity.kind;
      doc.value = identity.value;
      doc.channel = identity.channel ?? null;
      doc.seq = position * SEQ_PER_EVENT + index;
    });
  }

  /**
   * Moves the conversations (and their tickets and inboxes) of identities split off to the new
   * contact, on whichever side of the split comes first (splitOf); the other then finds none left.
   */
  private async followSplit(event: RecordedEvent): Promise<void> {
    const split = splitOf(event);
    if (!split) return;
    const { from, to } = split;
    const keys = new Set(split.keys);
    await this.contacts.get(to);
    await this.loadConversationsOf([from]);
    const moved = this.conversations.held((doc) => !doc.deleted && doc.contactId === from && doc.identityKey !== null && keys.has(doc.identityKey));
    for (const entry of moved) {
      if (!this.conversations.change(entry, event.position, (doc) => (doc.contactId = to))) continue;
      await this.ticketsOfConversationTo(entry.doc._id, to, event.position);
      const target = await this.contacts.get(to);
      this.contacts.change(target, event.position, (doc) => addInbox(doc, entry.doc.inboxId));
    }
    await this.refreshFacts(from, event.position);
    await this.refreshFacts(to, event.position);
  }

  private async touch(event: RecordedEvent, contactId: string): Promise<void> {
    const contact = await this.contacts.get(contactId);
    this.contacts.change(contact, event.position, (doc) => {
      doc.updatedAt = occurredAt(event);
      doc.revision = event.revision;
    });
  }

  /** Count and latest activity of a contact's conversations, from every one of them. */
  private async refreshFacts(contactId: string, position: number): Promise<void> {
    const contact = await this.contacts.get(contactId);
    if (position <= contact.loaded) return;
    await this.loadConversationsOf([contactId]);
    const held = this.conversations.held((doc) => !doc.deleted && doc.contactId === contactId);
    this.contacts.change(contact, position, (doc) => {
      doc.conversationCount = held.length;
      setActivity(
        doc,
        held.reduce<string | null>((latest, entry) => maxTime(latest, entry.doc.lastActivityAt), null),
      );
    });
  }

  /** What follows from the contact's own fields and identities: listed or not, search text, visibility. */
  private async refreshDerived(contactId: string, position: number): Promise<void> {
    const contact = await this.contacts.get(contactId);
    if (position <= contact.loaded) return;
    await this.loadIdentitiesOf([contactId]);
    const values = this.identities
      .held((doc) => doc.contactId === contactId)
      .sort((a, b) => a.doc.seq - b.doc.seq)
      .map((entry) => entry.doc.value);
    this.contacts.change(contact, position, (doc) => {
      doc.listed = doc.created && doc.mergedInto === null && !doc.erased;
      doc.searchText = doc.erased ? '' : searchTextOf(doc.name, values);
      doc.visibleIn = doc.inboxIds.length > 0 ? [...doc.inboxIds] : ['*'];
    });
  }

  private async ticketsOfConversationTo(conversationId: string, contactId: string | null, position: number): Promise<void> {
    await this.tickets.load({ conversationId });
    for (const ticket of this.tickets.held((doc) => doc.conversationId === conversationId && !doc.removed)) {
      this.tickets.change(ticket, position, (doc) => (doc.contactId = contactId));
    }
  }

  private async loadConversationsOf(contactIds: string[]): Promise<void> {
    const missing = contactIds.filter((id) => !this.conversationsLoadedFor.has(id));
    if (missing.length === 0) return;
    await this.conversations.load({ contactId: { $in: missing } });
    for (const id of missing) this.conversationsLoadedFor.add(id);
  }

  private async loadIdentitiesOf(contactIds: string[]): Promise<void> {
    const missing = contactIds.filter((id) => !this.identitiesLoadedFor.has(id));
    if (missing.length === 0) return;
    await this.identities.load({ contactId: { $in: missing } });
    for (const id of missing) this.identitiesLoadedFor.add(id);
  }
}

type Handler<T extends AnyEvent['type']> = (batch: RecordsBatch, event: RecordedEvent, data: DataOf<T>) => Promise<void>;

const handlers: { [T in AnyEvent['type']]?: Handler<T> } = {
  ConversationStarted: (batch, event, data) => batch.conversationStarted(event, data),
  MessageReceived: (batch, event, data) => batch.activity(event, normalizeTime(data.receivedAt)),
  ReplyQueued: (batch, event, data) => batch.activity(event, normalizeTime(data.queuedAt)),
  ContactLinked: (batch, event, data) => batch.contactLinked(event, data),
  ContactUnlinked: (batch, event) => batch.contactUnlinked(event),
  ConversationDeleted: (batch, event) => batch.conversationDeleted(event),
  ContactCreated: (batch, event, data) => batch.contactCreated(event, data),
  ContactIdentityAdded: (batch, event, data) => batch.identityAdded(event, data),
  ContactIdentityRemoved: (batch, event, data) => batch.identityRemoved(event, data),
  ContactPropertiesChanged: (batch, event, data) => batch.propertiesChanged(event, data),
  ContactMerged: (batch, event, data) => batch.contactMerged(event, data),
  ContactMergedIn: (batch, event, data) => batch.contactMergedIn(event, data),
  ContactErased: (batch, event, data) => batch.contactErased(event, data),
  CompanyCreated: (batch, event, data) => batch.companyCreated(event, data),
  CompanyChanged: (batch, event, data) => batch.companyChanged(event, data),
  TicketOpened: (batch, event, data) => batch.ticketOpened(event, data),
  TicketChanged: (batch, event, data) => batch.ticketChanged(event, data),
  TicketRemoved: (batch, event) => batch.ticketRemoved(event),
  PropertyDefined: (batch, event, data) =>
    batch.changeSettings(event, (doc) => {
      const definition = { object: data.object, key: data.key, label: data.label, type: data.type, ...(data.options ? { options: data.options } : {}) };
      const at = doc.properties.findIndex((p) => p.object === data.object && p.key === data.key);
      // Defined again: changed in place, so it keeps its place in the order.
      if (at >= 0) doc.properties = doc.properties.map((p, index) => (index === at ? definition : p));
      else doc.properties = [...doc.properties, definition];
    }),
  PropertyChanged: (batch, event, data) =>
    batch.changeSettings(event, (doc) => {
      doc.properties = doc.properties.map((p) =>
        p.object === data.object && p.key === data.key
          ? { ...p, ...(data.label !== undefined ? { label: data.label } : {}), ...(data.options !== undefined ? { options: data.options } : {}) }
          : p,
      );
    }),
  PropertyArchived: (batch, event, data) =>
    batch.changeSettings(event, (doc) => {
      doc.properties = doc.properties.map((p) => (p.object === data.object && p.key === data.key ? { ...p, archived: true } : p));
    }),
  CardPropertiesChosen: (batch, event, data) =>
    batch.changeSettings(event, (doc) => {
      doc.cardProperties = { ...doc.cardProperties, [data.object]: [...data.keys] };
    }),
  FreeMailDomainsSet: (batch, event, data) =>
    batch.changeSettings(event, (doc) => {
      doc.freeMailDomains = [...data.domains];
    }),
};

function liveContactOf(doc: RecordConversationDocument): string | null {
  return doc.deleted ? null : doc.contactId;
}

function addInbox(doc: ContactDocument, inboxId: string): void {
  if (inboxId !== '' && !doc.inboxIds.includes(inboxId)) doc.inboxIds = [...doc.inboxIds, inboxId];
  doc.visibleIn = doc.inboxIds.length > 0 ? [...doc.inboxIds] : ['*'];
}

function setActivity(doc: ContactDocument, at: string | null): void {
  doc.lastActivityAt = at;
  doc.activityKey = at ?? '';
}

/** The later of two ISO times (null: none). */
export function maxTime(a: string | null, b: string | null): string | null {
  if (a === null) return b;
  if (b === null) return a;
  return a < b ? b : a;
}
