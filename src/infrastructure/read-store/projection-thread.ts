import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import type { LogLevel } from '../config/config';
import { SEARCH_CATCH_UP_MS, type ReadSideLanes } from '../../projections/projection-lanes';
import { PositionWaiters } from '../../projections/position-waiters';
import type { ProjectionRunnerOptions } from '../../projections/projection-runner';

/** What the projection thread is given (projection-thread.worker.ts). */
export interface ProjectionThreadData {
  /** The embedded database file: the thread opens its own connections to it. */
  file: string;
  /** The server's log level: the thread's lines come back to this thread's logger. */
  level: LogLevel;
  intervals?: { viewsMs?: number; searchMs?: number };
  tuning?: Pick<ProjectionRunnerOptions, 'batchSize' | 'retryDelayMs'>;
}

/** Messages between ThreadedProjectionLanes and its thread. */
export type ToProjectionThread = { type: 'commit' } | { type: 'search-wait'; position: number } | { type: 'stop' };
export type FromProjectionThread =
  { type: 'applied'; views: number; search: number } | { type: 'log'; line: string } | { type: 'stopped'; views: number; search: number };

/** The compiled thread script; absent when the TypeScript sources run (tests), where the lanes run in the main thread. */
export const PROJECTION_THREAD_FILE = join(__dirname, 'projection-thread.worker.js');

export function projectionThreadAvailable(): boolean {
  return existsSync(PROJECTION_THREAD_FILE);
}

/** The log whose commits the thread must hear of at once (SqliteEventStore.onCommit). */
export interface CommitSource {
  onCommit(listener: () => void): () => void;
}

export interface ThreadedProjectionLanesOptions {
  data: ProjectionThreadData;
  /** Where this thread's log commits are announced. */
  log: CommitSource;
  logger: Logger;
  /** The lanes' stored checkpoints, read by this thread's prepare: what position() says until the thread reports. */
  initial: { views: number; search: number };
  /** The thread script; tests pass one that runs the TypeScript sources. */
  script?: string;
}

const YOUNG_GENERATION_MB = 8;
const RESTART_DELAY_MS = { initial: 500, max: 30_000 };
const STOP_TIMEOUT_MS = 10_000;
/** Fields every pino line carries; this thread's logger adds its own. */
const LINE_FIELDS = new Set(['level', 'time', 'pid', 'hostname', 'service', 'msg']);

/**
 * The projection lanes (views and search, projection-lanes.ts) in a worker thread with its own
 * connections to the file. The thread reads and opens the log itself, so the main thread neither
 * applies the batches (their transactions and COMMITs were the largest share of a message's
 * main-thread time) nor reads back what it appended. The main thread tells it of each commit,
 * and it reports the lanes' positions after each batch: a command waits on those, and a read that
 * starts after the report sees the batch (WAL: the thread committed before it reported).
 *
 * A thread that ends without being asked to is started again (after a backoff doubling to 30 s);
 * it resumes from the checkpoints, which commit with their batches, so nothing is applied twice or
 * skipped. Waiters keep waiting meanwhile, each until its own timeout.
 */
export class ThreadedProjectionLanes implements ReadSideLanes {
  private views: number;
  private search: number;
  private readonly waiters = {
    views: new PositionWaiters(() => this.views),
    search: new PositionWaiters(() => this.search),
    both: new PositionWaiters(() => this.position()),
  };
  private worker: Worker | null = null;
  private exited: Promise<void> = Promise.resolve();
  private stopping = false;
  private restarts = 0;
  private restartTimer: NodeJS.Timeout | null = null;
  private stopListening: (() => void) | null = null;

  constructor(private readonly options: ThreadedProjectionLanesOptions) {
    this.views = options.initial.views;
    this.search = options.initial.search;
  }

  start(): void {
    if (this.worker || this.restartTimer) return;
    this.stopping = false;
    this.stopListening = this.options.log.onCommit(() => this.post({ type: 'commit' }));
    this.spawn();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.stopListening?.();
    this.stopListening = null;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = null;
    const worker = this.worker;
    if (!worker) return;
    worker.ref();
    worker.postMessage({ type: 'stop' } satisfies ToProjectionThread);
    const timer = setTimeout(() => void worker.terminate(), STOP_TIMEOUT_MS);
    await this.exited;
    clearTimeout(timer);
  }

