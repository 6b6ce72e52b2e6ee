import type { Database } from 'better-sqlite3';
import type { RecordedEvent } from '../../application/ports/event-store.port';
import type { ContactMerged } from '../../domain/contact/contact.events';
import { identityKey, identityOf } from '../../domain/contact/identity';
import type { TicketChanged } from '../../domain/ticket/ticket.events';
import { CONVERSATION_EVENT_TYPES, evolveConversationDoc, type ConversationDoc } from '../conversation-summary';
import type { SqliteProjection } from '../projection';
import { viewMembership } from '../views';
import { splitOf } from './contact-splits';
import { idFromStream, statement } from './statements';

/** Events of the contact and ticket records that change conversation summaries. */
const RECORD_EVENT_TYPES: readonly string[] = ['ContactCreated', 'ContactMerged', 'ContactIdentityRemoved', 'TicketChanged', 'TicketRemoved'];

/**
 * Conversation summaries plus, per built-in view, a membership index and a count.
 *
 * - rm_conversations: the summary document as JSON, with the few fields queries filter on as
 *   indexed columns; `last_position` makes re-applying an event a no-op even outside the runner.
 * - view_membership: one row per (view, conversation); its primary key is the keyset order, so
 *   a page in either sort order is a range scan of that index, whatever the table size.
 * - view_counts: maintained on membership change, so counting a view is one key lookup.
 *
 * Search (FTS5) will be a separate projection with its own table.
 *
 * The contact and ticket of a summary follow their records: a contact merged into another, or an
 * identity split off into a new contact, moves its conversations (by the indexed contact_id and
 * contact_identity, the identity the conversation's sender address stands for); a ticket's status
 * and name follow the ticket record (by the indexed ticket_id).
 */
export const conversationsProjection: SqliteProjection = {
  name: 'conversations',
  version: 4, // 2: a late, older message no longer moves lastReceivedAt back; 3: forwarded; 4: contact and ticket follow their records
  handles: [...CONVERSATION_EVENT_TYPES, ...RECORD_EVENT_TYPES],
  reset(tx) {
    tx.exec(`
      DROP TABLE IF EXISTS rm_conversations;
      DROP TABLE IF EXISTS view_membership;
      DROP TABLE IF EXISTS view_counts;
      DROP TABLE IF EXISTS rm_contact_merges;
      CREATE TABLE rm_contact_merges (from_id TEXT PRIMARY KEY, into_id TEXT NOT NULL);
      CREATE INDEX rm_contact_merges_by_into ON rm_contact_merges (into_id);
      CREATE TABLE rm_conversations (
        id TEXT PRIMARY KEY,
        inbox_id TEXT NOT NULL,
        last_position INTEGER NOT NULL,
        assignee_agent_id TEXT,
        blocked_address TEXT,
        purge_after TEXT,
        contact_id TEXT,
        contact_identity TEXT,
        ticket_id TEXT,
        doc TEXT NOT NULL
      );
      CREATE INDEX rm_conversations_by_contact ON rm_conversations (contact_id, contact_identity) WHERE contact_id IS NOT NULL;
      CREATE INDEX rm_conversations_by_ticket ON rm_conversations (ticket_id) WHERE ticket_id IS NOT NULL;
      CREATE INDEX rm_conversations_by_assignee ON rm_conversations (assignee_agent_id) WHERE assignee_agent_id IS NOT NULL;
      CREATE INDEX rm_conversations_by_blocked_address ON rm_conversations (inbox_id, blocked_address) WHERE blocked_address IS NOT NULL;
      CREATE INDEX rm_conversations_by_purge_after ON rm_conversations (purge_after) WHERE purge_after IS NOT NULL;
      CREATE TABLE view_membership (
        inbox_id TEXT NOT NULL,
        view_id TEXT NOT NULL,
        agent_id TEXT NOT NULL,
        last_received_at TEXT NOT NULL,
        conversation_id TEXT NOT NULL,
        PRIMARY KEY (inbox_id, view_id, agent_id, last_received_at, conversation_id)
      ) WITHOUT ROWID;
      CREATE TABLE view_counts (
        inbox_id TEXT NOT NULL,
        view_id TEXT NOT NULL,
        agent_id TEXT NOT NULL,
        count INTEGER NOT NULL,
        PRIMARY KEY (inbox_id, view_id, agent_id)
      ) WITHOUT ROWID;
    `);
  },
  apply(event, tx) {
    applyEvents([event], tx);
  },
  applyBatch(events, tx) {
    applyEvents(events, tx);
  },
};

/** A conversation's document as the batch found it and as the batch leaves it. */
interface Pending {
  id: string;
  stored: boolean;
  before: ConversationDoc | null;
  after: ConversationDoc | null;
  lastPosition: number;
  changed: boolean;
}

/**
 * Folds each conversation's events of the batch in memory, then writes each conversation once:
 * one document, and the view rows and counts that differ between its first and last state (the
 * per-event differences add up to that one). A replay, where a conversation's events sit close
 * together in the log, loads, diffs and saves each document once per batch instead of per event.
 */
