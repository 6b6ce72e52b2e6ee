import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import Redis from 'ioredis';
import type { Logger } from 'pino';
import { StoreUnavailableError } from '../../application/ports/event-store.port';
import type { ProjectionProgress } from '../../application/ports/read-store.port';
import { maskUrlPassword } from '../config/config';

/**
 * One projector at a time (issue 4): with several Parley instances sharing the engines, the
 * projections and the process managers run in exactly one of them, the holder of a lease in
 * Redis. The others serve HTTP, and answer read-your-writes by waiting on the shared checkpoint.
 *
 * The lease is one key: `SET key owner NX PX ttl` takes it when nobody holds it; the holder
 * extends it every ttl/3 with a compare-and-extend script (only while the value is still its own
 * owner id) and gives it back on shutdown with a compare-and-delete, so it can never extend or
 * delete a lease another instance took over. A holder that dies stops renewing; the key expires
 * after at most ttl and the next instance to try (every ttl/10) takes it.
 *
 * A holder that cannot renew (Redis unreachable, or the key is gone or someone else's) stops its
 * work: at once when the answer says it lost the lease, and in any case before the lease it last
 * renewed could have expired. A short overlap (a batch finishing while the new holder starts) is
 * harmless, because every projection write is guarded by the event's position; the lease exists so
 * that the work is not done N times over, not for correctness of the read models.
 *
 * Only used with shared read models (READ_STORE=mongodb) and REDIS_URL set; the embedded
 * single-container mode has one process and needs no lease.
 */

export const PROJECTOR_LEASE_KEY = 'parley:projector-lease';
export const PROJECTOR_LEASE_TTL_MS = 10_000;

