import { randomUUID } from 'node:crypto';
import { Inject } from '@nestjs/common';
import { CommandHandler, type ICommandHandler, Command } from '@nestjs/cqrs';
import { adminRosterDecider, type AdminRosterEvent } from '../../domain/agent/admin-roster.decider';
import { agentDecider, agentEmailDecider, checkPassword } from '../../domain/agent/agent.decider';
import { ALREADY_SET_UP, setupDecider } from '../../domain/agent/setup.decider';
import { DomainError } from '../../domain/shared/domain-error';
import type { AgentEmailEvent, AgentEvent, AgentRole, Availability } from '../../domain/agent/agent.events';
import { fold } from '../../domain/shared/decider';
import { inboxDecider } from '../../domain/inbox/inbox.decider';
import { AccessDeniedError, InvalidRequestError, NotFoundError, RateLimitedError, requireAdmin } from '../access/inbox-access';
import type { CommandContext } from '../command-handling/command-context';
import { CommandExecutor } from '../command-handling/command-executor';
import { toDomainEvents } from '../command-handling/handle-command';
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
  /** Parley open (presence, with its grace period): in the directory and GET /api/me, not in a command's answer. */
  online?: boolean;
}

export interface NewAgent {
  name: string;
  email: string;
  password: string;
  role: AgentRole;
}

/**
 * Creates an agent: claims the email (unique, race-free), registers, joins one inbox: the one
 * named (the web settings add a teammate to the inbox they were added from), else the default.
 */
