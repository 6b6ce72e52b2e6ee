import { randomUUID } from 'node:crypto';
import { VIEW_IDS, type ConversationSummary, type SortOrder } from '../../src/application/ports/read-store.port';
import { InvalidCursorError, SQL, encodeCursor, type SqliteReadStore } from '../../src/infrastructure/read-store/sqlite-read-store';
import { DEFAULT_BUSINESS_HOURS, DEFAULT_ROUTING } from '../../src/domain/inbox/inbox.events';
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
  senderEvent,
  type StartOptions,
} from '../projections/fixtures';

afterEach(cleanUp);
afterAll(cleanUpTempDirs);

const INBOX = 'inbox-main';
const OTHER_INBOX = 'inbox-sales';
const ANA = 'agent-ana';
const BOB = 'agent-bob';

type Live = ReturnType<typeof openLiveSystem>;

async function withDirectory(): Promise<Live> {
  const live = openLiveSystem();
  await append(live.store, `agent-${ANA}`, agentEvent.registered(ANA, 'Ana Lopez', 'Ana@Acme.test', 'admin'));
  await append(live.store, `agent-${BOB}`, agentEvent.registered(BOB, 'Bob Stone', 'bob@acme.test'));
  await append(live.store, `inbox-${INBOX}`, inboxEvent.created(INBOX, 'Support', 'Support@Acme.test', true), inboxEvent.membersSet([BOB, ANA]));
  await append(live.store, `inbox-${OTHER_INBOX}`, inboxEvent.created(OTHER_INBOX, 'Sales', null));
  return live;
}

async function conversation(live: Live, options: Partial<StartOptions> = {}, ...more: ReturnType<typeof e.closed>[]): Promise<string> {
  const id = options.conversationId ?? randomUUID();
  await append(live.store, `conversation-${id}`, e.started({ inboxId: INBOX, ...options, conversationId: id }), ...more);
  return id;
}

async function allPages(readStore: SqliteReadStore, sort: SortOrder, limit: number, viewId: 'unassigned' | 'assigned-to-me' = 'unassigned', agentId = ANA) {
  const items: ConversationSummary[] = [];
  let cursor: string | undefined;
  let pages = 0;
  do {
    const page = await readStore.listView({ inboxId: INBOX, viewId, agentId, sort, limit, cursor });
    expect(page.items.length).toBeLessThanOrEqual(limit);
    items.push(...page.items);
    cursor = page.nextCursor ?? undefined;
    pages += 1;
  } while (cursor);
  return { items, pages };
}

const sortKey = (s: ConversationSummary) => `${s.lastReceivedAt}|${s.id}`;

