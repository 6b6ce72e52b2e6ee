import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { SMTPServer } from 'smtp-server';
import { setTimeout as sleep } from 'node:timers/promises';
import { createApp } from '../../app.factory';
import { JOB_QUEUE, type JobQueue } from '../../application/ports/job-queue.port';
import { ConfigError, loadConfig, MIN_ADMIN_PASSWORD_LENGTH, type ParleyConfig } from '../../infrastructure/config/config';
import { createLogger } from '../../infrastructure/logging/logger';
import { databaseFile } from '../../infrastructure/sqlite/open-database';
import { dataDirHolder } from '../../infrastructure/storage/data-dir-lock';
import { ensurePrivateDir, PRIVATE_FILE_MODE } from '../../infrastructure/storage/private-files';
import { EXIT, type CliContext } from '../cli-context';
import { COMPANY, DEMO_AGENTS } from './demo-content';
import { DemoClock, DemoError, DemoScenario, type Login, type ScenarioResult } from './demo-scenario';

/** Kept in the data folder (owner-only): the logins the demo made, so a second run can sign in again. */
export const DEMO_LOGIN_FILE = 'demo-login.json';
const DEFAULT_ADMIN_EMAIL = 'admin@localhost';

interface DemoLogins {
  /** The password only when the demo made it up; one from PARLEY_ADMIN_PASSWORD is not written down. */
  admin: { email: string; password?: string };
  agentPassword: string;
}

/**
 * `parley demo`: fills a fresh data folder with De Spaak's inbox (demo-content.ts) by starting
 * Parley on it, in this process and on loopback only, and using it as its users would: the HTTP
 * API and SMTP. Outbound mail goes to a sink inside this process that drops it, so no demo
 * reply can reach anyone, whatever SMTP_RELAY_URL says. A second run adds nothing.
 */
export async function demo(ctx: CliContext): Promise<number> {
  const holder = dataDirHolder(ctx.dataDir);
  if (holder !== null) {
    ctx.stderr.write(
      `parley demo: a Parley process (pid ${holder}) is using ${ctx.dataDir}: stop it first, then run the demo again (it starts its own Parley on the folder)\n`,
    );
    return EXIT.usage;
  }
  let config: ParleyConfig;
  try {
    config = loadConfig({ ...ctx.env, PARLEY_DATA_DIR: ctx.dataDir });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    ctx.stderr.write(`parley demo: ${error.message}\n`);
    return EXIT.usage;
  }

  try {
    return await fill(ctx, config);
  } catch (error) {
    if (!(error instanceof DemoError)) throw error;
    ctx.stderr.write(`parley demo: ${error.message}\n`);
    return EXIT.problem;
  }
}

async function fill(ctx: CliContext, config: ParleyConfig): Promise<number> {
  const loginFile = join(ctx.dataDir, DEMO_LOGIN_FILE);
  const stored = readLogins(loginFile);
  if (stored === null && existsSync(databaseFile(ctx.dataDir))) {
    ctx.stderr.write(
      `parley demo: ${ctx.dataDir} already holds a Parley the demo did not fill; the demo only fills a fresh data folder. ` +
        `Point it at an empty one, e.g. PARLEY_DATA_DIR=./demo-data npm run demo\n`,
    );
    return EXIT.usage;
  }
  const admin = adminLogin(config, stored);
  if (typeof admin === 'string') {
    ctx.stderr.write(`parley demo: ${admin}\n`);
    return EXIT.usage;
  }
  const logins: DemoLogins = {
    admin: config.admin ? { email: admin.email } : admin,
    agentPassword: stored?.agentPassword ?? newPassword(),
  };
  if (stored === null) writeLogins(loginFile, logins);

  ctx.stdout.write(`Filling ${ctx.dataDir} with the demo inbox of ${COMPANY.name}, a bicycle shop …\n`);
  const result = await runAgainstOwnParley(ctx, config, admin, logins.agentPassword);
  report(ctx, config, result, admin, logins, loginFile);
  return EXIT.ok;
}

/** Until no job runs (bounded: a job stuck longer is left to its lease, as in any restart). */
async function jobsIdle(queue: JobQueue, boundMs = 10_000): Promise<void> {
  for (const until = Date.now() + boundMs; Date.now() < until;) {
    if ((await queue.counts()).active === 0) return;
    await sleep(20);
  }
}

