import type { Logger } from 'pino';
import { StoreUnavailableError, type EventStore } from '../../application/ports/event-store.port';
import type { ProcessorCheckpoints } from '../../application/ports/processor-checkpoints.port';
import type { ProjectionProgress, ReadStore } from '../../application/ports/read-store.port';
import type { RecordStore } from '../../application/ports/record-store.port';
import { ConfigError, maskUrlPassword, type LogLevel, type ParleyConfig } from '../config/config';
import type { EventStoreDbEventStore } from '../event-store/eventstoredb-event-store';
import { writerThreadAvailable } from '../event-store/event-log-writer-thread';
import { SqliteEventStore } from '../event-store/sqlite-event-store';
import { projectionThreadAvailable } from '../read-store/projection-thread';
import { createSqliteReadSide } from '../read-store/sqlite-read-side';
import type { ExclusiveWork } from '../projections/projector-lease';
import { claimDataDir } from './data-dir-lock';
import { databaseFile, openDatabase } from '../sqlite/open-database';
import type { PluginDocumentStore } from '../plugin-storage/plugin-documents';
import { SqlitePluginDocuments } from '../plugin-storage/sqlite-plugin-documents';
import type { PresenceStore } from '../../application/presence/presence-store.port';
import { SqlitePresenceStore } from '../presence/sqlite-presence-store';
import type { SubjectKey, SubjectKeys } from '../../application/ports/subject-keys.port';
import { SealedEventStore } from '../event-store/sealed-event-store';
import { SqliteSubjectKeys } from '../privacy/sqlite-subject-keys';

/*
 * The MongoDB, EventStoreDB and Redis adapters are required inside the branches that use them, not
 * imported above: their clients (mongoose and the mongodb driver, @eventstore/db-client with gRPC,
 * ioredis) are hundreds of modules and several MB of heap that the embedded default never uses.
 * `require` keeps openStorage synchronous; `typeof import()` keeps the types.
 */
/* eslint-disable @typescript-eslint/no-require-imports */
const eventStoreDb = (): typeof import('../event-store/eventstoredb-event-store') => require('../event-store/eventstoredb-event-store');
const mongoReadSide = (): typeof import('../read-store/mongo/mongo-read-side') => require('../read-store/mongo/mongo-read-side');
const mongoPluginDocuments = (): typeof import('../plugin-storage/mongo-plugin-documents') => require('../plugin-storage/mongo-plugin-documents');
const mongoPresenceStore = (): typeof import('../presence/mongo-presence-store') => require('../presence/mongo-presence-store');
const mongoSubjectKeys = (): typeof import('../privacy/mongo-subject-keys') => require('../privacy/mongo-subject-keys');
const projectorLease = (): typeof import('../projections/projector-lease') => require('../projections/projector-lease');
/* eslint-enable @typescript-eslint/no-require-imports */

/** The storage engines behind the ports, chosen by configuration, with one lifecycle. */
export interface Storage {
  /** The log as the application reads and writes it: personal data sealed on the way in, opened on the way out (docs/privacy.md). */
  eventStore: EventStore;
  /** The same log exactly as stored (personal data sealed): what hash-chain verification reads. */
  storedEventStore: EventStore;
  /** The per-subject keys the sealing uses; erasure destroys them. */
  subjectKeys: SubjectKeys;
  readStore: ReadStore & ProcessorCheckpoints;
  /** The records' read side (contacts, companies, tickets): beside the conversation read models, fed by the same runner. */
  recordStore: RecordStore;
  projections: ProjectionProgress & { start(): Promise<void> | void; stop(): Promise<void>; position(): number };
  /** The plugins' own documents (ChannelHostConnection.storage): beside the read models, but no read model. */
  pluginDocuments: PluginDocumentStore;
  /** Every instance's presence heartbeats (who has Parley open): beside the read models, but no read model. */
  presence: PresenceStore;
  /**
   * Starts work that must run in one instance only (the process managers): at once, or, with the
   * projector lease, whenever this instance holds it (stopped when it loses it).
   */
  runExclusively(work: ExclusiveWork): void;
  /**
   * True when this process is the only one using the log and the read side (the embedded store,
   * its data folder claimed): then the command loop may keep the states it folded (DecidedStates),
   * and plugins need not watch for what another instance did (ChannelHostConnection.soleInstance).
   */
  soleWriter?: boolean;
  close(): Promise<void>;
}

