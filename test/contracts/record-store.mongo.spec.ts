import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import pino from 'pino';
import { GenericContainer, Wait, type StartedTestContainer } from 'testcontainers';
import type { EventStore, RecordedEvent } from '../../src/application/ports/event-store.port';
import type { RecordStore } from '../../src/application/ports/record-store.port';
import { createMongoReadSide, type MongoReadSide } from '../../src/infrastructure/read-store/mongo/mongo-read-side';
import { reportSkippedSuite } from '../support/engines';
import { FedEventStore } from './read-store.contract';
import { recordStoreContract } from './record-store.contract';

const SUITE = 'MongoDB record store contract';
const IMAGE = 'mongo:8';

type Engine = { kind: 'url'; url: string } | { kind: 'docker' } | { kind: 'none'; reason: string };

/** As the MongoDB read-store contract decides: MONGODB_URL, else a container, else reported skipped by name. */
function engine(): Engine {
  const url = process.env.MONGODB_URL;
  if (url) return { kind: 'url', url };
  const probe = spawnSync(
    process.execPath,
    ['-e', "require('testcontainers').getContainerRuntimeClient().then(() => process.exit(0), () => process.exit(3))"],
    { cwd: __dirname, timeout: 30_000, stdio: 'ignore' },
  );
  if (probe.status === 0) return { kind: 'docker' };
  return { kind: 'none', reason: 'MONGODB_URL is not set and no container runtime (Docker) is reachable for testcontainers' };
}

const target = engine();

/** The record store of a MongoDB read side; a read side without one fails every test that needs it. */
function recordStoreOf(side: MongoReadSide): RecordStore {
  const recordStore = (side as MongoReadSide & { recordStore?: RecordStore }).recordStore;
  if (!recordStore) throw new Error('the MongoDB read side has no record store yet');
  return recordStore;
}

if (target.kind === 'none') {
  reportSkippedSuite(SUITE, target.reason);
  describe(SUITE, () => {
    // Pending, never passing: the summary counts it as skipped and lists the suite by name.
    it.skip(`needs MongoDB: ${target.reason}`, () => undefined);
  });
} else {
  let url = target.kind === 'url' ? target.url : '';
  let container: StartedTestContainer | undefined;

  beforeAll(async () => {
    if (target.kind !== 'docker') return;
    container = await new GenericContainer(IMAGE)
      .withExposedPorts(27017)
      .withWaitStrategy(Wait.forLogMessage(/Waiting for connections/))
      .withStartupTimeout(120_000)
      .start();
    url = `mongodb://${container.getHost()}:${container.getMappedPort(27017)}/parley`;
  }, 180_000);

  afterAll(async () => {
    await container?.stop();
  });

  /** Fed through the runner's subscription, as production feeds it; a database of its own per test. */
  recordStoreContract('MongoDB record store', async () => {
    const source = new FedEventStore();
    const side = createMongoReadSide({
      url,
      dbName: `parley_test_${randomUUID().replace(/-/g, '')}`,
      eventStore: source as unknown as EventStore,
      logger: pino({ level: 'silent' }),
      serverSelectionTimeoutMs: 10_000,
      runner: { retryDelayMs: { initial: 5, max: 50 } },
    });
    await side.ready;
    await side.runner.start();
    return {
      readStore: side.readStore,
      recordStore: recordStoreOf(side),
      async feed(events: RecordedEvent[]) {
        source.push(events);
        const last = events[events.length - 1].position;
        if (!(await side.runner.waitFor(last, 10_000))) throw new Error(`the projections did not reach position ${last} within 10 s`);
      },
      async teardown() {
        await side.runner.stop();
        await side.connection.dropDatabase();
        await side.close();
      },
    };
  });
}
