import type { Decider } from '../shared/decider';
import { invalidInput, notFound } from '../shared/domain-error';
import type { CustomChanges, CustomValues, PropertyDefinition, PropertyValue } from '../record-settings/record-properties';
import type { ChangeTicket, OpenTicket, TicketCommand } from './ticket.commands';
import { TICKET_PRIORITIES, TICKET_STATUSES, type TicketChanged, type TicketEvent, type TicketPriority, type TicketStatus } from './ticket.events';

export type { TicketCommand } from './ticket.commands';

export const TICKET_NAME_MAX = 200;
export const TICKET_TEXT_VALUE_MAX = 2000;

export interface LiveTicket {
  readonly kind: 'live';
  readonly id: string;
  readonly conversationId: string;
  readonly inboxId: string;
  readonly name: string;
  readonly status: TicketStatus;
  readonly priority: TicketPriority | null;
  readonly ownerId: string | null;
  readonly custom: CustomValues;
}

export type TicketState = { readonly kind: 'none' } | LiveTicket | { readonly kind: 'removed' };

export function initialTicketState(): TicketState {
  return { kind: 'none' };
}

export function evolveTicket(state: TicketState, event: TicketEvent): TicketState {
  switch (event.type) {
    case 'TicketOpened': {
      const { ticketId, conversationId, inboxId, name, status, priority, ownerId } = event.data;
      return { kind: 'live', id: ticketId, conversationId, inboxId, name, status, priority, ownerId, custom: {} };
    }
    case 'TicketChanged': {
      if (state.kind !== 'live') return state;
      const { name, status, priority, ownerId, custom } = event.data;
      return {
        ...state,
        ...(name !== undefined ? { name } : {}),
        ...(status !== undefined ? { status } : {}),
        ...(priority !== undefined ? { priority } : {}),
        ...(ownerId !== undefined ? { ownerId } : {}),
        custom: custom ? applyCustom(state.custom, custom) : state.custom,
      };
    }
    case 'TicketRemoved':
      return { kind: 'removed' };
  }
}

export function decideTicket(command: TicketCommand, state: TicketState): TicketEvent[] {
  switch (command.type) {
    case 'OpenTicket':
      // Opened already (a retry, or the process manager after the command did it), or removed for good: nothing to do.
      if (state.kind !== 'none') return [];
      return [open(command.data)];
    case 'ChangeTicket':
      return change(command.data, live(state));
    case 'CloseTicketWithConversation':
      if (state.kind !== 'live' || state.status === 'closed') return [];
      return [{ type: 'TicketChanged', data: { status: 'closed', via: 'conversation-closed', at: command.data.now } }];
    case 'UnownRemovedAgent':
      if (state.kind !== 'live' || state.ownerId !== command.data.agentId) return [];
      return [{ type: 'TicketChanged', data: { ownerId: null, via: 'owner-removed', at: command.data.now } }];
    case 'RemoveTicket':
      if (state.kind !== 'live') return [];
      return [{ type: 'TicketRemoved', data: { reason: command.data.reason, at: command.data.now } }];
  }
}

export const ticketDecider: Decider<TicketCommand, TicketEvent, TicketState> = {
  initialState: initialTicketState,
  evolve: evolveTicket,
  decide: decideTicket,
};

function live(state: TicketState): LiveTicket {
  if (state.kind !== 'live') throw notFound('ticket-not-found', 'ticket not found; check the ticket id');
  return state;
}

function open(data: OpenTicket['data']): TicketEvent {
  return {
    type: 'TicketOpened',
    data: {
      ticketId: data.ticketId,
      conversationId: data.conversationId,
      inboxId: data.inboxId,
      name: checkName(data.name),
      status: data.status === undefined ? 'new' : checkStatus(data.status),
      priority: data.priority === undefined || data.priority === null ? null : checkPriority(data.priority),
      ownerId: data.ownerId === undefined || data.ownerId === null ? null : checkOwnerId(data.ownerId),
      openedAt: data.now,
    },
  };
}

/** Only what differs from the ticket as it is; nothing different: nothing written. */
function change(data: ChangeTicket['data'], ticket: LiveTicket): TicketEvent[] {
  const changed: Omit<TicketChanged['data'], 'at'> & { custom?: Record<string, PropertyValue | null> } = {};
  if (data.name !== undefined) {
    const name = checkName(data.name);
    if (name !== ticket.name) changed.name = name;
  }
  if (data.status !== undefined) {
    const status = checkStatus(data.status);
    if (status !== ticket.status) changed.status = status;
  }
  if (data.priority !== undefined) {
    const priority = data.priority === null ? null : checkPriority(data.priority);
    if (priority !== ticket.priority) changed.priority = priority;
  }
  if (data.ownerId !== undefined) {
    const ownerId = data.ownerId === null ? null : checkOwnerId(data.ownerId);
    if (ownerId !== ticket.ownerId) changed.ownerId = ownerId;
  }
  if (data.custom !== undefined) {
    const custom = checkCustom(data.custom, data.properties, ticket.custom);
    if (Object.keys(custom).length > 0) changed.custom = custom;
  }
  if (Object.keys(changed).length === 0) return [];
  return [{ type: 'TicketChanged', data: { ...changed, at: data.now } }];
}

