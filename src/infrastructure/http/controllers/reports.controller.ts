import { Controller, Get, Query } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiOkResponse, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { AuthenticatedAgent } from '../../../application/command-handling/command-context';
import { GetAgentReportQuery } from '../../../application/reports/agent-report.handler';
import { CurrentAgent } from '../auth/auth.decorators';
import { AgentReportResponse } from '../dto/reports.dto';
import { parseInstant } from './instant-param';
import { uuidParam } from './params';

/** Reports a team lead needs (docs/reports.md): per agent, over a period, from the reports read model. */
@ApiTags('Reports')
@Controller('api/reports')
export class ReportsController {
  constructor(private readonly queryBus: QueryBus) {}

  @ApiOperation({
    summary: 'Per agent: conversations assigned, first-response and resolution times (p50, p90)',
    description:
      'Over the inboxes the caller can reach (admins: all), or the one named. Percentiles are nearest-rank, in seconds. The period is [from, to), at most 366 days; without from and to, the 30 days up to now.',
  })
  @ApiQuery({
    name: 'from',
    required: false,
    type: String,
    description: 'Start (inclusive): an ISO 8601 date-time with a zone, or a date.',
    example: '2026-11-01T00:00:00Z',
  })
  @ApiQuery({
    name: 'to',
    required: false,
    type: String,
    description: 'End (exclusive): an ISO 8601 date-time with a zone, or a date. Default: now.',
    example: '2026-12-01T00:00:00Z',
  })
  @ApiQuery({
    name: 'inboxId',
    required: false,
    type: String,
    description: 'One inbox; without it, every inbox the caller can reach, with a breakdown per inbox.',
  })
  @ApiOkResponse({ type: AgentReportResponse })
  @Get('agents')
  agents(
    @Query('from') from: string | undefined,
    @Query('to') to: string | undefined,
    @Query('inboxId') inboxId: string | undefined,
    @CurrentAgent() agent: AuthenticatedAgent,
  ) {
    return this.queryBus.execute(
      new GetAgentReportQuery(agent, {
        ...(from !== undefined && from !== '' ? { from: parseInstant('from', from) } : {}),
        ...(to !== undefined && to !== '' ? { to: parseInstant('to', to) } : {}),
        ...(inboxId !== undefined && inboxId !== '' ? { inboxId: uuidParam('inboxId').transform(inboxId, { type: 'query' }) } : {}),
      }),
    );
  }
}
