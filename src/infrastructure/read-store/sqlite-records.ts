import type { Database } from 'better-sqlite3';
import { InvalidCursorError, type ConversationSummary, type Page } from '../../application/ports/read-store.port';
import type {
  CompanyRecord,
  ContactRecord,
  ContactSearch,
  RecordSettingsRecord,
  RecordStore,
  TicketRecord,
  TicketSearch,
} from '../../application/ports/record-store.port';
import type { ContactIdentity, IdentityKind } from '../../domain/contact/identity';
import {
  DEFAULT_FREE_MAIL_DOMAINS,
  type CustomValues,
  type PropertyDefinition,
  type PropertyType,
  type RecordObject,
} from '../../domain/record-settings/record-properties';
import { DEFAULT_CARD_PROPERTIES } from '../../domain/record-settings/record-settings.decider';
import type { TicketPriority, TicketStatus } from '../../domain/ticket/ticket.events';
import { summaryOf } from '../../projections/conversation-at';
import type { ConversationDoc } from '../../projections/conversation-summary';
import { statement } from '../../projections/sqlite/statements';
import { displayName } from './sqlite-read-store';

/** A live contact: created, not merged away, not erased. */
const LIVE_CONTACT = 'c.recorded = 1 AND c.merged_into IS NULL AND c.erased = 0';

/** Every fixed query, by name (each one reads through an index). */
export const RECORDS_SQL = {
  identity: 'SELECT contact_id FROM rec_identities WHERE key = ?',
  contact: 'SELECT * FROM rec_contacts WHERE id = ? AND recorded = 1',
  identitiesOf: 'SELECT kind, value, channel FROM rec_identities WHERE contact_id = ? ORDER BY seq',
  inboxesOf: 'SELECT inbox_id FROM rec_contact_inboxes WHERE contact_id = ? ORDER BY inbox_id',
  company: 'SELECT * FROM rec_companies WHERE id = ?',
  companyByDomain: 'SELECT id FROM rec_companies INDEXED BY rec_companies_by_domain WHERE domain = ? ORDER BY created_at, id LIMIT 1',
  contactCount: `SELECT COUNT(*) FROM rec_contacts c WHERE c.company_id = ? AND ${LIVE_CONTACT}`,
  ticket: 'SELECT * FROM rec_tickets WHERE id = ?',
  ticketOfConversation: 'SELECT * FROM rec_tickets WHERE conversation_id = ? ORDER BY created_at DESC, id DESC LIMIT 1',
  properties: 'SELECT object, key, label, type, options FROM rec_properties WHERE archived = 0 ORDER BY seq, object, key',
  settings: 'SELECT name, value FROM rec_settings',
} as const;

interface ContactRow {
  id: string;
  name: string | null;
  company_id: string | null;
  job_title: string | null;
  custom: string;
  conversation_count: number;
  last_activity_at: string | null;
  activity_key: string;
  created_at: string;
  updated_at: string;
  merged_into: string | null;
  erased: number;
  revision: number;
}

interface CompanyRow {
  id: string;
  name: string;
  sort_name: string;
  domain: string | null;
  custom: string;
  created_at: string;
  updated_at: string;
  revision: number;
}

interface TicketRow {
  id: string;
  conversation_id: string;
  inbox_id: string;
  contact_id: string | null;
  name: string;
  status: TicketStatus;
  priority: TicketPriority | null;
  owner_id: string | null;
  custom: string;
  created_at: string;
  updated_at: string;
  closed_at: string | null;
  revision: number;
}

/** RecordStore on the embedded read models (records.projection.ts, and the conversation tables for a contact's conversations). */
export class SqliteRecordStore implements RecordStore {
  /**
   * `beforeSearch`: awaited before a read of the search index's tables, which the projections may
   * update later than the records (projection-lanes.ts).
   */
  constructor(
    private readonly db: Database,
    private readonly options: { beforeSearch?: () => Promise<unknown> } = {},
  ) {}

