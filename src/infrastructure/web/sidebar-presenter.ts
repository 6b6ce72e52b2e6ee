import { BadRequestException, Injectable } from '@nestjs/common';
import { QueryBus, QueryHandlerNotFoundException } from '@nestjs/cqrs';
import { AccessDeniedError, NotFoundError } from '../../application/access/inbox-access';
import type { AgentSummary } from '../../application/agents/agent-commands.handler';
import type { AuthenticatedAgent } from '../../application/command-handling/command-context';
import {
  GetContactQuery,
  GetRecordSettingsQuery,
  SearchContactsQuery,
  type ContactChanges,
  type ContactView,
} from '../../application/contacts/contact.messages';
import type { ContactRecord, RecordSettingsRecord, TicketRecord } from '../../application/ports/record-store.port';
import type { ConversationDetail, ConversationSummary, Page } from '../../application/ports/read-store.port';
import { GetConversationQuery } from '../../application/queries/inbox-queries.handler';
import { GetTicketQuery, type TicketChanges, type TicketView } from '../../application/tickets/ticket.messages';
import type { PropertyDefinition, PropertyValue } from '../../domain/record-settings/record-properties';
import { BUILT_IN_CARD_KEYS, DEFAULT_CARD_PROPERTIES } from '../../domain/record-settings/record-settings.decider';
import { TICKET_PRIORITIES, TICKET_STATUSES, type TicketPriority, type TicketStatus } from '../../domain/ticket/ticket.events';
import type { Locale } from '../i18n/i18n';
import { channelLabel } from './inbox-screen';
import { contactName, customChanges, customProperties, ticketHref } from './records-presenter';
import { stateQuery, type InboxState } from './inbox-state';
import { field, type FormBody } from './web-http';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const OTHERS_SHOWN = 8;
/** How long closing a conversation with its ticket waits for the ticket's record to follow. */
const TICKET_SETTLE_MS = 2000;

/** What the record settings say when they cannot be read: the cards as they are before any choice. */
const DEFAULT_SETTINGS: RecordSettingsRecord = {
  properties: [],
  cardProperties: { contact: [...DEFAULT_CARD_PROPERTIES.contact], ticket: [...DEFAULT_CARD_PROPERTIES.ticket] },
  freeMailDomains: [],
};

interface CardProperty {
  key: string;
  label: string;
  /** The value as the card shows it; '' when none. */
  display: string;
  href?: string | null;
  /** How the inline editor asks for it; null when it is not edited on the card (the company). */
  input: {
    name: string;
    id?: string;
    type: 'text' | 'number' | 'date' | 'select' | 'list';
    value: string;
    options?: Array<{ value: string; label: string; selected: boolean }>;
  } | null;
}

/**
 * The conversation's right sidebar: the contact (with its company), the ticket, and the contact's
 * other conversations and tickets, read through the same queries as the contact and ticket pages
 * and shaped for the `sidebar` partials.
 */
@Injectable()
export class SidebarPresenter {
  constructor(private readonly queryBus: QueryBus) {}

