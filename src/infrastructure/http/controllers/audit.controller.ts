import { Controller, Get, Param, Query } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { GetConversationHistoryQuery, VerifyConversationQuery } from '../../../application/audit/audit-queries.handler';
import type { AuthenticatedAgent } from '../../../application/command-handling/command-context';
import { CurrentAgent } from '../auth/auth.decorators';
import { uuidParam } from './params';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';

/**
 * For auditors: a conversation's events straight from the log, and a check of its hash chain.
 * (`GET /api/conversations/:id?at=` is the conversations controller's.)
 */
@ApiTags('Audit')
@Controller('api')
export class AuditController {
  constructor(private readonly queryBus: QueryBus) {}

  @ApiOperation({ summary: "A conversation's events, straight from the log" })
  @ApiOkResponse({ description: 'The events in order, with their metadata and hashes.' })
  @Get('conversations/:id/history')
  history(@Param('id', uuidParam('id')) id: string, @CurrentAgent() agent: AuthenticatedAgent) {
    return this.queryBus.execute(new GetConversationHistoryQuery(agent, id));
  }

  @ApiOperation({ summary: "Check a conversation's hash chain" })
  @ApiOkResponse({ description: 'Whether the chain is intact, and where it breaks if not.' })
  @Get('audit/verify')
  verify(@Query('conversationId', uuidParam('conversationId')) conversationId: string, @CurrentAgent() agent: AuthenticatedAgent) {
    return this.queryBus.execute(new VerifyConversationQuery(agent, conversationId));
  }
}
