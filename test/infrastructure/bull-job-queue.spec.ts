import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { Test } from '@nestjs/testing';
import Bull from 'bull';
import { StoreUnavailableError } from '../../src/application/ports/event-store.port';
import { JOB_QUEUE, type JobQueue } from '../../src/application/ports/job-queue.port';
import { BULL_JOBS_QUEUE, createBullJobQueue, type BullJobQueue } from '../../src/infrastructure/jobs/bull-job-queue';
import { BullQueueModule } from '../../src/infrastructure/jobs/bull-queue.module';
import { eventually, jobQueueContract } from '../contracts/job-queue.contract';
import { reportSkippedSuite } from '../support/engines';

/**
 * The Bull adapter against a real Redis: REDIS_URL when set; else 127.0.0.1:6379 when it answers
 * PING; else a Redis container (testcontainers) when Docker is there; else the contract is
 * reported as skipped, by name. Every store is its own key prefix, deleted afterwards.
 */

type RedisSource = { url: string } | { container: true } | { unavailable: string };

const LOCAL_REDIS = 'redis://127.0.0.1:6379';

function findRedis(): RedisSource {
  if (process.env.REDIS_URL) return { url: process.env.REDIS_URL };
  if (answersPing('127.0.0.1', 6379)) return { url: LOCAL_REDIS };
  if (process.env.DOCKER_HOST || existsSync('/var/run/docker.sock')) return { container: true };
  return { unavailable: 'REDIS_URL is not set, nothing answers on 127.0.0.1:6379, and Docker is not available' };
}

/** Jest registers suites synchronously, so the probe runs in a child process and is waited for. */
function answersPing(host: string, port: number): boolean {
  const probe = `
    const socket = require('node:net').connect(${port}, ${JSON.stringify(host)});
    socket.setTimeout(1000, () => process.exit(1));
    socket.on('error', () => process.exit(1));
    socket.on('connect', () => socket.write('PING\\r\\n'));
    socket.on('data', (d) => process.exit(String(d).startsWith('+PONG') ? 0 : 1));`;
  return spawnSync(process.execPath, ['-e', probe], { timeout: 3000 }).status === 0;
}

const source = findRedis();
let containerUrl: Promise<{ url: string; stop(): Promise<void> }> | undefined;

/** The server to use; starts the container on first use when that is the source. */
async function redisUrl(): Promise<string> {
  if ('url' in source) return source.url;
  containerUrl ??= (async () => {
    const { GenericContainer } = await import('testcontainers');
    const container = await new GenericContainer('redis:7-alpine').withExposedPorts(6379).start();
    return { url: `redis://${container.getHost()}:${container.getMappedPort(6379)}`, stop: async () => void (await container.stop()) };
  })();
  return (await containerUrl).url;
}

afterAll(async () => {
  if (containerUrl) await (await containerUrl).stop();
});

async function deleteKeys(url: string, prefix: string): Promise<void> {
  const queue = new Bull(BULL_JOBS_QUEUE, url, { prefix });
  try {
    const keys = await queue.client.keys(`${prefix}:*`);
    if (keys.length > 0) await queue.client.del(...keys);
  } finally {
    await queue.close();
  }
}

if ('unavailable' in source) {
  reportSkippedSuite('Bull job queue contract', source.unavailable, 'redis');
} else {
  jobQueueContract('BullJobQueue (contract)', async () => {
    const url = await redisUrl();
    const prefix = `parley-test-${randomUUID()}`;
    const queues: BullJobQueue[] = [];
    return {
      async open() {
        const queue = createBullJobQueue(url, { prefix, connectTimeoutMs: 5000 });
        queues.push(queue);
        return queue;
      },
      async teardown() {
        for (const queue of queues) await queue.stop();
        await deleteKeys(url, prefix);
      },
    };
  });

  describe('BullQueueModule (Nest wiring, @nestjs/bull)', () => {
    it('binds JOB_QUEUE to a Bull queue on REDIS_URL that runs jobs', async () => {
      const url = await redisUrl();
      const prefix = `parley-test-${randomUUID()}`;
      const moduleRef = await Test.createTestingModule({ imports: [BullQueueModule.forRoot({ redisUrl: url, prefix })] }).compile();
      try {
        const queue = moduleRef.get<JobQueue>(JOB_QUEUE);
        const seen: unknown[] = [];
        queue.register('nest.check', async (data) => void seen.push(data));
        await queue.start();

        const { jobId } = await queue.enqueue('nest.check', { via: 'nest' });

        await eventually(async () => expect((await queue.job(jobId))?.state).toBe('completed'));
        expect(seen).toEqual([{ via: 'nest' }]);
        await queue.stop();
      } finally {
        await moduleRef.close();
        await deleteKeys(url, prefix);
      }
    });
  });
}

describe('BullJobQueue when Redis does not answer', () => {
  // Port 1 on the loopback refuses every connection: a Redis that is down.
  const unreachable = 'redis://:secret-password@127.0.0.1:1';

  it('fails ready() within its bound with a StoreUnavailableError naming REDIS_URL (password masked)', async () => {
    const queue = createBullJobQueue(unreachable, { prefix: `parley-test-${randomUUID()}`, connectTimeoutMs: 300 });

    const error = await queue.ready().then(
      () => null,
      (e: unknown) => e,
    );

    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect((error as Error).message).toMatch(/REDIS_URL=redis:\/\/:\*\*\*@127\.0\.0\.1:1/);
    expect((error as Error).message).toMatch(/ECONNREFUSED|no answer/);
    expect((error as Error).message).not.toMatch(/secret-password/);
    await queue.stop();
  });

  it('fails the Nest module at start-up instead of hanging', async () => {
    const compiling = Test.createTestingModule({ imports: [BullQueueModule.forRoot({ redisUrl: unreachable, connectTimeoutMs: 300 })] }).compile();

    await expect(compiling).rejects.toThrow(/cannot reach Redis at REDIS_URL=redis:\/\/:\*\*\*@127\.0\.0\.1:1/);
  });
});
