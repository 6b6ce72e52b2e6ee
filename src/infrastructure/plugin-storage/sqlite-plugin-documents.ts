import type { Database, Statement } from 'better-sqlite3';
import { StoreUnavailableError } from '../../application/ports/event-store.port';
import type { PluginStorage } from '../../plugins/channel-plugin';
import { openDatabase } from '../sqlite/open-database';
import { retryableSqliteError } from '../sqlite/unavailable';
import type { PluginDocumentStore } from './plugin-documents';
import { checkKey, checkListQuery, compareKeys, prefixEnd, serializeValue } from '../../plugins/plugin-storage-rules';

/**
 * The table of plugin documents in the embedded file. Its name is deliberately not one a
 * projection uses: `parley replay` swaps in only the tables its rebuild files hold, so this one
 * (state no event records) survives every rebuild. WITHOUT ROWID: the (plugin, key) primary key
 * is the table, and `list` reads it in order.
 */
export const PLUGIN_DOCUMENTS_TABLE = 'plugin_documents';

const SCHEMA = `CREATE TABLE IF NOT EXISTS ${PLUGIN_DOCUMENTS_TABLE} (
  plugin TEXT NOT NULL,
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (plugin, key)
) WITHOUT ROWID`;

const SELECT = `SELECT key, value FROM ${PLUGIN_DOCUMENTS_TABLE} WHERE plugin = ?`;