function applyEvents(events: readonly RecordedEvent[], tx: Database): void {
  const pending = new Map<string, Pending>();
  for (const event of events) {
    if (RECORD_EVENT_TYPES.includes(event.type)) {
      // Most contacts are created without a split: nothing to follow, and the batch stays in memory.
      if (event.type === 'ContactCreated' && !splitOf(event)) continue;
      // A record's event moves rows the batch may hold in memory: those are written first.
      writePending(tx, pending);
      pending.clear();
      followRecord(tx, event);
      continue;
    }
    const id = conversationIdOf(event);
    let entry = pending.get(id);
    if (!entry) {
      const stored = loadConversation(tx, id);
      entry = { id, stored: stored !== null, before: stored?.doc ?? null, after: stored?.doc ?? null, lastPosition: stored?.lastPosition ?? 0, changed: false };
      pending.set(id, entry);
    }
    if (event.position <= entry.lastPosition) continue;
    const after = evolveConversationDoc(entry.after, event);
    if (entry.after === null && after === null) continue;
    entry.after = after && (event.type === 'ConversationStarted' || event.type === 'ContactLinked') ? withLiveContact(tx, after) : after;
    entry.lastPosition = event.position;
    entry.changed = true;
  }
  writePending(tx, pending);
}

function writePending(tx: Database, pending: Map<string, Pending>): void {
  for (const entry of pending.values()) {
    if (!entry.changed) continue;
    updateViews(tx, entry.before, entry.after);
    if (entry.after) saveConversation(tx, entry.after, entry.lastPosition);
    else if (entry.stored) statement(tx, 'DELETE FROM rm_conversations WHERE id = ?').run(entry.id);
  }
}

function conversationIdOf(event: RecordedEvent): string {
  if (event.type === 'ConversationStarted') return String(event.data.conversationId);
  return idFromStream(event.streamId, 'conversation-');
}

function loadConversation(tx: Database, id: string): { doc: ConversationDoc; lastPosition: number } | null {
  const row = statement(tx, 'SELECT doc, last_position FROM rm_conversations WHERE id = ?').get(id) as { doc: string; last_position: number } | undefined;
  return row ? { doc: JSON.parse(row.doc) as ConversationDoc, lastPosition: row.last_position } : null;
}

function saveConversation(tx: Database, doc: ConversationDoc, position: number): void {
  statement(
    tx,
    `INSERT INTO rm_conversations (id, inbox_id, last_position, assignee_agent_id, blocked_address, purge_after, contact_id, contact_identity, ticket_id, doc)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (id) DO UPDATE SET inbox_id = excluded.inbox_id, last_position = excluded.last_position,
       assignee_agent_id = excluded.assignee_agent_id, blocked_address = excluded.blocked_address,
       purge_after = excluded.purge_after, contact_id = excluded.contact_id, contact_identity = excluded.contact_identity,
       ticket_id = excluded.ticket_id, doc = excluded.doc`,
  ).run(
    doc.id,
    doc.inboxId,
    position,
    doc.assignee?.type === 'agent' ? doc.assignee.id : null,
    doc.filtered ? doc.blockedAddress : null,
    doc.trashed ? doc.purgeAfter : null,
    doc.contact?.id ?? null,
    doc.contact ? identityKey(identityOf(doc.channel, doc.contact.address)) : null,
    doc.ticket?.id ?? null,
    JSON.stringify(doc),
  );
}

export const FOLLOW_SQL = {
  mergeTarget: 'SELECT into_id FROM rm_contact_merges WHERE from_id = ?',
  recordMerge: 'INSERT INTO rm_contact_merges (from_id, into_id) VALUES (?, ?) ON CONFLICT (from_id) DO UPDATE SET into_id = excluded.into_id',
  collapseMerges: 'UPDATE rm_contact_merges SET into_id = ? WHERE into_id = ?',
  merge: `UPDATE rm_conversations SET contact_id = ?, doc = json_set(doc, '$.contact.id', ?) WHERE contact_id = ?`,
  split: `UPDATE rm_conversations SET contact_id = ?, doc = json_set(doc, '$.contact.id', ?) WHERE contact_id = ? AND contact_identity = ?`,
  ticketStatus: `UPDATE rm_conversations SET doc = json_set(doc, '$.ticket.status', ?) WHERE ticket_id = ?`,
  ticketName: `UPDATE rm_conversations SET doc = json_set(doc, '$.ticket.name', ?) WHERE ticket_id = ?`,
  ticketRemoved: `UPDATE rm_conversations SET ticket_id = NULL, doc = json_set(doc, '$.ticket', json('null')) WHERE ticket_id = ?`,
} as const;

/**
 * Summaries follow the records. The document changes in place (json_set keeps its key order, so a
 * rebuild writes the same text); its revision stays the conversation stream's.
 */
