import { isEmailAddress } from '../shared/address';
import type { Decider } from '../shared/decider';
import { conflict, invalidInput, notFound } from '../shared/domain-error';
import type { InboxCommand, InboxEvent, InboxUpdated } from './inbox.events';

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
    };

export const inboxDecider: Decider<InboxCommand, InboxEvent, InboxState> = {
  initialState: () => ({ status: 'none' }),

  evolve: (state, event) => {
    if (event.type === 'InboxCreated') return { status: 'created', ...event.data, memberIds: [] };
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
