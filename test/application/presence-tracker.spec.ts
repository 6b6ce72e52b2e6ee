import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemContext } from '../../src/application/command-handling/command-context';
import { CommandExecutor } from '../../src/application/command-handling/command-executor';
import { agentDecider } from '../../src/domain/agent/agent.decider';
import { EVENT_STORE, type EventStore } from '../../src/application/ports/event-store.port';
import { READ_STORE, type ReadStore } from '../../src/application/ports/read-store.port';
import { PresenceSweeper } from '../../src/application/presence/presence-sweeper';
import { PresenceTracker } from '../../src/application/presence/presence-tracker';
import { ManualClock, startTestApp, type TestApp } from '../support/app-harness';

/**
 * Presence (issue 14, rule 11) on real apps over one data folder, as two instances of a
 * deployment share their stores: each app's PresenceTracker counts the live streams it holds (here
 * opened and released directly, as GET /events does), and a PresenceSweeper records offline. Time
 * is a ManualClock; the heartbeats and sweeps the timers would run are called by hand, so nothing
 * depends on how fast the machine is. Background work is off: no sweeper runs by itself.
 */
const GRACE_MS = 60_000;
const SECOND = 1_000;

describe('presence: online while Parley is open, offline after the grace period', () => {
  let dataDir: string;
  let clock: ManualClock;
  let first: TestApp;
  let second: TestApp | null = null;
  let agentId: string;

  const start = () => startTestApp({ dataDir, clock, backgroundWork: false, env: { PARLEY_PRESENCE_GRACE_SECONDS: String(GRACE_MS / SECOND) } });
  const tracker = (app: TestApp) => app.app.get(PresenceTracker);
  const sweeper = (app: TestApp) => app.app.get(PresenceSweeper);
  const online = async () => (await first.app.get<ReadStore>(READ_STORE).getAgent(agentId))!.online;
  const presenceEvents = async () =>
    (await first.app.get<EventStore>(EVENT_STORE).readStream(`agent-${agentId}`))
      .filter((event) => event.type === 'AgentPresenceChanged')
      .map((event) => (event.data as { online: boolean }).online);

  beforeEach(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'parley-presence-'));
    clock = new ManualClock();
    first = await start();
    const token = await first.login();
    agentId = (await first.request('GET', '/api/me', { token })).body.id;
  });

  afterEach(async () => {
    await second?.close();
    second = null;
    await first.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('the first open stream records the agent online at once, and GET /api/me says so', async () => {
    expect(await online()).toBe(false);
    const stream = tracker(first).open(agentId);
    await stream.recorded;
    expect(await online()).toBe(true);
    expect(await presenceEvents()).toEqual([true]);
    const token = await first.login();
    expect((await first.request('GET', '/api/me', { token })).body).toMatchObject({ id: agentId, online: true });
    // A second tab records nothing more.
    const another = tracker(first).open(agentId);
    await another.recorded;
    expect(tracker(first).openStreams().get(agentId)).toBe(2);
    expect(await presenceEvents()).toEqual([true]);
    stream.release();
    another.release();
  });

  it('a stream closed and opened again within the grace period (a reload) records no offline', async () => {
    const stream = tracker(first).open(agentId);
    await stream.recorded;
    stream.release();
    await tracker(first).flushed();
    clock.advance(GRACE_MS - 10 * SECOND);
    expect(await sweeper(first).sweep()).toEqual([]);
    const reopened = tracker(first).open(agentId);
    await reopened.recorded;
    // Long after the first close, the open stream's heartbeats keep the agent online.
    for (let i = 0; i < 5; i += 1) {
      clock.advance(GRACE_MS / 2);
      await tracker(first).beat();
      expect(await sweeper(first).sweep()).toEqual([]);
    }
    expect(await online()).toBe(true);
    expect(await presenceEvents()).toEqual([true]);
    reopened.release();
  });

  it('the last stream closed for longer than the grace period: offline (and a release twice counts once)', async () => {
    const stream = tracker(first).open(agentId);
    await stream.recorded;
    clock.advance(30 * SECOND);
    stream.release();
    stream.release();
    await tracker(first).flushed();
    expect(tracker(first).openStreams().has(agentId)).toBe(false);
    clock.advance(GRACE_MS - SECOND);
    expect(await sweeper(first).sweep()).toEqual([]);
    expect(await online()).toBe(true);
    clock.advance(SECOND);
    expect(await sweeper(first).sweep()).toEqual([agentId]);
    expect(await online()).toBe(false);
    expect(await presenceEvents()).toEqual([true, false]);
    // Nothing more to record.
    clock.advance(GRACE_MS);
    expect(await sweeper(first).sweep()).toEqual([]);
    expect(await presenceEvents()).toEqual([true, false]);
  });

  it('two instances on one data folder: one closing its stream does not take the agent offline while the other holds one', async () => {
    second = await start();
    const onFirst = tracker(first).open(agentId);
    const onSecond = tracker(second).open(agentId);
    await Promise.all([onFirst.recorded, onSecond.recorded]);
    expect(await presenceEvents()).toEqual([true]);
    onFirst.release();
    await tracker(first).flushed();
    for (let i = 0; i < 4; i += 1) {
      clock.advance(GRACE_MS / 2);
      await tracker(second).beat();
      // Whichever instance sweeps, it sees the other's heartbeats.
      expect(await sweeper(first).sweep()).toEqual([]);
      expect(await sweeper(second).sweep()).toEqual([]);
    }
    expect(await online()).toBe(true);
    onSecond.release();
    await tracker(second).flushed();
    clock.advance(GRACE_MS);
    expect(await sweeper(first).sweep()).toEqual([agentId]);
    expect(await online()).toBe(false);
  });

  it('an instance that stops heartbeating (it died with streams open): its agents go offline after the grace period', async () => {
    second = await start();
    const onSecond = tracker(second).open(agentId);
    await onSecond.recorded;
    clock.advance(20 * SECOND);
    await tracker(second).beat();
    // The second instance goes away without closing its stream: its row stays, and ages.
    await second.close();
    second = null;
    clock.advance(GRACE_MS - SECOND);
    expect(await sweeper(first).sweep()).toEqual([]);
    clock.advance(SECOND);
    expect(await sweeper(first).sweep()).toEqual([agentId]);
    expect(await online()).toBe(false);
  });

  it('after a start, an agent recorded online with no heartbeat gets the grace period to reconnect', async () => {
    const stream = tracker(first).open(agentId);
    await stream.recorded;
    // The whole deployment stops; long after, it starts again.
    clock.advance(10 * GRACE_MS);
    second = await start();
    const restarted = sweeper(second);
    restarted.start();
    try {
      expect(await restarted.sweep()).toEqual([]);
      clock.advance(GRACE_MS - SECOND);
      expect(await restarted.sweep()).toEqual([]);
      clock.advance(SECOND);
      expect(await restarted.sweep()).toEqual([agentId]);
      expect(await online()).toBe(false);
    } finally {
      await restarted.stop();
      stream.release();
    }
  });

  it('a stream opening while the agent is recorded offline records them online again, and the next heartbeat repairs a lost race', async () => {
    const stream = tracker(first).open(agentId);
    await stream.recorded;
    stream.release();
    await tracker(first).flushed();
    clock.advance(GRACE_MS);
    expect(await sweeper(first).sweep()).toEqual([agentId]);
    const back = tracker(first).open(agentId);
    await back.recorded;
    expect(await online()).toBe(true);
    expect(await presenceEvents()).toEqual([true, false, true]);
    // A sweeper that decided just before the stream opened records offline after all …
    await first.app
      .get(CommandExecutor)
      .execute(`agent-${agentId}`, agentDecider, { type: 'SetPresence', data: { online: false, now: clock.now().toISOString() } }, systemContext());
    expect(await online()).toBe(false);
    // … and the stream's next heartbeat records the agent online again.
    await tracker(first).beat();
    expect(await online()).toBe(true);
    expect(await presenceEvents()).toEqual([true, false, true, false, true]);
    back.release();
  });
});
