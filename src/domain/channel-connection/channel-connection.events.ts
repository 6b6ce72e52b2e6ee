/**
 * A channel connection: one channel plugin (chat, Messenger …) connected to one inbox by an admin
 * (docs/api.md "Channel connections"). The actor in each event's metadata is who connected,
 * changed or removed it, so the audit history answers "who connected what".
 *
 * Settings are the plugin's JSON object as it validated it. The values named by `secretKeys` are
 * ciphertext (`v1:<iv>:<tag>:<data>`, encrypted by the application with the instance key) by the
 * time they reach the domain: the event log never holds a secret in plain text.
 */
export type ConnectionSettings = Readonly<Record<string, unknown>>;

export type ChannelConnectionEvent = ChannelConnected | ChannelConnectionChanged | ChannelDisconnected;

export interface ChannelConnected {
  type: 'ChannelConnected';
  data: { connectionId: string; inboxId: string; type: string; name: string; settings: ConnectionSettings; secretKeys: string[] };
}

/** Only what changed is present. `settings` replaces the stored settings as a whole (secrets still encrypted). */
export interface ChannelConnectionChanged {
  type: 'ChannelConnectionChanged';
  data: { name?: string; settings?: ConnectionSettings; secretKeys?: string[] };
}

export interface ChannelDisconnected {
  type: 'ChannelDisconnected';
  data: Record<string, never>;
}

export type ChannelConnectionCommand = ConnectChannel | ChangeChannelConnection | DisconnectChannel;

export interface ConnectChannel {
  type: 'ConnectChannel';
  data: { connectionId: string; inboxId: string; type: string; name: string; settings: ConnectionSettings; secretKeys: string[] };
}

export interface ChangeChannelConnection {
  type: 'ChangeChannelConnection';
  data: { name?: string; settings?: ConnectionSettings; secretKeys?: string[] };
}

export interface DisconnectChannel {
  type: 'DisconnectChannel';
  data: Record<string, never>;
}
