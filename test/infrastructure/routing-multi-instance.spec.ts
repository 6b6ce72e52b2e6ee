import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import type Redis from 'ioredis';
import pino from 'pino';
import { CommandExecutor } from '../../src/application/command-handling/command-executor';
import { ConcurrencyError, type EventStore, type RecordedEvent } from '../../src/application/ports/event-store.port';
import { AutoAssignConversations } from '../../src/application/process-managers/auto-assign-conversations.saga';
import { ProcessManagerRunner } from '../../src/application/process-managers/process-manager-runner';
import { streams } from '../../src/application/streams';
import type { RoutingSettings } from '../../src/domain/inbox/inbox.events';
import { connectLeaseRedis, createLeaseRedis, LeasedProjections, ProjectorLease, RedisLease } from '../../src/infrastructure/projections/projector-lease';
import { openDatabase } from '../../src/infrastructure/sqlite/open-database';
import {
  agentEvent,
  append,
  at,
  cleanUp,
  cleanUpTempDirs,
  conversationEvent as e,
  inboxEvent,
  newEvent,
  openEventStore,
  openReadSide,
} from '../projections/fixtures';
import { reportSkippedSuite } from '../support/engines';

const SUITE = 'Auto-assignment on two instances, the projector lease moving between them (Redis)';
const silent = pino({ level: 'silent' });
const TTL_MS = 600;
const MANAGER = 'auto-assign-conversations';

/** REDIS_URL when set, else 127.0.0.1:6379 when it answers PING; else the suite is reported as skipped. */
function findRedis(): { url: string } | { unavailable: string } {
  if (process.env.REDIS_URL) return { url: process.env.REDIS_URL };
  const probe = `
    const socket = require('node:net').connect(6379, '127.0.0.1');
    socket.setTimeout(1000, () => process.exit(1));
    socket.on('error', () => process.exit(1));
    socket.on('connect', () => socket.write('PING\\r\\n'));
    socket.on('data', (d) => process.exit(String(d).startsWith('+PONG') ? 0 : 1));`;
  if (spawnSync(process.execPath, ['-e', probe], { timeout: 3000 }).status === 0) return { url: 'redis://127.0.0.1:6379' };
  return { unavailable: 'REDIS_URL is not set and nothing answers PING on 127.0.0.1:6379' };
}

/** Agents al, bo, cy (available, online; capacities 3, 3, 6), dee (online, away; 6) and eve (available, offline; 3); an inbox of all five, round robin. */
async function seed(store: EventStore) {
  const inboxId = randomUUID();
  const agents = ['al', 'bo', 'cy', 'dee', 'eve'].map(() => randomUUID());
  const [al, bo, cy, dee, eve] = agents;
  void bo;
  const capacity: Record<string, number> = { [al]: 3, [bo]: 3, [cy]: 6, [dee]: 6, [eve]: 3 };
  const routing: RoutingSettings = { mode: 'round-robin', channels: [], defaultCapacity: 3, capacities: { [cy]: 6, [dee]: 6 } };
  for (const [index, id] of agents.entries()) {
    const name = ['al', 'bo', 'cy', 'dee', 'eve'][index];
    await append(store, streams.agent(id), agentEvent.registered(id, name, `${name}-${id}@routing.example`));
    if (id !== eve) await append(store, streams.agent(id), newEvent('AgentPresenceChanged', { online: true, at: at(0) }));
  }
  await append(store, streams.agent(dee), agentEvent.availability('away')); // rule 11: online but away; eve: offline
  await append(
    store,
    streams.inbox(inboxId),
    inboxEvent.created(inboxId, 'Routing', null),
    inboxEvent.membersSet(agents),
    newEvent('InboxRoutingSet', routing as unknown as Record<string, unknown>),
  );
  return { inboxId, agents, capacity };
}

/**
 * Replays the log: at no point is an agent over capacity, nobody in `excluded` (away, offline) ever
 * gets a conversation, each conversation is assigned and handed out by the ledger at most once.
 */
