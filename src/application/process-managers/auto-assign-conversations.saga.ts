import { Inject, Injectable } from '@nestjs/common';
import { agentDecider, type AgentState } from '../../domain/agent/agent.decider';
import { conversationDecider, isWaiting } from '../../domain/conversation/conversation.decider';
import type { ConversationEvent } from '../../domain/conversation/conversation.events';
import { evolveConversation, initialConversationState, isActive, type ActiveConversation } from '../../domain/conversation/conversation.state';
import { inboxDecider, type InboxState } from '../../domain/inbox/inbox.decider';
import { pendingRoutes, routingDecider, type RoutingLedgerState } from '../../domain/routing/routing.decider';
import type { RoutingCandidate, RoutingCommand, RoutingEvent, TrackedStatus } from '../../domain/routing/routing.events';
import type { Decider } from '../../domain/shared/decider';
import { isDomainError } from '../../domain/shared/domain-error';
import { systemContext } from '../command-handling/command-context';
import { CommandExecutor } from '../command-handling/command-executor';
import { ConcurrencyError, type NewEvent, type RecordedEvent } from '../ports/event-store.port';
import { READ_STORE, type ReadStore } from '../ports/read-store.port';
import { conversationIdFromStream, streams, uuidV5 } from '../streams';
import type { ProcessManager } from './process-manager';

/** Conversation events after which a conversation may wait, stop waiting, or change hands. */
const CONVERSATION_EVENTS = [
  'ConversationStarted',
  'MessageReceived',
  'ConversationAssigned',
  'ConversationUnassigned',
  'ConversationClosed',
  'ConversationReopened',
  'ConversationTrashed',
  'ConversationRestored',
  'ConversationMarkedAsSpam',
  'ConversationMarkedAsNotSpam',
  'ConversationFiltered',
  'ConversationUnfiltered',
  'ConversationDeleted',
] as const;
/** Agent events after which an agent may be offered conversations again, or no longer (rule 11). */
const AGENT_EVENTS = ['AgentAvailabilityChanged', 'AgentPresenceChanged', 'AgentRemoved'] as const;
/** Inbox events that change who is offered what. */
const INBOX_EVENTS = ['InboxRoutingSet', 'InboxMembersSet'] as const;
/**
 * The ledger's own hand-outs: whoever runs this manager when the log reaches one makes sure it was
 * carried out (the instance that decided it may have died right after, with others already past it).
 */
const LEDGER_EVENTS = ['ConversationRouted'] as const;

/** Appends lost to another writer before the handling gives up (the runner retries it with backoff). */
const MAX_LEDGER_ATTEMPTS = 20;
/** Rounds of hand-out, assignment and mirror per event; each round settles what the previous one handed out. */
const MAX_ROUNDS = 10;

interface Folded<State> {
  revision: number;
  state: State;
}

/**
 * Auto-assignment (issue 14, rule 11; docs/routing.md). While an inbox's routing is on, mirrors its
 * conversations into the inbox's routing ledger (waiting, or held by an agent), and after each change asks the
 * ledger to hand the waiting ones out to the eligible agents (members, available and online, with
 * capacity left, on a channel the settings cover). Then it sends each hand-out to its conversation
 * as AutoAssignConversation, which applies only while the conversation still waits.
 *
 * Safety comes from the ledger's stream: every decision is appended with the revision it was made
 * on, so two instances (a projector lease changing hands) cannot both hand out on the same state;
 * the loser reads what the winner wrote and decides again. A crash between the hand-out and the
 * assignment is repaired on the re-run: the ledger still lists the hand-out as not carried out, so
 * it is sent again (a no-op if it was done). Each mirror reads the conversation after the ledger,
 * so the ledger never goes back to an older state of a conversation than it holds.
 *
 * Reading stays cheap: the ledgers, inboxes and agents are folded once and kept in memory; each
 * use reads only their streams' new events.
 */
@Injectable()
export class AutoAssignConversations implements ProcessManager {
  readonly name = 'auto-assign-conversations';
  readonly handles = [...CONVERSATION_EVENTS, ...AGENT_EVENTS, ...INBOX_EVENTS, ...LEDGER_EVENTS];

  private readonly folds = new Map<string, Folded<unknown>>();
  /** Hand-outs ("inbox conversation agent") this instance already sent the assignment for. */
  private readonly sent = new Set<string>();
  /** The ConversationRouted event of each hand-out, the assignment's causation. */
  private readonly routedBy = new Map<string, string>();
  /** Inboxes whose routing is on, as this manager knows them; null until first needed. */
  private routingOn: Set<string> | null = null;

  constructor(
    private readonly executor: CommandExecutor,
    @Inject(READ_STORE) private readonly readStore: ReadStore,
  ) {}