  findContactIdByIdentity(key: string): Promise<string | null> {
    const id = statement(this.db, RECORDS_SQL.identity).pluck().get(key) as string | undefined;
    return Promise.resolve(id ?? null);
  }

  getContact(id: string): Promise<ContactRecord | null> {
    const row = statement(this.db, RECORDS_SQL.contact).get(id) as ContactRow | undefined;
    return Promise.resolve(row ? this.toContact(row) : null);
  }

  async searchContacts(query: ContactSearch): Promise<Page<ContactRecord>> {
    const where: string[] = [LIVE_CONTACT];
    const params: unknown[] = [];
    for (const term of searchTerms(query.q)) {
      where.push('instr(c.search_text, ?) > 0');
      params.push(term);
    }
    if (query.companyId !== undefined) {
      where.push('c.company_id = ?');
      params.push(query.companyId);
    }
    if (query.inboxIds !== undefined) {
      // A contact nobody wrote to yet (made by hand) has no inbox: every agent sees it.
      const list = query.inboxIds.map(() => '?').join(', ');
      where.push(
        `(NOT EXISTS (SELECT 1 FROM rec_contact_inboxes i WHERE i.contact_id = c.id)` +
          (query.inboxIds.length > 0 ? ` OR EXISTS (SELECT 1 FROM rec_contact_inboxes i WHERE i.contact_id = c.id AND i.inbox_id IN (${list})))` : ')'),
      );
      params.push(...query.inboxIds);
    }
    if (query.cursor !== undefined) {
      where.push('(c.activity_key, c.id) < (?, ?)');
      params.push(...decodeRecordCursor(query.cursor));
    }
    const rows = statement(
      this.db,
      `SELECT c.* FROM rec_contacts c INDEXED BY rec_contacts_by_activity WHERE ${where.join(' AND ')} ORDER BY c.activity_key DESC, c.id DESC LIMIT ?`,
    ).all(...params, query.limit + 1) as ContactRow[];
    const page = rows.slice(0, query.limit);
    const last = page[page.length - 1];
    return {
      items: page.map((row) => this.toContact(row)),
      nextCursor: rows.length > query.limit ? encodeRecordCursor(last.activity_key, last.id) : null,
    };
  }

  async listContactConversations(contactId: string, inboxIds: readonly string[] | undefined, limit: number): Promise<ConversationSummary[]> {
    const inInboxes = inboxIds === undefined ? '' : `AND s.inbox_id IN (${inboxIds.map(() => '?').join(', ')})`;
    if (inboxIds !== undefined && inboxIds.length === 0) return [];
    // The conversations' contacts are the search index's (search_conversations): wait for its lane.
    await this.options.beforeSearch?.();
    const rows = statement(
      this.db,
      `SELECT c.doc AS doc, n.name AS assignee_name
       FROM search_conversations s
       JOIN rm_conversations c ON c.id = s.id
       LEFT JOIN rm_agent_names n ON n.id = c.assignee_agent_id
       WHERE s.contact_id = ? AND s.trashed = 0 ${inInboxes}
       ORDER BY s.last_received_at DESC, s.k DESC LIMIT ?`,
    ).all(contactId, ...(inboxIds ?? []), limit) as Array<{ doc: string; assignee_name: string | null }>;
    return rows.map((row) => summaryOf(JSON.parse(row.doc) as ConversationDoc, (id) => displayName(id, row.assignee_name)));
  }

  getCompany(id: string): Promise<CompanyRecord | null> {
    const row = statement(this.db, RECORDS_SQL.company).get(id) as CompanyRow | undefined;
    return Promise.resolve(row ? this.toCompany(row) : null);
  }

  findCompanyIdByDomain(domain: string): Promise<string | null> {
    const row = statement(this.db, RECORDS_SQL.companyByDomain).get(domain) as { id: string } | undefined;
    return Promise.resolve(row?.id ?? null);
  }

