import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import Redis from 'ioredis';
import pino from 'pino';
import type { RecordedEvent } from '../../src/application/ports/event-store.port';
import { StoreUnavailableError } from '../../src/application/ports/event-store.port';
import { loadConfig } from '../../src/infrastructure/config/config';
import {
  connectLeaseRedis,
  createLeaseRedis,
  LeasedProjections,
  ProjectorLease,
  RedisLease,
  type ExclusiveWork,
} from '../../src/infrastructure/projections/projector-lease';
import { databaseFile, openDatabase } from '../../src/infrastructure/sqlite/open-database';
import {
  append,
  at,
  cleanUp,
  cleanUpTempDirs,
  conversationEvent as e,
  dumpReadModels,
  newDataDir,
  openEventStore,
  openReadSide,
} from '../projections/fixtures';
import { reportSkippedSuite } from '../support/engines';
import { buildServer, delay, removeServerBuild } from '../support/server-process';

const SUITE = 'Projector lease on Redis';
const silent = pino({ level: 'silent' });

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

describe('projector lease configuration', () => {
  it('is on with shared read models (READ_STORE=mongodb) and REDIS_URL, and off otherwise', () => {
    const mongo = { READ_STORE: 'mongodb', MONGODB_URL: 'mongodb://db/parley' };
    expect(loadConfig({ ...mongo, REDIS_URL: 'redis://cache:6379' }).projectorLease).toEqual({ redisUrl: 'redis://cache:6379' });
    expect(loadConfig({ ...mongo, QUEUE: 'bull', REDIS_URL: 'redis://cache:6379' }).projectorLease).toEqual({ redisUrl: 'redis://cache:6379' });
    expect(loadConfig(mongo).projectorLease).toBeUndefined();
    // Read models in each instance's own file: every instance must project its own, no lease.
    expect(loadConfig({ REDIS_URL: 'redis://cache:6379', QUEUE: 'bull' }).projectorLease).toBeUndefined();
    expect(loadConfig({ REDIS_URL: 'redis://cache:6379', EVENT_STORE: 'eventstoredb', EVENTSTORE_URL: 'esdb://es:2113' }).projectorLease).toBeUndefined();
  });

  it('names a REDIS_URL that is not a redis:// URL, password masked', () => {
    expect(() => loadConfig({ READ_STORE: 'mongodb', MONGODB_URL: 'mongodb://db/parley', REDIS_URL: 'http://user:pw-123@cache' })).toThrow(
      /REDIS_URL="http:\/\/user:\*\*\*@cache" is not a redis:\/\/ or rediss:\/\/ URL/,
    );
  });

  it('fails to connect within its bound, naming REDIS_URL with the password masked', async () => {
    const url = 'redis://:lease-pw@127.0.0.1:1';
    const redis = createLeaseRedis(url, 1000);
    const started = Date.now();
    const error = await connectLeaseRedis(redis, url, 1000).then(
      () => null,
      (caught: unknown) => caught as Error,
    );
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect(error?.message).toContain('REDIS_URL=redis://:***@127.0.0.1:1');
    expect(error?.message).not.toContain('lease-pw');
    expect(Date.now() - started).toBeLessThan(3000);
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
  const leases: ProjectorLease[] = [];
  const keys: string[] = [];

  async function client(): Promise<Redis> {
    const redis = createLeaseRedis(url);
    await connectLeaseRedis(redis, url);
    clients.push(redis);
    return redis;
  }

  function newKey(): string {
    const key = `parley:test-lease:${randomUUID()}`;
    keys.push(key);
    return key;
  }

  /** Work that records when it runs. */
  function recordingWork(name: string, log: string[]): ExclusiveWork & { running: boolean } {
    const work = {
      name,
      running: false,
      start() {
        work.running = true;
        log.push(`${name} started`);
      },
      async stop() {
        work.running = false;
        log.push(`${name} stopped`);
      },
    };
    return work;
  }

  async function contender(key: string, ttlMs: number, name: string, log: string[] = []) {
    const lease = new ProjectorLease({ lease: new RedisLease(await client(), key, name, ttlMs), logger: silent, retryEveryMs: Math.max(20, ttlMs / 10) });
    leases.push(lease);
    const work = recordingWork(name, log);
    lease.add(work);
    return { lease, work, log, name };
  }

  async function eventually(check: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<number> {
    const started = Date.now();
    while (!(await check())) {
      if (Date.now() - started > timeoutMs) throw new Error(`not within ${timeoutMs} ms: ${what}`);
      await delay(10);
    }
    return Date.now() - started;
  }

  afterEach(async () => {
    for (const lease of leases.splice(0)) await lease.stop();
    if (keys.length > 0) {
      const admin = await client();
      await admin.del(...keys.splice(0));
    }
    for (const redis of clients.splice(0)) redis.disconnect();
    await cleanUp();
  });
  afterAll(cleanUpTempDirs);

  describe(SUITE, () => {
    it('of several contenders exactly one holds the lease and runs the work', async () => {
      const key = newKey();
      const all = await Promise.all(['a', 'b', 'c', 'd', 'e'].map((name) => contender(key, 2000, name)));
      await Promise.all(all.map(({ lease }) => lease.start()));
      const holders = all.filter(({ lease }) => lease.isHolder());
      expect(holders).toHaveLength(1);
      expect(all.filter(({ work }) => work.running).map((c) => c.name)).toEqual([holders[0].name]);
      const admin = await client();
      expect(await admin.get(key)).toBe(holders[0].name);
      // Renewals keep it there: after several ttls the same one holds it.
      await delay(2500);
      expect(all.filter(({ lease }) => lease.isHolder()).map((c) => c.name)).toEqual([holders[0].name]);
      expect(await admin.pttl(key)).toBeGreaterThan(0);
    });

    it('a holder that dies (stops renewing) is replaced within the ttl', async () => {
      const ttl = 600;
      const key = newKey();
      const first = await contender(key, ttl, 'first');
      await first.lease.start();
      const second = await contender(key, ttl, 'second');
      await second.lease.start();
      expect(first.lease.isHolder()).toBe(true);
      expect(second.lease.isHolder()).toBe(false);
      await first.lease.abandon(); // frozen: no renewal, no release, its work still "running"
      const tookMs = await eventually(() => second.lease.isHolder(), 5000, 'second takes over');
      expect(second.work.running).toBe(true);
      // Expiry (at most ttl after the last renewal) plus one retry interval.
      expect(tookMs).toBeLessThanOrEqual(ttl + ttl / 10 + 250);
    });

    it('a holder that stops gives the lease back at once', async () => {
      const key = newKey();
      const first = await contender(key, 5000, 'first');
      await first.lease.start();
      const second = await contender(key, 5000, 'second');
      await second.lease.start();
      await first.lease.stop();
      expect(first.work.running).toBe(false);
      const tookMs = await eventually(() => second.lease.isHolder(), 3000, 'second takes over');
      expect(tookMs).toBeLessThan(1500); // a retry interval, not the 5 s ttl
    });

    it("a holder that lost the lease stops its work, and never deletes the new holder's lease", async () => {
      const ttl = 900;
      const key = newKey();
      const log: string[] = [];
      const holder = await contender(key, ttl, 'holder', log);
      await holder.lease.start();
      expect(holder.work.running).toBe(true);
      // Someone else has the key now (the holder's lease expired while it was stalled, say).
      const admin = await client();
      await admin.set(key, 'intruder', 'PX', 5000);
      await eventually(() => !holder.work.running, ttl, 'the holder stops its work at its next renewal');
      expect(holder.lease.isHolder()).toBe(false);
      expect(log).toEqual(['holder started', 'holder stopped']);
      await holder.lease.stop();
      expect(await admin.get(key)).toBe('intruder');
    });

    it('a holder whose Redis stops answering stops its work before its lease can expire', async () => {
      const ttl = 900;
      let failing = false;
      const stub = {
        key: 'k',
        owner: 'me',
        ttlMs: ttl,
        tryAcquire: async () => true,
        renew: async () => {
          if (failing) throw new Error('Connection is closed.');
          return true;
        },
        release: async () => undefined,
        holder: async () => 'me',
      } as unknown as RedisLease;
      const lease = new ProjectorLease({ lease: stub, logger: silent });
      leases.push(lease);
      const work = recordingWork('work', []);
      lease.add(work);
      await lease.start();
      await delay(ttl / 3 + 50); // one successful renewal
      failing = true;
      const lastRenewal = Date.now() - 50;
      await eventually(() => !work.running, ttl, 'work stops');
      expect(Date.now() - lastRenewal).toBeLessThan(ttl);
    });

    it('work added while holding starts at once; on losing the lease the works stop in reverse order', async () => {
      const key = newKey();
      const log: string[] = [];
      const lease = new ProjectorLease({ lease: new RedisLease(await client(), key, 'me', 800), logger: silent });
      leases.push(lease);
      lease.add(recordingWork('projections', log));
      await lease.start();
      lease.add(recordingWork('process-managers', log));
      await eventually(() => log.length === 2, 1000, 'second work starts');
      await (await client()).del(key);
      await eventually(() => log.length >= 4, 2000, 'works stop');
      // (It may take the free lease again right after: only the first change of hands is checked.)
      expect(log.slice(0, 4)).toEqual(['projections started', 'process-managers started', 'process-managers stopped', 'projections stopped']);
    });

    it('with the embedded runner: only the holder projects; the other waits on the shared checkpoint; a holder that lost the lease stops projecting', async () => {
      const { store, file } = openEventStore();
      const key = newKey();
      const sideA = openReadSide(file, store);
      const sideB = openReadSide(file, store);
      const storedPosition = async () => {
        const row = sideB.db.prepare('SELECT min(position) AS position FROM projection_checkpoints').get() as { position: number | null };
        return row.position ?? 0;
      };
      const ttl = 900;
      const leaseA = new ProjectorLease({ lease: new RedisLease(await client(), key, 'A', ttl), logger: silent });
      const leaseB = new ProjectorLease({ lease: new RedisLease(await client(), key, 'B', ttl), logger: silent, retryEveryMs: 50 });
      const projectionsA = new LeasedProjections({ lease: leaseA, runner: sideA.runner, storedPosition, logger: silent });
      const projectionsB = new LeasedProjections({ lease: leaseB, runner: sideB.runner, storedPosition, logger: silent, pollEveryMs: 10 });
      leases.push(leaseA, leaseB);
      await projectionsA.start();
      await projectionsB.start();
      expect([leaseA.isHolder(), leaseB.isHolder()]).toEqual([true, false]);

      const id = randomUUID();
      const position = await append(store, `conversation-${id}`, e.started({ conversationId: id, inboxId: 'inbox' }), e.received({ receivedAt: at(1) }));
      // Read-your-writes on the instance that does not project: it waits on the checkpoint in the file.
      expect(await projectionsB.waitFor(position, 5000)).toBe(true);
      expect(projectionsB.position()).toBeGreaterThanOrEqual(position);
      expect(await sideB.readStore.getConversationSummary(id)).toMatchObject({ id, revision: 1 });

      // A loses its lease (B's now): A stops projecting, B starts.
      await (await client()).set(key, 'B-elsewhere', 'PX', 60_000);
      await eventually(() => !leaseA.isHolder(), 2000, 'A notices');
      const next = await append(store, `conversation-${id}`, e.closed());
      await delay(300);
      expect(sideA.runner.position()).toBeLessThan(next); // A projects no more
      expect(await storedPosition()).toBeLessThan(next); // and nobody else does while the key is foreign
      await (await client()).del(key);
      await eventually(() => leaseB.isHolder() || leaseA.isHolder(), 2000, 'someone takes the lease again');
      expect(await (leaseB.isHolder() ? projectionsB : projectionsA).waitFor(next, 5000)).toBe(true);
      expect(await projectionsA.waitFor(next, 5000)).toBe(true);
      expect((await sideA.readStore.getConversationSummary(id))?.status).toBe('closed');
      await projectionsA.stop();
      await projectionsB.stop();
    });

    describe('two processes sharing one engine set, the holder killed', () => {
      let dist: string;
      const children: ChildProcess[] = [];

      beforeAll(async () => {
        dist = dirname(await buildServer());
        writeFileSync(join(dist, 'lease-worker.js'), WORKER_SCRIPT);
      }, 180_000);

      afterAll(() => {
        for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
        removeServerBuild();
      });

      interface Worker {
        child: ChildProcess;
        lines: Array<{ at: number; holding?: boolean; work?: string; ready?: boolean }>;
        output: () => string;
      }

      function startWorker(file: string, key: string): Worker {
        const child = spawn(process.execPath, [join(dist, 'lease-worker.js')], {
          env: { PATH: process.env.PATH ?? '', DB_FILE: file, REDIS_URL: url, LEASE_KEY: key, LEASE_TTL_MS: String(WORKER_TTL_MS) },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        children.push(child);
        const worker: Worker = { child, lines: [], output: () => text };
        let text = '';
        let pending = '';
        child.stdout!.on('data', (chunk: Buffer) => {
          text += chunk.toString();
          pending += chunk.toString();
          const parts = pending.split('\n');
          pending = parts.pop() ?? '';
          for (const part of parts) if (part.trim()) worker.lines.push({ at: Date.now(), ...(JSON.parse(part) as object) });
        });
        child.stderr!.on('data', (chunk: Buffer) => (text += chunk.toString()));
        return worker;
      }

      const holding = (worker: Worker) => worker.lines.filter((line) => line.holding !== undefined).at(-1)?.holding === true;

      it('only one process advances the checkpoints; after kill -9 the other takes over, catches up, and nothing is applied twice', async () => {
        const { store, file } = openEventStore();
        const key = newKey();
        const a = startWorker(file, key);
        await eventually(() => holding(a), 20_000, `worker A holds the lease\n${a.output()}`);
        const b = startWorker(file, key);
        await eventually(() => b.lines.some((line) => line.ready), 20_000, `worker B is up\n${b.output()}`);
        expect(holding(b)).toBe(false);

        const inbox = randomUUID();
        const write = async (count: number, from: number) => {
          let head = 0;
          for (let i = from; i < from + count; i += 1) {
            const id = randomUUID();
            head = await append(
              store,
              `conversation-${id}`,
              e.started({ conversationId: id, inboxId: inbox, subject: `Thread ${i}` }),
              e.received({ receivedAt: at(i) }),
            );
            if (i % 4 === 0) head = await append(store, `conversation-${id}`, e.assigned({ type: 'agent', id: 'agent-1' }), e.closed());
          }
          return head;
        };
        const db = openDatabase(file, { synchronous: 'NORMAL' });
        try {
          const checkpoint = () => (db.prepare('SELECT min(position) AS p FROM projection_checkpoints').get() as { p: number | null }).p ?? 0;
          const beforeKill = await write(30, 0);
          await eventually(() => checkpoint() >= beforeKill, 20_000, 'A catches up');

          const killedAt = Date.now();
          a.child.kill('SIGKILL');
          const afterKill = await write(30, 30);
          await eventually(() => holding(b), 10_000, `B takes over\n${b.output()}`);
          const takeover = b.lines.find((line) => line.holding === true)!.at - killedAt;
          expect(takeover).toBeLessThanOrEqual(WORKER_TTL_MS + 1500);
          await eventually(() => checkpoint() >= afterKill, 20_000, 'B catches up');

          // Who applied what: every event once; A's before the kill, B's after; B never before.
          const applied = db.prepare('SELECT position, pid FROM applied_by ORDER BY position').all() as Array<{ position: number; pid: number }>;
          const handled = (await store.readAll({ after: 0, maxCount: 10_000 })).filter((event: RecordedEvent) => WORKER_HANDLED.includes(event.type));
          expect(applied.map((row) => row.position)).toEqual(handled.map((event) => event.position));
          const runs = applied.map((row) => row.pid).filter((pid, i, pids) => i === 0 || pid !== pids[i - 1]);
          expect(runs).toEqual([a.child.pid, b.child.pid]);
          expect(applied.filter((row) => row.pid === a.child.pid).every((row) => row.position <= beforeKill)).toBe(true);
          // The process managers (an exclusive work too) ran in A, then in B only after the kill.
          expect(a.lines.filter((line) => line.work).map((line) => line.work)).toEqual(['process-managers started']);
          expect(b.lines.filter((line) => line.work).map((line) => line.work)).toEqual(['process-managers started']);
          expect(b.lines.find((line) => line.work)!.at).toBeGreaterThanOrEqual(killedAt);

          // The read models equal a rebuild from the log.
          const rebuilt = openReadSide(databaseFile(newDataDir()), store);
          rebuilt.runner.start();
          expect(await rebuilt.runner.waitFor(afterKill, 20_000)).toBe(true);
          expect(dumpReadModels(db)).toEqual(dumpReadModels(rebuilt.db));
          expect((dumpReadModels(db).rm_conversations as unknown[]).length).toBe(60);
        } finally {
          db.close();
          b.child.kill('SIGTERM');
          await new Promise((resolve) => (b.child.exitCode !== null ? resolve(null) : b.child.once('exit', resolve)));
        }
      }, 120_000);
    });
  });
}

const WORKER_TTL_MS = 1500;
const WORKER_HANDLED = ['ConversationStarted', 'MessageReceived', 'ConversationAssigned', 'ConversationClosed'];

/**
 * A projector process as the app wires one with the lease (storage.ts, READ_STORE=mongodb),
 * here over the embedded engines so two processes can share them: SQLite events and read models
 * in one file, the lease in Redis. An extra projection records which process applied each event
 * (in the runner's transaction); a second exclusive work stands for the process managers.
 * Prints one JSON line per change of hands.
 */
const WORKER_SCRIPT = `'use strict';
const { join } = require('node:path');
const pino = require('pino');
const dist = __dirname;
const { openDatabase } = require(join(dist, 'infrastructure/sqlite/open-database.js'));
const { SqliteEventStore } = require(join(dist, 'infrastructure/event-store/sqlite-event-store.js'));
const { ProjectionRunner } = require(join(dist, 'projections/projection-runner.js'));
const { sqliteProjections } = require(join(dist, 'projections/sqlite/index.js'));
const { statement } = require(join(dist, 'projections/sqlite/statements.js'));
const leasing = require(join(dist, 'infrastructure/projections/projector-lease.js'));

const say = (fields) => process.stdout.write(JSON.stringify(fields) + '\\n');

async function main() {
  const file = process.env.DB_FILE;
  const logger = pino({ level: 'warn' }, process.stderr);
  const eventDb = openDatabase(file, { synchronous: 'FULL' });
  const eventStore = new SqliteEventStore(eventDb, { pollIntervalMs: 20 });
  const readDb = openDatabase(file, { synchronous: 'NORMAL' });
  const appliedBy = {
    name: 'applied-by',
    version: 1,
    handles: ${JSON.stringify(WORKER_HANDLED)},
    reset(tx) {
      tx.exec('DROP TABLE IF EXISTS applied_by; CREATE TABLE applied_by (position INTEGER NOT NULL, pid INTEGER NOT NULL)');
    },
    apply(event, tx) {
      statement(tx, 'INSERT INTO applied_by (position, pid) VALUES (?, ?)').run(event.position, process.pid);
    },
  };
  const runner = new ProjectionRunner({ db: readDb, eventStore, logger, projections: [...sqliteProjections, appliedBy], batchSize: 5, retryDelayMs: { initial: 20, max: 200 } });
  const url = process.env.REDIS_URL;
  const redis = leasing.createLeaseRedis(url);
  await leasing.connectLeaseRedis(redis, url);
  const lease = new leasing.ProjectorLease({
    lease: new leasing.RedisLease(redis, process.env.LEASE_KEY, 'worker-' + process.pid, Number(process.env.LEASE_TTL_MS)),
    logger,
    onChange: (holding) => say({ holding }),
  });
  const storedPosition = async () => {
    try {
      return readDb.prepare('SELECT min(position) AS p FROM projection_checkpoints').get().p ?? 0;
    } catch {
      return 0;
    }
  };
  const projections = new leasing.LeasedProjections({ lease, runner, storedPosition, logger });
  lease.add({ name: 'process-managers', start: () => say({ work: 'process-managers started' }), stop: async () => say({ work: 'process-managers stopped' }) });
  await projections.start();
  say({ ready: true });
  process.on('SIGTERM', async () => {
    await projections.stop();
    redis.disconnect();
    await eventStore.close();
    readDb.close();
    eventDb.close();
    process.exit(0);
  });
}

main().catch((error) => {
  process.stderr.write(String(error && error.stack || error) + '\\n');
  process.exit(1);
});
`;
