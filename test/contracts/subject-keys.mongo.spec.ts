import { randomUUID } from 'node:crypto';
import { createConnection, type Connection } from 'mongoose';
import { MongoSubjectKeys } from '../../src/infrastructure/privacy/mongo-subject-keys';
import { withMongoDB } from '../support/mongo-engine';
import { subjectKeysContract } from './subject-keys.contract';

const SUITE = 'MongoDB subject keys contract';

withMongoDB(SUITE, (url) => {
  const connect = (dbName: string): Connection => createConnection(url(), { dbName, bufferCommands: false, autoIndex: false, autoCreate: false });

  subjectKeysContract('MongoSubjectKeys (contract)', async () => {
    const dbName = `parley_test_${randomUUID().replace(/-/g, '')}`;
    const connections: Connection[] = [];
    const open = async () => {
      const connection = connect(dbName);
      connections.push(connection);
      const keys = new MongoSubjectKeys(
        connection,
        connection.asPromise().then(() => undefined),
      );
      await keys.whenReady();
      return keys;
    };
    return {
      keys: await open(),
      reopen: open,
      async teardown() {
        await connections[0].dropDatabase();
        for (const connection of connections) await connection.close();
      },
    };
  });
});
