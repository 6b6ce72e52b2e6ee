import { Inject } from '@nestjs/common';
import { Query, QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { InboxAccess, NotFoundError } from '../access/inbox-access';
import type { AgentSummary } from '../agents/agent-commands.handler';
import { credentialFingerprint, DUMMY_HASH_PROMISE, verifyPassword } from '../agents/password-hasher';
import type { AuthenticatedAgent } from '../command-handling/command-context';
import { READ_STORE, type BlockedSenderRecord, type InboxRecord, type ReadStore } from '../ports/read-store.port';

const toSummary = (a: {
  id: string;
  name: string;
  email: string;
  role: AgentSummary['role'];
  availability: AgentSummary['availability'];
  online?: boolean;
}): AgentSummary => ({
  id: a.id,
  name: a.name,
  email: a.email,
  role: a.role,
  availability: a.availability,
  ...(a.online !== undefined ? { online: a.online } : {}),
});

/** Every agent with email and role: for the application's own use (who works in an inbox), not to be shown as is. */
export class ListAgentsQuery extends Query<AgentSummary[]> {}

@QueryHandler(ListAgentsQuery)
export class ListAgentsHandler implements IQueryHandler<ListAgentsQuery> {
  constructor(@Inject(READ_STORE) private readonly readStore: ReadStore) {}

  async execute(): Promise<AgentSummary[]> {
    return (await this.readStore.listAgents()).map(toSummary);
  }
}

/** What an agent who is not an admin sees of a teammate: enough to assign to them and @mention them. */
export interface TeammateSummary {
  id: string;
  name: string;
  availability: AgentSummary['availability'];
  /** Parley open (presence): available and online agents are the ones offered new conversations. */
  online: boolean;
  /** The handle that @mentions them in a comment. */
  mention: string;
}

/** The handle the web UI inserts for a teammate (one of those a comment's @mention resolves). */
export const mentionHandle = (name: string): string => name.trim().toLowerCase().replace(/\s+/g, '.');

/**
 * `GET /api/agents`: the team as the viewer may see it. Admins administer agents and see their
 * email and role; other agents see what assigning and @mentions need, no addresses or roles.
 */
export class ListAgentDirectoryQuery extends Query<AgentSummary[] | TeammateSummary[]> {
  constructor(readonly viewer: AuthenticatedAgent) {
    super();
  }
}

@QueryHandler(ListAgentDirectoryQuery)
export class ListAgentDirectoryHandler implements IQueryHandler<ListAgentDirectoryQuery> {
  constructor(@Inject(READ_STORE) private readonly readStore: ReadStore) {}

  async execute({ viewer }: ListAgentDirectoryQuery): Promise<AgentSummary[] | TeammateSummary[]> {
    const agents = await this.readStore.listAgents();
    if (viewer.role === 'admin') return agents.map(toSummary);
    return agents.map((a) => ({ id: a.id, name: a.name, availability: a.availability, online: a.online, mention: mentionHandle(a.name) }));
  }
}

/** The agent behind a session token, or null when it no longer exists (removed agents lose access at once). */
export class GetAgentQuery extends Query<(AuthenticatedAgent & { availability: AgentSummary['availability'] }) | null> {
  constructor(readonly agentId: string) {
    super();
  }
}

@QueryHandler(GetAgentQuery)
export class GetAgentHandler implements IQueryHandler<GetAgentQuery> {
  constructor(@Inject(READ_STORE) private readonly readStore: ReadStore) {}

  async execute({ agentId }: GetAgentQuery) {
    const agent = await this.readStore.getAgent(agentId);
    return agent ? toSummary(agent) : null;
  }
}

/**
 * The agent behind a session, the fingerprint of their current password hash (never returned by
 * the API; the auth guard compares it with the one in the token) and whether the session was
 * logged out. Read from the shared read store, so a logout on one instance counts on all.
 */
export class GetSessionAgentQuery extends Query<{
  agent: AgentSummary;
  credentialFingerprint: string;
  sessionEnded: boolean;
  preferences: { language: string | null; timeZone: string | null };
} | null> {
  constructor(
    readonly agentId: string,
    readonly sessionId: string | null = null,
  ) {
    super();
  }
}

@QueryHandler(GetSessionAgentQuery)
export class GetSessionAgentHandler implements IQueryHandler<GetSessionAgentQuery> {
  constructor(@Inject(READ_STORE) private readonly readStore: ReadStore) {}

  async execute({ agentId, sessionId }: GetSessionAgentQuery) {
    const agent = await this.readStore.getAgent(agentId);
    if (!agent) return null;
    return {
      agent: toSummary(agent),
      credentialFingerprint: credentialFingerprint(agent.passwordHash),
      sessionEnded: sessionId !== null && agent.endedSessions.includes(sessionId),
      preferences: { language: agent.language ?? null, timeZone: agent.timeZone ?? null },
    };
  }
}

/**
 * Email + password -> the agent, or null. Spends the same time whether or not the email exists.
 * Logins do not queue behind a full line of password checks: PasswordHashingBusyError instead.
 */
export class AuthenticateQuery extends Query<AgentSummary | null> {
  constructor(
    readonly email: string,
    readonly password: string,
  ) {
    super();
  }
}

let dummyHash: Promise<string> | undefined;

@QueryHandler(AuthenticateQuery)
export class AuthenticateHandler implements IQueryHandler<AuthenticateQuery> {
  constructor(@Inject(READ_STORE) private readonly readStore: ReadStore) {}

  async execute({ email, password }: AuthenticateQuery): Promise<AgentSummary | null> {
    const agent = await this.readStore.getAgentByEmail(email.trim().toLowerCase());
    if (!agent) {
      dummyHash ??= DUMMY_HASH_PROMISE();
      await verifyPassword(password, await dummyHash, 'refuse');
      return null;
    }
    return (await verifyPassword(password, agent.passwordHash, 'refuse')) ? toSummary(agent) : null;
  }
}

export class CountAgentsQuery extends Query<number> {}

@QueryHandler(CountAgentsQuery)
export class CountAgentsHandler implements IQueryHandler<CountAgentsQuery> {
  constructor(@Inject(READ_STORE) private readonly readStore: ReadStore) {}

  execute(): Promise<number> {
    return this.readStore.countAgents();
  }
}

export class ListInboxesQuery extends Query<InboxRecord[]> {
  constructor(readonly agent: AuthenticatedAgent) {
    super();
  }
}

@QueryHandler(ListInboxesQuery)
export class ListInboxesHandler implements IQueryHandler<ListInboxesQuery> {
  constructor(private readonly access: InboxAccess) {}

  execute({ agent }: ListInboxesQuery): Promise<InboxRecord[]> {
    return this.access.accessibleInboxes(agent);
  }
}

export class ListBlockedSendersQuery extends Query<BlockedSenderRecord[]> {
  constructor(
    readonly agent: AuthenticatedAgent,
    readonly inboxId: string | undefined,
  ) {
    super();
  }
}

@QueryHandler(ListBlockedSendersQuery)
export class ListBlockedSendersHandler implements IQueryHandler<ListBlockedSendersQuery> {
  constructor(
    private readonly access: InboxAccess,
    @Inject(READ_STORE) private readonly readStore: ReadStore,
  ) {}

  async execute({ agent, inboxId }: ListBlockedSendersQuery): Promise<BlockedSenderRecord[]> {
    const inbox = await this.access.resolveInbox(agent, inboxId);
    return this.readStore.listBlockedSenders(inbox.id);
  }
}

export { NotFoundError };
