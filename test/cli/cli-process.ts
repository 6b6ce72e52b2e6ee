import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Database } from 'better-sqlite3';

/**
 * Runs the BUILT `parley` CLI (dist/cli/parley.js) as a child process, as an operator would.
 *
 * Each test file compiles src/ once into its own <repo>/.test-build/<name>-<pid>/dist
 * (git-ignored): inside the repository so the compiled files resolve node_modules as dist/ does,
 * and one folder per file AND per run, because jest runs files in parallel and several people
 * may run the tests in the same working tree at once.
 */

export const REPO_ROOT = resolve(__dirname, '..', '..');

export interface BuiltCli {
  entry: string;
  /** Deletes the build. */
  remove(): void;
}

export async function buildCli(name: string): Promise<BuiltCli> {
  const root = join(REPO_ROOT, '.test-build', `${name}-${process.pid}`);
  rmSync(root, { recursive: true, force: true });
  const tsc = join(REPO_ROOT, 'node_modules', '.bin', 'tsc');
  const result = await run(tsc, ['-p', 'tsconfig.build.json', '--outDir', join(root, 'dist')], {}, 180_000);
  const remove = () => rmSync(root, { recursive: true, force: true });
  if (result.code !== 0) {
    remove();
    throw new Error(`building the CLI failed (tsc exit ${result.code ?? result.signal}):\n${result.stdout}${result.stderr}`);
  }
  return { entry: join(root, 'dist', 'cli', 'parley.js'), remove };
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** `node <entry> ...args` with only PATH inherited (a developer's PARLEY_* cannot leak in). */
export function runCli(entry: string, args: string[], env: Record<string, string> = {}, timeoutMs = 60_000): Promise<CliResult> {
  return run(process.execPath, [entry, ...args], env, timeoutMs);
}

export interface RunningCli {
  child: ChildProcess;
  /** Resolves with the first stdout line that matches, rejects when the process ends first. */
  waitForLine(pattern: RegExp, timeoutMs: number): Promise<string>;
  exited: Promise<CliResult>;
}

export function spawnCli(entry: string, args: string[], env: Record<string, string> = {}): RunningCli {
  const child = spawn(process.execPath, [entry, ...args], { cwd: REPO_ROOT, env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  const listeners = new Set<() => void>();
  child.stdout!.on('data', (chunk: Buffer) => {
    stdout += chunk.toString('utf8');
    for (const listener of [...listeners]) listener();
  });
  child.stderr!.on('data', (chunk: Buffer) => void (stderr += chunk.toString('utf8')));
  const exited = new Promise<CliResult>((resolveExit) => {
    child.once('close', (code, signal) => {
      resolveExit({ code, signal, stdout, stderr });
      for (const listener of [...listeners]) listener();
    });
  });
  return {
    child,
    exited,
    waitForLine(pattern, timeoutMs) {
      return new Promise((resolveLine, reject) => {
        const check = () => {
          const line = stdout.split('\n').find((l) => pattern.test(l));
          if (line !== undefined) finish(() => resolveLine(line));
          else if (child.exitCode !== null || child.signalCode !== null) {
            finish(() => reject(new Error(`the CLI exited (${child.exitCode ?? child.signalCode}) before printing ${pattern}:\n${stdout}${stderr}`)));
          }
        };
        const timer = setTimeout(() => finish(() => reject(new Error(`no line matching ${pattern} within ${timeoutMs} ms:\n${stdout}${stderr}`))), timeoutMs);
        const finish = (settle: () => void) => {
          clearTimeout(timer);
          listeners.delete(check);
          settle();
        };
        listeners.add(check);
        check();
      });
    },
  };
}

/** Every row of every table of the file (read models, checkpoints, FTS shadow tables, the log), exactly. */
export function dumpAllTables(db: Database): Record<string, string[]> {
  const tables = db
    .prepare(`SELECT name FROM sqlite_schema WHERE type = 'table' AND sql NOT LIKE 'CREATE VIRTUAL TABLE%' ORDER BY name`)
    .pluck()
    .all() as string[];
  return Object.fromEntries(
    tables.map((table) => [table, (db.prepare(`SELECT * FROM "${table}"`).raw().all() as unknown[][]).map((row) => JSON.stringify(row.map(exact))).sort()]),
  );
}

/** Blobs byte for byte, integers and text as stored. */
function exact(value: unknown): unknown {
  return Buffer.isBuffer(value) ? `blob:${value.toString('hex')}` : value;
}

function run(command: string, args: string[], env: Record<string, string>, timeoutMs: number): Promise<CliResult> {
  return new Promise((resolveRun) => {
    const child = spawn(command, args, { cwd: REPO_ROOT, env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => void (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => void (stderr += chunk.toString('utf8')));
    const timer = setTimeout(() => {
      stderr += `\n(killed after ${timeoutMs} ms)`;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      resolveRun({ code: null, signal: null, stdout, stderr: `${stderr}\n${error.message}` });
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolveRun({ code, signal, stdout, stderr });
    });
  });
}
