import type { Decider } from '../shared/decider';
import { invalidInput } from '../shared/domain-error';
import type { DispatchWaiting, RoutingCandidate, RoutingCommand, RoutingEvent, RoutingStrategy, TrackConversation, TrackedStatus } from './routing.events';

/** A place in the queue: since when the conversation waits, and its order (the log position that made it wait). */
export interface WaitingPlace {
  readonly channel: string;
  readonly since: string;
  readonly order: number;
}

export type LedgerEntry =
  | ({ readonly kind: 'waiting'; readonly revision: number } & WaitingPlace)
  | {
      readonly kind: 'held';
      readonly revision: number;
      readonly agentId: string;
      /** Handed out by the ledger and not yet seen held by the agent: the wait it ended, to put it back if withdrawn. */
      readonly routed: null | (WaitingPlace & { readonly strategy: RoutingStrategy });
    };

export interface RoutingLedgerState {
  /** Waiting and agent-held open conversations of the inbox, by id. */
  readonly entries: ReadonlyMap<string, LedgerEntry>;
  /** Round robin: the agent the ledger handed a conversation to last. */
  readonly lastRoutedAgentId: string | null;
}

export const initialRoutingLedgerState = (): RoutingLedgerState => ({ entries: new Map(), lastRoutedAgentId: null });

export function evolveRoutingLedger(state: RoutingLedgerState, event: RoutingEvent): RoutingLedgerState {
  const entries = new Map(state.entries);
  switch (event.type) {
    case 'ConversationQueuedForRouting': {
      const { conversationId, channel, since, order, revision } = event.data;
      entries.set(conversationId, { kind: 'waiting', revision, channel, since, order });
      return { ...state, entries };
    }
    case 'ConversationHeldByAgent': {
      const { conversationId, agentId, revision } = event.data;
      entries.set(conversationId, { kind: 'held', revision, agentId, routed: null });
      return { ...state, entries };
    }
    case 'ConversationLeftRouting':
      entries.delete(event.data.conversationId);
      return { ...state, entries };
    case 'ConversationRouted': {
      const { conversationId, agentId, strategy } = event.data;
      const entry = state.entries.get(conversationId);
      if (entry?.kind !== 'waiting') return state;
      const { channel, since, order, revision } = entry;
      entries.set(conversationId, { kind: 'held', revision, agentId, routed: { channel, since, order, strategy } });
      return { entries, lastRoutedAgentId: agentId };
    }
    case 'ConversationRouteWithdrawn': {
      const entry = state.entries.get(event.data.conversationId);
      if (entry?.kind !== 'held' || !entry.routed) return state;
      const { channel, since, order } = entry.routed;
      entries.set(event.data.conversationId, { kind: 'waiting', revision: entry.revision, channel, since, order });
      return { ...state, entries };
    }
    default: {
      // An unknown type read from the log is ignored.
      const unhandled: never = event;
      void unhandled;
      return state;
    }
  }
}

export function decideRouting(command: RoutingCommand, state: RoutingLedgerState): RoutingEvent[] {
  switch (command.type) {
    case 'TrackConversation':
      return track(command.data, state);
    case 'DispatchWaiting':
      return dispatch(command.data, state);
    case 'WithdrawRoute': {
      const entry = state.entries.get(command.data.conversationId);
      if (entry?.kind !== 'held' || !entry.routed) return [];
      return [{ type: 'ConversationRouteWithdrawn', data: { conversationId: command.data.conversationId, agentId: entry.agentId } }];
    }
    default: {
      const unknown: never = command;
      throw invalidInput('unknown-command', 'unknown {{aggregate}} command {{type}}', {
        aggregate: 'routing',
        type: JSON.stringify((unknown as { type?: unknown }).type),
      });
    }
  }
}

export const routingDecider: Decider<RoutingCommand, RoutingEvent, RoutingLedgerState> = {
  initialState: initialRoutingLedgerState,
  evolve: evolveRoutingLedger,
  decide: decideRouting,
};

// ---------------------------------------------------------------------------------------------

function track({ conversationId, revision, status }: TrackConversation['data'], state: RoutingLedgerState): RoutingEvent[] {
  requireText(conversationId, 'conversationId');
  if (!Number.isInteger(revision) || revision < 0) {
    throw invalidInput('field-not-in-range', '{{field}} must be a whole number from {{min}} to {{max}}, got {{value}}', {
      field: 'revision',
      min: 0,
      max: Number.MAX_SAFE_INTEGER,
      value: JSON.stringify(revision ?? null),
    });
  }
  const entry = state.entries.get(conversationId);
  // Read before what the ledger already knows: it has nothing to add.
  if (entry && entry.revision > revision) return [];
  switch (status.type) {
    case 'waiting': {
      if (entry?.kind === 'waiting' && entry.channel === status.channel && entry.order === status.order) return [];
      // Handed out in this very wait, not carried out yet: it stays the agent's (the assignment is on its way).
      if (entry?.kind === 'held' && entry.routed?.order === status.order) return [];
      return [
        {
          type: 'ConversationQueuedForRouting',
          data: { conversationId, channel: status.channel, since: status.since, order: status.order, revision },
        },
      ];
    }
    case 'held':
      requireText(status.agentId, 'agentId');
      if (entry?.kind === 'held' && entry.agentId === status.agentId && entry.routed === null) return [];
      return [{ type: 'ConversationHeldByAgent', data: { conversationId, agentId: status.agentId, revision } }];
    case 'none':
      return entry ? [{ type: 'ConversationLeftRouting', data: { conversationId, revision } }] : [];
    default: {
      const unknown: never = status;
      throw invalidInput('field-not-one-of', '{{field}} must be one of {{allowed}}, got {{value}}', {
        field: 'status.type',
        allowed: 'waiting, held, none',
        value: JSON.stringify((unknown as { type?: unknown }).type ?? null),
      });
    }
  }
}

