import { randomUUID } from 'node:crypto';
import type { NewEvent, RecordedEvent } from '../../src/application/ports/event-store.port';
import type { ProcessorCheckpoints } from '../../src/application/ports/processor-checkpoints.port';
import {
  InvalidCursorError,
  VIEW_IDS,
  type BuiltInViewId,
  type ConversationSummary,
  type ReadStore,
  type SortOrder,
} from '../../src/application/ports/read-store.port';
import { orThrow, parseSearchParameters } from '../../src/application/search/conversation-filters';
import type { Channel } from '../../src/domain/shared/types';
import { DEFAULT_BUSINESS_HOURS, DEFAULT_ROUTING } from '../../src/domain/inbox/inbox.events';
import { agentEvent, at, conversationEvent as e, inboxEvent, newEvent, seededRandom, senderEvent } from '../projections/fixtures';

/**
 * The read-store contract (CONTRIBUTING.md "Infrastructure"): every ReadStore adapter runs ALL of it.
 *
 * The factory gives a store with empty read models and a way to feed it recorded events through
 * that engine's own projections. `feed` must accept events that were fed before (at-least-once
 * delivery, out-of-date redeliveries) and must have applied (or knowingly skipped) every event
 * it was given when it resolves. The suite never looks below the port: no table, no collection.
 *
 * Each feed ends with a barrier event (a type no projection handles, at a position higher than
 * any before), so an adapter that feeds through an asynchronous runner can simply wait until its
 * checkpoint reaches the last position of the batch.
 */
export interface ReadStoreUnderTest {
  readStore: ReadStore & ProcessorCheckpoints;
  feed(events: RecordedEvent[]): Promise<void>;
  teardown(): Promise<void>;
}

export type ReadStoreFactory = () => Promise<ReadStoreUnderTest>;

export const BARRIER_EVENT_TYPE = 'ContractFeedBarrier';

/**
 * Global positions and per-stream revisions, as an event store would hand them out. Positions
 * are multiples of POSITION_STRIDE (the port allows gaps), so the barriers that end each feed
 * fit between two events of a history that is fed in several parts.
 */
export class ContractLog {
  static readonly POSITION_STRIDE = 1000;

  private position = 0;
  private readonly revisions = new Map<string, number>();
  readonly events: RecordedEvent[] = [];

  record(streamId: string, ...events: NewEvent[]): RecordedEvent[] {
    const recorded = events.map((event) => {
      const revision = (this.revisions.get(streamId) ?? -1) + 1;
      this.revisions.set(streamId, revision);
      this.position = (Math.floor(this.position / ContractLog.POSITION_STRIDE) + 1) * ContractLog.POSITION_STRIDE;
      return { ...event, streamId, revision, position: this.position, metadata: { ...event.metadata, prevHash: '', hash: '' } };
    });
    this.events.push(...recorded);
    return recorded;
  }

  /** "Delete forever": the stream may start again at revision 0; positions are never reused. */
  deleteStream(streamId: string): void {
    this.revisions.delete(streamId);
  }

  /** A barrier after every position handed out so far and after `above`. */
  barrier(above = 0): RecordedEvent {
    this.position = Math.max(this.position, above) + 1;
    return {
      id: randomUUID(),
      streamId: 'contract-barrier',
      type: BARRIER_EVENT_TYPE,
      revision: this.position,
      position: this.position,
      data: {},
      metadata: { actor: { type: 'system' }, occurredAt: at(0), correlationId: randomUUID(), causationId: randomUUID(), prevHash: '', hash: '' },
    };
  }
}

const ANA = 'agent-ana';
const BOB = 'agent-bob';
const CAROL = 'agent-carol';

const customViewEvent = {
  created: (viewId: string, inboxId: string, name: string, filters: Record<string, string | boolean>, createdBy = ANA, occurredAt = at(0)) =>
    newEvent('CustomViewCreated', { viewId, inboxId, name, filters, createdBy }, { occurredAt }),
  updated: (data: { name?: string; filters?: Record<string, string | boolean> }) => newEvent('CustomViewUpdated', data),
  deleted: () => newEvent('CustomViewDeleted', {}),
};

const connectionEvent = {
  connected: (connectionId: string, inboxId: string, type: string, name: string, settings: Record<string, unknown>, secretKeys: string[], occurredAt = at(0)) =>
    newEvent('ChannelConnected', { connectionId, inboxId, type, name, settings, secretKeys }, { occurredAt, actor: { type: 'agent', id: ANA } }),
  changed: (data: { name?: string; settings?: Record<string, unknown>; secretKeys?: string[] }, occurredAt = at(0)) =>
    newEvent('ChannelConnectionChanged', data, { occurredAt }),
  disconnected: () => newEvent('ChannelDisconnected', {}),
};

const botEvent = {
  created: (botId: string, inboxId: string, name: string, kind: 'flow' | 'webhook', more: Record<string, unknown> = {}, occurredAt = at(0)) =>
    newEvent(
      'BotCreated',
      { botId, inboxId, name, kind, channels: [], flow: null, webhookUrl: null, webhookSecret: null, ...more },
      { occurredAt, actor: { type: 'agent', id: ANA } },
    ),
  changed: (data: Record<string, unknown>) => newEvent('BotChanged', data),
  activated: () => newEvent('BotActivated', {}),
  deactivated: () => newEvent('BotDeactivated', {}),
  tokenIssued: (tokenHash: string) => newEvent('BotTokenIssued', { tokenHash, issuedAt: at(9) }),
  removed: (botId: string) => newEvent('BotRemoved', { botId }),
};

type Scenario = {
  name: string;
  channel?: Channel;
  origin?: 'inbound' | 'outbound';
  events: () => NewEvent[];
  /** The built-in views (as Ana sees them) that list the conversation. */
  views: BuiltInViewId[];
  /** Bob's "Assigned to me" lists it. */
  bobsToo?: boolean;
  deleted?: boolean;
};

const agentAna = { type: 'agent' as const, id: ANA };
const agentBob = { type: 'agent' as const, id: BOB };
const bot = { type: 'bot' as const };
const OPEN_EMAIL: BuiltInViewId[] = ['unassigned', 'all-open', 'email'];

/** docs/design.md's views table, driven by the events that lead there. */
const SCENARIOS: Scenario[] = [
  { name: 'a new inbound email', events: () => [e.received({ receivedAt: at(1) })], views: OPEN_EMAIL },
  { name: 'a new chat', channel: 'chat', events: () => [], views: ['unassigned', 'all-open', 'chat'] },
  { name: 'a Messenger conversation', channel: 'messenger', events: () => [], views: ['unassigned', 'all-open', 'messenger'] },
  { name: 'a WhatsApp conversation', channel: 'whatsapp', events: () => [], views: ['unassigned', 'all-open', 'whatsapp'] },
  { name: 'a form submission', channel: 'forms', events: () => [], views: ['unassigned', 'all-open', 'forms'] },
  { name: 'the api channel has no channel view', channel: 'api', events: () => [], views: ['unassigned', 'all-open'] },
  { name: 'answered by the team', events: () => [e.received({ receivedAt: at(1) }), e.replied({ authorId: ANA })], views: OPEN_EMAIL },
  { name: 'assigned to me', events: () => [e.assigned(agentAna)], views: ['assigned-to-me', 'all-open', 'email'] },
  { name: 'assigned to a teammate', events: () => [e.assigned(agentBob)], views: ['all-open', 'email'], bobsToo: true },
  { name: 'assigned to the bot', channel: 'chat', events: () => [e.assigned(bot)], views: ['all-open', 'chat', 'bots'] },
  {
    name: 'the bot hands over to me',
    channel: 'chat',
    events: () => [e.assigned(bot), e.botHandoff(), e.assigned(agentAna)],
    views: ['assigned-to-me', 'all-open', 'chat'],
  },
  {
    name: 'back to the bot after an agent held it',
    channel: 'chat',
    events: () => [e.assigned(bot), e.assigned(agentAna), e.assigned(bot)],
    views: ['all-open', 'chat'],
  },
  { name: 'unassigned again', events: () => [e.assigned(agentAna), e.unassigned(agentAna)], views: OPEN_EMAIL },
  { name: 'closed', events: () => [e.closed()], views: ['all-closed'] },
  { name: 'closed while assigned to me', events: () => [e.assigned(agentAna), e.closed()], views: ['all-closed'] },
  { name: 'a closed bot conversation stays in Bots', channel: 'chat', events: () => [e.assigned(bot), e.closed()], views: ['bots', 'all-closed'] },
  { name: 'closed and reopened', events: () => [e.closed(), e.reopened()], views: OPEN_EMAIL },
  { name: 'marked as spam', events: () => [e.spam()], views: ['spam'] },
  { name: 'spam while assigned to me', events: () => [e.assigned(agentAna), e.spam()], views: ['spam'] },
  { name: 'marked as spam, then not spam', events: () => [e.spam(), e.notSpam()], views: OPEN_EMAIL },
  { name: 'a spam bot conversation leaves Bots', channel: 'chat', events: () => [e.assigned(bot), e.spam()], views: ['spam'] },
  { name: 'filtered (sender blocked)', events: () => [e.filtered('ana@example.com')], views: ['filtered'] },
  {
    name: 'a filtered bot conversation stays in Bots',
    channel: 'chat',
    events: () => [e.assigned(bot), e.filtered('ana@example.com')],
    views: ['bots', 'filtered'],
  },
  { name: 'filtered, then unfiltered', events: () => [e.filtered('ana@example.com'), e.unfiltered('ana@example.com')], views: OPEN_EMAIL },
  { name: 'filtered and spam', events: () => [e.filtered('ana@example.com'), e.spam()], views: ['spam', 'filtered'] },
  { name: 'trashed', events: () => [e.trashed()], views: ['trash'] },
  { name: 'trashed spam is only in Trash', events: () => [e.spam(), e.trashed()], views: ['trash'] },
  { name: 'trashed while filtered is only in Trash', events: () => [e.filtered('ana@example.com'), e.trashed()], views: ['trash'] },
  { name: 'trashed, then restored', events: () => [e.trashed(), e.restored()], views: OPEN_EMAIL },
  { name: 'deleted forever', events: () => [e.received({ receivedAt: at(1) }), e.trashed(), e.deleted()], views: [], deleted: true },
  { name: 'an outbound email nobody answered', origin: 'outbound', events: () => [e.replied({ authorId: ANA })], views: ['email', 'sent'] },
  {
    name: 'an outbound email the contact answered',
    origin: 'outbound',
    events: () => [e.replied({ authorId: ANA }), e.received({ receivedAt: at(2) })],
    views: OPEN_EMAIL,
  },
  { name: 'an unanswered outbound email assigned to me', origin: 'outbound', events: () => [e.assigned(agentAna)], views: ['assigned-to-me', 'email', 'sent'] },
  { name: 'an unanswered outbound email, closed', origin: 'outbound', events: () => [e.closed()], views: ['all-closed', 'sent'] },
  { name: 'an unanswered outbound email marked as spam', origin: 'outbound', events: () => [e.spam()], views: ['sent', 'spam'] },
  { name: 'an unanswered outbound email, trashed', origin: 'outbound', events: () => [e.trashed()], views: ['trash'] },
];

function zeroCounts(): Record<BuiltInViewId, number> {
  return Object.fromEntries(VIEW_IDS.map((viewId) => [viewId, 0])) as Record<BuiltInViewId, number>;
}

/** The search of `GET /api/conversations`, from its query parameters. */
/** What an inbox whose settings were never set reads as (issue 14). */
const defaultSettings = { routing: DEFAULT_ROUTING, businessHours: DEFAULT_BUSINESS_HOURS };

function searchQuery(inboxId: string, params: Record<string, string>) {
  const { filters, sort, limit, cursor } = orThrow(parseSearchParameters(params));
  return { inboxId, filters, sort, limit, cursor };
}

