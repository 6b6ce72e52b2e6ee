import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import type { PluginKeyValueStore } from './key-value-store';

/**
 * Content-addressed blobs: every inbound message's ORIGINAL bytes (for auditors) and its decoded
 * attachments. The id is `sha256:<hex>` of the content; the message that references a blob carries
 * that id in its event (as an attachment entry), so the hash-chained event log vouches for the
 * blob and anyone can check a blob against it. Writing the same content twice stores it once.
 */
export class BlobStore {
  constructor(private readonly kv: PluginKeyValueStore) {}

  static idOf(content: Buffer): string {
    return `sha256:${createHash('sha256').update(content).digest('hex')}`;
  }

  async has(id: string): Promise<boolean> {
    return /^sha256:[0-9a-f]{64}$/.test(id) && this.kv.has(keyOf(id));
  }

  /** Stores the content durably (unless it is already there) and returns its id. */
  async put(content: Buffer): Promise<string> {
    const id = BlobStore.idOf(content);
    if (!(await this.kv.has(keyOf(id)))) await this.kv.set(keyOf(id), content);
    return id;
  }

  /** As put, for content in a file (a spooled message, a decoded attachment): never read into memory whole. */
  async putFile(file: string): Promise<string> {
    const hash = createHash('sha256');
    await pipeline(createReadStream(file), hash);
    const id = `sha256:${hash.digest('hex')}`;
    if (!(await this.kv.has(keyOf(id)))) await this.kv.setFromFile(keyOf(id), file);
    return id;
  }

  /** The content, or null when unknown; a blob whose bytes no longer match its id is refused. */
  async get(id: string): Promise<Buffer | null> {
    if (!/^sha256:[0-9a-f]{64}$/.test(id)) return null;
    const content = await this.kv.get(keyOf(id));
    if (content === null) return null;
    if (BlobStore.idOf(content) !== id) throw new Error(`blob ${id} is corrupt: its content no longer matches its hash`);
    return content;
  }

  /** Removes the blob; an unknown id is fine. */
  async delete(id: string): Promise<void> {
    if (/^sha256:[0-9a-f]{64}$/.test(id)) await this.kv.delete(keyOf(id));
  }
}

const keyOf = (id: string) => `blob\u0000${id}`;
