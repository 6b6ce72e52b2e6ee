import type { AnyBulkWriteOperation } from 'mongoose';
import pino from 'pino';
import type { EventStore, RecordedEvent } from '../../src/application/ports/event-store.port';
import type { BotDocument } from '../../src/infrastructure/read-store/mongo/bots.mongo-model';
import { botsMongoProjection, toBotRecord } from '../../src/infrastructure/read-store/mongo/bots.mongo-projection';
import { createMongoReadSide, type MongoReadSide } from '../../src/infrastructure/read-store/mongo/mongo-read-side';
import { ContractLog } from '../contracts/read-store.contract';
import { at, newEvent } from '../projections/fixtures';

/**
 * The MongoDB twin of the bots read model without a MongoDB server (the read-store contract runs
 * it against one where there is): every write passes mongoose casting against the strict schema
 * and is guarded by the event's position, a redelivery changes nothing, and a removed bot stays
 * as a tombstone that keeps its name (for its replies) but is neither active nor has a token.
 */
describe('bots read model in MongoDB (no server needed)', () => {
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

  /** The bots model with its writes cast by mongoose, then applied to documents in memory as MongoDB would. */
  function inMemoryModel() {
    const model = side.models.bots;
    const documents = new Map<string, BotDocument>();
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
        documents.set(updateOne.filter._id, { _id: updateOne.filter._id, ...(current ?? {}), ...updateOne.update.$set } as BotDocument);
      }
    };
    (stub as unknown as { find: unknown }).find = (filter: { _id: { $in: string[] } }) => {
      model.find(filter).cast(model); // throws on a filter the schema cannot cast
      const found = [...documents.values()].filter((d) => filter._id.$in.includes(d._id));
      return { lean: async () => JSON.parse(JSON.stringify(found)) as BotDocument[] };
    };
    return { models: { ...side.models, bots: stub }, documents };
  }

  const flow = { startStepId: 'hi', steps: [{ id: 'hi', type: 'handoff', text: 'One moment' }] };

  it('folds each bot from its events, guarded, and keeps a removed one as a tombstone', async () => {
    const { models, documents } = inMemoryModel();
    const log = new ContractLog();
    const created = (botId: string, name: string, more: Record<string, unknown>, minute: number) =>
      newEvent(
        'BotCreated',
        { botId, inboxId: 'inbox-a', name, channels: [], flow: null, webhookUrl: null, webhookSecret: null, ...more },
        { occurredAt: at(minute) },
      );
    const events: RecordedEvent[] = [
      ...log.record('bot-helper', created('helper', 'Helper', { kind: 'flow', flow }, 1)),
      ...log.record(
        'bot-hook',
        created('hook', 'Hook', { kind: 'webhook', channels: ['chat'], webhookUrl: 'https://bot.example/in', webhookSecret: 'v1:a:b:c' }, 2),
      ),
      ...log.record(
        'bot-helper',
        newEvent('BotChanged', { name: 'Helpdesk', channels: ['chat', 'whatsapp'] }),
        newEvent('BotActivated', {}),
        newEvent('BotTokenIssued', { tokenHash: 'ab'.repeat(32), issuedAt: at(3) }),
      ),
      ...log.record(
        'bot-hook',
        newEvent('BotActivated', {}),
        newEvent('BotTokenIssued', { tokenHash: 'cd'.repeat(32), issuedAt: at(4) }),
        newEvent('BotRemoved', { botId: 'hook' }),
      ),
    ];
    await botsMongoProjection.applyBatch(events.slice(0, 3), models);
    await botsMongoProjection.applyBatch(events.slice(3), models);
    const before = JSON.stringify([...documents.entries()]);
    await botsMongoProjection.applyBatch(events, models);
    expect(JSON.stringify([...documents.entries()])).toBe(before);

    expect(toBotRecord(documents.get('helper')!)).toEqual({
      id: 'helper',
      inboxId: 'inbox-a',
      name: 'Helpdesk',
      kind: 'flow',
      channels: ['chat', 'whatsapp'],
      flow,
      webhookUrl: null,
      webhookSecret: null,
      active: true,
      hasToken: true,
      tokenHash: 'ab'.repeat(32),
      createdAt: at(1),
    });
    expect(documents.get('hook')).toMatchObject({
      name: 'Hook',
      removed: true,
      active: false,
      tokenHash: null,
      lastPosition: events[events.length - 1].position,
    });
  });
});
