import type { PropertyDefinition, RecordObject } from './record-properties';

/**
 * Account-wide settings of the records, one stream (`record-settings`): custom property
 * definitions, which properties the contact and ticket cards show, and the free-mail domains that
 * never make a company.
 */
export type RecordSettingsEvent = PropertyDefined | PropertyChanged | PropertyArchived | CardPropertiesChosen | FreeMailDomainsSet;

export interface PropertyDefined {
  type: 'PropertyDefined';
  data: PropertyDefinition;
}

/** Only what changed is present; a property's type never changes. */
export interface PropertyChanged {
  type: 'PropertyChanged';
  data: { object: RecordObject; key: string; label?: string; options?: string[] };
}

/** Archived: no longer offered or shown; stored values stay in the history. */
export interface PropertyArchived {
  type: 'PropertyArchived';
  data: { object: RecordObject; key: string };
}

/** The properties a record's card in the conversation sidebar shows, in order (built-in keys and custom keys). */
export interface CardPropertiesChosen {
  type: 'CardPropertiesChosen';
  data: { object: 'contact' | 'ticket'; keys: string[] };
}

/** Email domains that never create or join a company (gmail.com …), lower-case; replaces the list. */
export interface FreeMailDomainsSet {
  type: 'FreeMailDomainsSet';
  data: { domains: string[] };
}
