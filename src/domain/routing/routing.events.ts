/**
 * Auto-assignment's ledger of one inbox (stream `routing-<inboxId>`): which conversations wait for
 * an agent (oldest first), which open conversations each agent holds (their load, whoever assigned
 * them), and what the ledger handed to whom. The auto-assignment process manager mirrors the
 * conversations into it and asks it to dispatch; every decision is appended with the revision the
 * decision was made on, so two writers can never both hand out on the same ledger state
 * (docs/routing.md).
 */
export type RoutingEvent = ConversationQueuedForRouting | ConversationHeldByAgent | ConversationLeftRouting | ConversationRouted | ConversationRouteWithdrawn;

export type RoutingStrategy = 'round-robin' | 'balanced';

/**
 * The conversation waits for an agent (open, unassigned, in the inbox). `order` is the global log
 * position of the event that made it wait: the queue is served in that order (oldest first, never a
 * tie). `revision`: the conversation's stream revision this was read at.
 */
export interface ConversationQueuedForRouting {
  type: 'ConversationQueuedForRouting';
  data: { conversationId: string; channel: string; since: string; order: number; revision: number };
}

/** An agent holds the open conversation (counts towards their load), however it came to them. */
export interface ConversationHeldByAgent {
  type: 'ConversationHeldByAgent';
  data: { conversationId: string; agentId: string; revision: number };
}

/** Neither waiting nor held by an agent any more (closed, assigned to the bot, Spam, Filtered, Trash, deleted). */
export interface ConversationLeftRouting {
  type: 'ConversationLeftRouting';
  data: { conversationId: string; revision: number };
}

/**
 * The ledger handed the waiting conversation to the agent; it counts towards the agent's load at
 * once, and stays theirs in the ledger until the conversation shows who holds it.
 */
export interface ConversationRouted {
  type: 'ConversationRouted';
  data: { conversationId: string; agentId: string; strategy: RoutingStrategy };
}

/** A hand-out not yet carried out was taken back (the agent went away or offline first): the conversation waits again, in its old place. */
export interface ConversationRouteWithdrawn {
  type: 'ConversationRouteWithdrawn';
  data: { conversationId: string; agentId: string };
}

export type RoutingCommand = TrackConversation | DispatchWaiting | WithdrawRoute;

/** Where a conversation stands, as read from its stream at `revision`. */
export type TrackedStatus = { type: 'waiting'; channel: string; since: string; order: number } | { type: 'held'; agentId: string } | { type: 'none' };

/** Mirror one conversation into the ledger. An older revision than the ledger's is a no-op. */
export interface TrackConversation {
  type: 'TrackConversation';
  data: { conversationId: string; revision: number; status: TrackedStatus };
}

/** An agent as the caller read them: eligible (a member, available, online) and their capacity in this inbox. */
export interface RoutingCandidate {
  agentId: string;
  eligible: boolean;
  capacity: number;
}

/**
 * Hand out the waiting conversations, oldest first, to the candidates. `mode` off hands out
 * nothing; `channels` empty covers every channel.
 */
export interface DispatchWaiting {
  type: 'DispatchWaiting';
  data: { mode: 'off' | RoutingStrategy; channels: string[]; candidates: RoutingCandidate[] };
}

/** Take back a hand-out that was not carried out (the caller saw the conversation still waiting). */
export interface WithdrawRoute {
  type: 'WithdrawRoute';
  data: { conversationId: string };
}
