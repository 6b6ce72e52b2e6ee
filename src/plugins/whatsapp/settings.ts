import { ConnectionSettingsError, type ConnectionSettingField, type ConnectionSettingsContext, type PluginChannelConnection } from '../channel-plugin';
import { DEFAULT_GRAPH_API_BASE_URL, DEFAULT_GRAPH_API_VERSION, GRAPH_API_VERSION_PATTERN, type GraphTarget } from '../meta/graph';
import { checkGraphApiBaseUrl, storedGraphApi } from '../meta/graph-settings';

/** A WhatsApp connection's settings, as stored (secrets decrypted by the host). */
export interface WhatsAppSettings {
  /** The business phone number's id on Meta's side (not the number itself): where replies are sent from. */
  phoneNumberId: string;
  /** The WhatsApp Business Account (WABA) id: its approved message templates are synced. */
  businessAccountId: string;
  /** A system user's permanent token with whatsapp_business_messaging and whatsapp_business_management. */
  accessToken: string;
  /** The Meta app's secret: it signs every webhook delivery (X-Hub-Signature-256). */
  appSecret: string;
  /** What Meta's webhook handshake must present (hub.verify_token). */
  verifyToken: string;
  graphApiBaseUrl: string;
  apiVersion: string;
}

export const WHATSAPP_SECRETS = ['accessToken', 'appSecret', 'verifyToken'] as const;

const KNOWN = ['phoneNumberId', 'businessAccountId', 'accessToken', 'appSecret', 'verifyToken', 'graphApiBaseUrl', 'apiVersion'] as const;
const ID = /^\d{1,30}$/;

/** The Inbox settings form, in this order, saying where each value is found on Meta's side. */
export const WHATSAPP_SETTING_FIELDS: readonly ConnectionSettingField[] = [
  {
    key: 'phoneNumberId',
    type: 'text',
    label: { en: 'Phone number ID', nl: 'Telefoonnummer-ID' },
    help: {
      en: 'Meta app dashboard → WhatsApp → API Setup: the "Phone number ID" under the number (digits; not the phone number itself).',
      nl: 'Meta-appdashboard → WhatsApp → API Setup: de "Phone number ID" onder het nummer (cijfers; niet het telefoonnummer zelf).',
    },
  },
  {
    key: 'businessAccountId',
    type: 'text',
    label: { en: 'WhatsApp Business Account ID', nl: 'WhatsApp Business-account-ID' },
    help: {
      en: 'Same page: "WhatsApp Business Account ID". Its approved message templates are offered outside the 24-hour window.',
      nl: 'Zelfde pagina: "WhatsApp Business Account ID". De goedgekeurde berichtsjablonen ervan worden buiten het 24-uursvenster aangeboden.',
    },
  },
  {
    key: 'accessToken',
    type: 'secret',
    label: { en: 'Access token', nl: 'Toegangstoken' },
    help: {
      en: 'Business settings → System users: a permanent token with whatsapp_business_messaging and whatsapp_business_management. Never shown again.',
      nl: 'Bedrijfsinstellingen → Systeemgebruikers: een permanent token met whatsapp_business_messaging en whatsapp_business_management. Wordt nooit meer getoond.',
    },
  },
  {
    key: 'appSecret',
    type: 'secret',
    label: { en: 'App secret', nl: 'App-geheim' },
    help: {
      en: 'Meta app dashboard → App settings → Basic → App secret: it signs every webhook delivery.',
      nl: 'Meta-appdashboard → App-instellingen → Basis → App-geheim: daarmee is elke webhook-levering ondertekend.',
    },
  },
  {
    key: 'verifyToken',
    type: 'secret',
    generate: true,
    label: { en: 'Verify token', nl: 'Verificatietoken' },
    help: {
      en: 'Any text of 8 or more characters; enter the same under WhatsApp → Configuration → Webhook, with the callback URL https://<parley>/channels/whatsapp/webhook.',
      nl: 'Een tekst van 8 of meer tekens; vul dezelfde in bij WhatsApp → Configuration → Webhook, met de callback-URL https://<parley>/channels/whatsapp/webhook.',
    },
  },
  {
    key: 'graphApiBaseUrl',
    type: 'text',
    label: { en: 'Graph API address', nl: 'Adres van de Graph API' },
    help: {
      en: `Leave empty for ${DEFAULT_GRAPH_API_BASE_URL} (a proxy or a test server otherwise).`,
      nl: `Leeg laten voor ${DEFAULT_GRAPH_API_BASE_URL} (anders een proxy of testserver).`,
    },
  },
  {
    key: 'apiVersion',
    type: 'text',
    label: { en: 'Graph API version', nl: 'Versie van de Graph API' },
    help: {
      en: `Like ${DEFAULT_GRAPH_API_VERSION}; empty for ${DEFAULT_GRAPH_API_VERSION}.`,
      nl: `Zoals ${DEFAULT_GRAPH_API_VERSION}; leeg voor ${DEFAULT_GRAPH_API_VERSION}.`,
    },
  },
];

