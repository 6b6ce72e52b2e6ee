import { BadRequestException } from '@nestjs/common';
import type { CompanyView, ContactTimelineEntry, ContactView } from '../../application/contacts/contact.messages';
import type { CompanyRecord, ContactRecord, RecordSettingsRecord, TicketRecord } from '../../application/ports/record-store.port';
import type { ConversationSummary, InboxRecord } from '../../application/ports/read-store.port';
import type { TicketView } from '../../application/tickets/ticket.messages';
import type { ContactIdentity } from '../../domain/contact/identity';
import { identityKey } from '../../domain/contact/identity';
import type { CustomValues, PropertyDefinition, PropertyValue, RecordObject } from '../../domain/record-settings/record-properties';
import { TICKET_PRIORITIES, TICKET_STATUSES } from '../../domain/ticket/ticket.events';
import type { Locale } from '../i18n/i18n';
import { channelLabel } from './inbox-screen';
import { field, type FormBody } from './web-http';

/**
 * The view models of the record pages (contacts, companies, tickets): what each template shows, in
 * the reader's language and time zone. Parsing of the pages' forms lives here too, so a form and the
 * view it came from agree on field names.
 */

/** The events a timeline names in words; any other type is shown by its name. */
const TIMELINE_TYPES = new Set([
  'ContactCreated',
  'ContactPropertiesChanged',
  'ContactIdentityAdded',
  'ContactIdentityRemoved',
  'ContactMerged',
  'ContactMergedIn',
  'ContactErased',
  'ConversationStarted',
  'ConversationClosed',
  'ConversationReopened',
  'MessageReceived',
  'ReplySent',
  'TicketOpened',
  'TicketChanged',
  'TicketRemoved',
]);

const DATE = /^\d{4}-\d{2}-\d{2}$/;

export type InboxNames = ReadonlyMap<string, string>;

export function inboxNames(inboxes: readonly InboxRecord[]): InboxNames {
  return new Map(inboxes.map((i) => [i.id, i.name]));
}

export function contactHref(id: string): string {
  return `/ui/contacts/${encodeURIComponent(id)}`;
}

export function companyHref(id: string): string {
  return `/ui/companies/${encodeURIComponent(id)}`;
}

export function ticketHref(id: string): string {
  return `/ui/tickets/${encodeURIComponent(id)}`;
}

/** The conversation in the inbox screen (inbox-state.ts's URL). */
export function conversationHref(c: { id: string; inboxId: string }): string {
  return `/inbox?inbox=${encodeURIComponent(c.inboxId)}&conversation=${encodeURIComponent(c.id)}`;
}

/** A contact's name as the pages show it: the name, else the first address, else "Unnamed contact". */
export function contactName(c: Pick<ContactRecord, 'name' | 'emails' | 'phones' | 'identities' | 'erased'>, locale: Locale): string {
  if (c.erased) return locale.t('records.contact.erased');
  return c.name || c.emails[0] || c.phones[0] || c.identities[0]?.value || locale.t('records.contact.unnamed');
}

export function time(iso: string | null, locale: Locale): string {
  return iso ? locale.formatDate(iso, 'long') : '—';
}

export function contactRow(c: ContactRecord, companies: ReadonlyMap<string, CompanyRecord>, locale: Locale) {
  const company = c.companyId ? companies.get(c.companyId) : undefined;
  return {
    id: c.id,
    href: contactHref(c.id),
    name: contactName(c, locale),
    address: c.emails[0] ?? c.phones[0] ?? '',
    company: company ? { name: company.name, href: companyHref(company.id) } : null,
    conversations: locale.formatNumber(c.conversationCount),
    lastActivity: c.lastActivityAt ? locale.formatDate(c.lastActivityAt, 'short') : '—',
    lastActivityIso: c.lastActivityAt ?? '',
  };
}

export function conversationRow(c: ConversationSummary, inboxes: InboxNames, locale: Locale) {
  return {
    id: c.id,
    href: conversationHref(c),
    channel: c.channel,
    channelLabel: channelLabel(c.channel, locale),
    subject: c.subject || locale.t('records.conversation.noSubject'),
    preview: c.preview,
    status: locale.t(`records.conversation.status.${c.status}`),
    inbox: inboxes.get(c.inboxId) ?? '',
    time: locale.formatDate(c.lastReceivedAt, 'short'),
    timeIso: c.lastReceivedAt,
  };
}

