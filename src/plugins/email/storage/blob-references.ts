import type { PluginKeyValueStore } from './key-value-store';
import type { BlobStore } from './raw-message-store';

/** A blob a conversation holds, and how to write it again if it went missing meanwhile. */
export interface HeldBlob {
  id: string;
  store(): Promise<unknown>;
}

/**
 * Which conversations reference each blob (content-addressed: the same attachment in two
 * conversations is one blob). Serves two rules: a blob is shown only to an agent who may read a
 * conversation holding it, and a blob goes when the last conversation holding it is deleted
 * forever. Changes run one at a time, so "the last holder let go, delete" never races with a new
 * message taking the same blob: `hold` writes the blob again if a release removed it just before.
 */
export class BlobReferences {
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly kv: PluginKeyValueStore,
    private readonly blobs: BlobStore,
  ) {}

  /** The conversations holding the blob; null for a blob stored before holders were recorded. */
  async holders(id: string): Promise<string[] | null> {
    const value = await this.kv.get(keyOf(id));
    return value === null ? null : (JSON.parse(value.toString('utf8')) as string[]);
  }

  /** Records that the conversation holds these blobs (again is a no-op), and makes sure each is stored. */
  hold(conversationId: string, held: readonly HeldBlob[]): Promise<void> {
    return this.serially(async () => {
      for (const blob of held) {
        const holders = (await this.holders(blob.id)) ?? [];
        if (!holders.includes(conversationId)) await this.write(blob.id, [...holders, conversationId]);
        if (!(await this.blobs.has(blob.id))) await blob.store();
      }
    });
  }

  /** The conversation lets go of these blobs; a blob nothing holds any more is deleted. Idempotent. */
  release(conversationId: string, ids: readonly string[]): Promise<{ deleted: string[] }> {
    return this.serially(async () => {
      const deleted: string[] = [];
      for (const id of new Set(ids)) {
        const holders = await this.holders(id);
        if (holders === null) continue; // never recorded: another channel's id, or a blob from before holders were kept
        const rest = holders.filter((holder) => holder !== conversationId);
        if (rest.length > 0) {
          if (rest.length !== holders.length) await this.write(id, rest);
          continue;
        }
        // The blob first: a crash in between leaves an empty record, and the retry deletes again.
        await this.blobs.delete(id);
        await this.kv.delete(keyOf(id));
        deleted.push(id);
      }
      return { deleted };
    });
  }

  private write(id: string, holders: string[]): Promise<void> {
    return this.kv.set(keyOf(id), Buffer.from(JSON.stringify(holders), 'utf8'));
  }

  private serially<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work);
    this.queue = run.catch(() => undefined);
    return run;
  }
}

const keyOf = (id: string) => `blob-holders\u0000${id}`;
