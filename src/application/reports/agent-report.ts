import type { ReportFacts } from './report-facts';

/** The longest period a report may cover, in days. */
export const MAX_REPORT_DAYS = 366;
/** The period when none is asked for: the 30 days up to now. */
export const DEFAULT_REPORT_DAYS = 30;

const DAY_MS = 24 * 60 * 60 * 1000;

/** p50 and p90 of a set of durations, and how many there were; the percentiles are null for none. */
export interface DurationStats {
  p50: number | null;
  p90: number | null;
  count: number;
}

export interface AgentReportRow {
  agentId: string;
  agentName: string;
  conversationsAssigned: number;
  firstResponse: DurationStats;
  resolution: DurationStats;
}

export interface AgentInboxReportRow extends AgentReportRow {
  inboxId: string;
  inboxName: string;
}

/** `GET /api/reports/agents`: docs/reports.md. */
export interface AgentReport {
  from: string;
  to: string;
  /** The inbox asked for; null: every inbox the agent can reach. */
  inboxId: string | null;
  /** How p50 and p90 are taken (docs/reports.md). */
  percentileMethod: 'nearest-rank';
  /** Durations are in seconds. */
  unit: 'seconds';
  /** Per agent, over the inboxes of the report. */
  agents: AgentReportRow[];
  /** Per agent and inbox; only when no inboxId was given (with one it would repeat `agents`). */
  byInbox?: AgentInboxReportRow[];
}

/**
 * The nearest-rank percentile: the smallest value such that at least p % of the values are at
 * most it, i.e. the value at rank ceil(p/100 × n) of the values sorted ascending (1-based).
 * Always one of the values, never an interpolation.
 */
export function nearestRank(sortedAscending: readonly number[], p: number): number | null {
  const n = sortedAscending.length;
  if (n === 0) return null;
  const rank = Math.max(1, Math.ceil((p / 100) * n));
  return sortedAscending[Math.min(n, rank) - 1];
}

export function durationStats(values: readonly number[]): DurationStats {
  const sorted = [...values].sort((a, b) => a - b);
  return { p50: nearestRank(sorted, 50), p90: nearestRank(sorted, 90), count: sorted.length };
}

/**
 * The checked period: both ends given or defaulted (to: now; from: 30 days before to), from not
 * after to, at most MAX_REPORT_DAYS long. The messages name the field and the values.
 */
export function reportPeriod(input: { from?: Date; to?: Date }, now: Date): { from: Date; to: Date } | { error: string } {
  const to = input.to ?? now;
  const from = input.from ?? new Date(to.getTime() - DEFAULT_REPORT_DAYS * DAY_MS);
  if (from.getTime() > to.getTime()) return { error: `from must not be after to (from ${from.toISOString()}, to ${to.toISOString()})` };
  const days = (to.getTime() - from.getTime()) / DAY_MS;
  if (days > MAX_REPORT_DAYS) {
    return {
      error: `to: the period may span at most ${MAX_REPORT_DAYS} days (from ${from.toISOString()} to ${to.toISOString()} spans ${Math.ceil(days)})`,
    };
  }
  return { from, to };
}

interface Group {
  agentId: string;
  inboxId: string;
  assigned: number;
  firstResponses: number[];
  resolutions: number[];
}

/**
 * The facts gathered per agent (and per agent and inbox). `members` are the agents shown even
 * without facts (the inboxes' members), so a quiet teammate appears with zeros.
 */
export function buildAgentReport(
  facts: ReportFacts,
  options: {
    from: Date;
    to: Date;
    inboxId: string | null;
    inboxes: ReadonlyArray<{ id: string; name: string; memberIds: readonly string[] }>;
    names: ReadonlyMap<string, string>;
  },
): AgentReport {
  const groups = new Map<string, Group>();
  const group = (agentId: string, inboxId: string): Group => {
    const key = JSON.stringify([agentId, inboxId]);
    let found = groups.get(key);
    if (!found) {
      found = { agentId, inboxId, assigned: 0, firstResponses: [], resolutions: [] };
      groups.set(key, found);
    }
    return found;
  };
  for (const inbox of options.inboxes) for (const agentId of inbox.memberIds) group(agentId, inbox.id);
  for (const fact of facts.assigned) group(fact.agentId, fact.inboxId).assigned += fact.conversations;
  for (const fact of facts.firstResponses) group(fact.agentId, fact.inboxId).firstResponses.push(fact.seconds);
  for (const fact of facts.resolutions) group(fact.agentId, fact.inboxId).resolutions.push(fact.seconds);

  const nameOf = (agentId: string) => options.names.get(agentId) ?? agentId;
  const inboxName = new Map(options.inboxes.map((inbox) => [inbox.id, inbox.name]));
  const byAgent = new Map<string, Group>();
  for (const g of groups.values()) {
    const total = byAgent.get(g.agentId) ?? { agentId: g.agentId, inboxId: '', assigned: 0, firstResponses: [], resolutions: [] };
    total.assigned += g.assigned;
    total.firstResponses.push(...g.firstResponses);
    total.resolutions.push(...g.resolutions);
    byAgent.set(g.agentId, total);
  }
  const row = (g: Group): AgentReportRow => ({
    agentId: g.agentId,
    agentName: nameOf(g.agentId),
    conversationsAssigned: g.assigned,
    firstResponse: durationStats(g.firstResponses),
    resolution: durationStats(g.resolutions),
  });
  const byName = (a: AgentReportRow, b: AgentReportRow) => a.agentName.localeCompare(b.agentName) || a.agentId.localeCompare(b.agentId);
  const report: AgentReport = {
    from: options.from.toISOString(),
    to: options.to.toISOString(),
    inboxId: options.inboxId,
    percentileMethod: 'nearest-rank',
    unit: 'seconds',
    agents: [...byAgent.values()].map(row).sort(byName),
  };
  if (options.inboxId === null) {
    report.byInbox = [...groups.values()]
      .map((g) => ({ ...row(g), inboxId: g.inboxId, inboxName: inboxName.get(g.inboxId) ?? g.inboxId }))
      .sort((a, b) => a.inboxName.localeCompare(b.inboxName) || a.inboxId.localeCompare(b.inboxId) || byName(a, b));
  }
  return report;
}
