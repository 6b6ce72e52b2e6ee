import type { Model } from 'mongoose';
import type { Logger } from 'pino';
import type { EventStore, RecordedEvent } from '../../../application/ports/event-store.port';
import type { ProjectionProgress } from '../../../application/ports/read-store.port';
import { PositionWaiters } from '../../../projections/position-waiters';
import { botsMongoProjection } from './bots.mongo-projection';
import { notificationsMongoProjection } from './notifications.mongo-projection';
import { conversationsMongoProjection } from './conversations.mongo-projection';
import { reportsMongoProjection } from './reports.mongo-projection';
import { recordsMongoProjection } from './records.mongo-projection';
import {
  agentsMongoProjection,
  blockedSendersMongoProjection,
  channelConnectionsMongoProjection,
  customViewsMongoProjection,
  inboxesMongoProjection,
} from './directory.mongo-projections';
import { ensureIndexes, type MongoReadModels, type ProjectionCheckpointDocument } from './mongo-models';
import type { MongoProjection } from './mongo-projection';

/** Every read model of the MongoDB store, fed by one runner. */
export const mongoProjections: readonly MongoProjection[] = [
  conversationsMongoProjection,
  agentsMongoProjection,
  inboxesMongoProjection,
  blockedSendersMongoProjection,
  customViewsMongoProjection,
  channelConnectionsMongoProjection,
  reportsMongoProjection,
  botsMongoProjection,
  notificationsMongoProjection,
  recordsMongoProjection,
];

export interface MongoProjectionRunnerOptions {
  models: MongoReadModels;
  eventStore: EventStore;
  logger: Logger;
  projections?: readonly MongoProjection[];
  /** Most events applied in one batch. */
  batchSize?: number;
  /** Backoff after a failed batch or subscription: doubles from `initial` up to `max`. */
  retryDelayMs?: { initial: number; max: number };
}

interface Session {
  abort: AbortController;
  buffer: RecordedEvent[];
  applying: Promise<void>;
  applyScheduled: boolean;
  done: Promise<void>;
}

class ProjectionFailure extends Error {
  constructor(
    readonly projection: string,
    override readonly cause: unknown,
  ) {
    super(`projection ${projection} failed to apply a batch`);
  }
}

const DEFAULT_BATCH_SIZE = 500;
const DEFAULT_RETRY_DELAY_MS = { initial: 100, max: 30_000 };

/**
 * Feeds the MongoDB projections the global log in order, from their checkpoints (the embedded
 * ProjectionRunner's twin, for a store without multi-document transactions).
 *
 * A batch is handed to each projection (only the events after its checkpoint), then the
 * checkpoints move forward with $max. A crash between the two leaves the checkpoints behind the
 * read models: on restart the same events come again, and every projection write is guarded by
 * the event's position, so they change nothing (see conversations.mongo-projection.ts). The
 * checkpoint is an optimisation of where to resume, never what makes applying safe.
 */
export class MongoProjectionRunner implements ProjectionProgress {
  private readonly models: MongoReadModels;
  private readonly projections: readonly MongoProjection[];
  private readonly handled: Map<string, ReadonlySet<string>>;
  private readonly batchSize: number;
  private readonly retryDelayMs: { initial: number; max: number };
  private readonly logger: Logger;
  private checkpoints = new Map<string, number>();
  private readonly waiters = new PositionWaiters(() => this.position());
  private session: Session | null = null;

  constructor(private readonly options: MongoProjectionRunnerOptions) {
    this.models = options.models;
    this.projections = options.projections ?? mongoProjections;
    this.handled = new Map(this.projections.map((p) => [p.name, new Set(p.handles)]));
    this.batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
    this.retryDelayMs = options.retryDelayMs ?? DEFAULT_RETRY_DELAY_MS;
    this.logger = options.logger;
  }

  /**
   * Creates the indexes and, for each projection that is new or whose stored version differs
   * from its code, empties its collections and sets its checkpoint to 0 (in that order: a crash
   * in between empties them again on the next start). Idempotent; start() calls it too. Only the
   * instance that projects runs it (with several instances, the one holding the lease).
   */
  async prepare(): Promise<void> {
    await ensureIndexes(this.models);
    const stored = await this.storedCheckpoints();
    const rebuilt: { projection: string; storedVersion: number | null; version: number }[] = [];
    for (const projection of this.projections) {
      const current = stored.get(projection.name);
      if (current?.version === projection.version) continue;
      for (const model of projection.owns) await (this.models[model] as unknown as Model<unknown>).deleteMany({});
      await this.models.projectionCheckpoints.updateOne({ _id: projection.name }, { $set: { version: projection.version, position: 0 } }, { upsert: true });
      rebuilt.push({ projection: projection.name, storedVersion: current?.version ?? null, version: projection.version });
    }
    // One line for them all: a first start creates every projection.
    if (rebuilt.length > 0) this.logger.info({ projections: rebuilt }, 'projections (re)created; rebuilding them from position 0');
    this.checkpoints = this.positionsOf(await this.storedCheckpoints());
  }

  async start(): Promise<void> {
    if (this.session) return;
    await this.prepare();
    if (this.session) return;
    const session: Session = { abort: new AbortController(), buffer: [], applying: Promise.resolve(), applyScheduled: false, done: Promise.resolve() };
    session.done = this.run(session);
    this.session = session;
  }

  /** Ends the subscription; resolves once the batch being applied (if any) is written. */
  async stop(): Promise<void> {
    const session = this.session;
    if (!session) return;
    this.session = null;
    session.abort.abort();
    await session.done;
  }

