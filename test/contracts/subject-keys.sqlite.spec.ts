import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Database } from 'better-sqlite3';
import { SqliteSubjectKeys } from '../../src/infrastructure/privacy/sqlite-subject-keys';
import { databaseFile, openDatabase } from '../../src/infrastructure/sqlite/open-database';
import { subjectKeysContract } from './subject-keys.contract';

function onSqlite(options: { sharesTheLog?: boolean }) {
  return async () => {
    const dir = mkdtempSync(join(tmpdir(), 'parley-subject-keys-'));
    const file = databaseFile(dir);
    const connections: Database[] = [];
    const open = () => {
      const db = openDatabase(file, { synchronous: 'FULL' });
      connections.push(db);
      return new SqliteSubjectKeys(db, options);
    };
    return {
      keys: open(),
      reopen: async () => open(),
      teardown: async () => {
        for (const db of connections) db.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  };
}

subjectKeysContract('SqliteSubjectKeys (contract)', onSqlite({}));
// The embedded default: new keys written in one transaction per turn, made durable by the log's next commit.
subjectKeysContract("SqliteSubjectKeys on the log's connection (contract)", onSqlite({ sharesTheLog: true }));
