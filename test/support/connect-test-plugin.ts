import { ConnectionSettingsError, type ChannelHostConnection, type ChannelPlugin } from '../../src/plugins/channel-plugin';

/** What the test plugin saw: its host connection, the connection changes it was told of, what it validated. */
export interface ConnectTestPluginState {
  host: ChannelHostConnection | null;
  changes: { type: string; connectionId: string }[];
  validated: { settings: Record<string, unknown>; previous?: Record<string, unknown> }[];
}

export const newConnectTestPluginState = (): ConnectTestPluginState => ({ host: null, changes: [], validated: [] });

/**
 * A small connectable channel for tests of channel connections (in place of chat): settings
 * `allowedOrigins` (a list of origins, checked field by field), `greeting`, `preChat`,
 * `inactivityMinutes`, the secret `apiToken` (with a generate button in the form) and the secret
 * `sessionSecret` it generates itself; an embed snippet naming the connection.
 */
export function connectTestPlugin(state: ConnectTestPluginState): ChannelPlugin {
  return {
    id: 'connect-test',
    displayName: 'Connect test',
    icon: '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1"></svg>',
    channel: 'connect-test',
    capabilities: { reply: false, html: false, attachments: false, transcript: false, switchToEmail: false, forward: false, compose: false },
    connectionSettings: {
      secrets: ['apiToken', 'sessionSecret'],
      validate(settings, context) {
        state.validated.push({ settings, previous: context.previous });
        const origins = settings.allowedOrigins ?? [];
        if (!Array.isArray(origins)) throw new ConnectionSettingsError('allowedOrigins', 'must be a list of origins');
        origins.forEach((origin, i) => {
          if (typeof origin !== 'string' || !/^https?:\/\/[^/]+$/.test(origin)) {
            throw new ConnectionSettingsError(`allowedOrigins[${i}]`, `${JSON.stringify(origin)} is not an origin like https://example.com`);
          }
        });
        if (settings.apiToken !== undefined && typeof settings.apiToken !== 'string') throw new ConnectionSettingsError('apiToken', 'must be a string');
        // A generated secret the admin never typed, as chat's session secret.
        return { ...settings, allowedOrigins: origins, sessionSecret: settings.sessionSecret ?? `generated-session-secret-${context.inboxId}` };
      },
      embedSnippet: (connection, { publicUrl }) =>
        `<script src="${publicUrl}/channels/connect-test/widget.js" data-connection="${connection.id}" async></script>`,
      fields: [
        { key: 'allowedOrigins', type: 'lines', label: { en: 'Allowed websites', nl: 'Toegestane websites' }, help: { en: 'One origin per line.' } },
        { key: 'greeting', type: 'text', label: { en: 'Greeting', nl: 'Begroeting' } },
        { key: 'preChat', type: 'checkbox', label: { en: 'Ask for name and email first', nl: 'Eerst naam en e-mail vragen' } },
        { key: 'inactivityMinutes', type: 'number', label: { en: 'Close after minutes of silence', nl: 'Sluiten na minuten stilte' } },
        { key: 'apiToken', type: 'secret', label: { en: 'API token', nl: 'API-token' }, generate: true },
      ],
    },
    connect(connection) {
      state.host = connection;
      connection.connections.onChange((change) => {
        state.changes.push(change);
        // Logs the connection, secrets and all, as a careless plugin might: the host's logger must blank them.
        void connection.connections.get(change.connectionId).then((current) => connection.logger.info({ change, current }, 'connect-test connection changed'));
      });
    },
  };
}