  async handle(event: RecordedEvent): Promise<void> {
    const conversationId = conversationIdFromStream(event.streamId);
    if (conversationId !== null) {
      // No inbox routes: nothing to mirror or hand out, and no conversation to read (most installs, most of the time).
      if (!(await this.routingAnywhere(event))) return;
      // Its inbox from its first event; deleted forever: it left the ledger when it went to Trash.
      const [first] = await this.executor.store.readStream(event.streamId, { maxCount: 1 });
      if (first?.type !== 'ConversationStarted') return;
      await this.sync(String(first.data.inboxId), [conversationId], event);
      return;
    }
    if (event.streamId.startsWith('routing-')) {
      await this.sync(event.streamId.slice('routing-'.length), [], event);
      return;
    }
    if (event.streamId.startsWith('inbox-')) {
      const inboxId = event.streamId.slice('inbox-'.length);
      if (event.type === 'InboxRoutingSet' && this.routingOn) {
        if ((event.data as { mode?: string }).mode === 'off') this.routingOn.delete(inboxId);
        else this.routingOn.add(inboxId);
      }
      await this.sync(inboxId, event.type === 'InboxRoutingSet' ? await this.everyOpenConversation(inboxId, event) : [], event);
      return;
    }
    if (event.streamId.startsWith('agent-')) {
      const agentId = event.streamId.slice('agent-'.length);
      // Every inbox known when the event happened is in the read model once it reached the event.
      await this.executor.settleOrThrow(event.position);
      for (const inbox of await this.readStore.listInboxes()) {
        const state = await this.fold(streams.inbox(inbox.id), inboxDecider);
        if (state.status === 'created' && state.memberIds.includes(agentId)) await this.sync(inbox.id, [], event);
      }
    }
  }

  /**
   * Whether any inbox routes. Read once from the inboxes' own streams (every inbox created before
   * the event is in the read models once they include it), then kept up to date from the
   * InboxRoutingSet events this manager handles in log order.
   */
  private async routingAnywhere(event: RecordedEvent): Promise<boolean> {
    if (this.routingOn === null) {
      await this.executor.settleOrThrow(event.position);
      const on = new Set<string>();
      for (const inbox of await this.readStore.listInboxes()) {
        const state = await this.fold(streams.inbox(inbox.id), inboxDecider);
        if (state.status === 'created' && state.routing.mode !== 'off') on.add(inbox.id);
      }
      this.routingOn = on;
    }
    return this.routingOn.size > 0;
  }

