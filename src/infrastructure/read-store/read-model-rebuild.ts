import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Database } from 'better-sqlite3';
import type { Logger } from 'pino';
import type {
  AppendResult,
  EventStore,
  ExpectedRevision,
  NewEvent,
  ReadAllOptions,
  ReadStreamOptions,
  RecordedEvent,
  SubscribeAllOptions,
} from '../../application/ports/event-store.port';
import { ProjectionRunner } from '../../projections/projection-runner';
import { sqliteProjections } from '../../projections/sqlite';
import { openReadOnlyEventLog, type ReadOnlyEventLog } from '../event-store/open-event-log';
import { createLogger } from '../logging/logger';
import { openDatabase } from '../sqlite/open-database';

/** The temporary file a rebuild projects into, next to the live one (same volume, same disk). */
export const REBUILD_FILE_NAME = 'parley.replay.db';

export interface RebuildProgress {
  /** Events handed to the projections so far. */
  applied: number;
  /** Events in the log when the rebuild started. */
  total: number;
  elapsedMs: number;
}

export interface RebuildOptions {
  dataDir: string;
  /** Where the projections' warnings and errors go, as pino JSON lines. */
  logTo: { write(line: string): void };
  /** Events applied per transaction (the runner's batch); default the runner's own. */
  batchSize?: number;
  onProgress?: (progress: RebuildProgress) => void;
  progressIntervalMs?: number;
}

/** One row (or table) where the live read models and the rebuilt ones disagree. */
export interface ReadModelDifference {
  table: string;
  /** The row's primary key; null for a difference of the whole table. */
  key: Record<string, unknown> | null;
  /** The differing columns only when the row is on both sides; null where the row is missing. */
  live: Record<string, unknown> | null;
  rebuilt: Record<string, unknown> | null;
  /** For a difference of the whole table (missing, other columns). */
  note?: string;
}

/** The rebuild cannot start or finish (no database, a projection that fails on an event). */
export class RebuildError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RebuildError';
  }
}

interface TableInfo {
  name: string;
  sql: string;
  columns: string[];
  /** Primary key columns (all columns when there is none); rowid for a virtual table. */
  key: string[];
  /** A virtual table (FTS5) keeps its data in shadow tables that its module created. */
  virtual: boolean;
  shadowTables: string[];
  fts5: boolean;
}

/**
 * `parley replay`: every read model rebuilt from position 0 of the log into FRESH tables in a
 * separate file, by the same projections and ProjectionRunner the server uses. Until swapIn()
 * commits, the live file is only read, so killing the process at any moment before that leaves
 * the live read models exactly as they were.
 *
 * swapIn() is ONE transaction on the live file: the rebuild file is ATTACHed, each of its tables
 * (every read-model table and projection_checkpoints) replaces the live table of that name —
 * schema, rows, indexes — and COMMIT makes all of it visible at once. The event log is in the
 * same file, so the write lock taken by BEGIN IMMEDIATE also holds appends back: inside the
 * transaction the rebuild is checked to have reached the log's head, and caught up first if a
 * running server (--force) appended meanwhile. Process-manager checkpoints are not read models
 * and are left alone (replaying them would send mail again).
 */
export class ReadModelRebuild {
  private failure: string | null = null;
  private applied = 0;
  private readonly startedAt = Date.now();

  private constructor(
    private readonly options: RebuildOptions,
    private readonly log: ReadOnlyEventLog,
    readonly rebuildFile: string,
    private readonly rebuildDb: Database,
    private readonly runner: ProjectionRunner,
    readonly total: number,
  ) {}

  /** Projects the whole log into a fresh rebuild file; resolves once it reached the log's head. */
  static async build(options: RebuildOptions): Promise<ReadModelRebuild> {
    const rebuildFile = join(options.dataDir, REBUILD_FILE_NAME);
    removeDatabaseFiles(rebuildFile); // left behind by a replay that was killed
    const log = openReadOnlyEventLog(options.dataDir);
    let rebuildDb: Database | undefined;
    try {
      const total = log.db.prepare('SELECT COUNT(*) FROM events').pluck().get() as number;
      rebuildDb = openDatabase(rebuildFile, { synchronous: 'NORMAL' });
      // A throwaway file: nothing in it needs to survive a crash. No fsync, and no WAL: pages go
      // straight to the file instead of to the WAL and again at each checkpoint; the rollback
      // journal stays in memory, so a failed batch still rolls back (measured: +20 % events/s).
      rebuildDb.pragma('synchronous = OFF');
      rebuildDb.pragma('journal_mode = MEMORY');
      let rebuild: ReadModelRebuild | undefined;
      const runner = new ProjectionRunner({
        db: rebuildDb,
        eventStore: countingEventStore(log.store, () => {
          if (rebuild) rebuild.applied += 1;
        }),
        projections: sqliteProjections,
        logger: watchedLogger(options.logTo, (line) => rebuild?.fail(line)),
        batchSize: options.batchSize,
        retryDelayMs: { initial: 100, max: 1000 },
      });
      rebuild = new ReadModelRebuild(options, log, rebuildFile, rebuildDb, runner, total);
      await rebuild.catchUp(await log.store.headPosition());
      return rebuild;
    } catch (error) {
      rebuildDb?.close();
      await log.close();
      removeDatabaseFiles(rebuildFile);
      throw error;
    }
  }