export function openStorage(config: ParleyConfig, logger: Logger): Storage {
  if (config.readStore.engine === 'mongodb') return openMongoReadStorage(config, config.readStore.url, logger);
  if (config.eventStore.engine === 'eventstoredb') return openEventStoreDbStorage(config.eventStore.url, config.dataDir, logger);
  return openEmbeddedStorage(config.dataDir, logger);
}

/** Work that needs no lease: one instance runs it. */
function runNow(work: ExclusiveWork): void {
  void Promise.resolve(work.start());
}

/** How long start-up waits for EventStoreDB to answer before the start fails. */
export const EVENTSTORE_STARTUP_TIMEOUT_MS = 6000;

/**
 * EVENT_STORE=eventstoredb: the events in EventStoreDB, the read models still in the SQLite file
 * under PARLEY_DATA_DIR (READ_STORE=sqlite). The server is asked for one event of `$all` at once;
 * projections.start(), the first thing the application does with storage, waits for that answer,
 * so an unreachable server fails the start within the timeout (main exits non-zero) with an
 * error naming EVENTSTORE_URL, instead of hanging.
 */
export function openEventStoreDbStorage(
  url: string,
  dataDir: string,
  logger: Logger,
  { startupTimeoutMs = EVENTSTORE_STARTUP_TIMEOUT_MS }: { startupTimeoutMs?: number } = {},
): Storage {
  const where = `EVENTSTORE_URL=${maskUrlPassword(url)}`;
  let eventStore: EventStoreDbEventStore;
  try {
    eventStore = eventStoreDb().EventStoreDbEventStore.connect(url);
  } catch (error) {
    throw new ConfigError([`${where} is not a usable EventStoreDB connection string: ${(error as Error).message}`]);
  }
  const reachable = eventStore.checkReachable(startupTimeoutMs).catch((error: unknown) => {
    const reason = error instanceof StoreUnavailableError && error.cause instanceof Error ? error.cause.message : (error as Error).message;
    throw new StoreUnavailableError(`cannot reach EventStoreDB at ${where} (${reason}); start EventStoreDB or fix EVENTSTORE_URL`, error);
  });
  // Observed by projections.start(); until then a failure must not count as unhandled.
  reachable.catch(() => undefined);
  const file = databaseFile(dataDir);
  const readDb = openDatabase(file, { synchronous: 'NORMAL' });
  // The subject keys stay in the embedded file (they are no read model): on a connection of their own, with FULL.
  const keysDb = openDatabase(file, { synchronous: 'FULL' });
  const subjectKeys = new SqliteSubjectKeys(keysDb);
  const sealed = new SealedEventStore(eventStore, subjectKeys);
  const { readStore, recordStore, runner } = createSqliteReadSide({ db: readDb, eventStore: sealed, logger: logger.child({ component: 'projections' }) });
  const pluginDocuments = SqlitePluginDocuments.open(file);
  const presence = SqlitePresenceStore.open(file);
  logger.info({ eventStore: maskUrlPassword(url), readModels: file }, 'EventStoreDB event store with embedded read models');
  return {
    eventStore: sealed,
    storedEventStore: eventStore,
    subjectKeys,
    readStore,
    recordStore,
    pluginDocuments,
    presence,
    projections: {
      async start() {
        await reachable;
        runner.start();
      },
      stop: () => runner.stop(),
      position: () => runner.position(),
      // A command's answer waits for the views; a search waits for its own index (projection-lanes.ts).
      waitFor: (position, timeoutMs) => runner.waitForViews(position, timeoutMs),
    },
    runExclusively: runNow,
    async close() {
      await runner.stop();
      await eventStore.close();
      await pluginDocuments.close();
      await presence.close();
      await subjectKeys.close();
      keysDb.close();
      readDb.close();
    },
  };
}

/**
 * The one-container default: events and read models in one SQLite file. The event log is written
 * on its own connection with synchronous=FULL (an acknowledged event survives power loss; in the
 * compiled server that connection belongs to the log's writer thread, and eventDb reads); the
 * read models on a second connection with NORMAL, since they can always be rebuilt from the log
 * and their checkpoints commit atomically with them.
 */
