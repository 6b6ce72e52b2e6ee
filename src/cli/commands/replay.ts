import { existsSync } from 'node:fs';
import { NoEventLogError } from '../../infrastructure/event-store/open-event-log';
import { databaseFile } from '../../infrastructure/sqlite/open-database';
import { claimDataDir, dataDirHolder } from '../../infrastructure/storage/data-dir-lock';
import { ReadModelRebuild, type ReadModelDifference } from '../../infrastructure/read-store/read-model-rebuild';
import { EXIT, UsageError, type CliContext } from '../cli-context';
import { progressReporter, rate } from '../progress';

/** Differences printed per table; the rest are counted. */
const SHOWN_PER_TABLE = 20;

/**
 * `parley replay [--check] [--force]`: rebuilds every read model from the log into a temporary
 * file (read-model-rebuild.ts), then swaps it in atomically — or, with --check, only compares it
 * with the live read models. Refuses while a server uses the data folder, unless --force.
 */
export async function replay(ctx: CliContext, options: { check: boolean; force: boolean }): Promise<number> {
  const batchSize = batchSizeFrom(ctx.env);
  const threads = threadsFrom(ctx.env);
  const holder = dataDirHolder(ctx.dataDir);
  if (holder !== null && !options.force) {
    ctx.stderr.write(
      `a Parley process (pid ${holder}) is using ${ctx.dataDir}: stop it first, or pass --force to ` +
        `${options.check ? 'compare' : 'swap'} anyway (its projections must then keep up with the rebuilt read models)\n`,
    );
    return EXIT.usage;
  }
  const file = databaseFile(ctx.dataDir);
  if (!existsSync(file)) throw new NoEventLogError(file);
  const release = holder === null ? claimDataDir(ctx.dataDir) : () => {};
  const progress = progressReporter(ctx.stdout, options.check ? 'replay --check' : 'replay');
  try {
    const rebuild = await ReadModelRebuild.build({
      dataDir: ctx.dataDir,
      logTo: ctx.stderr,
      batchSize,
      threads,
      onProgress: (p) => progress.update(p),
      progressIntervalMs: progress.intervalMs,
    });
    progress.finish({ applied: rebuild.events, total: rebuild.events, elapsedMs: rebuild.elapsedMs });
    try {
      const seconds = (rebuild.elapsedMs / 1000).toFixed(1);
      const across = rebuild.threads > 1 ? `, ${rebuild.threads} threads` : '';
      ctx.stdout.write(
        `rebuilt the read models from ${rebuild.events} events in ${seconds} s (${rate(rebuild.events, rebuild.elapsedMs)} events/s${across})\n`,
      );
      // This process holds the data folder: nothing appends, so the lanes are not needed any more.
      if (holder === null) await rebuild.releaseLanes();
      if (options.check) return report(ctx, rebuild.compare());
      await rebuild.swapIn();
      ctx.stdout.write('swapped the rebuilt read models in (one transaction)\n');
      return EXIT.ok;
    } finally {
      await rebuild.close();
    }
  } finally {
    progress.stop();
    release();
  }
}

function report(ctx: CliContext, differences: ReadModelDifference[]): number {
  if (differences.length === 0) {
    ctx.stdout.write('the live read models equal the rebuilt ones\n');
    return EXIT.ok;
  }
  const byTable = new Map<string, ReadModelDifference[]>();
  for (const difference of differences) byTable.set(difference.table, [...(byTable.get(difference.table) ?? []), difference]);
  for (const [table, found] of byTable) {
    const rows = found.filter((d) => d.note === undefined);
    for (const difference of rows.slice(0, SHOWN_PER_TABLE)) ctx.stdout.write(`${describe(difference)}\n`);
    if (rows.length > SHOWN_PER_TABLE) ctx.stdout.write(`${table}: … and ${rows.length - SHOWN_PER_TABLE} more differing rows\n`);
    for (const note of found.filter((d) => d.note !== undefined)) ctx.stdout.write(`${describe(note)}\n`);
  }
  const counted = differences.filter((d) => d.key !== null || !d.note?.startsWith('more rows differ')).length;
  const atLeast = counted < differences.length ? 'at least ' : '';
  ctx.stdout.write(
    `${atLeast}${counted} difference${counted === 1 ? '' : 's'} in ${byTable.size} table${byTable.size === 1 ? '' : 's'}; nothing was changed\n`,
  );
  return EXIT.problem;
}

export function describe({ table, key, live, rebuilt, note }: ReadModelDifference): string {
  if (note !== undefined) return `${table}: ${note}`;
  const [liveShown, rebuiltShown] = live && rebuilt ? narrowDocuments(live, rebuilt) : [live, rebuilt];
  const side = (row: Record<string, unknown> | null) => (row === null ? '(missing)' : JSON.stringify(row));
  return `${table} ${JSON.stringify(key)}: live ${side(liveShown)} vs rebuilt ${side(rebuiltShown)}`;
}

type Row = Record<string, unknown>;

/** A column holding a JSON document (a summary `doc`) shows only the fields that differ. */
function narrowDocuments(live: Row, rebuilt: Row): [Row, Row] {
  const liveShown: Row = {};
  const rebuiltShown: Row = {};
  for (const column of Object.keys(live)) {
    const a = jsonObject(live[column]);
    const b = jsonObject(rebuilt[column]);
    if (a && b) {
      const fields = [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((f) => JSON.stringify(a[f]) !== JSON.stringify(b[f]));
      liveShown[column] = Object.fromEntries(fields.map((f) => [f, a[f] ?? null]));
      rebuiltShown[column] = Object.fromEntries(fields.map((f) => [f, b[f] ?? null]));
    } else {
      liveShown[column] = live[column];
      rebuiltShown[column] = rebuilt[column];
    }
  }
  return [liveShown, rebuiltShown];
}

function jsonObject(value: unknown): Row | null {
  if (typeof value !== 'string' || !value.startsWith('{')) return null;
  try {
    const parsed: unknown = JSON.parse(value);
    return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Row) : null;
  } catch {
    return null;
  }
}

/** PARLEY_REPLAY_BATCH_SIZE: events per transaction of the rebuild (default 500). */
function batchSizeFrom(env: NodeJS.ProcessEnv): number | undefined {
  const value = env.PARLEY_REPLAY_BATCH_SIZE;
  if (value === undefined || value === '') return undefined;
  const size = /^\d+$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(size) || size < 1 || size > 100_000) {
    throw new UsageError(`PARLEY_REPLAY_BATCH_SIZE=${JSON.stringify(value)} is not a whole number of events per transaction (1-100000)`);
  }
  return size;
}

/** PARLEY_REPLAY_THREADS: 1 rebuilds in one thread; 2 rebuilds the search index in a second one (default with more than one CPU). */
function threadsFrom(env: NodeJS.ProcessEnv): 1 | 2 | undefined {
  const value = env.PARLEY_REPLAY_THREADS;
  if (value === undefined || value === '') return undefined;
  if (value === '1' || value === '2') return Number(value) as 1 | 2;
  throw new UsageError(`PARLEY_REPLAY_THREADS=${JSON.stringify(value)} is not 1 or 2 (threads the rebuild runs in)`);
}
