import { randomUUID } from 'node:crypto';
import type { Database } from 'better-sqlite3';
import type { NewEvent } from '../../src/application/ports/event-store.port';
import { buildAgentReport, durationStats, nearestRank } from '../../src/application/reports/agent-report';
import type { Actor } from '../../src/domain/shared/actor';
import { databaseFile } from '../../src/infrastructure/sqlite/open-database';
import { REPORT_SQL } from '../../src/infrastructure/read-store/sqlite-reports';
import { append, cleanUp, cleanUpTempDirs, newDataDir, newEvent, openEventStore, openLiveSystem, openReadSide } from './fixtures';

afterEach(cleanUp);
afterAll(cleanUpTempDirs);

/** Minutes after 2026-03-02 09:00 UTC, as an ISO instant. */
const T = (minutes: number) => new Date(Date.parse('2026-03-02T09:00:00.000Z') + minutes * 60_000).toISOString();
const agentActor = (id: string): Actor => ({ type: 'agent', id });
const contact: Actor = { type: 'contact', address: 'ana@example.com' };
const system: Actor = { type: 'system' };

const INBOX = 'inbox-reports';
const OTHER_INBOX = 'inbox-other';
const ANN = 'agent-ann';
const BOB = 'agent-bob';

/** The events of one conversation, each at its own time and with its own actor. */
const ev = {
  started: (conversationId: string, minute: number, inboxId = INBOX, origin: 'inbound' | 'outbound' = 'inbound') =>
    newEvent(
      'ConversationStarted',
      {
        conversationId,
        inboxId,
        channel: 'email',
        origin,
        externalThreadId: randomUUID(),
        contact: { id: randomUUID(), address: 'ana@example.com' },
        subject: 'Order',
        startedAt: T(minute),
      },
      { occurredAt: T(minute), actor: origin === 'inbound' ? contact : agentActor(ANN) },
    ),
  received: (minute: number) =>
    newEvent(
      'MessageReceived',
      {
        messageId: randomUUID(),
        externalMessageId: randomUUID(),
        from: { address: 'ana@example.com' },
        to: [],
        subject: 'Order',
        text: 'Hello',
        attachments: [],
        receivedAt: T(minute),
      },
      { occurredAt: T(minute), actor: contact },
    ),
  reply: (authorId: string, minute: number, actor: Actor = authorId.startsWith('bot:') ? { type: 'bot' } : agentActor(authorId)) =>
    newEvent(
      'ReplyQueued',
      { messageId: randomUUID(), authorId, channel: 'email', to: [], subject: 'Re: Order', text: 'Hi', queuedAt: T(minute) },
      { occurredAt: T(minute), actor },
    ),
  assigned: (agentId: string, minute: number, via?: 'round-robin' | 'balanced') =>
    newEvent(
      'ConversationAssigned',
      { assignee: { type: 'agent', id: agentId }, previous: null, ...(via ? { via } : {}) },
      { occurredAt: T(minute), actor: system },
    ),
  assignedToBot: (minute: number) =>
    newEvent('ConversationAssigned', { assignee: { type: 'bot' }, previous: null, via: 'inbox-bot' }, { occurredAt: T(minute), actor: system }),
  unassigned: (minute: number) =>
    newEvent('ConversationUnassigned', { previous: { type: 'bot' }, reason: 'bot-handoff' }, { occurredAt: T(minute), actor: contact }),
  closed: (minute: number, actor: Actor = system) => newEvent('ConversationClosed', { closedAt: T(minute) }, { occurredAt: T(minute), actor }),
  reopened: (minute: number) =>
    newEvent('ConversationReopened', { reason: 'inbound-message', reopenedAt: T(minute) }, { occurredAt: T(minute), actor: contact }),
  deleted: (minute: number) => newEvent('ConversationDeleted', { reason: 'agent' }, { occurredAt: T(minute), actor: agentActor(ANN) }),
};

type Live = ReturnType<typeof openLiveSystem>;

async function conversation(live: Live, ...events: NewEvent[]): Promise<string> {
  const id = (events[0].data as { conversationId: string }).conversationId;
  await append(live.store, `conversation-${id}`, ...events);
  return id;
}

function stored(db: Database, id: string) {
  const row = db.prepare('SELECT doc FROM rm_report_conversations WHERE id = ?').get(id) as { doc: string } | undefined;
  return row ? JSON.parse(row.doc) : null;
}

