import type { BotRecord } from '../../../application/ports/read-store.port';
import type { BotEvent } from '../../../domain/bot/bot.events';
import { guardedSet, writeInOrder } from './guarded-writes';
import { type BotDocument } from './bots.mongo-model';
import { idFromStream, type MongoProjection } from './mongo-projection';

type Fields = Omit<BotDocument, '_id' | 'lastPosition'>;
type DataOf<T extends BotEvent['type']> = Extract<BotEvent, { type: T }>['data'];

const HANDLES = ['BotCreated', 'BotChanged', 'BotActivated', 'BotDeactivated', 'BotTokenIssued', 'BotRemoved'] as const;

function key(event: { type: string; streamId: string; data: Record<string, unknown> }): string {
  return event.type === 'BotCreated' ? String(event.data.botId) : idFromStream(event.streamId, 'bot-');
}

/** The document after the event; null: nothing to write (an update of a bot never created). */
export function evolveBot(current: Fields | null, event: { type: string; position: number; data: unknown; metadata: { occurredAt: string } }): Fields | null {
  const live = current !== null && !current.removed;
  switch (event.type) {
    case 'BotCreated': {
      if (current !== null) return current;
      const data = event.data as DataOf<'BotCreated'>;
      return {
        inboxId: data.inboxId,
        name: data.name,
        kind: data.kind,
        channels: [...(data.channels ?? [])],
        flow: data.flow ?? null,
        webhookUrl: data.webhookUrl ?? null,
        webhookSecret: data.webhookSecret ?? null,
        active: false,
        tokenHash: null,
        createdAt: event.metadata.occurredAt,
        order: event.position,
        removed: false,
      };
    }
    case 'BotChanged': {
      if (!live) return current;
      const data = event.data as DataOf<'BotChanged'>;
      return {
        ...current,
        ...(data.name !== undefined ? { name: data.name } : {}),
        ...(data.channels !== undefined ? { channels: [...data.channels] } : {}),
        ...(data.flow !== undefined ? { flow: data.flow } : {}),
        ...(data.webhookUrl !== undefined ? { webhookUrl: data.webhookUrl } : {}),
        ...(data.webhookSecret !== undefined ? { webhookSecret: data.webhookSecret } : {}),
      };
    }
    case 'BotActivated':
      return live ? { ...current, active: true } : current;
    case 'BotDeactivated':
      return live ? { ...current, active: false } : current;
    case 'BotTokenIssued':
      return live ? { ...current, tokenHash: (event.data as DataOf<'BotTokenIssued'>).tokenHash } : current;
    case 'BotRemoved':
      return current === null ? null : { ...current, active: false, tokenHash: null, removed: true };
    default:
      return null;
  }
}

/** Folds each touched bot's events in log order and writes it once, guarded by its last event's position. */
export const botsMongoProjection: MongoProjection = {
  name: 'bots',
  version: 1,
  handles: HANDLES,
  owns: ['bots'],
  async applyBatch(events, models) {
    const model = models.bots;
    const ids = [...new Set(events.map(key))];
    if (ids.length === 0) return;
    const stored = await model.find({ _id: { $in: ids } }).lean<BotDocument[]>();
    const states = new Map<string, { lastPosition: number; fields: Fields | null; touched: boolean }>(
      ids.map((id) => [id, { lastPosition: 0, fields: null, touched: false }]),
    );
    for (const document of stored) {
      const { _id, lastPosition, ...fields } = document;
      states.set(_id, { lastPosition, fields, touched: false });
    }
    for (const event of events) {
      const state = states.get(key(event));
      if (!state || event.position <= state.lastPosition) continue;
      const next = evolveBot(state.fields, event);
      if (next === null) continue;
      state.fields = next;
      state.lastPosition = event.position;
      state.touched = true;
    }
    const writes = [...states.entries()]
      .filter(([, state]) => state.touched && state.fields !== null)
      .map(([id, state]) => guardedSet(id, state.lastPosition, state.fields as unknown as Record<string, unknown>));
    await writeInOrder(model, writes);
  },
};

export function toBotRecord(bot: BotDocument): BotRecord {
  return {
    id: bot._id,
    inboxId: bot.inboxId,
    name: bot.name,
    kind: bot.kind,
    channels: bot.channels ?? [],
    flow: bot.flow ?? null,
    webhookUrl: bot.webhookUrl ?? null,
    webhookSecret: bot.webhookSecret ?? null,
    active: bot.active === true,
    hasToken: typeof bot.tokenHash === 'string',
    tokenHash: bot.tokenHash ?? null,
    createdAt: bot.createdAt,
  };
}
