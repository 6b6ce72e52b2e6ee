import { randomUUID } from 'node:crypto';
import { Inject } from '@nestjs/common';
import { CommandHandler, type ICommandHandler, Command } from '@nestjs/cqrs';
import { adminRosterDecider, type AdminRosterEvent } from '../../domain/agent/admin-roster.decider';
import { agentDecider, agentEmailDecider } from '../../domain/agent/agent.decider';
import type { AgentEmailEvent, AgentEvent, AgentRole, Availability } from '../../domain/agent/agent.events';
import { fold } from '../../domain/shared/decider';
import { inboxDecider } from '../../domain/inbox/inbox.decider';
import { AccessDeniedError, InvalidRequestError, NotFoundError, requireAdmin } from '../access/inbox-access';
import type { CommandContext } from '../command-handling/command-context';
import { CommandExecutor } from '../command-handling/command-executor';
import { toDomainEvents } from '../command-handling/handle-command';
import { EVENT_STORE, ConcurrencyError, type EventStore } from '../ports/event-store.port';
import { READ_STORE, type ReadStore } from '../ports/read-store.port';
import { streams } from '../streams';
import { unassignConversationsOf } from '../process-managers/unassign-conversations-when-agent-removed.saga';
import { hashPassword, verifyPassword } from './password-hasher';

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
  const name = agent.name.trim();
  validateNewAgent(agentId, name, email, agent.role); // refuse bad input before anything is written
  const passwordHash = await hashPassword(agent.password);
  await releaseStaleEmailClaim(executor, email, ctx);
  await executor.execute(streams.agentEmail(email), agentEmailDecider, { type: 'ClaimAgentEmail', data: { email, agentId } }, ctx);
  try {
    await executor.execute(streams.agent(agentId), agentDecider, { type: 'RegisterAgent', data: { agentId, name, email, role: agent.role, passwordHash } }, ctx);
  } catch (error) {
    // Compensate: the address must not stay claimed by an agent that was never registered.
    await executor.execute(streams.agentEmail(email), agentEmailDecider, { type: 'ReleaseAgentEmail', data: { email, agentId } }, ctx);
    throw error;
  }
  if (agent.role === 'admin') await grantAdmin(executor, agentId, ctx);
  const defaultInbox = await readStore.getDefaultInbox();
  if (defaultInbox && !defaultInbox.memberIds.includes(agentId)) {
    await executor.execute(
      streams.inbox(defaultInbox.id),
      inboxDecider,
      (state) => ({ type: 'SetInboxMembers' as const, data: { agentIds: [...(state.status === 'created' ? state.memberIds : []), agentId] } }),
      ctx,
    );
  }
  return { id: agentId, name, email, role: agent.role, availability: 'available' };
}

/** The agent decider's own checks (name, email shape, role), run on a fresh agent without writing. */
function validateNewAgent(agentId: string, name: string, email: string, role: AgentRole): void {
  agentDecider.decide({ type: 'RegisterAgent', data: { agentId, name, email, role, passwordHash: 'checked-before-hashing' } }, agentDecider.initialState());
}

/** A claim older than this whose agent never got registered was left by a crash mid-registration. */
const STALE_CLAIM_MS = 60_000;

/**
 * Registration claims the email, then registers the agent. If the process died in between, the
 * address stays claimed by an agent that does not exist; such a claim is released here so the
 * address can be used again. A fresh claim is left alone: its registration may still be running.
 */
async function releaseStaleEmailClaim(executor: CommandExecutor, email: string, ctx: CommandContext): Promise<void> {
  const recorded = await executor.store.readStream(streams.agentEmail(email));
  const claim = fold(agentEmailDecider, toDomainEvents<AgentEmailEvent>(recorded));
  if (claim.status !== 'claimed') return;
  const holder = fold(agentDecider, toDomainEvents<AgentEvent>(await executor.store.readStream(streams.agent(claim.agentId))));
  const claimedAt = Date.parse(recorded.at(-1)!.metadata.occurredAt);
  const stale = holder.status === 'removed' || (holder.status === 'none' && executor.now().getTime() - claimedAt > STALE_CLAIM_MS);
  if (!stale) return;
  await executor.execute(streams.agentEmail(email), agentEmailDecider, { type: 'ReleaseAgentEmail', data: { email, agentId: claim.agentId } }, ctx);
}

async function grantAdmin(executor: CommandExecutor, agentId: string, ctx: CommandContext): Promise<void> {
  await executor.execute(streams.adminRoster(), adminRosterDecider, { type: 'GrantAdmin', data: { agentId } }, { ...ctx, expectedRevision: undefined });
}

/**
 * Takes an admin off the roster before their agent stream changes; refused (409) when they are
 * the last one. The roster decides on one stream, so two admins removing each other at once
 * cannot both succeed. Admins the roster misses (a crash between registration and grant) are
 * added first, so the count it decides on is never too low.
 */
