import type { PluginStorage } from '../channel-plugin';
import { checkKey, checkListQuery, compareKeys, serializeValue } from '../plugin-storage-rules';

/**
 * One plugin's documents in memory, with the host's rules (keys, 1 MiB values, `list` in key
 * order): for the conformance kit's fake host and unit tests. Values are kept as JSON text, so a
 * caller never shares an object with the store, exactly as with the real engines.
 */
export class MemoryPluginStorage implements PluginStorage {
  private readonly documents = new Map<string, string>();

  async get<T = unknown>(key: string): Promise<T | null> {
    const text = this.documents.get(checkKey(key));
    return text === undefined ? null : (JSON.parse(text) as T);
  }

  async set(key: string, value: unknown): Promise<void> {
    this.documents.set(checkKey(key), serializeValue(key, value));
  }

  async setIfAbsent(key: string, value: unknown): Promise<boolean> {
    const text = serializeValue(checkKey(key), value);
    if (this.documents.has(key)) return false;
    this.documents.set(key, text);
    return true;
  }

  async delete(key: string): Promise<void> {
    this.documents.delete(checkKey(key));
  }

  async list<T = unknown>(prefix: string, options?: { after?: string; limit?: number }): Promise<{ key: string; value: T }[]> {
    const query = checkListQuery(prefix, options);
    return [...this.documents.keys()]
      .filter((key) => key.startsWith(query.prefix) && (query.after === undefined || compareKeys(key, query.after) > 0))
      .sort(compareKeys)
      .slice(0, query.limit)
      .map((key) => ({ key, value: JSON.parse(this.documents.get(key)!) as T }));
  }

  /** How many documents it holds (tests). */
  get size(): number {
    return this.documents.size;
  }
}
