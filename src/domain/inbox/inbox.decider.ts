import { isEmailAddress } from '../shared/address';
import type { Decider } from '../shared/decider';
import { conflict, invalidInput, notFound } from '../shared/domain-error';
import { CHANNEL_ID_PATTERN } from '../shared/types';
import {
  DEFAULT_BUSINESS_HOURS,
  DEFAULT_ROUTING,
  MAX_CAPACITY,
  ROUTING_MODES,
  WEEKDAYS,
  type BusinessHours,
  type InboxCommand,
  type InboxEvent,
  type InboxUpdated,
  type OpeningInterval,
  type RoutingSettings,
} from './inbox.events';

export const INBOX_NAME_MAX_LENGTH = 100;

export type InboxState =
  | { readonly status: 'none' }
  | {
      readonly status: 'created';
      readonly inboxId: string;
      readonly name: string;
      readonly emailAddress: string | null;
      readonly isDefault: boolean;
      /** Sorted, without duplicates. */
      readonly memberIds: readonly string[];
      readonly routing: RoutingSettings;
      readonly businessHours: BusinessHours;
    };

export const inboxDecider: Decider<InboxCommand, InboxEvent, InboxState> = {
  initialState: () => ({ status: 'none' }),

  evolve: (state, event) => {
    if (event.type === 'InboxCreated')
      return { status: 'created', ...event.data, memberIds: [], routing: DEFAULT_ROUTING, businessHours: DEFAULT_BUSINESS_HOURS };
    if (state.status !== 'created') return state;
    switch (event.type) {
      case 'InboxUpdated':
        return {
          ...state,
          ...(event.data.name === undefined ? {} : { name: event.data.name }),
          ...(event.data.emailAddress === undefined ? {} : { emailAddress: event.data.emailAddress }),
        };
      case 'InboxMembersSet':
        return { ...state, memberIds: memberSet(event.data.agentIds) };
      case 'InboxRoutingSet':
        return { ...state, routing: event.data };
      case 'InboxBusinessHoursSet':
        return { ...state, businessHours: event.data };
      default:
        return state;
    }
  },

  decide: (command, state) => {
    switch (command.type) {
      case 'CreateInbox': {
        if (state.status !== 'none')
          throw conflict('inbox-exists', 'inbox {{inboxId}} already exists; create the new inbox with a new id', { inboxId: state.inboxId });
        const { inboxId, isDefault } = command.data;
        const name = validName(command.data.name);
        const emailAddress = validEmailAddress(command.data.emailAddress ?? null);
        const memberIds = validMembers(command.data.memberIds ?? [], 'memberIds');
        const events: InboxEvent[] = [{ type: 'InboxCreated', data: { inboxId, name, emailAddress, isDefault } }];
        if (memberIds.length > 0) events.push({ type: 'InboxMembersSet', data: { agentIds: memberIds } });
        return events;
      }
      case 'UpdateInbox': {
        const inbox = existing(state);
        const changes: InboxUpdated['data'] = {};
        if (command.data.name !== undefined) {
          const name = validName(command.data.name);
          if (name !== inbox.name) changes.name = name;
        }
        if (command.data.emailAddress !== undefined) {
          const emailAddress = validEmailAddress(command.data.emailAddress);
          if (emailAddress !== inbox.emailAddress) changes.emailAddress = emailAddress;
        }
        if (Object.keys(changes).length === 0) return [];
        return [{ type: 'InboxUpdated', data: changes }];
      }
      case 'SetInboxMembers': {
        const inbox = existing(state);
        const memberIds = validMembers(command.data.agentIds ?? [], 'agentIds');
        if (memberIds.length === inbox.memberIds.length && memberIds.every((id, i) => id === inbox.memberIds[i])) return [];
        return [{ type: 'InboxMembersSet', data: { agentIds: memberIds } }];
      }
      case 'SetInboxRouting': {
        const inbox = existing(state);
        const routing = validRouting(command.data);
        if (JSON.stringify(routing) === JSON.stringify(inbox.routing)) return [];
        return [{ type: 'InboxRoutingSet', data: routing }];
      }
      case 'SetInboxBusinessHours': {
        const inbox = existing(state);
        const hours = validBusinessHours(command.data);
        if (JSON.stringify(hours) === JSON.stringify(inbox.businessHours)) return [];
        return [{ type: 'InboxBusinessHoursSet', data: hours }];
      }
      default: {
        const unknown: never = command;
        throw invalidInput('unknown-command', 'unknown {{aggregate}} command {{type}}', {
          aggregate: 'inbox',
          type: JSON.stringify((unknown as { type?: unknown }).type),
        });
      }
    }
  },
};