function replayChecks(events: RecordedEvent[], capacity: Record<string, number>, excluded: string[], arrived: string[]) {
  const open = new Map<string, { assignee: string | null; closed: boolean }>();
  const loads = new Map<string, number>();
  const routedAt = new Map<string, number>();
  for (const event of events) {
    const id = event.streamId.startsWith('conversation-') ? event.streamId.slice('conversation-'.length) : null;
    if (event.type === 'ConversationStarted' && id) open.set(id, { assignee: null, closed: false });
    if (event.type === 'ConversationAssigned' && id) {
      const agentId = (event.data.assignee as { id: string }).id;
      expect(event.data.via).toBe('round-robin');
      expect(excluded).not.toContain(agentId);
      expect(routedAt.has(id)).toBe(false); // assigned at most once
      routedAt.set(id, event.position);
      open.get(id)!.assignee = agentId;
      loads.set(agentId, (loads.get(agentId) ?? 0) + 1);
      expect(loads.get(agentId)).toBeLessThanOrEqual(capacity[agentId]);
    }
    if (event.type === 'ConversationClosed' && id) {
      const conversation = open.get(id)!;
      conversation.closed = true;
      if (conversation.assignee) loads.set(conversation.assignee, loads.get(conversation.assignee)! - 1);
    }
  }
  // The ledger handed each conversation out at most once, and each hand-out was carried out.
  const routed = events.filter((event) => event.type === 'ConversationRouted').map((event) => String(event.data.conversationId));
  expect(new Set(routed).size).toBe(routed.length);
  expect(routed.length).toBe(routedAt.size);
  const waiting = arrived.filter((id) => !open.get(id)!.closed && open.get(id)!.assignee === null);
  return { loads, routedAt, waiting };
}

/** The ones still waiting all arrived after every one that was handed out (oldest first). */
function expectOldestRouted(events: RecordedEvent[], routedAt: Map<string, number>, waiting: string[]): void {
  const startedAt = new Map(events.filter((event) => event.type === 'ConversationStarted').map((event) => [String(event.data.conversationId), event.position]));
  const youngestRouted = Math.max(...[...routedAt.keys()].map((id) => startedAt.get(id)!));
  expect(waiting.every((id) => startedAt.get(id)! > youngestRouted)).toBe(true);
}

async function log(store: EventStore): Promise<RecordedEvent[]> {
  return store.readAll({ after: 0, maxCount: 1_000_000 });
}

/** An event store connection to `file` that counts its appends to routing ledgers, and the ones another writer won. */
function countingStore(file: string) {
  const { store } = openEventStore(file);
  const ledger = { writes: 0, conflicts: 0, duplicates: 0 };
  const appendToStore = store.append.bind(store);
  store.append = async (streamId, events, options) => {
    try {
      const result = await appendToStore(streamId, events, options);
      if (streamId.startsWith('routing-')) ledger[result.duplicate ? 'duplicates' : 'writes'] += 1;
      return result;
    } catch (error) {
      if (streamId.startsWith('routing-') && error instanceof ConcurrencyError) ledger.conflicts += 1;
      throw error;
    }
  };
  return { store, ledger };
}

const HANDLED = new Set<string>(new AutoAssignConversations(null as never, null as never).handles);