  get events(): number {
    return this.applied;
  }

  get elapsedMs(): number {
    return Date.now() - this.startedAt;
  }

  /** Replaces the live read models and projection checkpoints with the rebuilt ones, atomically. */
  async swapIn(): Promise<void> {
    const live = openDatabase(this.log.file, { synchronous: 'FULL' });
    // This connection only swaps: it must write FTS5 shadow tables (see replaceTables).
    live.unsafeMode(true);
    try {
      live.prepare('ATTACH DATABASE ? AS rebuild').run(this.rebuildFile);
      const tables = tablesOf(live, 'rebuild');
      for (;;) {
        live.exec('BEGIN IMMEDIATE');
        try {
          const head = live.prepare('SELECT COALESCE(MAX(position), 0) FROM main.events').pluck().get() as number;
          const rebuilt = live.prepare('SELECT COALESCE(MIN(position), 0) FROM rebuild.projection_checkpoints').pluck().get() as number;
          if (rebuilt < head) {
            live.exec('ROLLBACK');
            await this.catchUp(head);
            continue;
          }
          replaceTables(live, tables);
          live.exec('COMMIT');
          break;
        } catch (error) {
          if (live.inTransaction) live.exec('ROLLBACK');
          throw error;
        }
      }
      // The swap wrote the read models twice over into the WAL; give that space back (best effort:
      // a running server's readers may hold part of it until later).
      live.pragma('wal_checkpoint(TRUNCATE)');
    } finally {
      live.close();
    }
  }

  /** Table by table, row by row: where the live read models differ from the rebuilt ones. */
  compare(): ReadModelDifference[] {
    const live = openDatabase(this.log.file, { synchronous: 'NORMAL', readonly: true });
    try {
      live.prepare('ATTACH DATABASE ? AS rebuild').run(this.rebuildFile);
      // One read transaction: both sides as of one instant.
      return live.transaction(() => tablesOf(live, 'rebuild').flatMap((table) => compareTable(live, table)))();
    } finally {
      live.close();
    }
  }

  /** Closes everything and deletes the rebuild file. */
  async close(): Promise<void> {
    await this.runner.stop();
    this.rebuildDb.close();
    await this.log.close();
    removeDatabaseFiles(this.rebuildFile);
  }

  private fail(line: string): void {
    this.failure ??= line;
  }

  /** Runs the projections until they reached `head`; fails fast when a projection cannot apply an event. */
  private async catchUp(head: number): Promise<void> {
    const interval = this.options.progressIntervalMs ?? 1000;
    this.runner.start();
    try {
      while (!(await this.runner.waitFor(head, interval))) {
        if (this.failure !== null) throw new RebuildError(`the rebuild failed; the live read models are untouched: ${describeLogLine(this.failure)}`);
        this.options.onProgress?.(this.progress());
      }
    } finally {
      await this.runner.stop();
    }
  }

  private progress(): RebuildProgress {
    return { applied: this.applied, total: Math.max(this.total, this.applied), elapsedMs: this.elapsedMs };
  }
}

/** The runner's logger: lines go to `sink`; the first error-level line is reported to `onError`. */
function watchedLogger(sink: { write(line: string): void }, onError: (line: string) => void): Logger {
  return createLogger(
    { level: 'warn' },
    {
      write(line: string) {
        sink.write(line);
        if ((JSON.parse(line) as { level: number }).level >= 50) onError(line);
      },
    },
  );
}

function describeLogLine(line: string): string {
  const { msg, projection, position, eventType, err } = JSON.parse(line) as Record<string, unknown>;
  const where = [projection && `projection ${String(projection)}`, eventType && `event ${String(eventType)}`, position && `position ${String(position)}`]
    .filter(Boolean)
    .join(', ');
  const cause = (err as { message?: string } | undefined)?.message;
  return `${String(msg)}${where ? ` (${where})` : ''}${cause ? `: ${cause}` : ''}`;
}

