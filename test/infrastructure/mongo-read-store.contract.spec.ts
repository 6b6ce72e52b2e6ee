import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AnyBulkWriteOperation } from 'mongoose';
import pino from 'pino';
import { StoreUnavailableError, type EventStore, type RecordedEvent } from '../../src/application/ports/event-store.port';
import { InvalidCursorError, type ReadStore } from '../../src/application/ports/read-store.port';
import { orThrow, parseSearchParameters } from '../../src/application/search/conversation-filters';
import { loadConfig } from '../../src/infrastructure/config/config';
import { BODY_WORD_BUDGET, conversationsMongoProjection } from '../../src/infrastructure/read-store/mongo/conversations.mongo-projection';
import {
  agentsMongoProjection,
  blockedSendersMongoProjection,
  customViewsMongoProjection,
  inboxesMongoProjection,
} from '../../src/infrastructure/read-store/mongo/directory.mongo-projections';
import { firstWriteError } from '../../src/infrastructure/read-store/mongo/guarded-writes';
import type { MongoReadModels } from '../../src/infrastructure/read-store/mongo/mongo-models';
import type { MongoProjection } from '../../src/infrastructure/read-store/mongo/mongo-projection';
import { MongoProjectionRunner } from '../../src/infrastructure/read-store/mongo/mongo-projection-runner';
import { MONGODB_SERVER_SELECTION_TIMEOUT_MS, createMongoReadSide, type MongoReadSide } from '../../src/infrastructure/read-store/mongo/mongo-read-side';
import { decodeSearchCursor, decodeViewCursor, encodeSearchCursor, encodeViewCursor } from '../../src/infrastructure/read-store/mongo/mongo-read-store';
import { foldText, prefixPattern, searchWords } from '../../src/infrastructure/read-store/mongo/search-words';
import { openMongoReadStorage } from '../../src/infrastructure/storage/storage';
import { ContractLog, FedEventStore, readStoreContract } from '../contracts/read-store.contract';
import { agentEvent, at, conversationEvent as e, inboxEvent, newEvent, senderEvent } from '../projections/fixtures';
import { withMongoDB } from '../support/mongo-engine';

const SUITE = 'MongoDB read store contract';
const silent = pino({ level: 'silent' });

/** A read side on its own database (fresh per store: the directory queries are global). */
function openSide(url: string, eventStore: EventStore = new FedEventStore() as unknown as EventStore, runner?: { batchSize?: number }): MongoReadSide {
  return createMongoReadSide({
    url,
    dbName: `parley_test_${randomUUID().replace(/-/g, '')}`,
    eventStore,
    logger: silent,
    serverSelectionTimeoutMs: 10_000,
    runner: { retryDelayMs: { initial: 5, max: 50 }, ...runner },
  });
}

async function dispose(side: MongoReadSide): Promise<void> {
  await side.runner.stop();
  await side.connection.dropDatabase();
  await side.close();
}

