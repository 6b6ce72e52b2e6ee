import { Schema, type Connection, type Model } from 'mongoose';
import type { BotFlow, BotKind } from '../../../domain/bot/bot.events';

/**
 * The bots of each inbox (collection `bots`), the twin of the embedded rm_bots
 * (src/projections/sqlite/bots.projection.ts). A removed bot stays as a tombstone (`removed`)
 * keeping its lastPosition, so an older event delivered again cannot bring it back.
 */
export interface BotDocument {
  _id: string;
  inboxId: string;
  name: string;
  kind: BotKind;
  channels: string[];
  flow: BotFlow | null;
  webhookUrl: string | null;
  /** Ciphertext, as the events hold it. */
  webhookSecret: string | null;
  active: boolean;
  /** SHA-256 (hex) of the bot's API token. */
  tokenHash: string | null;
  createdAt: string;
  /** Log position of its creation: the list order. */
  order: number;
  removed: boolean;
  lastPosition: number;
}

export function botSchema(): Schema<BotDocument> {
  const schema = new Schema<BotDocument>(
    {
      _id: { type: String, required: true },
      inboxId: String,
      name: String,
      kind: String,
      channels: [String],
      flow: { type: Schema.Types.Mixed, default: null },
      webhookUrl: { type: String, default: null },
      webhookSecret: { type: String, default: null },
      active: Boolean,
      tokenHash: { type: String, default: null },
      createdAt: String,
      order: Number,
      removed: Boolean,
      lastPosition: { type: Number, required: true },
    },
    { collection: 'bots', versionKey: false as const, minimize: false, strict: 'throw' as const, autoIndex: false, autoCreate: false },
  );
  schema.index({ inboxId: 1, removed: 1, order: 1 }, { name: 'by_inbox' });
  schema.index({ tokenHash: 1, removed: 1 }, { name: 'by_token' });
  return schema;
}

export function defineBotModel(connection: Connection): Model<BotDocument> {
  return connection.model<BotDocument>('Bot', botSchema());
}
