import type { Database, Statement } from 'better-sqlite3';

const cache = new WeakMap<Database, Map<string, Statement>>();

/**
 * Prepared once per connection and SQL text: projections are plain objects applied to whatever
 * connection the runner hands them, and preparing on every event would dominate the cost.
 * SQLite re-prepares a cached statement by itself after a reset recreates the tables.
 */
export function statement(db: Database, sql: string): Statement {
  let byText = cache.get(db);
  if (!byText) {
    byText = new Map();
    cache.set(db, byText);
  }
  let prepared = byText.get(sql);
  if (!prepared) {
    prepared = db.prepare(sql);
    byText.set(sql, prepared);
  }
  return prepared;
}

/** `conversation-<id>` -> `<id>`; the same for the other `<kind>-<id>` streams. */
export function idFromStream(streamId: string, prefix: string): string {
  return streamId.startsWith(prefix) ? streamId.slice(prefix.length) : streamId;
}
