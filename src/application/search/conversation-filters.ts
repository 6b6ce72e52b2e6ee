import { CHANNEL_ID_PATTERN, CHANNELS, type Channel } from '../../domain/shared/types';

/**
 * The filters of `GET /api/conversations` and of custom views (docs/design.md rule 2: search and
 * filters combine), parsed and validated in one pure place. Every error names the parameter and
 * the value it got, e.g. `status: must be one of open, closed (got "opne")`.
 */

export const FILTER_NAMES = ['q', 'status', 'channel', 'contactId', 'assignee', 'from', 'to', 'hideFiltered', 'hideTrash'] as const;
export type FilterName = (typeof FILTER_NAMES)[number];

export const SORTS = ['newest', 'oldest', 'relevance'] as const;
export type ConversationSort = (typeof SORTS)[number];

export const DEFAULT_LIMIT = 50;
export const MAX_LIMIT = 200;
export const MAX_Q_LENGTH = 500;
export const MAX_TERMS = 16;

/**
 * Defaults, chosen for what an agent who searches expects:
 * - hideTrash=true: Trash holds what the team threw away (purged after 30 days); finding it in
 *   every search would bury live work. The Trash view, or hideTrash=false, still finds it.
 * - hideFiltered=false: a blocked sender's threads are exactly what one searches for when asking
 *   "did that address write to us?"; hiding them by default would make them look lost. They come
 *   back flagged `filtered: true` (spam likewise stays visible, flagged `spam: true`).
 */
export const FILTER_DEFAULTS = { hideFiltered: false, hideTrash: true } as const;

export type AssigneeFilter = { type: 'agent'; id: string } | { type: 'bot' } | { type: 'none' };

export interface ConversationFilters {
  /**
   * The words of `q`, lower-cased, each to be matched as a prefix, all of them required (in the
   * subject, a message body or the contact). Absent when no q was given or it was blank; empty
   * when q had no letters or digits at all, which matches nothing.
   */
  terms?: string[];
  status?: 'open' | 'closed';
  channel?: Channel;
  contactId?: string;
  assignee?: AssigneeFilter;
  /** Inclusive bounds on lastReceivedAt, as `toISOString()` instants (a date-only `to` is its last millisecond). */
  receivedFrom?: string;
  receivedTo?: string;
  hideFiltered: boolean;
  hideTrash: boolean;
}

/** The filters as a person gave them, validated and trimmed: what a custom view saves. */
export type FilterInput = Partial<Record<FilterName, string | boolean>>;

export interface SearchParameters {
  inboxId?: string;
  filters: ConversationFilters;
  sort: ConversationSort;
  limit: number;
  cursor?: string;
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; errors: string[] };

/** Invalid filter or search parameters (HTTP 400 with one message per problem). */
export class InvalidFiltersError extends Error {
  constructor(readonly errors: string[]) {
    super(errors.join('; '));
    this.name = 'InvalidFiltersError';
  }
}

