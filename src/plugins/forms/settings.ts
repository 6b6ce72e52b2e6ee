import { ConnectionSettingsError, type ConnectionSettingField, type ConnectionSettingsContext, type PluginChannelConnection } from '../channel-plugin';
import { checkOrigins, describe, escapeAttribute, keptOrNewSecret, optionalBoolean, optionalText } from '../settings-checks';

/** The types a custom field may have (`select` carries its options). */
export type CustomFieldType = 'text' | 'textarea' | 'number' | 'email' | 'date' | 'select' | 'checkbox';

/** One custom field of a form, parsed from its line `key | Label | type | required`. */
export interface CustomField {
  key: string;
  label: string;
  type: CustomFieldType;
  required: boolean;
  /** `select` only. */
  options: string[];
}

/** A form's settings, as stored (the secret decrypted by the host). */
export interface FormSettings {
  title: string;
  intro: string;
  /** The name field: asked unless hidden, required only when asked for. */
  hideName: boolean;
  requireName: boolean;
  hideSubject: boolean;
  requireSubject: boolean;
  /** The custom fields' lines, normalised (`order_number | Order number | text | required`). */
  customFields: string[];
  /** Shown after sending; empty: Parley's own words in the visitor's language. */
  thankYou: string;
  /** Websites that may embed the form and post to it from their pages; empty: any. */
  allowedOrigins: string[];
  /** Signs the hosted page's CSRF tokens. */
  csrfSecret: string;
}

export const FORM_SECRETS = ['csrfSecret'] as const;

export const MAX_TITLE = 200;
export const MAX_INTRO = 2_000;
export const MAX_THANK_YOU = 2_000;
export const MAX_CUSTOM_FIELDS = 30;
export const MAX_OPTIONS = 50;
export const MAX_ORIGINS = 100;
export const MIN_SECRET = 32;
const FIELD_KEY = /^[a-z][a-z0-9_]{0,39}$/;
const TYPES: readonly string[] = ['text', 'textarea', 'number', 'email', 'date', 'select', 'checkbox'];

const KNOWN_SETTINGS = new Set([
  'title',
  'intro',
  'hideName',
  'requireName',
  'hideSubject',
  'requireSubject',
  'customFields',
  'thankYou',
  'allowedOrigins',
  'csrfSecret',
]);

/** The Inbox settings form for a support form (labels en + nl; the form's own words are the admin's). */
export const FORM_SETTING_FIELDS: readonly ConnectionSettingField[] = [
  {
    key: 'title',
    type: 'text',
    label: { en: 'Title of the form', nl: 'Titel van het formulier' },
    help: {
      en: 'Shown above the form, and the subject of a message sent without one.',
      nl: 'Staat boven het formulier, en is het onderwerp van een bericht zonder onderwerp.',
    },
  },
  {
    key: 'intro',
    type: 'textarea',
    label: { en: 'Introduction', nl: 'Inleiding' },
    help: { en: 'Optional text under the title.', nl: 'Optionele tekst onder de titel.' },
  },
  { key: 'hideName', type: 'checkbox', label: { en: 'Do not ask for a name', nl: 'Niet naar een naam vragen' } },
  { key: 'requireName', type: 'checkbox', label: { en: 'The name is required', nl: 'De naam is verplicht' } },
  { key: 'hideSubject', type: 'checkbox', label: { en: 'Do not ask for a subject', nl: 'Niet naar een onderwerp vragen' } },
  { key: 'requireSubject', type: 'checkbox', label: { en: 'The subject is required', nl: 'Het onderwerp is verplicht' } },
  {
    key: 'customFields',
    type: 'lines',
    label: { en: 'Extra fields', nl: 'Extra velden' },
    help: {
      en:
        'One per line: key | label | type | required, like "order_number | Order number | text | required". ' +
        'Types: text, textarea, number, email, date, select(option a; option b), checkbox. Email and message are always asked.',
      nl:
        'Eén per regel: sleutel | label | type | required, zoals "order_number | Bestelnummer | text | required". ' +
        'Types: text, textarea, number, email, date, select(optie a; optie b), checkbox. E-mailadres en bericht worden altijd gevraagd.',
    },
  },
  {
    key: 'thankYou',
    type: 'textarea',
    label: { en: 'Thank-you text', nl: 'Bedanktekst' },
    help: {
      en: "Shown after sending. Empty: a thank-you in the visitor's language.",
      nl: 'Staat er na het versturen. Leeg: een bedankje in de taal van de bezoeker.',
    },
  },
  {
    key: 'allowedOrigins',
    type: 'lines',
    label: { en: 'Websites allowed to embed the form', nl: 'Websites die het formulier mogen insluiten' },
    help: { en: 'One per line, like https://shop.example. Empty: any website.', nl: 'Eén per regel, zoals https://shop.example. Leeg: elke website.' },
  },
  {
    key: 'csrfSecret',
    type: 'secret',
    generate: true,
    label: { en: "Secret for the page's form tokens", nl: 'Geheim voor de formuliertokens van de pagina' },
    help: {
      en: 'At least 32 characters; generated when left empty. Changing it makes open form pages ask to reload.',
      nl: 'Minstens 32 tekens; wordt gemaakt als je het leeg laat. Wijzigen laat open formulierpagina’s om herladen vragen.',
    },
  },
];

