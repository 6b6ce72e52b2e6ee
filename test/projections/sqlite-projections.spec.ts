import { randomUUID } from 'node:crypto';
import type { Database } from 'better-sqlite3';
import type { EventStore, NewEvent, RecordedEvent } from '../../src/application/ports/event-store.port';
import { CHANNELS, type Assignee } from '../../src/domain/shared/types';
import { evolveConversationDoc, type ConversationDoc } from '../../src/projections/conversation-summary';
import { sqliteProjections } from '../../src/projections/sqlite';
import { conversationsProjection } from '../../src/projections/sqlite/conversations.projection';
import { viewMembership } from '../../src/projections/views';
import { databaseFile } from '../../src/infrastructure/sqlite/open-database';
import {
  agentEvent,
  append,
  at,
  cleanUp,
  cleanUpTempDirs,
  conversationEvent as e,
  dumpReadModels,
  inboxEvent,
  newDataDir,
  openLiveSystem,
  openReadSide,
  recorded,
  seededRandom,
  senderEvent,
} from './fixtures';

afterEach(cleanUp);
afterAll(cleanUpTempDirs);

const INBOXES = ['inbox-a', 'inbox-b'];
const AGENTS = ['agent-1', 'agent-2', 'agent-3'];
const ADDRESSES = ['ana@example.com', 'bob@example.com', 'visitor-42'];

interface SimulatedConversation {
  id: string;
  inboxId: string;
  started: boolean;
  replyIds: string[];
  ticketId: string | null;
}

type Live = ReturnType<typeof openLiveSystem>;

/**
 * Drives a random but plausible history through the real event store while the runner follows
 * it live, including delete-forever (the event, then the stream deletion, as the saga does).
 */
async function simulate(live: Live, seed: number, steps: number): Promise<{ deletions: number }> {
  let deletions = 0;
  const random = seededRandom(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)];
  const { store } = live;

  for (const [i, inboxId] of INBOXES.entries())
    await append(store, `inbox-${inboxId}`, inboxEvent.created(inboxId, `Inbox ${i}`, `${inboxId}@acme.test`, i === 0));
  for (const agentId of AGENTS) await append(store, `agent-${agentId}`, agentEvent.registered(agentId, `Agent ${agentId}`, `${agentId}@acme.test`));
  await append(store, `inbox-${INBOXES[0]}`, inboxEvent.membersSet(AGENTS));

  const conversations: SimulatedConversation[] = Array.from({ length: 30 }, () => ({
    id: randomUUID(),
    inboxId: pick(INBOXES),
    started: false,
    replyIds: [],
    ticketId: null,
  }));

  for (let step = 0; step < steps; step += 1) {
    if (random() < 0.05) {
      const change = random();
      await append(
        store,
        `agent-${pick(AGENTS)}`,
        change < 0.4
          ? agentEvent.updated({ name: `Renamed ${step}` })
          : change < 0.7
            ? agentEvent.availability('away')
            : agentEvent.preferences(random() < 0.5 ? { language: pick(['en', 'nl', null] as const) } : { timeZone: pick(['Europe/Amsterdam', 'UTC', null]) }),
      );
      continue;
    }
    if (random() < 0.04) {
      const inboxId = pick(INBOXES);
      const address = pick(ADDRESSES);
      await append(store, `sender-${inboxId}-${address}`, random() < 0.6 ? senderEvent.blocked(inboxId, address) : senderEvent.unblocked(inboxId, address));
      continue;
    }
    const conversation = pick(conversations);
    const streamId = `conversation-${conversation.id}`;
    if (!conversation.started) {
      const origin = random() < 0.25 ? 'outbound' : 'inbound';
      await append(
        store,
        streamId,
        e.started({
          conversationId: conversation.id,
          inboxId: conversation.inboxId,
          channel: pick(CHANNELS),
          origin,
          startedAt: at(Math.floor(random() * 10)),
        }),
      );
      conversation.started = true;
      continue;
    }
    const event = randomConversationEvent(conversation, pick, random);
    if (event === 'delete') {
      const position = await append(store, streamId, e.deleted());
      expect(await live.runner.waitFor(position, 5000)).toBe(true);
      await store.deleteStream(streamId);
      Object.assign(conversation, { started: false, replyIds: [], ticketId: null });
      deletions += 1;
    } else {
      await append(store, streamId, event);
    }
  }
  return { deletions };
}

