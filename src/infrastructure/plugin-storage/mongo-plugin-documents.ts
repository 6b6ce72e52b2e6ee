import type { Connection, mongo } from 'mongoose';
import type { PluginStorage } from '../../plugins/channel-plugin';
import type { PluginDocumentStore } from './plugin-documents';
import { checkKey, checkListQuery, prefixEnd, serializeValue } from '../../plugins/plugin-storage-rules';

/** The collection of plugin documents. Not a projection's: no rebuild clears it. */
export const PLUGIN_DOCUMENTS_COLLECTION = 'plugin_documents';

interface PluginDocument {
  plugin: string;
  key: string;
  /** The value's JSON text: any key a plugin uses in its values ($, dots) is stored as it is. */
  value: string;
  updatedAt: Date;
}

const DUPLICATE_KEY = 11000;
const isDuplicateKey = (error: unknown) => (error as { code?: unknown })?.code === DUPLICATE_KEY;

/**
 * READ_STORE=mongodb: plugin documents in MongoDB, on the read side's connection, so every
 * instance sharing the database sees one state. The unique index on (plugin, key) makes
 * setIfAbsent a claim that exactly one instance wins, and gives `list` its order (keys compare by
 * their UTF-8 bytes, MongoDB's simple collation).
 */
export class MongoPluginDocuments implements PluginDocumentStore {
  private readonly ready: Promise<mongo.Collection<PluginDocument>>;

  /** `connected` resolves once the connection answered (the read side's `ready`); commands wait for it. */
  constructor(
    private readonly connection: Connection,
    connected: Promise<void>,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.ready = connected.then(async () => {
      const collection = this.connection.db!.collection<PluginDocument>(PLUGIN_DOCUMENTS_COLLECTION);
      await collection.createIndex({ plugin: 1, key: 1 }, { unique: true, name: 'plugin_key' });
      return collection;
    });
    // Observed by the first command; until then a failure must not count as unhandled.
    this.ready.catch(() => undefined);
  }

  /** Resolves once the collection and its index exist (start-up and tests). */
  async whenReady(): Promise<void> {
    await this.ready;
  }

  forPlugin(pluginId: string): PluginStorage {
    const documents = () => this.ready;
    const write = async (key: string, value: unknown, onlyIfAbsent: boolean): Promise<boolean> => {
      const text = serializeValue(checkKey(key), value);
      const collection = await documents();
      const update = onlyIfAbsent ? { $setOnInsert: { value: text, updatedAt: this.now() } } : { $set: { value: text, updatedAt: this.now() } };
      // Two upserts of one new key can both miss and both insert: the index refuses the second.
      // For a claim that is the answer (someone else has it); a plain set simply tries again.
      for (let attempt = 1; ; attempt += 1) {
        try {
          const result = await collection.updateOne({ plugin: pluginId, key }, update, { upsert: true });
          return result.upsertedCount === 1;
        } catch (error) {
          if (!isDuplicateKey(error)) throw error;
          if (onlyIfAbsent) return false;
          if (attempt >= 3) throw error;
        }
      }
    };
    return Object.freeze({
      get: async <T>(key: string): Promise<T | null> => {
        const found = await (await documents()).findOne({ plugin: pluginId, key: checkKey(key) }, { projection: { value: 1 } });
        return found ? (JSON.parse(found.value) as T) : null;
      },
      set: async (key: string, value: unknown): Promise<void> => void (await write(key, value, false)),
      setIfAbsent: (key: string, value: unknown): Promise<boolean> => write(key, value, true),
      delete: async (key: string): Promise<void> => {
        await (await documents()).deleteOne({ plugin: pluginId, key: checkKey(key) });
      },
      list: async <T>(prefix: string, options?: { after?: string; limit?: number }): Promise<{ key: string; value: T }[]> => {
        const { after, limit } = checkListQuery(prefix, options);
        const end = prefixEnd(prefix);
        const range: mongo.Filter<PluginDocument>['key'] = {
          $gte: prefix,
          ...(end === null ? {} : { $lt: end }),
          ...(after === undefined ? {} : { $gt: after }),
        };
        const found = await (
          await documents()
        )
          .find({ plugin: pluginId, key: range }, { projection: { key: 1, value: 1 } })
          .sort({ key: 1 })
          .limit(limit)
          .toArray();
        return found.map((document) => ({ key: document.key, value: JSON.parse(document.value) as T }));
      },
    });
  }

  /** The connection is the read side's: it closes it. */
  async close(): Promise<void> {}
}