export function readStoreContract(name: string, factory: ReadStoreFactory): void {
  describe(`${name}: read-store contract`, () => {
    const opened: ReadStoreUnderTest[] = [];

    /** A fresh store and log; `feed` appends the barrier. */
    async function open() {
      const sut = await factory();
      opened.push(sut);
      const log = new ContractLog();
      const feed = async (events: RecordedEvent[]) => sut.feed([...events, log.barrier(Math.max(0, ...events.map((event) => event.position)))]);
      const record = async (streamId: string, ...events: NewEvent[]) => {
        const recorded = log.record(streamId, ...events);
        await feed(recorded);
        return recorded;
      };
      const store = sut.readStore;
      return { sut, log, feed, record, store };
    }
    type Opened = Awaited<ReturnType<typeof open>>;

    afterEach(async () => {
      for (const sut of opened.splice(0)) await sut.teardown();
    });

    /** Agents Ana (admin) and Bob; inbox "Support" (default) with Bob and Ana; inbox "Sales". */
    async function withDirectory(t: Opened, inboxId = randomUUID(), otherInboxId = randomUUID()) {
      await t.record(`agent-${ANA}`, agentEvent.registered(ANA, 'Ana Lopez', 'Ana@Acme.test', 'admin'));
      await t.record(`agent-${BOB}`, agentEvent.registered(BOB, 'Bob Stone', 'bob@acme.test'));
      await t.record(`inbox-${inboxId}`, inboxEvent.created(inboxId, 'Support', 'Support@Acme.test', true), inboxEvent.membersSet([BOB, ANA]));
      await t.record(`inbox-${otherInboxId}`, inboxEvent.created(otherInboxId, 'Sales', null));
      return { inboxId, otherInboxId };
    }

    async function conversation(
      t: Opened,
      inboxId: string,
      options: {
        channel?: Channel;
        origin?: 'inbound' | 'outbound';
        subject?: string;
        contact?: { id?: string; address: string; name?: string };
        startedAt?: string;
      } = {},
      ...more: NewEvent[]
    ): Promise<string> {
      const id = randomUUID();
      await t.record(`conversation-${id}`, e.started({ conversationId: id, inboxId, ...options }), ...more);
      return id;
    }

    async function listAll(store: ReadStore, inboxId: string, viewId: BuiltInViewId, agentId: string, sort: SortOrder, limit: number) {
      const items: ConversationSummary[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = await store.listView({ inboxId, viewId, agentId, sort, limit, cursor });
        expect(page.items.length).toBeLessThanOrEqual(limit);
        items.push(...page.items);
        cursor = page.nextCursor ?? undefined;
        pages += 1;
        if (pages > 10_000) throw new Error('listView never ends');
      } while (cursor);
      return { items, pages };
    }

    describe('built-in views: membership and counts', () => {
      let t: Opened;
      beforeAll(async () => {
        t = await open();
        // Shared by the scenarios (each has its own inbox): torn down in afterAll, not afterEach.
        opened.splice(opened.indexOf(t.sut), 1);
        await withDirectory(t);
      });
      afterAll(async () => {
        await t.sut.teardown();
      });

      it.each(SCENARIOS.map((scenario) => [scenario.name, scenario] as const))('%s', async (_name, scenario) => {
        const inboxId = randomUUID(); // counts of a fresh inbox are this conversation's alone
        const id = await conversation(t, inboxId, { channel: scenario.channel, origin: scenario.origin }, ...scenario.events());
        for (const viewId of VIEW_IDS) {
          const page = await t.store.listView({ inboxId, viewId, agentId: ANA, sort: 'newest', limit: 50 });
          expect({ viewId, ids: page.items.map((s) => s.id) }).toEqual({ viewId, ids: scenario.views.includes(viewId) ? [id] : [] });
        }
        const expected = zeroCounts();
        for (const viewId of scenario.views) expected[viewId] = 1;
        expect(await t.store.countViews(inboxId, ANA)).toEqual(expected);
        const bobs = await t.store.listView({ inboxId, viewId: 'assigned-to-me', agentId: BOB, sort: 'newest', limit: 50 });
        expect(bobs.items.map((s) => s.id)).toEqual(scenario.bobsToo ? [id] : []);
        expect((await t.store.countViews(inboxId, BOB))['assigned-to-me']).toBe(scenario.bobsToo ? 1 : 0);
        if (scenario.deleted) expect(await t.store.getConversation(id)).toBeNull();
        else expect((await t.store.getConversationSummary(id))?.id).toBe(id);
      });

      it('counts every built-in view, zeros included, per inbox, and "assigned-to-me" per agent', async () => {
        const inboxId = randomUUID();
        const otherInbox = randomUUID();
        await conversation(t, inboxId, { channel: 'chat' });
        await conversation(t, inboxId, { channel: 'email' }, e.assigned(agentAna));
        await conversation(t, inboxId, { channel: 'email' }, e.spam());
        await conversation(t, inboxId, { origin: 'outbound' });
        await conversation(t, otherInbox);
        const forAna = await t.store.countViews(inboxId, ANA);
        expect(Object.keys(forAna).sort()).toEqual([...VIEW_IDS].sort());
        expect(forAna).toEqual({ ...zeroCounts(), unassigned: 1, 'assigned-to-me': 1, 'all-open': 2, chat: 1, email: 2, sent: 1, spam: 1 });
        expect((await t.store.countViews(inboxId, BOB))['assigned-to-me']).toBe(0);
        expect(await t.store.countViews(randomUUID(), ANA)).toEqual(zeroCounts());
      });

      it('moves counts as conversations move between views, never below zero', async () => {
        const inboxId = randomUUID();
        const a = await conversation(t, inboxId);
        const b = await conversation(t, inboxId);
        await t.record(`conversation-${a}`, e.assigned(agentAna), e.closed(), e.reopened(), e.spam(), e.notSpam(), e.trashed(), e.restored());
        await t.record(`conversation-${b}`, e.trashed(), e.deleted());
        expect(await t.store.countViews(inboxId, ANA)).toEqual({ ...zeroCounts(), 'assigned-to-me': 1, 'all-open': 1, email: 1 });
        await t.record(`conversation-${a}`, e.unassigned(agentAna), e.closed());
        expect(await t.store.countViews(inboxId, ANA)).toEqual({ ...zeroCounts(), 'all-closed': 1 });
      });
    });

    describe('listView: keyset pagination', () => {
      let t: Opened;
      let inboxId: string;
      let ids: string[];

      beforeEach(async () => {
        t = await open();
        ({ inboxId } = await withDirectory(t));
        ids = [];
        // 23 conversations over 4 distinct times: many ties on lastReceivedAt.
        const events: RecordedEvent[] = [];
        for (let i = 0; i < 23; i += 1) {
          const id = randomUUID();
          ids.push(id);
          events.push(...t.log.record(`conversation-${id}`, e.started({ conversationId: id, inboxId }), e.received({ receivedAt: at(i % 4) })));
        }
        const elsewhere = randomUUID();
        events.push(
          ...t.log.record(`conversation-${elsewhere}`, e.started({ conversationId: elsewhere, inboxId: randomUUID() }), e.received({ receivedAt: at(1) })),
        );
        await t.feed(events);
      });

      const sortKey = (s: ConversationSummary) => `${s.lastReceivedAt}|${s.id}`;

      it.each([
        ['newest', 4],
        ['oldest', 4],
        ['newest', 1],
        ['oldest', 23],
        ['newest', 100],
        ['oldest', 7],
      ] as Array<[SortOrder, number]>)('gives every conversation exactly once, in order, ties broken stably (%s, limit %i)', async (sort, limit) => {
        const { items, pages } = await listAll(t.store, inboxId, 'unassigned', ANA, sort, limit);
        expect(items.map((s) => s.id).sort()).toEqual([...ids].sort());
        const keys = items.map(sortKey);
        const sorted = [...keys].sort();
        expect(keys).toEqual(sort === 'newest' ? sorted.reverse() : sorted);
        expect(pages).toBe(Math.max(1, Math.ceil(23 / limit)));
      });

      it('a page that ends exactly on the last row has no next cursor', async () => {
        const first = await t.store.listView({ inboxId, viewId: 'unassigned', agentId: ANA, sort: 'newest', limit: 20 });
        const last = await t.store.listView({ inboxId, viewId: 'unassigned', agentId: ANA, sort: 'newest', limit: 3, cursor: first.nextCursor! });
        expect(last.items).toHaveLength(3);
        expect(last.nextCursor).toBeNull();
        const everything = await t.store.listView({ inboxId, viewId: 'unassigned', agentId: ANA, sort: 'oldest', limit: 23 });
        expect(everything.nextCursor).toBeNull();
      });

      it('a cursor keeps its place when conversations arrive before it', async () => {
        const first = await t.store.listView({ inboxId, viewId: 'unassigned', agentId: ANA, sort: 'newest', limit: 10 });
        await conversation(t, inboxId, {}, e.received({ receivedAt: at(50) }));
        const rest: ConversationSummary[] = [];
        for (let cursor: string | null = first.nextCursor; cursor;) {
          const page: Awaited<ReturnType<ReadStore['listView']>> = await t.store.listView({
            inboxId,
            viewId: 'unassigned',
            agentId: ANA,
            sort: 'newest',
            limit: 10,
            cursor,
          });
          rest.push(...page.items);
          cursor = page.nextCursor;
        }
        expect([...first.items, ...rest].map((s) => s.id).sort()).toEqual([...ids].sort());
      });

      it('lists the newest message first; a late message received earlier does not move a conversation', async () => {
        await t.record(`conversation-${ids[0]}`, e.received({ receivedAt: at(60) }));
        await t.record(`conversation-${ids[1]}`, e.received({ receivedAt: at(59) }));
        await t.record(`conversation-${ids[1]}`, e.received({ receivedAt: at(-5) }), e.replied({ authorId: ANA, queuedAt: at(70) }));
        const page = await t.store.listView({ inboxId, viewId: 'unassigned', agentId: ANA, sort: 'newest', limit: 2 });
        expect(page.items.map((s) => [s.id, s.lastReceivedAt])).toEqual([
          [ids[0], at(60)],
          [ids[1], at(59)],
        ]);
        const oldest = await listAll(t.store, inboxId, 'unassigned', ANA, 'oldest', 5);
        expect(oldest.items.slice(-2).map((s) => s.id)).toEqual([ids[1], ids[0]]);
      });

      it('"assigned-to-me" lists the requesting agent\'s conversations only', async () => {
        await t.record(`conversation-${ids[0]}`, e.assigned(agentAna));
        await t.record(`conversation-${ids[1]}`, e.assigned(agentBob));
        const { items } = await listAll(t.store, inboxId, 'assigned-to-me', ANA, 'newest', 10);
        expect(items.map((s) => s.id)).toEqual([ids[0]]);
        expect(items[0].assignee).toEqual({ type: 'agent', id: ANA, name: 'Ana Lopez' });
      });

      it('rejects a cursor it did not issue', async () => {
        for (const cursor of [
          'not-a-cursor',
          Buffer.from('{"a":1}').toString('base64url'),
          Buffer.from('[1,2]').toString('base64url'),
          Buffer.from('["x"]').toString('base64url'),
        ]) {
          await expect(t.store.listView({ inboxId, viewId: 'unassigned', agentId: ANA, sort: 'newest', limit: 5, cursor })).rejects.toThrow(InvalidCursorError);
        }
      });
    });

    describe('one conversation', () => {
      it('getConversation: the summary, messages in order with delivery status, comments with author names', async () => {
        const t = await open();
        const { inboxId } = await withDirectory(t);
        const id = randomUUID();
        await t.record(
          `conversation-${id}`,
          e.started({ conversationId: id, inboxId, channel: 'chat', contact: { id: 'contact-1', address: 'ana@example.com', name: 'Ana' } }),
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
          e.commented('agent-never-seen', 'Ghost', 'k3'),
          e.assigned(agentBob),
          e.ticketCreated('t1', 'Refund'),
        );
        await t.record(`agent-${BOB}`, agentEvent.updated({ name: 'Robert Stone' }));
        await t.record(`agent-${BOB}`, agentEvent.removed(BOB));

        const detail = await t.store.getConversation(id);
        expect(detail).toMatchObject({
          id,
          inboxId,
          channel: 'chat',
          status: 'open',
          origin: 'inbound',
          assignee: { type: 'agent', id: BOB, name: 'Robert Stone' },
          contact: { id: 'contact-1', name: 'Ana', address: 'ana@example.com' },
          subject: 'Order 1234',
          preview: 'Once more',
          lastReceivedAt: at(1),
          awaitingReply: false,
          commentPreview: 'Ghost',
          ticket: { id: 't1', name: 'Refund', status: 'open' },
          revision: 13,
        });
        expect(detail?.messages.map((m) => [m.id, m.direction, m.channel, m.delivery])).toEqual([
          ['m1', 'in', 'chat', null],
          ['m2', 'out', 'chat', { status: 'delivered' }],
          ['m3', 'out', 'email', { status: 'retrying', reason: 'relay busy' }],
          ['m4', 'out', 'email', { status: 'failed', reason: 'mailbox unknown' }],
          ['m5', 'out', 'email', { status: 'queued' }],
        ]);
        expect(detail?.messages[0]).toMatchObject({
          from: { address: 'ana@example.com', name: 'Ana' },
          to: [{ address: 'support@acme.test' }],
          text: 'Hi',
          html: null,
          attachments: [],
          at: at(1),
          authorId: null,
        });
        expect(detail?.messages[1]).toMatchObject({
          from: { address: 'Support@Acme.test', name: 'Ana Lopez' },
          authorId: ANA,
          text: 'Hello!',
          subject: 'Re: Order 1234',
        });
        expect(detail?.messages[2].from).toEqual({ address: 'Support@Acme.test', name: 'Robert Stone' });
        expect(detail?.comments).toEqual([
          { id: 'k1', author: { id: BOB, name: 'Robert Stone' }, text: 'Refund?', mentions: [], at: at(3) },
          { id: 'k2', author: { id: 'system', name: 'System' }, text: 'Auto note', mentions: [], at: at(3) },
          { id: 'k3', author: { id: 'agent-never-seen', name: 'Unknown agent' }, text: 'Ghost', mentions: [], at: at(3) },
        ]);
        const { messages: _messages, comments: _comments, ...summary } = detail!;
        expect(await t.store.getConversationSummary(id)).toEqual(summary);
      });

      it("getConversation: a bot's reply keeps the buttons it offered; other messages have none", async () => {
        const t = await open();
        const { inboxId } = await withDirectory(t);
        const id = randomUUID();
        const choices = [
          { id: 'billing', label: 'Billing' },
          { id: 'person', label: 'Talk to a person' },
        ];
        await t.record(
          `conversation-${id}`,
          e.started({ conversationId: id, inboxId, channel: 'chat', contact: { id: 'contact-1', address: 'visitor-1', name: 'Vera' } }),
          e.received({ receivedAt: at(1), text: 'Hi', messageId: 'm1' }),
          newEvent('ReplyQueued', {
            messageId: 'm2',
            authorId: 'bot:b-1',
            channel: 'chat',
            to: [{ address: 'visitor-1' }],
            subject: '',
            text: 'What is it about?',
            queuedAt: at(2),
            choices,
          }),
          e.replied({ authorId: ANA, text: 'Hello!', messageId: 'm3', channel: 'chat' }),
        );
        const detail = await t.store.getConversation(id);
        expect(detail?.messages.map((m) => [m.id, m.authorId, m.choices])).toEqual([
          ['m1', null, undefined],
          ['m2', 'bot:b-1', choices],
          ['m3', ANA, undefined],
        ]);
      });

      it("getConversation: the channel's receipts on replies (only forward), the contact's reactions (one each), a message's fields and a template reply", async () => {
        const t = await open();
        const { inboxId } = await withDirectory(t);
        const id = randomUUID();
        const wa = { address: '+31612345678', name: 'Ana' };
        const fields = [
          { key: 'order', label: { en: 'Order number', nl: 'Bestelnummer' }, value: 'A-1001' },
          { key: 'location', label: { en: 'Location' }, value: 'Dam 1', url: 'https://maps.example/?q=52.37,4.89' },
        ];
        const template = { name: 'order_update', language: 'en_US', parameters: ['A-1001', 'tomorrow'] };
        const status = (messageId: string, value: string, minutes: number, reason?: string) =>
          newEvent('ReplyStatusReported', { messageId, status: value, ...(reason ? { reason } : {}), at: at(minutes) });
        const reaction = (messageId: string, emoji: string, from: { address: string; name?: string }, minutes: number) =>
          newEvent('ReactionReceived', { externalMessageId: randomUUID(), messageId, from, emoji, receivedAt: at(minutes) });
        await t.record(
          `conversation-${id}`,
          e.started({ conversationId: id, inboxId, channel: 'whatsapp', contact: { id: 'contact-1', ...wa } }),
          newEvent('MessageReceived', {
            messageId: 'm1',
            externalMessageId: 'wamid.1',
            from: wa,
            to: [],
            subject: '',
            text: 'Where is my order?',
            attachments: [],
            receivedAt: at(1),
            fields,
          }),
          e.replied({ authorId: ANA, text: 'Hello!', messageId: 'm2', channel: 'whatsapp', to: [wa] }),
          e.replied({ authorId: ANA, text: 'Not yet', messageId: 'm3', channel: 'whatsapp', to: [wa] }),
          newEvent('ReplyQueued', {
            messageId: 'm4',
            authorId: ANA,
            channel: 'whatsapp',
            to: [wa],
            subject: '',
            text: 'Your order A-1001 ships tomorrow.',
            queuedAt: at(2),
            template,
          }),
          e.replied({ authorId: ANA, text: 'Sent, no receipt yet', messageId: 'm5', channel: 'whatsapp', to: [wa] }),
          e.delivered('m2'),
          status('m2', 'delivered', 3),
          status('m2', 'read', 4),
          e.delivered('m3'),
          status('m3', 'failed', 3, '131026: Message undeliverable'),
          // The receipt beat the delivery job: it counts all the same.
          status('m4', 'delivered', 3),
          e.delivered('m4'),
          e.delivered('m5'),
          reaction('m2', '👍', wa, 5),
          reaction('m2', '❤️', wa, 6),
          reaction('m2', '😂', { address: '+31699999999' }, 6),
          reaction('m1', '🙏', wa, 7),
          reaction('m1', '', wa, 8),
        );
        const detail = await t.store.getConversation(id);
        expect(detail?.messages.map((m) => [m.id, m.delivery])).toEqual([
          ['m1', null],
          ['m2', { status: 'delivered', receipt: 'read', at: at(4) }],
          ['m3', { status: 'failed', reason: '131026: Message undeliverable', at: at(3) }],
          ['m4', { status: 'delivered', receipt: 'delivered', at: at(3) }],
          ['m5', { status: 'delivered' }],
        ]);
        expect(detail?.messages.map((m) => [m.id, m.reactions])).toEqual([
          ['m1', undefined],
          [
            'm2',
            [
              { emoji: '❤️', from: wa, at: at(6) },
              { emoji: '😂', from: { address: '+31699999999' }, at: at(6) },
            ],
          ],
          ['m3', undefined],
          ['m4', undefined],
          ['m5', undefined],
        ]);
        expect(detail?.messages.map((m) => [m.id, m.fields, m.template])).toEqual([
          ['m1', fields, undefined],
          ['m2', undefined, undefined],
          ['m3', undefined, undefined],
          ['m4', undefined, template],
          ['m5', undefined, undefined],
        ]);
        // The list and the summary do not change for receipts and reactions.
        expect((await t.store.getConversationSummary(id))?.revision).toBe(detail?.revision);
      });

      it('getConversationSummary gives the API fields only', async () => {
        const t = await open();
        const { inboxId } = await withDirectory(t);
        const id = await conversation(t, inboxId, {}, e.filtered('ana@example.com'), e.trashed());
        const summary = await t.store.getConversationSummary(id);
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
        expect(summary).toMatchObject({ filtered: true, trashed: true, trashedAt: at(10), revision: 2, assignee: null });
      });

      it('is null for an unknown id and after delete forever; a thread started again with the same id is new', async () => {
        const t = await open();
        const { inboxId } = await withDirectory(t);
        const id = await conversation(
          t,
          inboxId,
          { subject: 'First life' },
          e.received({ receivedAt: at(1), text: 'old text', messageId: 'old-m' }),
          e.commented(ANA),
          e.trashed(),
          e.deleted(),
        );
        expect(await t.store.getConversation(id)).toBeNull();
        expect(await t.store.getConversationSummary(id)).toBeNull();
        expect(await t.store.getConversation(randomUUID())).toBeNull();
        t.log.deleteStream(`conversation-${id}`);
        await t.record(
          `conversation-${id}`,
          e.started({ conversationId: id, inboxId, subject: 'Second life', startedAt: at(20) }),
          e.received({ receivedAt: at(21), text: 'new text', messageId: 'new-m' }),
        );
        const again = await t.store.getConversation(id);
        expect(again).toMatchObject({ subject: 'Second life', revision: 1, trashed: false, commentPreview: null });
        expect(again?.messages.map((m) => m.id)).toEqual(['new-m']);
        expect(again?.comments).toEqual([]);
        expect(await t.store.countViews(inboxId, ANA)).toEqual({ ...zeroCounts(), unassigned: 1, 'all-open': 1, email: 1 });
      });
    });

    describe('ids for the process managers', () => {
      it('conversationIdsAssignedTo: open or closed, any inbox', async () => {
        const t = await open();
        const { inboxId, otherInboxId } = await withDirectory(t);
        const open1 = await conversation(t, inboxId, {}, e.assigned(agentAna));
        const closed = await conversation(t, otherInboxId, {}, e.assigned(agentAna), e.closed());
        await conversation(t, inboxId, {}, e.assigned(agentAna), e.unassigned(agentAna));
        await conversation(t, inboxId, {}, e.assigned(agentBob));
        await conversation(t, inboxId, {}, e.assigned(agentAna), e.trashed(), e.deleted());
        expect((await t.store.conversationIdsAssignedTo(ANA)).sort()).toEqual([open1, closed].sort());
        expect(await t.store.conversationIdsAssignedTo(CAROL)).toEqual([]);
      });

      it('filteredConversationIds: this inbox, this address (normalised), still filtered', async () => {
        const t = await open();
        const { inboxId, otherInboxId } = await withDirectory(t);
        const filtered = await conversation(t, inboxId, {}, e.filtered('Ana@Example.com'));
        await conversation(t, inboxId, {}, e.filtered('ana@example.com'), e.unfiltered('ana@example.com'));
        await conversation(t, otherInboxId, {}, e.filtered('ana@example.com'));
        await conversation(t, inboxId, {}, e.filtered('bob@example.com'));
        expect(await t.store.filteredConversationIds(inboxId, ' ANA@example.com')).toEqual([filtered]);
      });

      it('conversationIdsToPurge: trashed, purge time passed, soonest first, limited', async () => {
        const t = await open();
        const { inboxId } = await withDirectory(t);
        const late = await conversation(t, inboxId, {}, e.trashed(at(0), at(20)));
        const early = await conversation(t, inboxId, {}, e.trashed(at(0), at(10)));
        await conversation(t, inboxId, {}, e.trashed(at(0), at(15)), e.restored());
        await conversation(t, inboxId, {}, e.trashed(at(0), at(99)));
        await conversation(t, inboxId, {}, e.trashed(at(0), at(5)), e.deleted());
        expect(await t.store.conversationIdsToPurge(at(30), 10)).toEqual([early, late]);
        expect(await t.store.conversationIdsToPurge(at(30), 1)).toEqual([early]);
        expect(await t.store.conversationIdsToPurge(at(20), 10)).toEqual([early, late]);
        expect(await t.store.conversationIdsToPurge(at(9), 10)).toEqual([]);
      });
    });

    describe('directory', () => {
      it('agents: registered, updated, password and availability changes; removed ones leave', async () => {
        const t = await open();
        await withDirectory(t);
        await t.record(`agent-${CAROL}`, agentEvent.registered(CAROL, 'Carol', 'carol@acme.test'));
        await t.record(`agent-${BOB}`, agentEvent.updated({ role: 'admin' }), agentEvent.passwordChanged('scrypt$new'), agentEvent.availability('away'));
        await t.record(`agent-${CAROL}`, agentEvent.removed(CAROL));

        expect(await t.store.countAgents()).toBe(2);
        expect((await t.store.listAgents()).map((a) => a.id)).toEqual([ANA, BOB]);
        expect(await t.store.getAgent(BOB)).toEqual({
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
        expect((await t.store.getAgentByEmail(' ana@ACME.test'))?.id).toBe(ANA);
        expect(await t.store.getAgent(CAROL)).toBeNull();
        expect(await t.store.getAgentByEmail('carol@acme.test')).toBeNull();
      });

      it('agents: logged-out sessions are listed until their token would have expired anyway', async () => {
        const t = await open();
        await withDirectory(t);
        await t.record(`agent-${BOB}`, agentEvent.sessionEnded('s1', at(60), at(1)), agentEvent.sessionEnded('s2', at(600), at(2)));
        expect((await t.store.getAgent(BOB))?.endedSessions).toEqual(['s1', 's2']);
        // s1's token has expired by the time s3 ends: it is forgotten.
        await t.record(`agent-${BOB}`, agentEvent.sessionEnded('s3', at(600), at(61)));
        expect((await t.store.getAgent(BOB))?.endedSessions).toEqual(['s2', 's3']);
        expect((await t.store.getAgent(ANA))?.endedSessions).toEqual([]);
      });

      it('agents: whether each is online (presence), and since when; a removed agent stays gone', async () => {
        const t = await open();
        await withDirectory(t);
        const presence = (online: boolean, when: string) => newEvent('AgentPresenceChanged', { online, at: when });
        await t.record(`agent-${BOB}`, presence(true, at(5)));
        expect(await t.store.getAgent(BOB)).toMatchObject({ online: true, onlineChangedAt: at(5), availability: 'available' });
        expect((await t.store.listAgents()).map((a) => [a.id, a.online])).toEqual([
          [ANA, false],
          [BOB, true],
        ]);
        await t.record(`agent-${BOB}`, agentEvent.availability('away'), presence(false, at(9)));
        expect(await t.store.getAgent(BOB)).toMatchObject({ online: false, onlineChangedAt: at(9), availability: 'away' });
        expect((await t.store.getAgentByEmail('bob@acme.test'))?.online).toBe(false);
        await t.record(`agent-${ANA}`, presence(true, at(10)), agentEvent.removed(ANA));
        expect(await t.store.getAgent(ANA)).toBeNull();
      });

      it('agentDisplayNames: one entry per id; removed agents keep their last name, "system" is System', async () => {
        const t = await open();
        await withDirectory(t);
        await t.record(`agent-${BOB}`, agentEvent.updated({ name: 'Robert Stone' }), agentEvent.removed(BOB));
        const names = await t.store.agentDisplayNames([ANA, BOB, 'system', 'agent-nobody', ANA]);
        expect([...names.entries()].sort()).toEqual(
          [
            [ANA, 'Ana Lopez'],
            [BOB, 'Robert Stone'],
            ['system', 'System'],
            ['agent-nobody', 'Unknown agent'],
          ].sort(),
        );
        expect((await t.store.agentDisplayNames([])).size).toBe(0);
      });

      it('inboxes: members in the order set, the default inbox, lookup by address (case-insensitive)', async () => {
        const t = await open();
        const { inboxId, otherInboxId } = await withDirectory(t);
        await t.record(
          `inbox-${otherInboxId}`,
          inboxEvent.updated({ name: 'Sales EU', emailAddress: 'sales@acme.test' }),
          inboxEvent.membersSet([CAROL, ANA, CAROL]),
        );

        expect(await t.store.listInboxes()).toEqual(
          [
            {
              id: otherInboxId,
              name: 'Sales EU',
              emailAddress: 'sales@acme.test',
              isDefault: false,
              memberIds: [CAROL, ANA],
              createdAt: at(0),
              ...defaultSettings,
            },
            { id: inboxId, name: 'Support', emailAddress: 'Support@Acme.test', isDefault: true, memberIds: [BOB, ANA], createdAt: at(0), ...defaultSettings },
          ].sort((a, b) => a.id.localeCompare(b.id)),
        );
        expect((await t.store.getInbox(inboxId))?.memberIds).toEqual([BOB, ANA]);
        expect((await t.store.getDefaultInbox())?.id).toBe(inboxId);
        expect((await t.store.getInboxByEmailAddress('support@acme.TEST'))?.id).toBe(inboxId);
        expect((await t.store.getInboxByEmailAddress(' SALES@acme.test'))?.name).toBe('Sales EU');
        expect(await t.store.getInboxByEmailAddress('nobody@acme.test')).toBeNull();
        expect(await t.store.getInbox('nope')).toBeNull();
        await t.record(`inbox-${otherInboxId}`, inboxEvent.updated({ emailAddress: null }));
        expect(await t.store.getInboxByEmailAddress('sales@acme.test')).toBeNull();
        expect((await t.store.getInbox(otherInboxId))?.emailAddress).toBeNull();
      });

      it('inboxes: auto-assignment settings and business hours as last set, the defaults before', async () => {
        const t = await open();
        const { inboxId, otherInboxId } = await withDirectory(t);
        const routing = { mode: 'balanced', channels: ['chat', 'email'], defaultCapacity: 3, capacities: { [BOB]: 0, [ANA]: 7 } };
        const hours = {
          enabled: true,
          timeZone: 'Europe/Amsterdam',
          week: {
            mon: [
              { from: '09:00', to: '12:00' },
              { from: '13:00', to: '17:30' },
            ],
            tue: [],
            wed: [],
            thu: [],
            fri: [{ from: '09:00', to: '24:00' }],
            sat: [],
            sun: [],
          },
        };
        await t.record(
          `inbox-${inboxId}`,
          newEvent('InboxRoutingSet', { ...routing, mode: 'round-robin' }),
          newEvent('InboxBusinessHoursSet', hours),
          newEvent('InboxRoutingSet', routing),
          inboxEvent.updated({ name: 'Support NL' }),
        );
        const inbox = await t.store.getInbox(inboxId);
        expect(inbox?.routing).toEqual(routing);
        expect(inbox?.businessHours).toEqual(hours);
        expect(inbox?.name).toBe('Support NL');
        const listed = await t.store.listInboxes();
        expect(listed.find((i) => i.id === inboxId)?.businessHours).toEqual(hours);
        expect(listed.find((i) => i.id === otherInboxId)).toMatchObject(defaultSettings);
        expect((await t.store.getDefaultInbox())?.routing).toEqual(routing);
        expect((await t.store.getInboxByEmailAddress('support@acme.test'))?.businessHours.timeZone).toBe('Europe/Amsterdam');
      });

      it('no default inbox and no agents in an empty store', async () => {
        const t = await open();
        expect(await t.store.getDefaultInbox()).toBeNull();
        expect(await t.store.listInboxes()).toEqual([]);
        expect(await t.store.listAgents()).toEqual([]);
        expect(await t.store.countAgents()).toBe(0);
      });

      it('blocked senders per inbox, addresses normalised; unblocking removes them; blocking again keeps the new time', async () => {
        const t = await open();
        const { inboxId, otherInboxId } = await withDirectory(t);
        await t.record(`sender-${inboxId}-spam@example.com`, senderEvent.blocked(inboxId, 'Spam@Example.com'));
        await t.record(
          `sender-${inboxId}-other@example.com`,
          senderEvent.blocked(inboxId, 'other@example.com'),
          senderEvent.unblocked(inboxId, 'other@example.com'),
        );
        await t.record(
          `sender-${inboxId}-again@example.com`,
          senderEvent.blocked(inboxId, 'again@example.com'),
          senderEvent.unblocked(inboxId, 'again@example.com'),
        );
        await t.record(
          `sender-${inboxId}-again@example.com`,
          newEvent('SenderBlocked', { inboxId, address: 'again@example.com', conversationId: null }, { occurredAt: at(7) }),
        );

        expect(await t.store.isSenderBlocked(inboxId, ' spam@EXAMPLE.com')).toBe(true);
        expect(await t.store.isSenderBlocked(otherInboxId, 'spam@example.com')).toBe(false);
        expect(await t.store.isSenderBlocked(inboxId, 'other@example.com')).toBe(false);
        expect(await t.store.listBlockedSenders(inboxId)).toEqual([
          { inboxId, address: 'spam@example.com', blockedAt: at(0) },
          { inboxId, address: 'again@example.com', blockedAt: at(7) },
        ]);
        expect(await t.store.listBlockedSenders(otherInboxId)).toEqual([]);
      });
    });

    describe('processor checkpoints', () => {
      it('start at 0 and keep the last position saved, per process manager', async () => {
        const t = await open();
        expect(await t.store.getProcessorCheckpoint('unassign-when-agent-removed')).toBe(0);
        await t.store.saveProcessorCheckpoint('unassign-when-agent-removed', 42);
        await t.store.saveProcessorCheckpoint('unassign-when-agent-removed', 57);
        await t.store.saveProcessorCheckpoint('deliver-replies', 3);
        expect(await t.store.getProcessorCheckpoint('unassign-when-agent-removed')).toBe(57);
        expect(await t.store.getProcessorCheckpoint('deliver-replies')).toBe(3);
        expect(await t.store.getProcessorCheckpoint('never-ran')).toBe(0);
      });
    });

    describe('search', () => {
      const search = (t: Opened, inboxId: string, params: Record<string, string>) => t.store.searchConversations(searchQuery(inboxId, params));
      const ids = async (t: Opened, inboxId: string, params: Record<string, string>) => (await search(t, inboxId, params)).items.map((s) => s.id);
      const count = (t: Opened, inboxId: string, params: Record<string, string>) =>
        t.store.countConversations({ inboxId, filters: searchQuery(inboxId, params).filters });
      async function allPages(t: Opened, inboxId: string, params: Record<string, string>): Promise<string[]> {
        const found: string[] = [];
        let cursor: string | null = null;
        for (let pages = 0; pages < 1000; pages += 1) {
          const page: Awaited<ReturnType<ReadStore['searchConversations']>> = await search(t, inboxId, { ...params, ...(cursor ? { cursor } : {}) });
          found.push(...page.items.map((s) => s.id));
          cursor = page.nextCursor;
          if (!cursor) return found;
        }
        throw new Error('too many pages');
      }

      it('finds a conversation by its subject, inbound and outbound bodies, contact name and address, as summaries', async () => {
        const t = await open();
        const { inboxId } = await withDirectory(t);
        const id = await conversation(
          t,
          inboxId,
          { subject: 'Invoice overdue', contact: { address: 'jane.doe@customer.test', name: 'Jane Marple' } },
          e.received({ receivedAt: at(1), text: 'The parcel never arrived' }),
          e.replied({ authorId: ANA, text: 'We shipped a replacement' }),
          e.assigned(agentAna),
        );
        const other = await conversation(t, inboxId, { subject: 'Something else', contact: { address: 'bob@example.org', name: 'Bob' } });
        for (const q of [
          'invoice',
          'overdue',
          'parcel',
          'arrived',
          'replacement',
          'shipped',
          'jane',
          'marple',
          'customer',
          'jane.doe@customer.test',
          'doe@cust',
        ]) {
          expect({ q, found: await ids(t, inboxId, { q }) }).toEqual({ q, found: [id] });
        }
        expect(await ids(t, inboxId, { q: 'bob' })).toEqual([other]);
        const [summary] = (await search(t, inboxId, { q: 'invoice' })).items;
        expect(summary).toEqual(await t.store.getConversationSummary(id));
        expect(summary.assignee).toEqual({ type: 'agent', id: ANA, name: 'Ana Lopez' });
      });

      it('matches every word as a prefix, never inside a word; every word is needed, anywhere in the conversation', async () => {
        const t = await open();
        const inboxId = randomUUID();
        const id = await conversation(
          t,
          inboxId,
          { subject: 'Refunds pending 1042', contact: { address: 'ana@example.com', name: 'Ana' } },
          e.received({ receivedAt: at(1), text: 'shipping question' }),
        );
        await conversation(t, inboxId, { subject: 'Order 77' }, e.received({ receivedAt: at(1), text: 'shipping question' }));
        expect(await ids(t, inboxId, { q: 'ref' })).toEqual([id]);
        expect(await ids(t, inboxId, { q: 'REFUND pend' })).toEqual([id]);
        expect(await ids(t, inboxId, { q: 'funds' })).toEqual([]);
        expect(await ids(t, inboxId, { q: 'refunds pendingx' })).toEqual([]);
        expect(await ids(t, inboxId, { q: 'ana 1042 shipping' })).toEqual([id]);
        expect(await ids(t, inboxId, { q: '1042 nothing' })).toEqual([]);
      });

      it('folds case and accents', async () => {
        const t = await open();
        const inboxId = randomUUID();
        const id = await conversation(t, inboxId, { subject: 'Crème brûlée au Café' });
        expect(await ids(t, inboxId, { q: 'creme brulee' })).toEqual([id]);
        expect(await ids(t, inboxId, { q: 'CAFÉ' })).toEqual([id]);
      });

      it('does not search internal comments; keeps inboxes apart', async () => {
        const t = await open();
        const inboxId = randomUUID();
        const otherInbox = randomUUID();
        await conversation(t, inboxId, { subject: 'Hello' }, e.commented(ANA, 'confidential remark'));
        const mine = await conversation(t, inboxId, { subject: 'Shared word' });
        const theirs = await conversation(t, otherInbox, { subject: 'Shared word' });
        expect(await ids(t, inboxId, { q: 'confidential' })).toEqual([]);
        expect(await ids(t, inboxId, { q: 'shared' })).toEqual([mine]);
        expect(await ids(t, otherInbox, { q: 'shared' })).toEqual([theirs]);
      });

      it('forgets the contact after ContactUnlinked, and the whole conversation after delete forever', async () => {
        const t = await open();
        const inboxId = randomUUID();
        const contactId = randomUUID();
        const id = await conversation(
          t,
          inboxId,
          { subject: 'Question', contact: { id: contactId, address: 'zelda@hyrule.test', name: 'Zelda' } },
          e.received({ receivedAt: at(1), text: 'about the triforce' }),
        );
        const gone = await conversation(t, inboxId, { subject: 'Triforce lost' });
        expect(await ids(t, inboxId, { q: 'zelda', sort: 'newest' })).toEqual([id]);
        expect(await ids(t, inboxId, { contactId })).toEqual([id]);
        await t.record(`conversation-${id}`, e.contactUnlinked(contactId));
        await t.record(`conversation-${gone}`, e.trashed(), e.deleted());
        expect(await ids(t, inboxId, { q: 'zelda' })).toEqual([]);
        expect(await ids(t, inboxId, { q: 'hyrule' })).toEqual([]);
        expect(await ids(t, inboxId, { contactId })).toEqual([]);
        expect(await ids(t, inboxId, { q: 'triforce', hideTrash: 'false' })).toEqual([id]);
        expect(await count(t, inboxId, { q: 'triforce', hideTrash: 'false' })).toBe(1);
      });

      it('finds a chat by the email address its visitor gave, which the contact shows, a new one replacing it, gone with the contact (rule 12)', async () => {
        const t = await open();
        const inboxId = randomUUID();
        const contactId = randomUUID();
        const id = await conversation(
          t,
          inboxId,
          { subject: 'Chat', channel: 'chat', contact: { id: contactId, address: 'visitor-42', name: 'Vera' } },
          e.received({ receivedAt: at(1), text: 'hi there' }),
        );
        expect(await ids(t, inboxId, { q: 'vera@shop' })).toEqual([]);
        await t.record(`conversation-${id}`, newEvent('ContactEmailProvided', { address: 'vera@shop.test' }));
        expect(await ids(t, inboxId, { q: 'vera@shop' })).toEqual([id]);
        expect((await t.store.getConversationSummary(id))?.contact).toEqual({ id: contactId, name: 'Vera', address: 'visitor-42', email: 'vera@shop.test' });
        await t.record(`conversation-${id}`, newEvent('ContactEmailProvided', { address: 'v.other@mail.test' }));
        expect(await ids(t, inboxId, { q: 'shop' })).toEqual([]);
        expect(await ids(t, inboxId, { q: 'v.other@mail' })).toEqual([id]);
        expect((await t.store.getConversation(id))?.contact?.email).toBe('v.other@mail.test');
        await t.record(`conversation-${id}`, e.contactUnlinked(contactId));
        expect(await ids(t, inboxId, { q: 'mail.test' })).toEqual([]);
        expect(await ids(t, inboxId, { q: 'hi there' })).toEqual([id]);
      });

      it('combines the filters, and they follow the conversation', async () => {
        const t = await open();
        const inboxId = randomUUID();
        const agent = randomUUID();
        const contactId = randomUUID();
        const id = await conversation(t, inboxId, { subject: 'Tracked thing', contact: { id: contactId, address: 'x@example.com' } });
        await conversation(t, inboxId, { subject: 'Tracked but chat', channel: 'chat' }, e.closed());
        const stream = `conversation-${id}`;
        const one = async (params: Record<string, string>) => (await ids(t, inboxId, { q: 'tracked thing', ...params })).filter((found) => found === id);
        expect(await one({ status: 'open', assignee: 'none', contactId })).toEqual([id]);
        await t.record(stream, e.assigned({ type: 'agent', id: agent }), e.closed());
        expect(await one({ status: 'open' })).toEqual([]);
        expect(await one({ status: 'closed', assignee: agent })).toEqual([id]);
        await t.record(stream, e.assigned(bot));
        expect(await one({ assignee: 'bot' })).toEqual([id]);
        await t.record(stream, e.unassigned(bot), e.reopened());
        expect(await one({ status: 'open', assignee: 'none' })).toEqual([id]);
        await t.record(stream, e.filtered('x@example.com'));
        expect(await one({ hideFiltered: 'true' })).toEqual([]);
        expect(await one({})).toEqual([id]);
        await t.record(stream, e.unfiltered('x@example.com'), e.trashed());
        expect(await one({})).toEqual([]);
        expect(await one({ hideTrash: 'false' })).toEqual([id]);
        await t.record(stream, e.restored(), e.received({ receivedAt: '2025-06-01T10:00:00+02:00' }));
        expect(await one({ from: '2025-06-01T08:00:00Z', to: '2025-06-01' })).toEqual([id]);
        expect(await one({ from: '2025-06-01T08:00:01Z' })).toEqual([]);
        expect(await one({ to: '2025-05-31' })).toEqual([]);
        expect(await one({ channel: 'email' })).toEqual([id]);
        expect(await one({ channel: 'chat' })).toEqual([]);
        // Without text: the same filters over the whole inbox.
        expect(await ids(t, inboxId, { channel: 'chat' })).toHaveLength(1);
        expect(await count(t, inboxId, { status: 'closed' })).toBe(1);
        expect(await count(t, inboxId, {})).toBe(2);
      });

      it('pages in list order with ties broken stably, with and without text; counts agree with the pages', async () => {
        const t = await open();
        const inboxId = randomUUID();
        const made: string[] = [];
        for (let i = 0; i < 11; i += 1) made.push(await conversation(t, inboxId, { subject: `Same time ${i}`, startedAt: at(i % 2) }));
        await conversation(t, inboxId, { subject: 'Different', startedAt: at(1) });
        for (const sort of ['newest', 'oldest']) {
          for (const q of [undefined, 'same']) {
            const params = { sort, limit: '4', ...(q ? { q } : {}) };
            const paged = await allPages(t, inboxId, params);
            expect(paged).toEqual(await ids(t, inboxId, { ...params, limit: '200' }));
            expect(paged).toHaveLength(new Set(paged).size);
            if (q) expect(new Set(paged)).toEqual(new Set(made));
            expect(await count(t, inboxId, q ? { q } : {})).toBe(paged.length);
            const times = (await search(t, inboxId, { ...params, limit: '200' })).items.map((s) => s.lastReceivedAt);
            const sorted = [...times].sort();
            expect(times).toEqual(sort === 'newest' ? sorted.reverse() : sorted);
          }
        }
      });

      it('relevance: a word in the subject ranks above one only in a body; pages give each match once', async () => {
        const t = await open();
        const inboxId = randomUUID();
        for (let i = 0; i < 5; i += 1)
          await conversation(t, inboxId, { subject: `Filler ${i}` }, e.received({ receivedAt: at(i), text: `nothing to see ${i}` }));
        const inBody = await conversation(
          t,
          inboxId,
          { subject: 'Question', startedAt: at(40) },
          e.received({ receivedAt: at(41), text: 'about the warranty terms' }),
        );
        const inSubject = await conversation(t, inboxId, { subject: 'Warranty claim', startedAt: at(30) });
        expect(await ids(t, inboxId, { q: 'warranty' })).toEqual([inSubject, inBody]);
        expect(await ids(t, inboxId, { q: 'warranty', sort: 'newest' })).toEqual([inBody, inSubject]);
        expect(await ids(t, inboxId, { q: 'warranty', sort: 'oldest' })).toEqual([inSubject, inBody]);

        const matching: string[] = [];
        for (let i = 0; i < 7; i += 1) matching.push(await conversation(t, inboxId, { subject: `Parcel ${'parcel '.repeat(i)}` }));
        const paged = await allPages(t, inboxId, { q: 'parcel', limit: '3' });
        expect(paged).toEqual(await ids(t, inboxId, { q: 'parcel', limit: '50' }));
        expect(new Set(paged)).toEqual(new Set(matching));
        expect(paged).toHaveLength(7);
      });

      it('refuses a cursor of another order, or one it did not issue', async () => {
        const t = await open();
        const inboxId = randomUUID();
        for (let i = 0; i < 3; i += 1) await conversation(t, inboxId, { subject: 'Parcel' });
        const relevancePage = await search(t, inboxId, { q: 'parcel', limit: '1' });
        const newestPage = await search(t, inboxId, { q: 'parcel', sort: 'newest', limit: '1' });
        expect(relevancePage.nextCursor).not.toBeNull();
        expect(newestPage.nextCursor).not.toBeNull();
        await expect(search(t, inboxId, { q: 'parcel', sort: 'newest', cursor: relevancePage.nextCursor! })).rejects.toThrow(InvalidCursorError);
        await expect(search(t, inboxId, { q: 'parcel', cursor: newestPage.nextCursor! })).rejects.toThrow(InvalidCursorError);
        await expect(search(t, inboxId, { cursor: 'WyJ4Il0' })).rejects.toThrow(InvalidCursorError);
        await expect(search(t, inboxId, { cursor: 'bm90LWpzb24' })).rejects.toThrow(InvalidCursorError);
      });

      /** [q, finds "Parcel lost"]: query syntax of any engine is plain text; every word must be there. */
      const nasty: Array<[string, boolean]> = [
        ['"unbalanced', false],
        ['parcel*', true],
        ['NEAR(parcel lost, 2)', false],
        ['parcel lost', true],
        ['parcel AND', false],
        ['parcel NOT lost', false],
        ['subject:parcel', false],
        ['((parcel)', true],
        ['^parcel', true],
        ['-parcel', true],
        ['parcel.*', true],
        ['.*', false],
        ['[a-z]', false],
        ['$where', false],
        ['{"$ne": null}', false],
        ["parcel'; DROP TABLE conversations; --", false],
        ['\\', false],
        ['🙂 parcel', false],
        ['PaRcEl LoSt', true],
        ['*** ()', false],
      ];

      it.each(nasty)('never throws on q=%j (finds it: %s)', async (q, finds) => {
        const t = await open();
        const inboxId = randomUUID();
        const id = await conversation(t, inboxId, { subject: 'Parcel lost' });
        for (const sort of ['relevance', 'newest', 'oldest']) {
          expect({ sort, found: await ids(t, inboxId, { q, sort }) }).toEqual({ sort, found: finds ? [id] : [] });
        }
        expect(await count(t, inboxId, { q })).toBe(finds ? 1 : 0);
        expect(await ids(t, inboxId, {})).toEqual([id]);
      });
    });

    describe('custom views', () => {
      it("lists an inbox's views oldest first, with their updates; deleted views are gone", async () => {
        const t = await open();
        const { inboxId, otherInboxId } = await withDirectory(t);
        const [v1, v2, v3, v4] = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
        await t.record(`custom-view-${v1}`, customViewEvent.created(v1, inboxId, 'Open email', { status: 'open', channel: 'email' }, ANA, at(1)));
        await t.record(`custom-view-${v2}`, customViewEvent.created(v2, inboxId, 'Mine', { assignee: ANA, hideTrash: false }, BOB, at(2)));
        await t.record(`custom-view-${v3}`, customViewEvent.created(v3, otherInboxId, 'Everything', {}, ANA, at(3)));
        await t.record(`custom-view-${v4}`, customViewEvent.created(v4, inboxId, 'Refunds', { q: 'refund' }, ANA, at(4)));
        await t.record(`custom-view-${v1}`, customViewEvent.updated({ name: 'Open mail' }), customViewEvent.updated({ filters: { status: 'closed' } }));
        await t.record(`custom-view-${v2}`, customViewEvent.deleted());

        expect(await t.store.listCustomViews(inboxId)).toEqual([
          { id: v1, inboxId, name: 'Open mail', filters: { status: 'closed' }, createdBy: ANA, createdAt: at(1) },
          { id: v4, inboxId, name: 'Refunds', filters: { q: 'refund' }, createdBy: ANA, createdAt: at(4) },
        ]);
        expect(await t.store.getCustomView(v2)).toBeNull();
        expect(await t.store.getCustomView(v3)).toEqual({ id: v3, inboxId: otherInboxId, name: 'Everything', filters: {}, createdBy: ANA, createdAt: at(3) });
        expect(await t.store.listCustomViews(randomUUID())).toEqual([]);
        expect(await t.store.getCustomView(randomUUID())).toBeNull();
      });
    });

    describe('notifications', () => {
      const created = (id: string, agentId: string, type: string, conversationId: string, inboxId: string, when: string) =>
        newEvent('NotificationCreated', {
          notificationId: id,
          agentId,
          type,
          conversationId,
          inboxId,
          params: { who: 'Ana', subject: 'Order 1234' },
          at: when,
        });
      const read = (ids: string[], when: string) => newEvent('NotificationsRead', { ids, at: when });

      it("lists an agent's notifications newest first, at most as many as asked, with which are read and how many are not", async () => {
        const t = await open();
        const [ana, bob, conversationId, inboxId] = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
        const [n1, n2, n3, n4] = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
        await t.record(
          `notifications-${ana}`,
          created(n1, ana, 'mention', conversationId, inboxId, at(1)),
          created(n2, ana, 'assigned', conversationId, inboxId, at(2)),
        );
        await t.record(`notifications-${bob}`, created(n3, bob, 'mention', conversationId, inboxId, at(3)));
        await t.record(`notifications-${ana}`, created(n4, ana, 'new-message', conversationId, inboxId, at(4)), read([n1, n4], at(5)));
        // Another agent's stream cannot mark Ana's notification read.
        await t.record(`notifications-${bob}`, read([n2], at(6)));

        expect(await t.store.listNotifications(ana, 10)).toEqual([
          { id: n4, agentId: ana, type: 'new-message', conversationId, inboxId, params: { who: 'Ana', subject: 'Order 1234' }, createdAt: at(4), read: true },
          { id: n2, agentId: ana, type: 'assigned', conversationId, inboxId, params: { who: 'Ana', subject: 'Order 1234' }, createdAt: at(2), read: false },
          { id: n1, agentId: ana, type: 'mention', conversationId, inboxId, params: { who: 'Ana', subject: 'Order 1234' }, createdAt: at(1), read: true },
        ]);
        expect((await t.store.listNotifications(ana, 2)).map((n) => n.id)).toEqual([n4, n2]);
        expect(await t.store.countUnreadNotifications(ana)).toBe(1);
        expect(await t.store.countUnreadNotifications(bob)).toBe(1);
        expect(await t.store.listNotifications(randomUUID(), 10)).toEqual([]);
        expect(await t.store.countUnreadNotifications(randomUUID())).toBe(0);
      });

      it('gives only the notifications of the inboxes asked for, when asked', async () => {
        const t = await open();
        const [ana, conversationId, inboxA, inboxB] = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
        const [n1, n2, n3] = [randomUUID(), randomUUID(), randomUUID()];
        await t.record(
          `notifications-${ana}`,
          created(n1, ana, 'mention', conversationId, inboxA, at(1)),
          created(n2, ana, 'mention', conversationId, inboxB, at(2)),
          created(n3, ana, 'assigned', conversationId, inboxA, at(3)),
          read([n3], at(4)),
        );
        expect((await t.store.listNotifications(ana, 10, [inboxA])).map((n) => n.id)).toEqual([n3, n1]);
        expect((await t.store.listNotifications(ana, 10, [inboxA, inboxB])).map((n) => n.id)).toEqual([n3, n2, n1]);
        expect(await t.store.listNotifications(ana, 10, [])).toEqual([]);
        expect(await t.store.countUnreadNotifications(ana, [inboxB])).toBe(1);
        expect(await t.store.countUnreadNotifications(ana, [inboxA])).toBe(1);
        expect(await t.store.countUnreadNotifications(ana, [])).toBe(0);
        expect(await t.store.countUnreadNotifications(ana)).toBe(2);
      });
    });

    describe('channel connections', () => {
      it('lists connections per inbox and per plugin, oldest first, with their changes; removed ones are gone', async () => {
        const t = await open();
        const { inboxId, otherInboxId } = await withDirectory(t);
        const [c1, c2, c3, c4] = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
        const secret = 'v1:aXY:dGFn:ZGF0YQ';
        await t.record(
          `channel-connection-${c1}`,
          connectionEvent.connected(
            c1,
            inboxId,
            'chat',
            'Website chat',
            { allowedOrigins: ['https://a.example'], sessionSecret: secret },
            ['sessionSecret'],
            at(1),
          ),
        );
        await t.record(`channel-connection-${c2}`, connectionEvent.connected(c2, inboxId, 'messenger', 'Facebook page', {}, [], at(2)));
        await t.record(`channel-connection-${c3}`, connectionEvent.connected(c3, otherInboxId, 'chat', 'Sales chat', { greeting: 'Hi' }, [], at(3)));
        await t.record(`channel-connection-${c4}`, connectionEvent.connected(c4, inboxId, 'chat', 'Gone', {}, [], at(4)));
        await t.record(
          `channel-connection-${c1}`,
          connectionEvent.changed({ name: 'Shop chat' }, at(5)),
          connectionEvent.changed({ settings: { allowedOrigins: [], sessionSecret: secret, greeting: 'Hello' }, secretKeys: ['sessionSecret'] }, at(6)),
        );
        await t.record(`channel-connection-${c4}`, connectionEvent.disconnected());

        const shop = {
          id: c1,
          inboxId,
          type: 'chat',
          name: 'Shop chat',
          settings: { allowedOrigins: [], sessionSecret: secret, greeting: 'Hello' },
          secretKeys: ['sessionSecret'],
          createdBy: ANA,
          createdAt: at(1),
          updatedAt: at(6),
        };
        const page = {
          id: c2,
          inboxId,
          type: 'messenger',
          name: 'Facebook page',
          settings: {},
          secretKeys: [],
          createdBy: ANA,
          createdAt: at(2),
          updatedAt: at(2),
        };
        const sales = {
          id: c3,
          inboxId: otherInboxId,
          type: 'chat',
          name: 'Sales chat',
          settings: { greeting: 'Hi' },
          secretKeys: [],
          createdBy: ANA,
          createdAt: at(3),
          updatedAt: at(3),
        };
        expect(await t.store.listChannelConnections({ inboxId })).toEqual([shop, page]);
        expect(await t.store.listChannelConnections({ type: 'chat' })).toEqual([shop, sales]);
        expect(await t.store.listChannelConnections({ inboxId: otherInboxId, type: 'chat' })).toEqual([sales]);
        expect(await t.store.listChannelConnections({ inboxId: otherInboxId, type: 'messenger' })).toEqual([]);
        expect(await t.store.listChannelConnections({})).toEqual([shop, page, sales]);
        expect(await t.store.getChannelConnection(c1)).toEqual(shop);
        expect(await t.store.getChannelConnection(c4)).toBeNull();
        expect(await t.store.getChannelConnection(randomUUID())).toBeNull();
      });
    });

    describe('bots', () => {
      const flow = { startStepId: 'hi', steps: [{ id: 'hi', type: 'handoff', text: 'One moment' }] };

      it('knows whether any bot was ever created, a removed one included', async () => {
        const t = await open();
        const { inboxId } = await withDirectory(t);
        expect(await t.store.anyBotEver()).toBe(false);
        const once = randomUUID();
        await t.record(`bot-${once}`, botEvent.created(once, inboxId, 'Once', 'flow', { flow }, at(1)));
        expect(await t.store.anyBotEver()).toBe(true);
        await t.record(`bot-${once}`, botEvent.removed(once));
        expect(await t.store.anyBotEver()).toBe(true);
      });

      it('lists the bots of an inbox oldest first with their changes; finds the active one per channel and by token hash; removed ones are gone', async () => {
        const t = await open();
        const { inboxId, otherInboxId } = await withDirectory(t);
        const [helper, hook, sales, gone] = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
        const hash = 'a'.repeat(64);
        await t.record(`bot-${helper}`, botEvent.created(helper, inboxId, 'Helper', 'flow', { flow }, at(1)));
        await t.record(
          `bot-${hook}`,
          botEvent.created(
            hook,
            inboxId,
            'Hook',
            'webhook',
            { channels: ['messenger'], webhookUrl: 'https://bot.example/in', webhookSecret: 'v1:x:y:z' },
            at(2),
          ),
        );
        await t.record(`bot-${sales}`, botEvent.created(sales, otherInboxId, 'Sales bot', 'flow', { flow, channels: ['chat', 'whatsapp'] }, at(3)));
        await t.record(
          `bot-${gone}`,
          botEvent.created(gone, inboxId, 'Gone', 'flow', { flow }, at(4)),
          botEvent.activated(),
          botEvent.tokenIssued('b'.repeat(64)),
        );
        await t.record(`bot-${helper}`, botEvent.changed({ name: 'Helpdesk' }), botEvent.activated(), botEvent.tokenIssued(hash));
        await t.record(`bot-${hook}`, botEvent.activated(), botEvent.changed({ webhookUrl: 'https://bot.example/v2' }));
        await t.record(`bot-${sales}`, botEvent.activated(), botEvent.deactivated());
        await t.record(`bot-${gone}`, botEvent.removed(gone));

        const helpdesk = {
          id: helper,
          inboxId,
          name: 'Helpdesk',
          kind: 'flow',
          channels: [],
          flow,
          webhookUrl: null,
          webhookSecret: null,
          active: true,
          hasToken: true,
          tokenHash: hash,
          createdAt: at(1),
        };
        const hooked = {
          id: hook,
          inboxId,
          name: 'Hook',
          kind: 'webhook',
          channels: ['messenger'],
          flow: null,
          webhookUrl: 'https://bot.example/v2',
          webhookSecret: 'v1:x:y:z',
          active: true,
          hasToken: false,
          tokenHash: null,
          createdAt: at(2),
        };
        expect(await t.store.listBots(inboxId)).toEqual([helpdesk, hooked]);
        expect((await t.store.listBots(otherInboxId)).map((bot) => [bot.name, bot.active])).toEqual([['Sales bot', false]]);
        expect(await t.store.getBot(helper)).toEqual(helpdesk);
        expect(await t.store.getBot(gone)).toBeNull();
        expect(await t.store.getBot(randomUUID())).toBeNull();
        // A bot without channels takes chat only; one with channels takes those.
        expect((await t.store.findActiveBot(inboxId, 'chat'))?.id).toBe(helper);
        expect((await t.store.findActiveBot(inboxId, 'messenger'))?.id).toBe(hook);
        expect(await t.store.findActiveBot(inboxId, 'email')).toBeNull();
        expect(await t.store.findActiveBot(otherInboxId, 'chat')).toBeNull();
        expect((await t.store.findBotByTokenHash(hash))?.id).toBe(helper);
        expect(await t.store.findBotByTokenHash('b'.repeat(64))).toBeNull();
        expect(await t.store.findBotByTokenHash('c'.repeat(64))).toBeNull();

        // A bot's replies (author `bot:<botId>`) show the bot's name, a removed bot's too.
        const never = `bot:${randomUUID()}`;
        expect(await t.store.agentDisplayNames([`bot:${helper}`, `bot:${gone}`, never, ANA])).toEqual(
          new Map([
            [`bot:${helper}`, 'Helpdesk'],
            [`bot:${gone}`, 'Gone'],
            [never, 'Bot'],
            [ANA, 'Ana Lopez'],
          ]),
        );
        const id = await conversation(
          t,
          inboxId,
          { channel: 'chat' },
          e.replied({ authorId: `bot:${helper}`, text: 'Hi, how can we help?', messageId: 'bot-1', channel: 'chat' }),
        );
        const reply = (await t.store.getConversation(id))?.messages.find((message) => message.id === 'bot-1');
        expect(reply).toMatchObject({ authorId: `bot:${helper}`, from: { name: 'Helpdesk' } });
      });
    });

    describe('reports', () => {
      /** One conversation with known times: started and answered at minutes, assigned, replied, closed, reopened, closed again. */
      const reportHistory = (inboxId: string, id = randomUUID()): NewEvent[] => {
        const agent = (agentId: string) => ({ type: 'agent', id: agentId }) as const;
        const timed = (event: NewEvent, minute: number, actor: NewEvent['metadata']['actor'] = { type: 'system' }): NewEvent => ({
          ...event,
          metadata: { ...event.metadata, occurredAt: at(minute), actor },
        });
        return [
          e.started({ conversationId: id, inboxId, startedAt: at(0) }),
          timed(e.received({ receivedAt: at(0) }), 0, { type: 'contact', address: 'ana@example.com' }),
          timed(e.replied({ authorId: 'bot:greeter', queuedAt: at(1) }), 1, { type: 'bot' }),
          timed(e.assigned({ type: 'agent', id: BOB }), 2),
          timed(e.replied({ authorId: BOB, queuedAt: at(5) }), 5, agent(BOB)),
          timed(newEvent('ConversationClosed', { closedAt: at(10) }), 10, agent(BOB)),
          timed(newEvent('ConversationReopened', { reason: 'agent', reopenedAt: at(20) }), 20, agent(ANA)),
          timed(e.assigned({ type: 'agent', id: ANA }), 20),
          timed(newEvent('ConversationClosed', { closedAt: at(50) }), 50, agent(ANA)),
        ];
      };
      const sorted = <T>(items: T[]) => [...items].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));

      it('gives the facts of a period in the inboxes asked for: assignments per agent, first responses (bots not counted), each resolution', async () => {
        const t = await open();
        const { inboxId, otherInboxId } = await withDirectory(t);
        const id = randomUUID();
        await t.record(`conversation-${id}`, ...reportHistory(inboxId, id));
        const other = randomUUID();
        await t.record(`conversation-${other}`, ...reportHistory(otherInboxId, other));
        const facts = await t.store.reportFacts({ from: at(0), to: at(60), inboxIds: [inboxId] });
        expect(sorted(facts.assigned)).toEqual([
          { agentId: ANA, inboxId, conversations: 1 },
          { agentId: BOB, inboxId, conversations: 1 },
        ]);
        expect(facts.firstResponses).toEqual([{ agentId: BOB, inboxId, seconds: 300 }]);
        expect(sorted(facts.resolutions)).toEqual(
          sorted([
            { agentId: BOB, inboxId, seconds: 600 },
            { agentId: ANA, inboxId, seconds: 1800 },
          ]),
        );
        // [from, to): the first close at minute 10 is in [10, 11), the assignment at 2 is not.
        const minuteTen = await t.store.reportFacts({ from: at(10), to: at(11), inboxIds: [inboxId, otherInboxId] });
        expect({ ...minuteTen, resolutions: sorted(minuteTen.resolutions) }).toEqual({
          assigned: [],
          firstResponses: [],
          resolutions: sorted([
            { agentId: BOB, inboxId, seconds: 600 },
            { agentId: BOB, inboxId: otherInboxId, seconds: 600 },
          ]),
        });
        expect(await t.store.reportFacts({ from: at(0), to: at(60), inboxIds: [] })).toEqual({ assigned: [], firstResponses: [], resolutions: [] });
      });

      it('a conversation deleted forever leaves the facts; redelivered events do not bring it back or count twice', async () => {
        const t = await open();
        const { inboxId } = await withDirectory(t);
        const kept = randomUUID();
        const gone = randomUUID();
        const keptEvents = t.log.record(`conversation-${kept}`, ...reportHistory(inboxId, kept));
        const goneEvents = t.log.record(`conversation-${gone}`, ...reportHistory(inboxId, gone), newEvent('ConversationDeleted', { reason: 'agent' }));
        await t.feed([...keptEvents, ...goneEvents]);
        await t.feed([...keptEvents, ...goneEvents].reverse());
        await t.feed([keptEvents[3], goneEvents[3], keptEvents[8]]);
        const facts = await t.store.reportFacts({ from: at(0), to: at(60), inboxIds: [inboxId] });
        expect(sorted(facts.assigned)).toEqual([
          { agentId: ANA, inboxId, conversations: 1 },
          { agentId: BOB, inboxId, conversations: 1 },
        ]);
        expect(facts.firstResponses).toHaveLength(1);
        expect(facts.resolutions).toHaveLength(2);
      });
    });

    describe('at-least-once delivery', () => {
      it('feeding every event twice, with out-of-date redeliveries, gives exactly the read models of feeding each once', async () => {
        const history = realisticHistory();
        const once = await open();
        await once.feed(history.log.events);
        const twice = await open();
        const random = seededRandom(20_240_601);
        const redelivered: RecordedEvent[] = [];
        history.log.events.forEach((event, i) => {
          redelivered.push(event, event);
          // Now and then an old event comes back, long after the ones that followed it.
          if (i > 3 && random() < 0.3) redelivered.push(history.log.events[Math.floor(random() * i)]);
        });
        await feedInChunks(twice, redelivered, 7);
        await feedInChunks(twice, [...history.log.events].reverse(), 11);

        const expected = await snapshot(once.store, history);
        expect(await snapshot(twice.store, history)).toEqual(expected);
        // The history is not trivial: these are the states the redeliveries could have broken.
        expect(expected.inboxes).toHaveLength(2);
        expect(expected.agents.map((a) => a.id)).toEqual([ANA, BOB].sort());
        expect(expected.details.filter((d) => d !== null)).toHaveLength(history.conversations.length - 1);
        expect(expected.details.find((d) => d?.id === history.restarted)).toMatchObject({ subject: 'Started again', revision: 0 });
        expect(Object.values(expected.views).flat().length).toBeGreaterThan(20);
        expect(expected.blocked.flat()).toHaveLength(1);
        expect(expected.customViews.flat()).toHaveLength(1);
        expect(expected.channelConnections).toEqual([expect.objectContaining({ name: 'Shop chat', settings: { sessionSecret: 'v1:d:e:f', greeting: 'Hi' } })]);
      });

      it('an event redelivered right behind the events that undid it changes nothing, in every read model', async () => {
        const t = await open();
        const { inboxId } = await withDirectory(t);
        /** Records the events and feeds them in one delivery, followed by redeliveries of some of them. */
        const withRedelivered = async (streamId: string, events: NewEvent[], ...indexes: number[]) => {
          const recorded = t.log.record(streamId, ...events);
          await t.feed([...recorded, ...indexes.map((i) => recorded[i])]);
        };
        await withRedelivered(`agent-${CAROL}`, [agentEvent.registered(CAROL, 'Carol', 'carol@acme.test'), agentEvent.removed(CAROL)], 0);
        await withRedelivered(`inbox-${inboxId}`, [inboxEvent.membersSet([ANA]), inboxEvent.membersSet([BOB])], 0);
        await withRedelivered(
          `sender-${inboxId}-x@example.com`,
          [senderEvent.blocked(inboxId, 'x@example.com'), senderEvent.unblocked(inboxId, 'x@example.com')],
          0,
        );
        const view = randomUUID();
        await withRedelivered(`custom-view-${view}`, [customViewEvent.created(view, inboxId, 'Gone', {}), customViewEvent.deleted()], 0);
        const removed = randomUUID();
        await withRedelivered(
          `channel-connection-${removed}`,
          [connectionEvent.connected(removed, inboxId, 'chat', 'Gone', {}, []), connectionEvent.disconnected()],
          0,
        );
        const id = randomUUID();
        await withRedelivered(
          `conversation-${id}`,
          [
            e.started({ conversationId: id, inboxId, subject: 'Redelivered' }),
            e.assigned(agentAna),
            e.spam(),
            e.unassigned(agentAna),
            e.notSpam(),
            e.received({ receivedAt: at(1), messageId: 'm-1' }),
            e.trashed(),
            e.restored(),
          ],
          1,
          2,
          6,
          0,
          5,
        );
        const gone = randomUUID();
        await withRedelivered(
          `conversation-${gone}`,
          [e.started({ conversationId: gone, inboxId }), e.received({ receivedAt: at(2), text: 'never again' }), e.deleted()],
          1,
          0,
        );

        expect(await t.store.getAgent(CAROL)).toBeNull();
        expect(await t.store.countAgents()).toBe(2);
        expect((await t.store.getInbox(inboxId))?.memberIds).toEqual([BOB]);
        expect(await t.store.isSenderBlocked(inboxId, 'x@example.com')).toBe(false);
        expect(await t.store.getCustomView(view)).toBeNull();
        expect(await t.store.getChannelConnection(removed)).toBeNull();
        expect(await t.store.getConversation(gone)).toBeNull();
        const detail = await t.store.getConversation(id);
        expect(detail).toMatchObject({ assignee: null, spam: false, trashed: false, revision: 7 });
        expect(detail?.messages.map((m) => m.id)).toEqual(['m-1']);
        expect(await t.store.countViews(inboxId, ANA)).toEqual({ ...zeroCounts(), unassigned: 1, 'all-open': 1, email: 1 });
        expect(await t.store.searchConversations(searchQuery(inboxId, { q: 'never' }))).toEqual({ items: [], nextCursor: null });
      });

      async function feedInChunks(t: Opened, events: RecordedEvent[], size: number): Promise<void> {
        for (let i = 0; i < events.length; i += size) await t.feed(events.slice(i, i + size));
      }
    });
  });
}

