/**
 * Custom properties of the records (contacts, companies, tickets), defined per account by admins
 * (stream `record-settings`, src/domain/record-settings/record-settings.events.ts).
 */
export type RecordObject = 'contact' | 'company' | 'ticket';
export const RECORD_OBJECTS: readonly RecordObject[] = ['contact', 'company', 'ticket'];

export type PropertyType = 'text' | 'number' | 'date' | 'choice';
export const PROPERTY_TYPES: readonly PropertyType[] = ['text', 'number', 'date', 'choice'];

/** A property's value: text, a number, a date (`YYYY-MM-DD`) as text, or one of a choice's options. */
export type PropertyValue = string | number;

/** Custom property values by property key; a key absent means no value. */
export type CustomValues = Readonly<Record<string, PropertyValue>>;

/** In a change: a key set to null clears that property. */
export type CustomChanges = Readonly<Record<string, PropertyValue | null>>;

export interface PropertyDefinition {
  object: RecordObject;
  /** `^[a-z][a-z0-9_]{0,39}$`, unique per object, never reused after archiving. */
  key: string;
  label: string;
  type: PropertyType;
  /** For `choice`: the options, in order. */
  options?: string[];
}

/** Free-mail domains out of the box: an address there never makes or joins a company. Admins change the list. */
export const DEFAULT_FREE_MAIL_DOMAINS: readonly string[] = [
  'gmail.com',
  'googlemail.com',
  'outlook.com',
  'hotmail.com',
  'live.com',
  'msn.com',
  'yahoo.com',
  'ymail.com',
  'icloud.com',
  'me.com',
  'mac.com',
  'aol.com',
  'proton.me',
  'protonmail.com',
  'gmx.com',
  'gmx.net',
  'gmx.de',
  'web.de',
  't-online.de',
  'mail.com',
  'zoho.com',
  'yandex.com',
  'fastmail.com',
  'hey.com',
  'hotmail.nl',
  'outlook.nl',
  'live.nl',
  'ziggo.nl',
  'kpnmail.nl',
  'planet.nl',
  'home.nl',
  'xs4all.nl',
  'telenet.be',
  'skynet.be',
];
