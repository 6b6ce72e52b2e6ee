import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { StoreUnavailableError, type AppendResult } from '../../application/ports/event-store.port';
import { reviveError, type CarriedRows, type Outcome, type WireError, type WriteOp } from './event-log-writer';

/** What the writer thread is given (event-log-writer.worker.ts). */
export interface WriterThreadData {
  /** The database file; the thread opens its own connection to it. */
  file: string;
}

export type WireOutcome = { ok: true; value: AppendResult | undefined } | { ok: false; error: WireError };

/** Messages between a WriterThread and its thread. */
export type ToWriterThread = { type: 'batch'; carried: CarriedRows[]; writes: WriteOp[] } | { type: 'close' };
export type FromWriterThread = { type: 'done'; outcomes: WireOutcome[] } | { type: 'failed'; error: WireError } | { type: 'closed' };

/** The compiled worker script; absent when running from TypeScript sources (tests), where the log writes in-process unless given a script. */
export const WRITER_THREAD_FILE = join(__dirname, 'event-log-writer.worker.js');

export function writerThreadAvailable(): boolean {
  return existsSync(WRITER_THREAD_FILE);
}

/**
 * The event log's writes in a worker thread with its own connection: the main thread hands over a
 * batch and goes on serving requests while the thread runs the transaction and waits for its
 * fsync. One batch at a time (the store keeps one in flight), so answers need no ids.
 *
 * A thread that dies (an uncaught error, a failed open) fails the batch it held with a
 * StoreUnavailableError: that batch may or may not have committed, and a caller that retries an
 * append with the same event ids is answered as a duplicate if it did. The next batch starts a new
 * thread.
 */
export class WriterThread {
  private worker: Worker | null = null;
  private waiting: { resolve(outcomes: Outcome[]): void; reject(error: unknown): void } | null = null;
  private exited: Promise<void> = Promise.resolve();

  constructor(
    private readonly file: string,
    private readonly script: string = WRITER_THREAD_FILE,
  ) {}

  run(carried: CarriedRows[], writes: WriteOp[]): Promise<Outcome[]> {
    if (this.waiting) return Promise.reject(new Error('WriterThread.run: a batch is already in flight'));
    const worker = this.worker ?? this.start();
    return new Promise<Outcome[]>((resolve, reject) => {
      this.waiting = { resolve, reject };
      // Only a batch in flight keeps the process alive: an idle writer must not hold up exit.
      worker.ref();
      worker.postMessage({ type: 'batch', carried, writes } satisfies ToWriterThread);
    });
  }

  /** Ends the thread once it is idle (the store waits for its batch first) and waits for it to exit. */
  async close(): Promise<void> {
    const worker = this.worker;
    if (!worker) return this.exited;
    worker.ref();
    worker.postMessage({ type: 'close' } satisfies ToWriterThread);
    const timer = setTimeout(() => void worker.terminate(), 10_000);
    await this.exited;
    clearTimeout(timer);
  }

  private start(): Worker {
    const worker = new Worker(this.script, { workerData: { file: this.file } satisfies WriterThreadData });
    this.worker = worker;
    worker.on('message', (message: FromWriterThread) => this.receive(message));
    worker.on('error', (error) => this.lost(worker, error));
    this.exited = new Promise((resolve) =>
      worker.once('exit', (code) => {
        this.lost(worker, new Error(`it exited with code ${code}`));
        resolve();
      }),
    );
    return worker;
  }

  private receive(message: FromWriterThread): void {
    if (message.type === 'closed') return;
    const waiting = this.waiting;
    this.waiting = null;
    this.worker?.unref();
    if (message.type === 'failed') waiting?.reject(reviveError(message.error));
    else waiting?.resolve(message.outcomes.map((o): Outcome => (o.ok ? o : { ok: false, error: reviveError(o.error) })));
  }

  private lost(worker: Worker, error: Error): void {
    if (this.worker !== worker) return;
    this.worker = null;
    const waiting = this.waiting;
    this.waiting = null;
    waiting?.reject(
      new StoreUnavailableError(
        `the event log's writer thread stopped (${error.message}) while it held writes that may or may not have been committed; retry them (an append retried with the same event ids is answered as a duplicate)`,
        error,
      ),
    );
  }
}