function existing(state: InboxState): Extract<InboxState, { status: 'created' }> {
  if (state.status === 'none') throw notFound('inbox-not-found', 'inbox not found; check the inbox id');
  return state;
}

/** A member list is a set: order and repeats carry no meaning. */
const memberSet = (ids: readonly string[]): string[] => [...new Set(ids)].sort();

function validMembers(ids: readonly string[], field: string): string[] {
  if (ids.some((id) => typeof id !== 'string' || id.trim() === '')) {
    throw invalidInput('agent-ids-empty-entry', '{{field}} must contain agent ids only; remove the empty entries', { field });
  }
  return memberSet(ids);
}

function validName(value: string): string {
  const name = (value ?? '').trim();
  if (name === '') throw invalidInput('inbox-name-empty', 'name must not be empty: give the inbox a name');
  if (name.length > INBOX_NAME_MAX_LENGTH) {
    throw invalidInput('field-too-long', '{{field}} must be at most {{max}} characters (it has {{length}}); shorten it', {
      field: 'name',
      max: INBOX_NAME_MAX_LENGTH,
      length: name.length,
    });
  }
  return name;
}

function validEmailAddress(value: string | null): string | null {
  if (value === null) return null;
  const address = value.trim().toLowerCase();
  if (!isEmailAddress(address)) {
    throw invalidInput('inbox-email-invalid', 'emailAddress must look like support@example.com (or be null for no address), got {{value}}', {
      value: JSON.stringify(value),
    });
  }
  return address;
}

const oneOf = (field: string, allowed: readonly string[], value: unknown) =>
  invalidInput('field-not-one-of', '{{field}} must be one of {{allowed}}, got {{value}}', {
    field,
    allowed: allowed.join(', '),
    value: JSON.stringify(value ?? null),
  });

function validCapacity(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > MAX_CAPACITY) {
    throw invalidInput('field-not-in-range', '{{field}} must be a whole number from {{min}} to {{max}}, got {{value}}', {
      field,
      min: 0,
      max: MAX_CAPACITY,
      value: JSON.stringify(value ?? null),
    });
  }
  return value;
}

/** Normalised: channels sorted without repeats, capacities by sorted agent id. */
function validRouting(data: RoutingSettings): RoutingSettings {
  if (!data || typeof data !== 'object')
    throw invalidInput('field-not-object', '{{field}} must be an object, got {{value}}', { field: 'routing', value: JSON.stringify(data ?? null) });
  if (!(ROUTING_MODES as readonly unknown[]).includes(data.mode)) throw oneOf('mode', ROUTING_MODES, data.mode);
  const channels = data.channels ?? [];
  if (!Array.isArray(channels))
    throw invalidInput('field-not-list', '{{field}} must be a list, got {{value}}', { field: 'channels', value: JSON.stringify(channels) });
  for (const channel of channels) {
    if (typeof channel !== 'string' || !CHANNEL_ID_PATTERN.test(channel)) {
      throw invalidInput('routing-channel-invalid', 'channels must name channels (lower-case letters, digits and dashes), got {{value}}', {
        value: JSON.stringify(channel ?? null),
      });
    }
  }
  const defaultCapacity = validCapacity(data.defaultCapacity ?? DEFAULT_ROUTING.defaultCapacity, 'defaultCapacity');
  const given = data.capacities ?? {};
  if (typeof given !== 'object' || Array.isArray(given)) {
    throw invalidInput('field-not-object', '{{field}} must be an object, got {{value}}', { field: 'capacities', value: JSON.stringify(given) });
  }
  const capacities: Record<string, number> = {};
  for (const agentId of Object.keys(given).sort()) {
    if (agentId.trim() === '')
      throw invalidInput('agent-ids-empty-entry', '{{field}} must contain agent ids only; remove the empty entries', { field: 'capacities' });
    capacities[agentId] = validCapacity(given[agentId], `capacities.${agentId}`);
  }
  return { mode: data.mode, channels: [...new Set(channels)].sort(), defaultCapacity, capacities };
}

