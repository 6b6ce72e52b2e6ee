import { loadsOf, pendingRoutes, queueOf, routingDecider as decider } from '../../src/domain/routing/routing.decider';
import type { RoutingCandidate, RoutingCommand, RoutingEvent, RoutingStrategy } from '../../src/domain/routing/routing.events';
import { given, stateAfter } from '../support/given-when-then';

/** Every decision of auto-assignment's ledger (issue 14, rule 11; docs/routing.md). */

const queued = (conversationId: string, order: number, channel = 'chat', revision = 1): RoutingEvent => ({
  type: 'ConversationQueuedForRouting',
  data: { conversationId, channel, since: new Date(Date.UTC(2026, 0, 1, 9, 0, order)).toISOString(), order, revision },
});
const held = (conversationId: string, agentId: string, revision = 2): RoutingEvent => ({
  type: 'ConversationHeldByAgent',
  data: { conversationId, agentId, revision },
});
const left = (conversationId: string, revision = 3): RoutingEvent => ({ type: 'ConversationLeftRouting', data: { conversationId, revision } });
const routed = (conversationId: string, agentId: string, strategy: RoutingStrategy = 'round-robin'): RoutingEvent => ({
  type: 'ConversationRouted',
  data: { conversationId, agentId, strategy },
});
const withdrawn = (conversationId: string, agentId: string): RoutingEvent => ({ type: 'ConversationRouteWithdrawn', data: { conversationId, agentId } });

const agent = (agentId: string, capacity = 5, eligible = true): RoutingCandidate => ({ agentId, eligible, capacity });
const dispatch = (mode: 'off' | RoutingStrategy, candidates: RoutingCandidate[], channels: string[] = []): RoutingCommand => ({
  type: 'DispatchWaiting',
  data: { mode, channels, candidates },
});
const track = (conversationId: string, revision: number, status: Extract<RoutingCommand, { type: 'TrackConversation' }>['data']['status']): RoutingCommand => ({
  type: 'TrackConversation',
  data: { conversationId, revision, status },
});
const waiting = (order: number, channel = 'chat') => ({
  type: 'waiting' as const,
  channel,
  since: new Date(Date.UTC(2026, 0, 1, 9, 0, order)).toISOString(),
  order,
});

describe('routing ledger: round robin', () => {
  it('hands the waiting conversations out in turn, in agent-id order, oldest first', () => {
    given(decider, queued('c3', 30), queued('c1', 10), queued('c2', 20), queued('c4', 40))
      .when(dispatch('round-robin', [agent('bo'), agent('al'), agent('cy')]))
      .then([routed('c1', 'al'), routed('c2', 'bo'), routed('c3', 'cy'), routed('c4', 'al')]);
  });

  it('starts after the agent it handed a conversation to last', () => {
    given(decider, queued('c1', 1), routed('c1', 'al'), queued('c2', 2), queued('c3', 3))
      .when(dispatch('round-robin', [agent('al'), agent('bo'), agent('cy')]))
      .then([routed('c2', 'bo'), routed('c3', 'cy')]);
  });

  it('wraps around after the last agent in order, and keeps its place when that agent left the inbox', () => {
    given(decider, queued('c1', 1), routed('c1', 'dee'), queued('c2', 2), queued('c3', 3))
      .when(dispatch('round-robin', [agent('al'), agent('bo')]))
      .then([routed('c2', 'al'), routed('c3', 'bo')]);
    given(decider, queued('c1', 1), routed('c1', 'bz'), queued('c2', 2))
      .when(dispatch('round-robin', [agent('al'), agent('cy')]))
      .then([routed('c2', 'cy')]);
  });

  it('skips agents who are away, offline or not members (not eligible) and agents with capacity 0', () => {
    given(decider, queued('c1', 1), queued('c2', 2), queued('c3', 3))
      .when(dispatch('round-robin', [agent('al', 5, false), agent('bo'), agent('cy', 0), agent('dee')]))
      .then([routed('c1', 'bo'), routed('c2', 'dee'), routed('c3', 'bo')]);
  });

  it('skips an agent at capacity, counting what they hold whoever assigned it', () => {
    given(decider, held('x1', 'al'), held('x2', 'al'), queued('c1', 1), queued('c2', 2), queued('c3', 3))
      .when(dispatch('round-robin', [agent('al', 2), agent('bo', 1)]))
      .then([routed('c1', 'bo')]);
  });

  it('never hands out more than the capacities allow; the rest wait', () => {
    const arrivals = Array.from({ length: 12 }, (_, i) => queued(`c${String(i).padStart(2, '0')}`, i + 1));
    const events = decider.decide(dispatch('round-robin', [agent('al', 2), agent('bo', 3), agent('cy', 1)]), stateAfter(decider, ...arrivals));
    expect(events).toHaveLength(6);
    const state = stateAfter(decider, ...arrivals, ...events);
    expect(Object.fromEntries(loadsOf(state))).toEqual({ al: 2, bo: 3, cy: 1 });
    // The six oldest went; the six youngest wait, oldest first.
    expect(events.map((e) => (e.data as { conversationId: string }).conversationId)).toEqual(['c00', 'c01', 'c02', 'c03', 'c04', 'c05']);
    expect(queueOf(state).map((w) => w.conversationId)).toEqual(['c06', 'c07', 'c08', 'c09', 'c10', 'c11']);
    // Dispatching again hands out nothing: everyone is full.
    expect(decider.decide(dispatch('round-robin', [agent('al', 2), agent('bo', 3), agent('cy', 1)]), state)).toEqual([]);
  });
});

