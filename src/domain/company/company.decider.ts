import type { Decider } from '../shared/decider';
import { conflict, invalidInput, notFound } from '../shared/domain-error';
import type { CustomValues, PropertyDefinition } from '../record-settings/record-properties';
import { isDomain, validCustomChanges } from '../record-settings/record-settings.decider';
import { applyCustom } from '../contact/contact.decider';
import type { CompanyChanged, CompanyEvent } from './company.events';

export const COMPANY_NAME_MAX_LENGTH = 200;

export type CompanyCommand =
  | {
      type: 'CreateCompany';
      data: { companyId: string; name: string; domain?: string | null; source: 'email-domain' | 'agent'; createdAt: string };
    }
  /** `definitions`: the live custom properties (the handler reads them from the record settings). */
  | { type: 'ChangeCompany'; data: { name?: string; domain?: string | null; custom?: Record<string, unknown>; definitions: readonly PropertyDefinition[] } };

export type CompanyState =
  | { readonly status: 'none' }
  | { readonly status: 'active'; readonly companyId: string; readonly name: string; readonly domain: string | null; readonly custom: CustomValues };

export const companyDecider: Decider<CompanyCommand, CompanyEvent, CompanyState> = {
  initialState: () => ({ status: 'none' }),

  evolve: (state, event) => {
    switch (event.type) {
      case 'CompanyCreated':
        return { status: 'active', companyId: event.data.companyId, name: event.data.name, domain: event.data.domain, custom: {} };
      case 'CompanyChanged': {
        if (state.status !== 'active') return state;
        const { name, domain, custom } = event.data;
        return {
          ...state,
          ...(name === undefined ? {} : { name }),
          ...(domain === undefined ? {} : { domain }),
          ...(custom === undefined ? {} : { custom: applyCustom(state.custom, custom) }),
        };
      }
      default:
        return state;
    }
  },

  decide: (command, state) => {
    switch (command.type) {
      case 'CreateCompany': {
        const { companyId, source, createdAt } = command.data;
        if (state.status !== 'none') {
          // The company of a domain is found by its derived id: a second contact of the domain finds it made.
          if (source === 'email-domain') return [];
          throw conflict('company-exists', 'company {{companyId}} already exists', { companyId });
        }
        return [
          { type: 'CompanyCreated', data: { companyId, name: validName(command.data.name), domain: validDomain(command.data.domain), source, createdAt } },
        ];
      }
      case 'ChangeCompany': {
        if (state.status !== 'active') throw notFound('company-not-found', 'company not found; check the company id');
        const data: CompanyChanged['data'] = {};
        if (command.data.name !== undefined) {
          const name = validName(command.data.name);
          if (name !== state.name) data.name = name;
        }
        if (command.data.domain !== undefined) {
          const domain = validDomain(command.data.domain);
          if (domain !== state.domain) data.domain = domain;
        }
        if (command.data.custom !== undefined) {
          const changes = validCustomChanges(command.data.custom, command.data.definitions, 'company');
          const custom = Object.fromEntries(
            Object.entries(changes).filter(([key, value]) => (value === null ? state.custom[key] !== undefined : state.custom[key] !== value)),
          );
          if (Object.keys(custom).length > 0) data.custom = custom;
        }
        if (Object.keys(data).length === 0) return [];
        return [{ type: 'CompanyChanged', data }];
      }
      default: {
        const unknown: never = command;
        throw invalidInput('unknown-command', 'unknown {{aggregate}} command {{type}}', {
          aggregate: 'company',
          type: JSON.stringify((unknown as { type?: unknown }).type),
        });
      }
    }
  },
};

function validName(value: unknown): string {
  const name = typeof value === 'string' ? value.trim() : '';
  if (name === '') throw invalidInput('company-name-empty', 'name must not be empty: give the company a name');
  if (name.length > COMPANY_NAME_MAX_LENGTH) {
    throw invalidInput('field-too-long', '{{field}} must be at most {{max}} characters (it has {{length}}); shorten it', {
      field: 'name',
      max: COMPANY_NAME_MAX_LENGTH,
      length: name.length,
    });
  }
  return name;
}

function validDomain(value: unknown): string | null {
  if (value === undefined || value === null || value === '') return null;
  const domain = typeof value === 'string' ? value.trim().toLowerCase().replace(/^@/, '') : '';
  if (!isDomain(domain))
    throw invalidInput('company-domain-invalid', 'domain must be a domain like acme.com (got {{value}})', { value: JSON.stringify(value) });
  return domain;
}

/** `acme-corp.co.uk` -> `Acme Corp`: the first label, dashes as spaces, capitalised. Agents rename it. */
export function companyNameFromDomain(domain: string): string {
  const label = domain.split('.')[0].replace(/[-_]+/g, ' ').trim();
  if (label === '') return domain;
  return label
    .split(/\s+/)
    .map((word) => word.charAt(0).toUpperCase() + word.slice(1))
    .join(' ');
}
