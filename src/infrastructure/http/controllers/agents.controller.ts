import { Body, Controller, Delete, Get, Param, Patch, Post, Put } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import {
  RegisterAgentCommand,
  RemoveAgentCommand,
  SetAvailabilityCommand,
  UpdateAgentCommand,
} from '../../../application/agents/agent-commands.handler';
import { agentContext, type AuthenticatedAgent } from '../../../application/command-handling/command-context';
import { GetAgentQuery, ListAgentsQuery } from '../../../application/queries/directory-queries.handler';
import { CurrentAgent } from '../auth/auth.decorators';
import { AvailabilityDto, CreateAgentDto, UpdateAgentDto } from '../dto/auth.dto';
import { uuidParam } from './params';

@Controller('api')
export class AgentsController {
  constructor(
    private readonly commandBus: CommandBus,
    private readonly queryBus: QueryBus,
  ) {}

  @Get('agents')
  async list() {
    return { agents: await this.queryBus.execute(new ListAgentsQuery()) };
  }

  /** Admin only (checked in the application). */
  @Post('agents')
  create(@Body() body: CreateAgentDto, @CurrentAgent() agent: AuthenticatedAgent) {
    return this.commandBus.execute(new RegisterAgentCommand(body, agentContext(agent)));
  }

  @Patch('agents/:id')
  update(@Param('id', uuidParam('id')) id: string, @Body() body: UpdateAgentDto, @CurrentAgent() agent: AuthenticatedAgent) {
    return this.commandBus.execute(new UpdateAgentCommand(id, body, agentContext(agent)));
  }

  /** Admin only. The agent's conversations become unassigned (rule 4). */
  @Delete('agents/:id')
  remove(@Param('id', uuidParam('id')) id: string, @CurrentAgent() agent: AuthenticatedAgent) {
    return this.commandBus.execute(new RemoveAgentCommand(id, agentContext(agent)));
  }

  @Get('me')
  me(@CurrentAgent() agent: AuthenticatedAgent) {
    return this.queryBus.execute(new GetAgentQuery(agent.id));
  }

  /** Rule 11: away agents keep their chats but are offered no new ones. */
  @Put('me/availability')
  setAvailability(@Body() body: AvailabilityDto, @CurrentAgent() agent: AuthenticatedAgent) {
    return this.commandBus.execute(new SetAvailabilityCommand(body.status, agentContext(agent)));
  }
}
