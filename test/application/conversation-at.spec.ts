import { randomUUID } from 'node:crypto';
import type { NewEvent, RecordedEvent } from '../../src/application/ports/event-store.port';
import type { ReadStore } from '../../src/application/ports/read-store.port';
import { CHANNELS, type Assignee } from '../../src/domain/shared/types';
import { agentIdsOf, conversationAt, conversationDetailOf, eventsUntil, foldConversation, type DetailContext } from '../../src/projections/conversation-at';
import {
  agentEvent,
  append,
  at,
  cleanUp,
  cleanUpTempDirs,
  conversationEvent as e,
  inboxEvent,
  newEvent,
  openLiveSystem,
  recorded,
  seededRandom,
} from '../projections/fixtures';

afterEach(cleanUp);
afterAll(cleanUpTempDirs);

const INBOX = 'inbox-at';
const ADA = 'agent-ada';
const BOB = 'agent-bob';
const NAMES: Record<string, string> = { [ADA]: 'Ada', [BOB]: 'Bob' };
const context: DetailContext = { agentName: (id) => NAMES[id] ?? 'Unknown agent', inboxAddress: 'support@acme.test' };

/** The event as recorded at `minutes` past T0 (the fixtures' builders all say at(0)). */
const when = (minutes: number, event: NewEvent): NewEvent => ({ ...event, metadata: { ...event.metadata, occurredAt: at(minutes) } });

/** A stream as the store would return it: revisions from 0, positions from 100. */
function stream(conversationId: string, ...events: NewEvent[]): RecordedEvent[] {
  return events.map((event, revision) => recorded(event, `conversation-${conversationId}`, revision, 100 + revision));
}

describe('conversationAt (the pure ?at= fold)', () => {
  const id = randomUUID();
  const replyId = randomUUID();
  const history = stream(
    id,
    when(0, e.started({ conversationId: id, inboxId: INBOX, subject: 'Broken kettle', startedAt: at(0) })),
    when(0, e.received({ receivedAt: at(0), text: 'My kettle is broken', messageId: 'm-1' })),
    when(10, e.assigned({ type: 'agent', id: ADA })),
    when(20, e.replied({ authorId: ADA, messageId: replyId, text: 'Sending a new one', queuedAt: at(20) })),
    when(21, e.delivered(replyId)),
    when(30, e.commented(BOB, 'refund approved', 'c-1')),
    when(40, e.closed()),
  );

  it('is null before the conversation started', () => {
    expect(conversationAt(history, new Date(Date.parse(at(0)) - 1), context)).toBeNull();
  });

  it('shows the conversation unassigned and open with its first message right after it started', () => {
    const detail = conversationAt(history, new Date(at(5)), context)!;
    expect(detail).toMatchObject({ id, status: 'open', assignee: null, subject: 'Broken kettle', revision: 1, awaitingReply: true });
    expect(detail.messages).toEqual([
      expect.objectContaining({ id: 'm-1', direction: 'in', channel: 'email', text: 'My kettle is broken', delivery: null, authorId: null }),
    ]);
    expect(detail.comments).toEqual([]);
  });

  it('includes an event recorded exactly at the instant asked for', () => {
    expect(conversationAt(history, new Date(at(10)), context)!.assignee).toEqual({ type: 'agent', id: ADA, name: 'Ada' });
    expect(conversationAt(history, new Date(Date.parse(at(10)) - 1), context)!.assignee).toBeNull();
  });

  it('signs a reply with the inbox address and its author, and follows its delivery', () => {
    const queued = conversationAt(history, new Date(at(20)), context)!;
    expect(queued.messages[1]).toMatchObject({
      id: replyId,
      direction: 'out',
      from: { address: 'support@acme.test', name: 'Ada' },
      delivery: { status: 'queued' },
    });
    expect(queued.awaitingReply).toBe(false);
    expect(conversationAt(history, new Date(at(25)), context)!.messages[1].delivery).toEqual({ status: 'delivered' });
  });

  it('shows comments with their author name, and the close at the end', () => {
    const commented = conversationAt(history, new Date(at(35)), context)!;
    expect(commented.comments).toEqual([{ id: 'c-1', author: { id: BOB, name: 'Bob' }, text: 'refund approved', mentions: [], at: at(3) }]);
    expect(commented.status).toBe('open');
    const closed = conversationAt(history, new Date(at(60)), context)!;
    expect(closed).toMatchObject({ status: 'closed', revision: 6 });
  });

  it('is null once the conversation was deleted forever', () => {
    const deleted = [...history, recorded(when(50, e.deleted()), `conversation-${id}`, 7, 107)];
    expect(conversationAt(deleted, new Date(at(45)), context)).not.toBeNull();
    expect(conversationAt(deleted, new Date(at(50)), context)).toBeNull();
  });

  it('keeps the first of two messages with one id, as the thread read model does', () => {
    const twice = stream(
      id,
      e.started({ conversationId: id, inboxId: INBOX }),
      e.received({ receivedAt: at(1), text: 'first', messageId: 'same' }),
      e.received({ receivedAt: at(2), text: 'second', messageId: 'same' }),
    );
    expect(conversationAt(twice, new Date(at(9)), context)!.messages.map((m) => m.text)).toEqual(['first']);
  });

  it('marks a failed delivery as retrying or failed with the reason', () => {
    const failed = stream(
      id,
      e.started({ conversationId: id, inboxId: INBOX }),
      e.replied({ authorId: ADA, messageId: 'r-1' }),
      e.deliveryFailed('r-1', true, 'relay busy'),
      e.replied({ authorId: ADA, messageId: 'r-2' }),
      e.deliveryFailed('r-2', false, 'mailbox unknown'),
    );
    expect(conversationAt(failed, new Date(at(9)), context)!.messages.map((m) => m.delivery)).toEqual([
      { status: 'retrying', reason: 'relay busy' },
      { status: 'failed', reason: 'mailbox unknown' },
    ]);
  });

  it('selects events by occurredAt, and names every agent the detail shows', () => {
    expect(eventsUntil(history, new Date(at(20))).map((event) => event.revision)).toEqual([0, 1, 2, 3]);
    expect(agentIdsOf(foldConversation(history)).sort()).toEqual([ADA, BOB].sort());
    expect(conversationDetailOf(foldConversation([]), context)).toBeNull();
  });
});

