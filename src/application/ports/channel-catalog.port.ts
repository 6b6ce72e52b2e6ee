import type { Channel } from '../../domain/shared/types';

/**
 * Which channels exist in this Parley: the built-in ones and those of the loaded plugins.
 * Implemented by the plugin registry; a filter on a channel nobody provides is a mistake to name.
 */
export const CHANNEL_CATALOG = Symbol('CHANNEL_CATALOG');

export interface ChannelCatalog {
  knownChannels(): readonly Channel[];
}
