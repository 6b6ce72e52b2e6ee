import type { Database } from 'better-sqlite3';
import type { RecordedEvent } from '../../application/ports/event-store.port';
import { DEFAULT_BUSINESS_HOURS, DEFAULT_ROUTING, type InboxEvent } from '../../domain/inbox/inbox.events';
import type { SqliteProjection } from '../projection';
import { idFromStream, statement } from './statements';

type InboxEventType = InboxEvent['type'];
type DataOf<T extends InboxEventType> = Extract<InboxEvent, { type: T }>['data'];
type Handler<T extends InboxEventType> = (tx: Database, inboxId: string, event: RecordedEvent & { data: DataOf<T> }) => void;

/**
 * Team inboxes, their address (mail routing), members (rule 15 access checks), auto-assignment
 * settings and business hours (each kept whole as JSON, as the last event set them).
 */
export const inboxesProjection: SqliteProjection = {
  name: 'inboxes',
  version: 2,
  handles: ['InboxCreated', 'InboxUpdated', 'InboxMembersSet', 'InboxRoutingSet', 'InboxBusinessHoursSet'],
  reset(tx) {
    tx.exec(`
      DROP TABLE IF EXISTS rm_inboxes;
      DROP TABLE IF EXISTS rm_inbox_members;
      CREATE TABLE rm_inboxes (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        email_address TEXT,
        email_lower TEXT,
        is_default INTEGER NOT NULL,
        created_at TEXT NOT NULL,
        routing TEXT NOT NULL DEFAULT '${JSON.stringify(DEFAULT_ROUTING)}',
        business_hours TEXT NOT NULL DEFAULT '${JSON.stringify(DEFAULT_BUSINESS_HOURS)}'
      );
      CREATE INDEX rm_inboxes_by_email ON rm_inboxes (email_lower) WHERE email_lower IS NOT NULL;
      CREATE INDEX rm_inboxes_default ON rm_inboxes (created_at) WHERE is_default = 1;
      CREATE TABLE rm_inbox_members (
        inbox_id TEXT NOT NULL,
        agent_id TEXT NOT NULL,
        ordinal INTEGER NOT NULL,
        PRIMARY KEY (inbox_id, agent_id)
      ) WITHOUT ROWID;
      CREATE INDEX rm_inbox_members_by_agent ON rm_inbox_members (agent_id);
    `);
  },
  apply(event, tx) {
    const inboxId = event.type === 'InboxCreated' ? String(event.data.inboxId) : idFromStream(event.streamId, 'inbox-');
    handlers[event.type as InboxEventType]?.(tx, inboxId, event as never);
  },
};

const emailKey = (address: string | null) => (address === null ? null : address.trim().toLowerCase());

const handlers: { [T in InboxEventType]: Handler<T> } = {
  InboxCreated(tx, inboxId, { data, metadata }) {
    statement(
      tx,
      `INSERT INTO rm_inboxes (id, name, email_address, email_lower, is_default, created_at) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET name = excluded.name, email_address = excluded.email_address,
         email_lower = excluded.email_lower, is_default = excluded.is_default`,
    ).run(inboxId, data.name, data.emailAddress, emailKey(data.emailAddress), data.isDefault ? 1 : 0, metadata.occurredAt);
  },
  InboxUpdated(tx, inboxId, { data }) {
    if (data.name !== undefined) statement(tx, 'UPDATE rm_inboxes SET name = ? WHERE id = ?').run(data.name, inboxId);
    if (data.emailAddress !== undefined) {
      statement(tx, 'UPDATE rm_inboxes SET email_address = ?, email_lower = ? WHERE id = ?').run(data.emailAddress, emailKey(data.emailAddress), inboxId);
    }
  },
  InboxRoutingSet(tx, inboxId, { data }) {
    statement(tx, 'UPDATE rm_inboxes SET routing = ? WHERE id = ?').run(JSON.stringify(data), inboxId);
  },
  InboxBusinessHoursSet(tx, inboxId, { data }) {
    statement(tx, 'UPDATE rm_inboxes SET business_hours = ? WHERE id = ?').run(JSON.stringify(data), inboxId);
  },
  InboxMembersSet(tx, inboxId, { data }) {
    statement(tx, 'DELETE FROM rm_inbox_members WHERE inbox_id = ?').run(inboxId);
    const insert = statement(tx, 'INSERT OR IGNORE INTO rm_inbox_members (inbox_id, agent_id, ordinal) VALUES (?, ?, ?)');
    data.agentIds.forEach((agentId, ordinal) => insert.run(inboxId, agentId, ordinal));
  },
};