  async view(
    agent: AuthenticatedAgent,
    conversation: ConversationDetail,
    state: InboxState,
    teammates: AgentSummary[],
    locale: Locale,
    fallbackOthers: () => Promise<ConversationSummary[]>,
  ) {
    const [settings, contact, ticket] = await Promise.all([
      this.settings(agent),
      conversation.contact ? this.optional<ContactView>(new GetContactQuery(agent, conversation.contact.id)) : Promise.resolve(null),
      conversation.ticket ? this.optional<TicketView>(new GetTicketQuery(agent, conversation.ticket.id)) : Promise.resolve(null),
    ]);
    // Without the record (not readable to this agent, or erased) the search of the contact's conversations still answers.
    const conversations = contact ? contact.conversations : await fallbackOthers();
    const others = conversations.filter((c) => c.id !== conversation.id).slice(0, OTHERS_SHOWN);
    const otherTickets = (contact?.tickets ?? ticket?.otherTickets ?? []).filter((t) => t.id !== conversation.ticket?.id).slice(0, OTHERS_SHOWN);
    const admin = agent.role === 'admin';
    return {
      contactCard: contact ? this.contactCard(contact, settings, locale) : null,
      company: contact?.company
        ? { id: contact.company.id, name: contact.company.name, domain: contact.company.domain, href: `/ui/companies/${contact.company.id}` }
        : null,
      ticketCard: conversation.ticket ? this.ticketCard(conversation, ticket, settings, teammates, locale) : null,
      ticketForm: !conversation.ticket && !conversation.trashed ? this.ticketForm(conversation, teammates, locale) : null,
      others: otherLinks(others, state, locale),
      hasOthers: others.length > 0,
      otherTickets: otherTickets.map((t) => ticketLink(t, locale)),
      hasOtherTickets: otherTickets.length > 0,
      cardChooser: admin ? this.cardChooser(settings, locale) : null,
      // A ticket closed on its own (from its card or page) no longer makes Close ask about it.
      ticketClosed: ticket?.status === 'closed',
    };
  }

  /** The contacts a search finds, for "link to another contact" (the contact already linked left out). */
  async pickContacts(agent: AuthenticatedAgent, conversation: ConversationDetail, q: string, locale: Locale) {
    const page: Page<ContactRecord> = await this.queryBus.execute(new SearchContactsQuery(agent, { q, limit: '8' }));
    return page.items
      .filter((c) => c.id !== conversation.contact?.id && !c.erased && !c.mergedInto)
      .map((c) => ({ id: c.id, name: contactName(c, locale), detail: [c.emails[0], c.phones[0]].filter(Boolean).join(' · ') }));
  }

  /** The changes the contact card's inline editor posted: only the properties it showed, an emptied custom one cleared. */
  async contactChanges(agent: AuthenticatedAgent, contactId: string, body: FormBody, locale: Locale): Promise<ContactChanges> {
    const [settings, contact] = await Promise.all([this.settings(agent), this.queryBus.execute(new GetContactQuery(agent, contactId)) as Promise<ContactView>]);
    const changes: ContactChanges = {};
    if (has(body, 'name')) changes.name = field(body, 'name');
    if (has(body, 'jobTitle')) changes.jobTitle = field(body, 'jobTitle');
    if (has(body, 'emails')) changes.emails = listOf(field(body, 'emails'));
    if (has(body, 'phones')) changes.phones = listOf(field(body, 'phones'));
    const custom = customChanges(customProperties(settings, 'contact'), contact.custom, body, locale);
    if (Object.keys(custom).length > 0) changes.custom = custom;
    return changes;
  }

  /** What the ticket card's editor changed compared with the ticket as it is (a select's change posts the whole form). */
  async ticketChanges(agent: AuthenticatedAgent, ticketId: string, body: FormBody, locale: Locale): Promise<TicketChanges> {
    const [settings, ticket] = await Promise.all([this.settings(agent), this.queryBus.execute(new GetTicketQuery(agent, ticketId)) as Promise<TicketView>]);
    const asked = ticketInput(body, locale);
    const changes: TicketChanges = {};
    if (asked.name !== undefined && asked.name !== ticket.name) changes.name = asked.name;
    if (asked.status !== undefined && asked.status !== ticket.status) changes.status = asked.status;
    if (asked.priority !== undefined && asked.priority !== ticket.priority) changes.priority = asked.priority;
    if (asked.ownerId !== undefined && asked.ownerId !== ticket.ownerId) changes.ownerId = asked.ownerId;
    const custom = customChanges(customProperties(settings, 'ticket'), ticket.custom, body, locale);
    if (Object.keys(custom).length > 0) changes.custom = custom;
    return changes;
  }