withMongoDB(SUITE, (url) => {
  /**
   * The contract through the projections' own guards only (no checkpoint is read or moved):
   * every redelivery the contract makes reaches the write guards, which is what a crash between
   * the read models and the checkpoint leaves behind.
   */
  readStoreContract('MongoDB read store', async () => {
    const side = openSide(url());
    await side.ready;
    await side.runner.prepare();
    return {
      readStore: side.readStore,
      feed: (events: RecordedEvent[]) => side.runner.applyGuardedOnly(events),
      teardown: () => dispose(side),
    };
  });

  describe(`${SUITE}: the projection runner`, () => {
    const sides: MongoReadSide[] = [];
    afterEach(async () => {
      for (const side of sides.splice(0)) await dispose(side);
    });

    function history(log: ContractLog, count: number): RecordedEvent[] {
      const inboxId = randomUUID();
      const events = [...log.record(`inbox-${inboxId}`, inboxEvent.created(inboxId, 'Support', 'support@acme.test', true))];
      for (let i = 0; i < count; i += 1) {
        const id = randomUUID();
        events.push(
          ...log.record(
            `conversation-${id}`,
            e.started({ conversationId: id, inboxId, subject: `Thread ${i}` }),
            e.received({ receivedAt: at(i), text: `words ${i}` }),
            ...(i % 3 === 0 ? [e.closed()] : []),
          ),
        );
      }
      return events;
    }

    it('follows the subscription in batches, stores its checkpoints, and resumes from them', async () => {
      const source = new FedEventStore();
      const side = openSide(url(), source as unknown as EventStore, { batchSize: 7 });
      sides.push(side);
      await side.ready;
      await side.runner.start();
      const log = new ContractLog();
      const events = history(log, 20);
      source.push(events);
      const head = events[events.length - 1].position;
      expect(await side.runner.waitFor(head, 20_000)).toBe(true);
      expect(await side.runner.storedPosition()).toBe(head);
      await side.runner.stop();

      const more = history(log, 3);
      source.push(more);
      await side.runner.start(); // resumes after its checkpoint: the backlog, then live events
      expect(await side.runner.waitFor(more[more.length - 1].position, 20_000)).toBe(true);
      const inboxId = String(events[0].data.inboxId);
      expect((await side.readStore.countViews(inboxId, 'nobody'))['all-closed']).toBe(7);
      expect(await side.readStore.countConversations({ inboxId, filters: orThrow(parseSearchParameters({})).filters })).toBe(13);
    });

    it('a batch cut short by a failure is applied again from the same checkpoint without counting anything twice', async () => {
      const source = new FedEventStore();
      const side = openSide(url(), source as unknown as EventStore, { batchSize: 500 });
      sides.push(side);
      await side.ready;
      const log = new ContractLog();
      const events = history(log, 12);
      // The first time, the conversations' documents (the last write of the batch) fail after the
      // thread and the counters were written: a crash between the read models and their markers.
      const original = side.models.conversations.bulkWrite.bind(side.models.conversations);
      let failures = 0;
      const spy = jest.spyOn(side.models.conversations, 'bulkWrite').mockImplementation(((ops: AnyBulkWriteOperation[], options: unknown) => {
        if (ops.some((op) => 'updateOne' in op && JSON.stringify(op).includes('"views"')) && failures === 0) {
          failures += 1;
          return Promise.reject(new Error('connection lost (simulated)'));
        }
        return original(ops as never, options as never);
      }) as never);
      await side.runner.start();
      source.push(events);
      expect(await side.runner.waitFor(events[events.length - 1].position, 20_000)).toBe(true);
      spy.mockRestore();
      expect(failures).toBe(1);

      const clean = openSide(url());
      sides.push(clean);
      await clean.ready;
      await clean.runner.prepare();
      await clean.runner.applyBatch(events);
      const inboxId = String(events[0].data.inboxId);
      expect(await side.readStore.countViews(inboxId, 'a')).toEqual(await clean.readStore.countViews(inboxId, 'a'));
      expect(await side.models.viewCounts.find({}, { _id: 0, inboxId: 1, view: 1, count: 1 }).sort({ view: 1 }).lean()).toEqual(
        await clean.models.viewCounts.find({}, { _id: 0, inboxId: 1, view: 1, count: 1 }).sort({ view: 1 }).lean(),
      );
      expect(await side.models.messages.countDocuments({})).toBe(12);
    });

    it('rebuilds a projection from position 0 when its version changes', async () => {
      const side = openSide(url());
      sides.push(side);
      await side.ready;
      await side.runner.prepare();
      const log = new ContractLog();
      const events = history(log, 4);
      await side.runner.applyBatch(events);
      const inboxId = String(events[0].data.inboxId);
      expect((await side.readStore.countViews(inboxId, 'x'))['all-open']).toBe(2);

      const bumped: MongoProjection = { ...conversationsMongoProjection, version: conversationsMongoProjection.version + 1 };
      const runner = new MongoProjectionRunner({
        models: side.models,
        eventStore: new FedEventStore() as unknown as EventStore,
        logger: silent,
        projections: [bumped, agentsMongoProjection, inboxesMongoProjection, blockedSendersMongoProjection, customViewsMongoProjection],
      });
      await runner.prepare();
      expect(await side.models.conversations.countDocuments({})).toBe(0);
      expect(await side.models.viewCounts.countDocuments({})).toBe(0);
      expect(await side.readStore.getInbox(inboxId)).not.toBeNull(); // other projections untouched
      expect(await runner.storedPosition()).toBe(0);
    });
  });
});

/**
 * What can be checked without a server: the pure parts, the start-up failure, and that every
 * write and query the adapter makes passes mongoose's casting against the (strict) schemas: with
 * no connection, mongoose casts first and only then refuses for want of a connection.
 */
