import { isEmailAddress } from '../shared/address';
import type { Decider } from '../shared/decider';
import { conflict, invalidInput, invalidTransition, notFound } from '../shared/domain-error';
import type { CustomChanges, CustomValues, PropertyDefinition } from '../record-settings/record-properties';
import { validCustomChanges } from '../record-settings/record-settings.decider';
import type { ContactEvent, ContactMergedIn, ContactPropertiesChanged } from './contact.events';
import { identityKey, normalizePhone, type ContactIdentity } from './identity';

export const CONTACT_NAME_MAX_LENGTH = 200;
export const CONTACT_JOB_TITLE_MAX_LENGTH = 200;
export const CONTACT_IDENTITIES_MAX = 50;

/** An agent's edit: only the keys given change; `emails` / `phones` replace those identity lists. */
export interface ContactPropertyChanges {
  name?: string;
  jobTitle?: string;
  companyId?: string | null;
  emails?: string[];
  phones?: string[];
  custom?: Record<string, unknown>;
}

export type ContactCommand =
  | {
      type: 'CreateContact';
      data: {
        contactId: string;
        identities: ContactIdentity[];
        name?: string;
        source: 'inbound' | 'agent' | 'split';
        splitFrom?: string;
        createdAt: string;
        /**
         * The company the new contact's email domain joins it to (the contact-records process
         * manager): recorded in the same append, as the ContactPropertiesChanged that AssociateCompany
         * writes. Nothing when the contact exists already.
         */
        joinCompanyId?: string;
      };
    }
  /** `definitions`: the live custom properties (the handler reads them from the record settings). */
  | { type: 'ChangeContactProperties'; data: { changes: ContactPropertyChanges; definitions: readonly PropertyDefinition[] } }
  /** A message carried a name: it fills the contact's name only while it is empty. */
  | { type: 'FillContactName'; data: { name: string } }
  /** The company found by the email domain: only while the contact has none. */
  | { type: 'AssociateCompany'; data: { companyId: string } }
  /** The source side of a merge. */
  | { type: 'MergeContactInto'; data: { contactId: string; intoContactId: string; at: string } }
  /** The target side of a merge: what the source held (`from`) joins this contact. */
  | {
      type: 'AcceptMergedContact';
      data: {
        contactId: string;
        fromContactId: string;
        from: { identities: ContactIdentity[]; name: string | null; jobTitle: string | null; companyId: string | null; custom: CustomValues };
        at: string;
      };
    }
  | { type: 'SplitContactIdentity'; data: { identityKey: string; splitTo: string } }
  | { type: 'EraseContact'; data: { at: string; conversationIds: string[]; ticketIds: string[] } };

export type ContactState =
  | { readonly status: 'none' }
  | {
      readonly status: 'active';
      readonly contactId: string;
      readonly identities: readonly ContactIdentity[];
      readonly name: string | null;
      readonly jobTitle: string | null;
      readonly companyId: string | null;
      readonly custom: CustomValues;
    }
  | { readonly status: 'merged'; readonly contactId: string; readonly into: string }
  | { readonly status: 'erased'; readonly contactId: string };

export type ActiveContact = Extract<ContactState, { status: 'active' }>;