function randomConversationEvent(conversation: SimulatedConversation, pick: <T>(items: readonly T[]) => T, random: () => number): NewEvent | 'delete' {
  const assignees: Array<Exclude<Assignee, null>> = [{ type: 'bot' }, ...AGENTS.map((id) => ({ type: 'agent' as const, id }))];
  // Weighted so that histories reach every view, not only the sticky spam / filtered / trash flags.
  const kinds: Array<[number, () => NewEvent | 'delete']> = [
    [6, () => e.received({ receivedAt: at(Math.floor(random() * 20)), from: { address: pick(ADDRESSES) } })],
    [
      4,
      () => {
        const messageId = randomUUID();
        conversation.replyIds.push(messageId);
        return e.replied({ authorId: pick(AGENTS), messageId });
      },
    ],
    [
      1,
      () => {
        const messageId = randomUUID();
        conversation.replyIds.push(messageId);
        return e.transcriptSent({ messageId, authorId: random() < 0.5 ? pick(AGENTS) : undefined });
      },
    ],
    [2, () => (conversation.replyIds.length ? e.delivered(pick(conversation.replyIds)) : e.botHandoff())],
    [2, () => (conversation.replyIds.length ? e.deliveryFailed(pick(conversation.replyIds), random() < 0.5) : e.botHandoff())],
    [6, () => e.assigned(pick(assignees))],
    [2, () => e.unassigned({ type: 'agent', id: pick(AGENTS) })],
    [3, () => e.closed()],
    [3, () => e.reopened()],
    [2, () => e.commented(pick(AGENTS), `note ${Math.floor(random() * 100)}`)],
    [1, () => e.spam()],
    [2, () => e.notSpam()],
    [1, () => e.filtered(pick(ADDRESSES))],
    [2, () => e.unfiltered(pick(ADDRESSES))],
    [1, () => e.trashed(at(30), at(Math.floor(random() * 100)))],
    [2, () => e.restored()],
    [
      1,
      () => {
        conversation.ticketId = randomUUID();
        return e.ticketCreated(conversation.ticketId);
      },
    ],
    [1, () => (conversation.ticketId ? e.ticketClosed(conversation.ticketId) : e.botHandoff())],
    [1, () => e.contactUnlinked('contact')],
    [1, () => 'delete' as const],
  ];
  let ticket = random() * kinds.reduce((sum, [weight]) => sum + weight, 0);
  for (const [weight, make] of kinds) {
    ticket -= weight;
    if (ticket < 0) return make();
  }
  return kinds[0][1]();
}

async function readWholeLog(store: EventStore): Promise<RecordedEvent[]> {
  const events: RecordedEvent[] = [];
  for (
    let page = await store.readAll({ after: 0, maxCount: 500 });
    page.length > 0;
    page = await store.readAll({ after: events[events.length - 1].position, maxCount: 500 })
  ) {
    events.push(...page);
  }
  return events;
}

/** The documents the pure fold gives for the log as it is now. */
function foldConversations(events: RecordedEvent[]): Map<string, ConversationDoc> {
  const docs = new Map<string, ConversationDoc | null>();
  for (const event of events) {
    if (!event.streamId.startsWith('conversation-')) continue;
    const id = event.streamId.slice('conversation-'.length);
    docs.set(id, evolveConversationDoc(docs.get(id) ?? null, event));
  }
  return new Map([...docs].filter((entry): entry is [string, ConversationDoc] => entry[1] !== null));
}