export function ticketRow(t: TicketRecord, inboxes: InboxNames, agents: ReadonlyMap<string, string>, locale: Locale) {
  return {
    id: t.id,
    href: ticketHref(t.id),
    name: t.name,
    status: t.status,
    statusLabel: locale.t(`records.ticket.status.${t.status}`),
    priority: t.priority,
    priorityLabel: t.priority ? locale.t(`records.ticket.priority.${t.priority}`) : '—',
    owner: t.ownerId ? (agents.get(t.ownerId) ?? '—') : locale.t('records.ticket.noOwner'),
    inbox: inboxes.get(t.inboxId) ?? '',
    updated: locale.formatDate(t.updatedAt, 'short'),
    updatedIso: t.updatedAt,
  };
}

/** A custom value as the reader reads it. */
function displayValue(definition: PropertyDefinition, value: PropertyValue | undefined, locale: Locale): string {
  if (value === undefined || value === '') return '—';
  if (definition.type === 'number' && typeof value === 'number') return locale.formatNumber(value);
  if (definition.type === 'date' && typeof value === 'string' && DATE.test(value)) return locale.formatDate(`${value}T12:00:00.000Z`, 'day');
  return String(value);
}

/** The inputs of a record's custom properties, by type (text, number, date, choice). `draft`: the form as typed, after a refusal. */
export function customInputs(definitions: readonly PropertyDefinition[], values: CustomValues, locale: Locale, draft?: FormBody) {
  return definitions.map((d) => {
    const current = draft ? field(draft, `custom.${d.key}`) : values[d.key] === undefined ? '' : String(values[d.key]);
    return {
      key: d.key,
      name: `custom.${d.key}`,
      inputId: `custom-${d.object}-${d.key}`,
      label: d.label,
      type: d.type,
      isChoice: d.type === 'choice',
      inputType: d.type === 'number' ? 'number' : d.type === 'date' ? 'date' : 'text',
      value: current,
      display: displayValue(d, values[d.key], locale),
      options:
        d.type === 'choice'
          ? [{ value: '', label: '—', selected: current === '' }, ...(d.options ?? []).map((o) => ({ value: o, label: o, selected: o === current }))]
          : [],
    };
  });
}

/**
 * The custom values a form changes: a field left empty clears a value that was set, a field not
 * sent at all is left alone. Numbers and dates are checked here, so the refusal names the property
 * and what was typed.
 */
export function customChanges(definitions: readonly PropertyDefinition[], current: CustomValues, body: FormBody, locale: Locale) {
  const changes: Record<string, PropertyValue | null> = {};
  for (const d of definitions) {
    if (body[`custom.${d.key}`] === undefined) continue;
    const typed = field(body, `custom.${d.key}`);
    if (typed === '') {
      if (current[d.key] !== undefined) changes[d.key] = null;
      continue;
    }
    let value: PropertyValue = typed;
    if (d.type === 'number') {
      value = Number(typed.replace(',', '.'));
      if (!Number.isFinite(value)) throw new BadRequestException(locale.t('records.errors.notANumber', { field: d.label, value: typed }));
    } else if (d.type === 'date' && !DATE.test(typed)) {
      throw new BadRequestException(locale.t('records.errors.notADate', { field: d.label, value: typed }));
    }
    if (current[d.key] !== value) changes[d.key] = value;
  }
  return changes;
}

export function customProperties(settings: RecordSettingsRecord, object: RecordObject): PropertyDefinition[] {
  return settings.properties.filter((p) => p.object === object);
}

function identityLabel(identity: ContactIdentity, locale: Locale): string {
  return identity.kind === 'other' ? locale.t('records.identity.other', { channel: identity.channel ?? '' }) : locale.t(`records.identity.${identity.kind}`);
}

export function identityRows(c: ContactRecord, locale: Locale) {
  return c.identities.map((identity, index) => ({
    key: identityKey(identity),
    kind: identity.kind,
    kindLabel: identityLabel(identity, locale),
    value: identity.value,
    inputId: `split-${index}`,
    splittable: c.identities.length > 1,
  }));
}

