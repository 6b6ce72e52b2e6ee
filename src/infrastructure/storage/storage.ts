import type { Logger } from 'pino';
import { StoreUnavailableError, type EventStore } from '../../application/ports/event-store.port';
import type { ProcessorCheckpoints } from '../../application/ports/processor-checkpoints.port';
import type { ProjectionProgress, ReadStore } from '../../application/ports/read-store.port';
import { ConfigError, maskUrlPassword, type ParleyConfig } from '../config/config';
import { EventStoreDbEventStore } from '../event-store/eventstoredb-event-store';
import { SqliteEventStore } from '../event-store/sqlite-event-store';
import { createSqliteReadSide } from '../read-store/sqlite-read-side';
import { claimDataDir } from './data-dir-lock';
import { databaseFile, openDatabase } from '../sqlite/open-database';

/** The storage engines behind the ports, chosen by configuration, with one lifecycle. */
export interface Storage {
  eventStore: EventStore;
  readStore: ReadStore & ProcessorCheckpoints;
  projections: ProjectionProgress & { start(): Promise<void> | void; stop(): Promise<void>; position(): number };
  close(): Promise<void>;
}

export function openStorage(config: ParleyConfig, logger: Logger): Storage {
  if (config.readStore.engine !== 'sqlite') {
    throw new ConfigError([`READ_STORE=${config.readStore.engine} is not available in this version yet; use the embedded default (sqlite)`]);
  }
  if (config.eventStore.engine === 'eventstoredb') return openEventStoreDbStorage(config.eventStore.url, config.dataDir, logger);
  return openEmbeddedStorage(config.dataDir, logger);
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
    eventStore = EventStoreDbEventStore.connect(url);
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
  const { readStore, runner } = createSqliteReadSide({ db: readDb, eventStore, logger: logger.child({ component: 'projections' }) });
  logger.info({ eventStore: maskUrlPassword(url), readModels: file }, 'EventStoreDB event store with embedded read models');
  return {
    eventStore,
    readStore,
    projections: {
      async start() {
        await reachable;
        runner.start();
      },
      stop: () => runner.stop(),
      position: () => runner.position(),
      waitFor: (position, timeoutMs) => runner.waitFor(position, timeoutMs),
    },
    async close() {
      await runner.stop();
      await eventStore.close();
      readDb.close();
    },
  };
}

/**
 * The one-container default: events and read models in one SQLite file. The event log is written
 * on its own connection with synchronous=FULL (an acknowledged event survives power loss); the
 * read models on a second connection with NORMAL, since they can always be rebuilt from the log
 * and their checkpoints commit atomically with them.
 */
export function openEmbeddedStorage(dataDir: string, logger: Logger): Storage {
  const file = databaseFile(dataDir);
  const eventDb = openDatabase(file, { synchronous: 'FULL' });
  const readDb = openDatabase(file, { synchronous: 'NORMAL' });
  const eventStore = new SqliteEventStore(eventDb);
  const { readStore, runner } = createSqliteReadSide({ db: readDb, eventStore, logger: logger.child({ component: 'projections' }) });
  // `parley replay` refuses to run while this process projects into the file.
  const releaseDataDir = claimDataDir(dataDir);
  logger.info({ file }, 'embedded storage opened');
  return {
    eventStore,
    readStore,
    projections: runner,
    async close() {
      await runner.stop();
      await eventStore.close();
      readDb.close();
      eventDb.close();
      releaseDataDir();
    },
  };
}