/** Starts Parley on the data folder (loopback, free ports, the sink as relay), runs the scenario, stops it. */
async function runAgainstOwnParley(ctx: CliContext, config: ParleyConfig, admin: Login, agentPassword: string): Promise<ScenarioResult> {
  // Quiet unless LOG_LEVEL asks for more: the demo's output is what it prints itself.
  const logger = createLogger({ level: ctx.env.LOG_LEVEL ? config.logLevel : 'warn' }, ctx.stderr);
  const sink = await startMailSink();
  const clock = new DemoClock();
  try {
    const smtpPort = await freePort();
    const app = await createApp(
      {
        ...config,
        host: '127.0.0.1',
        smtpPort,
        admin,
        smtpRelayUrl: sink.url,
        // Only the built-in channels: a plugin package could deliver demo replies somewhere real.
        plugins: [],
      },
      logger,
      // The same for the built-in channels' own settings (the API channel's reply webhook).
      { clock, pluginEnv: {} },
    );
    try {
      await app.listen({ port: 0, host: '127.0.0.1' });
      const { port } = app.getHttpServer().address() as AddressInfo;
      const scenario = new DemoScenario({
        baseUrl: `http://127.0.0.1:${port}`,
        smtpPort,
        clock,
        admin,
        agentPassword,
        startedAt: new Date(),
        beforeClockMoves: () => jobsIdle(app.get<JobQueue>(JOB_QUEUE, { strict: false })),
      });
      return await scenario.run();
    } finally {
      await app.close();
    }
  } finally {
    await sink.close();
  }
}

function report(ctx: CliContext, config: ParleyConfig, result: ScenarioResult, admin: Login, logins: DemoLogins, loginFile: string): void {
  const out = (line = '') => ctx.stdout.write(`${line}\n`);
  if (result.added === 0) out(`The demo data was already there: nothing added (${result.present} things checked).`);
  else out(`Done: ${result.added} changes made through the API and SMTP${result.present > 0 ? ` (${result.present} already in place)` : ''}.`);
  out('Outgoing demo mail went to a sink inside the demo that drops it: nothing left this machine.');
  out();
  const host = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host.includes(':') ? `[${config.host}]` : config.host;
  out(`Start Parley with \`npm start\` (same PARLEY_DATA_DIR) and log in at http://${host}:${config.port}`);
  out(`  email:    ${admin.email}`);
  out(
    logins.admin.password
      ? `  password: ${logins.admin.password}   (also in ${loginFile}, readable only by you)`
      : '  password: the one in PARLEY_ADMIN_PASSWORD',
  );
  out(`Colleagues, each with the password ${logins.agentPassword}:`);
  for (const agent of DEMO_AGENTS) out(`  ${agent.name} <${agent.email}>`);
  out();
  out('What to look at:');
  for (const inbox of result.inboxes) {
    const views = inbox.views.filter((v) => v.count > 0).map((v) => `${v.name} ${v.count}`);
    out(`  ${inbox.name} (${inbox.emailAddress}): ${views.join(' · ')}`);
  }
  out('  Support › Assigned to me: an HTML email with a PDF invoice, a warranty ticket and a comment that mentions you.');
  out('  Support › Filtered: mail from a sender you blocked; Spam: a role address (info@) and one marked by hand.');
  out('  Verkoop: a quote request with a spreadsheet attached, and a teammate discussion in the comments.');
}

/** The admin the demo signs in as: PARLEY_ADMIN_* first (as `npm start` creates it), then the first run's, else a new one. */
function adminLogin(config: ParleyConfig, stored: DemoLogins | null): Login | string {
  if (config.admin) return config.admin;
  if (stored?.admin.password) return { email: stored.admin.email, password: stored.admin.password };
  if (stored) {
    return `the first demo run on this folder signed in as ${stored.admin.email} from PARLEY_ADMIN_EMAIL: set PARLEY_ADMIN_EMAIL and PARLEY_ADMIN_PASSWORD again`;
  }
  return { email: DEFAULT_ADMIN_EMAIL, password: newPassword() };
}

function newPassword(): string {
  const password = randomBytes(12).toString('base64url');
  return password.length >= MIN_ADMIN_PASSWORD_LENGTH ? password : `${password}0000000`;
}

function readLogins(file: string): DemoLogins | null {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  let parsed: Partial<DemoLogins> | null = null;
  try {
    parsed = JSON.parse(text) as Partial<DemoLogins>;
  } catch {
    // reported below, like any other file that is not ours
  }
  if (typeof parsed?.admin?.email !== 'string' || typeof parsed.agentPassword !== 'string') {
    throw new DemoError(`${file} is not the demo's login file (no admin email or agent password in it): move it away and run the demo on a fresh folder`);
  }
  return parsed as DemoLogins;
}

function writeLogins(file: string, logins: DemoLogins): void {
  ensurePrivateDir(join(file, '..'));
  writeFileSync(file, `${JSON.stringify(logins, null, 2)}\n`, { mode: PRIVATE_FILE_MODE, flag: 'wx' });
}

/** A relay that takes every message and keeps none: the demo's customers do not exist. */
async function startMailSink(): Promise<{ url: string; close(): Promise<void> }> {
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    disableReverseLookup: true,
    logger: false,
    onData(stream, _session, callback) {
      stream.on('end', () => callback());
      stream.resume();
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.server.address() as AddressInfo;
  return { url: `smtp://127.0.0.1:${port}`, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/** A port free a moment ago on loopback, for the email channel's listener (it takes a number, not 0). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}
