import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';

/**
 * Runs the REAL server (the compiled dist/main.js) as a child process, for tests that need what
 * the in-process harness cannot give: a process that can be killed (SIGKILL), stopped by a
 * signal (SIGTERM) and restarted on the same data folder.
 *
 * The build goes to <repo>/.test-build/<run>/dist (git-ignored), inside the repository so the
 * compiled files resolve node_modules exactly like dist/ does. Every child is tracked:
 * stopAllServers() (call it in afterAll) SIGKILLs whatever still runs, and a process 'exit' hook
 * does the same as a last resort, so a failing test never leaves a server behind.
 */

export const REPO_ROOT = resolve(__dirname, '..', '..');
/** Holds one build per test run: <pid>-<random>/dist. Git-ignored. */
export const TEST_BUILD_ROOT = join(REPO_ROOT, '.test-build');

export const TEST_ADMIN = { email: 'admin@example.com', password: 'admin-password-1' };
export const TEST_SECRET = 'server-process-test-secret-0123456789abcdef';

/** Most output kept per child for failure messages (the tail is what matters). */
const OUTPUT_LIMIT = 64 * 1024;

/** The entry point built by buildServer() in this process (spawnServer's default). */
let builtEntry: string | null = null;

/**
 * Compiles src/ with the production tsconfig into .test-build/<pid>-<random>/dist and returns the
 * path of its main.js; rejects with the compiler output. Each run gets its own folder: two Jest
 * runs in one working tree (or two test files) must not delete or overwrite the files a server
 * of the other one is loading. Folders left by runs whose process is gone are removed here.
 */
export async function buildServer(timeoutMs = 120_000): Promise<string> {
  removeAbandonedBuilds();
  const outDir = join(TEST_BUILD_ROOT, `${process.pid}-${randomBytes(4).toString('hex')}`, 'dist');
  const tsc = join(REPO_ROOT, 'node_modules', '.bin', 'tsc');
  const { code, signal, output } = await run(tsc, ['-p', 'tsconfig.build.json', '--outDir', outDir], timeoutMs);
  const entry = join(outDir, 'main.js');
  // Exit 2 is "type errors, JavaScript emitted anyway". Type errors are the typecheck step's
  // business (npm test runs it first); these tests are about the running program, so they run
  // what was emitted, and say so. Anything else (no output, tsc crashed) is a failure.
  if (code === 2 && existsSync(entry)) {
    process.stderr.write(`buildServer: tsc reported type errors; testing the JavaScript it emitted anyway:\n${output}\n`);
  } else if (code !== 0) {
    rmSync(dirname(outDir), { recursive: true, force: true });
    throw new Error(`building the server failed (tsc exit ${code ?? signal}):\n${output}`);
  }
  // dist/ beside package.json, as in the repository and the image (the server reads its version there).
  copyFileSync(join(REPO_ROOT, 'package.json'), join(dirname(outDir), 'package.json'));
  builtEntry = entry;
  return builtEntry;
}

/**
 * The `parley` CLI compiled by the same buildServer() (dist/cli/parley.js beside main.js), so a
 * test that runs the server and the CLI compiles src/ once.
 */
export function builtCliEntry(): string {
  if (builtEntry === null) throw new Error('builtCliEntry: call buildServer() first (in beforeAll)');
  return join(dirname(builtEntry), 'cli', 'parley.js');
}

/** Deletes what buildServer() built in this process (call it in afterAll, after the servers stopped). */
export function removeServerBuild(): void {
  if (builtEntry === null) return;
  rmSync(dirname(dirname(builtEntry)), { recursive: true, force: true });
  builtEntry = null;
}