const CLOCK_TIME = /^([01]\d|2[0-3]):([0-5]\d)$|^24:00$/;
const minutesOf = (time: string) => Number(time.slice(0, 2)) * 60 + Number(time.slice(3, 5));

function validBusinessHours(data: BusinessHours): BusinessHours {
  if (!data || typeof data !== 'object')
    throw invalidInput('field-not-object', '{{field}} must be an object, got {{value}}', { field: 'businessHours', value: JSON.stringify(data ?? null) });
  if (typeof data.enabled !== 'boolean') {
    throw invalidInput('field-not-boolean', '{{field}} must be true or false, got {{value}}', {
      field: 'enabled',
      value: JSON.stringify(data.enabled ?? null),
    });
  }
  const timeZone = typeof data.timeZone === 'string' ? data.timeZone.trim() : '';
  if (!isTimeZone(timeZone)) {
    throw invalidInput('time-zone-unknown', 'timeZone must be an IANA time zone such as Europe/Amsterdam or UTC, got {{value}}', {
      value: JSON.stringify(data.timeZone ?? null),
    });
  }
  const given = (data.week ?? {}) as Partial<Record<string, OpeningInterval[]>>;
  for (const day of Object.keys(given)) if (!(WEEKDAYS as readonly string[]).includes(day)) throw oneOf('week', WEEKDAYS, day);
  const week = {} as BusinessHours['week'];
  for (const day of WEEKDAYS) {
    const intervals = given[day] ?? [];
    if (!Array.isArray(intervals))
      throw invalidInput('field-not-list', '{{field}} must be a list, got {{value}}', { field: `week.${day}`, value: JSON.stringify(intervals) });
    const valid = intervals.map((interval) => {
      const from = interval?.from;
      const to = interval?.to;
      if (typeof from !== 'string' || typeof to !== 'string' || !CLOCK_TIME.test(from) || !CLOCK_TIME.test(to) || minutesOf(from) >= minutesOf(to)) {
        throw invalidInput('opening-interval-invalid', 'week.{{day}} has {{value}}: give opening hours as {"from": "09:00", "to": "17:00"}, from before to', {
          day,
          value: JSON.stringify(interval ?? null),
        });
      }
      return { from, to };
    });
    valid.sort((a, b) => minutesOf(a.from) - minutesOf(b.from));
    for (let i = 1; i < valid.length; i += 1) {
      if (minutesOf(valid[i].from) < minutesOf(valid[i - 1].to)) {
        throw invalidInput('opening-intervals-overlap', 'week.{{day}} has overlapping opening hours ({{first}} and {{second}}); merge them', {
          day,
          first: `${valid[i - 1].from}-${valid[i - 1].to}`,
          second: `${valid[i].from}-${valid[i].to}`,
        });
      }
    }
    week[day] = valid;
  }
  return { enabled: data.enabled, timeZone, week };
}

function isTimeZone(name: string): boolean {
  if (name === '') return false;
  try {
    new Intl.DateTimeFormat('en', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}
