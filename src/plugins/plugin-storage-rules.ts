/**
 * The rules every PluginStorage follows, whichever engine keeps the documents (SQLite, MongoDB,
 * the conformance kit's memory): what a key and a value may be, and how `list` pages. One module,
 * so the engines cannot drift apart.
 */

/** Keys are 1–512 characters (Unicode code points). */
export const MAX_KEY_CHARS = 512;
/** A value's JSON text is at most 1 MiB (UTF-8 bytes). */
export const MAX_VALUE_BYTES = 1024 * 1024;
/** `list` answers at most this many documents; also its default. */
export const MAX_LIST_LIMIT = 1000;

/** A key or value a plugin may not store: a 400 for a route that passes it on, naming the key. */
export class PluginStorageError extends Error {
  readonly statusCode = 400;
  constructor(
    readonly field: 'key' | 'value' | 'prefix' | 'after' | 'limit',
    message: string,
  ) {
    super(message);
    this.name = 'PluginStorageError';
  }
}

/** Checks a key: a string of 1–512 characters, well-formed Unicode (no lone surrogate), without NUL. */
export function checkKey(key: unknown): string {
  if (typeof key !== 'string') throw new PluginStorageError('key', `storage keys are strings (got ${typeof key})`);
  const length = [...key].length;
  if (length < 1 || length > MAX_KEY_CHARS)
    throw new PluginStorageError('key', `storage key ${describeKey(key)} must be 1-${MAX_KEY_CHARS} characters (it has ${length})`);
  // Both engines compare keys by their UTF-8 bytes: a lone surrogate has none, and NUL ends C strings.
  if (!wellFormed(key)) throw new PluginStorageError('key', `storage key ${describeKey(key)} must be well-formed Unicode text without NUL characters`);
  return key;
}

/**
 * The JSON text stored for a value, checked: something JSON keeps (not undefined, a function or
 * a symbol; no cycles, no BigInt) and at most 1 MiB. The error names the key.
 */
export function serializeValue(key: string, value: unknown): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (error) {
    throw new PluginStorageError('value', `the value for storage key ${describeKey(key)} cannot be stored as JSON: ${(error as Error).message}`);
  }
  if (text === undefined) throw new PluginStorageError('value', `the value for storage key ${describeKey(key)} is ${typeof value}, which JSON cannot hold`);
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > MAX_VALUE_BYTES)
    throw new PluginStorageError('value', `the value for storage key ${describeKey(key)} is ${bytes} bytes as JSON; at most ${MAX_VALUE_BYTES} bytes (1 MiB)`);
  return text;
}

export interface ListQuery {
  prefix: string;
  /** Exclusive: keys after this one. */
  after: string | undefined;
  limit: number;
}

/** Checks `list`'s arguments; the limit defaults to, and is capped at, 1,000. */
export function checkListQuery(prefix: unknown, options: { after?: unknown; limit?: unknown } | undefined): ListQuery {
  if (typeof prefix !== 'string') throw new PluginStorageError('prefix', `the list prefix must be a string (got ${typeof prefix})`);
  // The empty prefix lists everything; a longer prefix than a key can be matches nothing but is not wrong.
  if (prefix !== '') checkPart('prefix', prefix);
  const after = options?.after;
  if (after !== undefined) {
    if (typeof after !== 'string') throw new PluginStorageError('after', `list's after must be a key (got ${typeof after})`);
    checkPart('after', after);
  }
  const limit = options?.limit ?? MAX_LIST_LIMIT;
  if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1)
    throw new PluginStorageError('limit', `list's limit must be a whole number of at least 1 (got ${JSON.stringify(limit)})`);
  return { prefix, after, limit: Math.min(limit, MAX_LIST_LIMIT) };
}

function checkPart(field: 'prefix' | 'after', text: string): void {
  if (!wellFormed(text)) throw new PluginStorageError(field, `list's ${field} ${describeKey(text)} must be well-formed Unicode text without NUL characters`);
}

/**
 * Key order: by Unicode code point, which is the order of the keys' UTF-8 bytes (SQLite's BINARY
 * collation, MongoDB's simple one). JavaScript's `<` compares UTF-16 units, which differs above U+FFFF.
 */
export function compareKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/**
 * The smallest string after every string that starts with `prefix` (a range's exclusive end);
 * null when there is none (the empty prefix, or one of U+10FFFF only).
 */
export function prefixEnd(prefix: string): string | null {
  const points = [...prefix];
  while (points.length > 0) {
    const last = points.pop()!.codePointAt(0)!;
    if (last === 0x10ffff) continue;
    // Skip the surrogate range: no well-formed key holds those code points.
    const next = last === 0xd7ff ? 0xe000 : last + 1;
    return points.join('') + String.fromCodePoint(next);
  }
  return null;
}

/** A lone surrogate (half of a pair) or NUL. ES2023's lib has no String.isWellFormed yet. */
// eslint-disable-next-line no-control-regex -- NUL is what it looks for
const ILL_FORMED = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]|\u0000/;

function wellFormed(text: string): boolean {
  return !ILL_FORMED.test(text);
}

/** A key for a message: quoted, and shortened when long (a 512-character key in every error helps nobody). */
function describeKey(key: string): string {
  return JSON.stringify(key.length > 80 ? `${key.slice(0, 80)}…` : key);
}
