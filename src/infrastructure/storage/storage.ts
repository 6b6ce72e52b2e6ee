import type { Logger } from 'pino';
import type { EventStore } from '../../application/ports/event-store.port';
import type { ProcessorCheckpoints } from '../../application/ports/processor-checkpoints.port';
import type { ProjectionProgress, ReadStore } from '../../application/ports/read-store.port';
import { ConfigError, type ParleyConfig } from '../config/config';
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
  const unavailable = [
    config.eventStore.engine !== 'sqlite' && `EVENT_STORE=${config.eventStore.engine}`,
    config.readStore.engine !== 'sqlite' && `READ_STORE=${config.readStore.engine}`,
  ].filter(Boolean);
  if (unavailable.length > 0) {
    throw new ConfigError(unavailable.map((v) => `${v} is not available in this version yet; use the embedded default (sqlite)`));
  }
  return openEmbeddedStorage(config.dataDir, logger);
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
