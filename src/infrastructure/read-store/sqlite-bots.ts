import type { Database } from 'better-sqlite3';
import { botTakesChannel } from '../../application/bots/bot-channels';
import type { BotRecord } from '../../application/ports/read-store.port';
import type { BotFlow, BotKind } from '../../domain/bot/bot.events';
import { statement } from '../../projections/sqlite/statements';

/** The ReadStore's bot queries over rm_bots (bots.projection.ts). */
const SQL = {
  byInbox: 'SELECT * FROM rm_bots WHERE inbox_id = ? AND removed = 0 ORDER BY position',
  activeByInbox: 'SELECT * FROM rm_bots WHERE inbox_id = ? AND active = 1 AND removed = 0 ORDER BY position',
  one: 'SELECT * FROM rm_bots WHERE id = ? AND removed = 0',
  byToken: 'SELECT * FROM rm_bots WHERE token_hash = ? AND removed = 0 ORDER BY position LIMIT 1',
  names: "SELECT 'bot:' || id AS id, name FROM rm_bots WHERE id IN (SELECT substr(value, 5) FROM json_each(?) WHERE value LIKE 'bot:%')",
} as const;

export interface BotRow {
  id: string;
  inbox_id: string;
  name: string;
  kind: BotKind;
  channels: string;
  flow: string | null;
  webhook_url: string | null;
  webhook_secret: string | null;
  active: number;
  token_hash: string | null;
  created_at: string;
}

export function listBots(db: Database, inboxId: string): BotRecord[] {
  return (statement(db, SQL.byInbox).all(inboxId) as BotRow[]).map(toBot);
}

export function getBot(db: Database, botId: string): BotRecord | null {
  const row = statement(db, SQL.one).get(botId) as BotRow | undefined;
  return row ? toBot(row) : null;
}

/** The inbox's active bots, as stored (in order): what the read store's findActiveBot chooses from. */
export function activeBotRows(db: Database, inboxId: string): readonly BotRow[] {
  return statement(db, SQL.activeByInbox).all(inboxId) as BotRow[];
}

/** The first of these active bots that takes the channel (a fresh record). */
export function activeBotFor(rows: readonly BotRow[], channel: string): BotRecord | null {
  for (const row of rows) {
    const bot = toBot(row);
    if (botTakesChannel(bot, channel)) return bot;
  }
  return null;
}

export function findBotByTokenHash(db: Database, tokenHash: string): BotRecord | null {
  const row = statement(db, SQL.byToken).get(tokenHash) as BotRow | undefined;
  return row ? toBot(row) : null;
}

/** The names of the bots among these author ids (`bot:<botId>`), removed bots too, by author id. */
export function botNames(db: Database, authorIds: readonly string[]): Map<string, string> {
  if (!authorIds.some(isBotAuthor)) return new Map();
  const rows = statement(db, SQL.names).all(JSON.stringify(authorIds)) as Array<{ id: string; name: string }>;
  return new Map(rows.map((row) => [row.id, row.name]));
}

/** A bot's replies carry the author id `bot:<botId>`. */
export const isBotAuthor = (authorId: string): boolean => authorId.startsWith('bot:');

function toBot(row: BotRow): BotRecord {
  return {
    id: row.id,
    inboxId: row.inbox_id,
    name: row.name,
    kind: row.kind,
    channels: JSON.parse(row.channels) as string[],
    flow: row.flow === null ? null : (JSON.parse(row.flow) as BotFlow),
    webhookUrl: row.webhook_url,
    webhookSecret: row.webhook_secret,
    active: row.active === 1,
    hasToken: row.token_hash !== null,
    tokenHash: row.token_hash,
    createdAt: row.created_at,
  };
}
