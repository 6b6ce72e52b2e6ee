import { Body, Controller, Get, Param, Put } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { agentContext, type AuthenticatedAgent } from '../../../application/command-handling/command-context';
import {
  GetInboxBusinessHoursQuery,
  GetInboxRoutingQuery,
  SetInboxBusinessHoursCommand,
  SetInboxRoutingCommand,
} from '../../../application/inboxes/inbox-routing.handler';
import { CurrentAgent } from '../auth/auth.decorators';
import { InboxBusinessHoursDto, InboxRoutingDto } from '../dto/inbox-routing.dto';
import { uuidParam } from './params';

/** An inbox's auto-assignment settings and business hours (admins). */
@ApiTags('Inboxes')
@Controller('api/inboxes')
export class InboxRoutingController {
  constructor(
    private readonly commandBus: CommandBus,
    private readonly queryBus: QueryBus,
  ) {}

  @ApiOperation({ summary: "The inbox's auto-assignment settings (admins)" })
  @ApiOkResponse({ type: InboxRoutingDto })
  @Get(':id/routing')
  routing(@Param('id', uuidParam('id')) id: string, @CurrentAgent() agent: AuthenticatedAgent) {
    return this.queryBus.execute(new GetInboxRoutingQuery(agent, id));
  }

  @ApiOperation({ summary: "Replace the inbox's auto-assignment settings (admins)", description: 'Answers the settings as stored (channels sorted).' })
  @ApiOkResponse({ type: InboxRoutingDto })
  @Put(':id/routing')
  setRouting(@Param('id', uuidParam('id')) id: string, @Body() body: InboxRoutingDto, @CurrentAgent() agent: AuthenticatedAgent) {
    const { mode, channels, defaultCapacity, capacities } = body;
    return this.commandBus.execute(new SetInboxRoutingCommand(id, { mode, channels, defaultCapacity, capacities }, agentContext(agent)));
  }

  @ApiOperation({ summary: "The inbox's business hours (admins)" })
  @ApiOkResponse({ type: InboxBusinessHoursDto })
  @Get(':id/business-hours')
  businessHours(@Param('id', uuidParam('id')) id: string, @CurrentAgent() agent: AuthenticatedAgent) {
    return this.queryBus.execute(new GetInboxBusinessHoursQuery(agent, id));
  }

  @ApiOperation({ summary: "Replace the inbox's business hours (admins)", description: 'Answers the hours as stored (intervals sorted).' })
  @ApiOkResponse({ type: InboxBusinessHoursDto })
  @Put(':id/business-hours')
  setBusinessHours(@Param('id', uuidParam('id')) id: string, @Body() body: InboxBusinessHoursDto, @CurrentAgent() agent: AuthenticatedAgent) {
    const { enabled, timeZone, week } = body;
    return this.commandBus.execute(new SetInboxBusinessHoursCommand(id, { enabled, timeZone, week }, agentContext(agent)));
  }
}