/** Open conversations of the inbox each agent holds (handed out by the ledger or assigned by anyone). */
export function loadsOf(state: RoutingLedgerState): Map<string, number> {
  const loads = new Map<string, number>();
  for (const entry of state.entries.values()) if (entry.kind === 'held') loads.set(entry.agentId, (loads.get(entry.agentId) ?? 0) + 1);
  return loads;
}

/** The waiting conversations, oldest first (by the log position that made them wait). */
export function queueOf(state: RoutingLedgerState): Array<{ conversationId: string } & WaitingPlace> {
  const queue: Array<{ conversationId: string } & WaitingPlace> = [];
  for (const [conversationId, entry] of state.entries) {
    if (entry.kind === 'waiting') queue.push({ conversationId, channel: entry.channel, since: entry.since, order: entry.order });
  }
  return queue.sort((a, b) => a.order - b.order || compare(a.conversationId, b.conversationId));
}

/** Hand-outs not yet seen carried out: the process manager sends their assignment (again, after a crash). */
export function pendingRoutes(state: RoutingLedgerState): Array<{ conversationId: string; agentId: string; strategy: RoutingStrategy }> {
  const pending: Array<{ conversationId: string; agentId: string; strategy: RoutingStrategy }> = [];
  for (const [conversationId, entry] of state.entries) {
    if (entry.kind === 'held' && entry.routed) pending.push({ conversationId, agentId: entry.agentId, strategy: entry.routed.strategy });
  }
  return pending.sort((a, b) => compare(a.conversationId, b.conversationId));
}

const MODES: readonly DispatchWaiting['data']['mode'][] = ['off', 'round-robin', 'balanced'];

/**
 * Oldest waiting conversation first, each to one agent: eligible, with capacity left (never over
 * it). Round robin: the next agent in agent-id order after the one handed a conversation last.
 * Balanced: the fewest open conversations; a tie goes to the first of them in that same turn
 * order. Stops at the first conversation nobody can take (nobody can take a later one either).
 */
function dispatch({ mode, channels, candidates }: DispatchWaiting['data'], state: RoutingLedgerState): RoutingEvent[] {
  if (!MODES.includes(mode)) {
    throw invalidInput('field-not-one-of', '{{field}} must be one of {{allowed}}, got {{value}}', {
      field: 'mode',
      allowed: MODES.join(', '),
      value: JSON.stringify(mode ?? null),
    });
  }
  const offered = validCandidates(candidates);
  if (mode === 'off' || offered.length === 0) return [];
  const covered = new Set(channels ?? []);
  const loads = loadsOf(state);
  let pointer = state.lastRoutedAgentId;
  const events: RoutingEvent[] = [];
  for (const waiting of queueOf(state)) {
    if (covered.size > 0 && !covered.has(waiting.channel)) continue;
    const turn = inTurnAfter(offered, pointer).filter((candidate) => (loads.get(candidate.agentId) ?? 0) < candidate.capacity);
    if (turn.length === 0) break;
    const chosen = mode === 'round-robin' ? turn[0] : fewestOpen(turn, loads);
    events.push({ type: 'ConversationRouted', data: { conversationId: waiting.conversationId, agentId: chosen.agentId, strategy: mode } });
    loads.set(chosen.agentId, (loads.get(chosen.agentId) ?? 0) + 1);
    pointer = chosen.agentId;
  }
  return events;
}

/** Eligible candidates with a capacity above 0, in agent-id order, each once. */
function validCandidates(candidates: RoutingCandidate[]): RoutingCandidate[] {
  if (!Array.isArray(candidates)) {
    throw invalidInput('field-not-list', '{{field}} must be a list, got {{value}}', { field: 'candidates', value: JSON.stringify(candidates ?? null) });
  }
  const byId = new Map<string, RoutingCandidate>();
  for (const candidate of candidates) {
    requireText(candidate?.agentId, 'candidates.agentId');
    if (!Number.isInteger(candidate.capacity) || candidate.capacity < 0) {
      throw invalidInput('field-not-in-range', '{{field}} must be a whole number from {{min}} to {{max}}, got {{value}}', {
        field: `candidates.${candidate.agentId}.capacity`,
        min: 0,
        max: Number.MAX_SAFE_INTEGER,
        value: JSON.stringify(candidate.capacity ?? null),
      });
    }
    if (candidate.eligible === true && candidate.capacity > 0 && !byId.has(candidate.agentId)) byId.set(candidate.agentId, candidate);
  }
  return [...byId.values()].sort((a, b) => compare(a.agentId, b.agentId));
}

/** The candidates (sorted by id) starting with the first one after `pointer`, wrapping around. */
function inTurnAfter(sorted: RoutingCandidate[], pointer: string | null): RoutingCandidate[] {
  if (pointer === null) return sorted;
  const start = sorted.findIndex((candidate) => compare(candidate.agentId, pointer) > 0);
  if (start <= 0) return sorted;
  return [...sorted.slice(start), ...sorted.slice(0, start)];
}

function fewestOpen(turn: RoutingCandidate[], loads: ReadonlyMap<string, number>): RoutingCandidate {
  let best = turn[0];
  for (const candidate of turn) if ((loads.get(candidate.agentId) ?? 0) < (loads.get(best.agentId) ?? 0)) best = candidate;
  return best;
}

/** Plain code-unit order: the same on every machine and locale. */
const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

function requireText(value: string | undefined, field: string): void {
  if (typeof value !== 'string' || value.trim() === '') throw invalidInput('field-empty', '{{field}} must not be empty', { field });
}

export type { TrackedStatus };
