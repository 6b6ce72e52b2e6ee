// The real server (dist/main.js) as a child process on a free loopback port, and an HTTP client
// for it (undici Pool: keep-alive connections, low overhead, so the load generator takes as little
// of the 2 cores as it can).
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { Pool } from 'undici';
import { processMemory, watchPeakMemory } from './machine.mjs';
import { DIST, REPO_ROOT } from './parley.mjs';

/** As package.json's start script and the Dockerfile's CMD run the server. */
export const SERVER_NODE_FLAGS = '--max-semi-space-size=8 --heap-growing-percent=25';
/** The environment package.json's start script and the Dockerfile set for it: two malloc arenas. */
export const SERVER_MALLOC_ENV = { MALLOC_ARENA_MAX: '2' };
export const ADMIN = { email: 'bench-admin@example.com', password: 'bench-admin-password-1', name: 'Bench Admin' };
const SECRET = 'parley-bench-secret-0123456789abcdef0123456789';
const OUTPUT_LIMIT = 32 * 1024;

export function freePort() {
  return new Promise((resolvePort, reject) => {
    const probe = createServer();
    probe.unref();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolvePort(port));
    });
  });
}

/**
 * Starts `node dist/main.js` on dataDir and waits for /health. Only PATH is inherited, so a
 * developer's PARLEY_* variables cannot change what is measured. LOG_LEVEL=warn: request logs off.
 * BENCH_SERVER_ENV ('NAME=value NAME2=value2') adds variables on purpose, to measure a setting;
 * `{unique}` in a value becomes a name of this server start alone (a fresh MongoDB database per
 * server, as every server gets a fresh data folder: MONGODB_URL=mongodb://host/parley-{unique}).
 */
export async function startServer({ dataDir, env = {}, healthTimeoutMs = 120_000, script = join(DIST, 'main.js') }) {
  for (let attempt = 1; ; attempt += 1) {
    const port = await freePort();
    // The server runs with the flags `npm start` and the Docker image give it; BENCH_SERVER_NODE_OPTIONS
    // replaces them to try others ('' for none).
    const nodeFlags = (process.env.BENCH_SERVER_NODE_OPTIONS ?? SERVER_NODE_FLAGS).split(/\s+/).filter(Boolean);
    const child = spawn(process.execPath, [...nodeFlags, script], {
      cwd: REPO_ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        PORT: String(port),
        HOST: '127.0.0.1',
        SMTP_PORT: String(await freePort()),
        PARLEY_DATA_DIR: dataDir,
        PARLEY_ADMIN_EMAIL: ADMIN.email,
        PARLEY_ADMIN_PASSWORD: ADMIN.password,
        PARLEY_SECRET: SECRET,
        LOG_LEVEL: 'warn',
        ...SERVER_MALLOC_ENV,
        ...benchServerEnv(`bench-${process.pid}-${++serverStarts}-${port}`),
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const keep = (chunk) => {
      output = (output + chunk.toString('utf8')).slice(-OUTPUT_LIMIT);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    let exitStatus = null;
    const exited = new Promise((resolveExit) =>
      child.once('close', (code, signal) => {
        exitStatus = { code, signal };
        resolveExit(exitStatus);
      }),
    );
    const memory = watchPeakMemory(child.pid);
    const baseUrl = `http://127.0.0.1:${port}`;
    const server = {
      pid: child.pid,
      baseUrl,
      output: () => output,
      memory: () => processMemory(child.pid),
      peakRssMb: () => memory.peakMb(),
      async stop() {
        if (exitStatus) return memory.stop();
        const peak = memory.peakMb();
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
        await exited;
        clearTimeout(timer);
        memory.stop();
        return peak;
      },
    };
    try {
      await waitForHealth(
        baseUrl,
        healthTimeoutMs,
        () => exitStatus,
        () => output,
      );
      return server;
    } catch (error) {
      child.kill('SIGKILL');
      await exited;
      if (attempt < 3 && /EADDRINUSE/.test(output)) continue;
      throw error;
    }
  }
}

let serverStarts = 0;

function benchServerEnv(unique) {
  const pairs = (process.env.BENCH_SERVER_ENV ?? '').split(/\s+/).filter(Boolean);
  return Object.fromEntries(pairs.map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1).replaceAll('{unique}', unique)]));
}

async function waitForHealth(baseUrl, timeoutMs, exitStatus, output) {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer yet';
  while (Date.now() < deadline) {
    const status = exitStatus();
    if (status) throw new Error(`the server exited (code ${status.code}, signal ${status.signal}) before it was healthy:\n${output()}`);
    try {
      const res = await fetch(`${baseUrl}/health`, { signal: AbortSignal.timeout(2000) });
      const body = await res.text();
      if (res.status === 200 && JSON.parse(body).status === 'ok') return;
      last = `${res.status} ${body}`;
    } catch (error) {
      last = error.cause?.code ?? error.message;
    }
    await delay(100);
  }
  throw new Error(`${baseUrl}/health was not ok within ${timeoutMs} ms (last: ${last})\n${output()}`);
}

/** The HTTP ceiling (ceiling-server.mjs) on a free port, started and stopped like the real server. */
export function startCeilingServer() {
  return startServer({ dataDir: '', script: join(REPO_ROOT, 'bench', 'lib', 'ceiling-server.mjs'), healthTimeoutMs: 30_000 });
}

/** A keep-alive client with a bearer token; request() answers { status, body (parsed JSON), ms }. */
export function client(baseUrl, { connections = 16, token = null } = {}) {
  const pool = new Pool(baseUrl, { connections, pipelining: 1, keepAliveTimeout: 60_000 });
  const api = {
    token,
    async request(method, path, body) {
      const started = performance.now();
      const headers = { accept: 'application/json' };
      if (api.token) headers.authorization = `Bearer ${api.token}`;
      let payload;
      if (body !== undefined) {
        headers['content-type'] = 'application/json';
        payload = JSON.stringify(body);
      }
      const res = await pool.request({ method, path, headers, body: payload });
      const text = await res.body.text();
      const ms = performance.now() - started;
      let parsed;
      try {
        parsed = text ? JSON.parse(text) : null;
      } catch {
        parsed = text;
      }
      return { status: res.statusCode, body: parsed, ms };
    },
    async expect(method, path, body, okStatuses = [200, 201]) {
      const res = await api.request(method, path, body);
      if (!okStatuses.includes(res.status)) {
        throw new Error(`${method} ${path} answered ${res.status}: ${JSON.stringify(res.body).slice(0, 500)}`);
      }
      return res.body;
    },
    async login(email = ADMIN.email, password = ADMIN.password) {
      const body = await api.expect('POST', '/api/auth/login', { email, password });
      api.token = body.token;
      return body;
    },
    close: () => pool.close(),
  };
  return api;
}
