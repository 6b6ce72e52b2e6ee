import type { Decider } from '../shared/decider';
import { conflict, invalidInput, notFound } from '../shared/domain-error';
import { CHANNEL_ID_PATTERN } from '../shared/types';
import type { ChannelConnectionCommand, ChannelConnectionEvent, ChannelConnectionChanged, ConnectionSettings } from './channel-connection.events';

export const CHANNEL_CONNECTION_NAME_MAX_LENGTH = 100;

export type ChannelConnectionState =
  | { readonly status: 'none' }
  | {
      readonly status: 'active';
      readonly connectionId: string;
      readonly inboxId: string;
      readonly type: string;
      readonly name: string;
      readonly settings: ConnectionSettings;
      readonly secretKeys: readonly string[];
    }
  | { readonly status: 'removed'; readonly connectionId: string; readonly inboxId: string; readonly type: string };

export type ActiveChannelConnection = Extract<ChannelConnectionState, { status: 'active' }>;

export const channelConnectionDecider: Decider<ChannelConnectionCommand, ChannelConnectionEvent, ChannelConnectionState> = {
  initialState: () => ({ status: 'none' }),

  evolve: (state, event) => {
    switch (event.type) {
      case 'ChannelConnected':
        return { status: 'active', ...event.data };
      case 'ChannelConnectionChanged':
        if (state.status !== 'active') return state;
        return {
          ...state,
          ...(event.data.name === undefined ? {} : { name: event.data.name }),
          ...(event.data.settings === undefined ? {} : { settings: event.data.settings }),
          ...(event.data.secretKeys === undefined ? {} : { secretKeys: event.data.secretKeys }),
        };
      case 'ChannelDisconnected':
        if (state.status !== 'active') return state;
        return { status: 'removed', connectionId: state.connectionId, inboxId: state.inboxId, type: state.type };
      default:
        return state;
    }
  },

  decide: (command, state) => {
    switch (command.type) {
      case 'ConnectChannel': {
        if (state.status !== 'none')
          throw conflict('channel-connection-exists', 'channel connection {{connectionId}} already exists; connect again with a new id', {
            connectionId: state.connectionId,
          });
        const { connectionId, inboxId, type } = command.data;
        if (!CHANNEL_ID_PATTERN.test(type))
          throw invalidInput('channel-type-invalid', 'type {{type}} is not a channel plugin id (lower-case letters, digits, dashes)', {
            type: JSON.stringify(type),
          });
        const settings = validSettings(command.data.settings);
        return [
          {
            type: 'ChannelConnected',
            data: { connectionId, inboxId, type, name: validName(command.data.name), settings, secretKeys: validSecretKeys(command.data.secretKeys, settings) },
          },
        ];
      }
      case 'ChangeChannelConnection': {
        const connection = active(state);
        const changes: ChannelConnectionChanged['data'] = {};
        if (command.data.name !== undefined) {
          const name = validName(command.data.name);
          if (name !== connection.name) changes.name = name;
        }
        if (command.data.settings !== undefined) {
          const settings = validSettings(command.data.settings);
          const secretKeys = validSecretKeys(command.data.secretKeys ?? connection.secretKeys, settings);
          // Ciphertext differs each time it is made, so "changed" is what the application says it sent.
          if (!sameJson(settings, connection.settings)) changes.settings = settings;
          if (!sameJson([...secretKeys].sort(), [...connection.secretKeys].sort())) changes.secretKeys = secretKeys;
          if (changes.secretKeys && !changes.settings) changes.settings = settings;
        }
        if (Object.keys(changes).length === 0) return [];
        return [{ type: 'ChannelConnectionChanged', data: changes }];
      }
      case 'DisconnectChannel': {
        if (state.status === 'removed') return [];
        active(state);
        return [{ type: 'ChannelDisconnected', data: {} }];
      }
      default: {
        const unknown: never = command;
        throw invalidInput('unknown-command', 'unknown {{aggregate}} command {{type}}', {
          aggregate: 'channel connection',
          type: JSON.stringify((unknown as { type?: unknown }).type),
        });
      }
    }
  },
};

function active(state: ChannelConnectionState): ActiveChannelConnection {
  if (state.status !== 'active') throw notFound('channel-connection-not-found', 'channel connection not found; it may have been removed');
  return state;
}

function validName(value: string): string {
  const name = (typeof value === 'string' ? value : '').trim();
  if (name === '') throw invalidInput('channel-connection-name-empty', 'name must not be empty: give the connection a name, e.g. "Website chat"');
  if (name.length > CHANNEL_CONNECTION_NAME_MAX_LENGTH) {
    throw invalidInput('field-too-long', '{{field}} must be at most {{max}} characters (it has {{length}}); shorten it', {
      field: 'name',
      max: CHANNEL_CONNECTION_NAME_MAX_LENGTH,
      length: name.length,
    });
  }
  return name;
}

function validSettings(settings: ConnectionSettings): ConnectionSettings {
  if (typeof settings !== 'object' || settings === null || Array.isArray(settings)) {
    throw invalidInput('channel-settings-not-object', 'settings must be an object of the channel\'s settings, e.g. {"allowedOrigins":["https://example.com"]}');
  }
  return settings;
}

/** Each secret key names a setting that is present: the others have nothing to keep secret. */
function validSecretKeys(keys: readonly string[], settings: ConnectionSettings): string[] {
  if (!Array.isArray(keys) || keys.some((key) => typeof key !== 'string'))
    throw invalidInput('channel-secret-keys-invalid', 'secretKeys must be a list of setting names');
  const missing = keys.find((key) => !Object.hasOwn(settings, key));
  if (missing !== undefined)
    throw invalidInput('channel-secret-key-missing', 'secretKeys names settings.{{key}}, which the settings do not have', { key: missing });
  return [...new Set(keys)];
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