  /**
   * Rule 8: the ticket's own record is closed by a process manager just after its conversation. The
   * answer to "close both" waits for it a moment, so the card it re-renders shows the ticket closed.
   */
  async ticketClosedWithConversation(agent: AuthenticatedAgent, conversationId: string): Promise<void> {
    const conversation: ConversationDetail = await this.queryBus.execute(new GetConversationQuery(agent, conversationId));
    if (!conversation.ticket) return;
    const deadline = Date.now() + TICKET_SETTLE_MS;
    for (;;) {
      const ticket = await this.optional<TicketView>(new GetTicketQuery(agent, conversation.ticket.id));
      if (!ticket || ticket.status === 'closed' || Date.now() >= deadline) return;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  private async settings(agent: AuthenticatedAgent): Promise<RecordSettingsRecord> {
    return (await this.optional<RecordSettingsRecord>(new GetRecordSettingsQuery(agent))) ?? DEFAULT_SETTINGS;
  }

  /**
   * A record the sidebar shows when it can: one out of reach (or gone, or erased) leaves its card
   * out rather than the whole conversation, and so does a build without the records' handlers.
   */
  private async optional<T>(query: object): Promise<T | null> {
    try {
      return (await this.queryBus.execute(query as never)) as T;
    } catch (error) {
      if (error instanceof NotFoundError || error instanceof AccessDeniedError || error instanceof QueryHandlerNotFoundException) return null;
      throw error;
    }
  }

  private contactCard(contact: ContactView, settings: RecordSettingsRecord, locale: Locale) {
    const definitions = new Map(settings.properties.filter((p) => p.object === 'contact').map((p) => [p.key, p]));
    const properties: CardProperty[] = [];
    for (const key of settings.cardProperties.contact) {
      if (key === 'emails' || key === 'phones') {
        const list = contact[key];
        properties.push({
          key,
          label: locale.t(`records.properties.builtIn.contact.${key}`),
          display: list.join(', '),
          input: { name: key, type: 'list', value: list.join(', ') },
        });
      } else if (key === 'jobTitle') {
        properties.push({
          key,
          label: locale.t('records.properties.builtIn.contact.jobTitle'),
          display: contact.jobTitle ?? '',
          input: { name: key, type: 'text', value: contact.jobTitle ?? '' },
        });
      } else if (key === 'name') {
        // The card's title already is the name.
      } else if (key === 'company') {
        properties.push({
          key,
          label: locale.t('records.properties.builtIn.contact.company'),
          display: contact.company?.name ?? '',
          href: contact.company ? `/ui/companies/${contact.company.id}` : null,
          input: null,
        });
      } else {
        const definition = definitions.get(key);
        if (definition) properties.push(customProperty(definition, contact.custom[key], locale));
      }
    }
    return {
      id: contact.id,
      // Named as its page and the contacts list name it, so "View contact" lands on the same name.
      name: contactName(contact, locale),
      nameValue: contact.name ?? '',
      href: `/ui/contacts/${contact.id}`,
      properties,
      editable: properties.filter((p) => p.input !== null),
    };
  }

  private ticketCard(conversation: ConversationDetail, ticket: TicketView | null, settings: RecordSettingsRecord, teammates: AgentSummary[], locale: Locale) {
    const summary = conversation.ticket!;
    // Until the ticket's record is read, the conversation's own view of it (name and open or closed) is shown.
    if (!ticket)
      return {
        id: summary.id,
        name: summary.name,
        href: `/ui/tickets/${summary.id}`,
        status: summary.status,
        statusLabel: locale.t(`ticketStatus.${summary.status}`),
        record: false,
      };
    const definitions = new Map(settings.properties.filter((p) => p.object === 'ticket').map((p) => [p.key, p]));
    // The chosen properties in their order: status, priority and owner are edited on the card like a custom property.
    const properties: CardProperty[] = [];
    for (const key of settings.cardProperties.ticket) {
      if (key === 'status')
        properties.push({
          key,
          label: locale.t('records.properties.builtIn.ticket.status'),
          display: '',
          input: { name: 'status', id: 'ticket-status-select', type: 'select', value: ticket.status, options: statusOptions(ticket.status, locale) },
        });
      else if (key === 'priority')
        properties.push({
          key,
          label: locale.t('records.properties.builtIn.ticket.priority'),
          display: '',
          input: {
            name: 'priority',
            id: 'ticket-priority-select',
            type: 'select',
            value: ticket.priority ?? '',
            options: priorityOptions(ticket.priority, locale),
          },
        });
      else if (key === 'owner')
        properties.push({
          key,
          label: locale.t('records.properties.builtIn.ticket.owner'),
          display: '',
          input: {
            name: 'ownerId',
            id: 'ticket-owner-select',
            type: 'select',
            value: ticket.ownerId ?? '',
            options: ownerOptions(teammates, ticket.ownerId, ticket.owner, locale),
          },
        });
      else if (key === 'createdAt')
        properties.push({
          key,
          label: locale.t('records.properties.builtIn.ticket.createdAt'),
          display: locale.formatDate(ticket.createdAt, 'short'),
          input: null,
        });
      else {
        const definition = definitions.get(key);
        if (definition) properties.push(customProperty(definition, ticket.custom[key], locale));
      }
    }
    return {
      id: ticket.id,
      name: ticket.name,
      href: `/ui/tickets/${ticket.id}`,
      status: ticket.status,
      statusLabel: locale.t(`records.ticket.status.${ticket.status}`),
      closed: ticket.status === 'closed',
      record: true,
      editable: properties.filter((p) => p.input !== null),
      shown: properties.filter((p) => p.input === null),
    };
  }

  private ticketForm(conversation: ConversationDetail, teammates: AgentSummary[], locale: Locale) {
    return {
      name: conversation.subject,
      statuses: statusOptions('new', locale),
      priorities: priorityOptions(null, locale),
      owners: ownerOptions(teammates, null, null, locale),
    };
  }

  /** The properties an admin may put on each card, the chosen ones first in their order. */
  private cardChooser(settings: RecordSettingsRecord, locale: Locale) {
    const choices = (object: 'contact' | 'ticket', builtIns: readonly string[]) => {
      const chosen = settings.cardProperties[object];
      const all = [
        ...builtIns.map((key) => ({ key, label: locale.t(`records.properties.builtIn.${object}.${key}`) })),
        ...settings.properties.filter((p) => p.object === object).map((p) => ({ key: p.key, label: p.label })),
      ];
      return [...chosen.map((key) => all.find((c) => c.key === key)).filter((c) => c !== undefined), ...all.filter((c) => !chosen.includes(c.key))].map(
        (c) => ({
          ...c,
          checked: chosen.includes(c.key),
        }),
      );
    };
    // The name is the contact card's title either way.
    return {
      contact: choices(
        'contact',
        BUILT_IN_CARD_KEYS.contact.filter((k) => k !== 'name'),
      ),
      ticket: choices('ticket', BUILT_IN_CARD_KEYS.ticket),
    };
  }
}

// ---- form input ------------------------------------------------------------------------------

/** A ticket's name, status, priority and owner as a form sends them (create and edit); absent fields stay undefined. */
export function ticketInput(body: FormBody, locale: Locale): TicketChanges {
  const input: TicketChanges = {};
  if (has(body, 'name')) {
    const name = field(body, 'name');
    if (!name) throw new BadRequestException(locale.t('fields.empty', { label: locale.t('fields.ticketName') }));
    if (name.length > 200)
      throw new BadRequestException(locale.t('fields.tooLong', { label: locale.t('fields.ticketName'), max: '200', length: String(name.length) }));
    input.name = name;
  }
  if (has(body, 'status')) {
    const status = field(body, 'status');
    if (!(TICKET_STATUSES as readonly string[]).includes(status))
      throw new BadRequestException(`status must be one of ${TICKET_STATUSES.join(', ')} (got ${JSON.stringify(status)})`);
    input.status = status as TicketStatus;
  }
  if (has(body, 'priority')) {
    const priority = field(body, 'priority');
    if (priority !== '' && !(TICKET_PRIORITIES as readonly string[]).includes(priority))
      throw new BadRequestException(`priority must be one of ${TICKET_PRIORITIES.join(', ')} or empty (got ${JSON.stringify(priority)})`);
    input.priority = priority === '' ? null : (priority as TicketPriority);
  }
  if (has(body, 'ownerId')) {
    const ownerId = field(body, 'ownerId');
    if (ownerId !== '' && !UUID.test(ownerId)) throw new BadRequestException(`ownerId must be an agent id or empty (got ${JSON.stringify(ownerId)})`);
    input.ownerId = ownerId === '' ? null : ownerId.toLowerCase();
  }
  return input;
}

function has(body: FormBody, name: string): boolean {
  return body[name] !== undefined;
}

/** Addresses or numbers typed as one line: separated by commas, semicolons or spaces. */
function listOf(value: string): string[] {
  return value
    .split(/[,;\s]+/)
    .map((v) => v.trim())
    .filter((v) => v !== '');
}

// ---- view pieces -----------------------------------------------------------------------------

function customProperty(definition: PropertyDefinition, value: PropertyValue | undefined, locale: Locale): CardProperty {
  const text = value === undefined ? '' : String(value);
  const display = definition.type === 'number' && typeof value === 'number' ? locale.formatNumber(value) : text;
  const name = `custom.${definition.key}`;
  if (definition.type === 'choice')
    return {
      key: definition.key,
      label: definition.label,
      display,
      input: {
        name,
        type: 'select',
        value: text,
        options: [{ value: '', label: '—', selected: text === '' }, ...(definition.options ?? []).map((o) => ({ value: o, label: o, selected: o === text }))],
      },
    };
  return { key: definition.key, label: definition.label, display, input: { name, type: definition.type, value: text } };
}

function statusOptions(current: TicketStatus, locale: Locale) {
  return TICKET_STATUSES.map((s) => ({ value: s, label: locale.t(`records.ticket.status.${s}`), selected: s === current }));
}

function priorityOptions(current: TicketPriority | null, locale: Locale) {
  return [
    { value: '', label: locale.t('sidebar.noPriority'), selected: current === null },
    ...TICKET_PRIORITIES.map((p) => ({ value: p, label: locale.t(`records.ticket.priority.${p}`), selected: p === current })),
  ];
}

function ownerOptions(teammates: AgentSummary[], ownerId: string | null, owner: { id: string; name: string } | null, locale: Locale) {
  const options = [{ value: '', label: locale.t('owners.unassigned') }, ...teammates.map((a) => ({ value: a.id, label: a.name }))];
  if (owner && !options.some((o) => o.value === owner.id)) options.push({ value: owner.id, label: owner.name });
  return options.map((o) => ({ ...o, selected: o.value === (ownerId ?? '') }));
}

/** The contact's other conversations: they may be in another inbox, which the link opens. */
function otherLinks(others: ConversationSummary[], state: InboxState, locale: Locale) {
  return others.map((o) => {
    const pageState = { ...state, inboxId: o.inboxId, conversationId: o.id, search: null };
    return {
      id: o.id,
      subject: o.subject || locale.t('thread.noSubject'),
      closed: o.status === 'closed',
      statusLabel: locale.t(o.status === 'closed' ? 'tags.closed' : 'tags.open'),
      lastReceivedAt: o.lastReceivedAt,
      channel: o.channel,
      channelLabel: channelLabel(o.channel, locale),
      sameInbox: o.inboxId === state.inboxId,
      href: `/inbox?${stateQuery(pageState)}`,
      fragmentUrl: `/ui/conversations/${o.id}?${stateQuery(pageState)}`,
    };
  });
}

function ticketLink(t: TicketRecord, locale: Locale) {
  return { id: t.id, name: t.name, statusLabel: locale.t(`records.ticket.status.${t.status}`), closed: t.status === 'closed', href: ticketHref(t.id) };
}