export const contactDecider: Decider<ContactCommand, ContactEvent, ContactState> = {
  initialState: () => ({ status: 'none' }),

  evolve: (state, event) => {
    switch (event.type) {
      case 'ContactCreated':
        return {
          status: 'active',
          contactId: event.data.contactId,
          identities: event.data.identities,
          name: event.data.name ?? null,
          jobTitle: null,
          companyId: null,
          custom: {},
        };
      case 'ContactIdentityAdded':
        if (state.status !== 'active') return state;
        return { ...state, identities: [...state.identities, event.data.identity] };
      case 'ContactIdentityRemoved': {
        if (state.status !== 'active') return state;
        const key = identityKey(event.data.identity);
        return { ...state, identities: state.identities.filter((i) => identityKey(i) !== key) };
      }
      case 'ContactPropertiesChanged': {
        if (state.status !== 'active') return state;
        const { name, jobTitle, companyId, custom } = event.data;
        return {
          ...state,
          ...(name === undefined ? {} : { name: name === '' ? null : name }),
          ...(jobTitle === undefined ? {} : { jobTitle: jobTitle === '' ? null : jobTitle }),
          ...(companyId === undefined ? {} : { companyId }),
          ...(custom === undefined ? {} : { custom: applyCustom(state.custom, custom) }),
        };
      }
      case 'ContactMerged':
        return { status: 'merged', contactId: state.status === 'none' ? '' : state.contactId, into: event.data.intoContactId };
      case 'ContactMergedIn': {
        if (state.status !== 'active') return state;
        const known = new Set(state.identities.map(identityKey));
        const { filled } = event.data;
        return {
          ...state,
          identities: [...state.identities, ...event.data.identities.filter((i) => !known.has(identityKey(i)))],
          name: state.name ?? filled.name ?? null,
          jobTitle: state.jobTitle ?? filled.jobTitle ?? null,
          companyId: state.companyId ?? filled.companyId ?? null,
          custom: { ...(filled.custom ?? {}), ...state.custom },
        };
      }
      case 'ContactErased':
        return { status: 'erased', contactId: state.status === 'none' ? '' : state.contactId };
      default:
        return state;
    }
  },

  decide: (command, state) => {
    switch (command.type) {
      case 'CreateContact': {
        const { contactId, source, splitFrom, createdAt } = command.data;
        // Inbound creation runs at least once per message: an existing contact is that contact.
        if (state.status !== 'none') {
          if (source === 'inbound') return [];
          throw conflict('contact-exists', 'contact {{contactId}} already exists', { contactId });
        }
        const identities = uniqueIdentities(command.data.identities);
        const name = command.data.name === undefined ? undefined : validText('name', command.data.name, CONTACT_NAME_MAX_LENGTH);
        if (!name && identities.length === 0) {
          throw invalidInput('contact-empty', 'a contact needs a name, an email address or a phone number');
        }
        const created: ContactEvent = {
          type: 'ContactCreated',
          data: { contactId, identities, ...(name ? { name } : {}), source, ...(splitFrom ? { splitFrom } : {}), createdAt },
        };
        const { joinCompanyId } = command.data;
        if (!joinCompanyId) return [created];
        return [created, { type: 'ContactPropertiesChanged', data: { companyId: joinCompanyId, via: 'email-domain' } }];
      }
      case 'ChangeContactProperties': {
        const contact = active(state);
        const { changes, definitions } = command.data;
        const events: ContactEvent[] = [];
        if (changes.emails !== undefined || changes.phones !== undefined) {
          const wanted = [
            ...(changes.emails === undefined ? contact.identities.filter((i) => i.kind === 'email') : changes.emails.map((v, i) => emailIdentity(v, i))),
            ...(changes.phones === undefined ? contact.identities.filter((i) => i.kind === 'phone') : changes.phones.map((v, i) => phoneIdentity(v, i))),
          ];
          const others = contact.identities.filter((i) => i.kind !== 'email' && i.kind !== 'phone');
          const next = uniqueIdentities([...others, ...wanted]);
          if (next.length > CONTACT_IDENTITIES_MAX) {
            throw invalidInput('contact-identities-too-many', 'a contact holds at most {{max}} identities (got {{count}})', {
              max: CONTACT_IDENTITIES_MAX,
              count: next.length,
            });
          }
          const nextKeys = new Set(next.map(identityKey));
          const currentKeys = new Set(contact.identities.map(identityKey));
          for (const identity of contact.identities) {
            if (!nextKeys.has(identityKey(identity))) events.push({ type: 'ContactIdentityRemoved', data: { identity } });
          }
          for (const identity of next) {
            if (!currentKeys.has(identityKey(identity))) events.push({ type: 'ContactIdentityAdded', data: { identity } });
          }
          if (next.length === 0 && !(changes.name ?? contact.name)) {
            throw invalidInput('contact-empty', 'a contact needs a name, an email address or a phone number');
          }
        }
        const data: ContactPropertiesChanged['data'] = {};
        if (changes.name !== undefined) {
          const name = validText('name', changes.name, CONTACT_NAME_MAX_LENGTH);
          if (name !== (contact.name ?? '')) data.name = name;
        }
        if (changes.jobTitle !== undefined) {
          const jobTitle = validText('jobTitle', changes.jobTitle, CONTACT_JOB_TITLE_MAX_LENGTH);
          if (jobTitle !== (contact.jobTitle ?? '')) data.jobTitle = jobTitle;
        }
        if (changes.companyId !== undefined && changes.companyId !== contact.companyId) data.companyId = changes.companyId;
        if (changes.custom !== undefined) {
          const custom = changedOnly(validCustomChanges(changes.custom, definitions, 'contact'), contact.custom);
          if (Object.keys(custom).length > 0) data.custom = custom;
        }
        if (Object.keys(data).length > 0) events.push({ type: 'ContactPropertiesChanged', data });
        return events;
      }
      case 'FillContactName': {
        if (state.status !== 'active' || state.name) return [];
        const name = command.data.name.trim().slice(0, CONTACT_NAME_MAX_LENGTH);
        if (name === '') return [];
        return [{ type: 'ContactPropertiesChanged', data: { name, via: 'message' } }];
      }
      case 'AssociateCompany': {
        if (state.status !== 'active' || state.companyId) return [];
        return [{ type: 'ContactPropertiesChanged', data: { companyId: command.data.companyId, via: 'email-domain' } }];
      }
      case 'MergeContactInto': {
        const { contactId, intoContactId, at } = command.data;
        if (contactId === intoContactId) throw invalidInput('contact-merge-self', 'a contact cannot be merged into itself');
        if (state.status === 'merged') {
          if (state.into === intoContactId) return [];
          throw invalidTransition('contact-merge-from-merged', 'contact {{contactId}} was merged into {{into}} already; merge that one instead', {
            contactId,
            into: state.into,
          });
        }
        if (state.status === 'erased')
          throw invalidTransition('contact-merge-from-erased', 'contact {{contactId}} was erased; it cannot be merged', { contactId });
        active(state);
        return [{ type: 'ContactMerged', data: { intoContactId, at } }];
      }
      case 'AcceptMergedContact': {
        const { contactId, fromContactId, from, at } = command.data;
        if (contactId === fromContactId) throw invalidInput('contact-merge-self', 'a contact cannot be merged into itself');
        if (state.status === 'merged') {
          throw invalidTransition('contact-merge-into-merged', 'contact {{contactId}} was merged into {{into}}; merge into that one instead', {
            contactId,
            into: state.into,
          });
        }
        if (state.status === 'erased')
          throw invalidTransition('contact-merge-into-erased', 'contact {{contactId}} was erased; nothing can be merged into it', { contactId });
        const target = active(state);
        const known = new Set(target.identities.map(identityKey));
        const identities = from.identities.filter((i) => !known.has(identityKey(i)));
        const filled: ContactMergedIn['data']['filled'] = {};
        if (!target.name && from.name) filled.name = from.name;
        if (!target.jobTitle && from.jobTitle) filled.jobTitle = from.jobTitle;
        if (!target.companyId && from.companyId) filled.companyId = from.companyId;
        const custom = Object.fromEntries(Object.entries(from.custom).filter(([key]) => target.custom[key] === undefined));
        if (Object.keys(custom).length > 0) filled.custom = custom;
        return [{ type: 'ContactMergedIn', data: { fromContactId, identities, filled, at } }];
      }
      case 'SplitContactIdentity': {
        const contact = active(state);
        const identity = contact.identities.find((i) => identityKey(i) === command.data.identityKey);
        if (!identity) {
          throw invalidInput('contact-identity-unknown', 'identity {{value}} is not one of the contact identities {{known}}', {
            value: JSON.stringify(command.data.identityKey),
            known: contact.identities.map(identityKey).join(', '),
          });
        }
        if (contact.identities.length === 1) {
          throw invalidTransition('contact-split-last-identity', 'identity {{value}} is the only identity of the contact; there is nothing to split it from', {
            value: command.data.identityKey,
          });
        }
        return [{ type: 'ContactIdentityRemoved', data: { identity, splitTo: command.data.splitTo } }];
      }
      case 'EraseContact': {
        if (state.status === 'erased') return [];
        if (state.status === 'none') throw notFound('contact-not-found', 'contact not found; check the contact id');
        return [{ type: 'ContactErased', data: command.data }];
      }
      default: {
        const unknown: never = command;
        throw invalidInput('unknown-command', 'unknown {{aggregate}} command {{type}}', {
          aggregate: 'contact',
          type: JSON.stringify((unknown as { type?: unknown }).type),
        });
      }
    }
  },
};

