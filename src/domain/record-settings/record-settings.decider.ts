import type { Decider } from '../shared/decider';
import { invalidInput, notFound } from '../shared/domain-error';
import {
  DEFAULT_FREE_MAIL_DOMAINS,
  PROPERTY_TYPES,
  RECORD_OBJECTS,
  type CustomChanges,
  type PropertyDefinition,
  type PropertyType,
  type PropertyValue,
  type RecordObject,
} from './record-properties';
import type { RecordSettingsEvent } from './record-settings.events';

export const PROPERTY_KEY_PATTERN = /^[a-z][a-z0-9_]{0,39}$/;
export const PROPERTY_LABEL_MAX_LENGTH = 100;
export const CHOICE_OPTIONS_MAX = 50;
export const CHOICE_OPTION_MAX_LENGTH = 100;
export const CARD_PROPERTIES_MAX = 8;
export const FREE_MAIL_DOMAINS_MAX = 500;
export const TEXT_VALUE_MAX_LENGTH = 2000;

/** The properties every contact and ticket has without any definition: a card may show them. */
export const BUILT_IN_CARD_KEYS: Readonly<Record<'contact' | 'ticket', readonly string[]>> = {
  contact: ['name', 'emails', 'phones', 'company', 'jobTitle'],
  ticket: ['status', 'priority', 'owner', 'createdAt'],
};

/** What a card shows before an admin chooses. */
export const DEFAULT_CARD_PROPERTIES: Readonly<Record<'contact' | 'ticket', readonly string[]>> = {
  contact: ['emails', 'phones', 'company', 'jobTitle'],
  ticket: ['status', 'priority', 'owner'],
};

export type RecordSettingsCommand =
  | { type: 'DefineProperty'; data: PropertyDefinition }
  | { type: 'ChangeProperty'; data: { object: RecordObject; key: string; label?: string; options?: string[] } }
  | { type: 'ArchiveProperty'; data: { object: RecordObject; key: string } }
  | { type: 'ChooseCardProperties'; data: { object: 'contact' | 'ticket'; keys: string[] } }
  | { type: 'SetFreeMailDomains'; data: { domains: string[] } };

export interface RecordSettingsState {
  /** Live and archived definitions, in the order they were defined. */
  readonly properties: readonly (PropertyDefinition & { archived: boolean })[];
  readonly cardProperties: Readonly<Record<'contact' | 'ticket', readonly string[]>>;
  readonly freeMailDomains: readonly string[];
}

