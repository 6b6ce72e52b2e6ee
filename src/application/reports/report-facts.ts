/**
 * What the read store hands the reports (ReadStore.reportFacts): the raw facts of a period, per
 * agent and inbox, from the reports read model. The percentiles are computed from them by the
 * application (agent-report.ts), the same way over either store.
 */
export interface ReportFactsQuery {
  /** Start of the period, inclusive (an ISO instant). */
  from: string;
  /** End of the period, exclusive (an ISO instant). */
  to: string;
  /** Only these inboxes (those the asking agent can reach, or the one asked for). */
  inboxIds: readonly string[];
}

export interface ReportFacts {
  /** Distinct conversations assigned to the agent in the period, per agent and inbox. */
  assigned: Array<{ agentId: string; inboxId: string; conversations: number }>;
  /** Each first response given in the period: by whom, where, after how many seconds. */
  firstResponses: Array<{ agentId: string; inboxId: string; seconds: number }>;
  /** Each close in the period credited to an agent, with the seconds of its resolution. */
  resolutions: Array<{ agentId: string; inboxId: string; seconds: number }>;
}
