import { Inject, Injectable } from '@nestjs/common';
import { notFound } from '../../domain/shared/domain-error';
import { READ_STORE, type InboxRecord, type ReadStore } from '../ports/read-store.port';
import type { AuthenticatedAgent } from '../command-handling/command-context';

/**
 * Thrown when an agent may not do something it knows exists (HTTP 403): admin-only work, another
 * agent's view. Inboxes and conversations out of reach are NOT this: they answer as unknown ids.
 */
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

/** Thrown when a caller tried something too often (HTTP 429 with Retry-After). */
export class RateLimitedError extends Error {
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(message);
    this.name = 'RateLimitedError';
  }
}

/** Agent and inbox administration is for admins; system actors (start-up, process managers) may always. */
export function requireAdmin(ctx: { agent: AuthenticatedAgent | null }, what = 'agents and inboxes'): void {
  if (ctx.agent && ctx.agent.role !== 'admin') throw new AccessDeniedError(`only admins can manage ${what}`);
}

/**
 * An inbox out of reach, and everything in it, answers exactly as an unknown id: a 403 (or its
 * message) would confirm to an outsider which ids exist. Each use passes the error its route gives
 * for an unknown id, so status and message match.
 */
export type HiddenAs = () => Error;

/** An inbox out of reach answers as an unknown id; the default inbox (asked for without an id) is no secret. */
export const hiddenInbox = (inboxId: string | undefined): HiddenAs =>
  inboxId
    ? () => new NotFoundError(`inbox ${inboxId} not found`)
    : () => new AccessDeniedError('you are not a member of the default inbox; pass the inboxId of an inbox you belong to');

/** What a conversation command answers for an id that does not exist (the conversation decider's words). */
export const unknownConversationCommand: HiddenAs = () => notFound('conversation-not-found', 'conversation not found; check the conversation id');

/** What a conversation query answers for an id that does not exist. */
export const unknownConversation =
  (conversationId: string): HiddenAs =>
  () =>
    new NotFoundError(`conversation ${conversationId} not found`);

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

  /**
   * The inbox named by `inboxId`, or the default inbox; one out of reach answers as unknown
   * (`hidden`). The default inbox is no secret: without access to it, the agent is told to name one.
   */
  async resolveInbox(agent: AuthenticatedAgent, inboxId: string | undefined, hidden: HiddenAs = hiddenInbox(inboxId)): Promise<InboxRecord> {
    const inbox = inboxId ? await this.readStore.getInbox(inboxId) : await this.readStore.getDefaultInbox();
    if (!inbox && !inboxId) throw new NotFoundError('the default inbox does not exist yet');
    if (!inbox || !this.canAccess(agent, inbox)) throw hidden();
    return inbox;
  }

  /** Refuses an agent without access to the inbox, as `hidden` (default: as an unknown inbox). */
  async assertInbox(agent: AuthenticatedAgent | null, inboxId: string, hidden: HiddenAs = hiddenInbox(inboxId)): Promise<void> {
    if (agent === null) return; // system, bot and contact actors are trusted callers inside the app
    const inbox = await this.readStore.getInbox(inboxId);
    if (!inbox || !this.canAccess(agent, inbox)) throw hidden();
  }

  /** As assertInbox, for an inbox record the caller has just read (no second lookup). */
  assertInboxRecord(agent: AuthenticatedAgent | null, inbox: InboxRecord, hidden: HiddenAs = hiddenInbox(inbox.id)): void {
    if (agent === null) return;
    if (!this.canAccess(agent, inbox)) throw hidden();
  }

  async accessibleInboxes(agent: AuthenticatedAgent): Promise<InboxRecord[]> {
    const inboxes = await this.readStore.listInboxes();
    return inboxes.filter((inbox) => this.canAccess(agent, inbox));
  }

  /** The inboxes an agent's record reads (contacts, companies, tickets) are limited to; undefined: all (admins, the system). */
  async reachableInboxIds(agent: AuthenticatedAgent | null): Promise<string[] | undefined> {
    if (agent === null || agent.role === 'admin') return undefined;
    return (await this.accessibleInboxes(agent)).map((inbox) => inbox.id);
  }
}