function membershipFromCounts(db: Database) {
  return {
    counted: db.prepare('SELECT inbox_id, view_id, agent_id, count FROM view_counts ORDER BY 1, 2, 3').all(),
    actual: db.prepare('SELECT inbox_id, view_id, agent_id, COUNT(*) AS count FROM view_membership GROUP BY 1, 2, 3 ORDER BY 1, 2, 3').all(),
  };
}

describe.each([1, 7, 2024])('SQLite projections over a random history (seed %i)', (seed) => {
  let live: Live;
  let log: RecordedEvent[];

  beforeEach(async () => {
    live = openLiveSystem();
    const { deletions } = await simulate(live, seed, 500);
    expect(deletions).toBeGreaterThan(0);
    await live.caughtUp();
    log = await readWholeLog(live.store);
  });

  it('keeps every view count equal to COUNT(*) of its membership rows, with no zero rows', () => {
    const { counted, actual } = membershipFromCounts(live.db);
    expect(counted).toEqual(actual);
    expect(counted.length).toBeGreaterThan(0);
  });

  it('stores exactly the documents and view memberships that the pure functions give', () => {
    const expected = foldConversations(log);
    const stored = live.db.prepare('SELECT id, doc FROM rm_conversations').all() as Array<{ id: string; doc: string }>;
    expect(new Map(stored.map((row) => [row.id, JSON.parse(row.doc)]))).toEqual(expected);

    const expectedMembership = [...expected.values()]
      .flatMap((doc) => viewMembership(doc).map((m) => [doc.inboxId, m.viewId, m.agentId, doc.lastReceivedAt, doc.id].join('|')))
      .sort();
    const storedMembership = (live.db.prepare('SELECT * FROM view_membership').all() as Array<Record<string, string>>)
      .map((r) => [r.inbox_id, r.view_id, r.agent_id, r.last_received_at, r.conversation_id].join('|'))
      .sort();
    expect(storedMembership).toEqual(expectedMembership);
  });

  it('replaying the whole log into an empty database gives the same read models', async () => {
    const replay = openReadSide(databaseFile(newDataDir()), live.store, { batchSize: 37 });
    replay.runner.start();
    expect(await replay.runner.waitFor(log[log.length - 1].position, 10_000)).toBe(true);
    expect(dumpReadModels(replay.db)).toEqual(dumpReadModels(live.db));
  });

  it('applying every event twice gives the same read models as applying it once', () => {
    const twice = openReadSide(databaseFile(newDataDir()), live.store);
    twice.db.transaction(() => {
      for (const event of log) {
        for (const projection of sqliteProjections) {
          if (!projection.handles.includes(event.type)) continue;
          projection.apply(event, twice.db);
          projection.apply(event, twice.db);
        }
      }
    })();
    expect(dumpReadModels(twice.db)).toEqual(dumpReadModels(live.db));
  });
});

describe('conversations projection outside the runner', () => {
  it('ignores an event at or below the position it last applied to that conversation', () => {
    const { db } = openReadSide(databaseFile(newDataDir()), openLiveSystem().store);
    const id = randomUUID();
    const stream = `conversation-${id}`;
    const events = [
      recorded(e.started({ conversationId: id, inboxId: 'inbox-a' }), stream, 0, 10),
      recorded(e.received({ receivedAt: at(5) }), stream, 1, 11),
      recorded(e.closed(), stream, 2, 12),
    ];
    const apply = (event: RecordedEvent) => db.transaction(() => conversationsProjection.apply(event, db))();
    events.forEach(apply);
    const settled = dumpReadModels(db);

    apply(events[1]);
    apply(events[0]);
    expect(dumpReadModels(db)).toEqual(settled);
    expect(JSON.parse((db.prepare('SELECT doc FROM rm_conversations').get() as { doc: string }).doc)).toMatchObject({ status: 'closed', revision: 2 });
  });
});
