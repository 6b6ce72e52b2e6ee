import { randomBytes } from 'node:crypto';
import { ConnectionSettingsError } from './channel-plugin';

/**
 * Checks shared by the settings of the built-in channel plugins (chat, forms, Messenger): each
 * refusal is a ConnectionSettingsError naming the field and the value it got.
 */

/** A value as a refusal quotes it: JSON, cut at 80 characters; `nothing` for undefined. */
export function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  const json = JSON.stringify(value);
  if (json === undefined) return typeof value;
  return json.length > 80 ? `${json.slice(0, 77)}...` : json;
}

/**
 * An origin as browsers send it: scheme, host and port only, lower case, default ports dropped
 * (`https://Shop.Example:443/` -> `https://shop.example`); null when the text is not one.
 */
export function normaliseOrigin(value: string): string | null {
  if (!/^https?:\/\/[^/?#\s]+\/?$/i.test(value)) return null;
  try {
    const url = new URL(value);
    if (url.username !== '' || url.password !== '') return null;
    return url.origin === 'null' ? null : url.origin;
  } catch {
    return null;
  }
}

/** The `allowedOrigins` setting: a list of at most `max` origins, normalised, each once; empty when left out. */
export function checkOrigins(value: unknown, max: number): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value))
    throw new ConnectionSettingsError('allowedOrigins', `must be a list of origins like ["https://shop.example"] (got ${describe(value)})`);
  if (value.length > max) throw new ConnectionSettingsError('allowedOrigins', `may list at most ${max} origins (got ${value.length})`);
  const origins: string[] = [];
  value.forEach((item, index) => {
    const origin = typeof item === 'string' ? normaliseOrigin(item.trim()) : null;
    if (origin === null) {
      throw new ConnectionSettingsError(
        `allowedOrigins[${index}]`,
        `must be an origin: scheme, host and optional port, without a path, like "https://shop.example" (got ${describe(item)})`,
      );
    }
    if (!origins.includes(origin)) origins.push(origin);
  });
  return origins;
}

/** Text of at most `max` characters, trimmed; '' when left out. */
export function optionalText(value: unknown, field: string, max: number): string {
  if (value === undefined || value === null) return '';
  if (typeof value !== 'string') throw new ConnectionSettingsError(field, `must be text (got ${describe(value)})`);
  const text = value.trim();
  if (text.length > max) throw new ConnectionSettingsError(field, `must be at most ${max} characters (got ${text.length})`);
  return text;
}

/** true or false; false when left out. */
export function optionalBoolean(value: unknown, field: string): boolean {
  if (value === undefined || value === null) return false;
  if (typeof value !== 'boolean') throw new ConnectionSettingsError(field, `must be true or false (got ${describe(value)})`);
  return value;
}

/** The previous secret when it is long enough, else a new random one (32 bytes, base64url). */
export function keptOrNewSecret(previous: unknown, minLength: number): string {
  return typeof previous === 'string' && previous.length >= minLength ? previous : randomBytes(32).toString('base64url');
}

/** Text made safe inside a double-quoted HTML attribute. */
export function escapeAttribute(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
