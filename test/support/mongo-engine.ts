import { spawnSync } from 'node:child_process';
import { GenericContainer, Wait, type StartedTestContainer } from 'testcontainers';
import { reportSkippedSuite } from './engines';

const IMAGE = 'mongo:8';

type Engine = { kind: 'url'; url: string } | { kind: 'docker' } | { kind: 'none'; reason: string };

/**
 * MONGODB_URL wins; otherwise a mongo:8 container when a container runtime answers; otherwise
 * none. Decided while Jest collects tests (it cannot wait for a promise then), so the runtime
 * check runs testcontainers' own detection in a child process. No replica set is needed: the
 * adapters use no transaction.
 */
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

/**
 * Registers `body`'s tests against a MongoDB, or, when there is none, reports the suite skipped by
 * name (engines.ts) with a pending test and no passing one. `url()` answers once the container
 * (when one is started) is up, that is inside hooks and tests.
 */
export function withMongoDB(suite: string, body: (url: () => string) => void): void {
  const target = engine();
  if (target.kind === 'none') {
    reportSkippedSuite(suite, target.reason);
    describe(suite, () => {
      // Pending, never passing: the summary counts it as skipped and lists the suite by name.
      it.skip(`needs MongoDB: ${target.reason}`, () => undefined);
    });
    return;
  }
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

  body(() => url);
}