export const recordSettingsDecider: Decider<RecordSettingsCommand, RecordSettingsEvent, RecordSettingsState> = {
  initialState: () => ({ properties: [], cardProperties: DEFAULT_CARD_PROPERTIES, freeMailDomains: DEFAULT_FREE_MAIL_DOMAINS }),

  evolve: (state, event) => {
    switch (event.type) {
      case 'PropertyDefined':
        return { ...state, properties: [...state.properties, { ...event.data, archived: false }] };
      case 'PropertyChanged': {
        const { object, key, label, options } = event.data;
        return {
          ...state,
          properties: state.properties.map((p) =>
            p.object === object && p.key === key ? { ...p, ...(label === undefined ? {} : { label }), ...(options === undefined ? {} : { options }) } : p,
          ),
        };
      }
      case 'PropertyArchived': {
        const { object, key } = event.data;
        const properties = state.properties.map((p) => (p.object === object && p.key === key ? { ...p, archived: true } : p));
        const cardProperties =
          object === 'company' ? state.cardProperties : { ...state.cardProperties, [object]: state.cardProperties[object].filter((k) => k !== key) };
        return { ...state, properties, cardProperties };
      }
      case 'CardPropertiesChosen':
        return { ...state, cardProperties: { ...state.cardProperties, [event.data.object]: event.data.keys } };
      case 'FreeMailDomainsSet':
        return { ...state, freeMailDomains: event.data.domains };
      default:
        return state;
    }
  },

  decide: (command, state) => {
    switch (command.type) {
      case 'DefineProperty': {
        const object = validObject(command.data.object);
        const key = typeof command.data.key === 'string' ? command.data.key.trim() : '';
        if (!PROPERTY_KEY_PATTERN.test(key)) {
          throw invalidInput('property-key-invalid', 'key must be a lower-case letter followed by up to 39 lower-case letters, digits or _ (got {{value}})', {
            value: JSON.stringify(command.data.key),
          });
        }
        if (state.properties.some((p) => p.object === object && p.key === key)) {
          throw invalidInput('property-key-taken', 'the {{object}} property {{key}} exists (perhaps archived); choose another key', { object, key });
        }
        const type = command.data.type;
        if (!PROPERTY_TYPES.includes(type)) {
          throw invalidInput('property-type-invalid', 'type must be one of {{allowed}} (got {{value}})', {
            allowed: PROPERTY_TYPES.join(', '),
            value: JSON.stringify(type),
          });
        }
        const definition: PropertyDefinition = { object, key, label: validLabel(command.data.label), type };
        if (type === 'choice') definition.options = validOptions(command.data.options);
        else if (command.data.options !== undefined) {
          throw invalidInput('property-options-not-choice', 'options are only for properties of type choice (this one is {{type}})', { type });
        }
        return [{ type: 'PropertyDefined', data: definition }];
      }
      case 'ChangeProperty': {
        const property = live(state, command.data.object, command.data.key);
        const data: { object: RecordObject; key: string; label?: string; options?: string[] } = { object: property.object, key: property.key };
        if (command.data.label !== undefined) {
          const label = validLabel(command.data.label);
          if (label !== property.label) data.label = label;
        }
        if (command.data.options !== undefined) {
          if (property.type !== 'choice') {
            throw invalidInput('property-options-not-choice', 'options are only for properties of type choice (this one is {{type}})', { type: property.type });
          }
          const options = validOptions(command.data.options);
          if (JSON.stringify(options) !== JSON.stringify(property.options ?? [])) data.options = options;
        }
        if (data.label === undefined && data.options === undefined) return [];
        return [{ type: 'PropertyChanged', data }];
      }
      case 'ArchiveProperty': {
        const found = state.properties.find((p) => p.object === command.data.object && p.key === command.data.key);
        if (found?.archived) return [];
        const property = live(state, command.data.object, command.data.key);
        return [{ type: 'PropertyArchived', data: { object: property.object, key: property.key } }];
      }
      case 'ChooseCardProperties': {
        const object = command.data.object;
        if (object !== 'contact' && object !== 'ticket') {
          throw invalidInput('card-object-invalid', 'cards exist for contact and ticket (got {{value}})', { value: JSON.stringify(object) });
        }
        if (!Array.isArray(command.data.keys)) throw invalidInput('card-keys-not-list', 'keys must be a list of property keys');
        if (command.data.keys.length > CARD_PROPERTIES_MAX) {
          throw invalidInput('card-keys-too-many', 'a card shows at most {{max}} properties (got {{count}})', {
            max: CARD_PROPERTIES_MAX,
            count: command.data.keys.length,
          });
        }
        const allowed = new Set([...BUILT_IN_CARD_KEYS[object], ...state.properties.filter((p) => p.object === object && !p.archived).map((p) => p.key)]);
        const keys: string[] = [];
        command.data.keys.forEach((key, i) => {
          if (typeof key !== 'string' || !allowed.has(key)) {
            throw invalidInput('card-key-unknown', '{{field}} is not a property of {{object}}s (got {{value}})', {
              field: `keys[${i}]`,
              object,
              value: JSON.stringify(key),
            });
          }
          if (!keys.includes(key)) keys.push(key);
        });
        if (JSON.stringify(keys) === JSON.stringify(state.cardProperties[object])) return [];
        return [{ type: 'CardPropertiesChosen', data: { object, keys } }];
      }
      case 'SetFreeMailDomains': {
        if (!Array.isArray(command.data.domains)) throw invalidInput('free-mail-domains-not-list', 'domains must be a list of email domains');
        const domains: string[] = [];
        command.data.domains.forEach((value, i) => {
          const domain = typeof value === 'string' ? value.trim().toLowerCase().replace(/^@/, '') : '';
          if (!isDomain(domain)) {
            throw invalidInput('free-mail-domain-invalid', '{{field}} is not an email domain like gmail.com (got {{value}})', {
              field: `domains[${i}]`,
              value: JSON.stringify(value),
            });
          }
          if (!domains.includes(domain)) domains.push(domain);
        });
        if (domains.length > FREE_MAIL_DOMAINS_MAX) {
          throw invalidInput('free-mail-domains-too-many', 'at most {{max}} free-mail domains (got {{count}})', {
            max: FREE_MAIL_DOMAINS_MAX,
            count: domains.length,
          });
        }
        if (JSON.stringify(domains) === JSON.stringify(state.freeMailDomains)) return [];
        return [{ type: 'FreeMailDomainsSet', data: { domains } }];
      }
      default: {
        const unknown: never = command;
        throw invalidInput('unknown-command', 'unknown {{aggregate}} command {{type}}', {
          aggregate: 'record settings',
          type: JSON.stringify((unknown as { type?: unknown }).type),
        });
      }
    }
  },
};

export function isDomain(value: string): boolean {
  return value.length <= 253 && /^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/.test(value);
}

function validObject(value: unknown): RecordObject {
  if (!RECORD_OBJECTS.includes(value as RecordObject)) {
    throw invalidInput('record-object-invalid', 'object must be one of {{allowed}} (got {{value}})', {
      allowed: RECORD_OBJECTS.join(', '),
      value: JSON.stringify(value),
    });
  }
  return value as RecordObject;
}