function removeAbandonedBuilds(): void {
  let entries: string[];
  try {
    entries = readdirSync(TEST_BUILD_ROOT);
  } catch {
    return;
  }
  for (const name of entries) {
    const pid = Number(/^(\d+)-/.exec(name)?.[1]);
    if (Number.isInteger(pid) && pid !== process.pid && !isAlive(pid)) {
      rmSync(join(TEST_BUILD_ROOT, name), { recursive: true, force: true });
    }
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ServerProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly port: number;
  /** SMTP_PORT as the child was given it (the email channel listens there, on 127.0.0.1). */
  readonly smtpPort: number;
  readonly baseUrl: string;
  readonly dataDir: string;
  /** Settles when the process has exited (never rejects). */
  readonly exited: Promise<ExitStatus>;
  /** Null while running. */
  exitStatus(): ExitStatus | null;
  /** The captured stdout and stderr (the last 64 KiB), for failure messages. */
  output(): string;
  /** Sends a signal to this child only (no-op once it exited). */
  signal(signal: NodeJS.Signals): void;
  /** Resolves with the exit status, or null when it did not exit within timeoutMs. */
  waitForExit(timeoutMs: number): Promise<ExitStatus | null>;
  /** SIGKILL (if still running) and wait for the exit. */
  kill(): Promise<ExitStatus>;
}

export interface SpawnServerOptions {
  dataDir: string;
  port: number;
  /** Extra or overriding variables; the defaults make a complete, quiet configuration. */
  env?: Record<string, string>;
  /** The compiled entry point; default: what buildServer() built. */
  entry?: string;
}

const running = new Set<ServerProcess>();
let exitHookInstalled = false;

/**
 * Starts `node <entry>` with a minimal environment (only PATH is inherited, so a developer's
 * PARLEY_* or EVENT_STORE variables cannot leak into the test), listening on 127.0.0.1:port.
 */
export function spawnServer({ dataDir, port, env = {}, entry = builtEntry ?? undefined }: SpawnServerOptions): ServerProcess {
  if (entry === undefined) throw new Error('spawnServer: call buildServer() first (in beforeAll), or pass the entry point');
  installExitHook();
  const childEnv: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    PORT: String(port),
    HOST: '127.0.0.1',
    SMTP_PORT: String(port === 65535 ? port - 1 : port + 1),
    PARLEY_DATA_DIR: dataDir,
    PARLEY_ADMIN_EMAIL: TEST_ADMIN.email,
    PARLEY_ADMIN_PASSWORD: TEST_ADMIN.password,
    PARLEY_SECRET: TEST_SECRET,
    LOG_LEVEL: 'warn',
    ...env,
  };
  const child = spawn(process.execPath, [entry], { cwd: REPO_ROOT, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  let captured = '';
  const capture = (stream: string) => (chunk: Buffer) => {
    const text = chunk
      .toString('utf8')
      .split('\n')
      .map((line) => (line === '' ? line : `[${stream}] ${line}`))
      .join('\n');
    captured = (captured + text).slice(-OUTPUT_LIMIT);
  };
  child.stdout?.on('data', capture('stdout'));
  child.stderr?.on('data', capture('stderr'));

  let status: ExitStatus | null = null;
  // Declared before the callbacks below that use it, assigned once the process is described.
  // eslint-disable-next-line prefer-const
  let server: ServerProcess;
  const exited = new Promise<ExitStatus>((resolveExit) => {
    // 'close' (not 'exit'): by then stdout and stderr are fully read, so output() is complete.
    child.once('close', (code, signal) => {
      status = { code, signal };
      running.delete(server);
      resolveExit(status);
    });
    child.once('error', (error) => {
      captured += `\n[spawn] ${error.message}`;
      status ??= { code: null, signal: null };
      running.delete(server);
      resolveExit(status);
    });
  });

  server = {
    child,
    pid: child.pid ?? -1,
    port,
    smtpPort: Number(childEnv.SMTP_PORT),
    baseUrl: `http://127.0.0.1:${port}`,
    dataDir,
    exited,
    exitStatus: () => status,
    output: () => captured,
    signal(signal) {
      if (status === null && child.exitCode === null && child.signalCode === null) child.kill(signal);
    },
    async waitForExit(timeoutMs) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<null>((resolveTimeout) => {
        timer = setTimeout(() => resolveTimeout(null), timeoutMs);
      });
      try {
        return await Promise.race([exited, timeout]);
      } finally {
        clearTimeout(timer);
      }
    },
    async kill() {
      server.signal('SIGKILL');
      return exited;
    },
  };
  running.add(server);
  return server;
}

/** SIGKILLs every child spawned by this module that still runs; for afterAll. */
export async function stopAllServers(): Promise<void> {
  await Promise.all([...running].map((server) => server.kill()));
}

/**
 * After one SIGTERM (sent by the caller: a second one means "exit now" to main.ts), the process
 * must exit by itself with code 0; it is SIGKILLed when it does not, and the error carries its output.
 */
export async function expectGracefulExit(server: ServerProcess, timeoutMs: number): Promise<void> {
  const status = await server.waitForExit(timeoutMs);
  if (status === null) {
    await server.kill();
    throw new Error(`the server did not exit within ${timeoutMs} ms of SIGTERM (it was then SIGKILLed); its output:\n${server.output()}`);
  }
  if (status.code !== 0 || status.signal !== null) {
    throw new Error(`after SIGTERM the server exited with ${JSON.stringify(status)}, not code 0; its output:\n${server.output()}`);
  }
}

/** A TCP port that was free a moment ago (listen on port 0, read it, close). */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const probe = createServer();
    probe.unref();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      probe.close(() => (port > 0 ? resolvePort(port) : reject(new Error('could not find a free port'))));
    });
  });
}

