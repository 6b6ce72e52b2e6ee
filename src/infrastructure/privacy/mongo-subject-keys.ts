import { randomBytes } from 'node:crypto';
import { mongo, type Connection } from 'mongoose';
import type { SubjectKey, SubjectKeys } from '../../application/ports/subject-keys.port';
import { SubjectKeyCache } from './subject-key-cache';

/** The collection of subject keys. Not a projection's: no rebuild clears or recreates it. */
export const SUBJECT_KEYS_COLLECTION = 'subject_keys';

interface SubjectKeyDocument {
  _id: string;
  subject: string;
  key: mongo.Binary;
  createdAt: Date;
}

/**
 * READ_STORE=mongodb: subject keys in MongoDB, on the read side's connection, shared by every
 * instance. Two instances that create a subject's first key at once each store one: both stay
 * valid (values name their key), and destroy removes every key of the subject. A key another
 * instance destroyed may stay in this instance's cache until it restarts; its read models are
 * scrubbed by the projections all the same (docs/privacy.md).
 */
export class MongoSubjectKeys implements SubjectKeys {
  private readonly cache = new SubjectKeyCache();
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
    if (cached) return cached;
    const collection = await this.ready;
    const existing = await collection.findOne({ subject }, { sort: { createdAt: -1, _id: 1 } });
    let key: SubjectKey;
    if (existing) {
      key = { id: existing._id, key: Buffer.from(existing.key.buffer) };
    } else {
      key = { id: randomBytes(12).toString('base64url'), key: randomBytes(32) };
      await collection.insertOne({ _id: key.id, subject, key: new mongo.Binary(key.key), createdAt: this.now() }, { writeConcern: { w: 'majority', j: true } });
    }
    this.cache.rememberCurrent(subject, key);
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
  }

  async close(): Promise<void> {
    // The connection is the read side's: its owner closes it.
  }
}