const WHOLE_DAY = { from: T(-60), to: T(24 * 60), inboxIds: [INBOX, OTHER_INBOX] };

describe('reports read model: the facts of a conversation from its events', () => {
  it('first response runs from the contact’s first message to the first reply of an agent; bot replies do not count', async () => {
    const live = openLiveSystem();
    const id = await conversation(
      live,
      ev.started(randomUUID(), 0),
      ev.received(0),
      ev.reply('bot:greeter', 1),
      ev.received(2), // a second message does not move the start of the clock
      ev.reply(BOB, 5),
      ev.reply(ANN, 9), // nor does a later reply count again
    );
    await live.caughtUp();
    expect(stored(live.db, id).firstResponse).toEqual({ agentId: BOB, at: T(5), seconds: 300 });
    const facts = await live.readStore.reportFacts(WHOLE_DAY);
    expect(facts.firstResponses).toEqual([{ agentId: BOB, inboxId: INBOX, seconds: 300 }]);
  });

  it('an outbound conversation: the agent’s opening message is no response; the first reply after the contact answers is', async () => {
    const live = openLiveSystem();
    const id = await conversation(live, ev.started(randomUUID(), 0, INBOX, 'outbound'), ev.reply(ANN, 0), ev.received(30), ev.reply(ANN, 32));
    await live.caughtUp();
    expect(stored(live.db, id)).toMatchObject({ firstContactAt: T(30), firstResponse: { agentId: ANN, at: T(32), seconds: 120 } });
  });

  it('no contact message yet: no first response at all', async () => {
    const live = openLiveSystem();
    const id = await conversation(live, ev.started(randomUUID(), 0, INBOX, 'outbound'), ev.reply(ANN, 0), ev.reply(ANN, 10));
    await live.caughtUp();
    expect(stored(live.db, id)).toMatchObject({ firstContactAt: null, firstResponse: null });
    expect((await live.readStore.reportFacts(WHOLE_DAY)).firstResponses).toEqual([]);
  });

  it('every assignment to an agent is kept (reassignments too); the bot’s are not; a conversation counts once per agent', async () => {
    const live = openLiveSystem();
    const id = await conversation(
      live,
      ev.started(randomUUID(), 0),
      ev.received(0),
      ev.assignedToBot(0),
      ev.unassigned(3),
      ev.assigned(ANN, 3, 'round-robin'),
      ev.assigned(BOB, 10),
      ev.assigned(ANN, 20),
    );
    await live.caughtUp();
    expect(stored(live.db, id).assignments).toEqual([
      { agentId: ANN, at: T(3), via: 'round-robin' },
      { agentId: BOB, at: T(10), via: 'manual' },
      { agentId: ANN, at: T(20), via: 'manual' },
    ]);
    const facts = await live.readStore.reportFacts(WHOLE_DAY);
    expect(facts.assigned.sort((a, b) => a.agentId.localeCompare(b.agentId))).toEqual([
      { agentId: ANN, inboxId: INBOX, conversations: 1 },
      { agentId: BOB, inboxId: INBOX, conversations: 1 },
    ]);
  });

  it('a reopen starts a new resolution: each close is one, from the start or the reopen, credited to the assignee then (else the closing agent)', async () => {
    const live = openLiveSystem();
    const id = await conversation(
      live,
      ev.started(randomUUID(), 0),
      ev.received(0),
      ev.assigned(ANN, 1),
      ev.closed(60, agentActor(ANN)),
      ev.reopened(120),
      ev.assigned(BOB, 121),
      ev.closed(150, agentActor(ANN)), // Ann closes Bob's conversation: Bob resolved it
      ev.reopened(200),
      ev.unassigned(201),
      ev.closed(210, agentActor(ANN)), // nobody assigned: the closing agent
      ev.reopened(300),
      ev.closed(330, system), // nobody assigned, the system closed it: credited to no agent
    );
    await live.caughtUp();
    expect(stored(live.db, id).resolutions).toEqual([
      { agentId: ANN, at: T(60), seconds: 3600 },
      { agentId: BOB, at: T(150), seconds: 1800 },
      { agentId: ANN, at: T(210), seconds: 600 },
      { agentId: null, at: T(330), seconds: 1800 },
    ]);
    const facts = await live.readStore.reportFacts(WHOLE_DAY);
    expect(facts.resolutions.map((r) => [r.agentId, r.seconds]).sort()).toEqual([
      [ANN, 3600],
      [ANN, 600],
      [BOB, 1800],
    ]);
  });

  it('the period is [from, to) on the time of each fact, and only the inboxes asked for', async () => {
    const live = openLiveSystem();
    await conversation(live, ev.started(randomUUID(), 0), ev.received(0), ev.assigned(ANN, 10), ev.reply(ANN, 20), ev.closed(30, agentActor(ANN)));
    await conversation(live, ev.started(randomUUID(), 0, OTHER_INBOX), ev.received(0), ev.assigned(BOB, 10));
    await live.caughtUp();
    const facts = (from: number, to: number, inboxIds = [INBOX]) => live.readStore.reportFacts({ from: T(from), to: T(to), inboxIds });
    const counts = async (from: number, to: number, inboxIds?: string[]) => {
      const f = await facts(from, to, inboxIds);
      return [f.assigned.length, f.firstResponses.length, f.resolutions.length];
    };
    expect(await counts(10, 30)).toEqual([1, 1, 0]); // the close at 30 is not before 30
    expect(await counts(11, 31)).toEqual([0, 1, 1]);
    expect(await counts(0, 10)).toEqual([0, 0, 0]);
    expect(await counts(0, 60, [OTHER_INBOX])).toEqual([1, 0, 0]);
    expect(await counts(0, 60, [])).toEqual([0, 0, 0]);
  });

  it('a conversation deleted forever leaves the report entirely (the log no longer holds it)', async () => {
    const live = openLiveSystem();
    const id = await conversation(live, ev.started(randomUUID(), 0), ev.received(0), ev.assigned(ANN, 1), ev.reply(ANN, 2), ev.closed(3, agentActor(ANN)));
    await live.caughtUp();
    expect((await live.readStore.reportFacts(WHOLE_DAY)).resolutions).toHaveLength(1);
    await append(live.store, `conversation-${id}`, ev.deleted(4));
    await live.caughtUp();
    expect(stored(live.db, id)).toBeNull();
    for (const table of ['rm_report_assignments', 'rm_report_first_responses', 'rm_report_resolutions'])
      expect({ table, rows: live.db.prepare(`SELECT * FROM ${table} WHERE conversation_id = ?`).all(id) }).toEqual({ table, rows: [] });
  });

  it('each report query reads an index range (no table scan)', () => {
    const live = openLiveSystem();
    for (const [name, sql] of Object.entries(REPORT_SQL)) {
      const plan = (live.db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(T(0), T(1), '[]') as Array<{ detail: string }>).map((row) => row.detail).join('\n');
      expect({ name, plan }).toEqual({ name, plan: expect.stringMatching(/USING (COVERING )?INDEX rm_report_\w+_by_time/) });
    }
  });
});

