import { randomUUID } from 'node:crypto';
import type { AnyBulkWriteOperation } from 'mongoose';
import pino from 'pino';
import type { EventStore, NewEvent, RecordedEvent } from '../../src/application/ports/event-store.port';
import { createMongoReadSide, type MongoReadSide } from '../../src/infrastructure/read-store/mongo/mongo-read-side';
import type { ReportConversationDocument } from '../../src/infrastructure/read-store/mongo/reports.mongo-model';
import { mongoReportFacts, reportsMongoProjection } from '../../src/infrastructure/read-store/mongo/reports.mongo-projection';
import { ContractLog } from '../contracts/read-store.contract';
import { at, newEvent, openLiveSystem, cleanUp, cleanUpTempDirs, append } from '../projections/fixtures';

afterEach(cleanUp);
afterAll(cleanUpTempDirs);

/**
 * The MongoDB twin of the reports read model without a MongoDB server (the full contract runs it
 * against one where there is; see mongo-read-store.contract.spec.ts): every write passes mongoose
 * casting against the strict schema and is guarded by the event's position; a delete forever
 * leaves a tombstone; and the query, over the documents the projection wrote, gives the same
 * facts as the embedded store for the same history.
 */
describe('reports read model in MongoDB (no server needed)', () => {
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

  /**
   * The report model with its writes cast by mongoose and then applied to documents in memory
   * ($set of a guarded upsert, as MongoDB would), and `find` answering from them.
   */
  function inMemoryModel() {
    const model = side.models.reportConversations;
    const documents = new Map<string, ReportConversationDocument>();
    const filters: unknown[] = [];
    const stub = Object.create(model) as typeof model;
    (stub as unknown as { bulkWrite: unknown }).bulkWrite = async (ops: AnyBulkWriteOperation[], options: unknown) => {
      const copy = JSON.parse(JSON.stringify(ops)) as Array<{
        updateOne: { filter: { _id: string; lastPosition: { $lt: number } }; update: { $set: Record<string, unknown> } };
      }>;
      // Casting runs first; only then does the unconnected model refuse.
      await expect(model.bulkWrite(ops as never, options as never)).rejects.toThrow(/before initial connection is complete/);
      for (const { updateOne } of copy) {
        const current = documents.get(updateOne.filter._id);
        if (current && !(current.lastPosition < updateOne.filter.lastPosition.$lt)) continue;
        documents.set(updateOne.filter._id, { _id: updateOne.filter._id, ...(current ?? {}), ...updateOne.update.$set } as ReportConversationDocument);
      }
    };
    (stub as unknown as { find: unknown }).find = (filter: Record<string, unknown>) => {
      filters.push(model.find(filter).cast(model)); // throws on a filter the schema cannot cast
      const ids = (filter._id as { $in?: string[] } | undefined)?.$in;
      const inboxes = (filter.inboxId as { $in?: string[] } | undefined)?.$in;
      const found = [...documents.values()].filter((d) => (ids ? ids.includes(d._id) : true) && (inboxes ? inboxes.includes(d.inboxId ?? '') : true));
      return { lean: async () => JSON.parse(JSON.stringify(found)) as ReportConversationDocument[] };
    };
    return { models: { ...side.models, reportConversations: stub }, documents, filters };
  }

  const agent = (id: string) => ({ type: 'agent', id }) as const;
  const timed = (type: string, data: object, minute: number, actor: NewEvent['metadata']['actor'] = { type: 'system' }) =>
    newEvent(type, data, { occurredAt: at(minute), actor });
  const history = (conversationId: string, inboxId: string): NewEvent[] => [
    timed(
      'ConversationStarted',
      {
        conversationId,
        inboxId,
        channel: 'chat',
        origin: 'inbound',
        externalThreadId: randomUUID(),
        contact: { id: 'c', address: 'v-1' },
        subject: 'Hi',
        startedAt: at(0),
      },
      0,
    ),
    timed(
      'MessageReceived',
      {
        messageId: randomUUID(),
        externalMessageId: randomUUID(),
        from: { address: 'v-1' },
        to: [],
        subject: 'Hi',
        text: 'Hello',
        attachments: [],
        receivedAt: at(0),
      },
      0,
      { type: 'contact', address: 'v-1' },
    ),
    timed('ConversationAssigned', { assignee: { type: 'bot' }, previous: null, via: 'inbox-bot' }, 0),
    timed(
      'ReplyQueued',
      { messageId: randomUUID(), authorId: 'bot:helper', channel: 'chat', to: [], subject: 'Hi', text: 'Hello, I am a bot', queuedAt: at(0) },
      0,
      { type: 'bot' },
    ),
    timed('ConversationUnassigned', { previous: { type: 'bot' }, reason: 'bot-handoff' }, 2),
    timed('ConversationAssigned', { assignee: { type: 'agent', id: 'ann' }, previous: null, via: 'balanced' }, 2),
    timed(
      'ReplyQueued',
      { messageId: randomUUID(), authorId: 'ann', channel: 'chat', to: [], subject: 'Hi', text: 'Ann here', queuedAt: at(4) },
      4,
      agent('ann'),
    ),
    timed('ConversationClosed', { closedAt: at(10) }, 10, agent('ann')),
    timed('ConversationReopened', { reason: 'inbound-message', reopenedAt: at(20) }, 20, { type: 'contact', address: 'v-1' }),
    timed('ConversationAssigned', { assignee: { type: 'agent', id: 'bob' }, previous: { type: 'agent', id: 'ann' } }, 21),
    timed('ConversationClosed', { closedAt: at(25) }, 25, agent('bob')),
  ];

  it('writes one guarded document per conversation that the strict schema accepts, and the same facts as the embedded store', async () => {
    const { models, documents, filters } = inMemoryModel();
    const log = new ContractLog();
    const [one, two, gone] = [randomUUID(), randomUUID(), randomUUID()];
    const events: RecordedEvent[] = [
      ...log.record(`conversation-${one}`, ...history(one, 'inbox-a')),
      ...log.record(`conversation-${two}`, ...history(two, 'inbox-b')),
      ...log.record(`conversation-${gone}`, ...history(gone, 'inbox-a'), timed('ConversationDeleted', { reason: 'agent' }, 30, agent('ann'))),
    ];
    // In two batches, then everything again (a redelivery): the guards keep each document as it was.
    await reportsMongoProjection.applyBatch(events.slice(0, 15), models);
    await reportsMongoProjection.applyBatch(events.slice(15), models);
    const before = JSON.stringify([...documents.entries()]);
    await reportsMongoProjection.applyBatch(events, models);
    expect(JSON.stringify([...documents.entries()])).toBe(before);

    expect(documents.get(gone)).toMatchObject({
      deleted: true,
      inboxId: null,
      state: null,
      assignments: [],
      firstResponse: null,
      resolutions: [],
      lastPosition: events[events.length - 1].position,
    });
    expect(documents.get(one)).toMatchObject({
      deleted: false,
      inboxId: 'inbox-a',
      assignments: [
        { agentId: 'ann', at: at(2), via: 'balanced' },
        { agentId: 'bob', at: at(21), via: 'manual' },
      ],
      firstResponse: { agentId: 'ann', at: at(4), seconds: 240 },
      resolutions: [
        { agentId: 'ann', at: at(10), seconds: 600 },
        { agentId: 'bob', at: at(25), seconds: 300 },
      ],
    });

    const query = { from: at(0), to: at(60), inboxIds: ['inbox-a', 'inbox-b'] };
    const mongo = await mongoReportFacts(models, query);
    expect(filters.length).toBeGreaterThan(3);

    // The same history through the embedded store.
    const live = openLiveSystem();
    for (const id of [one, two, gone]) await append(live.store, `conversation-${id}`, ...events.filter((event) => event.streamId === `conversation-${id}`));
    await live.caughtUp();
    const sqlite = await live.readStore.reportFacts(query);
    const sorted = <T>(items: T[]) => [...items].map((item) => JSON.stringify(item)).sort();
    expect({ assigned: sorted(mongo.assigned), firstResponses: sorted(mongo.firstResponses), resolutions: sorted(mongo.resolutions) }).toEqual({
      assigned: sorted(sqlite.assigned),
      firstResponses: sorted(sqlite.firstResponses),
      resolutions: sorted(sqlite.resolutions),
    });
    expect(mongo.resolutions).toHaveLength(4);

    // A period that cuts through: [minute 3, minute 21) holds Ann's answer and her close, not the later assignment of Bob.
    const part = await mongoReportFacts(models, { from: at(3), to: at(21), inboxIds: ['inbox-a'] });
    expect(part).toEqual({
      assigned: [],
      firstResponses: [{ agentId: 'ann', inboxId: 'inbox-a', seconds: 240 }],
      resolutions: [{ agentId: 'ann', inboxId: 'inbox-a', seconds: 600 }],
    });
  });
  it('a stream deleted forever and started again counts afresh; a redelivery from before the delete does not revive the old facts', async () => {
    const { models, documents } = inMemoryModel();
    const log = new ContractLog();
    const id = randomUUID();
    const first = log.record(`conversation-${id}`, ...history(id, 'inbox-a'), timed('ConversationDeleted', { reason: 'agent' }, 30, agent('ann')));
    log.deleteStream(`conversation-${id}`);
    const again = log.record(
      `conversation-${id}`,
      timed(
        'ConversationStarted',
        {
          conversationId: id,
          inboxId: 'inbox-a',
          channel: 'chat',
          origin: 'inbound',
          externalThreadId: randomUUID(),
          contact: { id: 'c', address: 'v-1' },
          subject: 'Again',
          startedAt: at(40),
        },
        40,
      ),
      timed('ConversationAssigned', { assignee: { type: 'agent', id: 'bob' }, previous: null }, 41),
    );
    await reportsMongoProjection.applyBatch([...first, ...again], models);
    await reportsMongoProjection.applyBatch(first, models);
    expect(documents.get(id)).toMatchObject({
      deleted: false,
      inboxId: 'inbox-a',
      assignments: [{ agentId: 'bob', at: at(41), via: 'manual' }],
      resolutions: [],
      firstResponse: null,
    });
  });
});
