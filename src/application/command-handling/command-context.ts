import { randomUUID } from 'node:crypto';
import type { Actor } from '../../domain/shared/actor';
import type { AgentRole } from '../../domain/agent/agent.events';

/** The agent a request acts for, as authenticated by the HTTP layer. */
export interface AuthenticatedAgent {
  id: string;
  name: string;
  email: string;
  role: AgentRole;
  /** The agent's saved UI language and time zone (null or absent: the browser's apply). */
  language?: string | null;
  timeZone?: string | null;
}

/** Who asks, why, and with what optimistic-concurrency expectation. */
export interface CommandContext {
  actor: Actor;
  /** The authenticated agent, when an agent asks (null for system, bot and contact). */
  agent: AuthenticatedAgent | null;
  correlationId: string;
  /** The request / message / event id that caused this command. */
  causationId: string;
  /** HTTP If-Match: the stream revision the client last saw. Stale -> 409, nothing written. */
  expectedRevision?: number;
}

export function agentContext(agent: AuthenticatedAgent, options: { correlationId?: string; expectedRevision?: number } = {}): CommandContext {
  const correlationId = options.correlationId ?? randomUUID();
  return {
    actor: { type: 'agent', id: agent.id },
    agent,
    correlationId,
    causationId: correlationId,
    expectedRevision: options.expectedRevision,
  };
}

export function systemContext(options: { correlationId?: string; causationId?: string } = {}): CommandContext {
  const correlationId = options.correlationId ?? randomUUID();
  return { actor: { type: 'system' }, agent: null, correlationId, causationId: options.causationId ?? correlationId };
}
