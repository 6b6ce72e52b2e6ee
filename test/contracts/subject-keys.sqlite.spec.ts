import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Database } from 'better-sqlite3';
import { SqliteEventStore } from '../../src/infrastructure/event-store/sqlite-event-store';
import { SqliteSubjectKeys } from '../../src/infrastructure/privacy/sqlite-subject-keys';
import { databaseFile, openDatabase } from '../../src/infrastructure/sqlite/open-database';
import { subjectKeysContract } from './subject-keys.contract';

/** The log's writer thread run from the TypeScript sources (the server runs the compiled one). */
const WRITER_THREAD = { script: join(__dirname, '../support/event-log-writer.worker.js') };

/**
 * With `withLog`, every instance has an event log on its connection that carries its new keys,
 * as the embedded server does; "another instance" opens the file after that log committed its
 * next batch (a key reaches the file with the first events sealed with it, or with the log's
 * next commit).
 */
function onSqlite(withLog?: { writerThread?: typeof WRITER_THREAD }) {
  return async () => {
    const dir = mkdtempSync(join(tmpdir(), 'parley-subject-keys-'));
    const file = databaseFile(dir);
    const connections: Database[] = [];
    const logs: SqliteEventStore[] = [];
    const open = () => {
      const db = openDatabase(file, { synchronous: 'FULL' });
      connections.push(db);
      if (!withLog) return new SqliteSubjectKeys(db);
      const log = new SqliteEventStore(db, { writerThread: withLog.writerThread });
      logs.push(log);
      return new SqliteSubjectKeys(db, { log });
    };
    return {
      keys: open(),
      reopen: async () => {
        for (const log of logs) await log.flush();
        return open();
      },
      teardown: async () => {
        for (const log of logs) await log.close();
        for (const db of connections) db.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  };
}

subjectKeysContract('SqliteSubjectKeys (contract)', onSqlite());
// The embedded default: new keys written by the log's batches, in the transaction of the first events sealed with them.
subjectKeysContract("SqliteSubjectKeys carried by the log's batches (contract)", onSqlite({}));
subjectKeysContract("SqliteSubjectKeys carried by the log's writer thread (contract)", onSqlite({ writerThread: WRITER_THREAD }));
