// Parley's compiled modules (dist/, CommonJS) and the root's own packages (better-sqlite3, pino),
// so the bench measures exactly the code and driver the server runs.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const BENCH_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const REPO_ROOT = join(BENCH_ROOT, '..');
/** BENCH_DIST=<dir> measures another build (before/after comparisons); default dist/. */
export const DIST = process.env.BENCH_DIST ?? join(REPO_ROOT, 'dist');

/** require() resolving from the repository root: its node_modules, its dist/. */
export const rootRequire = createRequire(join(REPO_ROOT, 'package.json'));

export const dist = (path) => rootRequire(join(DIST, path));

export function parley() {
  const { SqliteEventStore } = dist('infrastructure/event-store/sqlite-event-store.js');
  const { openDatabase, databaseFile } = dist('infrastructure/sqlite/open-database.js');
  const { createSqliteReadSide } = dist('infrastructure/read-store/sqlite-read-side.js');
  const { sqliteProjections } = dist('projections/sqlite/index.js');
  const { ReadModelRebuild } = dist('infrastructure/read-store/read-model-rebuild.js');
  const { conversationDecider } = dist('domain/conversation/conversation.decider.js');
  const { deriveIds, streams } = dist('application/streams.js');
  return {
    SqliteEventStore,
    openDatabase,
    databaseFile,
    createSqliteReadSide,
    sqliteProjections,
    ReadModelRebuild,
    conversationDecider,
    deriveIds,
    streams,
  };
}

export const Database = () => rootRequire('better-sqlite3');

export function silentLogger() {
  return rootRequire('pino')({ level: 'warn' }, process.stderr);
}
