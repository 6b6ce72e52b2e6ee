import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/** The shapes of `GET /api/reports/agents`, for the OpenAPI reference (application/reports/agent-report.ts returns them). */

export class DurationStatsResponse {
  @ApiProperty({ type: Number, nullable: true, description: 'Median in seconds (nearest-rank); null when count is 0.', example: 240 })
  p50: number | null;

  @ApiProperty({ type: Number, nullable: true, description: '90th percentile in seconds (nearest-rank); null when count is 0.', example: 1800 })
  p90: number | null;

  @ApiProperty({ type: Number, description: 'How many durations the percentiles are taken over.', example: 12 })
  count: number;
}

export class AgentReportRowResponse {
  @ApiProperty({ type: String, format: 'uuid' })
  agentId: string;

  @ApiProperty({ type: String, description: 'The name the agent has (or last had, when removed).' })
  agentName: string;

  @ApiProperty({ type: Number, description: 'Distinct conversations assigned to the agent in the period (by hand, by auto-assignment).' })
  conversationsAssigned: number;

  @ApiProperty({
    type: DurationStatsResponse,
    description: "From the contact's first message to the first reply of an agent, for first replies given in the period.",
  })
  firstResponse: DurationStatsResponse;

  @ApiProperty({ type: DurationStatsResponse, description: 'From the start (or reopen) to the close, for closes in the period credited to the agent.' })
  resolution: DurationStatsResponse;
}

export class AgentInboxReportRowResponse extends AgentReportRowResponse {
  @ApiProperty({ type: String, format: 'uuid' })
  inboxId: string;

  @ApiProperty({ type: String })
  inboxName: string;
}

export class AgentReportResponse {
  @ApiProperty({ type: String, format: 'date-time', description: 'Start of the period (inclusive).' })
  from: string;

  @ApiProperty({ type: String, format: 'date-time', description: 'End of the period (exclusive).' })
  to: string;

  @ApiProperty({ type: String, format: 'uuid', nullable: true, description: 'The inbox asked for; null: every inbox the caller can reach.' })
  inboxId: string | null;

  @ApiProperty({ type: String, enum: ['nearest-rank'] })
  percentileMethod: 'nearest-rank';

  @ApiProperty({ type: String, enum: ['seconds'] })
  unit: 'seconds';

  @ApiProperty({ type: [AgentReportRowResponse], description: 'Per agent, over the inboxes of the report.' })
  agents: AgentReportRowResponse[];

  @ApiPropertyOptional({ type: [AgentInboxReportRowResponse], description: 'Per agent and inbox; only without inboxId.' })
  byInbox?: AgentInboxReportRowResponse[];
}
