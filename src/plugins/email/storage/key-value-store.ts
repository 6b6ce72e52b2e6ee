import { readFile } from 'node:fs/promises';

/**
 * Where the email channel keeps large blobs (original messages, attachments) and who holds them:
 * FileKeyValueStore in its own folder under the data directory. Bytes, not JSON, and bigger than
 * the host's plugin storage takes (1 MiB a document), which keeps the thread index instead.
 */
export interface PluginKeyValueStore {
  get(key: string): Promise<Buffer | null>;
  /** Resolves once the value is durable (a crash afterwards does not lose it). */
  set(key: string, value: Buffer): Promise<void>;
  /** As set, with the value a file holds; the file stays where it is, and is not changed afterwards. */
  setFromFile(key: string, file: string): Promise<void>;
  /** Only for keys written once and never changed (content-addressed): resolves true when present. */
  has(key: string): Promise<boolean>;
  /** Removes the key durably; a key that is not there is fine. */
  delete(key: string): Promise<void>;
}

/** In memory, for tests. */
export class MemoryKeyValueStore implements PluginKeyValueStore {
  private readonly values = new Map<string, Buffer>();

  async get(key: string): Promise<Buffer | null> {
    const value = this.values.get(key);
    return value ? Buffer.from(value) : null;
  }

  async set(key: string, value: Buffer): Promise<void> {
    this.values.set(key, Buffer.from(value));
  }

  async has(key: string): Promise<boolean> {
    return this.values.has(key);
  }

  async setFromFile(key: string, file: string): Promise<void> {
    this.values.set(key, await readFile(file));
  }

  async delete(key: string): Promise<void> {
    this.values.delete(key);
  }

  get size(): number {
    return this.values.size;
  }

  /** Every key and value (tests check what is kept). */
  entries(): [string, Buffer][] {
    return [...this.values.entries()].map(([key, value]) => [key, Buffer.from(value)]);
  }
}