/** The contact, or 404 for one that never existed, was merged away or erased. */
export function active(state: ContactState): ActiveContact {
  if (state.status === 'merged') {
    throw invalidTransition('contact-merged', 'contact {{contactId}} was merged into {{into}}; change that one', {
      contactId: state.contactId,
      into: state.into,
    });
  }
  if (state.status === 'erased') throw invalidTransition('contact-erased', 'contact {{contactId}} was erased', { contactId: state.contactId });
  if (state.status !== 'active') throw notFound('contact-not-found', 'contact not found; check the contact id');
  return state;
}

function validText(field: string, value: unknown, max: number): string {
  if (typeof value !== 'string')
    throw invalidInput('field-not-text', '{{field}} must be a text (got {{value}})', { field, value: JSON.stringify(value) ?? String(value) });
  const text = value.trim();
  if (text.length > max)
    throw invalidInput('field-too-long', '{{field}} must be at most {{max}} characters (it has {{length}}); shorten it', { field, max, length: text.length });
  return text;
}

function emailIdentity(value: unknown, i: number): ContactIdentity {
  const email = typeof value === 'string' ? value.trim().toLowerCase() : '';
  if (!isEmailAddress(email)) {
    throw invalidInput('contact-emails-invalid', '{{field}} is not an email address (got {{value}})', {
      field: `emails[${i}]`,
      value: JSON.stringify(value) ?? String(value),
    });
  }
  return { kind: 'email', value: email };
}

