import { Command, Query } from '@nestjs/cqrs';
import type { PropertyDefinition, PropertyValue, RecordObject } from '../../domain/record-settings/record-properties';
import type { AuthenticatedAgent, CommandContext } from '../command-handling/command-context';
import type { ConversationCommandResult } from '../conversations/conversation-result';
import type { CompanyRecord, ContactRecord, RecordSettingsRecord, TicketRecord } from '../ports/record-store.port';
import type { ConversationSummary, Page } from '../ports/read-store.port';

/**
 * The commands and queries of contacts, companies and the record settings (docs/contacts.md): one
 * entry point each, used by the HTTP controllers and the web UI alike. Their handlers live beside
 * this file.
 */

/** What an agent may change on a contact; only the keys given change. `emails` / `phones` replace the lists (identities follow). */
export interface ContactChanges {
  name?: string;
  jobTitle?: string;
  companyId?: string | null;
  emails?: string[];
  phones?: string[];
  custom?: Record<string, PropertyValue | null>;
}

/** A contact with what the contact page and `GET /api/contacts/:id` show beside its properties. */
export interface ContactView extends ContactRecord {
  company: CompanyRecord | null;
  /** Its conversations the agent can reach, across inboxes and channels, newest first. */
  conversations: ConversationSummary[];
  /** Its tickets the agent can reach, newest first. */
  tickets: TicketRecord[];
}

export interface CompanyView extends CompanyRecord {
  contacts: ContactRecord[];
  conversations: ConversationSummary[];
  tickets: TicketRecord[];
}

/** One entry of a contact's timeline: what happened to the record or its conversations and tickets, who did it, when. */
export interface ContactTimelineEntry {
  at: string;
  /** The event type (`ContactCreated`, `ContactMergedIn`, `ConversationStarted`, `TicketOpened` …). */
  type: string;
  actor: { type: 'agent' | 'system' | 'bot' | 'contact'; id?: string; name?: string };
  /** The record the entry is about. */
  subject: { kind: 'contact' | 'conversation' | 'ticket'; id: string };
  /** The event's facts that the timeline shows (changed property keys, the merged contact, a subject line …). */
  details: Record<string, unknown>;
}

export class CreateContactCommand extends Command<ContactView> {
  constructor(
    readonly input: ContactChanges,
    readonly ctx: CommandContext,
  ) {
    super();
  }
}

export class UpdateContactCommand extends Command<ContactView> {
  constructor(
    readonly contactId: string,
    readonly changes: ContactChanges,
    readonly ctx: CommandContext,
  ) {
    super();
  }
}

/** `POST /api/contacts/:id/merge {intoContactId}`: answers the contact merged into. */
export class MergeContactsCommand extends Command<ContactView> {
  constructor(
    readonly contactId: string,
    readonly intoContactId: string,
    readonly ctx: CommandContext,
  ) {
    super();
  }
}

/** `POST /api/contacts/:id/split {identity}` (an identity key, `email:ann@example.com`): answers the new contact. */
export class SplitContactIdentityCommand extends Command<ContactView> {
  constructor(
    readonly contactId: string,
    readonly identityKey: string,
    readonly ctx: CommandContext,
  ) {
    super();
  }
}

/** `PUT /api/conversations/:id/contact {contactId}`: link the conversation to another contact (rule 10: a contact can be changed, a ticket cannot). */
export class LinkConversationContactCommand extends Command<ConversationCommandResult> {
  constructor(
    readonly conversationId: string,
    readonly contactId: string,
    readonly ctx: CommandContext,
  ) {
    super();
  }
}

export class GetContactQuery extends Query<ContactView> {
  constructor(
    readonly agent: AuthenticatedAgent,
    readonly contactId: string,
  ) {
    super();
  }
}

export class SearchContactsQuery extends Query<Page<ContactRecord>> {
  constructor(
    readonly agent: AuthenticatedAgent,
    readonly params: { q?: unknown; companyId?: unknown; limit?: unknown; cursor?: unknown },
  ) {
    super();
  }
}

export class GetContactTimelineQuery extends Query<ContactTimelineEntry[]> {
  constructor(
    readonly agent: AuthenticatedAgent,
    readonly contactId: string,
  ) {
    super();
  }
}

export interface CompanyChanges {
  name?: string;
  domain?: string | null;
  custom?: Record<string, PropertyValue | null>;
}

export class CreateCompanyCommand extends Command<CompanyView> {
  constructor(
    readonly input: CompanyChanges,
    readonly ctx: CommandContext,
  ) {
    super();
  }
}

export class UpdateCompanyCommand extends Command<CompanyView> {
  constructor(
    readonly companyId: string,
    readonly changes: CompanyChanges,
    readonly ctx: CommandContext,
  ) {
    super();
  }
}

export class GetCompanyQuery extends Query<CompanyView> {
  constructor(
    readonly agent: AuthenticatedAgent,
    readonly companyId: string,
  ) {
    super();
  }
}

/** Companies by id, only the records (no contacts, conversations or tickets): what a list names them by. Unknown ids are left out. */
export class GetCompaniesQuery extends Query<CompanyRecord[]> {
  constructor(
    readonly agent: AuthenticatedAgent,
    readonly companyIds: readonly string[],
  ) {
    super();
  }
}

export class SearchCompaniesQuery extends Query<Page<CompanyRecord>> {
  constructor(
    readonly agent: AuthenticatedAgent,
    readonly params: { q?: unknown; limit?: unknown; cursor?: unknown },
  ) {
    super();
  }
}

export class GetRecordSettingsQuery extends Query<RecordSettingsRecord> {
  constructor(readonly agent: AuthenticatedAgent) {
    super();
  }
}

/** Admins only. */
export class DefinePropertyCommand extends Command<RecordSettingsRecord> {
  constructor(
    readonly definition: PropertyDefinition,
    readonly ctx: CommandContext,
  ) {
    super();
  }
}

/** Admins only: relabel a property or change a choice's options. */
export class ChangePropertyCommand extends Command<RecordSettingsRecord> {
  constructor(
    readonly object: RecordObject,
    readonly key: string,
    readonly changes: { label?: string; options?: string[] },
    readonly ctx: CommandContext,
  ) {
    super();
  }
}

/** Admins only. */
export class ArchivePropertyCommand extends Command<RecordSettingsRecord> {
  constructor(
    readonly object: RecordObject,
    readonly key: string,
    readonly ctx: CommandContext,
  ) {
    super();
  }
}

/** Admins only: which properties the sidebar card of contacts or tickets shows, in order. */
export class ChooseCardPropertiesCommand extends Command<RecordSettingsRecord> {
  constructor(
    readonly object: 'contact' | 'ticket',
    readonly keys: string[],
    readonly ctx: CommandContext,
  ) {
    super();
  }
}

/** Admins only: the email domains that never make a company. */
export class SetFreeMailDomainsCommand extends Command<RecordSettingsRecord> {
  constructor(
    readonly domains: string[],
    readonly ctx: CommandContext,
  ) {
    super();
  }
}
