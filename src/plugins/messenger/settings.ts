import { ConnectionSettingsError, type ConnectionSettingField, type ConnectionSettingsContext, type PluginChannelConnection } from '../channel-plugin';
import { DEFAULT_GRAPH_API_BASE_URL, DEFAULT_GRAPH_API_VERSION, GRAPH_API_VERSION_PATTERN } from '../meta/graph';
import { checkGraphApiBaseUrl, storedGraphApi } from '../meta/graph-settings';
import { describe, optionalBoolean } from '../settings-checks';

/** A Messenger connection's settings, as stored (secrets decrypted by the host). */
export interface MessengerSettings {
  /** The Facebook page's id (digits): entries of Meta's webhook name it, and threads are `<pageId>:<psid>`. */
  pageId: string;
  /** The page access token the Send and profile APIs are called with. */
  pageAccessToken: string;
  /** The Meta app's secret: it signs every webhook delivery (X-Hub-Signature-256). */
  appSecret: string;
  /** What Meta sends back in the subscription handshake; the admin chooses it. */
  verifyToken: string;
  /** Meta's Graph API unless a test or a proxy says otherwise; no trailing slash. */
  graphApiBaseUrl: string;
  /** `v23.0`. */
  apiVersion: string;
  /** Allow Meta's HUMAN_AGENT tag: replies up to 7 days after the contact's last message instead of 24 hours. */
  humanAgentTag: boolean;
}

export const MESSENGER_SECRETS = ['pageAccessToken', 'appSecret', 'verifyToken'] as const;

const KNOWN_SETTINGS = ['pageId', 'pageAccessToken', 'appSecret', 'verifyToken', 'graphApiBaseUrl', 'apiVersion', 'humanAgentTag'];

/** The Inbox settings form for a Messenger connection, with where each value is found on Meta's side. */
export const MESSENGER_SETTING_FIELDS: readonly ConnectionSettingField[] = [
  {
    key: 'pageId',
    type: 'text',
    label: { en: 'Facebook page id', nl: 'Id van de Facebook-pagina' },
    help: {
      en: "Digits only. On the page: About › Page transparency, or in the Meta app's Messenger › Messenger API settings, next to the page.",
      nl: 'Alleen cijfers. Op de pagina: Info › Paginatransparantie, of in de Meta-app onder Messenger › Messenger API-instellingen, naast de pagina.',
    },
  },
  {
    key: 'pageAccessToken',
    type: 'secret',
    label: { en: 'Page access token', nl: 'Toegangstoken van de pagina' },
    help: {
      en: "Meta app › Messenger › Messenger API settings › Generate access tokens › Generate next to the page (a system user's token does not expire).",
      nl: 'Meta-app › Messenger › Messenger API-instellingen › Toegangstokens genereren › Genereren naast de pagina (het token van een systeemgebruiker verloopt niet).',
    },
  },
  {
    key: 'appSecret',
    type: 'secret',
    label: { en: 'App secret', nl: 'App-geheim' },
    help: {
      en: 'Meta app › App settings › Basic › App secret (Show). Meta signs every webhook delivery with it.',
      nl: 'Meta-app › App-instellingen › Basis › App-geheim (Weergeven). Meta ondertekent elke webhookaanroep ermee.',
    },
  },
  {
    key: 'verifyToken',
    type: 'secret',
    generate: true,
    label: { en: 'Verify token', nl: 'Verificatietoken' },
    help: {
      en: "At least 8 characters you choose. Paste it as the Verify token in the Meta app's Messenger › Webhooks, with the callback URL https://<parley>/channels/messenger/webhook.",
      nl: 'Minstens 8 tekens naar keuze. Plak het als Verify token in de Meta-app onder Messenger › Webhooks, met de callback-URL https://<parley>/channels/messenger/webhook.',
    },
  },
  {
    key: 'humanAgentTag',
    type: 'checkbox',
    label: { en: 'Allow the human agent tag (answer up to 7 days)', nl: 'Tag voor menselijke medewerkers toestaan (antwoorden tot 7 dagen)' },
    help: {
      en: 'Needs the Human Agent permission approved for the Meta app (App Review). Without it Messenger allows answers within 24 hours only.',
      nl: 'Vereist de goedgekeurde Human Agent-machtiging voor de Meta-app (App Review). Zonder die staat Messenger alleen antwoorden binnen 24 uur toe.',
    },
  },
  {
    key: 'graphApiBaseUrl',
    type: 'text',
    label: { en: 'Graph API address', nl: 'Adres van de Graph API' },
    help: {
      en: `Leave ${DEFAULT_GRAPH_API_BASE_URL} unless a proxy stands in between.`,
      nl: `Laat ${DEFAULT_GRAPH_API_BASE_URL} staan, tenzij er een proxy tussen zit.`,
    },
  },
  {
    key: 'apiVersion',
    type: 'text',
    label: { en: 'Graph API version', nl: 'Versie van de Graph API' },
    help: { en: `Like ${DEFAULT_GRAPH_API_VERSION}.`, nl: `Zoals ${DEFAULT_GRAPH_API_VERSION}.` },
  },
];

