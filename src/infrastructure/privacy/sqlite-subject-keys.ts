import { randomBytes } from 'node:crypto';
import type { Database, Statement } from 'better-sqlite3';
import type { SubjectKey, SubjectKeys } from '../../application/ports/subject-keys.port';
import type { CarriedRows } from '../event-store/event-log-writer';
import type { RowsToCarry } from '../event-store/sqlite-event-store';
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

/** The event log's side of `log` (SqliteEventStore): it writes the new keys with its batches. */
export interface KeyCarryingLog {
  carry(source: RowsToCarry): () => void;
  settled(): Promise<void>;
}

const INSERT_KEY = `INSERT OR IGNORE INTO ${SUBJECT_KEYS_TABLE} (key_id, subject, key, created_at) VALUES (?, ?, ?, ?)`;

/** A key made here and not yet committed; `taken` while a batch of the log carries it. */
interface UnwrittenKey {
  key: SubjectKey;
  createdAt: string;
  taken: boolean;
}

/**
 * Subject keys in the embedded SQLite file, on the connection it is given. Opened on a read-only
 * connection (the CLI), it only finds keys; a file from before sealing has no table, and then no
 * key exists.
 *
 * With `log` (the embedded default, `db` being the log's own connection) a new key is not written
 * by keyFor: the log's next batch carries it (RowsToCarry), in the transaction that holds the first
 * events sealed with it or an earlier one, so a key is durable exactly when they are and no event
 * is ever committed without its key; until then it exists only in this process. Without `log`
 * keyFor writes the key itself, durably (synchronous=FULL), before it answers.
 */
export class SqliteSubjectKeys implements SubjectKeys, RowsToCarry {
  private readonly cache = new SubjectKeyCache();
  private readonly readonly: boolean;
  /** By subject: keys handed out and not yet committed by the log. Kept out of the bounded cache on purpose: they must not be forgotten. */
  private readonly unwritten = new Map<string, UnwrittenKey>();
  private readonly stopCarrying: (() => void) | null;
  /** Prepared once: a rebuild looks up a key for every stream it meets, and preparing costs more than the lookup. */
  private readonly statements = new Map<string, Statement>();

  constructor(
    private readonly db: Database,
    private readonly options: { log?: KeyCarryingLog; now?: () => Date } = {},
  ) {
    this.readonly = db.readonly;
    if (!this.readonly) db.exec(SCHEMA);
    this.stopCarrying = options.log && !this.readonly ? options.log.carry(this) : null;
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
    const cached = this.cache.currentOf(subject) ?? this.unwritten.get(subject)?.key;
    if (cached) return cached;
    if (this.readonly) throw new Error(`subject keys: a read-only log cannot create the key of ${subject}`);
    const existing = this.statement(`SELECT key_id AS id, key FROM ${SUBJECT_KEYS_TABLE} WHERE subject = ? ORDER BY created_at DESC, key_id LIMIT 1`).get(
      subject,
    ) as SubjectKey | undefined;
    const key = existing ?? { id: randomBytes(12).toString('base64url'), key: randomBytes(32) };
    const createdAt = (this.options.now?.() ?? new Date()).toISOString();
    if (!existing && this.stopCarrying) this.unwritten.set(subject, { key, createdAt, taken: false });
    else if (!existing) this.statement(INSERT_KEY).run(key.id, subject, key.key, createdAt);
    this.cache.rememberCurrent(subject, key);
    return key;
  }

  /** RowsToCarry: the keys no batch holds yet. */
  take(): CarriedRows | null {
    let rows: unknown[][] | null = null;
    for (const [subject, entry] of this.unwritten) {
      if (entry.taken) continue;
      entry.taken = true;
      (rows ??= []).push([entry.key.id, subject, entry.key.key, entry.createdAt]);
    }
    return rows && { sql: INSERT_KEY, rows };
  }

  committed(carried: CarriedRows): void {
    for (const [keyId, subject] of carried.rows as string[][]) {
      if (this.unwritten.get(subject)?.key.id === keyId) this.unwritten.delete(subject);
    }
  }

  giveBack(carried: CarriedRows): void {
    for (const [keyId, subject] of carried.rows as string[][]) {
      const entry = this.unwritten.get(subject);
      if (entry?.key.id === keyId) entry.taken = false;
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
    // No batch may carry these keys after the DELETE below: drop the ones not yet taken, and let
    // a batch in flight (which may hold some) commit first, so the DELETE removes them too.
    for (const subject of subjects) this.unwritten.delete(subject);
    this.cache.forget(subjects);
    if (this.options.log) await this.options.log.settled();
    const remove = this.db.prepare(`DELETE FROM ${SUBJECT_KEYS_TABLE} WHERE subject = ?`);
    const previous = this.db.pragma('secure_delete', { simple: true }) as number;
    this.db.pragma('secure_delete = ON');
    try {
      // IMMEDIATE: the log's writer thread writes on another connection; wait for its lock up front.
      this.db
        .transaction(() => {
          for (const subject of subjects) remove.run(subject);
        })
        .immediate();
    } finally {
      this.db.pragma(`secure_delete = ${previous ? 'ON' : 'OFF'}`);
    }
    this.cache.forget(subjects);
  }

  /** The keys not yet written stay with the log, which writes them with its next batch or at its close. */
  close(): Promise<void> {
    return Promise.resolve();
  }
}
