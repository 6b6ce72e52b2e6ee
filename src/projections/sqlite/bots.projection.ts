import type { BotEvent } from '../../domain/bot/bot.events';
import type { SqliteProjection } from '../projection';
import { idFromStream, statement } from './statements';

type DataOf<T extends BotEvent['type']> = Extract<BotEvent, { type: T }>['data'];

/**
 * The bots of each inbox (rm_bots), oldest first. The webhook secret stays encrypted and the API
 * token is only its hash, as the events hold them. Every write is keyed by bot id and sets
 * values, so applying an event twice changes nothing. A removed bot stays as a row marked
 * removed (inactive, without token): its name still shows on the replies it wrote.
 */
export const botsProjection: SqliteProjection = {
  name: 'bots',
  // 2: removed bots kept (marked removed), for the name on their replies.
  version: 2,
  handles: ['BotCreated', 'BotChanged', 'BotActivated', 'BotDeactivated', 'BotTokenIssued', 'BotRemoved'],
  reset(tx) {
    tx.exec(`
      DROP TABLE IF EXISTS rm_bots;
      CREATE TABLE rm_bots (
        id TEXT PRIMARY KEY,
        inbox_id TEXT NOT NULL,
        name TEXT NOT NULL,
        kind TEXT NOT NULL,
        channels TEXT NOT NULL,
        flow TEXT,
        webhook_url TEXT,
        webhook_secret TEXT,
        active INTEGER NOT NULL,
        token_hash TEXT,
        removed INTEGER NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL,
        position INTEGER NOT NULL
      );
      CREATE INDEX rm_bots_by_inbox ON rm_bots (inbox_id, position);
      CREATE INDEX rm_bots_by_token ON rm_bots (token_hash);
    `);
  },
  apply(event, tx) {
    const id = idFromStream(event.streamId, 'bot-');
    switch (event.type) {
      case 'BotCreated': {
        const data = event.data as unknown as DataOf<'BotCreated'>;
        statement(
          tx,
          `INSERT OR IGNORE INTO rm_bots (id, inbox_id, name, kind, channels, flow, webhook_url, webhook_secret, active, token_hash, created_at, position)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, NULL, ?, ?)`,
        ).run(
          data.botId,
          data.inboxId,
          data.name,
          data.kind,
          JSON.stringify(data.channels ?? []),
          data.flow ? JSON.stringify(data.flow) : null,
          data.webhookUrl ?? null,
          data.webhookSecret ?? null,
          event.metadata.occurredAt,
          event.position,
        );
        return;
      }
      case 'BotChanged': {
        const data = event.data as unknown as DataOf<'BotChanged'>;
        if (data.name !== undefined) statement(tx, 'UPDATE rm_bots SET name = ? WHERE id = ?').run(data.name, id);
        if (data.channels !== undefined) statement(tx, 'UPDATE rm_bots SET channels = ? WHERE id = ?').run(JSON.stringify(data.channels), id);
        if (data.flow !== undefined) statement(tx, 'UPDATE rm_bots SET flow = ? WHERE id = ?').run(data.flow ? JSON.stringify(data.flow) : null, id);
        if (data.webhookUrl !== undefined) statement(tx, 'UPDATE rm_bots SET webhook_url = ? WHERE id = ?').run(data.webhookUrl, id);
        if (data.webhookSecret !== undefined) statement(tx, 'UPDATE rm_bots SET webhook_secret = ? WHERE id = ?').run(data.webhookSecret, id);
        return;
      }
      case 'BotActivated':
        statement(tx, 'UPDATE rm_bots SET active = 1 WHERE id = ?').run(id);
        return;
      case 'BotDeactivated':
        statement(tx, 'UPDATE rm_bots SET active = 0 WHERE id = ?').run(id);
        return;
      case 'BotTokenIssued': {
        const data = event.data as unknown as DataOf<'BotTokenIssued'>;
        statement(tx, 'UPDATE rm_bots SET token_hash = ? WHERE id = ?').run(data.tokenHash, id);
        return;
      }
      case 'BotRemoved':
        statement(tx, 'UPDATE rm_bots SET removed = 1, active = 0, token_hash = NULL WHERE id = ?').run(id);
        return;
      default:
        return;
    }
  },
};