/**
 * Checks and completes a form's settings (ConnectionSettingsSpec.validate), naming the setting
 * that is wrong; the CSRF secret is generated on create when none is given and kept on change.
 */
export function validateFormSettings(input: Record<string, unknown>, context: ConnectionSettingsContext): Record<string, unknown> {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw new ConnectionSettingsError('', `must be an object (got ${describe(input)})`);
  for (const key of Object.keys(input)) {
    if (!KNOWN_SETTINGS.has(key)) throw new ConnectionSettingsError(key, `is not a form setting (known: ${[...KNOWN_SETTINGS].join(', ')})`);
  }
  const title = optionalText(input.title, 'title', MAX_TITLE);
  if (title === '') throw new ConnectionSettingsError('title', `is required: the form's title, at most ${MAX_TITLE} characters (got ${describe(input.title)})`);
  const lines = customFieldLines(input.customFields);
  const settings: FormSettings = {
    title,
    intro: optionalText(input.intro, 'intro', MAX_INTRO),
    hideName: optionalBoolean(input.hideName, 'hideName'),
    requireName: optionalBoolean(input.requireName, 'requireName'),
    hideSubject: optionalBoolean(input.hideSubject, 'hideSubject'),
    requireSubject: optionalBoolean(input.requireSubject, 'requireSubject'),
    customFields: lines.map((line, index) => formatCustomField(parseCustomField(line, index))),
    thankYou: optionalText(input.thankYou, 'thankYou', MAX_THANK_YOU),
    allowedOrigins: checkOrigins(input.allowedOrigins, MAX_ORIGINS),
    csrfSecret: secret(input.csrfSecret, context.previous?.csrfSecret),
  };
  if (settings.hideName && settings.requireName) throw new ConnectionSettingsError('requireName', 'cannot be true while hideName is true (got both true)');
  if (settings.hideSubject && settings.requireSubject)
    throw new ConnectionSettingsError('requireSubject', 'cannot be true while hideSubject is true (got both true)');
  const keys = new Set<string>();
  settings.customFields.forEach((line, index) => {
    const { key } = parseCustomField(line, index);
    if (keys.has(key)) throw new ConnectionSettingsError(`customFields[${index}]`, `the key "${key}" is used twice; each field needs its own key`);
    keys.add(key);
  });
  return { ...settings };
}

/** The stored settings read back defensively (a bad line stored by an older version is left out). */
export function formSettings(connection: PluginChannelConnection): FormSettings & { fields: CustomField[] } {
  const s = connection.settings ?? {};
  const strings = (value: unknown) => (Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : []);
  const fields: CustomField[] = [];
  strings(s.customFields).forEach((line, index) => {
    try {
      fields.push(parseCustomField(line, index));
    } catch {
      // A line the current version cannot read is not offered; the admin sees it in the settings.
    }
  });
  return {
    title: typeof s.title === 'string' && s.title !== '' ? s.title : connection.name,
    intro: typeof s.intro === 'string' ? s.intro : '',
    hideName: s.hideName === true,
    requireName: s.requireName === true && s.hideName !== true,
    hideSubject: s.hideSubject === true,
    requireSubject: s.requireSubject === true && s.hideSubject !== true,
    customFields: strings(s.customFields),
    thankYou: typeof s.thankYou === 'string' ? s.thankYou : '',
    allowedOrigins: strings(s.allowedOrigins),
    csrfSecret: typeof s.csrfSecret === 'string' ? s.csrfSecret : '',
    fields,
  };
}

/**
 * One custom field from its line: `key | Label | type | required`, type and flag optional
 * (text, optional). `select(option a; option b)` lists the choices.
 */
