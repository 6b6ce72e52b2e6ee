import { randomUUID } from 'node:crypto';
import { createConnection, type Connection } from 'mongoose';
import { MongoPluginDocuments, PLUGIN_DOCUMENTS_COLLECTION } from '../../src/infrastructure/plugin-storage/mongo-plugin-documents';
import { withMongoDB } from '../support/mongo-engine';
import { pluginStorageContract } from './plugin-storage.contract';

const SUITE = 'MongoDB plugin storage contract';

withMongoDB(SUITE, (url) => {
  /** A connection as the read side opens it (no buffering), on a database of its own. */
  const connect = (dbName: string): Connection => createConnection(url(), { dbName, bufferCommands: false, autoIndex: false, autoCreate: false });

  pluginStorageContract('MongoDB plugin storage', async () => {
    const dbName = `parley_test_${randomUUID().replace(/-/g, '')}`;
    const connection = connect(dbName);
    const documents = new MongoPluginDocuments(
      connection,
      connection.asPromise().then(() => undefined),
    );
    await documents.whenReady();
    return {
      forPlugin: (pluginId) => documents.forPlugin(pluginId),
      otherInstance: async () => {
        const second = connect(dbName);
        const other = new MongoPluginDocuments(
          second,
          second.asPromise().then(() => undefined),
        );
        await other.whenReady();
        return { forPlugin: (pluginId: string) => other.forPlugin(pluginId), close: () => second.close() };
      },
      async teardown() {
        await connection.dropDatabase();
        await connection.close();
      },
    };
  });

  describe(`${SUITE}: the collection`, () => {
    it('has a unique index on (plugin, key)', async () => {
      const connection = connect(`parley_test_${randomUUID().replace(/-/g, '')}`);
      try {
        await new MongoPluginDocuments(
          connection,
          connection.asPromise().then(() => undefined),
        ).whenReady();
        const indexes = await connection.db!.collection(PLUGIN_DOCUMENTS_COLLECTION).indexes();
        expect(indexes.find((index) => index.name === 'plugin_key')).toMatchObject({ key: { plugin: 1, key: 1 }, unique: true });
      } finally {
        await connection.dropDatabase();
        await connection.close();
      }
    });
  });
});
