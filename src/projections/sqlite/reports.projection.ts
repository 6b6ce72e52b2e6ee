import type { Database } from 'better-sqlite3';
import type { RecordedEvent } from '../../application/ports/event-store.port';
import type { SqliteProjection } from '../projection';
import { evolveReportConversation, REPORT_EVENT_TYPES, type ReportConversation } from '../report-facts';
import { idFromStream, statement } from './statements';

/**
 * The facts the reports are computed from (docs/reports.md), one conversation at a time: its
 * folded state (rm_report_conversations.doc, see report-facts.ts) and, derived from it, one row
 * per assignment to an agent, per first response and per resolution, each with its time and
 * inbox, so a period's facts are one index range. A delete forever removes the conversation's
 * rows: the log no longer holds it, so a report rebuilt from the log could not hold it either.
 */
export const reportsProjection: SqliteProjection = {
  name: 'reports',
  version: 1,
  handles: REPORT_EVENT_TYPES,
  reset(tx) {
    tx.exec(`
      DROP TABLE IF EXISTS rm_report_conversations;
      DROP TABLE IF EXISTS rm_report_assignments;
      DROP TABLE IF EXISTS rm_report_first_responses;
      DROP TABLE IF EXISTS rm_report_resolutions;
      CREATE TABLE rm_report_conversations (
        id TEXT PRIMARY KEY,
        inbox_id TEXT NOT NULL,
        doc TEXT NOT NULL
      );
      CREATE TABLE rm_report_assignments (
        conversation_id TEXT NOT NULL,
        ordinal INTEGER NOT NULL,
        inbox_id TEXT NOT NULL,
        agent_id TEXT NOT NULL,
        at TEXT NOT NULL,
        via TEXT NOT NULL,
        PRIMARY KEY (conversation_id, ordinal)
      );
      CREATE INDEX rm_report_assignments_by_time ON rm_report_assignments (at, inbox_id);
      CREATE TABLE rm_report_first_responses (
        conversation_id TEXT PRIMARY KEY,
        inbox_id TEXT NOT NULL,
        agent_id TEXT NOT NULL,
        at TEXT NOT NULL,
        seconds REAL NOT NULL
      );
      CREATE INDEX rm_report_first_responses_by_time ON rm_report_first_responses (at, inbox_id);
      CREATE TABLE rm_report_resolutions (
        conversation_id TEXT NOT NULL,
        ordinal INTEGER NOT NULL,
        inbox_id TEXT NOT NULL,
        agent_id TEXT,
        at TEXT NOT NULL,
        seconds REAL NOT NULL,
        PRIMARY KEY (conversation_id, ordinal)
      );
      CREATE INDEX rm_report_resolutions_by_time ON rm_report_resolutions (at, inbox_id);
    `);
  },
  apply(event, tx) {
    applyEvents([event], tx);
  },
  applyBatch(events, tx) {
    applyEvents(events, tx);
  },
};

interface Pending {
  state: ReportConversation | null;
  changed: boolean;
}

/** Folds each conversation's events of the batch in memory, then writes each conversation once. */
function applyEvents(events: readonly RecordedEvent[], tx: Database): void {
  const pending = new Map<string, Pending>();
  for (const event of events) {
    const id = idFromStream(event.streamId, 'conversation-');
    let entry = pending.get(id);
    if (!entry) {
      entry = { state: load(tx, id), changed: false };
      pending.set(id, entry);
    }
    const next = evolveReportConversation(entry.state, event);
    if (next === 'deleted') {
      entry.state = null;
      entry.changed = true;
    } else if (next !== entry.state) {
      entry.state = next;
      entry.changed = true;
    }
  }
  for (const [id, entry] of pending) if (entry.changed) save(tx, id, entry.state);
}

function load(tx: Database, id: string): ReportConversation | null {
  const row = statement(tx, 'SELECT doc FROM rm_report_conversations WHERE id = ?').get(id) as { doc: string } | undefined;
  return row ? (JSON.parse(row.doc) as ReportConversation) : null;
}

/** Replaces the conversation's document and fact rows (null: removes them). */
function save(tx: Database, id: string, state: ReportConversation | null): void {
  statement(tx, 'DELETE FROM rm_report_assignments WHERE conversation_id = ?').run(id);
  statement(tx, 'DELETE FROM rm_report_first_responses WHERE conversation_id = ?').run(id);
  statement(tx, 'DELETE FROM rm_report_resolutions WHERE conversation_id = ?').run(id);
  if (state === null) {
    statement(tx, 'DELETE FROM rm_report_conversations WHERE id = ?').run(id);
    return;
  }
  statement(
    tx,
    `INSERT INTO rm_report_conversations (id, inbox_id, doc) VALUES (?, ?, ?)
     ON CONFLICT (id) DO UPDATE SET inbox_id = excluded.inbox_id, doc = excluded.doc`,
  ).run(id, state.inboxId, JSON.stringify(state));
  const assignment = statement(tx, 'INSERT INTO rm_report_assignments (conversation_id, ordinal, inbox_id, agent_id, at, via) VALUES (?, ?, ?, ?, ?, ?)');
  state.assignments.forEach((a, ordinal) => assignment.run(id, ordinal, state.inboxId, a.agentId, a.at, a.via));
  if (state.firstResponse) {
    const { agentId, at, seconds } = state.firstResponse;
    statement(tx, 'INSERT INTO rm_report_first_responses (conversation_id, inbox_id, agent_id, at, seconds) VALUES (?, ?, ?, ?, ?)').run(
      id,
      state.inboxId,
      agentId,
      at,
      seconds,
    );
  }
  const resolution = statement(tx, 'INSERT INTO rm_report_resolutions (conversation_id, ordinal, inbox_id, agent_id, at, seconds) VALUES (?, ?, ?, ?, ?, ?)');
  state.resolutions.forEach((r, ordinal) => resolution.run(id, ordinal, state.inboxId, r.agentId, r.at, r.seconds));
}
