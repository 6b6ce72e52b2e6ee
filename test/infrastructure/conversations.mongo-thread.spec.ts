import type { AnyBulkWriteOperation } from 'mongoose';
import pino from 'pino';
import type { EventStore, RecordedEvent } from '../../src/application/ports/event-store.port';
import { conversationsMongoProjection } from '../../src/infrastructure/read-store/mongo/conversations.mongo-projection';
import type { MessageRecord, MongoReadModels } from '../../src/infrastructure/read-store/mongo/mongo-models';
import { createMongoReadSide, type MongoReadSide } from '../../src/infrastructure/read-store/mongo/mongo-read-side';
import { ContractLog } from '../contracts/read-store.contract';
import { at, conversationEvent as e, newEvent } from '../projections/fixtures';

/**
 * The thread part of the MongoDB conversations projection for receipts, reactions, fields and
 * templates, without a MongoDB server (the read-store contract runs it against one where there is):
 * every write of the messages collection passes mongoose casting against the strict schema, and is
 * then applied to documents in memory as MongoDB applies it. Fed twice, with old events coming back
 * after newer ones, the messages are the same as fed once: the position guards hold.
 */
describe('thread read model in MongoDB: receipts, reactions, fields, templates (no server needed)', () => {
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

  type Doc = Record<string, unknown> & { _id: string };
  type Update = {
    $setOnInsert?: Record<string, unknown>;
    $set?: Record<string, unknown>;
    $pull?: Record<string, Record<string, unknown>>;
    $push?: Record<string, unknown>;
  };
  type Filter = Record<string, unknown>;

  /** What MongoDB does with the few filters and updates the thread writes use. */
  function matches(doc: Doc | undefined, filter: Filter): boolean {
    if (!doc) return false;
    return Object.entries(filter).every(([key, condition]) => {
      const value = doc[key] as number | undefined;
      if (condition !== null && typeof condition === 'object') {
        const c = condition as { $lt?: number; $not?: { $gte: number } };
        if (c.$lt !== undefined) return value !== undefined && value < c.$lt;
        if (c.$not !== undefined) return !(value !== undefined && value >= c.$not.$gte);
        throw new Error(`unexpected condition ${JSON.stringify(condition)}`);
      }
      return value === condition;
    });
  }

  function inMemoryMessages(documents: Map<string, Doc>) {
    const model = side.models.messages;
    const stub = Object.create(model) as typeof model;
    (stub as unknown as { bulkWrite: unknown }).bulkWrite = async (ops: AnyBulkWriteOperation[], options: unknown) => {
      const copy = JSON.parse(JSON.stringify(ops)) as Array<{ updateOne?: { filter: Filter; update: Update; upsert?: boolean } }>;
      // Casting runs first; only then does the unconnected model refuse.
      await expect(model.bulkWrite(ops as never, options as never)).rejects.toThrow(/before initial connection is complete/);
      for (const { updateOne } of copy) {
        if (!updateOne) continue;
        const id = updateOne.filter._id as string;
        const current = documents.get(id);
        const { update } = updateOne;
        if (!matches(current, updateOne.filter)) {
          if (updateOne.upsert && !current) documents.set(id, { _id: id, ...update.$setOnInsert, ...update.$set });
          continue;
        }
        const next: Doc = { ...current!, ...update.$set };
        for (const [field, condition] of Object.entries(update.$pull ?? {})) {
          const [[path, value]] = Object.entries(condition);
          const list = (next[field] as Array<Record<string, Record<string, unknown>>> | undefined) ?? [];
          next[field] = list.filter((item) => path.split('.').reduce<unknown>((v, k) => (v as Record<string, unknown>)?.[k], item) !== value);
        }
        for (const [field, value] of Object.entries(update.$push ?? {})) next[field] = [...((next[field] as unknown[] | undefined) ?? []), value];
        documents.set(id, next);
      }
    };
    return stub;
  }

  function models(documents: Map<string, Doc>): MongoReadModels {
    const none = { bulkWrite: async () => undefined };
    const conversations = { find: () => ({ lean: async () => [] }), bulkWrite: async () => undefined };
    // No contact was merged: the summaries' merge lookup finds nothing.
    const contactMerges = { find: () => ({ lean: async () => [] }), bulkWrite: async () => undefined };
    return {
      ...side.models,
      messages: inMemoryMessages(documents),
      comments: none,
      viewCounts: none,
      conversations,
      contactMerges,
    } as unknown as MongoReadModels;
  }

  function history(): { events: RecordedEvent[]; id: string } {
    const log = new ContractLog();
    const id = 'c0ffee00-0000-4000-8000-000000000001';
    const wa = { address: '+31612345678', name: 'Ana' };
    const reaction = (messageId: string, emoji: string, minutes: number, from: { address: string; name?: string } = wa) =>
      newEvent('ReactionReceived', { externalMessageId: `r-${minutes}-${emoji}`, messageId, from, emoji, receivedAt: at(minutes) });
    log.record(
      `conversation-${id}`,
      e.started({ conversationId: id, inboxId: 'inbox-1', channel: 'whatsapp', contact: { id: 'contact-1', ...wa } }),
      newEvent('MessageReceived', {
        messageId: 'm1',
        externalMessageId: 'wamid.1',
        from: wa,
        to: [],
        subject: '',
        text: 'Here',
        attachments: [],
        receivedAt: at(1),
        fields: [{ key: 'location', label: { en: 'Location', nl: 'Locatie' }, value: 'Dam 1', url: 'https://maps.example/?q=1,2' }],
      }),
      e.replied({ authorId: 'agent-ana', text: 'Thanks', messageId: 'm2', channel: 'whatsapp', to: [wa] }),
      newEvent('ReplyQueued', {
        messageId: 'm3',
        authorId: 'agent-ana',
        channel: 'whatsapp',
        to: [wa],
        subject: '',
        text: 'Your order ships tomorrow.',
        queuedAt: at(2),
        template: { name: 'order_update', language: 'en_US', parameters: ['tomorrow'] },
      }),
      newEvent('ReplyStatusReported', { messageId: 'm2', status: 'delivered', at: at(3) }),
      e.delivered('m2'),
      newEvent('ReplyStatusReported', { messageId: 'm2', status: 'read', at: at(4) }),
      e.delivered('m3'),
      newEvent('ReplyStatusReported', { messageId: 'm3', status: 'failed', reason: 'Message undeliverable', at: at(4) }),
      reaction('m2', '👍', 5),
      reaction('m2', '🎉', 6),
      reaction('m2', '😂', 6, { address: '+31699999999' }),
      reaction('m1', '❤️', 7),
      reaction('m1', '', 8),
    );
    return { events: log.events, id };
  }

  const byId = (documents: Map<string, Doc>) =>
    Object.fromEntries(
      [...documents.values()].map(({ _id, receipt, reactions, fields, template, delivery }) => [_id, { receipt, reactions, fields, template, delivery }]),
    );

  it('keeps receipts, reactions (one per contact, taken away when emptied), fields and the template', async () => {
    const { events } = history();
    const documents = new Map<string, Doc>();
    await conversationsMongoProjection.applyBatch(events, models(documents));
    const messages = byId(documents);
    expect(messages.m1).toEqual({
      receipt: undefined,
      reactions: [],
      fields: [{ key: 'location', label: { en: 'Location', nl: 'Locatie' }, value: 'Dam 1', url: 'https://maps.example/?q=1,2' }],
      template: undefined,
      delivery: null,
    });
    expect(messages.m2).toMatchObject({
      receipt: { status: 'read', reason: null, at: at(4) },
      reactions: [
        { emoji: '🎉', from: { address: '+31612345678', name: 'Ana' }, at: at(6) },
        { emoji: '😂', from: { address: '+31699999999' }, at: at(6) },
      ],
      delivery: { status: 'delivered', reason: null },
    });
    expect(messages.m3).toMatchObject({
      receipt: { status: 'failed', reason: 'Message undeliverable', at: at(4) },
      template: { name: 'order_update', language: 'en_US', parameters: ['tomorrow'] },
    });
    expect((documents.get('m2') as Partial<MessageRecord>).reactionsPosition).toBeGreaterThan(0);
  });

  it('fed again, event by event and with old events after newer ones, the thread is the same', async () => {
    const { events } = history();
    const once = new Map<string, Doc>();
    await conversationsMongoProjection.applyBatch(events, models(once));
    const twice = new Map<string, Doc>();
    await conversationsMongoProjection.applyBatch(events, models(twice));
    for (const event of events) await conversationsMongoProjection.applyBatch([event], models(twice));
    // Every event again, newest first: each comes back after the ones that followed it.
    for (const event of [...events].reverse()) await conversationsMongoProjection.applyBatch([event], models(twice));
    expect(byId(twice)).toEqual(byId(once));
  });
});
