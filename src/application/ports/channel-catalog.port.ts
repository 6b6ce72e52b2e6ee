import type { Channel } from '../../domain/shared/types';

/**
 * Which channels exist in this Parley: the built-in ones and those of the loaded plugins.
 * Implemented by the plugin registry; a filter on a channel nobody provides is a mistake to name.
 */
export const CHANNEL_CATALOG = Symbol('CHANNEL_CATALOG');

/**
 * What a channel's plugin declares it can do (the plugin interface's ChannelCapabilities): the UI
 * offers an action only where the channel declares it, and the application refuses the rest.
 */
export interface ChannelCapabilitySet {
  reply: boolean;
  html: boolean;
  attachments: boolean;
  transcript: boolean;
  switchToEmail: boolean;
  forward: boolean;
  compose: boolean;
  /** It shows a bot's buttons and hands the pick back (absent: false; the buttons are then listed in the text). */
  choices?: boolean;
}

export interface ChannelCatalog {
  knownChannels(): readonly Channel[];
  /** The capabilities the plugin of `channel` declares; null when no loaded plugin provides the channel. */
  capabilitiesOf(channel: Channel): ChannelCapabilitySet | null;
}
