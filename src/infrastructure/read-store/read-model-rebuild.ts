import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import type { Database } from 'better-sqlite3';
import { searchProjection } from '../../projections/sqlite/search.projection';
import { threadProjection } from '../../projections/sqlite/thread.projection';
import { sqliteProjections } from '../../projections/sqlite';
import { openReadOnlyEventLog, type ReadOnlyEventLog } from '../event-store/open-event-log';
import { openDatabase } from '../sqlite/open-database';
import { laneWorkersAvailable, LocalLane, LogTee, RebuildError, removeDatabaseFiles, WorkerLane, type LaneSpec, type RebuildLane } from './rebuild-lane';

export { RebuildError } from './rebuild-lane';

/** The temporary files a rebuild projects into, next to the live one (same volume, same disk). */
export const REBUILD_FILE_NAME = 'parley.replay.db';
/** The second lane's file (the search index and the thread read model, rebuilt in a thread of their own). */
export const REBUILD_SEARCH_FILE_NAME = 'parley.replay.search.db';

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
  /**
   * 2: the search index is rebuilt in a worker thread beside the other read models (default when
   * the machine has more than one CPU and the compiled worker exists); 1: everything in this thread.
   */
  threads?: 1 | 2;
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

interface TableInfo {
  /** The attached rebuild file it is in. */
  schema: string;
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
 * The worker thread's projections: the search index and the thread read model. Balanced by a
 * profile of the 50 k bench dataset: with the search index alone the worker idled 27 % of the
 * time while this thread (which also reads and opens the log) never did; the thread read model
 * is the heaviest of the rest (its message inserts, ~13 % of this thread).
 */
const WORKER_LANE = [searchProjection.name, threadProjection.name];

/** Page cache of each attached rebuild file during the swap or the comparison (KiB when negative, as SQLite reads it). */
const ATTACHED_CACHE_SIZE = -2048;
/**
 * Page cache of the connection the rebuild reads the log through: the events are read once, in
 * order, so a large cache (16 MB by default) only holds pages that will not be read again; the
 * subject keys it also reads are a small table.
 */
const LOG_CACHE_SIZE = -4096;

/** Every lane writes its own projections' checkpoints; the live table gets all of them. */
const CHECKPOINTS = 'projection_checkpoints';

/**
 * `parley replay`: every read model rebuilt from position 0 of the log into FRESH tables in
 * separate files, by the same projections and ProjectionRunner the server uses. Until swapIn()
 * commits, the live file is only read, so killing the process at any moment before that leaves
 * the live read models exactly as they were.
 *
 * The work is split in lanes (rebuild-lane.ts), each with its own file: with two CPUs the search
 * index and the thread read model are rebuilt in a worker thread while this thread rebuilds the rest.
 * This thread reads and opens the log once for both (LogTee) and sends the worker its events.
 *
 * swapIn() is ONE transaction on the live file: the rebuild files are ATTACHed, each of their
 * tables (every read-model table, and the projections' checkpoints merged) replaces the live
 * table of that name — schema, rows, indexes — and COMMIT makes all of it visible at once. The
 * event log is in the same file, so the write lock taken by BEGIN IMMEDIATE also holds appends
 * back: inside the transaction the rebuild is checked to have reached the log's head, and caught
 * up first if a running server (--force) appended meanwhile. Process-manager checkpoints are not
 * read models and are left alone (replaying them would send mail again).
 */
export class ReadModelRebuild {
  private readonly startedAt = Date.now();
  /** Set by releaseLanes(): the lanes' threads and connections are gone, their files stay. */
  private lanesReleased = false;

  private constructor(
    private readonly options: RebuildOptions,
    private readonly log: ReadOnlyEventLog,
    private readonly lanes: RebuildLane[],
    readonly total: number,
  ) {}

  /** Projects the whole log into fresh rebuild files; resolves once every lane reached the log's head. */
  static async build(options: RebuildOptions): Promise<ReadModelRebuild> {
    const files = [REBUILD_FILE_NAME, REBUILD_SEARCH_FILE_NAME].map((name) => join(options.dataDir, name));
    for (const file of files) removeDatabaseFiles(file); // left behind by a replay that was killed
    const log = openReadOnlyEventLog(options.dataDir);
    log.db.pragma(`cache_size = ${LOG_CACHE_SIZE}`);
    const lanes: RebuildLane[] = [];
    try {
      const total = log.db.prepare('SELECT COUNT(*) FROM events').pluck().get() as number;
      const threads = options.threads ?? (availableParallelism() > 1 && laneWorkersAvailable() ? 2 : 1);
      const all = sqliteProjections.map((p) => p.name);
      const specs: LaneSpec[] =
        threads === 2
          ? [
              { file: files[0], projections: all.filter((name) => !WORKER_LANE.includes(name)), batchSize: options.batchSize },
              { file: files[1], projections: WORKER_LANE, batchSize: options.batchSize },
            ]
          : [{ file: files[0], projections: all, batchSize: options.batchSize }];
      if (specs[1]) {
        const worker = new WorkerLane(specs[1], options.logTo);
        lanes.push(new LocalLane(specs[0], new LogTee(log.opened, worker).store, options.logTo), worker);
      } else {
        lanes.push(new LocalLane(specs[0], log.opened, options.logTo));
      }
      const rebuild = new ReadModelRebuild(options, log, lanes, total);
      await rebuild.catchUp(await log.store.headPosition());
      return rebuild;
    } catch (error) {
      for (const lane of lanes) await lane.close();
      await log.close();
      for (const file of files) removeDatabaseFiles(file);
      throw error;
    }
  }