/** Unwraps a parse result or throws InvalidFiltersError. */
export function orThrow<T>(parsed: Parsed<T>): T {
  if (!parsed.ok) throw new InvalidFiltersError(parsed.errors);
  return parsed.value;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const CURSOR = /^[A-Za-z0-9_-]{1,512}$/;

/**
 * Filters from query parameters (strings) or a custom view's JSON (strings and booleans).
 * Empty strings count as not given (an HTML form sends `status=` for "any"). `path` prefixes the
 * names in messages (`filters.status: …` for a view body).
 */
export function parseConversationFilters(input: unknown, path = ''): Parsed<{ filters: ConversationFilters; saved: FilterInput }> {
  const errors: string[] = [];
  const name = (key: string) => `${path}${key}`;
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return { ok: false, errors: [`${path.replace(/\.$/, '') || 'filters'}: must be an object of filter names and values (got ${describe(input)})`] };
  }
  const raw = input as Record<string, unknown>;
  for (const key of Object.keys(raw)) {
    if (!(FILTER_NAMES as readonly string[]).includes(key)) errors.push(`${name(key)}: is not a filter; the filters are ${FILTER_NAMES.join(', ')}`);
  }

  const filters: ConversationFilters = { ...FILTER_DEFAULTS };
  const saved: FilterInput = {};
  const given = (key: FilterName): unknown => {
    const value = raw[key];
    return value === '' || value === undefined || value === null ? undefined : value;
  };
  /** One string value, or an error; undefined when not given. */
  const text = (key: FilterName): string | undefined => {
    const value = given(key);
    if (value === undefined) return undefined;
    if (typeof value === 'string') return value;
    errors.push(`${name(key)}: ${Array.isArray(value) ? 'give it once' : 'must be a string'} (got ${describe(value)})`);
    return undefined;
  };
  const oneOf = <T extends string>(key: FilterName, allowed: readonly T[]): T | undefined => {
    const value = text(key);
    if (value === undefined) return undefined;
    if ((allowed as readonly string[]).includes(value)) {
      saved[key] = value;
      return value as T;
    }
    errors.push(`${name(key)}: must be one of ${allowed.join(', ')} (got ${describe(value)})`);
    return undefined;
  };

  const q = text('q');
  if (q !== undefined && q.trim() !== '') {
    if (q.length > MAX_Q_LENGTH) {
      errors.push(`${name('q')}: must be at most ${MAX_Q_LENGTH} characters (got ${q.length})`);
    } else {
      const terms = searchTerms(q);
      if (terms.length > MAX_TERMS) errors.push(`${name('q')}: must have at most ${MAX_TERMS} words (got ${terms.length})`);
      else {
        filters.terms = terms;
        saved.q = q.trim();
      }
    }
  }

  const status = oneOf('status', ['open', 'closed'] as const);
  if (status) filters.status = status;
  // The six built-in channels, or a plugin's channel id (third-party channels are searchable too).
  const channel = text('channel');
  if (channel !== undefined) {
    if (CHANNEL_ID_PATTERN.test(channel)) filters.channel = saved.channel = channel;
    else
      errors.push(
        `${name('channel')}: must be a channel id such as ${CHANNELS.join(', ')} or a plugin's channel (lower-case letters, digits, dashes) (got ${describe(channel)})`,
      );
  }

  const contactId = text('contactId');
  if (contactId !== undefined) {
    if (UUID.test(contactId)) filters.contactId = saved.contactId = contactId.toLowerCase();
    else errors.push(`${name('contactId')}: must be a contact id (UUID) (got ${describe(contactId)})`);
  }

  const assignee = text('assignee');
  if (assignee !== undefined) {
    if (assignee === 'bot' || assignee === 'none') filters.assignee = { type: assignee };
    else if (UUID.test(assignee)) filters.assignee = { type: 'agent', id: assignee.toLowerCase() };
    else errors.push(`${name('assignee')}: must be an agent id (UUID), "bot" or "none" (got ${describe(assignee)})`);
    if (filters.assignee) saved.assignee = filters.assignee.type === 'agent' ? filters.assignee.id : filters.assignee.type;
  }

  const from = text('from');
  if (from !== undefined) {
    const instant = parseInstant(from, 'start');
    if (instant) {
      filters.receivedFrom = instant;
      saved.from = from;
    } else errors.push(`${name('from')}: must be an ISO date or date-time, e.g. 2025-03-01 or 2025-03-01T09:30:00Z (got ${describe(from)})`);
  }
  const to = text('to');
  if (to !== undefined) {
    const instant = parseInstant(to, 'end');
    if (instant) {
      filters.receivedTo = instant;
      saved.to = to;
    } else errors.push(`${name('to')}: must be an ISO date or date-time, e.g. 2025-03-31 or 2025-03-31T18:00:00Z (got ${describe(to)})`);
  }
  if (filters.receivedFrom && filters.receivedTo && filters.receivedFrom > filters.receivedTo) {
    errors.push(`${name('from')}: must not be after ${name('to')} (got from ${describe(from)}, to ${describe(to)})`);
  }

  for (const key of ['hideFiltered', 'hideTrash'] as const) {
    const value = given(key);
    if (value === undefined) continue;
    const flag = value === true || value === 'true' ? true : value === false || value === 'false' ? false : undefined;
    if (flag === undefined) errors.push(`${name(key)}: must be true or false (got ${describe(value)})`);
    else filters[key] = saved[key] = flag;
  }

  return errors.length > 0 ? { ok: false, errors } : { ok: true, value: { filters, saved } };
}