  async searchCompanies(query: { q: string; limit: number; cursor?: string }): Promise<Page<CompanyRecord>> {
    const where: string[] = ['1 = 1'];
    const params: unknown[] = [];
    for (const term of searchTerms(query.q)) {
      where.push(`(instr(c.sort_name, ?) > 0 OR instr(coalesce(c.domain, ''), ?) > 0)`);
      params.push(term, term);
    }
    if (query.cursor !== undefined) {
      where.push('(c.sort_name, c.id) > (?, ?)');
      params.push(...decodeRecordCursor(query.cursor));
    }
    const rows = statement(
      this.db,
      `SELECT c.* FROM rec_companies c INDEXED BY rec_companies_by_name WHERE ${where.join(' AND ')} ORDER BY c.sort_name, c.id LIMIT ?`,
    ).all(...params, query.limit + 1) as CompanyRow[];
    const page = rows.slice(0, query.limit);
    const last = page[page.length - 1];
    return {
      items: page.map((row) => this.toCompany(row)),
      nextCursor: rows.length > query.limit ? encodeRecordCursor(last.sort_name, last.id) : null,
    };
  }

  getTicket(id: string): Promise<TicketRecord | null> {
    const row = statement(this.db, RECORDS_SQL.ticket).get(id) as TicketRow | undefined;
    return Promise.resolve(row ? toTicket(row) : null);
  }

  getTicketOfConversation(conversationId: string): Promise<TicketRecord | null> {
    const row = statement(this.db, RECORDS_SQL.ticketOfConversation).get(conversationId) as TicketRow | undefined;
    return Promise.resolve(row ? toTicket(row) : null);
  }

  async searchTickets(query: TicketSearch): Promise<Page<TicketRecord>> {
    const where: string[] = ['1 = 1'];
    const params: unknown[] = [];
    if (query.inboxIds !== undefined) {
      if (query.inboxIds.length === 0) return { items: [], nextCursor: null };
      where.push(`t.inbox_id IN (${query.inboxIds.map(() => '?').join(', ')})`);
      params.push(...query.inboxIds);
    }
    if (query.status !== undefined) {
      where.push('t.status = ?');
      params.push(query.status);
    }
    if (query.ownerId === 'none') where.push('t.owner_id IS NULL');
    else if (query.ownerId !== undefined) {
      where.push('t.owner_id = ?');
      params.push(query.ownerId);
    }
    if (query.priority !== undefined) {
      where.push('t.priority = ?');
      params.push(query.priority);
    }
    if (query.contactId !== undefined) {
      where.push('t.contact_id = ?');
      params.push(query.contactId);
    }
    if (query.companyId !== undefined) {
      where.push('t.contact_id IN (SELECT c.id FROM rec_contacts c WHERE c.company_id = ?)');
      params.push(query.companyId);
    }
    for (const term of searchTerms(query.q ?? '')) {
      where.push('instr(lower(t.name), ?) > 0');
      params.push(term);
    }
    if (query.cursor !== undefined) {
      where.push('(t.created_at, t.id) < (?, ?)');
      params.push(...decodeRecordCursor(query.cursor));
    }
    const rows = statement(this.db, `SELECT t.* FROM rec_tickets t WHERE ${where.join(' AND ')} ORDER BY t.created_at DESC, t.id DESC LIMIT ?`).all(
      ...params,
      query.limit + 1,
    ) as TicketRow[];
    const page = rows.slice(0, query.limit);
    const last = page[page.length - 1];
    return { items: page.map(toTicket), nextCursor: rows.length > query.limit ? encodeRecordCursor(last.created_at, last.id) : null };
  }

