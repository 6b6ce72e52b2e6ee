import { Inject, Injectable } from '@nestjs/common';
import { READ_STORE, type InboxRecord, type ReadStore } from '../ports/read-store.port';
import type { AuthenticatedAgent } from '../command-handling/command-context';

/** Thrown when an agent asks for an inbox or conversation it has no access to (HTTP 403). */
export class AccessDeniedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AccessDeniedError';
  }
}

/** Thrown for unknown ids that are not a domain concern (HTTP 404). */
export class NotFoundError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NotFoundError';
  }
}

/** Thrown when a value names something that does not fit (HTTP 400), e.g. an unknown assignee. */
export class InvalidRequestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidRequestError';
  }
}

/** Agent and inbox administration is for admins; system actors (start-up, process managers) may always. */
export function requireAdmin(ctx: { agent: AuthenticatedAgent | null }, what = 'agents and inboxes'): void {
  if (ctx.agent && ctx.agent.role !== 'admin') throw new AccessDeniedError(`only admins can manage ${what}`);
}

/**
 * Rule 15: every command and query is allowed only to agents with access to the inbox.
 * Admins reach every inbox; agents the inboxes they are members of.
 */
@Injectable()
export class InboxAccess {
  constructor(@Inject(READ_STORE) private readonly readStore: ReadStore) {}

  canAccess(agent: AuthenticatedAgent, inbox: InboxRecord): boolean {
    return agent.role === 'admin' || inbox.memberIds.includes(agent.id);
  }

  /** The inbox named by `inboxId`, or the default inbox; refuses when the agent has no access. */
  async resolveInbox(agent: AuthenticatedAgent, inboxId: string | undefined): Promise<InboxRecord> {
    const inbox = inboxId ? await this.readStore.getInbox(inboxId) : await this.readStore.getDefaultInbox();
    if (!inbox) throw new NotFoundError(inboxId ? `inbox ${inboxId} not found` : 'the default inbox does not exist yet');
    if (!this.canAccess(agent, inbox)) throw new AccessDeniedError(`you are not a member of inbox "${inbox.name}" (${inbox.id})`);
    return inbox;
  }

  async assertInbox(agent: AuthenticatedAgent | null, inboxId: string): Promise<void> {
    if (agent === null) return; // system, bot and contact actors are trusted callers inside the app
    const inbox = await this.readStore.getInbox(inboxId);
    if (!inbox || !this.canAccess(agent, inbox)) {
      throw new AccessDeniedError(`you have no access to inbox ${inboxId}`);
    }
  }

  /** As assertInbox, for an inbox record the caller has just read (no second lookup). */
  assertInboxRecord(agent: AuthenticatedAgent | null, inbox: InboxRecord): void {
    if (agent === null) return;
    if (!this.canAccess(agent, inbox)) throw new AccessDeniedError(`you have no access to inbox ${inbox.id}`);
  }

  async accessibleInboxes(agent: AuthenticatedAgent): Promise<InboxRecord[]> {
    const inboxes = await this.readStore.listInboxes();
    return inboxes.filter((inbox) => this.canAccess(agent, inbox));
  }
}