export class RegisterAgentCommand extends Command<AgentSummary> {
  constructor(
    readonly agent: NewAgent,
    readonly ctx: CommandContext,
    readonly options: { inboxId?: string } = {},
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

  async execute({ agent, ctx, options }: RegisterAgentCommand): Promise<AgentSummary> {
    requireAdmin(ctx);
    return registerAgent(this.executor, this.readStore, agent, ctx, options);
  }
}

export async function registerAgent(
  executor: CommandExecutor,
  readStore: ReadStore,
  agent: NewAgent,
  ctx: CommandContext,
  options: { agentId?: string; inboxId?: string } = {},
): Promise<AgentSummary> {
  const agentId = options.agentId ?? randomUUID();
  const email = (agent.email ?? '').trim().toLowerCase();
  const name = (agent.name ?? '').trim();
  validateNewAgent(agentId, name, email, agent.role, agent.password); // refuse bad input before anything is written
  const joins = options.inboxId ?? (await readStore.getDefaultInbox())?.id;
  if (options.inboxId && !(await readStore.getInbox(options.inboxId))) throw new NotFoundError(`inbox ${options.inboxId} not found`);
  const passwordHash = await hashPassword(agent.password);
  await releaseStaleEmailClaim(executor, email, ctx);
  await executor.execute(streams.agentEmail(email), agentEmailDecider, { type: 'ClaimAgentEmail', data: { email, agentId } }, ctx);
  try {
    await executor.execute(
      streams.agent(agentId),
      agentDecider,
      { type: 'RegisterAgent', data: { agentId, name, email, role: agent.role, passwordHash } },
      ctx,
    );
  } catch (error) {
    // Compensate: the address must not stay claimed by an agent that was never registered.
    await executor.execute(streams.agentEmail(email), agentEmailDecider, { type: 'ReleaseAgentEmail', data: { email, agentId } }, ctx);
    throw error;
  }
  if (agent.role === 'admin') await grantAdmin(executor, agentId, ctx);
  if (joins) {
    // Decided on the inbox stream's own members, so a concurrent change of members is not lost.
    await executor.execute(
      streams.inbox(joins),
      inboxDecider,
      (state) => ({ type: 'SetInboxMembers' as const, data: { agentIds: [...new Set([...(state.status === 'created' ? state.memberIds : []), agentId])] } }),
      ctx,
    );
  }
  return { id: agentId, name, email, role: agent.role, availability: 'available' };
}

/** The agent decider's own checks (name, email shape, role) and the password rule, run on a fresh agent without writing. */
function validateNewAgent(agentId: string, name: string, email: string, role: AgentRole, password: string): void {
  agentDecider.decide({ type: 'RegisterAgent', data: { agentId, name, email, role, passwordHash: 'checked-before-hashing' } }, agentDecider.initialState());
  checkPassword(password);
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
async function revokeAdmin(
  executor: CommandExecutor,
  readStore: ReadStore,
  agentId: string,
  reason: 'demoted' | 'removed',
  ctx: CommandContext,
): Promise<void> {
  const roster = fold(adminRosterDecider, toDomainEvents<AdminRosterEvent>(await executor.store.readStream(streams.adminRoster())));
  for (const admin of (await readStore.listAgents()).filter((a) => a.role === 'admin' && !roster.admins.has(a.id))) {
    await grantAdmin(executor, admin.id, ctx);
  }
  await executor.execute(
    streams.adminRoster(),
    adminRosterDecider,
    { type: 'RevokeAdmin', data: { agentId, reason } },
    { ...ctx, expectedRevision: undefined },
  );
}

/**
 * First-run setup: allowed only while no agent exists, and decided once, ever, on the `setup`
 * stream (see setupDecider): of simultaneous setups on any number of instances sharing the event
 * store, exactly one claims it; the others get SetupAlreadyDoneError (409). Bad input is refused
 * before anything is written, so it does not use up the setup.
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
  constructor(message = ALREADY_SET_UP) {
    super(message);
    this.name = 'SetupAlreadyDoneError';
  }
}

@CommandHandler(SetupFirstAdminCommand)
export class SetupFirstAdminHandler implements ICommandHandler<SetupFirstAdminCommand> {
  constructor(
    private readonly executor: CommandExecutor,
    @Inject(READ_STORE) private readonly readStore: ReadStore,
  ) {}

  async execute({ admin, ctx }: SetupFirstAdminCommand): Promise<AgentSummary> {
    const agentId = randomUUID();
    const email = (admin.email ?? '').trim().toLowerCase();
    validateNewAgent(agentId, (admin.name ?? '').trim(), email, 'admin', admin.password);
    let claimantRegistered = false;
    let agentsExist = false;
    try {
      await this.executor.execute(
        streams.setup(),
        setupDecider,
        () => ({ type: 'ClaimSetup' as const, data: { agentId, email, now: this.executor.now().toISOString(), agentsExist, claimantRegistered } }),
        ctx,
        async (state) => {
          agentsExist = (await this.readStore.countAgents()) > 0;
          claimantRegistered = state.status === 'claimed' && state.agentId !== null && (await this.everRegistered(state.agentId));
        },
      );
    } catch (error) {
      if (error instanceof DomainError && error.code === 'conflict') throw new SetupAlreadyDoneError(error.message);
      throw error;
    }
    return registerAgent(this.executor, this.readStore, { ...admin, role: 'admin' }, ctx, { agentId });
  }

  private async everRegistered(agentId: string): Promise<boolean> {
    return fold(agentDecider, toDomainEvents<AgentEvent>(await this.executor.store.readStream(streams.agent(agentId)))).status !== 'none';
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
    if (changes.password != null) checkPassword(changes.password);
    const current = await this.readStore.getAgent(agentId);
    if (!current) throw new NotFoundError(`agent ${agentId} not found`);
    if (self && changes.password != null) await assertCurrentPassword(agentId, changes.currentPassword, current.passwordHash);

    if (changes.role === 'agent' && current.role === 'admin') await revokeAdmin(this.executor, this.readStore, agentId, 'demoted', this.ctxFor(ctx));
    if (changes.name != null || changes.role != null) {
      await this.executor.execute(
        streams.agent(agentId),
        agentDecider,
        { type: 'UpdateAgent', data: { name: changes.name?.trim(), role: changes.role, isLastAdmin: false } },
        ctx,
      );
    }
    if (changes.role === 'admin' && current.role !== 'admin') await grantAdmin(this.executor, agentId, ctx);
    if (changes.password != null) {
      const passwordHash = await hashPassword(checkPassword(changes.password));
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

/**
 * Wrong current passwords per agent within the window. A stolen session must not become a way to
 * guess the real password at hashing speed, nor to fill the password hasher's line: attempts are
 * counted before the hash, like logins, and the check is refused when the hasher is busy.
 */
const CURRENT_PASSWORD_TRIES = 5;
const CURRENT_PASSWORD_WINDOW_MS = 15 * 60 * 1000;
const currentPasswordTries = new Map<string, number[]>();

/** Changing one's own password needs the current one: a stolen session alone must not take the account over. */
async function assertCurrentPassword(agentId: string, given: string | undefined, storedHash: string): Promise<void> {
  if (!given) throw new InvalidRequestError('currentPassword: required to change your own password');
  const now = Date.now();
  const recent = (currentPasswordTries.get(agentId) ?? []).filter((at) => at > now - CURRENT_PASSWORD_WINDOW_MS);
  if (recent.length >= CURRENT_PASSWORD_TRIES) {
    const seconds = Math.ceil((recent[0] + CURRENT_PASSWORD_WINDOW_MS - now) / 1000);
    throw new RateLimitedError(`too many wrong current passwords; try again in ${seconds} s`, seconds);
  }
  currentPasswordTries.set(agentId, [...recent, now]);
  // A try that was not checked (the hasher was busy), or was right, is taken back.
  const takeBack = () => {
    const tries = currentPasswordTries.get(agentId) ?? [];
    const index = tries.indexOf(now);
    if (index !== -1) tries.splice(index, 1);
  };
  let right: boolean;
  try {
    right = await verifyPassword(given, storedHash, 'refuse');
  } catch (error) {
    takeBack();
    throw error;
  }
  if (!right) throw new AccessDeniedError('currentPassword is wrong');
  takeBack();
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

/** The agent's own UI language and time zone; a field left out stays, null clears it (the browser's applies). */
export class SetPreferencesCommand extends Command<{ language: string | null; timeZone: string | null }> {
  constructor(
    readonly preferences: { language?: string | null; timeZone?: string | null },
    readonly ctx: CommandContext,
  ) {
    super();
  }
}

@CommandHandler(SetPreferencesCommand)
export class SetPreferencesHandler implements ICommandHandler<SetPreferencesCommand> {
  constructor(
    private readonly executor: CommandExecutor,
    @Inject(READ_STORE) private readonly readStore: ReadStore,
  ) {}

  async execute({ preferences, ctx }: SetPreferencesCommand) {
    if (!ctx.agent) throw new AccessDeniedError('only an agent has preferences');
    const { language, timeZone } = preferences;
    await this.executor.execute(streams.agent(ctx.agent.id), agentDecider, { type: 'SetPreferences', data: { language, timeZone } }, ctx);
    const agent = await this.readStore.getAgent(ctx.agent.id);
    return { language: agent?.language ?? null, timeZone: agent?.timeZone ?? null };
  }
}

/**
 * Logging out: the session (one login) ends for good, on every instance (the agent directory
 * lists it as ended until its token would have expired anyway). Only the agent themself does it.
 */
export class EndSessionCommand extends Command<void> {
  constructor(
    readonly sessionId: string,
    readonly expiresAt: string,
    readonly ctx: CommandContext,
  ) {
    super();
  }
}

@CommandHandler(EndSessionCommand)
export class EndSessionHandler implements ICommandHandler<EndSessionCommand> {
  constructor(private readonly executor: CommandExecutor) {}

  async execute({ sessionId, expiresAt, ctx }: EndSessionCommand): Promise<void> {
    if (!ctx.agent) throw new AccessDeniedError('only an agent ends their own session');
    await this.executor.execute(streams.agent(ctx.agent.id), agentDecider, { type: 'EndSession', data: { sessionId, expiresAt } }, ctx);
  }
}