/** What a timeline entry links to and names beside its type: the conversation, ticket or contact, the properties changed. */
export interface TimelineContext {
  /** The contact's conversations by id (their inbox addresses). */
  conversations: ReadonlyMap<string, { inboxId: string }>;
  /** Property labels by key (`name`, `custom.plan`), in the reader's language. */
  propertyLabels: ReadonlyMap<string, string>;
}

export function timelineRows(entries: readonly ContactTimelineEntry[], locale: Locale, context: TimelineContext) {
  return entries.map((e) => {
    const who =
      e.actor.type === 'agent'
        ? e.actor.name || locale.t('records.timeline.actor.agent')
        : e.actor.name
          ? e.actor.name
          : locale.t(`records.timeline.actor.${e.actor.type}`);
    const text = (key: string) => (typeof e.details[key] === 'string' ? (e.details[key] as string) : '');
    let detail = text('subject') || text('name');
    let href: string | null = null;
    if (e.subject.kind === 'ticket') href = ticketHref(e.subject.id);
    if (e.subject.kind === 'conversation') {
      const conversation = context.conversations.get(e.subject.id);
      href = conversation ? conversationHref({ id: e.subject.id, inboxId: conversation.inboxId }) : null;
    }
    if (Array.isArray(e.details.changed)) {
      detail = (e.details.changed as unknown[]).map((key) => context.propertyLabels.get(String(key)) ?? String(key)).join(', ');
    }
    if (typeof e.details.kind === 'string' && e.details.kind !== '' && !detail) {
      detail = e.details.kind === 'other' ? locale.t('records.identity.other', { channel: '' }).trim() : locale.t(`records.identity.${e.details.kind}`);
    }
    const other = text('intoContactId') || text('splitTo') || text('splitFrom');
    if (other && e.subject.kind === 'contact') {
      href = contactHref(other);
      detail ||= locale.t('records.timeline.otherContact');
    }
    return {
      type: e.type,
      what: TIMELINE_TYPES.has(e.type) ? locale.t(`records.timeline.types.${e.type}`) : e.type,
      who,
      when: locale.formatDate(e.at, 'long'),
      at: e.at,
      detail,
      href,
    };
  });
}

/** The labels a timeline names changed properties by: the built-in ones and the custom ones of contacts. */
export function contactPropertyLabels(definitions: readonly PropertyDefinition[], locale: Locale): Map<string, string> {
  const labels = new Map<string, string>([
    ['name', locale.t('records.contact.nameLabel')],
    ['jobTitle', locale.t('records.contact.jobTitle')],
    ['companyId', locale.t('records.contact.company')],
    ['emails', locale.t('records.properties.builtIn.contact.emails')],
    ['phones', locale.t('records.properties.builtIn.contact.phones')],
  ]);
  for (const d of definitions) labels.set(`custom.${d.key}`, d.label);
  return labels;
}

export function statusOptions(current: string | null, locale: Locale, withAny = false) {
  return [
    ...(withAny ? [{ value: '', label: locale.t('records.tickets.anyStatus'), selected: !current }] : []),
    ...TICKET_STATUSES.map((s) => ({ value: s, label: locale.t(`records.ticket.status.${s}`), selected: s === current })),
  ];
}

export function priorityOptions(current: string | null, locale: Locale, first: 'none' | 'any') {
  return [
    { value: '', label: first === 'any' ? locale.t('records.tickets.anyPriority') : locale.t('records.ticket.noPriority'), selected: !current },
    ...TICKET_PRIORITIES.map((p) => ({ value: p, label: locale.t(`records.ticket.priority.${p}`), selected: p === current })),
  ];
}

/** The status pipeline of a ticket page: each step, the current one marked. */
export function statusPipeline(status: string, locale: Locale) {
  const at = (TICKET_STATUSES as readonly string[]).indexOf(status);
  return TICKET_STATUSES.map((s, index) => ({ value: s, label: locale.t(`records.ticket.status.${s}`), current: s === status, done: index < at }));
}

export function companyOptions(companies: readonly CompanyRecord[], current: string | null, locale: Locale) {
  const list = [...companies];
  return [
    { value: '', label: locale.t('records.contact.noCompany'), selected: !current },
    ...list.sort((a, b) => a.name.localeCompare(b.name)).map((c) => ({ value: c.id, label: c.name, selected: c.id === current })),
  ];
}

export type { CompanyView, ContactView, TicketView };