function checkName(name: unknown): string {
  const trimmed = typeof name === 'string' ? name.trim() : '';
  if (trimmed === '') throw invalidInput('ticket-name-empty', 'name must not be empty: give the ticket a name');
  if (trimmed.length > TICKET_NAME_MAX) {
    throw invalidInput('field-too-long', '{{field}} must be at most {{max}} characters (it has {{length}}); shorten it', {
      field: 'name',
      max: TICKET_NAME_MAX,
      length: trimmed.length,
    });
  }
  return trimmed;
}

function checkStatus(status: unknown): TicketStatus {
  if (!(TICKET_STATUSES as readonly unknown[]).includes(status)) {
    throw invalidInput('ticket-status-invalid', 'status must be one of {{allowed}}; "{{value}}" is not', {
      allowed: TICKET_STATUSES.join(', '),
      value: shown(status),
    });
  }
  return status as TicketStatus;
}

function checkPriority(priority: unknown): TicketPriority {
  if (!(TICKET_PRIORITIES as readonly unknown[]).includes(priority)) {
    throw invalidInput('ticket-priority-invalid', 'priority must be one of {{allowed}} or null; "{{value}}" is not', {
      allowed: TICKET_PRIORITIES.join(', '),
      value: shown(priority),
    });
  }
  return priority as TicketPriority;
}

function checkOwnerId(ownerId: unknown): string {
  if (typeof ownerId !== 'string' || ownerId.trim() === '') {
    throw invalidInput('ticket-owner-invalid', 'ownerId must be the id of an agent, or null for no owner; "{{value}}" is not', { value: shown(ownerId) });
  }
  return ownerId;
}

/** The changes that differ from `current`, each value checked against its property's type. */
function checkCustom(changes: CustomChanges, properties: readonly PropertyDefinition[], current: CustomValues): Record<string, PropertyValue | null> {
  if (typeof changes !== 'object' || changes === null || Array.isArray(changes)) {
    throw invalidInput('ticket-custom-not-object', 'custom must be an object of property keys and values; "{{value}}" is not', { value: shown(changes) });
  }
  const result: Record<string, PropertyValue | null> = {};
  for (const [key, raw] of Object.entries(changes)) {
    const property = properties.find((p) => p.object === 'ticket' && p.key === key);
    if (!property) {
      throw invalidInput('ticket-property-unknown', 'custom.{{key}} is not a ticket property; an admin adds it in the record settings first', { key });
    }
    const value = raw === null ? null : checkValue(property, raw);
    const before = Object.prototype.hasOwnProperty.call(current, key) ? current[key] : null;
    if (value !== before) result[key] = value;
  }
  return result;
}

function checkValue(property: PropertyDefinition, raw: unknown): PropertyValue | null {
  const key = property.key;
  switch (property.type) {
    case 'text': {
      if (typeof raw !== 'string')
        throw invalidInput('ticket-property-not-text', 'custom.{{key}} must be text; "{{value}}" is not', { key, value: shown(raw) });
      const text = raw.trim();
      if (text.length > TICKET_TEXT_VALUE_MAX) {
        throw invalidInput('field-too-long', '{{field}} must be at most {{max}} characters (it has {{length}}); shorten it', {
          field: `custom.${key}`,
          max: TICKET_TEXT_VALUE_MAX,
          length: text.length,
        });
      }
      // An empty text is no value: the property is cleared.
      return text === '' ? null : text;
    }
    case 'number':
      if (typeof raw !== 'number' || !Number.isFinite(raw)) {
        throw invalidInput('ticket-property-not-number', 'custom.{{key}} must be a number; "{{value}}" is not', { key, value: shown(raw) });
      }
      return raw;
    case 'date':
      if (typeof raw !== 'string' || !isDate(raw)) {
        throw invalidInput('ticket-property-not-date', 'custom.{{key}} must be a date as YYYY-MM-DD; "{{value}}" is not', { key, value: shown(raw) });
      }
      return raw;
    case 'choice':
      if (typeof raw !== 'string' || !(property.options ?? []).includes(raw)) {
        throw invalidInput('ticket-property-not-option', 'custom.{{key}} must be one of {{options}}; "{{value}}" is not', {
          key,
          options: (property.options ?? []).join(', '),
          value: shown(raw),
        });
      }
      return raw;
  }
}

function isDate(text: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) return false;
  const date = new Date(`${text}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === text;
}

function applyCustom(current: CustomValues, changes: CustomChanges): CustomValues {
  const next: Record<string, PropertyValue> = { ...current };
  for (const [key, value] of Object.entries(changes)) {
    if (value === null) delete next[key];
    else next[key] = value;
  }
  return next;
}

/** A value as a refusal names it: short, and never an object's "[object Object]". */
function shown(value: unknown): string {
  const text = typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
  return text.length > 100 ? `${text.slice(0, 100)}…` : text;
}