/**
 * Checks and completes a connection's settings (ConnectionSettingsSpec.validate). `pageIdsInUse`
 * answers the page ids of the plugin's other connections: a page is connected once.
 */
export async function validateMessengerSettings(
  input: Record<string, unknown>,
  context: ConnectionSettingsContext,
  pageIdsInUse: () => Promise<string[]> = async () => [],
): Promise<Record<string, unknown>> {
  if (typeof input !== 'object' || input === null || Array.isArray(input))
    throw new ConnectionSettingsError('settings', `must be an object (got ${describe(input)})`);
  for (const key of Object.keys(input)) {
    if (!KNOWN_SETTINGS.includes(key)) throw new ConnectionSettingsError(key, `is not a Messenger setting (known: ${KNOWN_SETTINGS.join(', ')})`);
  }
  const pageId = typeof input.pageId === 'number' && Number.isSafeInteger(input.pageId) ? String(input.pageId) : input.pageId;
  if (typeof pageId !== 'string' || !/^\d{1,30}$/.test(pageId.trim())) {
    throw new ConnectionSettingsError('pageId', `must be the Facebook page's id, digits only (got ${describe(input.pageId)})`);
  }
  const settings: MessengerSettings = {
    pageId: pageId.trim(),
    pageAccessToken: secretText(input.pageAccessToken, 'pageAccessToken', 10, 1000, 'the page access token from the Meta app'),
    appSecret: secretText(input.appSecret, 'appSecret', 8, 200, "the Meta app's secret"),
    verifyToken: secretText(input.verifyToken, 'verifyToken', 8, 200, 'a verify token of your choice'),
    graphApiBaseUrl: checkGraphApiBaseUrl(input.graphApiBaseUrl),
    apiVersion: apiVersion(input.apiVersion),
    humanAgentTag: optionalBoolean(input.humanAgentTag, 'humanAgentTag'),
  };
  const previousPage = typeof context.previous?.pageId === 'string' ? context.previous.pageId : undefined;
  if (settings.pageId !== previousPage && (await pageIdsInUse()).includes(settings.pageId)) {
    throw new ConnectionSettingsError('pageId', `the page ${settings.pageId} is connected already (to this or another inbox); a page can be connected once`);
  }
  return { ...settings };
}

/** The stored settings read back defensively. */
export function messengerSettings(connection: PluginChannelConnection): MessengerSettings {
  const s = connection.settings ?? {};
  const text = (value: unknown, fallback = '') => (typeof value === 'string' ? value : fallback);
  return {
    pageId: text(s.pageId),
    pageAccessToken: text(s.pageAccessToken),
    appSecret: text(s.appSecret),
    verifyToken: text(s.verifyToken),
    ...storedGraphApi(s),
    humanAgentTag: s.humanAgentTag === true,
  };
}

function secretText(value: unknown, field: string, min: number, max: number, what: string): string {
  if (typeof value !== 'string' || value.trim() === '')
    throw new ConnectionSettingsError(
      field,
      `is required: ${what} (got ${value === undefined ? 'nothing' : typeof value === 'string' ? 'an empty text' : `a ${typeof value}`})`,
    );
  const text = value.trim();
  if (text.length < min || text.length > max) throw new ConnectionSettingsError(field, `must be ${min}-${max} characters (got ${text.length})`);
  if (/\s/.test(text)) throw new ConnectionSettingsError(field, 'must not contain spaces or line breaks');
  return text;
}

function apiVersion(value: unknown): string {
  if (value === undefined || value === null || value === '') return DEFAULT_GRAPH_API_VERSION;
  if (typeof value !== 'string' || !GRAPH_API_VERSION_PATTERN.test(value.trim())) {
    throw new ConnectionSettingsError('apiVersion', `must be a Graph API version like ${DEFAULT_GRAPH_API_VERSION} (got ${describe(value)})`);
  }
  return value.trim();
}