function live(state: RecordSettingsState, object: RecordObject, key: string): PropertyDefinition {
  const property = state.properties.find((p) => p.object === object && p.key === key && !p.archived);
  if (!property)
    throw notFound('property-not-found', 'the {{object}} property {{key}} does not exist (or is archived)', { object: String(object), key: String(key) });
  return property;
}

function validLabel(value: unknown): string {
  const label = typeof value === 'string' ? value.trim() : '';
  if (label === '') throw invalidInput('property-label-empty', 'label must not be empty: name the property');
  if (label.length > PROPERTY_LABEL_MAX_LENGTH) {
    throw invalidInput('field-too-long', '{{field}} must be at most {{max}} characters (it has {{length}}); shorten it', {
      field: 'label',
      max: PROPERTY_LABEL_MAX_LENGTH,
      length: label.length,
    });
  }
  return label;
}

function validOptions(value: unknown): string[] {
  if (!Array.isArray(value) || value.length === 0 || value.length > CHOICE_OPTIONS_MAX) {
    throw invalidInput('choice-options-count', 'options must be a list of 1 to {{max}} choices', { max: CHOICE_OPTIONS_MAX });
  }
  const options: string[] = [];
  value.forEach((raw, i) => {
    const option = typeof raw === 'string' ? raw.trim() : '';
    if (option === '' || option.length > CHOICE_OPTION_MAX_LENGTH) {
      throw invalidInput('choice-option-invalid', '{{field}} must be a text of 1 to {{max}} characters (got {{value}})', {
        field: `options[${i}]`,
        max: CHOICE_OPTION_MAX_LENGTH,
        value: JSON.stringify(raw),
      });
    }
    if (options.includes(option)) {
      throw invalidInput('choice-option-duplicate', '{{field}} repeats the option {{value}}; options must be unique', {
        field: `options[${i}]`,
        value: JSON.stringify(option),
      });
    }
    options.push(option);
  });
  return options;
}

/**
 * Custom property values checked against the live definitions of the record's object: the one place
 * contacts, companies and tickets validate them. `null` clears a value; a field path like
 * `custom.plan` names what was refused.
 */
export function validCustomChanges(changes: unknown, definitions: readonly PropertyDefinition[], object: RecordObject): CustomChanges {
  if (typeof changes !== 'object' || changes === null || Array.isArray(changes)) {
    throw invalidInput('custom-not-object', 'custom must be an object of property keys and values, e.g. {"plan":"Pro"}');
  }
  const result: Record<string, PropertyValue | null> = {};
  for (const [key, value] of Object.entries(changes as Record<string, unknown>)) {
    const field = `custom.${key}`;
    const definition = definitions.find((d) => d.object === object && d.key === key);
    if (!definition)
      throw invalidInput('custom-property-unknown', '{{field}} is not a property of {{object}}s; an admin defines properties in the record settings', {
        field,
        object,
      });
    result[key] = value === null || value === '' ? null : validValue(field, definition.type, value, definition.options ?? []);
  }
  return result;
}

function validValue(field: string, type: PropertyType, value: unknown, options: readonly string[]): PropertyValue {
  const shown = JSON.stringify(value) ?? String(value);
  switch (type) {
    case 'text': {
      if (typeof value !== 'string' || value.length > TEXT_VALUE_MAX_LENGTH) {
        throw invalidInput('custom-value-text', '{{field}} must be a text of at most {{max}} characters (got {{value}})', {
          field,
          max: TEXT_VALUE_MAX_LENGTH,
          value: shown.slice(0, 60),
        });
      }
      return value.trim();
    }
    case 'number': {
      const number = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : Number.NaN;
      if (!Number.isFinite(number))
        throw invalidInput('custom-value-number', '{{field}} must be a number (got {{value}})', { field, value: shown.slice(0, 60) });
      return number;
    }
    case 'date': {
      if (typeof value !== 'string' || !isCalendarDate(value)) {
        throw invalidInput('custom-value-date', '{{field}} must be a date as YYYY-MM-DD (got {{value}})', { field, value: shown.slice(0, 60) });
      }
      return value;
    }
    case 'choice': {
      if (typeof value !== 'string' || !options.includes(value)) {
        throw invalidInput('custom-value-choice', '{{field}} must be one of {{allowed}} (got {{value}})', {
          field,
          allowed: options.join(', '),
          value: shown.slice(0, 60),
        });
      }
      return value;
    }
  }
}

function isCalendarDate(value: string): boolean {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (!match) return false;
  const date = new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])));
  return date.getUTCFullYear() === Number(match[1]) && date.getUTCMonth() === Number(match[2]) - 1 && date.getUTCDate() === Number(match[3]);
}
