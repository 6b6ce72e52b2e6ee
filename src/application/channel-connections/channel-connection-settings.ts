import { InvalidRequestError } from '../access/inbox-access';
import type { ConnectionForPlugin, ConnectionSpec } from '../ports/channel-connection-specs.port';
import type { ChannelConnectionRecord } from '../ports/read-store.port';
import { SettingsDecryptionError, type SettingsCipher } from './settings-cipher';

/** How a secret setting is answered by the API and shown in the UI; sent back unchanged, it means "keep the stored value". */
export const SECRET_PLACEHOLDER = '••••';

/** A connection as GET /api/inboxes/:id/channels answers it (docs/api.md "Channel connections"). */
export interface ChannelConnectionView {
  id: string;
  inboxId: string;
  type: string;
  name: string;
  /** The settings, each secret as "••••". */
  settings: Record<string, unknown>;
  /** Every secret setting the plugin declares, and whether a value is stored for it. */
  secrets: Record<string, { hasSecret: boolean }>;
  /** `active`; `unavailable` when its plugin is no longer loaded (PARLEY_PLUGINS changed). */
  status: 'active' | 'unavailable';
  /** The HTML to paste into a website, for channels that have one (chat). */
  embedSnippet?: string;
  createdBy: string | null;
  createdAt: string;
  updatedAt: string;
}

/** The secrets decrypted, for the plugin; a secret that cannot be decrypted is left out and named. */
export function decryptSettings(cipher: SettingsCipher, record: ChannelConnectionRecord): { settings: Record<string, unknown>; undecryptable: string[] } {
  const settings: Record<string, unknown> = { ...record.settings };
  const undecryptable: string[] = [];
  for (const key of record.secretKeys) {
    if (!Object.hasOwn(settings, key)) continue;
    try {
      settings[key] = cipher.decrypt(record.id, key, settings[key]);
    } catch (error) {
      if (!(error instanceof SettingsDecryptionError)) throw error;
      delete settings[key];
      undecryptable.push(key);
    }
  }
  return { settings, undecryptable };
}

export function forPlugin(record: ChannelConnectionRecord, settings: Record<string, unknown>): ConnectionForPlugin {
  const { id, inboxId, type, name, createdAt, updatedAt } = record;
  return { id, inboxId, type, name, settings, createdAt, updatedAt };
}

/**
 * The settings to store: the secrets encrypted. A secret whose value did not change keeps its
 * stored ciphertext, so saving the form again records no change.
 */
export function encryptSecrets(
  cipher: SettingsCipher,
  connectionId: string,
  spec: ConnectionSpec,
  validated: Record<string, unknown>,
  previous?: { stored: ChannelConnectionRecord; decrypted: Record<string, unknown> },
): { settings: Record<string, unknown>; secretKeys: string[] } {
  const settings: Record<string, unknown> = { ...validated };
  const secretKeys: string[] = [];
  for (const key of spec.secrets) {
    if (settings[key] === undefined || settings[key] === null) {
      delete settings[key];
      continue;
    }
    const unchanged =
      previous !== undefined &&
      previous.stored.secretKeys.includes(key) &&
      Object.hasOwn(previous.decrypted, key) &&
      JSON.stringify(previous.decrypted[key]) === JSON.stringify(settings[key]);
    settings[key] = unchanged ? previous.stored.settings[key] : cipher.encrypt(connectionId, key, settings[key]);
    secretKeys.push(key);
  }
  return { settings, secretKeys };
}

/** Settings travel in every event of the connection: a channel's settings are a few fields, not documents. */
export const MAX_SETTINGS_BYTES = 64 * 1024;

/** What the admin sent, checked for shape: a JSON object of at most 64 KiB. */
export function settingsObject(value: unknown, field = 'settings'): Record<string, unknown> {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new InvalidRequestError(`${field} must be an object of the channel's settings, e.g. {"allowedOrigins":["https://example.com"]}`);
  }
  const size = Buffer.byteLength(JSON.stringify(value), 'utf8');
  if (size > MAX_SETTINGS_BYTES) {
    throw new InvalidRequestError(
      `${field} must be at most ${MAX_SETTINGS_BYTES} bytes of JSON (it has ${size}); keep large content out of a channel's settings`,
    );
  }
  return value as Record<string, unknown>;
}

/**
 * PATCH: what the admin sent merged over the stored settings. A secret left out, or sent back as
 * "••••", keeps its stored value; a secret that can no longer be decrypted must be given again.
 */
export function mergeSettings(
  sent: Record<string, unknown>,
  previous: Record<string, unknown>,
  spec: ConnectionSpec,
  undecryptable: readonly string[],
): Record<string, unknown> {
  const merged: Record<string, unknown> = { ...previous };
  for (const [key, value] of Object.entries(sent)) {
    if (spec.secrets.includes(key) && value === SECRET_PLACEHOLDER) {
      if (undecryptable.includes(key)) {
        throw new InvalidRequestError(`settings.${key}: the stored secret cannot be decrypted (the instance key changed); enter the secret again`);
      }
      continue;
    }
    merged[key] = value;
  }
  return merged;
}

/** The API's view: secrets masked, the plugin's snippet when it has one. */
export function toView(
  record: ChannelConnectionRecord,
  spec: ConnectionSpec | null,
  decrypted: Record<string, unknown> | null,
  publicUrl: string | null,
): ChannelConnectionView {
  const settings: Record<string, unknown> = { ...record.settings };
  const secrets: Record<string, { hasSecret: boolean }> = {};
  for (const key of new Set([...(spec?.secrets ?? []), ...record.secretKeys])) {
    const stored = record.secretKeys.includes(key) && Object.hasOwn(settings, key);
    secrets[key] = { hasSecret: stored };
    if (stored) settings[key] = SECRET_PLACEHOLDER;
    else delete settings[key];
  }
  const view: ChannelConnectionView = {
    id: record.id,
    inboxId: record.inboxId,
    type: record.type,
    name: record.name,
    settings,
    secrets,
    status: spec === null ? 'unavailable' : 'active',
    createdBy: record.createdBy,
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
  };
  if (spec !== null && decrypted !== null && publicUrl !== null) {
    const snippet = spec.embedSnippet(forPlugin(record, decrypted), publicUrl);
    if (snippet !== null) view.embedSnippet = snippet;
  }
  return view;
}
