import { randomBytes } from 'node:crypto';
import type { Database, Statement } from 'better-sqlite3';
import type { SubjectKey, SubjectKeys } from '../../application/ports/subject-keys.port';
import { SubjectKeyCache } from './subject-key-cache';

/**
 * The table of subject keys in the embedded file. No projection writes it and `parley replay`
 * swaps in only the tables its rebuild files hold, so it survives every rebuild; a key deleted
 * here is gone for good (SQLite's secure_delete is on for the statement that deletes it).
 */
export const SUBJECT_KEYS_TABLE = 'subject_keys';

const SCHEMA = `CREATE TABLE IF NOT EXISTS ${SUBJECT_KEYS_TABLE} (
  key_id TEXT PRIMARY KEY,
  subject TEXT NOT NULL,
  key BLOB NOT NULL,
  created_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS ${SUBJECT_KEYS_TABLE}_by_subject ON ${SUBJECT_KEYS_TABLE} (subject)`;

/**
 * Subject keys in the embedded SQLite file, on the connection it is given (the event log's, with
 * synchronous=FULL: a key is durable before any event sealed with it is written). Opened on a
 * read-only connection (the CLI), it only finds keys; a file from before sealing has no table,
 * and then no key exists.
 */
export class SqliteSubjectKeys implements SubjectKeys {
  private readonly cache = new SubjectKeyCache();
  private readonly readonly: boolean;
  private pending: Array<{ subject: string; key: SubjectKey; resolve: () => void; reject: (error: unknown) => void }> = [];
  private readonly written = new Map<string, Promise<void>>();
  /** Prepared once: a rebuild looks up a key for every stream it meets, and preparing costs more than the lookup. */
  private readonly statements = new Map<string, Statement>();

  /**
   * `sharesTheLog`: this connection is the event log's own (the embedded default). New keys are
   * then written together, once per turn of the event loop (in a microtask, so before the log's
   * own batch, which commits on setImmediate), without an fsync of their own: the events sealed
   * with them are committed next on this connection with synchronous=FULL, and that commit's
   * fsync of the write-ahead log makes the keys' earlier frames durable with it.
   */
  constructor(
    private readonly db: Database,
    private readonly options: { sharesTheLog?: boolean; now?: () => Date } = {},
  ) {
    this.readonly = db.readonly;
    if (!this.readonly) db.exec(SCHEMA);
  }

  private statement(sql: string): Statement {
    let prepared = this.statements.get(sql);
    if (!prepared) this.statements.set(sql, (prepared = this.db.prepare(sql)));
    return prepared;
  }

  /** Once seen, the table stays (nothing drops it): a rebuild asks for every stream it meets. */
  private tableSeen = false;

  private hasTable(): boolean {
    this.tableSeen ||= this.statement("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?").get(SUBJECT_KEYS_TABLE) !== undefined;
    return this.tableSeen;
  }

  async keyFor(subject: string): Promise<SubjectKey> {
    const cached = this.cache.currentOf(subject);
    if (cached) return cached;
    if (this.readonly) throw new Error(`subject keys: a read-only log cannot create the key of ${subject}`);
    const existing = this.statement(`SELECT key_id AS id, key FROM ${SUBJECT_KEYS_TABLE} WHERE subject = ? ORDER BY created_at DESC, key_id LIMIT 1`).get(
      subject,
    ) as SubjectKey | undefined;
    const key = existing ?? { id: randomBytes(12).toString('base64url'), key: randomBytes(32) };
    if (!existing) {
      if (!this.options.sharesTheLog) this.insert([{ subject, key }]);
      else await this.insertSoon(subject, key);
      const current = this.cache.currentOf(subject);
      if (current) return current; // another call made one meanwhile
    }
    this.cache.rememberCurrent(subject, key);
    return key;
  }

  private insert(keys: ReadonlyArray<{ subject: string; key: SubjectKey }>): void {
    const insert = this.statement(`INSERT INTO ${SUBJECT_KEYS_TABLE} (key_id, subject, key, created_at) VALUES (?, ?, ?, ?)`);
    const createdAt = (this.options.now?.() ?? new Date()).toISOString();
    this.db.transaction(() => {
      for (const { subject, key } of keys) insert.run(key.id, subject, key.key, createdAt);
    })();
  }

  /** The subject's new key, written with the other new keys of this turn (see the constructor). */
  private insertSoon(subject: string, key: SubjectKey): Promise<void> {
    const waiting = this.written.get(subject);
    if (waiting) return waiting;
    const written = new Promise<void>((resolve, reject) => {
      if (this.pending.length === 0) queueMicrotask(() => this.flush());
      this.pending.push({ subject, key, resolve, reject });
    });
    this.written.set(subject, written);
    return written;
  }

  private flush(): void {
    const batch = this.pending;
    this.pending = [];
    for (const { subject } of batch) this.written.delete(subject);
    const previous = this.db.pragma('synchronous', { simple: true }) as number;
    try {
      this.db.pragma('synchronous = NORMAL');
      this.insert(batch);
      for (const { subject, key } of batch) this.cache.rememberCurrent(subject, key);
      for (const { resolve } of batch) resolve();
    } catch (error) {
      for (const { reject } of batch) reject(error);
    } finally {
      this.db.pragma(`synchronous = ${previous}`);
    }
  }

  async find(subject: string, keyId: string): Promise<Buffer | null> {
    const cached = this.cache.byKeyId(subject, keyId);
    if (cached !== undefined) return cached;
    if (this.readonly && !this.hasTable()) return null;
    const row = this.statement(`SELECT key FROM ${SUBJECT_KEYS_TABLE} WHERE key_id = ? AND subject = ?`).get(keyId, subject) as { key: Buffer } | undefined;
    const key = row?.key ?? null;
    this.cache.rememberById(subject, keyId, key);
    return key;
  }

  async destroy(subjects: readonly string[]): Promise<void> {
    if (this.readonly) throw new Error('subject keys: a read-only log cannot destroy keys');
    const remove = this.db.prepare(`DELETE FROM ${SUBJECT_KEYS_TABLE} WHERE subject = ?`);
    const previous = this.db.pragma('secure_delete', { simple: true }) as number;
    this.db.pragma('secure_delete = ON');
    try {
      this.db.transaction(() => {
        for (const subject of subjects) remove.run(subject);
      })();
    } finally {
      this.db.pragma(`secure_delete = ${previous ? 'ON' : 'OFF'}`);
    }
    this.cache.forget(subjects);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
