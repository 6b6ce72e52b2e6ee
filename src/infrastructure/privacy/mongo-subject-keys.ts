import { randomBytes } from 'node:crypto';
import { mongo, type Connection } from 'mongoose';
import type { SubjectKey, SubjectKeys } from '../../application/ports/subject-keys.port';
import { SubjectKeyCache } from './subject-key-cache';

/** The collection of subject keys. Not a projection's: no rebuild clears or recreates it. */
export const SUBJECT_KEYS_COLLECTION = 'subject_keys';

/** How long a cached current key is used before keyFor checks again that it was not destroyed elsewhere. */
export const RECHECK_MS = 10_000;
/** As the key cache's own bound: a subject missing here is only checked once more. */
const MAX_CONFIRMED = 20_000;

interface SubjectKeyDocument {
  _id: string;
  subject: string;
  key: mongo.Binary;
  createdAt: Date;
}

/**
 * READ_STORE=mongodb: subject keys in MongoDB, on the read side's connection, shared by every
 * instance. Two instances that create a subject's first key at once each store one: both stay
 * valid (values name their key), and destroy removes every key of the subject. Another instance
 * may destroy a key this one holds as the subject's current: keyFor trusts a cached current key
 * for RECHECK_MS only, then looks again that it still exists, so new events are not sealed with a
 * destroyed key for longer than that. A destroyed key that this instance looked up before may
 * still open old values here until it restarts; the read models are scrubbed all the same
 * (docs/privacy.md).
 */
export class MongoSubjectKeys implements SubjectKeys {
  private readonly cache = new SubjectKeyCache();
  /** When each cached current key was last seen in the collection (ms). */
  private readonly confirmedAt = new Map<string, number>();
  private readonly ready: Promise<mongo.Collection<SubjectKeyDocument>>;

  constructor(
    private readonly connection: Connection,
    connected: Promise<void>,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.ready = connected.then(async () => {
      const collection = this.connection.db!.collection<SubjectKeyDocument>(SUBJECT_KEYS_COLLECTION);
      await collection.createIndex({ subject: 1, createdAt: -1 }, { name: 'subject_created' });
      return collection;
    });
    this.ready.catch(() => undefined);
  }

  async whenReady(): Promise<void> {
    await this.ready;
  }

  async keyFor(subject: string): Promise<SubjectKey> {
    const cached = this.cache.currentOf(subject);
    const now = this.now().getTime();
    if (cached && now - (this.confirmedAt.get(subject) ?? 0) < RECHECK_MS) return cached;
    const collection = await this.ready;
    if (cached) {
      if (await collection.findOne({ _id: cached.id, subject }, { projection: { _id: 1 } })) {
        this.confirmedAt.set(subject, now);
        return cached;
      }
      // Destroyed by another instance: what was sealed with it is gone, new data gets a new key.
      this.cache.forget([subject]);
      this.confirmedAt.delete(subject);
    }
    const existing = await collection.findOne({ subject }, { sort: { createdAt: -1, _id: 1 } });
    let key: SubjectKey;
    if (existing) {
      key = { id: existing._id, key: Buffer.from(existing.key.buffer) };
    } else {
      key = { id: randomBytes(12).toString('base64url'), key: randomBytes(32) };
      await collection.insertOne({ _id: key.id, subject, key: new mongo.Binary(key.key), createdAt: this.now() }, { writeConcern: { w: 'majority', j: true } });
    }
    this.cache.rememberCurrent(subject, key);
    this.confirmedAt.delete(subject);
    this.confirmedAt.set(subject, now);
    if (this.confirmedAt.size > MAX_CONFIRMED) this.confirmedAt.delete(this.confirmedAt.keys().next().value as string);
    return key;
  }

  async find(subject: string, keyId: string): Promise<Buffer | null> {
    const cached = this.cache.byKeyId(subject, keyId);
    if (cached !== undefined) return cached;
    const collection = await this.ready;
    const found = await collection.findOne({ _id: keyId, subject });
    const key = found ? Buffer.from(found.key.buffer) : null;
    this.cache.rememberById(subject, keyId, key);
    return key;
  }

  async destroy(subjects: readonly string[]): Promise<void> {
    const collection = await this.ready;
    await collection.deleteMany({ subject: { $in: [...subjects] } }, { writeConcern: { w: 'majority', j: true } });
    this.cache.forget(subjects);
    for (const subject of subjects) this.confirmedAt.delete(subject);
  }

  async close(): Promise<void> {
    // The connection is the read side's: its owner closes it.
  }
}