export function parseCustomField(line: string, index: number): CustomField {
  const field = `customFields[${index}]`;
  const parts = line.split('|').map((part) => part.trim());
  if (parts.length < 2 || parts.length > 4) {
    throw new ConnectionSettingsError(
      field,
      `must be "key | Label | type | required", like "order_number | Order number | text | required" (got ${describe(line)})`,
    );
  }
  const [key, label, typeText = 'text', flag = 'optional'] = parts;
  if (!FIELD_KEY.test(key)) {
    throw new ConnectionSettingsError(field, `the key must be 1-40 lower-case letters, digits or underscores, starting with a letter (got ${describe(key)})`);
  }
  if (label === '' || label.length > MAX_TITLE)
    throw new ConnectionSettingsError(field, `the label must be 1-${MAX_TITLE} characters (got ${describe(label)})`);
  const typeMatch = /^([a-z]+)\s*(?:\((.*)\))?$/s.exec(typeText === '' ? 'text' : typeText);
  const type = typeMatch?.[1] ?? '';
  if (!typeMatch || !TYPES.includes(type)) {
    throw new ConnectionSettingsError(field, `the type must be one of text, textarea, number, email, date, select(a; b), checkbox (got ${describe(typeText)})`);
  }
  let options: string[] = [];
  if (type === 'select') {
    options = (typeMatch[2] ?? '')
      .split(';')
      .map((option) => option.trim())
      .filter((option) => option !== '');
    if (options.length === 0 || options.length > MAX_OPTIONS || options.some((o) => o.length > MAX_TITLE)) {
      throw new ConnectionSettingsError(
        field,
        `a select needs 1-${MAX_OPTIONS} options separated by ";", like "select(Small; Large)" (got ${describe(typeText)})`,
      );
    }
    if (new Set(options).size !== options.length)
      throw new ConnectionSettingsError(field, `a select's options must differ from each other (got ${describe(typeText)})`);
  } else if (typeMatch[2] !== undefined) {
    throw new ConnectionSettingsError(field, `only a select takes options in brackets (got ${describe(typeText)})`);
  }
  const normalFlag = flag.toLowerCase();
  if (normalFlag !== 'required' && normalFlag !== 'optional' && normalFlag !== '') {
    throw new ConnectionSettingsError(field, `the last part must be "required" or "optional" (got ${describe(flag)})`);
  }
  return { key, label, type: type as CustomFieldType, required: normalFlag === 'required', options };
}

export function formatCustomField(field: CustomField): string {
  const type = field.type === 'select' ? `select(${field.options.join('; ')})` : field.type;
  return `${field.key} | ${field.label} | ${type} | ${field.required ? 'required' : 'optional'}`;
}

/** An iframe of the hosted page, and a few lines that size it to the form (the page tells its height). */
export function formEmbedSnippet(connection: PluginChannelConnection, context: { publicUrl: string }): string {
  const base = context.publicUrl.replace(/\/+$/, '');
  const id = escapeAttribute(connection.id);
  const src = escapeAttribute(`${base}/forms/${encodeURIComponent(connection.id)}`);
  const title = escapeAttribute(formSettings(connection).title);
  const origin = JSON.stringify(originOf(base));
  return (
    `<iframe src="${src}" title="${title}" data-parley-form="${id}" style="width:100%;max-width:640px;height:760px;border:0" loading="lazy"></iframe>\n` +
    `<script>addEventListener("message",function(e){var d=e.data;if(e.origin!==${origin}||!d||d.parleyForm!=="${id}")return;` +
    `var f=document.querySelector('iframe[data-parley-form="${id}"]');if(f&&d.height>0)f.style.height=Math.min(d.height,10000)+"px"})</script>`
  );
}

function originOf(base: string): string {
  try {
    return new URL(base).origin;
  } catch {
    return base;
  }
}

function customFieldLines(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  const lines = typeof value === 'string' ? value.split(/\r?\n/) : value;
  if (!Array.isArray(lines))
    throw new ConnectionSettingsError(
      'customFields',
      `must be a list of lines like ["order_number | Order number | text | required"] (got ${describe(value)})`,
    );
  const kept = lines.map((line, index) => {
    if (typeof line !== 'string') throw new ConnectionSettingsError(`customFields[${index}]`, `must be a line of text (got ${describe(line)})`);
    if (line.length > 2_000) throw new ConnectionSettingsError(`customFields[${index}]`, `must be at most 2000 characters (got ${line.length})`);
    return line.trim();
  });
  const nonEmpty = kept.filter((line) => line !== '');
  if (nonEmpty.length > MAX_CUSTOM_FIELDS)
    throw new ConnectionSettingsError('customFields', `may list at most ${MAX_CUSTOM_FIELDS} fields (got ${nonEmpty.length})`);
  return nonEmpty;
}

function secret(value: unknown, previous: unknown): string {
  if (value === undefined || value === null || value === '') {
    return keptOrNewSecret(previous, MIN_SECRET);
  }
  if (typeof value !== 'string' || value.length < MIN_SECRET || value.length > 1000) {
    throw new ConnectionSettingsError(
      'csrfSecret',
      `must be ${MIN_SECRET}-1000 characters (got ${typeof value === 'string' ? `${value.length} characters` : describe(value)}); leave it empty to have one generated`,
    );
  }
  return value;
}
