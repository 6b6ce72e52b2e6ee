import type { QueryFilter } from 'mongoose';
import { InvalidCursorError, type ConversationSummary, type Page } from '../../../application/ports/read-store.port';
import type {
  CompanyRecord,
  ContactRecord,
  ContactSearch,
  RecordSettingsRecord,
  RecordStore,
  TicketRecord,
  TicketSearch,
} from '../../../application/ports/record-store.port';
import type { ContactIdentity } from '../../../domain/contact/identity';
import { DEFAULT_FREE_MAIL_DOMAINS, type PropertyDefinition } from '../../../domain/record-settings/record-properties';
import { summaryOf } from '../../../projections/conversation-at';
import type { ConversationDoc } from '../../../projections/conversation-summary';
import { searchTerms } from '../sqlite-records';
import { DEFAULT_CARD_PROPERTIES } from '../../../domain/record-settings/record-settings.decider';
import type { ConversationRecord, MongoReadModels } from './mongo-models';
import { authorNames, displayName, unavailableAsStoreError } from './mongo-read-store';
import {
  RECORD_SETTINGS_ID,
  type CompanyDocument,
  type ContactDocument,
  type ContactIdentityDocument,
  type RecordSettingsDocument,
  type TicketDocument,
} from './records.mongo-model';

/**
 * The RecordStore port over the MongoDB records (records.mongo-projection.ts), with the embedded
 * store's semantics (sqlite-records.ts): the same search terms (each found anywhere in the text,
 * a phone number as one term), orders and cursors. Pages are read in index order, filtered.
 */
export class MongoRecordStore implements RecordStore {
  constructor(
    private readonly models: MongoReadModels,
    /** Named in the StoreUnavailableError of a failed query (password masked by the caller). */
    private readonly where = 'MongoDB',
  ) {}

  async findContactIdByIdentity(key: string): Promise<string | null> {
    return this.query(
      async () => (await this.models.contactIdentities.findOne({ _id: key }, { contactId: 1 }).lean<ContactIdentityDocument>())?.contactId ?? null,
    );
  }

  async getContact(id: string): Promise<ContactRecord | null> {
    return this.query(async () => {
      const contact = await this.models.contacts.findOne({ _id: id, created: true }).lean<ContactDocument>();
      if (!contact) return null;
      return toContact(contact, await this.identitiesOf([id]));
    });
  }

  async searchContacts(query: ContactSearch): Promise<Page<ContactRecord>> {
    const limit = pageSize(query.limit);
    const filter: QueryFilter<ContactDocument> = { listed: true };
    const and: QueryFilter<ContactDocument>[] = searchTerms(query.q).map((term) => ({ searchText: containing(term) }));
    if (query.companyId !== undefined) filter.companyId = query.companyId;
    // A contact nobody wrote to yet (made by hand) has no inbox: every agent sees it ('*').
    if (query.inboxIds !== undefined) filter.visibleIn = { $in: [...query.inboxIds, '*'] };
    if (query.cursor !== undefined) {
      const [key, id] = decodeRecordCursor(query.cursor);
      and.push({ $or: [{ activityKey: { $lt: key } }, { activityKey: key, _id: { $lt: id } }] });
    }
    if (and.length > 0) filter.$and = and;
    return this.query(async () => {
      const contacts = await this.models.contacts
        .find(filter)
        .sort({ activityKey: -1, _id: -1 })
        .limit(limit + 1)
        .lean<ContactDocument[]>();
      const page = contacts.slice(0, limit);
      const identities = await this.identitiesOf(page.map((contact) => contact._id));
      const last = page[page.length - 1];
      return {
        items: page.map((contact) => toContact(contact, identities)),
        nextCursor: contacts.length > limit ? encodeRecordCursor(last.activityKey, last._id) : null,
      };
    });
  }

  async listContactConversations(contactId: string, inboxIds: readonly string[] | undefined, limit: number): Promise<ConversationSummary[]> {
    // MongoDB reads limit(0) as "no limit".
    if ((inboxIds !== undefined && inboxIds.length === 0) || Math.floor(limit) <= 0) return [];
    return this.query(async () => {
      const filter: QueryFilter<ConversationRecord> = { contactId, trashed: false };
      if (inboxIds !== undefined) filter.inboxId = { $in: [...inboxIds] };
      const records = await this.models.conversations
        .find(filter, { doc: 1 })
        .sort({ lastReceivedAt: -1, k: -1 })
        .limit(Math.floor(limit))
        .lean<ConversationRecord[]>();
      const docs = records.map((record) => record.doc).filter((doc): doc is ConversationDoc => doc !== undefined);
      const names = await this.names(docs.flatMap((doc) => (doc.assignee?.type === 'agent' ? [doc.assignee.id] : [])));
      return docs.map((doc) => summaryOf(doc, (id) => displayName(id, names.get(id) ?? null)));
    });
  }