describe('Auto-assignment: two managers deciding on one ledger at the same moment', () => {
  afterEach(cleanUp);
  afterAll(cleanUpTempDirs);

  it('each handling every event (as during a lease overlap): the appends by revision let only one decide on each ledger state', async () => {
    const { store, file } = openEventStore();
    const { inboxId, agents, capacity } = await seed(store);
    const [al, bo, cy, dee, eve] = agents;
    const side = openReadSide(file, store);
    side.runner.start();
    const managers = [countingStore(file), countingStore(file)].map(({ store: own, ledger }) => ({
      manager: new AutoAssignConversations(new CommandExecutor(own, { now: () => new Date() }, side.runner, 10_000), side.readStore),
      ledger,
    }));
    const arrived: string[] = [];
    const arrive = (count: number) =>
      Promise.all(
        Array.from({ length: count }, async () => {
          const id = randomUUID();
          arrived.push(id);
          await append(store, streams.conversation(id), e.started({ conversationId: id, inboxId, channel: 'chat' }), e.received({ receivedAt: at(1) }));
        }),
      );
    /**
     * Both managers go through the log's new events at the same time, until they add nothing new: the
     * first from the start, the second from the middle, so they decide on the same ledger at the same
     * moment for different events. (No runner hands events out of order; the capacities, the
     * exclusions and "at most once" hold even so. Oldest first needs log order: the suite below.)
     */
    let after = 0;
    const runBoth = async () => {
      for (;;) {
        const events = (await store.readAll({ after, maxCount: 1_000_000 })).filter((event) => HANDLED.has(event.type));
        if (events.length === 0) return;
        after = events.at(-1)!.position;
        const half = Math.floor(events.length / 2);
        const orders = [events, [...events.slice(half), ...events.slice(0, half)]];
        await Promise.all(
          managers.map(async ({ manager }, i) => {
            for (const event of orders[i]) await manager.handle(event);
          }),
        );
      }
    };

    await arrive(30);
    await runBoth();
    // Close a few of each agent's; both managers see the closes at once.
    for (const agentId of [al, bo, cy]) {
      let closed = 0;
      for (const id of arrived) {
        const events = await store.readStream(streams.conversation(id));
        const assigned = events.filter((event) => event.type === 'ConversationAssigned').at(-1);
        if (
          closed < 2 &&
          (assigned?.data.assignee as { id?: string } | undefined)?.id === agentId &&
          !events.some((event) => event.type === 'ConversationClosed')
        ) {
          await append(store, streams.conversation(id), e.closed());
          closed += 1;
        }
      }
    }
    await arrive(10);
    await runBoth();

    const events = await log(store);
    const { loads, routedAt, waiting } = replayChecks(events, capacity, [dee, eve], arrived);
    expect(Object.fromEntries([al, bo, cy].map((id) => [id, loads.get(id)]))).toEqual({ [al]: 3, [bo]: 3, [cy]: 6 });
    expect(routedAt.size).toBe(12 + 6);
    expect(waiting).toHaveLength(40 - 18);
    // They did race: appends made on a ledger revision the other had moved on from were refused, and decided again.
    expect(managers.reduce((sum, { ledger }) => sum + ledger.conflicts, 0)).toBeGreaterThan(0);
    expect(managers.every(({ ledger }) => ledger.writes > 0)).toBe(true);
    await side.runner.stop();
  }, 60_000);
});