interface History {
  log: ContractLog;
  inboxIds: string[];
  conversations: string[];
  restarted: string;
  queries: Array<Record<string, string>>;
}

/**
 * A history that touches every read model: agents joining, renamed, removed; inboxes and members;
 * senders blocked and unblocked; conversations through every view, with threads, deliveries,
 * comments, tickets, an unlinked contact, a deletion, and a thread started again after "delete
 * forever"; custom views created, updated, deleted.
 */
function realisticHistory(): History {
  const log = new ContractLog();
  const [support, sales] = [randomUUID(), randomUUID()];
  log.record(`agent-${ANA}`, agentEvent.registered(ANA, 'Ana', 'ana@acme.test', 'admin'));
  log.record(`agent-${BOB}`, agentEvent.registered(BOB, 'Bob', 'bob@acme.test'));
  log.record(`agent-${CAROL}`, agentEvent.registered(CAROL, 'Carol', 'carol@acme.test'));
  log.record(`inbox-${support}`, inboxEvent.created(support, 'Support', 'support@acme.test', true), inboxEvent.membersSet([ANA, BOB, CAROL]));
  log.record(`inbox-${sales}`, inboxEvent.created(sales, 'Sales', null));
  log.record(`agent-${ANA}`, agentEvent.updated({ name: 'Ana Lopez' }), agentEvent.availability('away'));

  const conversations: string[] = [];
  const start = (
    inboxId: string,
    options: { channel?: Channel; origin?: 'inbound' | 'outbound'; subject?: string; startedAt?: string; contactId?: string } = {},
    ...more: NewEvent[]
  ) => {
    const id = randomUUID();
    conversations.push(id);
    log.record(
      `conversation-${id}`,
      e.started({
        conversationId: id,
        inboxId,
        channel: options.channel,
        origin: options.origin,
        subject: options.subject,
        startedAt: options.startedAt,
        contact: { id: options.contactId, address: `c${conversations.length}@example.com`, name: `Contact ${conversations.length}` },
      }),
      ...more,
    );
    return id;
  };
  const add = (id: string, ...events: NewEvent[]) => log.record(`conversation-${id}`, ...events);

  const a = start(
    support,
    { subject: 'Refund for order 1042', startedAt: at(1) },
    e.received({ receivedAt: at(2), text: 'Please refund me', messageId: randomUUID() }),
  );
  const b = start(support, { channel: 'chat', subject: 'Chat about shipping', startedAt: at(3) }, e.assigned(bot), e.botHandoff());
  const c = start(support, { origin: 'outbound', subject: 'Your quote', startedAt: at(4) });
  const d = start(support, { subject: 'Buy now!!!', startedAt: at(5) }, e.spam());
  const f = start(support, { subject: 'From a blocked sender', startedAt: at(6) });
  const g = start(sales, { channel: 'whatsapp', subject: 'Bulk order', startedAt: at(7) }, e.received({ receivedAt: at(8), text: 'Need 500 units' }));
  const h = start(support, { subject: 'Old thread', startedAt: at(9) }, e.received({ receivedAt: at(10), text: 'hello there' }));
  const reply = randomUUID();
  add(
    a,
    e.assigned({ type: 'agent', id: ANA }),
    e.replied({ authorId: ANA, text: 'Refund on its way', messageId: reply }),
    e.commented(BOB, 'Check the invoice', randomUUID()),
    e.ticketCreated('ticket-1', 'Refund 1042'),
  );
  add(a, e.deliveryFailed(reply, true, 'relay busy'), e.delivered(reply));
  add(
    b,
    e.assigned({ type: 'agent', id: BOB }),
    e.received({ receivedAt: at(11), text: 'Where is my parcel?' }),
    e.closed(),
    e.ticketCreated('ticket-2'),
    e.ticketClosed('ticket-2'),
  );
  add(c, e.replied({ authorId: CAROL, text: 'Here is the quote' }), e.assigned({ type: 'agent', id: CAROL }));
  log.record(
    `sender-${support}-blocked@example.com`,
    senderEvent.blocked(support, 'Blocked@Example.com', f),
    senderEvent.blocked(support, 'blocked@example.com', f),
  );
  add(f, e.filtered('blocked@example.com'));
  log.record(`sender-${support}-temp@example.com`, senderEvent.blocked(support, 'temp@example.com'), senderEvent.unblocked(support, 'temp@example.com'));
  add(d, e.trashed(at(12), at(40)));
  add(g, e.assigned({ type: 'agent', id: CAROL }), e.contactUnlinked('whoever'));
  log.record(`agent-${CAROL}`, agentEvent.removed(CAROL));
  add(g, e.unassigned({ type: 'agent', id: CAROL }), e.received({ receivedAt: at(5), text: 'a late message from before' }));
  // WhatsApp: receipts that arrive out of order (only the forward ones are events), reactions replaced and taken away.
  const [waReply, waMessage] = [randomUUID(), randomUUID()];
  add(
    g,
    e.replied({ authorId: ANA, text: 'How many colours?', messageId: waReply, channel: 'whatsapp' }),
    newEvent('ReplyStatusReported', { messageId: waReply, status: 'delivered', at: at(17) }),
    e.delivered(waReply),
    newEvent('ReplyStatusReported', { messageId: waReply, status: 'read', at: at(18) }),
    newEvent('MessageReceived', {
      messageId: waMessage,
      externalMessageId: randomUUID(),
      from: { address: '+31612345678' },
      to: [],
      subject: '',
      text: 'Here',
      attachments: [],
      receivedAt: at(19),
      fields: [{ key: 'location', label: { en: 'Location', nl: 'Locatie' }, value: 'Dam 1', url: 'https://maps.example/?q=1,2' }],
    }),
    newEvent('ReactionReceived', { externalMessageId: randomUUID(), messageId: waReply, from: { address: '+31612345678' }, emoji: '👍', receivedAt: at(19) }),
    newEvent('ReactionReceived', { externalMessageId: randomUUID(), messageId: waReply, from: { address: '+31612345678' }, emoji: '🎉', receivedAt: at(20) }),
    newEvent('ReactionReceived', { externalMessageId: randomUUID(), messageId: waMessage, from: { address: '+31612345678' }, emoji: '❤️', receivedAt: at(20) }),
    newEvent('ReactionReceived', { externalMessageId: randomUUID(), messageId: waMessage, from: { address: '+31612345678' }, emoji: '', receivedAt: at(21) }),
  );
  add(h, e.commented(ANA, 'closing this', randomUUID()), e.trashed(at(13), at(20)), e.deleted());
  log.deleteStream(`conversation-${h}`);
  const restarted = randomUUID();
  log.record(
    `conversation-${restarted}`,
    e.started({ conversationId: restarted, inboxId: support, subject: 'To be deleted', startedAt: at(14) }),
    e.received({ receivedAt: at(14), text: 'first life', messageId: randomUUID() }),
    e.trashed(),
    e.deleted(),
  );
  log.deleteStream(`conversation-${restarted}`);
  log.record(`conversation-${restarted}`, e.started({ conversationId: restarted, inboxId: support, subject: 'Started again', startedAt: at(15) }));
  conversations.push(restarted);
  add(c, e.received({ receivedAt: at(16), text: 'Thanks for the quote' }), e.spam(), e.notSpam());
  const [v1, v2] = [randomUUID(), randomUUID()];
  log.record(`custom-view-${v1}`, newEvent('CustomViewCreated', { viewId: v1, inboxId: support, name: 'Refunds', filters: { q: 'refund' }, createdBy: ANA }));
  log.record(`custom-view-${v2}`, newEvent('CustomViewCreated', { viewId: v2, inboxId: support, name: 'Temp', filters: {}, createdBy: ANA }));
  log.record(`custom-view-${v1}`, newEvent('CustomViewUpdated', { name: 'Refunds (open)', filters: { q: 'refund', status: 'open' } }));
  log.record(`custom-view-${v2}`, newEvent('CustomViewDeleted', {}));
  const [chat, gone] = [randomUUID(), randomUUID()];
  log.record(
    `channel-connection-${chat}`,
    connectionEvent.connected(chat, support, 'chat', 'Website chat', { sessionSecret: 'v1:a:b:c' }, ['sessionSecret'], at(7)),
  );
  log.record(`channel-connection-${gone}`, connectionEvent.connected(gone, support, 'chat', 'Old site', {}, [], at(8)));
  log.record(`channel-connection-${chat}`, connectionEvent.changed({ name: 'Shop chat', settings: { sessionSecret: 'v1:d:e:f', greeting: 'Hi' } }, at(9)));
  log.record(`channel-connection-${gone}`, connectionEvent.disconnected());
  return {
    log,
    inboxIds: [support, sales],
    conversations,
    restarted,
    queries: [
      {},
      { q: 'refund' },
      { q: 'parcel', sort: 'newest' },
      { q: 'contact', limit: '2' },
      { status: 'closed' },
      { hideTrash: 'false', sort: 'oldest' },
      { assignee: 'none' },
      { q: 'quote' },
    ],
  };
}

