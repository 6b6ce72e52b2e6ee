import i18next, { type i18n as I18nInstance } from 'i18next';
import en from './locales/en.json';
import nl from './locales/nl.json';

/** The languages Parley speaks; the first is the fallback when nothing else matches. */
export const LANGUAGES = ['en', 'nl'] as const;
export type Language = (typeof LANGUAGES)[number];
export const DEFAULT_LANGUAGE: Language = 'en';
export const DEFAULT_TIME_ZONE = 'UTC';

export type TranslationVars = Record<string, string | number | boolean | null | undefined>;

/** A key the code asks for that is in no locale file: a bug, never something to show a person. */
export class MissingTranslationError extends Error {
  constructor(
    readonly key: string,
    readonly language: Language,
  ) {
    super(`translation key "${key}" is missing in ${language}`);
    this.name = 'MissingTranslationError';
  }
}

/** The parsed locale files, one per language, exactly as shipped. */
export const LOCALE_RESOURCES: Record<Language, Record<string, unknown>> = { en, nl };

let instance: I18nInstance | null = null;
let onMissing: (error: MissingTranslationError) => void = (error) => {
  throw error;
};

/**
 * What happens when a key is missing: by default it throws (tests and development see it at
 * once); the server's start-up replaces it with a logged warning so one forgotten key never
 * takes a page down.
 */
export function setMissingTranslationHandler(handler: (error: MissingTranslationError) => void): void {
  onMissing = handler;
}

function translator(): I18nInstance {
  if (instance) return instance;
  const created = i18next.createInstance();
  void created.init({
    resources: { en: { translation: en }, nl: { translation: nl } },
    lng: DEFAULT_LANGUAGE,
    supportedLngs: [...LANGUAGES],
    // No silent fallback to English: a key missing in Dutch must be noticed, not papered over.
    fallbackLng: false,
    initAsync: false,
    returnNull: false,
    // Handlebars escapes what templates print; translateHtml asks for escaping itself.
    interpolation: { escapeValue: false },
  });
  instance = created;
  return created;
}

export function isLanguage(value: unknown): value is Language {
  return typeof value === 'string' && (LANGUAGES as readonly string[]).includes(value);
}

/** Zones the runtime knows (the IANA list), plus UTC, which the list names only through its aliases. */
let zones: Set<string> | null = null;
export function isTimeZone(value: unknown): value is string {
  if (typeof value !== 'string' || value === '') return false;
  zones ??= new Set([...Intl.supportedValuesOf('timeZone'), 'UTC']);
  return zones.has(value);
}

/**
 * The best language for an `Accept-Language` header (RFC 9110 quality values; `nl-BE` counts as
 * `nl`), or null when it names none Parley speaks. Visitor-facing widgets use this alone.
 */
export function negotiateLanguage(header: string | string[] | undefined): Language | null {
  const value = Array.isArray(header) ? header.join(',') : header;
  if (!value) return null;
  const ranges = value
    .split(',')
    .map((part, index) => {
      const [tag, ...params] = part.trim().split(';');
      const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
      const quality = q ? Number(q.slice(2)) : 1;
      return { tag: tag.trim().toLowerCase(), quality: Number.isFinite(quality) ? quality : 0, index };
    })
    .filter((r) => r.tag !== '' && r.quality > 0)
    .sort((a, b) => b.quality - a.quality || a.index - b.index);
  for (const { tag } of ranges) {
    const primary = tag.split('-')[0];
    if (isLanguage(primary)) return primary;
  }
  return null;
}

export type DateStyle = 'short' | 'long' | 'day';

/**
 * One person's language and time zone: translations, and dates, times and numbers as they read
 * them. Built per request (agent UI) or per visitor (widgets, forms).
 */
export class Locale {
  constructor(
    readonly language: Language,
    readonly timeZone: string = DEFAULT_TIME_ZONE,
    /** The zone is the person's saved choice (else the browser may correct a guess). */
    readonly zoneSaved = false,
  ) {
    if (!isLanguage(language)) throw new Error(`unknown language ${JSON.stringify(language)}`);
    if (!isTimeZone(timeZone)) throw new Error(`unknown time zone ${JSON.stringify(timeZone)}`);
  }

  /** The text of `key` with `{{vars}}` filled in; a `count` var picks the plural form. */
  t(key: string, vars: TranslationVars = {}): string {
    const i18n = translator();
    if (!i18n.exists(key, { lng: this.language, ...(vars.count === undefined ? {} : { count: Number(vars.count) }) })) {
      onMissing(new MissingTranslationError(key, this.language));
      return key;
    }
    return i18n.t(key, { ...vars, lng: this.language }) as string;
  }

  /** As t, for the few texts that hold markup of their own (`<kbd>`): every var is HTML-escaped. */
  translateHtml(key: string, vars: TranslationVars = {}): string {
    const escaped = Object.fromEntries(Object.entries(vars).map(([name, value]) => [name, typeof value === 'string' ? escapeHtml(value) : value]));
    return this.t(key, escaped);
  }

  /**
   * A moment in this person's zone. short: the time today, the day this year, else day and year
   * (lists); long: day, year and time (a message's header); day: the date alone.
   */
  formatDate(iso: string | Date, style: DateStyle, now: Date = new Date()): string {
    const date = iso instanceof Date ? iso : new Date(iso);
    if (Number.isNaN(date.getTime())) return '';
    const zone = { timeZone: this.timeZone };
    if (style === 'long') {
      return new Intl.DateTimeFormat(this.language, { ...zone, day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit' }).format(
        date,
      );
    }
    if (style === 'day') return new Intl.DateTimeFormat(this.language, { ...zone, day: 'numeric', month: 'long', year: 'numeric' }).format(date);
    const dayOf = (d: Date) => new Intl.DateTimeFormat('en-CA', { ...zone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(d);
    if (dayOf(date) === dayOf(now)) return new Intl.DateTimeFormat(this.language, { ...zone, hour: '2-digit', minute: '2-digit' }).format(date);
    const sameYear = dayOf(date).slice(0, 4) === dayOf(now).slice(0, 4);
    return new Intl.DateTimeFormat(this.language, { ...zone, day: 'numeric', month: 'short', ...(sameYear ? {} : { year: 'numeric' }) }).format(date);
  }

  formatNumber(value: number): string {
    return new Intl.NumberFormat(this.language).format(value);
  }
}

/**
 * The locale of one person: their saved choice first, else what their browser asks for, else
 * English; their saved zone, else the browser's (as the page reported it), else UTC.
 */
export function resolveLocale(input: {
  savedLanguage?: string | null;
  acceptLanguage?: string | string[];
  savedTimeZone?: string | null;
  browserTimeZone?: string | null;
}): Locale {
  const language = isLanguage(input.savedLanguage) ? input.savedLanguage : (negotiateLanguage(input.acceptLanguage) ?? DEFAULT_LANGUAGE);
  const timeZone = isTimeZone(input.savedTimeZone) ? input.savedTimeZone : isTimeZone(input.browserTimeZone) ? input.browserTimeZone : DEFAULT_TIME_ZONE;
  return new Locale(language, timeZone, isTimeZone(input.savedTimeZone));
}

function escapeHtml(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}