describe('Auto-assignment after a crash between the hand-out and the assignment', () => {
  afterEach(cleanUp);
  afterAll(cleanUpTempDirs);

  /** A manager whose instance dies right after writing the ledger: its assignments never go out. */
  function managerOn(file: string, side: ReturnType<typeof openReadSide>, crashBeforeAssigning = false) {
    const { store } = openEventStore(file);
    const executor = new CommandExecutor(store, { now: () => new Date() }, side.runner, 10_000);
    if (crashBeforeAssigning) {
      const execute = executor.execute.bind(executor);
      executor.execute = ((streamId: string, decider: never, command: { type?: string }, ctx: never, guard?: never) => {
        if (command?.type === 'AutoAssignConversation') throw new Error('the instance died');
        return execute(streamId, decider, command as never, ctx, guard);
      }) as typeof executor.execute;
    }
    return new AutoAssignConversations(executor, side.readStore);
  }

  async function setUp() {
    const { store, file } = openEventStore();
    const seeded = await seed(store);
    const side = openReadSide(file, store);
    side.runner.start();
    const id = randomUUID();
    await append(
      store,
      streams.conversation(id),
      e.started({ conversationId: id, inboxId: seeded.inboxId, channel: 'chat' }),
      e.received({ receivedAt: at(1) }),
    );
    const events = await log(store);
    const arrival = events.find((event) => event.type === 'ConversationStarted' && event.data.conversationId === id)!;
    // The instance decides (the ledger says "al"), then dies before assigning.
    await expect(managerOn(file, side, true).handle(arrival)).rejects.toThrow('the instance died');
    const routed = (await log(store)).filter((event) => event.type === 'ConversationRouted');
    expect(routed.map((event) => event.data.conversationId)).toEqual([id]);
    return { store, file, side, id, arrival, routedTo: String(routed[0].data.agentId), ...seeded };
  }

  const assignmentsOf = async (store: EventStore, id: string) =>
    (await store.readStream(streams.conversation(id))).filter((event) => event.type === 'ConversationAssigned').map((event) => event.data.assignee);

  it('the re-run (a restart, or the next lease holder) carries the hand-out out, once', async () => {
    const { store, file, side, id, arrival, routedTo } = await setUp();
    const restarted = managerOn(file, side);
    await restarted.handle(arrival);
    await restarted.handle(arrival); // delivered again: nothing new
    expect(await assignmentsOf(store, id)).toEqual([{ type: 'agent', id: routedTo }]);
    await side.runner.stop();
  });

  it('a hand-out to an agent who went away before it was carried out is taken back and goes to someone there (rule 11)', async () => {
    const { store, file, side, id, arrival, routedTo, agents } = await setUp();
    await append(store, streams.agent(routedTo), agentEvent.availability('away'));
    await managerOn(file, side).handle(arrival);
    const assigned = await assignmentsOf(store, id);
    expect(assigned).toHaveLength(1);
    expect((assigned[0] as { id: string }).id).not.toBe(routedTo);
    expect(agents.slice(0, 3)).toContain((assigned[0] as { id: string }).id);
    expect((await log(store)).filter((event) => event.type === 'ConversationRouteWithdrawn').map((event) => event.data)).toEqual([
      { conversationId: id, agentId: routedTo },
    ]);
    await side.runner.stop();
  });
});

const source = findRedis();