/** Everything the port can tell about a history, in a comparable form. */
async function snapshot(store: ReadStore & ProcessorCheckpoints, history: History) {
  const agentIds = [ANA, BOB, CAROL];
  const views: Record<string, string[]> = {};
  const counts: Record<string, Record<BuiltInViewId, number>> = {};
  for (const inboxId of history.inboxIds) {
    for (const agentId of agentIds) {
      counts[`${inboxId}/${agentId}`] = await store.countViews(inboxId, agentId);
      for (const viewId of VIEW_IDS) {
        for (const sort of ['newest', 'oldest'] as const) {
          const items: string[] = [];
          let cursor: string | undefined;
          do {
            const page = await store.listView({ inboxId, viewId, agentId, sort, limit: 2, cursor });
            items.push(...page.items.map((s) => JSON.stringify(s)));
            cursor = page.nextCursor ?? undefined;
          } while (cursor);
          views[`${inboxId}/${viewId}/${agentId}/${sort}`] = items;
        }
      }
    }
  }
  const searches: unknown[] = [];
  for (const inboxId of history.inboxIds) {
    for (const params of history.queries) {
      const query = searchQuery(inboxId, params);
      const page = await store.searchConversations(query);
      searches.push({ params, items: page.items, more: page.nextCursor !== null, count: await store.countConversations({ inboxId, filters: query.filters }) });
    }
  }
  return {
    views,
    counts,
    searches,
    details: await Promise.all(history.conversations.map((id) => store.getConversation(id))),
    agents: (await store.listAgents()).sort((x, y) => x.id.localeCompare(y.id)),
    names: [...(await store.agentDisplayNames(agentIds)).entries()],
    agentCount: await store.countAgents(),
    inboxes: await store.listInboxes(),
    defaultInbox: await store.getDefaultInbox(),
    blocked: await Promise.all(history.inboxIds.map((id) => store.listBlockedSenders(id))),
    assigned: await Promise.all(agentIds.map(async (id) => (await store.conversationIdsAssignedTo(id)).sort())),
    filtered: await Promise.all(history.inboxIds.map((id) => store.filteredConversationIds(id, 'blocked@example.com'))),
    toPurge: await store.conversationIdsToPurge(at(100_000), 100),
    customViews: await Promise.all(history.inboxIds.map((id) => store.listCustomViews(id))),
    channelConnections: await store.listChannelConnections({}),
  };
}