  async getCompany(id: string): Promise<CompanyRecord | null> {
    return this.query(async () => {
      const company = await this.models.companies.findOne({ _id: id, created: true }).lean<CompanyDocument>();
      return company ? toCompany(company, await this.contactCount(id)) : null;
    });
  }

  async findCompanyIdByDomain(domain: string): Promise<string | null> {
    return this.query(async () => {
      const company = await this.models.companies.findOne({ created: true, domain }, { _id: 1 }).sort({ createdAt: 1, _id: 1 }).lean<{ _id: string }>();
      return company?._id ?? null;
    });
  }

  async searchCompanies(query: { q: string; limit: number; cursor?: string }): Promise<Page<CompanyRecord>> {
    const limit = pageSize(query.limit);
    const and: QueryFilter<CompanyDocument>[] = searchTerms(query.q).map((term) => ({ $or: [{ nameKey: containing(term) }, { domain: containing(term) }] }));
    if (query.cursor !== undefined) {
      const [key, id] = decodeRecordCursor(query.cursor);
      and.push({ $or: [{ nameKey: { $gt: key } }, { nameKey: key, _id: { $gt: id } }] });
    }
    const filter: QueryFilter<CompanyDocument> = { created: true, ...(and.length > 0 ? { $and: and } : {}) };
    return this.query(async () => {
      const companies = await this.models.companies
        .find(filter)
        .sort({ nameKey: 1, _id: 1 })
        .limit(limit + 1)
        .lean<CompanyDocument[]>();
      const page = companies.slice(0, limit);
      const counts = await Promise.all(page.map((company) => this.contactCount(company._id)));
      const last = page[page.length - 1];
      return {
        items: page.map((company, index) => toCompany(company, counts[index])),
        nextCursor: companies.length > limit ? encodeRecordCursor(last.nameKey, last._id) : null,
      };
    });
  }

  async getTicket(id: string): Promise<TicketRecord | null> {
    return this.query(async () => {
      const ticket = await this.models.tickets.findOne({ _id: id, removed: false }).lean<TicketDocument>();
      return ticket ? toTicket(ticket) : null;
    });
  }

  async getTicketOfConversation(conversationId: string): Promise<TicketRecord | null> {
    return this.query(async () => {
      const ticket = await this.models.tickets.findOne({ conversationId, removed: false }).sort({ openedAt: -1, _id: -1 }).lean<TicketDocument>();
      return ticket ? toTicket(ticket) : null;
    });
  }

  async searchTickets(query: TicketSearch): Promise<Page<TicketRecord>> {
    const limit = pageSize(query.limit);
    if (query.inboxIds !== undefined && query.inboxIds.length === 0) return { items: [], nextCursor: null };
    return this.query(async () => {
      const filter: QueryFilter<TicketDocument> = { removed: false };
      const and: QueryFilter<TicketDocument>[] = [];
      if (query.inboxIds !== undefined) filter.inboxId = { $in: [...query.inboxIds] };
      if (query.status !== undefined) filter.status = query.status;
      if (query.ownerId === 'none') filter.ownerId = null;
      else if (query.ownerId !== undefined) filter.ownerId = query.ownerId;
      if (query.priority !== undefined) filter.priority = query.priority;
      if (query.contactId !== undefined) and.push({ contactId: query.contactId });
      if (query.companyId !== undefined) {
        // Every contact that holds the company (as the embedded store: merged and erased ones too).
        const members = await this.models.contacts.find({ companyId: query.companyId }, { _id: 1 }).lean<Array<{ _id: string }>>();
        and.push({ contactId: { $in: members.map((member) => member._id) } });
      }
      for (const term of searchTerms(query.q ?? '')) and.push({ name: { $regex: escapeRegex(term), $options: 'i' } });
      if (query.cursor !== undefined) {
        const [key, id] = decodeRecordCursor(query.cursor);
        and.push({ $or: [{ openedAt: { $lt: key } }, { openedAt: key, _id: { $lt: id } }] });
      }
      if (and.length > 0) filter.$and = and;
      const tickets = await this.models.tickets
        .find(filter)
        .sort({ openedAt: -1, _id: -1 })
        .limit(limit + 1)
        .lean<TicketDocument[]>();
      const page = tickets.slice(0, limit);
      const last = page[page.length - 1];
      return { items: page.map(toTicket), nextCursor: tickets.length > limit ? encodeRecordCursor(last.openedAt, last._id) : null };
    });
  }

  async getRecordSettings(): Promise<RecordSettingsRecord> {
    return this.query(async () => settingsOf(await this.models.recordSettings.findOne({ _id: RECORD_SETTINGS_ID }).lean<RecordSettingsDocument>()));
  }

  /** Live contacts holding the company (created, not merged, not erased). */
  private contactCount(companyId: string): Promise<number> {
    return this.models.contacts.countDocuments({ listed: true, companyId });
  }

