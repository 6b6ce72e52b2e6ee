import { Inject } from '@nestjs/common';
import { Query, QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { InboxAccess, InvalidRequestError } from '../access/inbox-access';
import type { AuthenticatedAgent } from '../command-handling/command-context';
import { CLOCK, type Clock } from '../ports/clock.port';
import { READ_STORE, type InboxRecord, type ReadStore } from '../ports/read-store.port';
import { buildAgentReport, reportPeriod, type AgentReport } from './agent-report';

/**
 * `GET /api/reports/agents`: per agent (and per agent and inbox) the conversations assigned, the
 * first-response and resolution times (p50, p90) of a period, over the inboxes the agent can
 * reach (admins: all) or the one asked for (one out of reach answers as unknown).
 */
export class GetAgentReportQuery extends Query<AgentReport> {
  constructor(
    readonly agent: AuthenticatedAgent,
    readonly params: { from?: Date; to?: Date; inboxId?: string },
  ) {
    super();
  }
}

@QueryHandler(GetAgentReportQuery)
export class GetAgentReportHandler implements IQueryHandler<GetAgentReportQuery> {
  constructor(
    private readonly access: InboxAccess,
    @Inject(READ_STORE) private readonly readStore: ReadStore,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async execute({ agent, params }: GetAgentReportQuery): Promise<AgentReport> {
    const period = reportPeriod(params, this.clock.now());
    if ('error' in period) throw new InvalidRequestError(period.error);
    const inboxes: InboxRecord[] = params.inboxId ? [await this.access.resolveInbox(agent, params.inboxId)] : await this.access.accessibleInboxes(agent);
    const facts =
      inboxes.length === 0
        ? { assigned: [], firstResponses: [], resolutions: [] }
        : await this.readStore.reportFacts({ from: period.from.toISOString(), to: period.to.toISOString(), inboxIds: inboxes.map((i) => i.id) });
    const agentIds = new Set<string>([
      ...inboxes.flatMap((i) => i.memberIds),
      ...facts.assigned.map((f) => f.agentId),
      ...facts.firstResponses.map((f) => f.agentId),
      ...facts.resolutions.map((f) => f.agentId),
    ]);
    const names = await this.readStore.agentDisplayNames([...agentIds]);
    return buildAgentReport(facts, { from: period.from, to: period.to, inboxId: params.inboxId ? inboxes[0].id : null, inboxes, names });
  }
}