  position(): number {
    return Math.min(this.views, this.search);
  }

  viewsPosition(): number {
    return this.views;
  }

  searchPosition(): number {
    return this.search;
  }

  /** Both lanes at `position`; as in ProjectionLanes, the wait hurries the search lane. */
  waitFor(position: number, timeoutMs: number): Promise<boolean> {
    if (this.search < position) this.post({ type: 'search-wait', position });
    return this.waiters.both.wait(position, timeoutMs);
  }

  waitForViews(position: number, timeoutMs: number): Promise<boolean> {
    return this.waiters.views.wait(position, timeoutMs);
  }

  searchCaughtUp(): Promise<boolean> {
    const target = this.views;
    if (this.search >= target) return Promise.resolve(true);
    // The thread's search lane cuts its pacing interval short for a waiter.
    this.post({ type: 'search-wait', position: target });
    return this.waiters.search.wait(target, SEARCH_CATCH_UP_MS);
  }

  private post(message: ToProjectionThread): void {
    this.worker?.postMessage(message);
  }

  private spawn(): void {
    const { data, script } = this.options;
    // A small young generation, as the rebuild's lane thread: the batches' garbage is collected
    // sooner. A --max-semi-space-size flag on the process (npm start gives 8 MB) wins over it.
    const worker = new Worker(script ?? PROJECTION_THREAD_FILE, { workerData: data, resourceLimits: { maxYoungGenerationSizeMb: YOUNG_GENERATION_MB } });
    this.worker = worker;
    // The thread never keeps the process alive by itself: the server's listeners do, and stop() ends it.
    worker.unref();
    worker.on('message', (message: FromProjectionThread) => this.receive(message));
    worker.on('error', (err) => this.options.logger.error({ err }, 'the projection thread failed'));
    this.exited = new Promise((resolve) =>
      worker.once('exit', (code) => {
        this.ended(worker, code);
        resolve();
      }),
    );
  }

  private ended(worker: Worker, code: number): void {
    if (this.worker !== worker) return;
    this.worker = null;
    if (this.stopping) return;
    const delayMs = Math.min(RESTART_DELAY_MS.max, RESTART_DELAY_MS.initial * 2 ** Math.min(this.restarts, 16));
    this.restarts += 1;
    this.options.logger.error({ exitCode: code, restartInMs: delayMs, position: this.position() }, 'the projection thread ended; starting it again');
    this.restartTimer = setTimeout(() => {
      this.restartTimer = null;
      if (!this.stopping) this.spawn();
    }, delayMs);
    this.restartTimer.unref();
  }

  private receive(message: FromProjectionThread): void {
    switch (message.type) {
      case 'applied':
      case 'stopped':
        // Progress, not the report a thread sends as it starts, ends a run of restarts (and its backoff).
        if (message.views > this.views || message.search > this.search) this.restarts = 0;
        this.views = Math.max(this.views, message.views);
        this.search = Math.max(this.search, message.search);
        for (const waiting of Object.values(this.waiters)) waiting.settle();
        return;
      case 'log':
        this.relay(message.line);
        return;
    }
  }

  /** A line of the thread's logger, logged again by this thread's (same level, same fields). */
  private relay(line: string): void {
    const { logger } = this.options;
    try {
      const parsed = JSON.parse(line) as Record<string, unknown>;
      const label = logger.levels.labels[Number(parsed.level)] ?? 'info';
      const fields = Object.fromEntries(Object.entries(parsed).filter(([key]) => !LINE_FIELDS.has(key)));
      const log = (logger as unknown as Record<string, (obj: object, msg?: string) => void>)[label];
      log.call(logger, { ...fields, thread: 'projections' }, typeof parsed.msg === 'string' ? parsed.msg : undefined);
    } catch {
      logger.warn({ line: line.slice(0, 2000) }, 'the projection thread wrote a line that is not JSON');
    }
  }
}