describe('MongoDB read store: the parts that need no server', () => {
  const UNREACHABLE = 'mongodb://parley:secret-pw@127.0.0.1:1/parley';

  describe('search words', () => {
    it('folds case and accents, keeps scripts, splits on everything that is not a letter or digit', () => {
      expect(searchWords('Crème brûlée au Café')).toEqual(['creme', 'brulee', 'au', 'cafe']);
      expect(searchWords('jane.doe@customer.test — Order #1042')).toEqual(['jane', 'doe', 'customer', 'test', 'order', '1042']);
      expect(searchWords('İstanbul ÉTÉ été')).toEqual(['istanbul', 'ete']);
      expect(searchWords('Привет, мир')).toEqual(['привет', 'мир']);
      expect(searchWords('🙂 hi')).toEqual(['🙂', 'hi']);
      expect(searchWords('snake_case')).toEqual(['snake', 'case']);
      expect(foldText('ÀÉÎÕÜ')).toBe('aeiou');
    });

    it('matches prefixes only, and escapes whatever could be regular-expression syntax', () => {
      expect(prefixPattern('ref').test('refunds')).toBe(true);
      expect(prefixPattern('funds').test('refunds')).toBe(false);
      expect(prefixPattern('a.b').test('axb')).toBe(false);
      expect(prefixPattern('(x').source).toBe('^\\(x');
    });
  });

  describe('cursors', () => {
    it('round-trip, and anything else is an InvalidCursorError', () => {
      expect(decodeViewCursor(encodeViewCursor(at(1), 'abc'))).toEqual([at(1), 'abc']);
      expect(decodeSearchCursor(encodeSearchCursor({ kind: 'r', score: 6, k: 42 }), 'r')).toEqual({ kind: 'r', score: 6, k: 42 });
      expect(decodeSearchCursor(encodeSearchCursor({ kind: 't', lra: at(2), k: 7 }), 't')).toEqual({ kind: 't', lra: at(2), k: 7 });
      expect(() => decodeSearchCursor(encodeSearchCursor({ kind: 'r', score: 6, k: 42 }), 't')).toThrow(InvalidCursorError);
      for (const bad of ['%%%', Buffer.from('{"a":1}').toString('base64url'), Buffer.from('[1,2]').toString('base64url')]) {
        expect(() => decodeViewCursor(bad)).toThrow(InvalidCursorError);
        expect(() => decodeSearchCursor(bad, 't')).toThrow(InvalidCursorError);
      }
    });
  });

  it('reads the failed operation of an ordered bulk write (one error or several)', () => {
    expect(firstWriteError({ writeErrors: { index: 3, code: 11000 } })).toEqual({ index: 3, code: 11000 });
    expect(
      firstWriteError({
        writeErrors: [
          { index: 5, code: 2 },
          { index: 1, code: 11000 },
        ],
      }),
    ).toEqual({ index: 1, code: 11000 });
    expect(firstWriteError(new Error('network'))).toBeNull();
  });

  describe('start-up', () => {
    it('fails within its bound with a StoreUnavailableError naming MONGODB_URL, password masked', async () => {
      const side = createMongoReadSide({ url: UNREACHABLE, eventStore: {} as EventStore, logger: silent, serverSelectionTimeoutMs: 1500 });
      const started = Date.now();
      const error = await side.ready.then(
        () => null,
        (caught: unknown) => caught as Error,
      );
      expect(error).toBeInstanceOf(StoreUnavailableError);
      expect(error?.message).toContain('MONGODB_URL=mongodb://parley:***@127.0.0.1:1/parley');
      expect(error?.message).not.toContain('secret-pw');
      expect(Date.now() - started).toBeLessThan(5000);
      await side.close();
    });

    it('READ_STORE=mongodb opens it: projections.start() rejects naming MONGODB_URL; the default bound keeps the exit under 10 s', async () => {
      expect(MONGODB_SERVER_SELECTION_TIMEOUT_MS).toBeLessThan(10_000);
      const dataDir = mkdtempSync(join(tmpdir(), 'parley-mongo-start-'));
      try {
        const config = loadConfig({ READ_STORE: 'mongodb', MONGODB_URL: UNREACHABLE, PARLEY_DATA_DIR: dataDir });
        const storage = openMongoReadStorage(config, UNREACHABLE, silent, { serverSelectionTimeoutMs: 1500 });
        const started = Date.now();
        await expect(storage.projections.start()).rejects.toThrow(
          /^cannot reach MongoDB at MONGODB_URL=mongodb:\/\/parley:\*\*\*@127\.0\.0\.1:1\/parley within 1500 ms/,
        );
        expect(Date.now() - started).toBeLessThan(5000);
        await storage.close();
      } finally {
        rmSync(dataDir, { recursive: true, force: true });
      }
    }, 15_000);
  });

  describe('every write and query passes mongoose casting against the strict schemas', () => {
    let side: MongoReadSide;
    beforeAll(async () => {
      side = createMongoReadSide({ url: UNREACHABLE, eventStore: {} as EventStore, logger: silent, serverSelectionTimeoutMs: 300 });
      await side.ready.catch(() => undefined);
    });
    afterAll(async () => {
      await side.close();
    });

    /** Nothing stored; bulk writes recorded after casting (the real bulkWrite casts, then refuses: no connection). */
    function dryModels(): { models: MongoReadModels; writes: Array<{ model: string; ops: AnyBulkWriteOperation[] }> } {
      const writes: Array<{ model: string; ops: AnyBulkWriteOperation[] }> = [];
      const models = { ...side.models };
      for (const [name, model] of Object.entries(side.models) as Array<[string, MongoReadModels['conversations']]>) {
        const stub = Object.create(model) as typeof model;
        (stub as unknown as { find: unknown }).find = () => ({ lean: async () => [] });
        (stub as unknown as { bulkWrite: unknown }).bulkWrite = async (ops: AnyBulkWriteOperation[], options: unknown) => {
          const copy = JSON.parse(JSON.stringify(ops)) as AnyBulkWriteOperation[];
          await expect(model.bulkWrite(ops as never, options as never)).rejects.toThrow(/before initial connection is complete/);
          writes.push({ model: name, ops: copy });
        };
        (models as Record<string, unknown>)[name] = stub;
      }
      return { models: models as MongoReadModels, writes };
    }

    it('the projections write thread, counters and then the conversation, each write guarded by the event position', async () => {
      const { models, writes } = dryModels();
      const log = new ContractLog();
      const id = randomUUID();
      const inboxId = randomUUID();
      const events = log.record(
        `conversation-${id}`,
        e.started({ conversationId: id, inboxId, subject: 'Refund please', contact: { address: 'jane@example.com', name: 'Jane' } }),
        e.received({ receivedAt: at(1), text: 'Where is my refund?', messageId: 'm1' }),
        e.replied({ authorId: 'agent-1', text: 'On its way', messageId: 'm2' }),
        e.delivered('m2'),
        e.commented('agent-1', 'note', 'c1'),
        e.assigned({ type: 'agent', id: 'agent-1' }),
        e.contactUnlinked('contact'),
        e.closed(),
      );
      await conversationsMongoProjection.applyBatch(events, models);
      expect(writes.map((w) => w.model)).toEqual(['messages', 'comments', 'viewCounts', 'conversations']);
      const counters = writes[2].ops as Array<{ updateOne: { filter: { lastPosition: { $lt: number } }; update: { $inc: { count: number } } } }>;
      expect(counters.length).toBeGreaterThan(4);
      for (const op of counters) expect(events.map((event) => event.position)).toContain(op.updateOne.filter.lastPosition.$lt);
      expect(counters.reduce((sum, op) => sum + op.updateOne.update.$inc.count, 0)).toBe(1); // ends in All closed only
      const [conversation] = writes[3].ops as Array<{ updateOne: { filter: unknown; update: { $set: Record<string, unknown> }; upsert: boolean } }>;
      expect(conversation.updateOne.filter).toEqual({ _id: id, lastPosition: { $lt: events[events.length - 1].position } });
      expect(conversation.updateOne.upsert).toBe(true);
      expect(conversation.updateOne.update.$set).toMatchObject({
        views: ['all-closed'],
        status: 'closed',
        assignee: 'agent-1',
        assignedAgentId: 'agent-1',
        contactId: null,
        subjectWords: ['refund', 'please'],
        contactWords: [],
        bodyBudget: BODY_WORD_BUDGET - 7,
      });
      expect(new Set(conversation.updateOne.update.$set.words as string[])).toEqual(new Set(['refund', 'please', 'where', 'is', 'my', 'on', 'its', 'way']));
    });

    it('deleting forever removes the thread written before and leaves a tombstone', async () => {
      const { models, writes } = dryModels();
      const log = new ContractLog();
      const id = randomUUID();
      const events = log.record(
        `conversation-${id}`,
        e.started({ conversationId: id, inboxId: 'i' }),
        e.received({ receivedAt: at(1) }),
        e.trashed(),
        e.deleted(),
      );
      await conversationsMongoProjection.applyBatch(events, models);
      const deletedAt = events[3].position;
      expect(writes[0].ops[1]).toEqual({ deleteMany: { filter: { conversationId: id, position: { $lt: deletedAt } } } });
      const tombstone = writes.find((w) => w.model === 'conversations')!.ops[0] as { updateOne: { update: { $set: unknown; $unset: Record<string, string> } } };
      expect(tombstone.updateOne.update.$set).toEqual({ lastPosition: deletedAt, deleted: true });
      expect(Object.keys(tombstone.updateOne.update.$unset)).toEqual(expect.arrayContaining(['doc', 'views', 'inboxId', 'words']));
    });

    it('the directory projections write one guarded document each', async () => {
      const { models, writes } = dryModels();
      const log = new ContractLog();
      const events = [
        ...log.record('agent-a', agentEvent.registered('a', 'Ana', 'ana@acme.test'), agentEvent.availability('away'), agentEvent.removed('a')),
        ...log.record('inbox-i', inboxEvent.created('i', 'Support', 'Support@Acme.test', true), inboxEvent.membersSet(['a', 'b', 'a'])),
        ...log.record('sender-i-x', senderEvent.blocked('i', 'X@Example.com'), senderEvent.unblocked('i', 'x@example.com')),
        ...log.record(
          'custom-view-v',
          newEvent('CustomViewCreated', { viewId: 'v', inboxId: 'i', name: 'All', filters: {}, createdBy: 'a' }),
          newEvent('CustomViewDeleted', {}),
        ),
      ];
      for (const projection of [agentsMongoProjection, inboxesMongoProjection, blockedSendersMongoProjection, customViewsMongoProjection]) {
        await projection.applyBatch(
          events.filter((event) => projection.handles.includes(event.type)),
          models,
        );
      }
      const sets = writes.map((w) => [w.model, (w.ops[0] as { updateOne: { update: { $set: Record<string, unknown> } } }).updateOne.update.$set]);
      expect(sets).toEqual([
        ['agents', expect.objectContaining({ name: 'Ana', availability: 'away', removed: true, lastPosition: events[2].position })],
        ['inboxes', expect.objectContaining({ emailLower: 'support@acme.test', memberIds: ['a', 'b'], lastPosition: events[4].position })],
        ['blockedSenders', expect.objectContaining({ address: 'x@example.com', blocked: false, lastPosition: events[6].position })],
        ['customViews', expect.objectContaining({ filters: {}, deleted: true, lastPosition: events[8].position })],
      ]);
    });

    it('every read-store query casts, then reports the missing server as StoreUnavailableError (HTTP 503)', async () => {
      const store: ReadStore = side.readStore;
      const filters = orThrow(
        parseSearchParameters({
          q: 'refund 1042',
          status: 'open',
          channel: 'email',
          assignee: 'bot',
          from: '2025-01-01',
          to: '2025-12-31',
          hideFiltered: 'true',
        }),
      ).filters;
      const calls: Array<() => Promise<unknown>> = [
        () => store.getConversation('x'),
        () => store.getConversationSummary('x'),
        () => store.listView({ inboxId: 'i', viewId: 'assigned-to-me', agentId: 'a', sort: 'oldest', limit: 5, cursor: encodeViewCursor(at(1), 'x') }),
        () => store.countViews('i', 'a'),
        () => store.conversationIdsAssignedTo('a'),
        () => store.filteredConversationIds('i', 'X@Example.com'),
        () => store.conversationIdsToPurge(at(1), 10),
        () => store.listAgents(),
        () => store.getAgent('a'),
        () => store.getAgentByEmail('a@b.c'),
        () => store.agentDisplayNames(['a']),
        () => store.countAgents(),
        () => store.listInboxes(),
        () => store.getInbox('i'),
        () => store.getDefaultInbox(),
        () => store.getInboxByEmailAddress('a@b.c'),
        () => store.isSenderBlocked('i', 'a@b.c'),
        () => store.listBlockedSenders('i'),
        () => store.searchConversations({ inboxId: 'i', filters, sort: 'newest', limit: 5, cursor: encodeSearchCursor({ kind: 't', lra: at(1), k: 3 }) }),
        () => store.searchConversations({ inboxId: 'i', filters, sort: 'relevance', limit: 5 }),
        () => store.countConversations({ inboxId: 'i', filters }),
        () => store.listCustomViews('i'),
        () => store.getCustomView('v'),
        () => side.readStore.getProcessorCheckpoint('p'),
        () => side.readStore.saveProcessorCheckpoint('p', 3),
      ];
      for (const call of calls) await expect(call()).rejects.toBeInstanceOf(StoreUnavailableError);
    });
  });
});
