import { channelConnectionDecider as decider } from '../../src/domain/channel-connection/channel-connection.decider';
import type { ChannelConnectionCommand, ChannelConnectionEvent, ConnectChannel } from '../../src/domain/channel-connection/channel-connection.events';
import { given, stateAfter } from '../support/given-when-then';

const connect = (overrides: Partial<ConnectChannel['data']> = {}): ChannelConnectionCommand => ({
  type: 'ConnectChannel',
  data: {
    connectionId: 'conn-1',
    inboxId: 'inbox-1',
    type: 'chat',
    name: 'Website chat',
    settings: { allowedOrigins: ['https://shop.example'], identityVerificationSecret: 'v1:iv:tag:data' },
    secretKeys: ['identityVerificationSecret'],
    ...overrides,
  },
});
const connected: ChannelConnectionEvent = {
  type: 'ChannelConnected',
  data: {
    connectionId: 'conn-1',
    inboxId: 'inbox-1',
    type: 'chat',
    name: 'Website chat',
    settings: { allowedOrigins: ['https://shop.example'], identityVerificationSecret: 'v1:iv:tag:data' },
    secretKeys: ['identityVerificationSecret'],
  },
};
const change = (data: { name?: string; settings?: Record<string, unknown>; secretKeys?: string[] }): ChannelConnectionCommand => ({
  type: 'ChangeChannelConnection',
  data,
});
const disconnect: ChannelConnectionCommand = { type: 'DisconnectChannel', data: {} };
const disconnected: ChannelConnectionEvent = { type: 'ChannelDisconnected', data: {} };

describe('channel connection: ConnectChannel', () => {
  it('connects a channel to an inbox with a trimmed name, its settings and which of them are secret', () => {
    given(decider)
      .when(connect({ name: '  Website chat ' }))
      .then([connected]);
  });

  it('refuses an id that exists, even a removed one', () => {
    given(decider, connected)
      .when(connect())
      .thenThrows('conflict', /conn-1 already exists/);
    given(decider, connected, disconnected).when(connect()).thenThrows('conflict');
  });

  it.each([
    ['an empty name', { name: '  ' }, /^name must not be empty/],
    ['a name over 100 characters', { name: 'x'.repeat(101) }, /^name must be at most 100 characters \(it has 101\)/],
    ['a type that is not a plugin id', { type: 'Chat!' }, /^type "Chat!" is not a channel plugin id/],
    ['settings that are not an object', { settings: ['x'] as never }, /^settings must be an object/],
    ['a secret key naming a setting that is not there', { secretKeys: ['sessionSecret'] }, /^secretKeys names settings.sessionSecret/],
  ])('refuses %s', (_label, overrides, message) => {
    given(decider).when(connect(overrides)).thenThrows('invalid-input', message);
  });
});

describe('channel connection: ChangeChannelConnection', () => {
  it('records only what changed', () => {
    given(decider, connected)
      .when(change({ name: 'Shop chat', settings: connected.data.settings as Record<string, unknown> }))
      .then([{ type: 'ChannelConnectionChanged', data: { name: 'Shop chat' } }]);
    const settings = { allowedOrigins: [], identityVerificationSecret: 'v1:iv:tag:other' };
    given(decider, connected)
      .when(change({ settings, secretKeys: ['identityVerificationSecret'] }))
      .then([{ type: 'ChannelConnectionChanged', data: { settings } }]);
  });

  it('records a change of which settings are secret together with the settings', () => {
    const settings = { ...connected.data.settings, sessionSecret: 'v1:a:b:c' };
    given(decider, connected)
      .when(change({ settings, secretKeys: ['identityVerificationSecret', 'sessionSecret'] }))
      .then([{ type: 'ChannelConnectionChanged', data: { settings, secretKeys: ['identityVerificationSecret', 'sessionSecret'] } }]);
  });

  it('does nothing when nothing changed (saving the form again)', () => {
    given(decider, connected)
      .when(change({ name: 'Website chat ', settings: { ...connected.data.settings }, secretKeys: ['identityVerificationSecret'] }))
      .then([]);
  });

  it('refuses a removed or unknown connection, and an empty name', () => {
    given(decider, connected, disconnected)
      .when(change({ name: 'Back' }))
      .thenThrows('not-found', /removed/);
    given(decider)
      .when(change({ name: 'Back' }))
      .thenThrows('not-found');
    given(decider, connected)
      .when(change({ name: '' }))
      .thenThrows('invalid-input', /^name must not be empty/);
  });

  it('folds the change into the state', () => {
    const state = stateAfter(decider, connected, { type: 'ChannelConnectionChanged', data: { name: 'Shop chat' } });
    expect(state).toMatchObject({ status: 'active', name: 'Shop chat', settings: connected.data.settings, secretKeys: ['identityVerificationSecret'] });
  });
});

describe('channel connection: DisconnectChannel', () => {
  it('removes an active connection once; again is nothing to do', () => {
    given(decider, connected).when(disconnect).then([disconnected]);
    given(decider, connected, disconnected).when(disconnect).then([]);
  });

  it('refuses an unknown connection', () => {
    given(decider).when(disconnect).thenThrows('not-found');
  });

  it('keeps the inbox and type of a removed connection, not its settings', () => {
    expect(stateAfter(decider, connected, disconnected)).toEqual({ status: 'removed', connectionId: 'conn-1', inboxId: 'inbox-1', type: 'chat' });
  });
});