/**
 * An event source for adapters that feed through their projection runner: whatever is pushed is
 * delivered to the open subscription as is, old positions and duplicates included (the
 * redeliveries an at-least-once subscription may make). A subscription first gets the backlog
 * after its checkpoint, then everything pushed while it is open.
 */
export class FedEventStore {
  private readonly pushed: RecordedEvent[] = [];
  private readonly listeners = new Set<() => void>();

  push(events: RecordedEvent[]): void {
    this.pushed.push(...events);
    for (const wake of [...this.listeners]) wake();
  }

  async *subscribeAll({ after, signal }: { after: number; signal?: AbortSignal }): AsyncIterable<RecordedEvent> {
    let next: number;
    const backlog = this.pushed.filter((event) => event.position > after);
    for (const event of backlog) {
      if (signal?.aborted) return;
      yield event;
    }
    next = this.pushed.length;
    while (!signal?.aborted) {
      if (next < this.pushed.length) {
        yield this.pushed[next];
        next += 1;
        continue;
      }
      await new Promise<void>((resolve) => {
        const wake = () => {
          this.listeners.delete(wake);
          signal?.removeEventListener('abort', wake);
          resolve();
        };
        this.listeners.add(wake);
        signal?.addEventListener('abort', wake, { once: true });
      });
    }
  }

  async headPosition(): Promise<number> {
    return this.pushed.reduce((top, event) => Math.max(top, event.position), 0);
  }
}
