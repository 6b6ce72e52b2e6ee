import type { Database } from 'better-sqlite3';
import type { ReportFacts, ReportFactsQuery } from '../../application/reports/report-facts';
import { statement } from '../../projections/sqlite/statements';

/**
 * The reports' queries over the embedded read model (src/projections/sqlite/reports.projection.ts):
 * each is one range of a `(at, inbox_id)` index, the period's rows filtered on the inboxes.
 */
export const REPORT_SQL = {
  assigned: `SELECT agent_id, inbox_id, COUNT(DISTINCT conversation_id) AS conversations FROM rm_report_assignments
    WHERE at >= ? AND at < ? AND inbox_id IN (SELECT value FROM json_each(?))
    GROUP BY agent_id, inbox_id`,
  firstResponses: `SELECT agent_id, inbox_id, seconds FROM rm_report_first_responses
    WHERE at >= ? AND at < ? AND inbox_id IN (SELECT value FROM json_each(?))`,
  resolutions: `SELECT agent_id, inbox_id, seconds FROM rm_report_resolutions
    WHERE at >= ? AND at < ? AND inbox_id IN (SELECT value FROM json_each(?)) AND agent_id IS NOT NULL`,
} as const;

interface SampleRow {
  agent_id: string;
  inbox_id: string;
  seconds: number;
}

export function sqliteReportFacts(db: Database, query: ReportFactsQuery): ReportFacts {
  const params = [new Date(query.from).toISOString(), new Date(query.to).toISOString(), JSON.stringify(query.inboxIds)];
  const samples = (sql: string) =>
    (statement(db, sql).all(...params) as SampleRow[]).map((row) => ({ agentId: row.agent_id, inboxId: row.inbox_id, seconds: row.seconds }));
  const assigned = (statement(db, REPORT_SQL.assigned).all(...params) as Array<{ agent_id: string; inbox_id: string; conversations: number }>).map((row) => ({
    agentId: row.agent_id,
    inboxId: row.inbox_id,
    conversations: row.conversations,
  }));
  return { assigned, firstResponses: samples(REPORT_SQL.firstResponses), resolutions: samples(REPORT_SQL.resolutions) };
}