  getRecordSettings(): Promise<RecordSettingsRecord> {
    const properties = (
      statement(this.db, RECORDS_SQL.properties).all() as Array<{
        object: RecordObject;
        key: string;
        label: string;
        type: PropertyType;
        options: string | null;
      }>
    ).map((row): PropertyDefinition => ({
      object: row.object,
      key: row.key,
      label: row.label,
      type: row.type,
      ...(row.options !== null ? { options: JSON.parse(row.options) as string[] } : {}),
    }));
    const settings = new Map(
      (statement(this.db, RECORDS_SQL.settings).all() as Array<{ name: string; value: string }>).map((row) => [row.name, JSON.parse(row.value) as string[]]),
    );
    return Promise.resolve({
      properties,
      cardProperties: {
        contact: settings.get('cardProperties.contact') ?? [...DEFAULT_CARD_PROPERTIES.contact],
        ticket: settings.get('cardProperties.ticket') ?? [...DEFAULT_CARD_PROPERTIES.ticket],
      },
      freeMailDomains: settings.get('freeMailDomains') ?? [...DEFAULT_FREE_MAIL_DOMAINS],
    });
  }

  private toContact(row: ContactRow): ContactRecord {
    const identities = (statement(this.db, RECORDS_SQL.identitiesOf).all(row.id) as Array<{ kind: IdentityKind; value: string; channel: string | null }>).map(
      (identity): ContactIdentity =>
        identity.channel !== null ? { kind: identity.kind, value: identity.value, channel: identity.channel } : { kind: identity.kind, value: identity.value },
    );
    return {
      id: row.id,
      name: row.name,
      emails: identities.filter((identity) => identity.kind === 'email').map((identity) => identity.value),
      phones: identities.filter((identity) => identity.kind === 'phone').map((identity) => identity.value),
      identities,
      companyId: row.company_id,
      jobTitle: row.job_title,
      custom: JSON.parse(row.custom) as CustomValues,
      inboxIds: statement(this.db, RECORDS_SQL.inboxesOf).pluck().all(row.id) as string[],
      conversationCount: row.conversation_count,
      lastActivityAt: row.last_activity_at,
      createdAt: row.created_at,
      updatedAt: row.updated_at,
      mergedInto: row.merged_into,
      erased: row.erased === 1,
      revision: row.revision,
    };
  }

  private toCompany(row: CompanyRow): CompanyRecord {
    return {
      id: row.id,
      name: row.name,
      domain: row.domain,
      custom: JSON.parse(row.custom) as CustomValues,
      contactCount: statement(this.db, RECORDS_SQL.contactCount).pluck().get(row.id) as number,
      createdAt: row.created_at,
      updatedAt: row.updated_at,
      revision: row.revision,
    };
  }
}

function toTicket(row: TicketRow): TicketRecord {
  return {
    id: row.id,
    conversationId: row.conversation_id,
    inboxId: row.inbox_id,
    contactId: row.contact_id,
    name: row.name,
    status: row.status,
    priority: row.priority,
    ownerId: row.owner_id,
    custom: JSON.parse(row.custom) as CustomValues,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    closedAt: row.closed_at,
    revision: row.revision,
  };
}

/**
 * The terms a record search needs all of, in lower case: the words of the query, except that a
 * query shaped like a phone number is one term without its spaces, dashes and brackets (phones
 * are stored as `+31612345678`).
 */
export function searchTerms(q: string): string[] {
  const text = q.trim().toLowerCase();
  if (text === '') return [];
  if (/^[+\d][\d\s().-]*$/.test(text) && /\d{3}/.test(text.replace(/[\s().-]/g, ''))) return [text.replace(/[\s().-]/g, '').replace(/^00/, '+')];
  return [...new Set(text.split(/\s+/))];
}

function encodeRecordCursor(key: string, id: string): string {
  return Buffer.from(JSON.stringify([key, id]), 'utf8').toString('base64url');
}

function decodeRecordCursor(cursor: string): [string, string] {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(value) && value.length === 2 && value.every((part) => typeof part === 'string')) return [value[0] as string, value[1] as string];
  } catch {
    // fall through: not JSON
  }
  throw new InvalidCursorError(cursor);
}
