import { Inject } from '@nestjs/common';
import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { InboxAccess, InvalidRequestError } from '../access/inbox-access';
import { EVENT_STORE, type EventStore } from '../ports/event-store.port';
import { READ_STORE, type Page, type ReadStore } from '../ports/read-store.port';
import { RECORD_STORE, type CompanyRecord, type ContactRecord, type RecordSettingsRecord, type RecordStore } from '../ports/record-store.port';
import { streams } from '../streams';
import { unknownCompany, visibleContact } from './contact-access';
import {
  GetCompaniesQuery,
  GetCompanyQuery,
  GetContactQuery,
  GetContactTimelineQuery,
  GetRecordSettingsQuery,
  SearchCompaniesQuery,
  SearchContactsQuery,
  type CompanyView,
  type ContactTimelineEntry,
  type ContactView,
} from './contact.messages';

const LIST_LIMIT = 50;
const MAX_PAGE = 100;

@QueryHandler(GetContactQuery)
export class GetContactHandler implements IQueryHandler<GetContactQuery> {
  constructor(
    private readonly access: InboxAccess,
    @Inject(RECORD_STORE) private readonly records: RecordStore,
  ) {}

  async execute({ agent, contactId }: GetContactQuery): Promise<ContactView> {
    const contact = await visibleContact(this.records, this.access, agent, contactId);
    const inboxIds = await this.access.reachableInboxIds(agent);
    const [company, conversations, tickets] = await Promise.all([
      contact.companyId ? this.records.getCompany(contact.companyId) : Promise.resolve(null),
      this.records.listContactConversations(contact.id, inboxIds, LIST_LIMIT),
      this.records.searchTickets({ contactId: contact.id, inboxIds, limit: LIST_LIMIT }),
    ]);
    return { ...contact, company, conversations, tickets: tickets.items };
  }
}

@QueryHandler(SearchContactsQuery)
export class SearchContactsHandler implements IQueryHandler<SearchContactsQuery> {
  constructor(
    private readonly access: InboxAccess,
    @Inject(RECORD_STORE) private readonly records: RecordStore,
  ) {}

  async execute({ agent, params }: SearchContactsQuery): Promise<Page<ContactRecord>> {
    const q = optionalText('q', params.q) ?? '';
    const companyId = optionalText('companyId', params.companyId);
    const cursor = optionalText('cursor', params.cursor);
    const inboxIds = await this.access.reachableInboxIds(agent);
    return this.records.searchContacts({ q, inboxIds, ...(companyId ? { companyId: companyId.toLowerCase() } : {}), limit: pageSize(params.limit), cursor });
  }
}

/**
 * The contact's own history (created, edited, merged, split) and, from the read models, when its
 * conversations and tickets began and ended, newest first, each with who did it.
 */
@QueryHandler(GetContactTimelineQuery)
export class GetContactTimelineHandler implements IQueryHandler<GetContactTimelineQuery> {
  constructor(
    private readonly access: InboxAccess,
    @Inject(RECORD_STORE) private readonly records: RecordStore,
    @Inject(READ_STORE) private readonly readStore: ReadStore,
    @Inject(EVENT_STORE) private readonly store: EventStore,
  ) {}

  async execute({ agent, contactId }: GetContactTimelineQuery): Promise<ContactTimelineEntry[]> {
    const contact = await visibleContact(this.records, this.access, agent, contactId);
    const inboxIds = await this.access.reachableInboxIds(agent);
    const entries: ContactTimelineEntry[] = [];
    for (const event of await this.store.readStream(streams.contact(contact.id))) {
      const actor = event.metadata.actor;
      entries.push({
        at: event.metadata.occurredAt,
        type: event.type,
        actor: actor.type === 'agent' ? { type: 'agent', id: actor.id } : { type: actor.type },
        subject: { kind: 'contact', id: contact.id },
        details: timelineDetails(event.type, event.data),
      });
    }
    for (const conversation of await this.records.listContactConversations(contact.id, inboxIds, LIST_LIMIT)) {
      entries.push({
        at: conversation.lastReceivedAt,
        type: 'ConversationStarted',
        actor: conversation.origin === 'inbound' ? { type: 'contact' } : { type: 'agent' },
        subject: { kind: 'conversation', id: conversation.id },
        details: { subject: conversation.subject, channel: conversation.channel, status: conversation.status },
      });
    }
    for (const ticket of (await this.records.searchTickets({ contactId: contact.id, inboxIds, limit: LIST_LIMIT })).items) {
      entries.push({
        at: ticket.createdAt,
        type: 'TicketOpened',
        actor: { type: 'agent' },
        subject: { kind: 'ticket', id: ticket.id },
        details: { name: ticket.name, status: ticket.status, conversationId: ticket.conversationId },
      });
      if (ticket.closedAt) {
        entries.push({
          at: ticket.closedAt,
          type: 'TicketChanged',
          actor: { type: 'agent' },
          subject: { kind: 'ticket', id: ticket.id },
          details: { status: 'closed' },
        });
      }
    }
    const agentIds = [...new Set(entries.flatMap((entry) => (entry.actor.type === 'agent' && entry.actor.id ? [entry.actor.id] : [])))];
    const names = agentIds.length > 0 ? await this.readStore.agentDisplayNames(agentIds) : new Map<string, string>();
    for (const entry of entries) {
      if (entry.actor.id && names.has(entry.actor.id)) entry.actor.name = names.get(entry.actor.id);
    }
    return entries.sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : 0));
  }
}