describe('routing ledger: balanced', () => {
  it('hands each conversation to the agent with the fewest open conversations', () => {
    given(decider, held('x1', 'al'), held('x2', 'al'), held('x3', 'bo'), queued('c1', 1), queued('c2', 2), queued('c3', 3))
      .when(dispatch('balanced', [agent('al'), agent('bo'), agent('cy')]))
      .then([routed('c1', 'cy', 'balanced'), routed('c2', 'bo', 'balanced'), routed('c3', 'cy', 'balanced')]);
  });

  it('breaks ties in turn after the agent handed a conversation last', () => {
    given(decider, queued('c0', 0), routed('c0', 'al', 'balanced'), left('c0'), queued('c1', 1))
      .when(dispatch('balanced', [agent('al'), agent('bo'), agent('cy')]))
      .then([routed('c1', 'bo', 'balanced')]);
    given(decider, queued('c1', 1), queued('c2', 2))
      .when(dispatch('balanced', [agent('cy'), agent('al'), agent('bo')]))
      .then([routed('c1', 'al', 'balanced'), routed('c2', 'bo', 'balanced')]);
  });

  it('never goes over capacity and never offers anything to an ineligible agent', () => {
    given(decider, held('x1', 'cy'), queued('c1', 1), queued('c2', 2), queued('c3', 3))
      .when(dispatch('balanced', [agent('al', 1), agent('bo', 5, false), agent('cy', 2)]))
      .then([routed('c1', 'al', 'balanced'), routed('c2', 'cy', 'balanced')]);
  });
});

describe('routing ledger: what is handed out', () => {
  it('mode off hands out nothing (the ledger still tracks)', () => {
    given(decider, queued('c1', 1))
      .when(dispatch('off', [agent('al')]))
      .then([]);
  });

  it('hands out only the channels the settings cover, oldest first among them; empty covers all', () => {
    given(decider, queued('c1', 1, 'email'), queued('c2', 2, 'chat'), queued('c3', 3, 'api'), queued('c4', 4, 'chat'))
      .when(dispatch('round-robin', [agent('al'), agent('bo')], ['chat', 'api']))
      .then([routed('c2', 'al'), routed('c3', 'bo'), routed('c4', 'al')]);
    given(decider, queued('c1', 1, 'email'))
      .when(dispatch('round-robin', [agent('al')], []))
      .then([routed('c1', 'al')]);
  });

  it('nothing to hand out with nobody eligible, or nobody waiting', () => {
    given(decider, queued('c1', 1))
      .when(dispatch('round-robin', [agent('al', 5, false), agent('bo', 0)]))
      .then([]);
    given(decider, queued('c1', 1)).when(dispatch('balanced', [])).then([]);
    given(decider, held('x1', 'al'))
      .when(dispatch('round-robin', [agent('al')]))
      .then([]);
  });

  it('a freed place goes to the oldest waiting conversation', () => {
    const history = [held('x1', 'al'), queued('c2', 20), queued('c1', 10)];
    given(decider, ...history)
      .when(dispatch('round-robin', [agent('al', 1)]))
      .then([]);
    given(decider, ...history, left('x1'))
      .when(dispatch('round-robin', [agent('al', 1)]))
      .then([routed('c1', 'al')]);
  });

  it('an agent coming back (eligible again) gets the waiting ones', () => {
    const history = [queued('c1', 1), queued('c2', 2)];
    given(decider, ...history)
      .when(dispatch('balanced', [agent('al', 5, false)]))
      .then([]);
    given(decider, ...history)
      .when(dispatch('balanced', [agent('al', 5, true)]))
      .then([routed('c1', 'al', 'balanced'), routed('c2', 'al', 'balanced')]);
  });

  it('the same ledger and candidates give the same decisions, whatever order the candidates come in', () => {
    const history = [queued('c1', 1), queued('c2', 2), queued('c3', 3), held('x', 'bo')];
    const a = decider.decide(dispatch('balanced', [agent('al'), agent('bo'), agent('cy')]), stateAfter(decider, ...history));
    const b = decider.decide(dispatch('balanced', [agent('cy'), agent('bo'), agent('al'), agent('al')]), stateAfter(decider, ...history));
    expect(b).toEqual(a);
  });

  it('refuses an unknown mode and a capacity that is not a whole number', () => {
    given(decider)
      .when(dispatch('fastest' as 'off', []))
      .thenThrows('invalid-input', /mode must be one of off, round-robin, balanced/);
    given(decider)
      .when(dispatch('balanced', [{ agentId: 'al', eligible: true, capacity: 1.5 }]))
      .thenThrows('invalid-input', /candidates\.al\.capacity/);
  });
});