describe('reports read model: rebuilt from the log it equals the live one', () => {
  it('after a history with reassignments, reopens, bot replies and a delete forever, in any batch size', async () => {
    const live = openLiveSystem({ batchSize: 3 });
    const ids: string[] = [];
    for (let i = 0; i < 12; i += 1) {
      const base = i * 7;
      const id = await conversation(
        live,
        ev.started(randomUUID(), base, i % 3 === 0 ? OTHER_INBOX : INBOX, i % 4 === 0 ? 'outbound' : 'inbound'),
        ...(i % 4 === 0 ? [ev.reply(ANN, base)] : []),
        ev.received(base + 1),
        ev.reply('bot:greeter', base + 1),
        ev.assigned(i % 2 ? ANN : BOB, base + 2, i % 2 ? 'balanced' : undefined),
        ev.reply(i % 2 ? ANN : BOB, base + 4),
        ev.closed(base + 5, agentActor(ANN)),
        ...(i % 3 === 1 ? [ev.reopened(base + 6), ev.assigned(BOB, base + 6), ev.closed(base + 9, agentActor(BOB))] : []),
      );
      ids.push(id);
    }
    // Delete forever as the application does it: the event, then the stream.
    await append(live.store, `conversation-${ids[5]}`, ev.deleted(200));
    await live.caughtUp();
    await live.store.deleteStream(`conversation-${ids[5]}`);

    const dump = (db: Database) =>
      Object.fromEntries(
        ['rm_report_conversations', 'rm_report_assignments', 'rm_report_first_responses', 'rm_report_resolutions'].map((table) => [
          table,
          db.prepare(`SELECT * FROM ${table} ORDER BY 1, 2`).all(),
        ]),
      );
    const liveTables = dump(live.db);
    expect(liveTables.rm_report_conversations).toHaveLength(11);
    expect(liveTables.rm_report_resolutions).toHaveLength(15);

    for (const batchSize of [1, 7, 500]) {
      const fresh = openReadSide(databaseFile(newDataDir()), live.store, { batchSize });
      fresh.runner.start();
      expect(await fresh.runner.waitFor(await live.store.headPosition(), 10_000)).toBe(true);
      expect({ batchSize, tables: dump(fresh.db) }).toEqual({ batchSize, tables: liveTables });
    }
  });

  it('the event store alone (no read side yet) projects to the same facts as one followed live', async () => {
    const { store, file } = openEventStore();
    const id = randomUUID();
    await append(store, `conversation-${id}`, ev.started(id, 0), ev.received(0), ev.assigned(ANN, 1), ev.reply(ANN, 3), ev.closed(10, agentActor(ANN)));
    const side = openReadSide(file, store);
    side.runner.start();
    expect(await side.runner.waitFor(await store.headPosition(), 10_000)).toBe(true);
    expect(await side.readStore.reportFacts(WHOLE_DAY)).toEqual({
      assigned: [{ agentId: ANN, inboxId: INBOX, conversations: 1 }],
      firstResponses: [{ agentId: ANN, inboxId: INBOX, seconds: 180 }],
      resolutions: [{ agentId: ANN, inboxId: INBOX, seconds: 600 }],
    });
  });
});