  /** The log position every projection has applied, as this process last wrote or read it. */
  position(): number {
    return lowest(this.checkpoints);
  }

  /**
   * The position every projection has reached according to MongoDB (a projection of another
   * version counts as 0): what an instance that does not project waits on for read-your-writes.
   */
  async storedPosition(): Promise<number> {
    const stored = await this.storedCheckpoints();
    return lowest(new Map(this.projections.map((p) => [p.name, stored.get(p.name)?.version === p.version ? stored.get(p.name)!.position : 0])));
  }

  waitFor(position: number, timeoutMs: number): Promise<boolean> {
    return this.waiters.wait(position, timeoutMs);
  }

  /**
   * Applies a batch as the subscription does: each projection gets the events after its
   * checkpoint (and after every event already given to it in this batch, so a redelivery inside
   * the batch is skipped too), then the checkpoints move.
   */
  async applyBatch(batch: readonly RecordedEvent[]): Promise<void> {
    const reached = new Map(this.checkpoints);
    for (const projection of this.projections) {
      const handled = this.handled.get(projection.name)!;
      let after = reached.get(projection.name) ?? 0;
      const events: RecordedEvent[] = [];
      for (const event of batch) {
        if (event.position <= after) continue;
        after = event.position;
        if (handled.has(event.type)) events.push(event);
      }
      try {
        await projection.applyBatch(events, this.models);
      } catch (error) {
        throw new ProjectionFailure(projection.name, error);
      }
      reached.set(projection.name, after);
    }
    await this.models.projectionCheckpoints.bulkWrite(
      this.projections.map((projection) => ({
        updateOne: {
          filter: { _id: projection.name },
          update: { $max: { position: reached.get(projection.name) ?? 0 }, $set: { version: projection.version } },
          upsert: true,
        },
      })),
      { ordered: true },
    );
    this.checkpoints = reached;
    this.waiters.settle();
  }

  /**
   * The events straight through every projection's own guards, checkpoints neither read nor
   * written: what a redelivery after a crash looks like to the read models. For tests and replays.
   */
  async applyGuardedOnly(events: readonly RecordedEvent[]): Promise<void> {
    for (const projection of this.projections) {
      const handled = this.handled.get(projection.name)!;
      await projection.applyBatch(
        events.filter((event) => handled.has(event.type)),
        this.models,
      );
    }
  }

  private async run(session: Session): Promise<void> {
    const { signal } = session.abort;
    for (let attempt = 0; !signal.aborted; attempt += 1) {
      try {
        await this.follow(session);
        if (signal.aborted) break;
        this.logger.warn({ position: this.position() }, 'event subscription ended unexpectedly; resubscribing');
      } catch (err) {
        if (signal.aborted) break;
        this.logger.error({ err, position: this.position() }, 'event subscription failed; resubscribing');
      }
      await session.applying;
      session.buffer.length = 0;
      await sleep(this.backoff(attempt), signal);
    }
    await session.applying;
  }

  private async follow(session: Session): Promise<void> {
    const { signal } = session.abort;
    this.checkpoints = this.positionsOf(await this.storedCheckpoints());
    for await (const event of this.options.eventStore.subscribeAll({ after: this.position(), signal })) {
      if (signal.aborted) break;
      session.buffer.push(event);
      if (session.buffer.length >= this.batchSize) await this.applyBuffered(session);
      else this.scheduleApply(session);
    }
  }

  private scheduleApply(session: Session): void {
    if (session.applyScheduled) return;
    session.applyScheduled = true;
    setImmediate(() => {
      session.applyScheduled = false;
      void this.applyBuffered(session);
    });
  }

  private applyBuffered(session: Session): Promise<void> {
    session.applying = session.applying.then(() => this.drain(session));
    return session.applying;
  }

  /** Never rejects: a failing batch is retried (with backoff) until it is written or the run stops. */
  private async drain(session: Session): Promise<void> {
    const { signal } = session.abort;
    for (let attempt = 0; session.buffer.length > 0 && !signal.aborted;) {
      const batch = session.buffer.slice(0, this.batchSize);
      try {
        await this.applyBatch(batch);
        session.buffer.splice(0, batch.length);
        attempt = 0;
      } catch (err) {
        const retryInMs = this.backoff(attempt);
        this.logger.error(
          {
            projection: err instanceof ProjectionFailure ? err.projection : undefined,
            position: batch[0].position,
            batchSize: batch.length,
            attempt,
            retryInMs,
            err: err instanceof ProjectionFailure ? err.cause : err,
          },
          'projection batch failed; retrying',
        );
        attempt += 1;
        await sleep(retryInMs, signal);
      }
    }
  }

  private backoff(attempt: number): number {
    return Math.min(this.retryDelayMs.max, this.retryDelayMs.initial * 2 ** Math.min(attempt, 30));
  }

  private async storedCheckpoints(): Promise<Map<string, { version: number; position: number }>> {
    const rows = await this.models.projectionCheckpoints.find({}).lean<ProjectionCheckpointDocument[]>();
    return new Map(rows.map((row) => [row._id, { version: row.version, position: row.position }]));
  }

  private positionsOf(stored: Map<string, { version: number; position: number }>): Map<string, number> {
    return new Map(this.projections.map((p) => [p.name, stored.get(p.name)?.position ?? 0]));
  }
}

function lowest(positions: Map<string, number>): number {
  return positions.size === 0 ? 0 : Math.min(...positions.values());
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
