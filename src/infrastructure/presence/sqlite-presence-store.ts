import type { Database, Statement } from 'better-sqlite3';
import type { PresenceBeat, PresenceStore } from '../../application/presence/presence-store.port';
import { openDatabase } from '../sqlite/open-database';

/**
 * The presence heartbeats in the embedded file. Not a projection's table (`parley replay` swaps in
 * only the tables its rebuild holds): it survives a rebuild, and needs no version.
 */
export const PRESENCE_TABLE = 'presence_heartbeats';

const SCHEMA = `CREATE TABLE IF NOT EXISTS ${PRESENCE_TABLE} (
  instance_id TEXT NOT NULL,
  agent_id TEXT NOT NULL,
  open_streams INTEGER NOT NULL,
  seen_at TEXT NOT NULL,
  PRIMARY KEY (instance_id, agent_id)
) WITHOUT ROWID`;

const SQL = {
  upsert: `INSERT INTO ${PRESENCE_TABLE} (instance_id, agent_id, open_streams, seen_at) VALUES (?, ?, ?, ?)
    ON CONFLICT (instance_id, agent_id) DO UPDATE SET open_streams = excluded.open_streams, seen_at = excluded.seen_at`,
  lastSeen: `SELECT agent_id, MAX(seen_at) AS seen_at FROM ${PRESENCE_TABLE} GROUP BY agent_id`,
  lastSeenOf: `SELECT MAX(seen_at) AS seen_at FROM ${PRESENCE_TABLE} WHERE agent_id = ?`,
  prune: `DELETE FROM ${PRESENCE_TABLE} WHERE seen_at < ?`,
} as const;

/**
 * Heartbeats on a connection of their own (synchronous NORMAL: a beat lost with a power cut is
 * written again within seconds). Every instance on the data folder shares the table.
 */
export class SqlitePresenceStore implements PresenceStore {
  private readonly statements: { [name in keyof typeof SQL]: Statement };
  private readonly recordAll: (instanceId: string, beats: readonly PresenceBeat[], at: string) => void;

  private constructor(
    private readonly db: Database,
    private readonly ownsConnection: boolean,
  ) {
    db.exec(SCHEMA);
    this.statements = Object.fromEntries(Object.entries(SQL).map(([name, sql]) => [name, db.prepare(sql)])) as SqlitePresenceStore['statements'];
    this.recordAll = db.transaction((instanceId: string, beats: readonly PresenceBeat[], at: string) => {
      for (const beat of beats) this.statements.upsert.run(instanceId, beat.agentId, beat.openStreams, at);
    });
  }

  /** Opens its own connection to the file (closed by `close`). */
  static open(file: string): SqlitePresenceStore {
    return new SqlitePresenceStore(openDatabase(file, { synchronous: 'NORMAL' }), true);
  }

  /** Over a connection the caller owns (tests). */
  static over(db: Database): SqlitePresenceStore {
    return new SqlitePresenceStore(db, false);
  }

  async record(instanceId: string, beats: readonly PresenceBeat[], at: Date): Promise<void> {
    if (beats.length > 0) this.recordAll(instanceId, beats, at.toISOString());
  }

  async lastSeen(agentIds?: readonly string[]): Promise<Map<string, Date>> {
    const seen = new Map<string, Date>();
    if (agentIds) {
      for (const agentId of agentIds) {
        const at = this.statements.lastSeenOf.pluck().get(agentId) as string | null | undefined;
        if (at) seen.set(agentId, new Date(at));
      }
      return seen;
    }
    for (const row of this.statements.lastSeen.all() as Array<{ agent_id: string; seen_at: string }>) seen.set(row.agent_id, new Date(row.seen_at));
    return seen;
  }

  async prune(before: Date): Promise<number> {
    return this.statements.prune.run(before.toISOString()).changes;
  }

  async close(): Promise<void> {
    if (this.ownsConnection && this.db.open) this.db.close();
  }
}