/** Every statement, by name (one per shape of `list`: a start after a key or at the prefix, with or without an end). */
export const PLUGIN_DOCUMENTS_SQL = {
  get: `SELECT value FROM ${PLUGIN_DOCUMENTS_TABLE} WHERE plugin = ? AND key = ?`,
  set: `INSERT INTO ${PLUGIN_DOCUMENTS_TABLE} (plugin, key, value, updated_at) VALUES (?, ?, ?, ?)
    ON CONFLICT (plugin, key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
  setIfAbsent: `INSERT INTO ${PLUGIN_DOCUMENTS_TABLE} (plugin, key, value, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT (plugin, key) DO NOTHING`,
  delete: `DELETE FROM ${PLUGIN_DOCUMENTS_TABLE} WHERE plugin = ? AND key = ?`,
  listFrom: `${SELECT} AND key >= ? ORDER BY key LIMIT ?`,
  listFromTo: `${SELECT} AND key >= ? AND key < ? ORDER BY key LIMIT ?`,
  listAfter: `${SELECT} AND key > ? ORDER BY key LIMIT ?`,
  listAfterTo: `${SELECT} AND key > ? AND key < ? ORDER BY key LIMIT ?`,
} as const;

type Statements = { [name in keyof typeof PLUGIN_DOCUMENTS_SQL]: Statement };

/** Most writes committed in one transaction: bounds how long one group commit holds the main thread. */
const MAX_BATCH_SIZE = 500;

/** Counters that show group commit at work (tests, diagnostics). */
export interface PluginDocumentsCommitStats {
  /** Transactions committed (BEGIN IMMEDIATE ... COMMIT). */
  transactions: number;
  /** Writes (set, setIfAbsent, delete) carried by those transactions, including ones that failed alone. */
  writes: number;
  largestBatch: number;
}

/** One queued write. Its `run` is a single statement: when it throws, SQLite has undone it. */
interface PendingWrite {
  run(): unknown;
  resolve(value: unknown): void;
  reject(error: unknown): void;
  /** The overlay entry (pendingKey) this write last shaped, and its sequence number. */
  key: string;
  seq: number;
}

/**
 * What a key will hold once its queued writes commit, for reads made before they do: a value, no
 * document, or (a claim by setIfAbsent on a key with nothing queued) the stored value if there is
 * one, else the claim's.
 */
type PendingState = { kind: 'set'; text: string } | { kind: 'deleted' } | { kind: 'claimed'; text: string };

function pendingKey(pluginId: string, key: string): string {
  // Keys hold no NUL (checkKey), so the pair cannot be confused with another.
  return `${pluginId}\u0000${key}`;
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

/** Creates the table when missing (idempotent); the read store's file keeps it from then on. */
export function createPluginDocumentsTable(db: Database): void {
  db.exec(SCHEMA);
}

/**
 * Plugin documents in the embedded SQLite file, on a connection of their own with
 * synchronous=FULL: a write that resolved survives a power cut, like an event (the read models'
 * NORMAL would not do: nothing can rebuild these).
 *
 * Group commit, as in SqliteEventStore: a commit with synchronous=FULL costs an fsync on the main
 * thread, and the chat plugin writes a document per visitor message. Writes (set, setIfAbsent,
 * delete) are checked at once, queued, and on the next setImmediate up to MAX_BATCH_SIZE of them
 * run in call order in ONE `BEGIN IMMEDIATE ... COMMIT`. Each is one statement, so one that fails
 * undoes itself and the others commit. Every caller's promise settles after COMMIT returned: a
 * resolved write is durable and every later read (on any connection) sees it.
 *
 * Reads through this store see the writes queued before them (read-through): a plugin that does
 * not await a write and reads the key again in the same turn gets what it wrote, as it did when
 * every write committed on its own. `get` and `list` overlay the queued writes (one entry per key,
 * the state its last queued write leaves) on what the table holds; an entry is dropped once the
 * write that last shaped it has run. Should a queued write fail (a refused statement, a full disk),
 * a read made before it ran saw a value that was never stored; its caller gets the error.
 */
export class SqlitePluginDocuments implements PluginDocumentStore {
  private readonly statements: Statements;
  private readonly begin: Statement;
  private readonly commit: Statement;
  private readonly rollback: Statement;
  private queue: PendingWrite[] = [];
  /** Per pendingKey, what the key holds once its queued writes commit (see the class comment). */
  private readonly pending = new Map<string, { state: PendingState; seq: number }>();
  private seq = 0;
  private flushHandle: NodeJS.Immediate | null = null;
  private closed = false;
  private readonly counters: PluginDocumentsCommitStats = { transactions: 0, writes: 0, largestBatch: 0 };

  private constructor(
    private readonly db: Database,
    private readonly ownsConnection: boolean,
    private readonly now: () => Date,
  ) {
    createPluginDocumentsTable(db);
    this.statements = Object.fromEntries(Object.entries(PLUGIN_DOCUMENTS_SQL).map(([name, sql]) => [name, db.prepare(sql)])) as Statements;
    this.begin = db.prepare('BEGIN IMMEDIATE');
    this.commit = db.prepare('COMMIT');
    this.rollback = db.prepare('ROLLBACK');
  }

  /** A snapshot of the group-commit counters. */
  stats(): PluginDocumentsCommitStats {
    return { ...this.counters };
  }

  /** Opens its own connection to the file (closed by `close`). */
  static open(file: string, options: { now?: () => Date } = {}): SqlitePluginDocuments {
    return new SqlitePluginDocuments(openDatabase(file, { synchronous: 'FULL' }), true, options.now ?? (() => new Date()));
  }

  /** Over a connection the caller owns (tests). */
  static over(db: Database, options: { now?: () => Date } = {}): SqlitePluginDocuments {
    return new SqlitePluginDocuments(db, false, options.now ?? (() => new Date()));
  }

  forPlugin(pluginId: string): PluginStorage {
    const s = this.statements;
    const stamp = () => this.now().toISOString();
    const stored = (key: string) => s.get.pluck().get(pluginId, key) as string | undefined;
    return Object.freeze({
      get: async <T>(key: string): Promise<T | null> => {
        const checked = checkKey(key);
        const queued = this.pending.get(pendingKey(pluginId, checked))?.state;
        const text =
          queued === undefined
            ? stored(checked)
            : queued.kind === 'set'
              ? queued.text
              : queued.kind === 'deleted'
                ? undefined
                : (stored(checked) ?? queued.text);
        return text === undefined ? null : (JSON.parse(text) as T);
      },
      // Arguments are checked and serialised before the write joins a batch: a refused one never
      // reaches the transaction, and the value stored is the one of the moment of the call.
      set: async (key: string, value: unknown): Promise<void> => {
        const args = [pluginId, checkKey(key), serializeValue(key, value), stamp()] as const;
        await this.enqueue(
          pluginId,
          args[1],
          () => ({ kind: 'set', text: args[2] }),
          () => s.set.run(...args),
        );
      },
      // One statement: the primary key decides which of two racing claims (two instances, one file) wins.
      setIfAbsent: async (key: string, value: unknown): Promise<boolean> => {
        const args = [pluginId, checkKey(key), serializeValue(key, value), stamp()] as const;
        const claim = (before: PendingState | undefined): PendingState =>
          // After a queued set or claim the key is taken; after a queued delete this claim will store its value.
          before === undefined ? { kind: 'claimed', text: args[2] } : before.kind === 'deleted' ? { kind: 'set', text: args[2] } : before;
        return this.enqueue(pluginId, args[1], claim, () => s.setIfAbsent.run(...args).changes === 1);
      },
      delete: async (key: string): Promise<void> => {
        const checked = checkKey(key);
        await this.enqueue(
          pluginId,
          checked,
          () => ({ kind: 'deleted' }),
          () => s.delete.run(pluginId, checked),
        );
      },
      list: async <T>(prefix: string, options?: { after?: string; limit?: number }): Promise<{ key: string; value: T }[]> => {
        const { after, limit } = checkListQuery(prefix, options);
        const end = prefixEnd(prefix);
        // Start after `after` when it lies within or beyond the prefix's range; else at the prefix itself.
        const fromAfter = after !== undefined && compareKeys(after, prefix) >= 0;
        const start = fromAfter ? after : prefix;
        const inRange = (key: string) =>
          (fromAfter ? compareKeys(key, start) > 0 : compareKeys(key, start) >= 0) && (end === null || compareKeys(key, end) < 0);
        const queued = this.queuedIn(pluginId, inRange);
        // Each queued delete can take at most one row out of the page: read that many more.
        const want = limit + queued.length;
        const statement = fromAfter ? (end === null ? s.listAfter : s.listAfterTo) : end === null ? s.listFrom : s.listFromTo;
        const rows = (end === null ? statement.all(pluginId, start, want) : statement.all(pluginId, start, end, want)) as { key: string; value: string }[];
        if (queued.length === 0) return rows.map((row) => ({ key: row.key, value: JSON.parse(row.value) as T }));
        const page = new Map(rows.map((row) => [row.key, row.value]));
        for (const [key, state] of queued) {
          if (state.kind === 'deleted') page.delete(key);
          else if (state.kind === 'set') page.set(key, state.text);
          else page.set(key, page.get(key) ?? stored(key) ?? state.text);
        }
        return [...page]
          .sort(([a], [b]) => compareKeys(a, b))
          .slice(0, limit)
          .map(([key, text]) => ({ key, value: JSON.parse(text) as T }));
      },
    });
  }

  /** The queued states of one plugin's keys that `inRange` accepts. */
  private queuedIn(pluginId: string, inRange: (key: string) => boolean): Array<[string, PendingState]> {
    if (this.pending.size === 0) return [];
    const head = pendingKey(pluginId, '');
    const found: Array<[string, PendingState]> = [];
    for (const [composite, { state }] of this.pending) {
      if (!composite.startsWith(head)) continue;
      const key = composite.slice(head.length);
      if (inRange(key)) found.push([key, state]);
    }
    return found;
  }

  /**
   * Writes already accepted are committed before the connection closes, not dropped: their
   * callers wait for a durable answer. Later writes fail with StoreUnavailableError.
   */
  async close(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      if (this.flushHandle) clearImmediate(this.flushHandle);
      this.flushHandle = null;
      while (this.queue.length > 0) this.writeBatch(this.queue.splice(0, MAX_BATCH_SIZE));
    }
    if (this.ownsConnection && this.db.open) this.db.close();
  }

  private enqueue<T>(pluginId: string, key: string, next: (before: PendingState | undefined) => PendingState, run: () => T): Promise<T> {
    if (this.closed) return Promise.reject(closedError());
    const composite = pendingKey(pluginId, key);
    const seq = ++this.seq;
    this.pending.set(composite, { state: next(this.pending.get(composite)?.state), seq });
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ run, resolve: resolve as (value: unknown) => void, reject, key: composite, seq });
      // setImmediate, not a microtask: it runs after this loop turn's I/O callbacks, so writes
      // from requests that arrived together share one commit.
      this.flushHandle ??= setImmediate(() => this.flushTick());
    });
  }

  private flushTick(): void {
    this.flushHandle = null;
    this.writeBatch(this.queue.splice(0, MAX_BATCH_SIZE));
    if (this.queue.length > 0) this.flushHandle = setImmediate(() => this.flushTick());
  }

  private writeBatch(batch: PendingWrite[]): void {
    if (batch.length === 0) return;
    let outcomes: Outcome[];
    try {
      outcomes = this.runTransaction(batch);
    } catch (error) {
      this.settleOverlay(batch);
      const failure = mapSqliteError(error);
      for (const write of batch) write.reject(failure);
      return;
    }
    this.settleOverlay(batch);
    this.counters.transactions += 1;
    this.counters.writes += batch.length;
    this.counters.largestBatch = Math.max(this.counters.largestBatch, batch.length);
    outcomes.forEach((outcome, i) => (outcome.ok ? batch[i].resolve(outcome.value) : batch[i].reject(outcome.error)));
  }

  /** Drops the overlay entries whose last write ran in `batch`: from now on the table answers for them. */
  private settleOverlay(batch: PendingWrite[]): void {
    for (const write of batch) {
      if (this.pending.get(write.key)?.seq === write.seq) this.pending.delete(write.key);
    }
  }

  /** One outcome per write; throws when the transaction as a whole failed (nothing committed). */
  private runTransaction(batch: PendingWrite[]): Outcome[] {
    // Outside the try: when BEGIN fails there is no transaction of ours to roll back.
    this.begin.run();
    try {
      const outcomes = batch.map((write) => this.runWrite(write));
      this.commit.run();
      return outcomes;
    } catch (error) {
      if (this.db.inTransaction) {
        try {
          this.rollback.run();
        } catch {
          // The original error says more than a failed rollback; SQLite rolls back on close anyway.
        }
      }
      throw error;
    }
  }

  private runWrite(write: PendingWrite): Outcome {
    try {
      return { ok: true, value: write.run() };
    } catch (error) {
      // Disk full, I/O errors and the like make SQLite abort the whole transaction: then every
      // write of the batch fails together (runTransaction rethrows).
      if (!this.db.inTransaction) throw error;
      return { ok: false, error: mapSqliteError(error) };
    }
  }
}

function closedError(): StoreUnavailableError {
  return new StoreUnavailableError('plugin storage is closed (the application is shutting down); retry against a running instance');
}

/** A locked or unopenable file is a condition to retry (503), as for the event store; anything else propagates as-is. */
function mapSqliteError(error: unknown): unknown {
  return retryableSqliteError(error, 'plugin storage') ?? error;
}
