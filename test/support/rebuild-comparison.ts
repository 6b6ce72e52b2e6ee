import { join } from 'node:path';
import type { Database } from 'better-sqlite3';
import pino from 'pino';
import type { RecordedEvent } from '../../src/application/ports/event-store.port';
import type { SqliteEventStore } from '../../src/infrastructure/event-store/sqlite-event-store';
import { createSqliteReadSide } from '../../src/infrastructure/read-store/sqlite-read-side';
import { SealedEventStore } from '../../src/infrastructure/event-store/sealed-event-store';
import { SqliteSubjectKeys } from '../../src/infrastructure/privacy/sqlite-subject-keys';
import { databaseFile, openDatabase } from '../../src/infrastructure/sqlite/open-database';

/**
 * "Replaying all events into empty read models must give exactly the read models the live system
 * has", checked on a data folder that a real server left behind (after a clean stop): the log is
 * projected into fresh files and every read-model table is compared with the live one, row by row.
 */

/**
 * Two rebuilds: as the server does it (default batches), and in batches of 7, so that a read model
 * that depends on where batches start and end shows up too (the live one was built by small
 * batches under load, then by catch-up batches after restarts).
 */
const REBUILDS: Array<[string, { batchSize?: number }]> = [
  ['default-batches', {}],
  ['batches-of-7', { batchSize: 7 }],
];

/**
 * processor_checkpoints is not a read model: the process managers record there how far they have
 * acted on the log (SqliteReadStore creates the table). The rebuild runs no process manager, so
 * the table is empty there by construction. projection_checkpoints IS compared: after a clean
 * stop the live projections are at the head of the log, as is the rebuild.
 */
const EXCLUDED_TABLES = new Set(['processor_checkpoints']);

/** Tables every rebuild must have produced (a rebuild that made nothing compares equal to nothing). */
const EXPECTED_TABLES = ['projection_checkpoints', 'rm_conversations', 'rm_messages', 'view_counts', 'view_membership'];

/** The whole log, in order. */
export async function readWholeLog(store: SqliteEventStore): Promise<RecordedEvent[]> {
  const events: RecordedEvent[] = [];
  for (;;) {
    const page = await store.readAll({ after: events.length === 0 ? 0 : events[events.length - 1].position, maxCount: 1000 });
    if (page.length === 0) return events;
    events.push(...page);
  }
}

/**
 * Projects the live log from position 0 into fresh files under `rebuildDir`, once per batch size,
 * and expects every read-model table to equal the live one. Returns the tables compared.
 */
export async function expectReadModelsEqualRebuilds(liveDb: Database, eventStore: SqliteEventStore, rebuildDir: string): Promise<string[]> {
  const head = await eventStore.headPosition();
  let compared: string[] = [];
  for (const [name, tuning] of REBUILDS) {
    const freshDb = openDatabase(databaseFile(join(rebuildDir, name)), { synchronous: 'NORMAL' });
    try {
      // As the server and `parley replay` read the log: personal values opened with the file's subject keys (docs/privacy.md).
      const opened = new SealedEventStore(eventStore, new SqliteSubjectKeys(liveDb));
      const { runner } = createSqliteReadSide({ db: freshDb, eventStore: opened, logger: pino({ level: 'silent' }), runner: tuning });
      runner.start();
      const reached = await runner.waitFor(head, 30_000);
      await runner.stop();
      expect({ rebuild: name, reached }).toEqual({ rebuild: name, reached: true });

      const tables = readModelTables(freshDb);
      expect(tables).toEqual(expect.arrayContaining(EXPECTED_TABLES));
      expect(tables.filter((t) => columnsOf(liveDb, t).length === 0)).toEqual([]);
      const differences = tables.map((t) => tableDifference(liveDb, freshDb, t)).filter((d): d is string => d !== null);
      expect({ rebuild: name, differences }).toEqual({ rebuild: name, differences: [] });
      compared = tables;
    } finally {
      freshDb.close();
    }
  }
  return compared;
}

/**
 * Every table of the rebuilt file is a read-model table (or the runner's checkpoints); the live
 * file also holds the event log. FTS5 shadow tables (<name>_data, _idx, _content, _docsize,
 * _config) are SQLite's storage detail: the virtual table itself is compared instead.
 */
function readModelTables(db: Database): string[] {
  const tables = db.prepare("SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").all() as Array<{
    name: string;
    sql: string | null;
  }>;
  const virtual = tables.filter((t) => /^CREATE VIRTUAL TABLE/i.test(t.sql ?? '')).map((t) => t.name);
  return tables
    .map((t) => t.name)
    .filter((name) => !virtual.some((v) => name.startsWith(`${v}_`)))
    .filter((name) => !EXCLUDED_TABLES.has(name));
}

const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;

function tableRows(db: Database, table: string, columns: string[]): unknown[][] {
  const list = columns.map(quote).join(', ');
  return db
    .prepare(`SELECT ${list} FROM ${quote(table)} ORDER BY ${list}`)
    .raw()
    .all() as unknown[][];
}

function columnsOf(db: Database, table: string): string[] {
  return (db.prepare(`SELECT name FROM pragma_table_info(?) ORDER BY cid`).all(table) as Array<{ name: string }>).map((c) => c.name);
}

/** Null when equal; otherwise a description of the first rows that differ. */
function tableDifference(live: Database, fresh: Database, table: string): string | null {
  const columns = columnsOf(fresh, table);
  const liveColumns = columnsOf(live, table);
  if (JSON.stringify(liveColumns) !== JSON.stringify(columns))
    return `${table}: columns differ: live ${JSON.stringify(liveColumns)}, rebuilt ${JSON.stringify(columns)}`;
  const a = tableRows(live, table, columns);
  const b = tableRows(fresh, table, columns);
  const differing: string[] = [];
  for (let i = 0; i < Math.max(a.length, b.length) && differing.length < 5; i += 1) {
    if (JSON.stringify(a[i]) !== JSON.stringify(b[i])) differing.push(`  row ${i}: live ${JSON.stringify(a[i])}\n         rebuilt ${JSON.stringify(b[i])}`);
  }
  if (a.length === b.length && differing.length === 0) return null;
  return `${table} (${columns.join(', ')}): live has ${a.length} rows, the rebuild ${b.length}; first differences:\n${differing.join('\n')}`;
}