export function openEmbeddedStorage(dataDir: string, logger: Logger): Storage {
  const file = databaseFile(dataDir);
  const eventDb = openDatabase(file, { synchronous: 'FULL' });
  const readDb = openDatabase(file, { synchronous: 'NORMAL' });
  // The transactions in a thread of their own when the compiled worker is there (not when tests
  // run the TypeScript sources): the main thread then neither runs the inserts nor waits for the fsync.
  const storedEventStore = new SqliteEventStore(eventDb, { writerThread: writerThreadAvailable() ? {} : undefined });
  // New keys go with the log's batches: each is committed with the first events sealed with it.
  const subjectKeys = new SqliteSubjectKeys(eventDb, { log: storedEventStore });
  const eventStore = new SealedEventStore(storedEventStore, subjectKeys);
  // The projections in a thread of their own when the compiled worker is there, as the log's writes.
  const { readStore, recordStore, runner } = createSqliteReadSide({
    db: readDb,
    eventStore,
    logger: logger.child({ component: 'projections' }),
    thread: projectionThreadAvailable() ? { file, log: storedEventStore, level: logger.level as LogLevel } : undefined,
  });
  const pluginDocuments = SqlitePluginDocuments.open(file);
  const presence = SqlitePresenceStore.open(file);
  // `parley replay` refuses to run while this process projects into the file.
  const releaseDataDir = claimDataDir(dataDir);
  logger.info({ file }, 'embedded storage opened');
  return {
    eventStore,
    storedEventStore,
    subjectKeys,
    readStore,
    recordStore,
    pluginDocuments,
    presence,
    projections: {
      start: () => runner.start(),
      stop: () => runner.stop(),
      position: () => runner.position(),
      // A command's answer waits for the views; a search waits for its own index (projection-lanes.ts).
      waitFor: (position, timeoutMs) => runner.waitForViews(position, timeoutMs),
    },
    runExclusively: runNow,
    soleWriter: true,
    async close() {
      await runner.stop();
      await eventStore.close();
      await pluginDocuments.close();
      await presence.close();
      readDb.close();
      eventDb.close();
      releaseDataDir();
    },
  };
}

/**
 * READ_STORE=mongodb: the read models (and the process managers' checkpoints) in MongoDB, the
 * events in EventStoreDB (EVENT_STORE=eventstoredb) or in the embedded file. The server is asked
 * at once; projections.start(), the first thing the application does with storage, waits for the
 * answer, so an unreachable MongoDB fails the start within MONGODB_SERVER_SELECTION_TIMEOUT_MS
 * (main exits non-zero) with an error naming MONGODB_URL.
 *
 * With REDIS_URL also set, several instances may share these engines: the projections and the
 * process managers run only in the instance holding the projector lease (projector-lease.ts);
 * the others wait on the checkpoints stored in MongoDB for read-your-writes.
 */
