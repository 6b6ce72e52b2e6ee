import { randomUUID } from 'node:crypto';
import { Inject } from '@nestjs/common';
import { CommandHandler, type ICommandHandler, Command } from '@nestjs/cqrs';
import { agentDecider, agentEmailDecider } from '../../domain/agent/agent.decider';
import type { AgentRole, Availability } from '../../domain/agent/agent.events';
import { inboxDecider } from '../../domain/inbox/inbox.decider';
import { AccessDeniedError, NotFoundError } from '../access/inbox-access';
import type { CommandContext } from '../command-handling/command-context';
import { CommandExecutor } from '../command-handling/command-executor';
import { EVENT_STORE, ConcurrencyError, type EventStore } from '../ports/event-store.port';
import { READ_STORE, type ReadStore } from '../ports/read-store.port';
import { streams } from '../streams';
import { unassignConversationsOf } from '../process-managers/unassign-conversations-when-agent-removed.saga';
import { hashPassword } from './password-hasher';

export interface AgentSummary {
  id: string;
  name: string;
  email: string;
  role: AgentRole;
  availability: Availability;
}

export interface NewAgent {
  name: string;
  email: string;
  password: string;
  role: AgentRole;
}

function requireAdmin(ctx: CommandContext): void {
  if (ctx.agent && ctx.agent.role !== 'admin') throw new AccessDeniedError('only admins can manage agents and inboxes');
}

/** Creates an agent: claims the email (unique, race-free), registers, joins the default inbox. */
export class RegisterAgentCommand extends Command<AgentSummary> {
  constructor(
    readonly agent: NewAgent,
    readonly ctx: CommandContext,
  ) {
    super();
  }
}

@CommandHandler(RegisterAgentCommand)
export class RegisterAgentHandler implements ICommandHandler<RegisterAgentCommand> {
  constructor(
    private readonly executor: CommandExecutor,
    @Inject(READ_STORE) private readonly readStore: ReadStore,
  ) {}

  async execute({ agent, ctx }: RegisterAgentCommand): Promise<AgentSummary> {
    requireAdmin(ctx);
    return registerAgent(this.executor, this.readStore, agent, ctx);
  }
}

export async function registerAgent(executor: CommandExecutor, readStore: ReadStore, agent: NewAgent, ctx: CommandContext): Promise<AgentSummary> {
  const agentId = randomUUID();
  const email = agent.email.trim().toLowerCase();
  const passwordHash = await hashPassword(agent.password);
  await executor.execute(streams.agentEmail(email), agentEmailDecider, { type: 'ClaimAgentEmail', data: { email, agentId } }, ctx);
  try {
    await executor.execute(
      streams.agent(agentId),
      agentDecider,
      { type: 'RegisterAgent', data: { agentId, name: agent.name.trim(), email, role: agent.role, passwordHash } },
      ctx,
    );
  } catch (error) {
    // Compensate: the address must not stay claimed by an agent that was never registered.
    await executor.execute(streams.agentEmail(email), agentEmailDecider, { type: 'ReleaseAgentEmail', data: { email, agentId } }, ctx);
    throw error;
  }
  const defaultInbox = await readStore.getDefaultInbox();
  if (defaultInbox && !defaultInbox.memberIds.includes(agentId)) {
    await executor.execute(
      streams.inbox(defaultInbox.id),
      inboxDecider,
      (state) => ({ type: 'SetInboxMembers' as const, data: { agentIds: [...(state.status === 'created' ? state.memberIds : []), agentId] } }),
      ctx,
    );
  }
  return { id: agentId, name: agent.name.trim(), email, role: agent.role, availability: 'available' };
}

/**
 * First-run setup (API.md): allowed only while no agent exists. A `setup` stream claimed with
 * expected revision "no-stream" makes two simultaneous setups impossible.
 */
export class SetupFirstAdminCommand extends Command<AgentSummary> {
  constructor(
    readonly admin: Omit<NewAgent, 'role'>,
    readonly ctx: CommandContext,
  ) {
    super();
  }
}

export class SetupAlreadyDoneError extends Error {
  constructor() {
    super('setup is already done: an agent exists; log in instead');
    this.name = 'SetupAlreadyDoneError';
  }
}

@CommandHandler(SetupFirstAdminCommand)
export class SetupFirstAdminHandler implements ICommandHandler<SetupFirstAdminCommand> {
  constructor(
    private readonly executor: CommandExecutor,
    @Inject(READ_STORE) private readonly readStore: ReadStore,
    @Inject(EVENT_STORE) private readonly store: EventStore,
  ) {}

