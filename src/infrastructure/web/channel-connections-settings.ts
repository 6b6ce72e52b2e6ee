import { BadRequestException } from '@nestjs/common';
import { SECRET_PLACEHOLDER, type ChannelConnectionView } from '../../application/channel-connections/channel-connection-settings';
import type { ChannelConnectionSpecs, ConnectionField, ConnectionSpec } from '../../application/ports/channel-connection-specs.port';
import type { Locale } from '../i18n/i18n';
import { field, type FormBody } from './web-http';

/** Form fields of a connection's settings are named `setting.<key>`, so they never collide with `name` or `type`. */
const SETTING_PREFIX = 'setting.';

/** One input of a connection's settings form, ready for the template. */
interface FieldContext {
  key: string;
  name: string;
  inputId: string;
  label: string;
  help?: string;
  isText: boolean;
  isTextarea: boolean;
  isLines: boolean;
  isCheckbox: boolean;
  isNumber: boolean;
  isSecret: boolean;
  /** text, textarea, lines (one per line) and number: the current value. */
  value: string;
  checked: boolean;
  hasSecret: boolean;
  generate: boolean;
}

/** The "Channels" section of Inbox settings: the inbox's connections and, for admins, a form per channel that connects. */
export function channelsSection(connections: ChannelConnectionView[], specs: ChannelConnectionSpecs, locale: Locale, isAdmin: boolean) {
  const connectable = specs
    .connectableTypes()
    .map((type) => specs.connectionSpec(type))
    .filter((spec): spec is ConnectionSpec => spec !== null);
  return {
    connections: connections.map((connection) => {
      const spec = specs.connectionSpec(connection.type);
      return {
        id: connection.id,
        name: connection.name,
        typeName: spec?.displayName ?? connection.type,
        unavailable: connection.status !== 'active',
        embedSnippet: connection.embedSnippet ?? null,
        fields: spec ? spec.fields.map((f) => fieldContext(f, locale, `${connection.id}`, connection)) : [],
      };
    }),
    hasConnections: connections.length > 0,
    connectable: isAdmin
      ? connectable.map((spec) => ({
          type: spec.type,
          displayName: spec.displayName,
          fields: spec.fields.map((f) => fieldContext(f, locale, `new-${spec.type}`, null)),
        }))
      : [],
  };
}

function fieldContext(f: ConnectionField, locale: Locale, scope: string, connection: ChannelConnectionView | null): FieldContext {
  const stored = connection?.settings[f.key];
  const text = (value: unknown) => (value === undefined || value === null ? '' : String(value));
  return {
    key: f.key,
    name: `${SETTING_PREFIX}${f.key}`,
    inputId: `channel-${scope}-${f.key}`.replace(/[^A-Za-z0-9_-]/g, '-'),
    label: localized(f.label, locale),
    ...(f.help ? { help: localized(f.help, locale) } : {}),
    isText: f.type === 'text',
    isTextarea: f.type === 'textarea',
    isLines: f.type === 'lines',
    isCheckbox: f.type === 'checkbox',
    isNumber: f.type === 'number',
    isSecret: f.type === 'secret',
    value: f.type === 'secret' ? '' : f.type === 'lines' ? (Array.isArray(stored) ? stored.map(text).join('\n') : text(stored)) : text(stored),
    checked: stored === true,
    hasSecret: connection?.secrets[f.key]?.hasSecret === true,
    generate: f.type === 'secret' && f.generate === true,
  };
}

/** The plugin's words in the reader's language, else English. */
function localized(text: Readonly<Record<string, string>>, locale: Locale): string {
  return text[locale.language] ?? text.en ?? '';
}

/**
 * The settings a connection form sent, typed by the plugin's fields. An empty secret is left out
 * (the stored one stays); an empty number is left out; a checkbox not sent is false.
 */
export function settingsFromForm(body: FormBody, spec: ConnectionSpec, locale: Locale): Record<string, unknown> {
  const settings: Record<string, unknown> = {};
  for (const f of spec.fields) {
    const name = `${SETTING_PREFIX}${f.key}`;
    const raw = field(body, name, { trim: f.type !== 'textarea' && f.type !== 'secret' });
    switch (f.type) {
      case 'checkbox':
        settings[f.key] = raw !== '';
        break;
      case 'lines':
        settings[f.key] = raw
          .split(/\r?\n/)
          .map((line) => line.trim())
          .filter((line) => line !== '');
        break;
      case 'number':
        if (raw === '') break;
        if (!/^-?\d+$/.test(raw)) {
          throw new BadRequestException(locale.t('channelConnections.notANumber', { label: localized(f.label, locale), value: raw.slice(0, 40) }));
        }
        settings[f.key] = Number(raw);
        break;
      case 'secret':
        if (raw !== '' && raw !== SECRET_PLACEHOLDER) settings[f.key] = raw;
        break;
      default:
        settings[f.key] = raw;
    }
  }
  return settings;
}