describe('report percentiles (nearest-rank)', () => {
  it('takes the value at rank ceil(p/100 × n) of the sorted values', () => {
    expect(nearestRank([], 50)).toBeNull();
    expect(nearestRank([7], 90)).toBe(7);
    expect(nearestRank([1, 2, 3, 4], 50)).toBe(2);
    expect(nearestRank([1, 2, 3, 4], 90)).toBe(4);
    const ten = [10, 20, 30, 40, 50, 60, 70, 80, 90, 100];
    expect([nearestRank(ten, 50), nearestRank(ten, 90)]).toEqual([50, 90]);
    expect(durationStats([300, 60, 120])).toEqual({ p50: 120, p90: 300, count: 3 });
  });

  it('groups per agent and per agent and inbox; members without facts show with zeros', () => {
    const report = buildAgentReport(
      {
        assigned: [
          { agentId: ANN, inboxId: INBOX, conversations: 2 },
          { agentId: ANN, inboxId: OTHER_INBOX, conversations: 1 },
        ],
        firstResponses: [
          { agentId: ANN, inboxId: INBOX, seconds: 60 },
          { agentId: ANN, inboxId: OTHER_INBOX, seconds: 600 },
        ],
        resolutions: [],
      },
      {
        from: new Date(T(0)),
        to: new Date(T(60)),
        inboxId: null,
        inboxes: [
          { id: INBOX, name: 'Support', memberIds: [ANN, BOB] },
          { id: OTHER_INBOX, name: 'Billing', memberIds: [ANN] },
        ],
        names: new Map([
          [ANN, 'Ann'],
          [BOB, 'Bob'],
        ]),
      },
    );
    expect(report.agents).toEqual([
      {
        agentId: ANN,
        agentName: 'Ann',
        conversationsAssigned: 3,
        firstResponse: { p50: 60, p90: 600, count: 2 },
        resolution: { p50: null, p90: null, count: 0 },
      },
      {
        agentId: BOB,
        agentName: 'Bob',
        conversationsAssigned: 0,
        firstResponse: { p50: null, p90: null, count: 0 },
        resolution: { p50: null, p90: null, count: 0 },
      },
    ]);
    expect(report.byInbox?.map((r) => [r.inboxName, r.agentName, r.conversationsAssigned])).toEqual([
      ['Billing', 'Ann', 1],
      ['Support', 'Ann', 2],
      ['Support', 'Bob', 0],
    ]);
  });
});