/**
 * Polls GET /health until it answers 200 {status:"ok"}. With `server`, fails at once (with the
 * server's output) when that process exits instead of becoming healthy.
 */
export async function waitForHealth(baseUrl: string, timeoutMs: number, server?: ServerProcess): Promise<{ status: string; projectedPosition?: number }> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer yet';
  while (Date.now() < deadline) {
    const status = server?.exitStatus();
    if (status) {
      throw new Error(`the server exited (code ${status.code}, signal ${status.signal}) before it was healthy:\n${server!.output()}`);
    }
    try {
      const res = await fetch(`${baseUrl}/health`, { signal: AbortSignal.timeout(2000) });
      const body = await res.text();
      if (res.status === 200) {
        const parsed = JSON.parse(body) as { status: string; projectedPosition?: number };
        if (parsed.status === 'ok') return parsed;
      }
      last = `${res.status} ${body}`;
    } catch (error) {
      last = describeFetchError(error);
    }
    await delay(100);
  }
  throw new Error(`${baseUrl}/health was not ok within ${timeoutMs} ms (last: ${last})${server ? `\nserver output:\n${server.output()}` : ''}`);
}

/**
 * spawnServer on a free port + waitForHealth. Retries on a new port when the one picked was
 * taken in the meantime (another process won the race for it), so port choice cannot flake.
 */
export async function startServer(options: Omit<SpawnServerOptions, 'port'> & { healthTimeoutMs?: number }): Promise<ServerProcess> {
  for (let attempt = 1; ; attempt += 1) {
    // SMTP_PORT too: the server may listen on it, and 2525 could be taken by a parallel test.
    const env = { SMTP_PORT: String(await freePort()), ...options.env };
    const server = spawnServer({ ...options, env, port: await freePort() });
    try {
      await waitForHealth(server.baseUrl, options.healthTimeoutMs ?? 30_000, server);
      return server;
    } catch (error) {
      await server.kill();
      if (attempt < 3 && /EADDRINUSE/.test(server.output())) continue;
      throw error;
    }
  }
}

/** "fetch failed: ECONNREFUSED" rather than undici's bare "fetch failed". */
export function describeFetchError(error: unknown): string {
  const err = error as { message?: string; cause?: { code?: string; message?: string } };
  const cause = err?.cause ? `: ${err.cause.code ?? err.cause.message ?? ''}` : '';
  return `${err?.message ?? String(error)}${cause}`;
}

export const delay = (ms: number) => new Promise<void>((resolveDelay) => setTimeout(resolveDelay, ms));

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Last resort when afterAll never ran (the worker is torn down): no orphaned servers.
  process.once('exit', () => {
    for (const server of running) server.signal('SIGKILL');
  });
}

function run(command: string, args: string[], timeoutMs: number): Promise<ExitStatus & { output: string }> {
  return new Promise((resolveRun) => {
    const child = spawn(command, args, { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const append = (chunk: Buffer) => {
      output = (output + chunk.toString('utf8')).slice(-OUTPUT_LIMIT);
    };
    child.stdout.on('data', append);
    child.stderr.on('data', append);
    const timer = setTimeout(() => {
      output += `\n(killed after ${timeoutMs} ms)`;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      resolveRun({ code: null, signal: null, output: `${output}\n${error.message}` });
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolveRun({ code, signal, output });
    });
  });
}
