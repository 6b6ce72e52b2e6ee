import type { Database, Statement } from 'better-sqlite3';
import type { PluginStorage } from '../../plugins/channel-plugin';
import { openDatabase } from '../sqlite/open-database';
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

/** Creates the table when missing (idempotent); the read store's file keeps it from then on. */
export function createPluginDocumentsTable(db: Database): void {
  db.exec(SCHEMA);
}

/**
 * Plugin documents in the embedded SQLite file, on a connection of their own with
 * synchronous=FULL: a write that resolved survives a power cut, like an event (the read models'
 * NORMAL would not do: nothing can rebuild these).
 */
export class SqlitePluginDocuments implements PluginDocumentStore {
  private readonly statements: Statements;

  private constructor(
    private readonly db: Database,
    private readonly ownsConnection: boolean,
    private readonly now: () => Date,
  ) {
    createPluginDocumentsTable(db);
    this.statements = Object.fromEntries(Object.entries(PLUGIN_DOCUMENTS_SQL).map(([name, sql]) => [name, db.prepare(sql)])) as Statements;
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
    return Object.freeze({
      get: async <T>(key: string): Promise<T | null> => {
        const text = s.get.pluck().get(pluginId, checkKey(key)) as string | undefined;
        return text === undefined ? null : (JSON.parse(text) as T);
      },
      set: async (key: string, value: unknown): Promise<void> => {
        s.set.run(pluginId, checkKey(key), serializeValue(key, value), stamp());
      },
      // One statement: the primary key decides which of two racing claims (two instances, one file) wins.
      setIfAbsent: async (key: string, value: unknown): Promise<boolean> =>
        s.setIfAbsent.run(pluginId, checkKey(key), serializeValue(key, value), stamp()).changes === 1,
      delete: async (key: string): Promise<void> => {
        s.delete.run(pluginId, checkKey(key));
      },
      list: async <T>(prefix: string, options?: { after?: string; limit?: number }): Promise<{ key: string; value: T }[]> => {
        const { after, limit } = checkListQuery(prefix, options);
        const end = prefixEnd(prefix);
        // Start after `after` when it lies within or beyond the prefix's range; else at the prefix itself.
        const fromAfter = after !== undefined && compareKeys(after, prefix) >= 0;
        const start = fromAfter ? after : prefix;
        const statement = fromAfter ? (end === null ? s.listAfter : s.listAfterTo) : end === null ? s.listFrom : s.listFromTo;
        const rows = (end === null ? statement.all(pluginId, start, limit) : statement.all(pluginId, start, end, limit)) as { key: string; value: string }[];
        return rows.map((row) => ({ key: row.key, value: JSON.parse(row.value) as T }));
      },
    });
  }

  async close(): Promise<void> {
    if (this.ownsConnection && this.db.open) this.db.close();
  }
}