/** The store as the runner sees it, counting the events its subscription hands over. */
function countingEventStore(store: EventStore, count: () => void): EventStore {
  return {
    append: (streamId: string, events: NewEvent[], options: { expectedRevision: ExpectedRevision }): Promise<AppendResult> =>
      store.append(streamId, events, options),
    readStream: (streamId: string, options?: ReadStreamOptions) => store.readStream(streamId, options),
    readAll: (options: ReadAllOptions) => store.readAll(options),
    async *subscribeAll(options: SubscribeAllOptions): AsyncIterable<RecordedEvent> {
      for await (const event of store.subscribeAll(options)) {
        count();
        yield event;
      }
    },
    headPosition: () => store.headPosition(),
    deleteStream: (streamId: string) => store.deleteStream(streamId),
    close: () => store.close(),
  };
}

function removeDatabaseFiles(file: string): void {
  for (const suffix of ['', '-wal', '-shm', '-journal']) rmSync(`${file}${suffix}`, { force: true });
}

const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;

/** Tables the projections created in `schema`, each virtual table with its shadow tables. */
function tablesOf(db: Database, schema: string): TableInfo[] {
  const listed = (db.prepare(`PRAGMA ${schema}.table_list`).all() as Array<{ schema: string; name: string; type: string }>).filter(
    (t) => t.schema === schema && !t.name.startsWith('sqlite_'),
  );
  const sqlOf = new Map(
    (db.prepare(`SELECT name, sql FROM ${schema}.sqlite_schema WHERE type = 'table'`).all() as Array<{ name: string; sql: string }>).map((row) => [row.name, row.sql]),
  );
  const shadows = listed.filter((t) => t.type === 'shadow').map((t) => t.name);
  return listed
    .filter((t) => t.type === 'table' || t.type === 'virtual')
    .map((t) => {
      const info = db.prepare(`PRAGMA ${schema}.table_info(${quote(t.name)})`).all() as Array<{ name: string; pk: number }>;
      const primaryKey = info.filter((c) => c.pk > 0).sort((a, b) => a.pk - b.pk).map((c) => c.name);
      const virtual = t.type === 'virtual';
      const sql = sqlOf.get(t.name) ?? '';
      return {
        name: t.name,
        sql,
        columns: info.map((c) => c.name),
        key: virtual ? ['rowid'] : primaryKey.length > 0 ? primaryKey : info.map((c) => c.name),
        virtual,
        shadowTables: virtual ? shadows.filter((name) => name.startsWith(`${t.name}_`)) : [],
        fts5: virtual && /\bUSING\s+fts5\s*\(/i.test(sql),
      };
    })
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** Never the log or the process managers' bookkeeping: a rebuild file holding them is not ours. */
const NOT_READ_MODELS = new Set(['events', 'processor_checkpoints']);

/**
 * Inside the swap transaction: each rebuilt table replaces the live one (schema, rows, then
 * indexes and triggers). A virtual table is recreated empty by its own CREATE, then its shadow
 * tables get the rebuilt ones' rows verbatim: a contentless FTS5 index cannot be read back
 * through the table, only copied. Needs the connection in unsafe mode (shadow tables are
 * read-only in SQLite's defensive mode).
 */
function replaceTables(live: Database, tables: TableInfo[]): void {
  const foreign = tables.find((t) => NOT_READ_MODELS.has(t.name));
  if (foreign) throw new RebuildError(`the rebuild file holds a table "${foreign.name}", which is not a read model; refusing to swap`);
  const names = new Set(tables.map((t) => t.name));
  const dependents = (live.prepare(`SELECT tbl_name, sql FROM rebuild.sqlite_schema WHERE type IN ('index', 'trigger') AND sql IS NOT NULL`).all() as Array<{
    tbl_name: string;
    sql: string;
  }>).filter((row) => names.has(row.tbl_name));

  for (const table of tables) live.exec(`DROP TABLE IF EXISTS main.${quote(table.name)}`);
  // Unqualified CREATE statements go to main, the live file.
  for (const table of tables) live.exec(table.sql);
  for (const table of tables) {
    if (table.virtual) {
      for (const shadow of table.shadowTables) {
        live.exec(`DELETE FROM main.${quote(shadow)}`);
        live.exec(`INSERT INTO main.${quote(shadow)} SELECT * FROM rebuild.${quote(shadow)}`);
      }
    } else {
      const columns = table.columns.map(quote).join(', ');
      live.exec(`INSERT INTO main.${quote(table.name)} (${columns}) SELECT ${columns} FROM rebuild.${quote(table.name)}`);
    }
  }
  // After the rows: a bulk load is faster without indexes, and triggers must not fire on a copy.
  for (const { sql } of dependents) live.exec(sql);
}

const MAX_ROWS_PER_SIDE = 10_000;

type Row = Record<string, unknown>;

function compareTable(live: Database, table: TableInfo): ReadModelDifference[] {
  if (table.fts5) return compareFullTextIndex(live, table);
  const liveColumns = (live.prepare(`PRAGMA main.table_info(${quote(table.name)})`).all() as Array<{ name: string }>).map((c) => c.name);
  if (liveColumns.length === 0) return [{ table: table.name, key: null, live: null, rebuilt: null, note: 'the table is missing in the live file' }];
  if (liveColumns.join('\u0000') !== table.columns.join('\u0000')) {
    return [{ table: table.name, key: null, live: null, rebuilt: null, note: `columns differ: live (${liveColumns.join(', ')}) vs rebuilt (${table.columns.join(', ')})` }];
  }
  const columns = (table.virtual ? ['rowid', ...table.columns] : table.columns).map(quote).join(', ');
  const rows = (schema: string) => `SELECT ${columns} FROM ${schema}.${quote(table.name)}`;
  return pairRows(table.name, table.key, exceptBothWays(live, rows('main'), rows('rebuild')));
}

/**
 * FTS5 segments depend on how the writes were batched, so the index is compared by what it
 * holds: every (term, document, column, offset) instance, read through fts5vocab.
 */
function compareFullTextIndex(live: Database, table: TableInfo): ReadModelDifference[] {
  const exists = live.prepare(`SELECT 1 FROM main.sqlite_schema WHERE type = 'table' AND name = ?`).get(table.name) !== undefined;
  if (!exists) return [{ table: table.name, key: null, live: null, rebuilt: null, note: 'the table is missing in the live file' }];
  const vocab = (schema: string) => `parley_vocab_${schema}`;
  for (const schema of ['main', 'rebuild']) {
    live.exec(`CREATE VIRTUAL TABLE temp.${vocab(schema)} USING fts5vocab('${schema}', ${quote(table.name)}, 'instance')`);
  }
  try {
    const rows = (schema: string) => `SELECT doc, col, offset, term FROM temp.${vocab(schema)}`;
    return pairRows(table.name, ['doc', 'col', 'offset'], exceptBothWays(live, rows('main'), rows('rebuild')));
  } finally {
    for (const schema of ['main', 'rebuild']) live.exec(`DROP TABLE temp.${vocab(schema)}`);
  }
}

function exceptBothWays(db: Database, liveRows: string, rebuiltRows: string): { onlyLive: Row[]; onlyRebuilt: Row[] } {
  const except = (a: string, b: string) => db.prepare(`${a} EXCEPT ${b} LIMIT ${MAX_ROWS_PER_SIDE + 1}`).all() as Row[];
  return { onlyLive: except(liveRows, rebuiltRows), onlyRebuilt: except(rebuiltRows, liveRows) };
}

/** Rows found on one side only, paired by key: a changed row shows its differing columns. */
function pairRows(table: string, key: string[], sides: { onlyLive: Row[]; onlyRebuilt: Row[] }): ReadModelDifference[] {
  const truncated = sides.onlyLive.length > MAX_ROWS_PER_SIDE || sides.onlyRebuilt.length > MAX_ROWS_PER_SIDE;
  const onlyLive = sides.onlyLive.slice(0, MAX_ROWS_PER_SIDE);
  const onlyRebuilt = sides.onlyRebuilt.slice(0, MAX_ROWS_PER_SIDE);
  const keyOf = (row: Row) => Object.fromEntries(key.map((column) => [column, row[column]]));
  const rebuiltByKey = new Map(onlyRebuilt.map((row) => [JSON.stringify(keyOf(row)), row]));
  const differences: ReadModelDifference[] = [];
  for (const row of onlyLive) {
    const keyText = JSON.stringify(keyOf(row));
    const other = rebuiltByKey.get(keyText);
    rebuiltByKey.delete(keyText);
    if (!other) {
      differences.push({ table, key: keyOf(row), live: row, rebuilt: null });
      continue;
    }
    const changed = Object.keys(row).filter((column) => !Object.is(row[column], other[column]));
    differences.push({
      table,
      key: keyOf(row),
      live: Object.fromEntries(changed.map((c) => [c, row[c]])),
      rebuilt: Object.fromEntries(changed.map((c) => [c, other[c]])),
    });
  }
  for (const row of rebuiltByKey.values()) differences.push({ table, key: keyOf(row), live: null, rebuilt: row });
  differences.sort((a, b) => JSON.stringify(a.key).localeCompare(JSON.stringify(b.key)));
  if (truncated) differences.push({ table, key: null, live: null, rebuilt: null, note: `more rows differ: the comparison stopped after ${MAX_ROWS_PER_SIDE} rows on one side` });
  return differences;
}