describe('SqliteReadStore', () => {
  describe('listView (keyset pagination)', () => {
    let live: Live;
    let ids: string[];

    beforeEach(async () => {
      live = await withDirectory();
      ids = [];
      // 23 conversations over 4 distinct times: many ties on lastReceivedAt.
      for (let i = 0; i < 23; i += 1) ids.push(await conversation(live, {}, e.received({ receivedAt: at(i % 4) })));
      await conversation(live, { inboxId: OTHER_INBOX }, e.received({ receivedAt: at(1) }));
      await live.caughtUp();
    });

    it.each([
      ['newest', 4],
      ['oldest', 4],
      ['newest', 1],
      ['oldest', 23],
      ['newest', 100],
    ] as Array<[SortOrder, number]>)('returns every row exactly once, in order (%s, limit %i)', async (sort, limit) => {
      const { items, pages } = await allPages(live.readStore, sort, limit);
      expect(items.map((s) => s.id).sort()).toEqual([...ids].sort());
      const keys = items.map(sortKey);
      const sorted = [...keys].sort();
      expect(keys).toEqual(sort === 'newest' ? sorted.reverse() : sorted);
      expect(pages).toBe(Math.max(1, Math.ceil(23 / limit)));
    });

    it('a page that ends exactly on the last row has no next cursor', async () => {
      const first = await live.readStore.listView({ inboxId: INBOX, viewId: 'unassigned', agentId: ANA, sort: 'newest', limit: 20 });
      const last = await live.readStore.listView({ inboxId: INBOX, viewId: 'unassigned', agentId: ANA, sort: 'newest', limit: 3, cursor: first.nextCursor! });
      expect(last.items).toHaveLength(3);
      expect(last.nextCursor).toBeNull();
    });

    it('a cursor keeps its place when rows are added before it', async () => {
      const first = await live.readStore.listView({ inboxId: INBOX, viewId: 'unassigned', agentId: ANA, sort: 'newest', limit: 10 });
      await conversation(live, {}, e.received({ receivedAt: at(50) }));
      await live.caughtUp();
      const rest = await allPagesFrom(live.readStore, first.nextCursor!);
      expect([...first.items, ...rest].map((s) => s.id).sort()).toEqual([...ids].sort());
    });

    it('"assigned-to-me" lists the requesting agent\'s conversations only', async () => {
      await append(live.store, `conversation-${ids[0]}`, e.assigned({ type: 'agent', id: ANA }));
      await append(live.store, `conversation-${ids[1]}`, e.assigned({ type: 'agent', id: BOB }));
      await live.caughtUp();
      const { items } = await allPages(live.readStore, 'newest', 10, 'assigned-to-me', ANA);
      expect(items.map((s) => s.id)).toEqual([ids[0]]);
      expect(items[0].assignee).toEqual({ type: 'agent', id: ANA, name: 'Ana Lopez' });
    });

    it('rejects a cursor it did not issue', async () => {
      for (const cursor of ['not-a-cursor', Buffer.from('{"a":1}').toString('base64url'), Buffer.from('[1,2]').toString('base64url')]) {
        await expect(live.readStore.listView({ inboxId: INBOX, viewId: 'unassigned', agentId: ANA, sort: 'newest', limit: 5, cursor })).rejects.toThrow(
          InvalidCursorError,
        );
      }
    });

    async function allPagesFrom(readStore: SqliteReadStore, start: string): Promise<ConversationSummary[]> {
      const items: ConversationSummary[] = [];
      for (let cursor: string | null = start; cursor;) {
        const page: Awaited<ReturnType<SqliteReadStore['listView']>> = await readStore.listView({
          inboxId: INBOX,
          viewId: 'unassigned',
          agentId: ANA,
          sort: 'newest',
          limit: 10,
          cursor,
        });
        items.push(...page.items);
        cursor = page.nextCursor;
      }
      return items;
    }
  });

  it('countViews gives every built-in view, zeros included, with "assigned-to-me" per agent', async () => {
    const live = await withDirectory();
    await conversation(live, { channel: 'chat' });
    await conversation(live, { channel: 'email' }, e.assigned({ type: 'agent', id: ANA }));
    await conversation(live, { channel: 'email' }, e.spam());
    await conversation(live, { origin: 'outbound' });
    await conversation(live, { inboxId: OTHER_INBOX });
    await live.caughtUp();

    const forAna = await live.readStore.countViews(INBOX, ANA);
    expect(Object.keys(forAna).sort()).toEqual([...VIEW_IDS].sort());
    expect(forAna).toEqual({
      unassigned: 1,
      'assigned-to-me': 1,
      'all-open': 2,
      chat: 1,
      email: 2,
      messenger: 0,
      whatsapp: 0,
      forms: 0,
      bots: 0,
      'all-closed': 0,
      sent: 1,
      spam: 1,
      filtered: 0,
      trash: 0,
    });
    expect((await live.readStore.countViews(INBOX, BOB))['assigned-to-me']).toBe(0);
    expect(Object.values(await live.readStore.countViews('no-such-inbox', ANA)).every((n) => n === 0)).toBe(true);
  });

  describe('one conversation', () => {
    it('getConversation: summary, messages in order with delivery status, comments with author names', async () => {
      const live = await withDirectory();
      const id = randomUUID();
      await append(
        live.store,
        `conversation-${id}`,
        e.started({ conversationId: id, inboxId: INBOX, channel: 'chat', contact: { id: 'contact-1', address: 'ana@example.com', name: 'Ana' } }),
        e.received({ receivedAt: at(1), text: 'Hi', messageId: 'm1' }),
        e.replied({ authorId: ANA, text: 'Hello!', messageId: 'm2', channel: 'chat' }),
        e.replied({ authorId: BOB, text: 'By email', messageId: 'm3', channel: 'email' }),
        e.replied({ authorId: BOB, text: 'Again', messageId: 'm4' }),
        e.replied({ authorId: BOB, text: 'Once more', messageId: 'm5' }),
        e.delivered('m2'),
        e.deliveryFailed('m3', true, 'relay busy'),
        e.deliveryFailed('m4', false, 'mailbox unknown'),
        e.commented(BOB, 'Refund?', 'k1'),
        e.commented('system', 'Auto note', 'k2'),
        e.assigned({ type: 'agent', id: BOB }),
      );
      await append(live.store, `agent-${BOB}`, agentEvent.updated({ name: 'Robert Stone' }));
      await append(live.store, `agent-${BOB}`, agentEvent.removed(BOB));
      await live.caughtUp();

      const detail = await live.readStore.getConversation(id);
      expect(detail).toMatchObject({
        id,
        channel: 'chat',
        assignee: { type: 'agent', id: BOB, name: 'Robert Stone' },
        preview: 'Once more',
        commentPreview: 'Auto note',
        revision: 11,
      });
      expect(detail?.messages.map((m) => [m.id, m.direction, m.channel, m.delivery])).toEqual([
        ['m1', 'in', 'chat', null],
        ['m2', 'out', 'chat', { status: 'delivered' }],
        ['m3', 'out', 'email', { status: 'retrying', reason: 'relay busy' }],
        ['m4', 'out', 'email', { status: 'failed', reason: 'mailbox unknown' }],
        ['m5', 'out', 'email', { status: 'queued' }],
      ]);
      expect(detail?.messages[0].from).toEqual({ address: 'ana@example.com', name: 'Ana' });
      expect(detail?.messages[1]).toMatchObject({ from: { address: 'Support@Acme.test', name: 'Ana Lopez' }, authorId: ANA, text: 'Hello!' });
      expect(detail?.comments).toEqual([
        { id: 'k1', author: { id: BOB, name: 'Robert Stone' }, text: 'Refund?', mentions: [], at: at(3) },
        { id: 'k2', author: { id: 'system', name: 'System' }, text: 'Auto note', mentions: [], at: at(3) },
      ]);
    });

    it('getConversationSummary gives the API fields only', async () => {
      const live = await withDirectory();
      const id = await conversation(live, {}, e.filtered('ana@example.com'), e.trashed());
      await live.caughtUp();
      const summary = await live.readStore.getConversationSummary(id);
      expect(Object.keys(summary!).sort()).toEqual(
        [
          'id',
          'inboxId',
          'channel',
          'status',
          'origin',
          'assignee',
          'contact',
          'contactId',
          'participants',
          'subject',
          'preview',
          'lastReceivedAt',
          'awaitingReply',
          'awaitingContactReply',
          'commentPreview',
          'spam',
          'filtered',
          'forwarded',
          'trashed',
          'trashedAt',
          'ticket',
          'ticketId',
          'revision',
        ].sort(),
      );
      expect(summary).toMatchObject({ filtered: true, trashed: true, trashedAt: at(10), revision: 2 });
    });

    it('is null for an unknown id, and after delete forever (thread included)', async () => {
      const live = await withDirectory();
      const id = await conversation(live, {}, e.received({ receivedAt: at(1) }), e.commented(ANA), e.trashed(), e.deleted());
      await live.caughtUp();
      expect(await live.readStore.getConversation(id)).toBeNull();
      expect(await live.readStore.getConversationSummary(randomUUID())).toBeNull();
      expect(live.db.prepare('SELECT COUNT(*) FROM rm_messages').pluck().get()).toBe(0);
      expect(live.db.prepare('SELECT COUNT(*) FROM rm_comments').pluck().get()).toBe(0);
      expect(live.db.prepare('SELECT COUNT(*) FROM view_membership').pluck().get()).toBe(0);
      expect(live.db.prepare('SELECT COUNT(*) FROM view_counts').pluck().get()).toBe(0);
    });
  });

  describe('ids for the process managers', () => {
    it('conversationIdsAssignedTo: open or closed, any inbox', async () => {
      const live = await withDirectory();
      const open = await conversation(live, {}, e.assigned({ type: 'agent', id: ANA }));
      const closed = await conversation(live, { inboxId: OTHER_INBOX }, e.assigned({ type: 'agent', id: ANA }), e.closed());
      await conversation(live, {}, e.assigned({ type: 'agent', id: ANA }), e.unassigned({ type: 'agent', id: ANA }));
      await conversation(live, {}, e.assigned({ type: 'agent', id: BOB }));
      await live.caughtUp();
      expect((await live.readStore.conversationIdsAssignedTo(ANA)).sort()).toEqual([open, closed].sort());
    });

    it('filteredConversationIds: this inbox, this address (normalised), still filtered', async () => {
      const live = await withDirectory();
      const filtered = await conversation(live, {}, e.filtered('ana@example.com'));
      await conversation(live, {}, e.filtered('ana@example.com'), e.unfiltered('ana@example.com'));
      await conversation(live, { inboxId: OTHER_INBOX }, e.filtered('ana@example.com'));
      await conversation(live, {}, e.filtered('bob@example.com'));
      await live.caughtUp();
      expect(await live.readStore.filteredConversationIds(INBOX, ' ANA@example.com')).toEqual([filtered]);
    });

    it('conversationIdsToPurge: trashed, purge time passed, oldest first, limited', async () => {
      const live = await withDirectory();
      const late = await conversation(live, {}, e.trashed(at(0), at(20)));
      const early = await conversation(live, {}, e.trashed(at(0), at(10)));
      await conversation(live, {}, e.trashed(at(0), at(15)), e.restored());
      await conversation(live, {}, e.trashed(at(0), at(99)));
      await conversation(live, {}, e.trashed(at(0), at(5)), e.deleted());
      await live.caughtUp();
      expect(await live.readStore.conversationIdsToPurge(at(30), 10)).toEqual([early, late]);
      expect(await live.readStore.conversationIdsToPurge(at(30), 1)).toEqual([early]);
      expect(await live.readStore.conversationIdsToPurge(at(20), 10)).toEqual([early, late]);
      expect(await live.readStore.conversationIdsToPurge(at(9), 10)).toEqual([]);
    });
  });

  describe('directory', () => {
    it('agents: registered, updated, password and availability changes; removed ones leave', async () => {
      const live = await withDirectory();
      const carol = 'agent-carol';
      await append(live.store, `agent-${carol}`, agentEvent.registered(carol, 'Carol', 'carol@acme.test'));
      await append(
        live.store,
        `agent-${BOB}`,
        agentEvent.updated({ role: 'admin' }),
        agentEvent.passwordChanged('scrypt$new'),
        agentEvent.availability('away'),
      );
      await append(live.store, `agent-${carol}`, agentEvent.removed(carol));
      await live.caughtUp();

      expect(await live.readStore.countAgents()).toBe(2);
      expect((await live.readStore.listAgents()).map((a) => a.id)).toEqual([ANA, BOB]);
      expect(await live.readStore.getAgent(BOB)).toEqual({
        id: BOB,
        name: 'Bob Stone',
        email: 'bob@acme.test',
        role: 'admin',
        availability: 'away',
        passwordHash: 'scrypt$new',
        createdAt: at(0),
        endedSessions: [],
        language: null,
        timeZone: null,
        online: false,
        onlineChangedAt: null,
      });
      expect((await live.readStore.getAgentByEmail(' ana@ACME.test'))?.id).toBe(ANA);
      expect(await live.readStore.getAgent(carol)).toBeNull();
      expect(await live.readStore.getAgentByEmail('carol@acme.test')).toBeNull();
    });

    it('inboxes: members in the order set, default inbox, lookup by address (case-insensitive)', async () => {
      // Auto-assignment and business hours read as their defaults until an admin sets them (issue 14).
      const unsetSettings = { routing: DEFAULT_ROUTING, businessHours: DEFAULT_BUSINESS_HOURS };
      const live = await withDirectory();
      await append(live.store, `inbox-${OTHER_INBOX}`, inboxEvent.updated({ name: 'Sales EU', emailAddress: 'sales@acme.test' }));
      await live.caughtUp();

      expect(await live.readStore.listInboxes()).toEqual(
        [
          { id: OTHER_INBOX, name: 'Sales EU', emailAddress: 'sales@acme.test', isDefault: false, memberIds: [], createdAt: at(0), ...unsetSettings },
          { id: INBOX, name: 'Support', emailAddress: 'Support@Acme.test', isDefault: true, memberIds: [BOB, ANA], createdAt: at(0), ...unsetSettings },
        ].sort((a, b) => a.id.localeCompare(b.id)),
      );
      expect((await live.readStore.getInbox(INBOX))?.memberIds).toEqual([BOB, ANA]);
      expect((await live.readStore.getDefaultInbox())?.id).toBe(INBOX);
      expect((await live.readStore.getInboxByEmailAddress('support@acme.TEST'))?.id).toBe(INBOX);
      expect((await live.readStore.getInboxByEmailAddress('SALES@acme.test'))?.name).toBe('Sales EU');
      expect(await live.readStore.getInboxByEmailAddress('nobody@acme.test')).toBeNull();
      expect(await live.readStore.getInbox('nope')).toBeNull();
    });

    it('an inbox answer kept between batches changes with the next batch (a member removed counts at once)', async () => {
      const live = await withDirectory();
      await live.caughtUp();
      const first = await live.readStore.getInbox(INBOX);
      expect(first?.memberIds).toEqual([BOB, ANA]);
      first?.memberIds.pop(); // a caller's copy: changing it changes nothing kept
      expect((await live.readStore.getDefaultInbox())?.memberIds).toEqual([BOB, ANA]);
      expect((await live.readStore.getInbox(INBOX))?.memberIds).toEqual([BOB, ANA]);

      await append(live.store, `inbox-${INBOX}`, inboxEvent.membersSet([ANA]), inboxEvent.updated({ name: 'Support EU' }));
      await live.caughtUp();
      expect(await live.readStore.getInbox(INBOX)).toMatchObject({ name: 'Support EU', memberIds: [ANA] });
      expect(await live.readStore.getDefaultInbox()).toMatchObject({ name: 'Support EU', memberIds: [ANA] });

      expect(await live.readStore.getInbox('late')).toBeNull(); // a no is kept too, until the next batch
      await append(live.store, `inbox-late`, inboxEvent.created('late', 'Late', null));
      await live.caughtUp();
      expect((await live.readStore.getInbox('late'))?.name).toBe('Late');
    });

    it("an agent answer kept between batches (each request's session check) changes with the next batch", async () => {
      const live = await withDirectory();
      await live.caughtUp();
      expect((await live.readStore.getAgent(BOB))?.endedSessions).toEqual([]);
      expect((await live.readStore.getAgent(BOB))?.endedSessions).toEqual([]);
      await append(live.store, `agent-${BOB}`, agentEvent.sessionEnded('s-1', at(60_000)), agentEvent.passwordChanged('scrypt$new'));
      await live.caughtUp();
      expect(await live.readStore.getAgent(BOB)).toMatchObject({ endedSessions: ['s-1'], passwordHash: 'scrypt$new' });
      await append(live.store, `agent-${BOB}`, agentEvent.removed(BOB));
      await live.caughtUp();
      expect(await live.readStore.getAgent(BOB)).toBeNull();
    });

    it('bot answers kept between batches (asked for every new conversation) change with the next batch: a bot disabled counts at once', async () => {
      const live = await withDirectory();
      await live.caughtUp();
      expect(await live.readStore.anyBotEver()).toBe(false);
      expect(await live.readStore.findActiveBot(INBOX, 'chat')).toBeNull();
      const created = newEvent('BotCreated', {
        botId: 'b1',
        inboxId: INBOX,
        name: 'Helper',
        kind: 'flow',
        channels: [],
        flow: null,
        webhookUrl: null,
        webhookSecret: null,
      });
      await append(live.store, 'bot-b1', created, newEvent('BotActivated', {}));
      await live.caughtUp();
      expect(await live.readStore.anyBotEver()).toBe(true);
      expect((await live.readStore.findActiveBot(INBOX, 'chat'))?.id).toBe('b1');
      expect(await live.readStore.findActiveBot(INBOX, 'email')).toBeNull();
      await append(live.store, 'bot-b1', newEvent('BotDeactivated', {}));
      await live.caughtUp();
      expect(await live.readStore.findActiveBot(INBOX, 'chat')).toBeNull();
      expect(await live.readStore.anyBotEver()).toBe(true);
    });

    it('blocked senders per inbox, addresses normalised; unblocking removes them', async () => {
      const live = await withDirectory();
      await append(live.store, `sender-${INBOX}-spam@example.com`, senderEvent.blocked(INBOX, 'Spam@Example.com'));
      await append(
        live.store,
        `sender-${INBOX}-other@example.com`,
        senderEvent.blocked(INBOX, 'other@example.com'),
        senderEvent.unblocked(INBOX, 'other@example.com'),
      );
      await live.caughtUp();

      expect(await live.readStore.isSenderBlocked(INBOX, ' spam@EXAMPLE.com')).toBe(true);
      expect(await live.readStore.isSenderBlocked(OTHER_INBOX, 'spam@example.com')).toBe(false);
      expect(await live.readStore.isSenderBlocked(INBOX, 'other@example.com')).toBe(false);
      expect(await live.readStore.listBlockedSenders(INBOX)).toEqual([{ inboxId: INBOX, address: 'spam@example.com', blockedAt: at(0) }]);
    });
  });

  it('keeps process-manager checkpoints', async () => {
    const live = openLiveSystem();
    expect(live.readStore.getProcessorCheckpoint('unassign-when-agent-removed')).toBe(0);
    live.readStore.saveProcessorCheckpoint('unassign-when-agent-removed', 42);
    live.readStore.saveProcessorCheckpoint('unassign-when-agent-removed', 57);
    expect(live.readStore.getProcessorCheckpoint('unassign-when-agent-removed')).toBe(57);
    live.readStore.saveProcessorCheckpoints([
      ['unassign-when-agent-removed', 60],
      ['notify-agents', 61],
    ]);
    expect(live.readStore.getProcessorCheckpoint('unassign-when-agent-removed')).toBe(60);
    expect(live.readStore.getProcessorCheckpoint('notify-agents')).toBe(61);
  });

  it('answers every conversation query from an index, without a table scan or a sort', () => {
    const live = openLiveSystem();
    const conversationQueries = [
      'summary',
      'pageNewestFirst',
      'pageNewestAfter',
      'pageOldestFirst',
      'pageOldestAfter',
      'viewCounts',
      'messages',
      'comments',
      'assignedTo',
      'filteredBy',
      'toPurge',
      'senderBlocked',
    ] as const;
    for (const name of conversationQueries) {
      const sql = SQL[name];
      const params = Array((sql.match(/\?/g) ?? []).length).fill('x');
      const plan = (live.db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as Array<{ detail: string }>).map((row) => row.detail);
      expect({ name, plan: plan.filter((step) => /^SCAN|TEMP B-TREE/.test(step)) }).toEqual({ name, plan: [] });
    }
    const page = (live.db.prepare(`EXPLAIN QUERY PLAN ${SQL.pageNewestAfter}`).all(...Array(6).fill('x')) as Array<{ detail: string }>)[0].detail;
    expect(page).toContain('SEARCH m USING PRIMARY KEY (inbox_id=? AND view_id=? AND agent_id=? AND (last_received_at,conversation_id)<(?,?))');
  });

  it('cursors are opaque base64url', () => {
    expect(encodeCursor(at(1), 'abc')).toMatch(/^[A-Za-z0-9_-]+$/);
  });
});