async function revokeAdmin(executor: CommandExecutor, readStore: ReadStore, agentId: string, reason: 'demoted' | 'removed', ctx: CommandContext): Promise<void> {
  const roster = fold(adminRosterDecider, toDomainEvents<AdminRosterEvent>(await executor.store.readStream(streams.adminRoster())));
  for (const admin of (await readStore.listAgents()).filter((a) => a.role === 'admin' && !roster.admins.has(a.id))) {
    await grantAdmin(executor, admin.id, ctx);
  }
  await executor.execute(streams.adminRoster(), adminRosterDecider, { type: 'RevokeAdmin', data: { agentId, reason } }, { ...ctx, expectedRevision: undefined });
}

/**
 * First-run setup (API.md): allowed only while no agent exists. Each attempt is recorded on the
 * `setup` stream with the revision it read, so two simultaneous setups cannot both proceed; an
 * attempt that failed (bad input is refused before anything is written) or died half-way leaves
 * no agent, and the next attempt may go on.
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
  constructor(message = 'setup is already done: an agent exists; log in instead') {
    super(message);
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
    validateNewAgent(randomUUID(), admin.name.trim(), admin.email.trim().toLowerCase(), 'admin');
    const attempts = await this.store.readStream(streams.setup());
    const last = attempts.at(-1);
    try {
      await this.store.append(
        streams.setup(),
        [
          {
            id: randomUUID(),
            type: 'SetupStarted',
            data: { email: admin.email.trim().toLowerCase() },
            metadata: { actor: ctx.actor, occurredAt: this.executor.now().toISOString(), correlationId: ctx.correlationId, causationId: ctx.causationId },
          },
        ],
        { expectedRevision: last ? last.revision : 'no-stream' },
      );
    } catch (error) {
      if (error instanceof ConcurrencyError) throw new SetupAlreadyDoneError('another setup is running right now; log in when it is done');
      throw error;
    }
    return registerAgent(this.executor, this.readStore, { ...admin, role: 'admin' }, ctx);
  }
}

export class UpdateAgentCommand extends Command<AgentSummary> {
  constructor(
    readonly agentId: string,
    readonly changes: { name?: string; role?: AgentRole; password?: string; currentPassword?: string },
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
    if (!self || changes.role != null) requireAdmin(ctx);
    const current = await this.readStore.getAgent(agentId);
    if (!current) throw new NotFoundError(`agent ${agentId} not found`);
    if (self && changes.password != null) await assertCurrentPassword(changes.currentPassword, current.passwordHash);

    if (changes.role === 'agent' && current.role === 'admin') await revokeAdmin(this.executor, this.readStore, agentId, 'demoted', this.ctxFor(ctx));
    if (changes.name != null || changes.role != null) {
      await this.executor.execute(streams.agent(agentId), agentDecider, { type: 'UpdateAgent', data: { name: changes.name?.trim(), role: changes.role, isLastAdmin: false } }, ctx);
    }
    if (changes.role === 'admin' && current.role !== 'admin') await grantAdmin(this.executor, agentId, ctx);
    if (changes.password != null) {
      const passwordHash = await hashPassword(changes.password);
      await this.executor.execute(streams.agent(agentId), agentDecider, { type: 'ChangeAgentPassword', data: { passwordHash } }, ctx);
    }
    const agent = await this.readStore.getAgent(agentId);
    if (!agent) throw new NotFoundError(`agent ${agentId} not found`);
    return { id: agent.id, name: agent.name, email: agent.email, role: agent.role, availability: agent.availability };
  }

  private ctxFor(ctx: CommandContext): CommandContext {
    return { ...ctx, expectedRevision: undefined };
  }
}

/** Changing one's own password needs the current one: a stolen session alone must not take the account over. */
async function assertCurrentPassword(given: string | undefined, storedHash: string): Promise<void> {
  if (!given) throw new InvalidRequestError('currentPassword: required to change your own password');
  if (!(await verifyPassword(given, storedHash))) throw new AccessDeniedError('currentPassword is wrong');
}

/** Removing an agent (rule 4): their conversations become unassigned, here and by the process manager. */
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
    if (agent.role === 'admin') await revokeAdmin(this.executor, this.readStore, agentId, 'removed', ctx);
    const removed = await this.executor.execute(streams.agent(agentId), agentDecider, { type: 'RemoveAgent', data: { isLastAdmin: false } }, ctx);
    await this.executor.execute(streams.agentEmail(agent.email), agentEmailDecider, { type: 'ReleaseAgentEmail', data: { email: agent.email, agentId } }, ctx);
    // Done here so the caller sees it at once; the process managers repeat it after a crash.
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