function followRecord(tx: Database, event: RecordedEvent): void {
  switch (event.type) {
    case 'ContactMerged': {
      const from = idFromStream(event.streamId, 'contact-');
      const into = liveContactId(tx, (event.data as ContactMerged['data']).intoContactId);
      statement(tx, FOLLOW_SQL.recordMerge).run(from, into);
      statement(tx, FOLLOW_SQL.collapseMerges).run(into, from);
      statement(tx, FOLLOW_SQL.merge).run(into, into, from);
      return;
    }
    case 'ContactCreated':
    case 'ContactIdentityRemoved': {
      const split = splitOf(event);
      if (split) for (const key of split.keys) statement(tx, FOLLOW_SQL.split).run(split.to, split.to, split.from, key);
      return;
    }
    case 'TicketChanged': {
      const data = event.data as TicketChanged['data'];
      const ticketId = idFromStream(event.streamId, 'ticket-');
      if (data.status !== undefined) statement(tx, FOLLOW_SQL.ticketStatus).run(data.status === 'closed' ? 'closed' : 'open', ticketId);
      if (data.name !== undefined) statement(tx, FOLLOW_SQL.ticketName).run(data.name, ticketId);
      return;
    }
    case 'TicketRemoved':
      statement(tx, FOLLOW_SQL.ticketRemoved).run(idFromStream(event.streamId, 'ticket-'));
      return;
  }
}

interface MembershipRow {
  inboxId: string;
  viewId: string;
  agentId: string;
  lastReceivedAt: string;
  conversationId: string;
}

function membershipRows(doc: ConversationDoc | null): MembershipRow[] {
  if (!doc) return [];
  return viewMembership(doc).map(({ viewId, agentId }) => ({
    inboxId: doc.inboxId,
    viewId,
    agentId,
    lastReceivedAt: doc.lastReceivedAt,
    conversationId: doc.id,
  }));
}

const countKey = (row: MembershipRow) => JSON.stringify([row.inboxId, row.viewId, row.agentId]);
const rowKey = (row: MembershipRow) => JSON.stringify([row.inboxId, row.viewId, row.agentId, row.lastReceivedAt]);

/**
 * Writes only the difference: a row whose sort key moved is replaced (count unchanged); a view
 * entered or left moves its count by one.
 */
function updateViews(tx: Database, before: ConversationDoc | null, after: ConversationDoc | null): void {
  const oldRows = membershipRows(before);
  const newRows = membershipRows(after);
  const newRowKeys = new Set(newRows.map(rowKey));
  const oldRowKeys = new Set(oldRows.map(rowKey));
  for (const row of oldRows) if (!newRowKeys.has(rowKey(row))) deleteMembership(tx, row);
  for (const row of newRows) if (!oldRowKeys.has(rowKey(row))) insertMembership(tx, row);

  const newCountKeys = new Set(newRows.map(countKey));
  const oldCountKeys = new Set(oldRows.map(countKey));
  for (const row of oldRows) if (!newCountKeys.has(countKey(row))) addToCount(tx, row, -1);
  for (const row of newRows) if (!oldCountKeys.has(countKey(row))) addToCount(tx, row, +1);
}

function deleteMembership(tx: Database, row: MembershipRow): void {
  statement(
    tx,
    `DELETE FROM view_membership
     WHERE inbox_id = ? AND view_id = ? AND agent_id = ? AND last_received_at = ? AND conversation_id = ?`,
  ).run(row.inboxId, row.viewId, row.agentId, row.lastReceivedAt, row.conversationId);
}

function insertMembership(tx: Database, row: MembershipRow): void {
  statement(tx, `INSERT INTO view_membership (inbox_id, view_id, agent_id, last_received_at, conversation_id) VALUES (?, ?, ?, ?, ?)`).run(
    row.inboxId,
    row.viewId,
    row.agentId,
    row.lastReceivedAt,
    row.conversationId,
  );
}

/** Rows at zero are removed, so a rebuilt read model has exactly the rows the live one has. */
function addToCount(tx: Database, row: MembershipRow, delta: 1 | -1): void {
  statement(
    tx,
    `INSERT INTO view_counts (inbox_id, view_id, agent_id, count) VALUES (?, ?, ?, ?)
     ON CONFLICT (inbox_id, view_id, agent_id) DO UPDATE SET count = count + excluded.count`,
  ).run(row.inboxId, row.viewId, row.agentId, delta);
  if (delta < 0) {
    statement(tx, 'DELETE FROM view_counts WHERE inbox_id = ? AND view_id = ? AND agent_id = ? AND count <= 0').run(row.inboxId, row.viewId, row.agentId);
  }
}

/** The contact merged contacts point to (merges are kept collapsed: one lookup). */
function liveContactId(tx: Database, contactId: string): string {
  return (statement(tx, FOLLOW_SQL.mergeTarget).pluck().get(contactId) as string | undefined) ?? contactId;
}

/**
 * A conversation started for, or linked to, a contact already merged away (the message was
 * resolved against read models the merge had not reached yet) belongs to the contact merged into.
 */
function withLiveContact(tx: Database, doc: ConversationDoc): ConversationDoc {
  if (!doc.contact) return doc;
  const id = liveContactId(tx, doc.contact.id);
  return id === doc.contact.id ? doc : { ...doc, contact: { ...doc.contact, id } };
}