/** `GET /api/conversations`: the filters plus inboxId, sort, limit and cursor. */
export function parseSearchParameters(input: Record<string, unknown>): Parsed<SearchParameters> {
  const { inboxId, sort, limit, cursor, ...rest } = input;
  const errors: string[] = [];
  const parsed = parseConversationFilters(rest);
  if (!parsed.ok) errors.push(...parsed.errors);
  const filters = parsed.ok ? parsed.value.filters : undefined;

  const params: Omit<SearchParameters, 'filters'> = { sort: 'newest', limit: DEFAULT_LIMIT };
  const single = (key: string, value: unknown): string | undefined => {
    if (value === undefined || value === null || value === '') return undefined;
    if (typeof value === 'string') return value;
    errors.push(`${key}: ${Array.isArray(value) ? 'give it once' : 'must be a string'} (got ${describe(value)})`);
    return undefined;
  };

  const inbox = single('inboxId', inboxId);
  if (inbox !== undefined) {
    if (UUID.test(inbox)) params.inboxId = inbox.toLowerCase();
    else errors.push(`inboxId: must be an inbox id (UUID) (got ${describe(inbox)})`);
  }

  const hasText = filters?.terms !== undefined || (typeof rest.q === 'string' && rest.q.trim() !== '');
  const order = single('sort', sort);
  if (order === undefined) params.sort = hasText ? 'relevance' : 'newest';
  else if (!(SORTS as readonly string[]).includes(order)) errors.push(`sort: must be one of ${SORTS.join(', ')} (got ${describe(order)})`);
  else if (order === 'relevance' && !hasText)
    errors.push(`sort: relevance needs a text to rank by; give q, or sort by newest or oldest (got "relevance" without q)`);
  else params.sort = order as ConversationSort;

  const size = single('limit', limit);
  if (size !== undefined) {
    if (/^\d{1,4}$/.test(size) && Number(size) >= 1 && Number(size) <= MAX_LIMIT) params.limit = Number(size);
    else errors.push(`limit: must be a whole number from 1 to ${MAX_LIMIT} (got ${describe(size)})`);
  }

  const after = single('cursor', cursor);
  if (after !== undefined) {
    if (CURSOR.test(after)) params.cursor = after;
    else errors.push(`cursor: must be the nextCursor of a previous page, unchanged (got ${describe(after)})`);
  }

  if (errors.length > 0 || !filters) return { ok: false, errors };
  return { ok: true, value: { ...params, filters } };
}

/**
 * The words of a search text: runs of letters, digits, marks and characters beyond the Basic
 * Multilingual Plane (roughly what SQLite's unicode61 tokenizer keeps; the read store lets FTS5
 * split them exactly), lower-cased. Everything else separates words, so FTS syntax (quotes, `*`,
 * `:`, `^`, `-`, parentheses) is plain text, and AND / OR / NOT / NEAR are ordinary words. A word
 * that is the start of another word is dropped: the longer one implies it.
 */
export function searchTerms(q: string): string[] {
  const words = [
    ...new Set(
      q
        .normalize('NFC')
        .toLowerCase()
        .match(/[\p{L}\p{N}\p{M}\p{Co}\u{10000}-\u{10FFFF}]+/gu) ?? [],
    ),
  ];
  return words.filter((word) => !words.some((other) => other !== word && other.startsWith(word)));
}

/**
 * `2025-03-01` (the start or, for `to`, the last millisecond of that day, UTC) or a date-time
 * `2025-03-01T09:30[:00[.000]][Z|±hh:mm]`; without a zone it is UTC. A space where the offset's
 * `+` was (an unencoded `+` in a URL) is read as `+`.
 */
export function parseInstant(value: string, bound: 'start' | 'end'): string | null {
  const match = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+\- ]\d{2}:?\d{2})?)?$/i.exec(value.trim());
  if (!match) return null;
  const [, y, mo, d, h, mi, s, fraction, zone] = match;
  const [year, month, day] = [Number(y), Number(mo), Number(d)];
  const date = new Date(Date.UTC(year, month - 1, day));
  if (date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) return null;
  if (h === undefined) {
    return bound === 'start' ? date.toISOString() : new Date(date.getTime() + 86_400_000 - 1).toISOString();
  }
  const [hour, minute, second] = [Number(h), Number(mi), Number(s ?? 0)];
  if (hour > 23 || minute > 59 || second > 59) return null;
  const millis = Number((fraction ?? '0').padEnd(3, '0').slice(0, 3));
  let time = Date.UTC(year, month - 1, day, hour, minute, second, millis);
  if (zone && zone.toUpperCase() !== 'Z') {
    const sign = zone[0] === '-' ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    const offsetHours = Number(digits.slice(0, 2));
    const offsetMinutes = Number(digits.slice(2));
    if (offsetHours > 23 || offsetMinutes > 59) return null;
    time -= sign * (offsetHours * 60 + offsetMinutes) * 60_000;
  }
  const instant = new Date(time);
  return instant.getUTCFullYear() >= 0 && instant.getUTCFullYear() <= 9999 ? instant.toISOString() : null;
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  const json = JSON.stringify(value);
  return json.length > 80 ? `${json.slice(0, 77)}...` : json;
}