  /** Events every lane has been handed. */
  get events(): number {
    return Math.min(...this.lanes.map((lane) => lane.applied));
  }

  get elapsedMs(): number {
    return Date.now() - this.startedAt;
  }

  get threads(): number {
    return this.lanes.length;
  }

  /**
   * Ends the lanes' threads and closes their connections, keeping their files for swapIn() or
   * compare(). For a caller that holds the data folder (no server can append meanwhile, so no
   * catch-up will be needed): the swap then runs without the worker's heap and the lanes' page
   * caches beside it (the replay's peak RSS was reached during the swap).
   */
  async releaseLanes(): Promise<void> {
    if (this.lanesReleased) return;
    this.lanesReleased = true;
    for (const lane of this.lanes) await lane.close();
  }

  /** Replaces the live read models and projection checkpoints with the rebuilt ones, atomically. */
  async swapIn(): Promise<void> {
    const live = openDatabase(this.log.file, { synchronous: 'FULL' });
    // This connection only swaps: it must write FTS5 shadow tables (see replaceTables).
    live.unsafeMode(true);
    try {
      const schemas = this.attachLanes(live);
      const tables = schemas.flatMap((schema) => tablesOf(live, schema));
      for (;;) {
        live.exec('BEGIN IMMEDIATE');
        try {
          const head = live.prepare('SELECT COALESCE(MAX(position), 0) FROM main.events').pluck().get() as number;
          const rebuilt = live
            .prepare(`SELECT COALESCE(MIN(position), 0) FROM (${rebuiltCheckpointsSql(schemas)})`)
            .pluck()
            .get() as number;
          if (rebuilt < head) {
            live.exec('ROLLBACK');
            if (this.lanesReleased) throw new RebuildError('the log grew after the rebuild ended and its lanes were released; run the replay again');
            await this.catchUp(head);
            continue;
          }
          replaceTables(live, tables);
          replaceCheckpoints(live, schemas);
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
      const schemas = this.attachLanes(live);
      // One read transaction: both sides as of one instant.
      return live.transaction(() => [
        ...schemas.flatMap((schema) => tablesOf(live, schema)).flatMap((table) => compareTable(live, table)),
        ...compareCheckpoints(live, schemas),
      ])();
    } finally {
      live.close();
    }
  }

  /** Closes everything and deletes the rebuild files. */
  async close(): Promise<void> {
    await this.releaseLanes();
    await this.log.close();
    for (const lane of this.lanes) removeDatabaseFiles(lane.file);
  }

  /** ATTACHes each lane's file as rebuild0, rebuild1…; returns those schema names. */
  private attachLanes(db: Database): string[] {
    return this.lanes.map((lane, i) => {
      db.prepare(`ATTACH DATABASE ? AS rebuild${i}`).run(lane.file);
      // Each attached file has a page cache of its own (16 MB by default), and its tables are only
      // read through once: a small one is enough, and the swap's peak RSS is lower for it.
      db.pragma(`rebuild${i}.cache_size = ${ATTACHED_CACHE_SIZE}`);
      return `rebuild${i}`;
    });
  }

  /** Runs every lane until it reached `head`; fails fast when a projection cannot apply an event. */
  private async catchUp(head: number): Promise<void> {
    const progress = setInterval(() => this.options.onProgress?.(this.progress()), this.options.progressIntervalMs ?? 1000);
    try {
      await Promise.all(this.lanes.map((lane) => lane.catchUp(head)));
    } finally {
      clearInterval(progress);
    }
  }

  private progress(): RebuildProgress {
    return { applied: this.events, total: Math.max(this.total, this.events), elapsedMs: this.elapsedMs };
  }
}

/** One SELECT (the union in a subquery, so it composes with EXCEPT) of every lane's checkpoints. */
function rebuiltCheckpointsSql(schemas: string[]): string {
  return `SELECT name, version, position FROM (${schemas.map((schema) => `SELECT name, version, position FROM ${schema}.${CHECKPOINTS}`).join(' UNION ALL ')})`;
}

/** The live checkpoints become every lane's, in one table. */
function replaceCheckpoints(live: Database, schemas: string[]): void {
  const sql = live.prepare(`SELECT sql FROM ${schemas[0]}.sqlite_schema WHERE type = 'table' AND name = ?`).pluck().get(CHECKPOINTS) as string | undefined;
  if (sql === undefined) throw new RebuildError(`the rebuild file holds no ${CHECKPOINTS} table; refusing to swap`);
  live.exec(`DROP TABLE IF EXISTS main.${CHECKPOINTS}`);
  live.exec(sql);
  live.exec(`INSERT INTO main.${CHECKPOINTS} (name, version, position) ${rebuiltCheckpointsSql(schemas)}`);
}

function compareCheckpoints(live: Database, schemas: string[]): ReadModelDifference[] {
  const columns = 'name, version, position';
  return pairRows(CHECKPOINTS, ['name'], exceptBothWays(live, `SELECT ${columns} FROM main.${CHECKPOINTS}`, rebuiltCheckpointsSql(schemas)));
}

const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;

/** Tables the projections created in `schema`, each virtual table with its shadow tables (checkpoints apart). */
function tablesOf(db: Database, schema: string): TableInfo[] {
  const listed = (db.prepare(`PRAGMA ${schema}.table_list`).all() as Array<{ schema: string; name: string; type: string }>).filter(
    (t) => t.schema === schema && !t.name.startsWith('sqlite_') && t.name !== CHECKPOINTS,
  );
  const sqlOf = new Map(
    (db.prepare(`SELECT name, sql FROM ${schema}.sqlite_schema WHERE type = 'table'`).all() as Array<{ name: string; sql: string }>).map((row) => [
      row.name,
      row.sql,
    ]),
  );
  const shadows = listed.filter((t) => t.type === 'shadow').map((t) => t.name);
  return listed
    .filter((t) => t.type === 'table' || t.type === 'virtual')
    .map((t) => {
      const info = db.prepare(`PRAGMA ${schema}.table_info(${quote(t.name)})`).all() as Array<{ name: string; pk: number }>;
      const primaryKey = info
        .filter((c) => c.pk > 0)
        .sort((a, b) => a.pk - b.pk)
        .map((c) => c.name);
      const virtual = t.type === 'virtual';
      const sql = sqlOf.get(t.name) ?? '';
      return {
        schema,
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
  const dependents = [...new Set(tables.map((t) => t.schema))].flatMap((schema) => {
    const names = new Set(tables.filter((t) => t.schema === schema).map((t) => t.name));
    return (
      live.prepare(`SELECT tbl_name, sql FROM ${schema}.sqlite_schema WHERE type IN ('index', 'trigger') AND sql IS NOT NULL`).all() as Array<{
        tbl_name: string;
        sql: string;
      }>
    ).filter((row) => names.has(row.tbl_name));
  });

  for (const table of tables) live.exec(`DROP TABLE IF EXISTS main.${quote(table.name)}`);
  // Unqualified CREATE statements go to main, the live file.
  for (const table of tables) live.exec(table.sql);
  for (const table of tables) {
    if (table.virtual) {
      for (const shadow of table.shadowTables) {
        live.exec(`DELETE FROM main.${quote(shadow)}`);
        live.exec(`INSERT INTO main.${quote(shadow)} SELECT * FROM ${table.schema}.${quote(shadow)}`);
      }
    } else {
      const columns = table.columns.map(quote).join(', ');
      live.exec(`INSERT INTO main.${quote(table.name)} (${columns}) SELECT ${columns} FROM ${table.schema}.${quote(table.name)}`);
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
    return [
      {
        table: table.name,
        key: null,
        live: null,
        rebuilt: null,
        note: `columns differ: live (${liveColumns.join(', ')}) vs rebuilt (${table.columns.join(', ')})`,
      },
    ];
  }
  const columns = (table.virtual ? ['rowid', ...table.columns] : table.columns).map(quote).join(', ');
  const rows = (schema: string) => `SELECT ${columns} FROM ${schema}.${quote(table.name)}`;
  return pairRows(table.name, table.key, exceptBothWays(live, rows('main'), rows(table.schema)));
}

/**
 * FTS5 segments depend on how the writes were batched, so the index is compared by what it
 * holds: every (term, document, column, offset) instance, read through fts5vocab.
 */
function compareFullTextIndex(live: Database, table: TableInfo): ReadModelDifference[] {
  const exists = live.prepare(`SELECT 1 FROM main.sqlite_schema WHERE type = 'table' AND name = ?`).get(table.name) !== undefined;
  if (!exists) return [{ table: table.name, key: null, live: null, rebuilt: null, note: 'the table is missing in the live file' }];
  const vocab = (schema: string) => `parley_vocab_${schema}`;
  const schemas = ['main', table.schema];
  for (const schema of schemas) {
    live.exec(`CREATE VIRTUAL TABLE temp.${vocab(schema)} USING fts5vocab('${schema}', ${quote(table.name)}, 'instance')`);
  }
  try {
    const rows = (schema: string) => `SELECT doc, col, offset, term FROM temp.${vocab(schema)}`;
    return pairRows(table.name, ['doc', 'col', 'offset'], exceptBothWays(live, rows('main'), rows(table.schema)));
  } finally {
    for (const schema of schemas) live.exec(`DROP TABLE temp.${vocab(schema)}`);
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
  if (truncated)
    differences.push({
      table,
      key: null,
      live: null,
      rebuilt: null,
      note: `more rows differ: the comparison stopped after ${MAX_ROWS_PER_SIDE} rows on one side`,
    });
  return differences;
}