  async execute({ admin, ctx }: SetupFirstAdminCommand): Promise<AgentSummary> {
    if ((await this.readStore.countAgents()) > 0) throw new SetupAlreadyDoneError();
    try {
      await this.store.append(
        'setup',
        [{ id: randomUUID(), type: 'SetupCompleted', data: { email: admin.email.trim().toLowerCase() }, metadata: { actor: ctx.actor, occurredAt: this.executor.now().toISOString(), correlationId: ctx.correlationId, causationId: ctx.causationId } }],
        { expectedRevision: 'no-stream' },
      );
    } catch (error) {
      if (error instanceof ConcurrencyError) throw new SetupAlreadyDoneError();
      throw error;
    }
    return registerAgent(this.executor, this.readStore, { ...admin, role: 'admin' }, ctx);
  }
}

export class UpdateAgentCommand extends Command<AgentSummary> {
  constructor(
    readonly agentId: string,
    readonly changes: { name?: string; role?: AgentRole; password?: string },
    readonly ctx: CommandContext,
  ) {
    super();
  }
}

@CommandHandler(UpdateAgentCommand)
export class UpdateAgentHandler implements ICommandHandler<UpdateAgentCommand> {
  constructor(
    private readonly executor: CommandExecutor,
    @Inject(READ_STORE) private readonly readStore: ReadStore,
  ) {}

  async execute({ agentId, changes, ctx }: UpdateAgentCommand): Promise<AgentSummary> {
    const self = ctx.agent?.id === agentId;
    // Agents may change their own name and password; roles and other agents are for admins.
    if (!self || changes.role !== undefined) requireAdmin(ctx);
    const isLastAdmin = await this.isLastAdmin(agentId);
    if (changes.name != null || changes.role != null) {
      await this.executor.execute(streams.agent(agentId), agentDecider, { type: 'UpdateAgent', data: { name: changes.name?.trim(), role: changes.role, isLastAdmin } }, ctx);
    }
    if (changes.password != null) {
      const passwordHash = await hashPassword(changes.password);
      await this.executor.execute(streams.agent(agentId), agentDecider, { type: 'ChangeAgentPassword', data: { passwordHash } }, ctx);
    }
    const agent = await this.readStore.getAgent(agentId);
    if (!agent) throw new NotFoundError(`agent ${agentId} not found`);
    return { id: agent.id, name: agent.name, email: agent.email, role: agent.role, availability: agent.availability };
  }

  private async isLastAdmin(agentId: string): Promise<boolean> {
    const admins = (await this.readStore.listAgents()).filter((a) => a.role === 'admin');
    return admins.length === 1 && admins[0].id === agentId;
  }
}

/** Removing an agent (rule 4): UnassignConversationsWhenAgentRemoved reacts to AgentRemoved. */
export class RemoveAgentCommand extends Command<{ id: string; removed: true; unassigned: number }> {
  constructor(
    readonly agentId: string,
    readonly ctx: CommandContext,
  ) {
    super();
  }
}

@CommandHandler(RemoveAgentCommand)
export class RemoveAgentHandler implements ICommandHandler<RemoveAgentCommand> {
  constructor(
    private readonly executor: CommandExecutor,
    @Inject(READ_STORE) private readonly readStore: ReadStore,
  ) {}

  async execute({ agentId, ctx }: RemoveAgentCommand) {
    requireAdmin(ctx);
    const agent = await this.readStore.getAgent(agentId);
    if (!agent) throw new NotFoundError(`agent ${agentId} not found`);
    const admins = (await this.readStore.listAgents()).filter((a) => a.role === 'admin');
    const isLastAdmin = admins.length === 1 && admins[0].id === agentId;
    const removed = await this.executor.execute(streams.agent(agentId), agentDecider, { type: 'RemoveAgent', data: { isLastAdmin } }, ctx);
    await this.executor.execute(streams.agentEmail(agent.email), agentEmailDecider, { type: 'ReleaseAgentEmail', data: { email: agent.email, agentId } }, ctx);
    // Done here so the caller sees it at once; the process manager repeats it after a crash.
    const unassigned = await unassignConversationsOf(this.executor, this.readStore, agentId, {
      id: ctx.causationId,
      position: removed.position,
      metadata: { correlationId: ctx.correlationId },
    });
    return { id: agentId, removed: true as const, unassigned };
  }
}

export class SetAvailabilityCommand extends Command<{ availability: Availability }> {
  constructor(
    readonly availability: Availability,
    readonly ctx: CommandContext,
  ) {
    super();
  }
}

@CommandHandler(SetAvailabilityCommand)
export class SetAvailabilityHandler implements ICommandHandler<SetAvailabilityCommand> {
  constructor(private readonly executor: CommandExecutor) {}

  async execute({ availability, ctx }: SetAvailabilityCommand) {
    if (!ctx.agent) throw new AccessDeniedError('only an agent has an availability');
    await this.executor.execute(streams.agent(ctx.agent.id), agentDecider, { type: 'SetAvailability', data: { availability } }, ctx);
    return { availability };
  }
}
