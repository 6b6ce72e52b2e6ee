import { randomUUID } from 'node:crypto';
import type { AnyBulkWriteOperation, Model } from 'mongoose';
import pino from 'pino';
import type { EventStore, RecordedEvent } from '../../src/application/ports/event-store.port';
import type { RecordStore } from '../../src/application/ports/record-store.port';
import type { ConversationDoc } from '../../src/projections/conversation-summary';
import { conversationsMongoProjection, followedDoc, liveContactId } from '../../src/infrastructure/read-store/mongo/conversations.mongo-projection';
import type { MongoReadModels } from '../../src/infrastructure/read-store/mongo/mongo-models';
import { createMongoReadSide, type MongoReadSide } from '../../src/infrastructure/read-store/mongo/mongo-read-side';
import { decodeRecordCursor, encodeRecordCursor, settingsOf } from '../../src/infrastructure/read-store/mongo/mongo-record-store';
import { RECORD_SETTINGS_ID, type RecordModels } from '../../src/infrastructure/read-store/mongo/records.mongo-model';
import { maxTime, recordsMongoProjection } from '../../src/infrastructure/read-store/mongo/records.mongo-projection';
import { searchTextOf } from '../../src/projections/records-events';
import { InvalidCursorError } from '../../src/application/ports/read-store.port';
import { DEFAULT_FREE_MAIL_DOMAINS } from '../../src/domain/record-settings/record-properties';
import { ContractLog } from '../contracts/read-store.contract';
import { recordsScenario } from '../projections/records-scenario';
import { append, at, cleanUp, cleanUpTempDirs, conversationEvent as e, newEvent, openLiveSystem, recorded, seededRandom } from '../projections/fixtures';

afterEach(cleanUp);
afterAll(cleanUpTempDirs);

const email = (value: string) => ({ kind: 'email' as const, value });

type Doc = { _id: string; lastPosition: number; [field: string]: unknown };

/**
 * The MongoDB records projection without a MongoDB server (the record-store contract runs it
 * against one where there is): its writes are cast by mongoose against the strict schemas, then
 * applied to documents in memory as MongoDB applies a guarded upsert. The same events go through
 * the embedded records projection; every record must come out the same, whatever the batches,
 * after a redelivery of the whole log, and after a batch that failed half-way and was retried.
 */
