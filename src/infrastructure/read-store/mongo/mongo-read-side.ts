import { createConnection, type Connection } from 'mongoose';
import type { Logger } from 'pino';
import { StoreUnavailableError, type EventStore } from '../../../application/ports/event-store.port';
import { maskUrlPassword } from '../../config/config';
import { defineModels, ensureIndexes, type MongoReadModels } from './mongo-models';
import { MongoProjectionRunner, type MongoProjectionRunnerOptions } from './mongo-projection-runner';
import { MongoReadStore } from './mongo-read-store';
import { MongoRecordStore } from './mongo-record-store';

export interface MongoReadSideOptions {
  /** MONGODB_URL: mongodb:// or mongodb+srv://, database from its path (default "test", MongoDB's own). */
  url: string;
  eventStore: EventStore;
  logger: Logger;
  /** Overrides the URL's database (the contract suite uses one database per store). */
  dbName?: string;
  /** How long start-up waits for a server to answer before failing (MongoDB's serverSelectionTimeoutMS). */
  serverSelectionTimeoutMs?: number;
  /** Tuning for tests and benchmarks. */
  runner?: Pick<MongoProjectionRunnerOptions, 'batchSize' | 'retryDelayMs'>;
}

export interface MongoReadSide {
  connection: Connection;
  models: MongoReadModels;
  readStore: MongoReadStore;
  /** The records (contacts, companies, tickets) on the same connection, fed by the same runner. */
  recordStore: MongoRecordStore;
  /** Not started: the instance that projects starts it (and stops it before close). */
  runner: MongoProjectionRunner;
  /**
   * Resolves once the server answered and the indexes exist; rejects with a StoreUnavailableError
   * naming MONGODB_URL (password masked) when no server answers within the timeout. Nothing may be
   * read before (commands are not buffered).
   */
  ready: Promise<void>;
  close(): Promise<void>;
}

export const MONGODB_SERVER_SELECTION_TIMEOUT_MS = 8000;

/**
 * READ_STORE=mongodb: the read models in MongoDB through mongoose (one connection, models
 * compiled on it), the MongoReadStore over them and the projection runner that feeds them.
 * No transaction and no replica set is needed: every projection write is guarded by the event's
 * position (see conversations.mongo-projection.ts).
 */
export function createMongoReadSide({
  url,
  eventStore,
  logger,
  dbName,
  serverSelectionTimeoutMs = MONGODB_SERVER_SELECTION_TIMEOUT_MS,
  runner: tuning,
}: MongoReadSideOptions): MongoReadSide {
  const where = `MongoDB at MONGODB_URL=${maskUrlPassword(url)}`;
  const connection = createConnection(url, {
    serverSelectionTimeoutMS: serverSelectionTimeoutMs,
    // Fail at once instead of queueing commands while there is no connection (HTTP 503 from the read store).
    bufferCommands: false,
    autoIndex: false,
    autoCreate: false,
    ...(dbName ? { dbName } : {}),
  });
  // Later connection problems surface on the commands themselves; an 'error' event without a
  // listener would crash the process.
  connection.on('error', (err: unknown) => logger.warn({ err, mongodb: maskUrlPassword(url) }, 'MongoDB connection error'));
  const models = defineModels(connection);
  const ready = connection.asPromise().then(
    () => ensureIndexes(models),
    (error: unknown) => {
      throw new StoreUnavailableError(
        `cannot reach ${where} within ${serverSelectionTimeoutMs} ms (READ_STORE=mongodb keeps the read models there): ${(error as Error).message}. Start MongoDB, correct MONGODB_URL, or use READ_STORE=sqlite.`,
        error,
      );
    },
  );
  // Observed by whoever starts the read side; until then a failure must not count as unhandled.
  ready.catch(() => undefined);
  const runner = new MongoProjectionRunner({ models, eventStore, logger, ...tuning });
  return {
    connection,
    models,
    readStore: new MongoReadStore(models, where),
    recordStore: new MongoRecordStore(models, where),
    runner,
    ready,
    async close() {
      await runner.stop();
      await connection.close();
    },
  };
}
