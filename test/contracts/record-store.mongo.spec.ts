import { randomUUID } from 'node:crypto';
import pino from 'pino';
import type { EventStore } from '../../src/application/ports/event-store.port';
import type { RecordStore } from '../../src/application/ports/record-store.port';
import { createMongoReadSide, type MongoReadSide } from '../../src/infrastructure/read-store/mongo/mongo-read-side';
import { feedThrough } from '../support/fed-read-side';
import { withMongoDB } from '../support/mongo-engine';
import { FedEventStore } from './read-store.contract';
import { recordStoreContract } from './record-store.contract';

const SUITE = 'MongoDB record store contract';

/** The record store of a MongoDB read side; a read side without one fails every test that needs it. */
function recordStoreOf(side: MongoReadSide): RecordStore {
  const recordStore = (side as MongoReadSide & { recordStore?: RecordStore }).recordStore;
  if (!recordStore) throw new Error('the MongoDB read side has no record store yet');
  return recordStore;
}

withMongoDB(SUITE, (url) => {
  /** Fed through the runner's subscription, as production feeds it; a database of its own per test. */
  recordStoreContract('MongoDB record store', async () => {
    const source = new FedEventStore();
    const side = createMongoReadSide({
      url: url(),
      dbName: `parley_test_${randomUUID().replace(/-/g, '')}`,
      eventStore: source as unknown as EventStore,
      logger: pino({ level: 'silent' }),
      serverSelectionTimeoutMs: 10_000,
      runner: { retryDelayMs: { initial: 5, max: 50 } },
    });
    await side.ready;
    await side.runner.start();
    return {
      readStore: side.readStore,
      recordStore: recordStoreOf(side),
      feed: feedThrough(source, side.runner),
      async teardown() {
        await side.runner.stop();
        await side.connection.dropDatabase();
        await side.close();
      },
    };
  });
});
