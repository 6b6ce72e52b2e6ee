import type { PluginStorage } from '../../plugins/channel-plugin';

/**
 * Where the host keeps its plugins' documents (ChannelHostConnection.storage): the embedded
 * SQLite file, or MongoDB with READ_STORE=mongodb. Not a read model: nothing rebuilds it from the
 * event log, so `parley replay` leaves it alone and `parley backup` must copy it.
 */
export interface PluginDocumentStore {
  /** One plugin's documents; another plugin's keys are out of its reach. */
  forPlugin(pluginId: string): PluginStorage;
  close(): Promise<void>;
}

/** The Nest token of the PluginDocumentStore the plugin registry hands out. */
export const PLUGIN_DOCUMENTS = Symbol('PLUGIN_DOCUMENTS');
