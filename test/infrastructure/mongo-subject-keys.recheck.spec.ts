import type { Connection } from 'mongoose';
import { MongoSubjectKeys, RECHECK_MS } from '../../src/infrastructure/privacy/mongo-subject-keys';

/**
 * Two instances share the MongoDB subject keys; one destroys a subject's key that the other holds
 * as the subject's current. Without a MongoDB server: the collection is a small in-memory stand-in
 * for the four calls the adapter makes (the contract suite runs the adapter against a real server).
 */
describe('MongoDB subject keys: a key destroyed by another instance (no server needed)', () => {
  type Doc = { _id: string; subject: string; key: { buffer: Uint8Array }; createdAt: Date };

  function sharedCollection() {
    const docs = new Map<string, Doc>();
    const matches = (doc: Doc, filter: { _id?: string; subject?: string | { $in: string[] } }) =>
      (filter._id === undefined || doc._id === filter._id) &&
      (filter.subject === undefined || (typeof filter.subject === 'string' ? doc.subject === filter.subject : filter.subject.$in.includes(doc.subject)));
    const collection = {
      lookups: 0,
      async createIndex() {
        return 'subject_created';
      },
      async findOne(filter: { _id?: string; subject?: string }) {
        collection.lookups += 1;
        const found = [...docs.values()].filter((doc) => matches(doc, filter)).sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime());
        return found[0] ?? null;
      },
      async insertOne(doc: Doc) {
        docs.set(doc._id, doc);
      },
      async deleteMany(filter: { subject: { $in: string[] } }) {
        for (const [id, doc] of docs) if (matches(doc, filter)) docs.delete(id);
      },
    };
    return collection;
  }

  let clock = 0;
  const now = () => new Date(clock);
  const instance = (collection: ReturnType<typeof sharedCollection>) =>
    new MongoSubjectKeys({ db: { collection: () => collection } } as unknown as Connection, Promise.resolve(), now);

  it('keeps sealing with its cached key only for RECHECK_MS, then takes a new one', async () => {
    clock = Date.parse('2026-12-07T12:00:00Z');
    const collection = sharedCollection();
    const a = instance(collection);
    const b = instance(collection);
    const first = await a.keyFor('contact-ada');
    expect((await b.keyFor('contact-ada')).id).toBe(first.id);

    await a.destroy(['contact-ada']);
    expect(await b.find('contact-ada', first.id)).not.toBeNull(); // b's cache still holds it …
    clock += RECHECK_MS - 1;
    expect((await b.keyFor('contact-ada')).id).toBe(first.id); // … and uses it within the window
    clock += 1;
    const fresh = await b.keyFor('contact-ada');
    expect(fresh.id).not.toBe(first.id);
    expect(await b.find('contact-ada', first.id)).toBeNull();
    expect((await a.keyFor('contact-ada')).id).toBe(fresh.id);
  });

  it('a key that still exists is looked up once per RECHECK_MS, not on every event', async () => {
    clock = Date.parse('2026-12-07T12:00:00Z');
    const collection = sharedCollection();
    const a = instance(collection);
    const key = await a.keyFor('conversation-1');
    const lookups = collection.lookups;
    for (let i = 0; i < 50; i += 1) expect((await a.keyFor('conversation-1')).id).toBe(key.id);
    expect(collection.lookups).toBe(lookups);
    clock += RECHECK_MS;
    expect((await a.keyFor('conversation-1')).id).toBe(key.id);
    expect(collection.lookups).toBe(lookups + 1);
  });
});