describe('routing ledger: tracking conversations', () => {
  it('queues a waiting conversation once; a later revision in the same wait changes nothing', () => {
    given(decider)
      .when(track('c1', 1, waiting(7)))
      .then([queued('c1', 7, 'chat', 1)]);
    given(decider, queued('c1', 7, 'chat', 1))
      .when(track('c1', 4, waiting(7)))
      .then([]);
  });

  it('an agent holding it counts towards their load; closing, the bot or a hidden view takes it out', () => {
    given(decider, queued('c1', 1))
      .when(track('c1', 2, { type: 'held', agentId: 'al' }))
      .then([held('c1', 'al', 2)]);
    given(decider, held('c1', 'al', 2))
      .when(track('c1', 3, { type: 'none' }))
      .then([left('c1', 3)]);
    given(decider)
      .when(track('c1', 3, { type: 'none' }))
      .then([]);
  });

  it('ignores a revision older than what it holds', () => {
    given(decider, held('c1', 'al', 5))
      .when(track('c1', 4, waiting(1)))
      .then([]);
  });

  it('a hand-out stays the agent\u2019s while the conversation still waits in that same wait (its assignment is on its way)', () => {
    const history = [queued('c1', 1), routed('c1', 'al')];
    given(decider, ...history)
      .when(track('c1', 2, waiting(1)))
      .then([]);
    expect(pendingRoutes(stateAfter(decider, ...history))).toEqual([{ conversationId: 'c1', agentId: 'al', strategy: 'round-robin' }]);
    // Seen held by the agent: carried out, no longer pending.
    given(decider, ...history)
      .when(track('c1', 2, { type: 'held', agentId: 'al' }))
      .then([held('c1', 'al', 2)]);
    expect(pendingRoutes(stateAfter(decider, ...history, held('c1', 'al', 2)))).toEqual([]);
    // Someone else was quicker: theirs now, and the agent's place is free again.
    given(decider, ...history)
      .when(track('c1', 2, { type: 'held', agentId: 'bo' }))
      .then([held('c1', 'bo', 2)]);
    // Taken and given back since (a new wait): queued again.
    given(decider, ...history)
      .when(track('c1', 4, waiting(9)))
      .then([queued('c1', 9, 'chat', 4)]);
  });

  it('a hand-out not carried out can be withdrawn: the conversation waits again in its old place', () => {
    const history = [queued('c2', 2), queued('c1', 1), routed('c1', 'al')];
    given(decider, ...history)
      .when({ type: 'WithdrawRoute', data: { conversationId: 'c1' } })
      .then([withdrawn('c1', 'al')]);
    const state = stateAfter(decider, ...history, withdrawn('c1', 'al'));
    expect(queueOf(state).map((w) => w.conversationId)).toEqual(['c1', 'c2']);
    expect(loadsOf(state).get('al')).toBeUndefined();
    given(decider, held('c1', 'al'))
      .when({ type: 'WithdrawRoute', data: { conversationId: 'c1' } })
      .then([]);
  });

  it('refuses a track without a conversation id or with a bad revision', () => {
    given(decider)
      .when(track('', 1, { type: 'none' }))
      .thenThrows('invalid-input', /conversationId must not be empty/);
    given(decider)
      .when(track('c1', -1, { type: 'none' }))
      .thenThrows('invalid-input', /revision/);
  });
});