if ('unavailable' in source) {
  reportSkippedSuite(SUITE, source.unavailable, 'redis');
  describe(SUITE, () => {
    it.skip(`needs Redis: ${source.unavailable}`, () => undefined);
  });
} else {
  const url = source.url;
  const clients: Redis[] = [];
  const stops: Array<() => Promise<void>> = [];
  let key = '';

  afterEach(async () => {
    for (const stop of stops.splice(0).reverse()) await stop().catch(() => undefined);
    if (clients.length > 0 && key) await clients[0].del(key).catch(() => undefined);
    for (const redis of clients.splice(0)) redis.disconnect();
    await cleanUp();
  });
  afterAll(cleanUpTempDirs);

  async function client(): Promise<Redis> {
    const redis = createLeaseRedis(url);
    await connectLeaseRedis(redis, url);
    clients.push(redis);
    return redis;
  }

  /**
   * One Parley instance as the app wires it with shared engines: its own connections to the shared
   * data file, projections and process managers (here: auto-assignment alone) as the lease holder's
   * exclusive work.
   */
  async function instance(file: string, name: string) {
    const { store, ledger } = countingStore(file);
    const side = openReadSide(file, store);
    const lease = new ProjectorLease({ lease: new RedisLease(await client(), key, name, TTL_MS), logger: silent, retryEveryMs: 30 });
    const storedPosition = async () =>
      (side.db.prepare('SELECT min(position) AS position FROM projection_checkpoints').get() as { position: number | null }).position ?? 0;
    const projections = new LeasedProjections({ lease, runner: side.runner, storedPosition, logger: silent, pollEveryMs: 10 });
    const executor = new CommandExecutor(store, { now: () => new Date() }, projections, 10_000);
    const manager = new AutoAssignConversations(executor, side.readStore);
    const runner = new ProcessManagerRunner(store, side.readStore, silent);
    lease.add({ name: 'process-managers', start: () => runner.start([manager]), stop: () => runner.stop() });
    await projections.start();
    /** Dies for good: whatever it still ran stops (after an abandon, its work ran on until now). */
    const kill = async () => {
      await projections.stop();
      await runner.stop();
      await side.runner.stop();
    };
    stops.push(kill);
    return { name, lease, projections, runner, kill, ledger };
  }

  async function eventually(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms: ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  describe(SUITE, () => {
    it('concurrent arrivals and closes while the lease moves (a handover and an abandoned holder): nobody over capacity, nobody away or offline, each conversation handed out at most once, and in the end every place filled', async () => {
      key = `parley:test-routing-lease:${randomUUID()}`;
      const { store, file } = openEventStore();
      const {
        inboxId,
        agents: [al, bo, cy, dee, eve],
        capacity,
      } = await seed(store);

      const a = await instance(file, 'A');
      const b = await instance(file, 'B');
      expect([a.lease.isHolder(), b.lease.isHolder()]).toEqual([true, false]);

      const arrived: string[] = [];
      const arrive = (count: number) =>
        Promise.all(
          Array.from({ length: count }, async () => {
            const id = randomUUID();
            arrived.push(id);
            await append(store, streams.conversation(id), e.started({ conversationId: id, inboxId, channel: 'chat' }), e.received({ receivedAt: at(1) }));
          }),
        );
      /** Closes a few conversations that are assigned now (places free up while the lease moves). */
      const closeSome = async (count: number) => {
        let closed = 0;
        for (const id of arrived) {
          if (closed === count) break;
          const events = await store.readStream(streams.conversation(id));
          if (events.some((event) => event.type === 'ConversationAssigned') && !events.some((event) => event.type === 'ConversationClosed')) {
            await append(store, streams.conversation(id), e.closed());
            closed += 1;
          }
        }
      };
      const assignedCount = async () => (await log(store)).filter((event) => event.type === 'ConversationAssigned').length;

      // Wave 1 on A.
      await arrive(20);
      await eventually(async () => (await assignedCount()) >= 12, 'A hands out the first places');
      // A hands over (graceful stop) while wave 2 and closes arrive; B takes over, A comes back as a contender.
      const wave2 = Promise.all([arrive(20), closeSome(4)]);
      await a.projections.stop();
      await eventually(() => b.lease.isHolder(), 'B takes the lease');
      await a.projections.start();
      await wave2;
      await closeSome(3);
      // B freezes (no renewal, its work runs on): A takes over after the ttl while B still routes; wave 3 meanwhile.
      await b.lease.abandon();
      const wave3 = Promise.all([arrive(20), closeSome(3)]);
      await eventually(() => a.lease.isHolder(), 'A takes the lease from the frozen B');
      await wave3;
      await closeSome(2);
      await new Promise((resolve) => setTimeout(resolve, 200)); // both route for a while
      await b.kill();

      // A finishes: auto-assignment has handled everything it handles in the log.
      await settled(store, file);
      const events = await log(store);

      const { loads, routedAt, waiting } = replayChecks(events, capacity, [dee, eve], arrived);

      // Both instances decided hand-outs on the one ledger.
      expect(a.ledger.writes).toBeGreaterThan(0);
      expect(b.ledger.writes).toBeGreaterThan(0);
      // In the end: the eligible agents are full, the rest wait, oldest first.
      expect(Object.fromEntries([al, bo, cy].map((id) => [id, loads.get(id)]))).toEqual({ [al]: 3, [bo]: 3, [cy]: 6 });
      expect(waiting.length).toBe(60 - routedAt.size);
      expectOldestRouted(events, routedAt, waiting);
    }, 120_000);
  });

  /** The stored checkpoint of auto-assignment has passed every event it handles (twice in a row, nothing new meanwhile). */
  async function settled(store: EventStore, file: string): Promise<void> {
    const db = openDatabase(file, { synchronous: 'NORMAL' });
    try {
      const deadline = Date.now() + 60_000;
      for (let stable = 0; stable < 2;) {
        const last = (await log(store)).filter((event) => HANDLED.has(event.type)).at(-1)?.position ?? 0;
        const row = db.prepare('SELECT position FROM processor_checkpoints WHERE name = ?').get(MANAGER) as { position: number } | undefined;
        stable = (row?.position ?? 0) >= last ? stable + 1 : 0;
        if (Date.now() > deadline) throw new Error('auto-assignment did not catch up with the log');
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    } finally {
      db.close();
    }
  }
}