/**
 * Checks and completes a connection's settings (ConnectionSettingsSpec.validate). `others`
 * answers the phone number ids of the plugin's stored connections: a number can feed one
 * connection only (its webhook deliveries are routed by it).
 */
export async function validateWhatsAppSettings(
  input: Record<string, unknown>,
  context: ConnectionSettingsContext,
  others: () => Promise<string[]>,
): Promise<Record<string, unknown>> {
  if (typeof input !== 'object' || input === null || Array.isArray(input))
    throw new ConnectionSettingsError('settings', `must be an object (got ${describe(input)})`);
  for (const key of Object.keys(input)) {
    if (!(KNOWN as readonly string[]).includes(key)) throw new ConnectionSettingsError(key, `is not a WhatsApp setting (known: ${KNOWN.join(', ')})`);
  }
  const phoneNumberId = idOf(input.phoneNumberId, 'phoneNumberId');
  const businessAccountId = idOf(input.businessAccountId, 'businessAccountId');
  const accessToken = secretOf(input.accessToken, 'accessToken', 20, 4096, 'a system user token from Business settings → System users');
  const appSecret = secretOf(input.appSecret, 'appSecret', 16, 200, 'App settings → Basic → App secret');
  const verifyToken = secretOf(input.verifyToken, 'verifyToken', 8, 200, 'any text you also enter in the webhook configuration');
  const graphApiBaseUrl = checkGraphApiBaseUrl(input.graphApiBaseUrl);
  let apiVersion = DEFAULT_GRAPH_API_VERSION;
  if (input.apiVersion !== undefined && input.apiVersion !== null && input.apiVersion !== '') {
    if (typeof input.apiVersion !== 'string' || !GRAPH_API_VERSION_PATTERN.test(input.apiVersion)) {
      throw new ConnectionSettingsError('apiVersion', `must look like ${DEFAULT_GRAPH_API_VERSION} (got ${describe(input.apiVersion)})`);
    }
    apiVersion = input.apiVersion;
  }
  const sameNumber = (await others()).filter((id) => id === phoneNumberId).length;
  const itself = context.previous?.phoneNumberId === phoneNumberId ? 1 : 0;
  if (sameNumber > itself) {
    throw new ConnectionSettingsError('phoneNumberId', `${JSON.stringify(phoneNumberId)} is already connected to an inbox; a number feeds one connection only`);
  }
  return { phoneNumberId, businessAccountId, accessToken, appSecret, verifyToken, graphApiBaseUrl, apiVersion };
}

/** The stored settings of a connection, typed. */
export function whatsappSettings(connection: PluginChannelConnection): WhatsAppSettings {
  const s = connection.settings;
  const text = (value: unknown, fallback = '') => (typeof value === 'string' ? value : fallback);
  return {
    phoneNumberId: text(s.phoneNumberId),
    businessAccountId: text(s.businessAccountId),
    accessToken: text(s.accessToken),
    appSecret: text(s.appSecret),
    verifyToken: text(s.verifyToken),
    ...storedGraphApi(s),
  };
}

export function graphTarget(settings: WhatsAppSettings): GraphTarget {
  return { baseUrl: settings.graphApiBaseUrl, apiVersion: settings.apiVersion, accessToken: settings.accessToken };
}

function idOf(value: unknown, field: string): string {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) value = String(value);
  if (typeof value !== 'string' || !ID.test(value.trim()))
    throw new ConnectionSettingsError(field, `is required: Meta's numeric id, digits only (got ${describe(value)})`);
  return value.trim();
}

function secretOf(value: unknown, field: string, min: number, max: number, where: string): string {
  if (value === undefined || value === null || value === '') throw new ConnectionSettingsError(field, `is required (${where})`);
  if (typeof value !== 'string') throw new ConnectionSettingsError(field, `must be a string (got ${describe(value)})`);
  const trimmed = value.trim();
  if (trimmed.length < min || trimmed.length > max || /\s/.test(trimmed)) {
    throw new ConnectionSettingsError(field, `must be ${min}-${max} characters without spaces (got ${trimmed.length} characters)`);
  }
  return trimmed;
}

function describe(value: unknown): string {
  if (typeof value === 'string') return value.length > 60 ? `a string of ${value.length} characters` : JSON.stringify(value);
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  return typeof value === 'object' ? 'an object' : `${typeof value} ${String(value)}`;
}
