import { Body, Controller, Delete, Get, Param, Patch, Post, Put } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { RegisterAgentCommand, RemoveAgentCommand, SetAvailabilityCommand, UpdateAgentCommand } from '../../../application/agents/agent-commands.handler';
import { agentContext, type AuthenticatedAgent } from '../../../application/command-handling/command-context';
import { GetAgentQuery, ListAgentDirectoryQuery } from '../../../application/queries/directory-queries.handler';
import { CurrentAgent } from '../auth/auth.decorators';
import { SessionRevocations } from '../auth/session-revocations';
import { AvailabilityDto, CreateAgentDto, UpdateAgentDto } from '../dto/auth.dto';
import { uuidParam } from './params';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AgentList, AgentView } from '../dto/responses.dto';

@ApiTags('Agents')
@Controller('api')
export class AgentsController {
  constructor(
    private readonly commandBus: CommandBus,
    private readonly queryBus: QueryBus,
    private readonly revocations: SessionRevocations,
  ) {}

  /** Admins see email and role; other agents what assigning and @mentions need. */
  @ApiOperation({ summary: 'The team directory', description: 'Admins see email and role; other agents what assigning and @mentions need.' })
  @ApiOkResponse({ type: AgentList })
  @Get('agents')
  async list(@CurrentAgent() agent: AuthenticatedAgent) {
    return { agents: await this.queryBus.execute(new ListAgentDirectoryQuery(agent)) };
  }

  /** Admin only (checked in the application). */
  @ApiOperation({ summary: 'Add an agent (admins)' })
  @ApiCreatedResponse({ type: AgentView })
  @Post('agents')
  create(@Body() body: CreateAgentDto, @CurrentAgent() agent: AuthenticatedAgent) {
    return this.commandBus.execute(new RegisterAgentCommand(body, agentContext(agent)));
  }

  /** A new password ends every session of that agent (the token's credential fingerprint no longer matches). */
  @ApiOperation({
    summary: 'Change an agent',
    description: 'Admins change anyone; an agent its own name and password (with currentPassword). A new password ends every session of that agent.',
  })
  @ApiOkResponse({ type: AgentView })
  @Patch('agents/:id')
  async update(@Param('id', uuidParam('id')) id: string, @Body() body: UpdateAgentDto, @CurrentAgent() agent: AuthenticatedAgent) {
    const updated = await this.commandBus.execute(new UpdateAgentCommand(id, body, agentContext(agent)));
    if (body.password != null) this.revocations.ended({ agentId: id });
    return updated;
  }

  /** Admin only. The agent's conversations become unassigned (rule 4). */
  @ApiOperation({ summary: 'Remove an agent (admins)', description: 'Their conversations become unassigned.' })
  @ApiOkResponse({ description: '`{ id, removed: true, unassigned }`: how many conversations became unassigned.' })
  @Delete('agents/:id')
  async remove(@Param('id', uuidParam('id')) id: string, @CurrentAgent() agent: AuthenticatedAgent) {
    const removed = await this.commandBus.execute(new RemoveAgentCommand(id, agentContext(agent)));
    this.revocations.ended({ agentId: id });
    return removed;
  }

  @ApiOperation({ summary: 'The caller' })
  @ApiOkResponse({ type: AgentView })
  @Get('me')
  me(@CurrentAgent() agent: AuthenticatedAgent) {
    return this.queryBus.execute(new GetAgentQuery(agent.id));
  }

  /** Rule 11: away agents keep their chats but are offered no new ones. */
  @ApiOperation({ summary: 'Set the caller available or away', description: 'Away agents keep their chats but are offered no new ones.' })
  @ApiOkResponse({ description: '`{ availability }`' })
  @Put('me/availability')
  setAvailability(@Body() body: AvailabilityDto, @CurrentAgent() agent: AuthenticatedAgent) {
    return this.commandBus.execute(new SetAvailabilityCommand(body.status, agentContext(agent)));
  }
}