/** The facts of a contact event the timeline shows: which properties changed, never their personal values. */
function timelineDetails(type: string, data: Record<string, unknown>): Record<string, unknown> {
  switch (type) {
    case 'ContactCreated':
      return { source: data.source, ...(data.splitFrom ? { splitFrom: data.splitFrom } : {}) };
    case 'ContactIdentityAdded':
    case 'ContactIdentityRemoved': {
      const identity = data.identity as { kind?: string } | undefined;
      return { kind: identity?.kind, ...(data.splitTo ? { splitTo: data.splitTo } : {}) };
    }
    case 'ContactPropertiesChanged': {
      const keys = Object.keys(data).filter((key) => key !== 'via' && key !== 'custom');
      const custom = data.custom && typeof data.custom === 'object' ? Object.keys(data.custom).map((key) => `custom.${key}`) : [];
      return { changed: [...keys, ...custom], ...(data.via ? { via: data.via } : {}) };
    }
    case 'ContactMerged':
      return { intoContactId: data.intoContactId };
    case 'ContactMergedIn':
      return { fromContactId: data.fromContactId };
    default:
      return {};
  }
}

@QueryHandler(GetCompanyQuery)
export class GetCompanyHandler implements IQueryHandler<GetCompanyQuery> {
  constructor(
    private readonly access: InboxAccess,
    @Inject(RECORD_STORE) private readonly records: RecordStore,
  ) {}

  async execute({ agent, companyId }: GetCompanyQuery): Promise<CompanyView> {
    const company = await this.records.getCompany(companyId);
    if (!company) throw unknownCompany(companyId);
    return companyView(this.records, company, await this.access.reachableInboxIds(agent));
  }
}

/** A company with its contacts the agent can see, and their conversations and tickets in reach. */
export async function companyView(records: RecordStore, company: CompanyRecord, inboxIds: string[] | undefined): Promise<CompanyView> {
  const contacts = (await records.searchContacts({ q: '', inboxIds, companyId: company.id, limit: MAX_PAGE })).items;
  const conversations = (await Promise.all(contacts.map((contact) => records.listContactConversations(contact.id, inboxIds, LIST_LIMIT))))
    .flat()
    .sort((a, b) => (a.lastReceivedAt < b.lastReceivedAt ? 1 : a.lastReceivedAt > b.lastReceivedAt ? -1 : 0))
    .slice(0, LIST_LIMIT);
  const tickets = (await records.searchTickets({ companyId: company.id, inboxIds, limit: LIST_LIMIT })).items;
  return { ...company, contacts, conversations, tickets };
}

@QueryHandler(GetCompaniesQuery)
export class GetCompaniesHandler implements IQueryHandler<GetCompaniesQuery> {
  constructor(@Inject(RECORD_STORE) private readonly records: RecordStore) {}

  async execute({ companyIds }: GetCompaniesQuery): Promise<CompanyRecord[]> {
    const ids = [...new Set(companyIds)].slice(0, MAX_PAGE);
    const found = await Promise.all(ids.map((id) => this.records.getCompany(id)));
    return found.filter((company): company is CompanyRecord => company !== null);
  }
}

@QueryHandler(SearchCompaniesQuery)
export class SearchCompaniesHandler implements IQueryHandler<SearchCompaniesQuery> {
  constructor(@Inject(RECORD_STORE) private readonly records: RecordStore) {}

  async execute({ params }: SearchCompaniesQuery): Promise<Page<CompanyRecord>> {
    return this.records.searchCompanies({ q: optionalText('q', params.q) ?? '', limit: pageSize(params.limit), cursor: optionalText('cursor', params.cursor) });
  }
}

@QueryHandler(GetRecordSettingsQuery)
export class GetRecordSettingsHandler implements IQueryHandler<GetRecordSettingsQuery> {
  constructor(@Inject(RECORD_STORE) private readonly records: RecordStore) {}

  execute(): Promise<RecordSettingsRecord> {
    return this.records.getRecordSettings();
  }
}

function optionalText(field: string, value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || value.length > 500)
    throw new InvalidRequestError(`${field} must be a text of at most 500 characters, got ${JSON.stringify(value)}`);
  return value.trim() === '' ? undefined : value.trim();
}

function pageSize(value: unknown): number {
  if (value === undefined || value === null || value === '') return LIST_LIMIT;
  const limit = typeof value === 'number' ? value : typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE)
    throw new InvalidRequestError(`limit must be a whole number from 1 to ${MAX_PAGE}, got ${JSON.stringify(value)}`);
  return limit;
}