  /**
   * The ledger tracks an inbox only while its routing is on (an inbox without routing costs no
   * writes). Routing set (on again, or changed): every open conversation of the inbox, and every one
   * the ledger still lists from before, is mirrored afresh.
   */
  private async everyOpenConversation(inboxId: string, cause: RecordedEvent): Promise<string[]> {
    const inbox = await this.fold(streams.inbox(inboxId), inboxDecider);
    if (inbox.status !== 'created' || inbox.routing.mode === 'off') return [];
    await this.executor.settleOrThrow(cause.position);
    const ids = new Set((await this.foldLedger(inboxId)).state.entries.keys());
    let cursor: string | undefined;
    do {
      const page = await this.readStore.searchConversations({
        inboxId,
        filters: { status: 'open', hideFiltered: false, hideTrash: false },
        sort: 'oldest',
        limit: 200,
        ...(cursor ? { cursor } : {}),
      });
      for (const item of page.items) ids.add(item.id);
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    return [...ids];
  }

  /** Mirror, hand out, assign; again for what was handed out, until nothing new is handed out. */
  private async sync(inboxId: string, conversationIds: string[], cause: RecordedEvent): Promise<void> {
    let mirror = conversationIds;
    for (let round = 0; round < MAX_ROUNDS; round += 1) {
      const toSend = await this.updateLedger(inboxId, mirror, cause);
      if (toSend.length === 0) return;
      for (const route of toSend) {
        const key = routeKey(inboxId, route.conversationId, route.agentId);
        try {
          await this.executor.execute(
            streams.conversation(route.conversationId),
            conversationDecider,
            { type: 'AutoAssignConversation', data: { agentId: route.agentId, strategy: route.strategy, now: this.executor.now().toISOString() } },
            systemContext({ correlationId: cause.metadata.correlationId, causationId: this.routedBy.get(key) ?? cause.id }),
          );
        } catch (error) {
          // Deleted forever meanwhile: the mirror below takes it out of the ledger.
          if (!isDomainError(error)) throw error;
        }
        this.sent.add(key);
      }
      // Mirror what the assignments did (taken, or someone else was quicker), so the next round counts it.
      mirror = toSend.map((route) => route.conversationId);
    }
  }

  /**
   * One write to the ledger: the conversations mirrored, hand-outs that can no longer be carried out
   * taken back, and the waiting ones handed out. Returns the hand-outs this instance has not sent yet.
   */
  private async updateLedger(
    inboxId: string,
    conversationIds: string[],
    cause: RecordedEvent,
  ): Promise<Array<{ conversationId: string; agentId: string; strategy: 'round-robin' | 'balanced' }>> {
    const streamId = streams.routing(inboxId);
    for (let attempt = 1; ; attempt += 1) {
      // The ledger first, then what it mirrors: nothing read below is older than what it holds.
      const ledger = await this.foldLedger(inboxId);
      const inbox = await this.fold(streams.inbox(inboxId), inboxDecider);
      // Routing off: nothing tracked, nothing handed out (switching it on mirrors the inbox afresh).
      if (inbox.status !== 'created' || inbox.routing.mode === 'off') return [];
      const routing = inbox.routing;
      const candidates = await this.candidates(inbox);
      const offered = new Set(candidates.filter((c) => c.eligible && c.capacity > 0).map((c) => c.agentId));

      const commands: RoutingCommand[] = [];
      const withdrawable = new Set<string>();
      for (const route of pendingRoutes(ledger.state)) {
        const entry = ledger.state.entries.get(route.conversationId);
        const channel = entry?.kind === 'held' ? entry.routed?.channel : undefined;
        const covered = routing.channels.length === 0 || (channel !== undefined && routing.channels.includes(channel));
        if (!offered.has(route.agentId) || !covered) withdrawable.add(route.conversationId);
      }
      for (const id of new Set([...conversationIds, ...withdrawable])) {
        const conversation = await this.readConversation(id);
        // Not of this inbox (a caller's mistake) or deleted forever: nothing to mirror.
        if (conversation && conversation.inboxId !== inboxId) continue;
        const tracked = conversation ?? { revision: Number.MAX_SAFE_INTEGER, status: { type: 'none' } as TrackedStatus };
        commands.push({ type: 'TrackConversation', data: { conversationId: id, revision: tracked.revision, status: tracked.status } });
        // A hand-out to someone who may no longer get it, not carried out yet: back in the queue.
        if (withdrawable.has(id) && tracked.status.type === 'waiting') commands.push({ type: 'WithdrawRoute', data: { conversationId: id } });
      }
      commands.push({ type: 'DispatchWaiting', data: { mode: routing.mode, channels: routing.channels, candidates } });

      let state = ledger.state;
      const events: RoutingEvent[] = [];
      for (const command of commands) {
        const decided = routingDecider.decide(command, state);
        for (const event of decided) state = routingDecider.evolve(state, event);
        events.push(...decided);
      }
      if (events.length > 0) {
        const appended = await this.appendLedger(inboxId, ledger, events, cause);
        if (!appended) {
          if (attempt >= MAX_LEDGER_ATTEMPTS) throw new Error(`${streamId}: other writers kept changing the routing ledger; retrying the event`);
          continue;
        }
      }
      const pending = pendingRoutes(state);
      const keys = new Set(pending.map((route) => routeKey(inboxId, route.conversationId, route.agentId)));
      for (const key of [...this.sent]) if (key.startsWith(`${inboxId} `) && !keys.has(key)) this.sent.delete(key);
      for (const key of [...this.routedBy.keys()]) if (key.startsWith(`${inboxId} `) && !keys.has(key)) this.routedBy.delete(key);
      return pending.filter((route) => !this.sent.has(routeKey(inboxId, route.conversationId, route.agentId)));
    }
  }

  /** Appends with the revision the decisions were made on; false when another writer got there first. */
  private async appendLedger(inboxId: string, ledger: Folded<RoutingLedgerState>, events: RoutingEvent[], cause: RecordedEvent): Promise<boolean> {
    const streamId = streams.routing(inboxId);
    const occurredAt = this.executor.now().toISOString();
    const newEvents: NewEvent[] = events.map((event, i) => ({
      // One id per ledger revision: unique, and the same for the same decision retried.
      id: uuidV5(`routing-ledger\u0000${streamId}\u0000${ledger.revision + 1 + i}\u0000${cause.id}`),
      type: event.type,
      data: event.data as unknown as Record<string, unknown>,
      metadata: { actor: { type: 'system' }, occurredAt, correlationId: cause.metadata.correlationId, causationId: cause.id },
    }));
    try {
      const result = await this.executor.store.append(streamId, newEvents, {
        expectedRevision: ledger.revision === -1 ? 'no-stream' : ledger.revision,
      });
      // Ids already stored: this decision was written before (a re-run); read the ledger as it is.
      if (result.duplicate) return false;
    } catch (error) {
      if (error instanceof ConcurrencyError) return false;
      throw error;
    }
    let state = ledger.state;
    events.forEach((event, i) => {
      state = routingDecider.evolve(state, event);
      if (event.type === 'ConversationRouted') this.routedBy.set(routeKey(inboxId, event.data.conversationId, event.data.agentId), newEvents[i].id);
    });
    this.folds.set(streamId, { revision: ledger.revision + events.length, state });
    return true;
  }

  /** The inbox's members as candidates: eligible when registered, available and online; capacity from the settings. */
  private async candidates(inbox: InboxState): Promise<RoutingCandidate[]> {
    if (inbox.status !== 'created') return [];
    const candidates: RoutingCandidate[] = [];
    for (const agentId of inbox.memberIds) {
      const agent: AgentState = await this.fold(streams.agent(agentId), agentDecider);
      const eligible = agent.status === 'registered' && agent.availability === 'available' && agent.online;
      candidates.push({ agentId, eligible, capacity: inbox.routing.capacities[agentId] ?? inbox.routing.defaultCapacity });
    }
    return candidates;
  }

  private async foldLedger(inboxId: string): Promise<Folded<RoutingLedgerState>> {
    const streamId = streams.routing(inboxId);
    const cached = this.folds.get(streamId) as Folded<RoutingLedgerState> | undefined;
    const folded: Folded<RoutingLedgerState> = cached ?? { revision: -1, state: routingDecider.initialState() };
    const tail = await this.executor.store.readStream(streamId, { fromRevision: folded.revision + 1 });
    if (tail.length === 0) return folded;
    let state = folded.state;
    for (const event of tail) {
      state = routingDecider.evolve(state, { type: event.type, data: event.data } as RoutingEvent);
      if (event.type === 'ConversationRouted') this.routedBy.set(routeKey(inboxId, String(event.data.conversationId), String(event.data.agentId)), event.id);
    }
    const next = { revision: tail.at(-1)!.revision, state };
    this.folds.set(streamId, next);
    return next;
  }

  /** A stream folded from memory plus its new events (inboxes and agents only grow). */
  private async fold<Command, Event, State>(streamId: string, decider: Decider<Command, Event, State>): Promise<State> {
    const cached = this.folds.get(streamId) as Folded<State> | undefined;
    const folded: Folded<State> = cached ?? { revision: -1, state: decider.initialState() };
    const tail = await this.executor.store.readStream(streamId, { fromRevision: folded.revision + 1 });
    if (tail.length === 0) return folded.state;
    const state = tail.reduce((current, event) => decider.evolve(current, { type: event.type, data: event.data } as Event), folded.state);
    this.folds.set(streamId, { revision: tail.at(-1)!.revision, state });
    return state;
  }

  /** The conversation as it is now: its inbox, revision, and where it stands for routing; null when there is none. */
  private async readConversation(conversationId: string): Promise<{ inboxId: string; revision: number; status: TrackedStatus } | null> {
    const recorded = await this.executor.store.readStream(streams.conversation(conversationId));
    let state = initialConversationState();
    let since: { at: string; order: number } | null = null;
    for (const event of recorded) {
      state = evolveConversation(state, { type: event.type, data: event.data } as ConversationEvent);
      const waits = isActive(state) && waitsForAgent(state);
      if (!waits) since = null;
      else if (since === null) since = { at: event.metadata.occurredAt, order: event.position };
    }
    if (!isActive(state)) return null;
    const revision = recorded.at(-1)!.revision;
    if (since !== null) return { inboxId: state.inboxId, revision, status: { type: 'waiting', channel: state.channel, since: since.at, order: since.order } };
    if (heldByAgent(state)) return { inboxId: state.inboxId, revision, status: { type: 'held', agentId: state.assignee.id } };
    return { inboxId: state.inboxId, revision, status: { type: 'none' } };
  }
}

/** Waiting for an agent: open, unassigned, in the inbox, and not a composed email still awaiting its answer (rule 3). */
function waitsForAgent(conversation: ActiveConversation): boolean {
  return isWaiting(conversation) && !conversation.awaitingContactReply;
}

/** Counts towards the agent's load: open, theirs, and not in Spam, Filtered or Trash. */
function heldByAgent(conversation: ActiveConversation): conversation is ActiveConversation & { assignee: { type: 'agent'; id: string } } {
  return conversation.status === 'open' && conversation.assignee?.type === 'agent' && !conversation.spam && !conversation.filtered && !conversation.trashed;
}

/** "inbox conversation agent": one hand-out. */
const routeKey = (inboxId: string, conversationId: string, agentId: string): string => `${inboxId} ${conversationId} ${agentId}`;