export function openMongoReadStorage(config: ParleyConfig, url: string, logger: Logger, options: { serverSelectionTimeoutMs?: number } = {}): Storage {
  const { createMongoReadSide } = mongoReadSide();
  const { MongoPluginDocuments } = mongoPluginDocuments();
  const { MongoPresenceStore } = mongoPresenceStore();
  const { MongoSubjectKeys } = mongoSubjectKeys();
  const events = openEventLog(config, logger);
  // The keys live in MongoDB beside (not among) the read models, on the read side's connection, which exists only below.
  const keys = deferredSubjectKeys();
  const eventStore = new SealedEventStore(events.eventStore, keys);
  const readSide = createMongoReadSide({
    url,
    eventStore,
    logger: logger.child({ component: 'projections' }),
    serverSelectionTimeoutMs: options.serverSelectionTimeoutMs,
  });
  logger.info(
    {
      eventStore: config.eventStore.engine,
      readModels: maskUrlPassword(url),
      projectorLease: config.projectorLease ? projectorLease().PROJECTOR_LEASE_KEY : null,
    },
    'MongoDB read models',
  );
  const { runner, recordStore } = readSide;
  // In the read side's database, on its connection: shared by every instance, as the read models are.
  const pluginDocuments = new MongoPluginDocuments(readSide.connection, readSide.ready);
  const presence = new MongoPresenceStore(readSide.connection, readSide.ready);
  const subjectKeys = new MongoSubjectKeys(readSide.connection, readSide.ready);
  keys.resolve(subjectKeys);
  const startEngines = async () => {
    await events.reachable;
    await readSide.ready;
    await pluginDocuments.whenReady();
    await presence.whenReady();
    await subjectKeys.whenReady();
  };

  if (!config.projectorLease) {
    return {
      eventStore,
      storedEventStore: events.eventStore,
      subjectKeys,
      readStore: readSide.readStore,
      recordStore,
      pluginDocuments,
      presence,
      projections: {
        async start() {
          await startEngines();
          await runner.start();
        },
        stop: () => runner.stop(),
        position: () => runner.position(),
        waitFor: (position, timeoutMs) => runner.waitFor(position, timeoutMs),
      },
      runExclusively: runNow,
      async close() {
        await readSide.close();
        await events.close();
      },
    };
  }

  const { connectLeaseRedis, createLeaseRedis, LeasedProjections, leaseOwnerId, ProjectorLease, PROJECTOR_LEASE_KEY, PROJECTOR_LEASE_TTL_MS, RedisLease } =
    projectorLease();
  const redisUrl = config.projectorLease.redisUrl;
  const redis = createLeaseRedis(redisUrl);
  const lease = new ProjectorLease({
    lease: new RedisLease(redis, PROJECTOR_LEASE_KEY, leaseOwnerId(), PROJECTOR_LEASE_TTL_MS),
    logger: logger.child({ component: 'projector-lease' }),
  });
  const projections = new LeasedProjections({
    lease,
    runner,
    storedPosition: () => runner.storedPosition(),
    logger: logger.child({ component: 'projections' }),
  });
  return {
    eventStore,
    storedEventStore: events.eventStore,
    subjectKeys,
    readStore: readSide.readStore,
    recordStore,
    pluginDocuments,
    presence,
    projections: {
      async start() {
        await startEngines();
        await connectLeaseRedis(redis, redisUrl);
        await projections.start();
      },
      stop: () => projections.stop(),
      position: () => projections.position(),
      waitFor: (position, timeoutMs) => projections.waitFor(position, timeoutMs),
    },
    runExclusively: (work) => lease.add(work),
    async close() {
      await projections.stop();
      redis.disconnect();
      await readSide.close();
      await events.close();
    },
  };
}

/** The event log of the configured engine, with a start-up reachability promise. */
function openEventLog(config: ParleyConfig, logger: Logger): { eventStore: EventStore; reachable: Promise<void>; close(): Promise<void> } {
  if (config.eventStore.engine === 'eventstoredb') {
    const where = `EVENTSTORE_URL=${maskUrlPassword(config.eventStore.url)}`;
    let eventStore: EventStoreDbEventStore;
    try {
      eventStore = eventStoreDb().EventStoreDbEventStore.connect(config.eventStore.url);
    } catch (error) {
      throw new ConfigError([`${where} is not a usable EventStoreDB connection string: ${(error as Error).message}`]);
    }
    const reachable = eventStore.checkReachable(EVENTSTORE_STARTUP_TIMEOUT_MS).catch((error: unknown) => {
      const reason = error instanceof StoreUnavailableError && error.cause instanceof Error ? error.cause.message : (error as Error).message;
      throw new StoreUnavailableError(`cannot reach EventStoreDB at ${where} (${reason}); start EventStoreDB or fix EVENTSTORE_URL`, error);
    });
    reachable.catch(() => undefined);
    return { eventStore, reachable, close: () => eventStore.close() };
  }
  // The events stay in the embedded file (on its FULL connection); no read model lives there.
  const eventDb = openDatabase(databaseFile(config.dataDir), { synchronous: 'FULL' });
  const eventStore = new SqliteEventStore(eventDb);
  logger.info({ file: databaseFile(config.dataDir) }, 'embedded event store');
  return {
    eventStore,
    reachable: Promise.resolve(),
    async close() {
      await eventStore.close();
      eventDb.close();
    },
  };
}

/** Subject keys handed over later: the sealing layer exists before the connection the keys are kept on. */
function deferredSubjectKeys(): SubjectKeys & { resolve(keys: SubjectKeys): void } {
  let resolve!: (keys: SubjectKeys) => void;
  const ready = new Promise<SubjectKeys>((r) => (resolve = r));
  return {
    resolve,
    keyFor: async (subject: string): Promise<SubjectKey> => (await ready).keyFor(subject),
    find: async (subject: string, keyId: string) => (await ready).find(subject, keyId),
    destroy: async (subjects: readonly string[]) => (await ready).destroy(subjects),
    close: async () => (await ready).close(),
  };
}
