import { Inject } from '@nestjs/common';
import { Command, CommandHandler, Query, QueryHandler, type ICommandHandler, type IQueryHandler } from '@nestjs/cqrs';
import { inboxDecider } from '../../domain/inbox/inbox.decider';
import type { BusinessHours, RoutingSettings } from '../../domain/inbox/inbox.events';
import { InvalidRequestError, NotFoundError, requireAdmin } from '../access/inbox-access';
import type { AuthenticatedAgent, CommandContext } from '../command-handling/command-context';
import { CommandExecutor } from '../command-handling/command-executor';
import { CHANNEL_CATALOG, type ChannelCatalog } from '../ports/channel-catalog.port';
import { READ_STORE, type InboxRecord, type ReadStore } from '../ports/read-store.port';
import { streams } from '../streams';

/**
 * An inbox's auto-assignment settings and business hours: read and replaced whole, by admins only.
 * The inbox decider checks the shape (modes, capacities, clock times, time zone); here what only the
 * application knows: that the channels exist in this Parley and the agents given a capacity exist.
 */
export class GetInboxRoutingQuery extends Query<RoutingSettings> {
  constructor(
    readonly agent: AuthenticatedAgent,
    readonly inboxId: string,
  ) {
    super();
  }
}

export class GetInboxBusinessHoursQuery extends Query<BusinessHours> {
  constructor(
    readonly agent: AuthenticatedAgent,
    readonly inboxId: string,
  ) {
    super();
  }
}

export class SetInboxRoutingCommand extends Command<RoutingSettings> {
  constructor(
    readonly inboxId: string,
    readonly routing: RoutingSettings,
    readonly ctx: CommandContext,
  ) {
    super();
  }
}

export class SetInboxBusinessHoursCommand extends Command<BusinessHours> {
  constructor(
    readonly inboxId: string,
    readonly businessHours: BusinessHours,
    readonly ctx: CommandContext,
  ) {
    super();
  }
}

async function existingInbox(readStore: ReadStore, inboxId: string): Promise<InboxRecord> {
  const inbox = await readStore.getInbox(inboxId);
  if (!inbox) throw new NotFoundError(`inbox ${inboxId} not found`);
  return inbox;
}

@QueryHandler(GetInboxRoutingQuery)
export class GetInboxRoutingHandler implements IQueryHandler<GetInboxRoutingQuery> {
  constructor(@Inject(READ_STORE) private readonly readStore: ReadStore) {}

  async execute({ agent, inboxId }: GetInboxRoutingQuery): Promise<RoutingSettings> {
    requireAdmin({ agent }, 'inboxes');
    return (await existingInbox(this.readStore, inboxId)).routing;
  }
}

@QueryHandler(GetInboxBusinessHoursQuery)
export class GetInboxBusinessHoursHandler implements IQueryHandler<GetInboxBusinessHoursQuery> {
  constructor(@Inject(READ_STORE) private readonly readStore: ReadStore) {}

  async execute({ agent, inboxId }: GetInboxBusinessHoursQuery): Promise<BusinessHours> {
    requireAdmin({ agent }, 'inboxes');
    return (await existingInbox(this.readStore, inboxId)).businessHours;
  }
}

@CommandHandler(SetInboxRoutingCommand)
export class SetInboxRoutingHandler implements ICommandHandler<SetInboxRoutingCommand> {
  constructor(
    private readonly executor: CommandExecutor,
    @Inject(READ_STORE) private readonly readStore: ReadStore,
    @Inject(CHANNEL_CATALOG) private readonly catalog: ChannelCatalog,
  ) {}

  async execute({ inboxId, routing, ctx }: SetInboxRoutingCommand): Promise<RoutingSettings> {
    requireAdmin(ctx, 'inboxes');
    await existingInbox(this.readStore, inboxId);
    const known: readonly string[] = this.catalog.knownChannels();
    const unknownChannels = (routing.channels ?? []).filter((channel) => typeof channel === 'string' && !known.includes(channel));
    if (unknownChannels.length > 0) {
      throw new InvalidRequestError(`channels: ${unknownChannels.join(', ')} is not a channel of this Parley; use one of ${known.join(', ')}`);
    }
    const agents = new Set((await this.readStore.listAgents()).map((agent) => agent.id));
    const unknownAgents = Object.keys(routing.capacities ?? {}).filter((agentId) => !agents.has(agentId));
    if (unknownAgents.length > 0) throw new InvalidRequestError(`capacities: unknown agent id(s) ${unknownAgents.join(', ')}`);
    await this.executor.execute(streams.inbox(inboxId), inboxDecider, { type: 'SetInboxRouting', data: routing }, ctx);
    return (await existingInbox(this.readStore, inboxId)).routing;
  }
}

@CommandHandler(SetInboxBusinessHoursCommand)
export class SetInboxBusinessHoursHandler implements ICommandHandler<SetInboxBusinessHoursCommand> {
  constructor(
    private readonly executor: CommandExecutor,
    @Inject(READ_STORE) private readonly readStore: ReadStore,
  ) {}

  async execute({ inboxId, businessHours, ctx }: SetInboxBusinessHoursCommand): Promise<BusinessHours> {
    requireAdmin(ctx, 'inboxes');
    await existingInbox(this.readStore, inboxId);
    await this.executor.execute(streams.inbox(inboxId), inboxDecider, { type: 'SetInboxBusinessHours', data: businessHours }, ctx);
    return (await existingInbox(this.readStore, inboxId)).businessHours;
  }
}

export const inboxRoutingCommandHandlers = [SetInboxRoutingHandler, SetInboxBusinessHoursHandler];
export const inboxRoutingQueryHandlers = [GetInboxRoutingHandler, GetInboxBusinessHoursHandler];