function phoneIdentity(value: unknown, i: number): ContactIdentity {
  const phone = typeof value === 'string' ? normalizePhone(value) : null;
  if (!phone) {
    throw invalidInput('contact-phones-invalid', '{{field}} is not a phone number like +31612345678 (got {{value}})', {
      field: `phones[${i}]`,
      value: JSON.stringify(value) ?? String(value),
    });
  }
  return { kind: 'phone', value: phone };
}

/** The identities an agent gives at creation: emails and phones checked like in an edit. */
export function identitiesFromLists(emails: readonly unknown[] = [], phones: readonly unknown[] = []): ContactIdentity[] {
  return uniqueIdentities([...emails.map((v, i) => emailIdentity(v, i)), ...phones.map((v, i) => phoneIdentity(v, i))]);
}

function uniqueIdentities(identities: readonly ContactIdentity[]): ContactIdentity[] {
  const seen = new Set<string>();
  return identities.filter((identity) => {
    const key = identityKey(identity);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function changedOnly(changes: CustomChanges, current: CustomValues): CustomChanges {
  return Object.fromEntries(Object.entries(changes).filter(([key, value]) => (value === null ? current[key] !== undefined : current[key] !== value)));
}

export function applyCustom(current: CustomValues, changes: CustomChanges): CustomValues {
  const next: Record<string, string | number> = { ...current };
  for (const [key, value] of Object.entries(changes)) {
    if (value === null) delete next[key];
    else next[key] = value;
  }
  return next;
}
