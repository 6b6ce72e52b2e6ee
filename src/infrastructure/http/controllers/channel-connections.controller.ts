import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Patch, Post, Req } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiCreatedResponse, ApiExtraModels, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import {
  ChangeChannelConnectionCommand,
  ConnectChannelCommand,
  DisconnectChannelCommand,
} from '../../../application/channel-connections/channel-connection-commands.handler';
import { ListChannelConnectionsQuery } from '../../../application/channel-connections/channel-connection-queries.handler';
import type { ChannelConnectionView } from '../../../application/channel-connections/channel-connection-settings';
import { agentContext, type AuthenticatedAgent } from '../../../application/command-handling/command-context';
import { CurrentAgent } from '../auth/auth.decorators';
import {
  ChangeChannelConnectionDto,
  ChannelConnectionList,
  ChannelConnectionSecretView,
  ChannelConnectionView as ChannelConnectionViewDto,
  ConnectChannelDto,
} from '../dto/channel-connection.dto';
import { uuidParam } from './params';

/** PARLEY_PUBLIC_URL, or null: then the origin of each admin's request. */
export const PUBLIC_URL = Symbol('PUBLIC_URL');

/**
 * Channel connections per inbox (docs/api.md "Channel connections"): members of the inbox may list
 * them, admins connect, change and remove them. Secrets are never answered.
 */
@ApiTags('Channel connections')
@ApiExtraModels(ChannelConnectionSecretView)
@Controller('api/inboxes/:inboxId/channels')
export class ChannelConnectionsController {
  constructor(
    private readonly queryBus: QueryBus,
    private readonly commandBus: CommandBus,
    @Inject(PUBLIC_URL) private readonly publicUrl: string | null,
  ) {}

  @ApiOperation({ summary: "The inbox's channel connections", description: 'Members of the inbox may list them; secrets read "••••".' })
  @ApiOkResponse({ type: ChannelConnectionList })
  @Get()
  async list(
    @Param('inboxId', uuidParam('inboxId')) inboxId: string,
    @CurrentAgent() agent: AuthenticatedAgent,
    @Req() request: FastifyRequest,
  ): Promise<{ channels: ChannelConnectionView[] }> {
    return { channels: await this.queryBus.execute(new ListChannelConnectionsQuery(agent, inboxId, this.origin(request))) };
  }

  @ApiOperation({ summary: 'Connect a channel to the inbox', description: 'Admins only. 400 names the setting the channel refuses.' })
  @ApiCreatedResponse({ type: ChannelConnectionViewDto })
  @Post()
  connect(
    @Param('inboxId', uuidParam('inboxId')) inboxId: string,
    @Body() body: ConnectChannelDto,
    @CurrentAgent() agent: AuthenticatedAgent,
    @Req() request: FastifyRequest,
  ): Promise<ChannelConnectionView> {
    return this.commandBus.execute(new ConnectChannelCommand(inboxId, body.type, body.name, body.settings ?? {}, this.origin(request), agentContext(agent)));
  }

  @ApiOperation({
    summary: 'Rename a channel connection or change its settings',
    description: 'Admins only. Settings merge over the stored ones; a secret left out or sent back as "••••" keeps its value.',
  })
  @ApiOkResponse({ type: ChannelConnectionViewDto })
  @Patch(':connectionId')
  change(
    @Param('inboxId', uuidParam('inboxId')) inboxId: string,
    @Param('connectionId', uuidParam('connectionId')) connectionId: string,
    @Body() body: ChangeChannelConnectionDto,
    @CurrentAgent() agent: AuthenticatedAgent,
    @Req() request: FastifyRequest,
  ): Promise<ChannelConnectionView> {
    return this.commandBus.execute(
      new ChangeChannelConnectionCommand(inboxId, connectionId, { name: body.name, settings: body.settings }, this.origin(request), agentContext(agent)),
    );
  }

  @ApiOperation({ summary: 'Remove a channel connection', description: 'Admins only. The conversations it brought stay in the inbox.' })
  @ApiNoContentResponse({ description: 'Removed.' })
  @HttpCode(204)
  @Delete(':connectionId')
  async disconnect(
    @Param('inboxId', uuidParam('inboxId')) inboxId: string,
    @Param('connectionId', uuidParam('connectionId')) connectionId: string,
    @CurrentAgent() agent: AuthenticatedAgent,
  ): Promise<void> {
    await this.commandBus.execute(new DisconnectChannelCommand(inboxId, connectionId, agentContext(agent)));
  }

  /** PARLEY_PUBLIC_URL, else the request's origin (Fastify reads X-Forwarded-* only when it trusts the proxy). */
  private origin(request: FastifyRequest): string | null {
    return this.publicUrl ?? requestOrigin(request);
  }
}

export function requestOrigin(request: FastifyRequest): string | null {
  const host = request.host;
  if (typeof host !== 'string' || !/^[A-Za-z0-9.[\]:-]+$/.test(host)) return null;
  return `${request.protocol}://${host}`;
}