describe('conversationAt for "now" equals the live read model', () => {
  /** Random but plausible conversations through the real store while the projections follow. */
  async function simulate(seed: number) {
    const live = openLiveSystem();
    const random = seededRandom(seed);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)];
    const agents = [ADA, BOB, 'agent-cy'];
    await append(live.store, `inbox-${INBOX}`, inboxEvent.created(INBOX, 'Support', 'support@acme.test', true));
    for (const agentId of agents) await append(live.store, `agent-${agentId}`, agentEvent.registered(agentId, `Agent ${agentId}`, `${agentId}@acme.test`));
    const ids = Array.from({ length: 12 }, () => randomUUID());
    const replies = new Map<string, string[]>(ids.map((id) => [id, []]));
    const tickets = new Map<string, string>();
    const received = new Map<string, string[]>();
    for (const id of ids) {
      await append(
        live.store,
        `conversation-${id}`,
        e.started({ conversationId: id, inboxId: INBOX, channel: pick(CHANNELS), origin: random() < 0.2 ? 'outbound' : 'inbound' }),
      );
    }
    for (let step = 0; step < 300; step += 1) {
      if (step === 150) await append(live.store, `agent-${BOB}`, agentEvent.updated({ name: 'Robert' }));
      if (step === 200) await append(live.store, 'agent-agent-cy', agentEvent.removed('agent-cy'));
      const id = pick(ids);
      const assignees: Array<Exclude<Assignee, null>> = [{ type: 'bot' }, ...agents.map((agentId) => ({ type: 'agent' as const, id: agentId }))];
      const ownReplies = replies.get(id)!;
      const choices: Array<() => NewEvent> = [
        () => e.received({ receivedAt: at(step), from: { address: pick(['ana@example.com', 'bob@example.org']) }, text: `message ${step}` }),
        () => {
          const messageId = randomUUID();
          ownReplies.push(messageId);
          return e.replied({ authorId: pick([...agents, 'system']), messageId, channel: pick(CHANNELS) });
        },
        () => (ownReplies.length > 0 ? e.delivered(pick(ownReplies)) : e.botHandoff()),
        () => (ownReplies.length > 0 ? e.deliveryFailed(pick(ownReplies), random() < 0.5) : e.botHandoff()),
        () => e.assigned(pick(assignees)),
        () => e.unassigned({ type: 'agent', id: pick(agents) }),
        () => e.closed(),
        () => e.reopened(),
        () => e.commented(pick(agents), `note ${step}`),
        () => pick([e.spam(), e.notSpam(), e.filtered('ana@example.com'), e.unfiltered('ana@example.com'), e.trashed(), e.restored()]),
        // What Meta reports of a reply (receipts, a later failure), and the contact's reactions, replaced and taken away.
        () =>
          ownReplies.length > 0
            ? newEvent('ReplyStatusReported', {
                messageId: pick(ownReplies),
                status: pick(['delivered', 'read', 'failed']),
                reason: 'undeliverable',
                at: at(step),
              })
            : e.botHandoff(),
        () => {
          const targets = [...ownReplies, ...(received.get(id) ?? [])];
          if (targets.length === 0) return e.botHandoff();
          const from = { address: pick(['+31611111111', '+31622222222']) };
          return newEvent('ReactionReceived', {
            externalMessageId: randomUUID(),
            messageId: pick(targets),
            from,
            emoji: pick(['👍', '❤️', '']),
            receivedAt: at(step),
          });
        },
        () => {
          const messageId = randomUUID();
          received.set(id, [...(received.get(id) ?? []), messageId]);
          return newEvent('MessageReceived', {
            messageId,
            externalMessageId: randomUUID(),
            from: { address: '+31611111111' },
            to: [],
            subject: '',
            text: `form ${step}`,
            attachments: [],
            receivedAt: at(step),
            fields: [{ key: 'order', label: { en: 'Order', nl: 'Bestelling' }, value: String(step) }],
          });
        },
        () => {
          const ticketId = tickets.get(id) ?? randomUUID();
          tickets.set(id, ticketId);
          return pick([e.ticketCreated(ticketId), e.ticketClosed(ticketId), e.contactUnlinked('x')]);
        },
      ];
      await append(live.store, `conversation-${id}`, pick(choices)());
    }
    await live.caughtUp();
    return { live, ids };
  }

  async function contextFrom(readStore: ReadStore, events: RecordedEvent[]): Promise<DetailContext> {
    const names = await readStore.agentDisplayNames(agentIdsOf(foldConversation(events)));
    const inbox = await readStore.getInbox(INBOX);
    return { agentName: (agentId) => names.get(agentId)!, inboxAddress: inbox?.emailAddress ?? '' };
  }

  it.each([1, 2, 3])('for every conversation of random history %i', async (seed) => {
    const { live, ids } = await simulate(seed);
    const now = new Date(Date.parse(at(0)) + 24 * 3600_000);
    const seen = { messages: 0, comments: 0, delivered: 0, agentAssignees: 0, receipts: 0, reactions: 0, fields: 0 };
    for (const id of ids) {
      const events = await live.store.readStream(`conversation-${id}`);
      const folded = conversationAt(events, now, await contextFrom(live.readStore, events));
      expect(folded).toEqual(await live.readStore.getConversation(id));
      seen.messages += folded!.messages.length;
      seen.comments += folded!.comments.length;
      seen.delivered += folded!.messages.filter((m) => m.delivery?.status === 'delivered').length;
      seen.agentAssignees += folded!.assignee?.type === 'agent' ? 1 : 0;
      seen.receipts += folded!.messages.filter((m) => m.delivery?.receipt !== undefined || m.delivery?.at !== undefined).length;
      seen.reactions += folded!.messages.filter((m) => m.reactions?.length).length;
      seen.fields += folded!.messages.filter((m) => m.fields?.length).length;
    }
    // The histories are rich enough for the comparison to mean something.
    for (const [what, count] of Object.entries(seen)) expect({ what, some: count > 0 }).toEqual({ what, some: true });
  });

  it('resolves names as the live detail does: renamed, removed, system, never seen', async () => {
    const { live } = await simulate(4);
    const names = await live.readStore.agentDisplayNames([BOB, 'agent-cy', 'system', 'agent-nobody']);
    expect(Object.fromEntries(names)).toEqual({ [BOB]: 'Robert', 'agent-cy': 'Agent agent-cy', system: 'System', 'agent-nobody': 'Unknown agent' });
  });
});