describe('records read model in MongoDB (no server needed)', () => {
  let side: MongoReadSide;
  beforeAll(async () => {
    side = createMongoReadSide({
      url: 'mongodb://127.0.0.1:1/parley',
      eventStore: {} as EventStore,
      logger: pino({ level: 'silent' }),
      serverSelectionTimeoutMs: 300,
    });
    await side.ready.catch(() => undefined);
  });
  afterAll(async () => {
    await side.close();
  });

  const RECORD_MODELS: Array<keyof RecordModels> = ['contacts', 'contactIdentities', 'companies', 'tickets', 'recordSettings', 'recordConversations'];

  /** The record models over documents in memory; `failAfter` writes, one bulk write fails (a crash half-way). */
  function inMemoryModels() {
    const collections = new Map<string, Map<string, Doc>>();
    const crash = { failAfter: -1 };
    const models = { ...side.models } as Record<string, unknown>;
    for (const name of RECORD_MODELS) {
      const model = side.models[name] as unknown as Model<Doc>;
      const documents = new Map<string, Doc>();
      collections.set(name, documents);
      const stub = Object.create(model) as Record<string, unknown>;
      stub.bulkWrite = async (ops: AnyBulkWriteOperation[], options: unknown) => {
        if (crash.failAfter === 0) {
          crash.failAfter = -1;
          throw new Error('connection lost');
        }
        if (crash.failAfter > 0) crash.failAfter -= 1;
        const copy = JSON.parse(JSON.stringify(ops)) as Array<{
          updateOne: { filter: { _id: string; lastPosition: { $lt: number } }; update: { $set: Record<string, unknown> }; upsert: boolean };
        }>;
        // Casting runs first; only then does the unconnected model refuse.
        await expect(model.bulkWrite(ops as never, options as never)).rejects.toThrow(/before initial connection is complete/);
        for (const { updateOne } of copy) {
          expect(updateOne.upsert).toBe(true);
          const current = documents.get(updateOne.filter._id);
          if (current && !(current.lastPosition < updateOne.filter.lastPosition.$lt)) continue; // MongoDB: E11000, superseded
          documents.set(updateOne.filter._id, { ...(current ?? {}), ...updateOne.update.$set, _id: updateOne.filter._id } as Doc);
        }
      };
      stub.find = (filter: Record<string, unknown>) => {
        model.find(filter).cast(model); // throws on a filter the schema cannot cast
        const found = [...documents.values()].filter((doc) => matches(doc, filter));
        return { lean: async () => JSON.parse(JSON.stringify(found)) as Doc[] };
      };
      models[name] = stub;
    }
    return { models: models as unknown as MongoReadModels, collections, crash };
  }

  function matches(doc: Doc, filter: Record<string, unknown>): boolean {
    return Object.entries(filter).every(([field, condition]) => {
      const value = doc[field] ?? null;
      if (condition !== null && typeof condition === 'object' && '$in' in condition) return (condition as { $in: unknown[] }).$in.includes(value);
      return value === condition;
    });
  }

  /** The records as the embedded store answers, and as the MongoDB documents hold them, in the port's shape. */
  async function embeddedRecords(store: RecordStore, contactIds: string[], ticketIds: string[], companyId: string) {
    return {
      contacts: await Promise.all(contactIds.map(async (id) => strip(await store.getContact(id)))),
      tickets: await Promise.all(ticketIds.map(async (id) => strip(await store.getTicket(id)))),
      company: strip(await store.getCompany(companyId)),
      settings: await store.getRecordSettings(),
      identities: await Promise.all(
        ['person0@example.com', 'person1@example.com', 'second@example.com', 'person5@example.com'].map((a) => store.findContactIdByIdentity(`email:${a}`)),
      ),
    };
  }

  function mongoRecords(collections: Map<string, Map<string, Doc>>, contactIds: string[], ticketIds: string[], companyId: string) {
    const identities = [...collections.get('contactIdentities')!.values()];
    const contacts = collections.get('contacts')!;
    const contact = (id: string) => {
      const doc = contacts.get(id);
      if (!doc || doc.created !== true) return null;
      const held = identities.filter((i) => i.contactId === id).sort((a, b) => (a.seq as number) - (b.seq as number));
      return {
        id,
        name: doc.name,
        emails: held.filter((i) => i.kind === 'email').map((i) => i.value),
        companyId: doc.companyId,
        jobTitle: doc.jobTitle,
        custom: doc.custom,
        inboxIds: [...(doc.inboxIds as string[])].sort(),
        conversationCount: doc.conversationCount,
        lastActivityAt: doc.lastActivityAt,
        createdAt: doc.createdAt,
        updatedAt: doc.updatedAt,
        mergedInto: doc.mergedInto,
        erased: doc.erased,
        revision: doc.revision,
      };
    };
    const ticket = (id: string) => {
      const doc = collections.get('tickets')!.get(id);
      if (!doc || doc.removed) return null;
      const { _id, removed: _removed, openedAt: _openedAt, lastPosition: _lastPosition, ...fields } = doc;
      return { id: _id, ...fields };
    };
    const company = collections.get('companies')!.get(companyId)!;
    return {
      contacts: contactIds.map(contact),
      tickets: ticketIds.map(ticket),
      company: {
        id: companyId,
        name: company.name,
        domain: company.domain,
        custom: company.custom,
        contactCount: [...contacts.values()].filter((c) => c.listed === true && c.companyId === companyId).length,
        createdAt: company.createdAt,
        updatedAt: company.updatedAt,
        revision: company.revision,
      },
      settings: settingsOf((collections.get('recordSettings')!.get(RECORD_SETTINGS_ID) as never) ?? null),
      identities: ['person0@example.com', 'person1@example.com', 'second@example.com', 'person5@example.com'].map(
        (a) => (identities.find((i) => i._id === `email:${a}`)?.contactId as string | null | undefined) ?? null,
      ),
    };
  }

  /** The port's fields these documents hold (phones and identities follow from the same identity rows as emails). */
  function strip(record: object | null): object | null {
    if (!record) return null;
    const { phones: _phones, identities: _identities, ...rest } = record as Record<string, unknown>;
    return rest;
  }

  /** In batches of 1 to 9; each one starts up to 3 events early, as after a crash that left the checkpoint behind the documents. */
  async function applyInBatches(models: MongoReadModels, events: RecordedEvent[], random: () => number): Promise<void> {
    const handled = new Set(recordsMongoProjection.handles);
    for (let start = 0; start < events.length;) {
      const size = 1 + Math.floor(random() * 9);
      const from = Math.max(0, start - Math.floor(random() * 4));
      await recordsMongoProjection.applyBatch(
        events.slice(from, start + size).filter((event) => handled.has(event.type)),
        models,
      );
      start += size;
    }
  }

  it('folds the same records as the embedded store, in any batches, redelivered, and after a batch that failed half-way', async () => {
    const { steps, contactIds, tickets, company } = recordsScenario();
    const live = openLiveSystem({ batchSize: 5 });
    for (const [stream, event] of steps) await append(live.store, stream, event);
    await live.caughtUp();
    const expected = await embeddedRecords(live.recordStore, contactIds, tickets, company);
    // The scenario reaches what it means to: a merge, a split, a link, an erasure.
    expect(expected.contacts[0]).toMatchObject({
      conversationCount: 6,
      emails: ['person0@example.com', 'person1@example.com'],
      jobTitle: 'Owner',
      lastActivityAt: at(46),
    });
    expect(expected.contacts[6]).toMatchObject({ conversationCount: 1, lastActivityAt: at(40), inboxIds: ['inbox-b'] });
    expect(expected.contacts[5]).toMatchObject({ erased: true, name: null });
    expect(expected.tickets[4]).toMatchObject({ name: '' });
    expect(expected.tickets[3]).toBeNull();
    expect(expected.contacts[8]).toMatchObject({ conversationCount: 1, emails: ['person3@example.com'] });

    const log = new ContractLog();
    for (const [stream, event] of steps) log.record(stream, event);
    const events = log.events;

    for (const seed of [1, 2, 3]) {
      const random = seededRandom(seed);
      const { models, collections } = inMemoryModels();
      await applyInBatches(models, events, random);
      expect({ seed, ...mongoRecords(collections, contactIds, tickets, company) }).toEqual({ seed, ...expected });

      // The whole log again (a checkpoint lost): nothing changes.
      const before = JSON.stringify([...collections.entries()].map(([name, docs]) => [name, [...docs.values()]]));
      await applyInBatches(models, events, random);
      expect(JSON.stringify([...collections.entries()].map(([name, docs]) => [name, [...docs.values()]]))).toBe(before);

      // A fresh read model whose batches fail once half-way through their writes, each retried as the runner does.
      const retried = inMemoryModels();
      const handled = new Set(recordsMongoProjection.handles);
      let failed = 0;
      for (let start = 0; start < events.length;) {
        const size = 1 + Math.floor(random() * 9);
        const batch = events.slice(start, start + size).filter((event) => handled.has(event.type));
        retried.crash.failAfter = Math.floor(random() * 4);
        await recordsMongoProjection.applyBatch(batch, retried.models).catch(() => (failed += 1));
        retried.crash.failAfter = -1;
        await recordsMongoProjection.applyBatch(batch, retried.models);
        start += size;
      }
      expect(failed).toBeGreaterThan(3);
      expect({ seed, retried: true, ...mongoRecords(retried.collections, contactIds, tickets, company) }).toEqual({ seed, retried: true, ...expected });
    }
  });

  it("moves a conversation's contact on a merge or a split, and its ticket with the ticket record", () => {
    const doc = {
      id: 'c1',
      channel: 'email',
      contact: { id: 'ann', name: 'Ann', address: 'second@example.com' },
      ticket: { id: 't1', name: 'Refund', status: 'open' },
    } as unknown as ConversationDoc;
    const event = (streamId: string, type: string, data: object): RecordedEvent => recorded(newEvent(type, data), streamId, 0, 1);
    expect(followedDoc(doc, event('contact-ann', 'ContactMerged', { intoContactId: 'bob', at: at(1) })).contact).toEqual({ ...doc.contact, id: 'bob' });
    expect(followedDoc(doc, event('contact-eve', 'ContactMerged', { intoContactId: 'bob', at: at(1) }))).toBe(doc);
    const split = (value: string) => event('contact-ann', 'ContactIdentityRemoved', { identity: email(value), splitTo: 'new' });
    expect(followedDoc(doc, split('second@example.com')).contact?.id).toBe('new');
    expect(followedDoc(doc, split('first@example.com'))).toBe(doc);
    const created = (splitFrom: string) =>
      event('contact-new', 'ContactCreated', { contactId: 'new', identities: [email('second@example.com')], source: 'split', splitFrom, createdAt: at(1) });
    expect(followedDoc(doc, created('ann')).contact?.id).toBe('new');
    expect(followedDoc(doc, created('eve'))).toBe(doc);
    expect(followedDoc(doc, event('contact-ann', 'ContactIdentityRemoved', { identity: email('second@example.com') }))).toBe(doc);
    expect(followedDoc(doc, event('ticket-t1', 'TicketChanged', { status: 'closed', at: at(2) })).ticket).toEqual({
      id: 't1',
      name: 'Refund',
      status: 'closed',
    });
    expect(followedDoc(doc, event('ticket-t1', 'TicketChanged', { status: 'waiting-on-us', name: 'Refund ok', at: at(2) })).ticket).toEqual({
      id: 't1',
      name: 'Refund ok',
      status: 'open',
    });
    expect(followedDoc(doc, event('ticket-t1', 'TicketChanged', { priority: 'high', at: at(2) }))).toBe(doc);
    expect(followedDoc(doc, event('ticket-t2', 'TicketRemoved', { reason: 'conversation-deleted', at: at(3) }))).toBe(doc);
    expect(followedDoc(doc, event('ticket-t1', 'TicketRemoved', { reason: 'conversation-deleted', at: at(3) })).ticket).toBeNull();
    const merges = new Map([
      ['older', 'old'],
      ['old', 'ann'],
    ]);
    expect(liveContactId(merges, 'older')).toBe('ann');
    expect(liveContactId(merges, 'ann')).toBe('ann');
  });

  it("scrubs an erased contact's conversation: summary, thread rows written before, comments and every search word", async () => {
    const writes: Array<{ model: string; ops: AnyBulkWriteOperation[] }> = [];
    const models = { ...side.models } as Record<string, unknown>;
    for (const [name, model] of Object.entries(side.models) as Array<[string, Model<Doc>]>) {
      const stub = Object.create(model) as Record<string, unknown>;
      stub.find = () => ({ lean: async () => [] });
      stub.bulkWrite = async (ops: AnyBulkWriteOperation[], options: unknown) => {
        const copy = JSON.parse(JSON.stringify(ops)) as AnyBulkWriteOperation[];
        // Casting runs first; only then does the unconnected model refuse.
        await expect(model.bulkWrite(ops as never, options as never)).rejects.toThrow(/before initial connection is complete/);
        writes.push({ model: name, ops: copy });
      };
      models[name] = stub;
    }
    const log = new ContractLog();
    const id = randomUUID();
    const events = log.record(
      `conversation-${id}`,
      e.started({ conversationId: id, inboxId: 'inbox-a', subject: 'Refund please', contact: { id: 'ann', address: 'ann@example.com', name: 'Ann' } }),
      e.received({ receivedAt: at(1), text: 'Where is my refund?', messageId: 'm1', from: { address: 'ann@example.com' } }),
      e.commented('agent-bo', 'Ann is a regular', 'c1'),
      newEvent('PersonalDataErased', { contactId: 'ann', at: at(2) }),
    );
    await conversationsMongoProjection.applyBatch(events, models as unknown as MongoReadModels);
    const erasedAt = events[3].position;
    const messages = writes.find((w) => w.model === 'messages')!.ops as Array<Record<string, { filter: unknown; update: unknown }>>;
    expect(messages[messages.length - 1].updateMany.filter).toEqual({ conversationId: id, position: { $lt: erasedAt } });
    const [set, unset] = messages[messages.length - 1].updateMany.update as [{ $set: Record<string, unknown> }, { $unset: string[] }];
    expect(set.$set).toMatchObject({ to: { $literal: [] }, subject: '', text: '' });
    expect(Object.keys(set.$set).sort()).toEqual(['attachments', 'delivery', 'from', 'html', 'reactions', 'subject', 'template', 'text', 'to']);
    expect(unset).toEqual({ $unset: ['fields', 'cc'] });
    expect(writes.find((w) => w.model === 'comments')!.ops[1]).toEqual({
      updateMany: { filter: { conversationId: id, position: { $lt: erasedAt } }, update: { $set: { text: '' } } },
    });
    const [conversation] = writes.find((w) => w.model === 'conversations')!.ops as Array<{ updateOne: { update: { $set: Record<string, unknown> } } }>;
    expect(conversation.updateOne.update.$set).toMatchObject({ subjectWords: [], contactWords: [], bodyWords: [], words: [], contactId: 'ann' });
    expect(conversation.updateOne.update.$set.doc).toMatchObject({ subject: '', preview: '', contact: { id: 'ann', name: null, address: 'erased' } });
  });

  it('answers the defaults before any setting, and refuses a cursor it did not make', () => {
    expect(settingsOf(null)).toEqual({
      properties: [],
      cardProperties: { contact: ['emails', 'phones', 'company', 'jobTitle'], ticket: ['status', 'priority', 'owner'] },
      freeMailDomains: [...DEFAULT_FREE_MAIL_DOMAINS],
    });
    expect(decodeRecordCursor(encodeRecordCursor('2025-03-01T09:00:00.000Z', 'abc'))).toEqual(['2025-03-01T09:00:00.000Z', 'abc']);
    expect(() => decodeRecordCursor('not-a-cursor')).toThrow(InvalidCursorError);
    expect(() => decodeRecordCursor(Buffer.from('[1,2]').toString('base64url'))).toThrow(InvalidCursorError);
    expect(searchTextOf('Ann Example', ['Ann@Example.com', '+31612345678'])).toBe('ann example ann@example.com +31612345678');
    expect(maxTime(null, at(1))).toBe(at(1));
    expect(maxTime(at(2), at(1))).toBe(at(2));
  });
});