  /** The identities these contacts hold, oldest first. */
  private async identitiesOf(contactIds: readonly string[]): Promise<Map<string, ContactIdentity[]>> {
    const byContact = new Map<string, ContactIdentity[]>(contactIds.map((id) => [id, []]));
    if (contactIds.length === 0) return byContact;
    const identities = await this.models.contactIdentities
      .find({ contactId: { $in: [...contactIds] } })
      .sort({ contactId: 1, seq: 1 })
      .lean<ContactIdentityDocument[]>();
    for (const identity of identities) byContact.get(identity.contactId ?? '')?.push(toIdentity(identity));
    return byContact;
  }

  private names(ids: readonly string[]): Promise<Map<string, string>> {
    return authorNames(this.models, ids);
  }

  private query<T>(run: () => Promise<T>): Promise<T> {
    return unavailableAsStoreError(this.where, run);
  }
}

/** The record settings from the stored document (none yet: the defaults). */
export function settingsOf(doc: RecordSettingsDocument | null): RecordSettingsRecord {
  const properties = (doc?.properties ?? [])
    .filter((property) => property.archived !== true)
    .map((property): PropertyDefinition => ({
      object: property.object,
      key: property.key,
      label: property.label,
      type: property.type,
      ...(property.options ? { options: [...property.options] } : {}),
    }));
  return {
    properties,
    cardProperties: {
      contact: doc?.cardProperties?.contact ? [...doc.cardProperties.contact] : [...DEFAULT_CARD_PROPERTIES.contact],
      ticket: doc?.cardProperties?.ticket ? [...doc.cardProperties.ticket] : [...DEFAULT_CARD_PROPERTIES.ticket],
    },
    freeMailDomains: doc?.freeMailDomains ? [...doc.freeMailDomains] : [...DEFAULT_FREE_MAIL_DOMAINS],
  };
}

function toIdentity(identity: ContactIdentityDocument): ContactIdentity {
  return identity.channel !== null && identity.channel !== undefined
    ? { kind: identity.kind, value: identity.value, channel: identity.channel }
    : { kind: identity.kind, value: identity.value };
}

function toContact(contact: ContactDocument, identitiesByContact: Map<string, ContactIdentity[]>): ContactRecord {
  const identities = identitiesByContact.get(contact._id) ?? [];
  return {
    id: contact._id,
    name: contact.name ?? null,
    emails: identities.filter((identity) => identity.kind === 'email').map((identity) => identity.value),
    phones: identities.filter((identity) => identity.kind === 'phone').map((identity) => identity.value),
    identities,
    companyId: contact.companyId ?? null,
    jobTitle: contact.jobTitle ?? null,
    custom: contact.custom ?? {},
    inboxIds: [...(contact.inboxIds ?? [])].sort(),
    conversationCount: contact.conversationCount ?? 0,
    lastActivityAt: contact.lastActivityAt ?? null,
    createdAt: contact.createdAt,
    updatedAt: contact.updatedAt,
    mergedInto: contact.mergedInto ?? null,
    erased: contact.erased === true,
    revision: contact.revision,
  };
}

function toCompany(company: CompanyDocument, contactCount: number): CompanyRecord {
  return {
    id: company._id,
    name: company.name,
    domain: company.domain ?? null,
    custom: company.custom ?? {},
    contactCount,
    createdAt: company.createdAt,
    updatedAt: company.updatedAt,
    revision: company.revision,
  };
}

function toTicket(ticket: TicketDocument): TicketRecord {
  return {
    id: ticket._id,
    conversationId: ticket.conversationId,
    inboxId: ticket.inboxId,
    contactId: ticket.contactId ?? null,
    name: ticket.name,
    status: ticket.status,
    priority: ticket.priority ?? null,
    ownerId: ticket.ownerId ?? null,
    custom: ticket.custom ?? {},
    createdAt: ticket.createdAt,
    updatedAt: ticket.updatedAt,
    closedAt: ticket.closedAt ?? null,
    revision: ticket.revision,
  };
}

function pageSize(limit: number): number {
  return Math.max(1, Math.floor(limit));
}

export function escapeRegex(text: string): string {
  return text.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&');
}

/** A term found anywhere in a lower-case field (the terms are lower case already). */
function containing(term: string): RegExp {
  return new RegExp(escapeRegex(term));
}

export function encodeRecordCursor(key: string, id: string): string {
  return Buffer.from(JSON.stringify([key, id]), 'utf8').toString('base64url');
}

export function decodeRecordCursor(cursor: string): [string, string] {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(value) && value.length === 2 && value.every((part) => typeof part === 'string')) return [value[0] as string, value[1] as string];
  } catch {
    // not JSON: refused below
  }
  throw new InvalidCursorError(cursor);
}
