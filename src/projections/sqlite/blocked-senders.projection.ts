import type { SenderPolicyEvent } from '../../domain/sender-policy/sender-policy.events';
import { normalizeAddress } from '../../domain/shared/address';
import type { SqliteProjection } from '../projection';
import { statement } from './statements';

type DataOf<T extends SenderPolicyEvent['type']> = Extract<SenderPolicyEvent, { type: T }>['data'];

/** Which sender addresses each inbox blocks (rule 5): consulted on every inbound message. */
export const blockedSendersProjection: SqliteProjection = {
  name: 'blocked-senders',
  version: 1,
  handles: ['SenderBlocked', 'SenderUnblocked'],
  reset(tx) {
    tx.exec(`
      DROP TABLE IF EXISTS rm_blocked_senders;
      CREATE TABLE rm_blocked_senders (
        inbox_id TEXT NOT NULL,
        address TEXT NOT NULL,
        blocked_at TEXT NOT NULL,
        PRIMARY KEY (inbox_id, address)
      ) WITHOUT ROWID;
    `);
  },
  apply(event, tx) {
    if (event.type === 'SenderBlocked') {
      const data = event.data as DataOf<'SenderBlocked'>;
      statement(tx, 'INSERT INTO rm_blocked_senders (inbox_id, address, blocked_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING').run(
        data.inboxId,
        normalizeAddress(data.address),
        event.metadata.occurredAt,
      );
    } else if (event.type === 'SenderUnblocked') {
      const data = event.data as DataOf<'SenderUnblocked'>;
      statement(tx, 'DELETE FROM rm_blocked_senders WHERE inbox_id = ? AND address = ?').run(data.inboxId, normalizeAddress(data.address));
    }
  },
};
