import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Clock } from '../../src/application/ports/clock.port';
import type { Logger } from 'pino';
import { createApp, type CreateAppOptions } from '../../src/app.factory';
import { loadConfig } from '../../src/infrastructure/config/config';
import { createLogger } from '../../src/infrastructure/logging/logger';

export const ADMIN = { email: 'admin@example.com', password: 'admin-password-1' };

export interface Response<T = any> {
  status: number;
  body: T;
  headers: Record<string, string | string[] | number | undefined>;
}

export interface TestApp {
  app: NestFastifyApplication;
  dataDir: string;
  /** The port of the email channel's SMTP listener (a free one on 127.0.0.1 unless `env` sets SMTP_PORT). */
  smtpPort: number;
  request<T = any>(
    method: string,
    url: string,
    options?: { body?: unknown; token?: string; headers?: Record<string, string>; raw?: string },
  ): Promise<Response<T>>;
  login(email?: string, password?: string): Promise<string>;
  close(): Promise<void>;
}

/**
 * A complete Parley on a fresh temporary data folder; requests go through Fastify's inject (no port).
 * The email channel's SMTP listener gets a free port on 127.0.0.1 (`smtpPort`), so test apps never
 * compete for SMTP_PORT's default.
 */
export async function startTestApp(
  options: {
    env?: Record<string, string>;
    clock?: Clock;
    backgroundWork?: boolean;
    dataDir?: string;
    /** Built-in channel plugins instead of BUILT_IN_PLUGINS (add a test plugin to `BUILT_IN_PLUGINS`). */
    builtIns?: CreateAppOptions['builtIns'];
    /** The app's logger (default: silent). */
    logger?: Logger;
    /** Runs after the app is built and before its routes are registered (e.g. to install a Fastify onRoute hook). */
    beforeInit?: (app: NestFastifyApplication) => void;
  } = {},
): Promise<TestApp> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'parley-e2e-'));
  const config = loadConfig({
    PARLEY_DATA_DIR: dataDir,
    PARLEY_ADMIN_EMAIL: ADMIN.email,
    PARLEY_ADMIN_PASSWORD: ADMIN.password,
    PARLEY_SECRET: 'test-secret-that-is-long-enough-0123456789',
    LOG_LEVEL: 'silent',
    SMTP_PORT: String(await freePort()),
    HOST: '127.0.0.1',
    ...options.env,
  });
  const app = await createApp(config, options.logger ?? createLogger({ level: 'silent' }), {
    clock: options.clock,
    backgroundWork: options.backgroundWork,
    builtIns: options.builtIns,
  });
  options.beforeInit?.(app);
  await app.init();
  await app.getHttpAdapter().getInstance().ready();

  const request: TestApp['request'] = async (method, url, { body, token, headers = {}, raw } = {}) => {
    const res = await app.inject({
      method: method as 'GET',
      url,
      headers: {
        ...(body !== undefined || raw !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...headers,
      },
      payload: raw ?? (body === undefined ? undefined : JSON.stringify(body)),
    });
    let parsed: unknown = res.body;
    try {
      parsed = res.body ? JSON.parse(res.body) : undefined;
    } catch {
      /* not JSON */
    }
    return { status: res.statusCode, body: parsed as any, headers: res.headers };
  };

  return {
    app,
    dataDir,
    smtpPort: config.smtpPort,
    request,
    async login(email = ADMIN.email, password = ADMIN.password) {
      const res = await request('POST', '/api/auth/login', { body: { email, password } });
      if (res.status !== 200) throw new Error(`login failed: ${res.status} ${JSON.stringify(res.body)}`);
      return res.body.token as string;
    },
    async close() {
      await app.close();
      if (!options.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A port nobody listens on right now (the OS picks it; released before Parley binds it). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Asks `probe` every 25 ms until it gives a value (returned), failing with `what` after `timeoutMs`. */
export async function until<T>(what: string, probe: () => Promise<T | undefined | false | null>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

let counter = 0;
/** A unique inbound message for the API channel. */
export function inbound(overrides: Record<string, unknown> = {}) {
  counter += 1;
  return {
    externalThreadId: `thread-${process.pid}-${counter}-${Math.random().toString(36).slice(2)}`,
    externalMessageId: `msg-${process.pid}-${counter}-${Math.random().toString(36).slice(2)}`,
    from: { address: `customer${counter}@example.org`, name: `Customer ${counter}` },
    subject: `Question ${counter}`,
    text: `Hello, this is message ${counter}`,
    ...overrides,
  };
}

/** A clock the test moves by hand. */
export class ManualClock implements Clock {
  constructor(private current = new Date('2026-11-24T10:00:00.000Z')) {}
  now(): Date {
    return new Date(this.current);
  }
  advance(ms: number): void {
    this.current = new Date(this.current.getTime() + ms);
  }
}
