import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Database } from 'better-sqlite3';
import { SqliteSubjectKeys } from '../../src/infrastructure/privacy/sqlite-subject-keys';
import { databaseFile, openDatabase } from '../../src/infrastructure/sqlite/open-database';
import { subjectKeysContract } from './subject-keys.contract';

subjectKeysContract('SqliteSubjectKeys (contract)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'parley-subject-keys-'));
  const file = databaseFile(dir);
  const connections: Database[] = [];
  const open = () => {
    const db = openDatabase(file, { synchronous: 'FULL' });
    connections.push(db);
    return new SqliteSubjectKeys(db);
  };
  return {
    keys: open(),
    reopen: async () => open(),
    teardown: async () => {
      for (const db of connections) db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});