const RENEW_SCRIPT = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end`;
const RELEASE_SCRIPT = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;

/** The three lease operations on one Redis key. */
export class RedisLease {
  constructor(
    private readonly redis: Redis,
    readonly key: string,
    readonly owner: string,
    readonly ttlMs: number,
  ) {}

  /** Takes the lease if nobody holds it. */
  async tryAcquire(): Promise<boolean> {
    return (await this.redis.set(this.key, this.owner, 'PX', this.ttlMs, 'NX')) === 'OK';
  }

  /** Extends the lease by ttl if it is still ours; false when it expired or another owner holds it. */
  async renew(): Promise<boolean> {
    return Number(await this.redis.eval(RENEW_SCRIPT, 1, this.key, this.owner, String(this.ttlMs))) === 1;
  }

  /** Gives the lease back if it is still ours. */
  async release(): Promise<void> {
    await this.redis.eval(RELEASE_SCRIPT, 1, this.key, this.owner);
  }

  /** Who holds it now (null: nobody). */
  async holder(): Promise<string | null> {
    return this.redis.get(this.key);
  }
}

/** Work that only the lease holder runs: started on taking the lease, stopped on losing it. */
export interface ExclusiveWork {
  name: string;
  start(): void | Promise<void>;
  stop(): Promise<void>;
}

export interface ProjectorLeaseOptions {
  lease: RedisLease;
  logger: Logger;
  /** How often the holder renews; default ttl/3. */
  renewEveryMs?: number;
  /** How often the others try to take it; default ttl/10. */
  retryEveryMs?: number;
  /** Told of every change of hands in this process (for tests and health). */
  onChange?: (holding: boolean) => void;
}

/** Runs a set of ExclusiveWork while this process holds the lease. */
export class ProjectorLease {
  private readonly works: ExclusiveWork[] = [];
  private readonly lease: RedisLease;
  private readonly logger: Logger;
  private readonly renewEveryMs: number;
  private readonly retryEveryMs: number;
  private holding = false;
  /** Local time by which the lease we last took or renewed may have expired. */
  private validUntil = 0;
  private abort: AbortController | null = null;
  private loop: Promise<void> = Promise.resolve();
  /** Starting and stopping work happen one after the other, never interleaved. */
  private transitions: Promise<void> = Promise.resolve();

  constructor(private readonly options: ProjectorLeaseOptions) {
    this.lease = options.lease;
    this.logger = options.logger;
    this.renewEveryMs = options.renewEveryMs ?? Math.max(1, Math.floor(options.lease.ttlMs / 3));
    this.retryEveryMs = options.retryEveryMs ?? Math.max(1, Math.floor(options.lease.ttlMs / 10));
  }

  isHolder(): boolean {
    return this.holding;
  }

  /** Adds work; it starts at once if the lease is held, else when it is taken. */
  add(work: ExclusiveWork): void {
    this.works.push(work);
    if (this.holding) this.transition(() => this.startWork(work));
  }

  /** Makes a first attempt (awaited, so the first instance starts as the holder), then keeps trying or renewing in the background. */
  async start(): Promise<void> {
    if (this.abort) return;
    const abort = new AbortController();
    this.abort = abort;
    await this.attempt();
    this.loop = this.run(abort.signal);
  }

  /** Stops the loop and the work, and gives the lease back. */
  async stop(): Promise<void> {
    const abort = this.abort;
    if (!abort) return;
    this.abort = null;
    abort.abort();
    await this.loop;
    if (this.holding) {
      await this.lose('shutting down');
      await this.lease
        .release()
        .catch((err: unknown) => this.logger.warn({ err, lease: this.lease.key }, 'could not release the projector lease; it expires by itself'));
    }
    await this.transitions;
  }

  /**
   * For tests: behave like a process that froze or died (stop renewing, keep the work running,
   * never release), so another holder can take over once the lease expires.
   */
  async abandon(): Promise<void> {
    const abort = this.abort;
    this.abort = null;
    abort?.abort();
    await this.loop;
  }

  private async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      await sleep(this.holding ? this.renewEveryMs : this.retryEveryMs, signal);
      if (signal.aborted) return;
      await this.attempt();
    }
  }

  private async attempt(): Promise<void> {
    const sentAt = Date.now();
    if (this.holding) {
      let renewed: boolean | null = null;
      try {
        renewed = await this.lease.renew();
      } catch (err) {
        this.logger.warn({ err, lease: this.lease.key }, 'could not renew the projector lease');
      }
      if (renewed === true) this.validUntil = sentAt + this.lease.ttlMs;
      else if (renewed === false) await this.lose('the lease expired or another instance holds it');
      // No answer: keep working only while the last renewal surely still holds.
      else if (Date.now() >= this.validUntil - this.renewEveryMs) await this.lose('Redis did not answer before the lease could expire');
      return;
    }
    let acquired = false;
    try {
      acquired = await this.lease.tryAcquire();
    } catch (err) {
      this.logger.warn({ err, lease: this.lease.key }, 'could not reach Redis to take the projector lease');
    }
    if (!acquired) return;
    this.validUntil = sentAt + this.lease.ttlMs;
    this.holding = true;
    this.logger.info({ lease: this.lease.key, owner: this.lease.owner }, 'took the projector lease: this instance runs the projections and process managers');
    this.options.onChange?.(true);
    for (const work of this.works) this.transition(() => this.startWork(work));
    await this.transitions;
  }

  private async lose(reason: string): Promise<void> {
    if (!this.holding) return;
    this.holding = false;
    this.logger.warn(
      { lease: this.lease.key, owner: this.lease.owner, reason },
      'lost the projector lease: stopping the projections and process managers here',
    );
    this.options.onChange?.(false);
    for (const work of [...this.works].reverse()) this.transition(() => this.stopWork(work));
    await this.transitions;
  }

  private transition(step: () => Promise<void>): void {
    this.transitions = this.transitions.then(step);
  }

  private async startWork(work: ExclusiveWork): Promise<void> {
    if (!this.holding) return;
    try {
      await work.start();
    } catch (err) {
      // Another instance may do better (its database connection may be fine): hand the lease over.
      this.logger.error({ err, work: work.name }, 'could not start exclusive work; giving the projector lease up');
      this.holding = false;
      this.options.onChange?.(false);
      for (const other of this.works) if (other !== work) await other.stop().catch(() => undefined);
      await this.lease.release().catch(() => undefined);
    }
  }

  private async stopWork(work: ExclusiveWork): Promise<void> {
    try {
      await work.stop();
    } catch (err) {
      this.logger.error({ err, work: work.name }, 'exclusive work did not stop cleanly');
    }
  }
}

export interface LeasedRunner {
  start(): void | Promise<void>;
  stop(): Promise<void>;
  position(): number;
  waitFor(position: number, timeoutMs: number): Promise<boolean>;
}

export interface LeasedProjectionsOptions {
  lease: ProjectorLease;
  runner: LeasedRunner;
  /** The position all projections reached, as stored in the shared read-model database. */
  storedPosition(): Promise<number>;
  /** How often a non-holder reads the stored position while waiting; default 50 ms. */
  pollEveryMs?: number;
  logger: Logger;
}

/** How long one wait on the local runner lasts before the role is checked again. */
const HOLDER_WAIT_SLICE_MS = 250;
/** How often a non-holder refreshes the position it reports (health, metrics). */
const POSITION_REFRESH_MS = 1000;

/**
 * The projections of an instance sharing its read models with others: the runner runs only while
 * this instance holds the lease; read-your-writes waits on the runner there, and on the stored
 * checkpoint (polled) everywhere else.
 */
export class LeasedProjections implements ProjectionProgress {
  private readonly pollEveryMs: number;
  private sharedPosition = 0;
  private refresher: NodeJS.Timeout | null = null;

  constructor(private readonly options: LeasedProjectionsOptions) {
    this.pollEveryMs = options.pollEveryMs ?? 50;
    options.lease.add({ name: 'projections', start: () => options.runner.start(), stop: () => options.runner.stop() });
  }

  isHolder(): boolean {
    return this.options.lease.isHolder();
  }

  async start(): Promise<void> {
    await this.options.lease.start();
    this.sharedPosition = await this.readStored();
    this.refresher = setInterval(
      () => void this.readStored().then((position) => (this.sharedPosition = Math.max(this.sharedPosition, position))),
      POSITION_REFRESH_MS,
    );
    this.refresher.unref();
  }

  async stop(): Promise<void> {
    if (this.refresher) clearInterval(this.refresher);
    this.refresher = null;
    await this.options.lease.stop();
  }

  position(): number {
    return this.isHolder() ? this.options.runner.position() : this.sharedPosition;
  }

  async waitFor(position: number, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const remaining = deadline - Date.now();
      if (this.isHolder()) {
        if (await this.options.runner.waitFor(position, Math.max(0, Math.min(remaining, HOLDER_WAIT_SLICE_MS)))) return true;
      } else {
        const stored = await this.readStored();
        this.sharedPosition = Math.max(this.sharedPosition, stored);
        if (stored >= position) return true;
        await new Promise((resolve) => setTimeout(resolve, Math.max(0, Math.min(remaining, this.pollEveryMs))));
      }
      if (Date.now() >= deadline) return false;
    }
  }

  private async readStored(): Promise<number> {
    try {
      return await this.options.storedPosition();
    } catch (err) {
      this.options.logger.warn({ err }, 'could not read the stored projection checkpoints');
      return this.sharedPosition;
    }
  }
}

/** How long start-up waits for Redis before failing. */
export const REDIS_CONNECT_TIMEOUT_MS = 8000;

/**
 * A Redis client for the lease (REDIS_URL), not connected yet: commands fail fast instead of
 * queueing while Redis is away (a renewal that cannot be sent must count as not renewed).
 */
export function createLeaseRedis(url: string, connectTimeoutMs = REDIS_CONNECT_TIMEOUT_MS): Redis {
  const redis = new Redis(url, {
    lazyConnect: true,
    connectTimeout: connectTimeoutMs,
    commandTimeout: 2000,
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    ...(/^rediss:/i.test(url) ? { tls: {} } : {}),
  });
  // Errors are also raised on the commands; without a listener ioredis would print them to stderr.
  redis.on('error', () => undefined);
  return redis;
}

/** Connects; fails within the timeout with an error naming REDIS_URL (password masked). */
export async function connectLeaseRedis(redis: Redis, url: string, connectTimeoutMs = REDIS_CONNECT_TIMEOUT_MS): Promise<void> {
  try {
    await withTimeout(redis.connect(), connectTimeoutMs);
    await redis.ping();
  } catch (error) {
    redis.disconnect();
    throw new StoreUnavailableError(
      `cannot reach Redis at REDIS_URL=${maskUrlPassword(url)} within ${connectTimeoutMs} ms (the projector lease lives there): ${(error as Error).message}. ` +
        'Start Redis, correct REDIS_URL, or unset it to run a single instance.',
      error,
    );
  }
}

/** An owner id that tells operators which instance holds the lease. */
export function leaseOwnerId(): string {
  return `${hostname()}:${process.pid}:${randomUUID()}`;
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
