import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { databaseFile } from '../../src/infrastructure/sqlite/open-database';
import { startTestApp } from '../support/app-harness';
import { buildServer, builtCliEntry, expectGracefulExit, removeServerBuild, startServer, stopAllServers, type ServerProcess } from '../support/server-process';
import { runCli } from './cli-process';

/**
 * `npm run demo` (the built `parley demo`): on a fresh folder it fills a realistic inbox that the
 * real server then shows, in every view the newcomer is meant to see; a second run adds nothing;
 * it refuses a folder a server is using or one that holds a Parley it did not fill.
 */
describe('parley demo (the built CLI, then the real server on its folder)', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'parley-cli-demo-'));
  let cli: string;

  beforeAll(async () => {
    await buildServer(240_000);
    cli = builtCliEntry();
  }, 300_000);
  afterAll(async () => {
    await stopAllServers();
    removeServerBuild();
    rmSync(scratch, { recursive: true, force: true });
  });

  /** Like `npm start` after `npm run demo`: no admin variables (the spawn defaults would set some). */
  const serve = (dataDir: string, env: Record<string, string> = {}) =>
    startServer({ dataDir, env: { PARLEY_ADMIN_EMAIL: '', PARLEY_ADMIN_PASSWORD: '', ...env } });
  const stop = async (server: ServerProcess) => {
    server.signal('SIGTERM');
    await expectGracefulExit(server, 20_000);
  };
  const demo = (dataDir: string, env: Record<string, string> = {}) => runCli(cli, ['demo'], { PARLEY_DATA_DIR: dataDir, ...env }, 180_000);

  it('fills every view through the public interfaces, the server shows it, and a second run adds nothing', async () => {
    const dataDir = join(scratch, 'fresh');
    const first = await demo(dataDir);
    expect({ code: first.code, stderr: first.stderr }).toEqual({ code: 0, stderr: '' });
    expect(first.stdout).toMatch(/log in at http:\/\/localhost:3000/);
    const password = /password: (\S+)/.exec(first.stdout)?.[1];
    expect(password).toBeDefined();
    expect(first.stdout).toContain('email:    admin@localhost');
    // The made-up password is kept for the next run, for the owner only.
    const loginFile = join(dataDir, 'demo-login.json');
    expect(statSync(loginFile).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(loginFile, 'utf8')).admin).toEqual({ email: 'admin@localhost', password });

    let server = await serve(dataDir);
    const token = await login(server.baseUrl, 'admin@localhost', password!);
    const shown = await inboxState(server.baseUrl, token);

    const support = shown.inboxes.find((inbox) => inbox.isDefault)!;
    const empty = ['unassigned', 'assigned-to-me', 'all-open', 'email', 'bots', 'all-closed', 'sent', 'spam', 'filtered', 'trash'].filter(
      (view) => !(support.views[view] > 0),
    );
    expect({ emptyViews: empty, customViews: support.customViews.filter((v) => v.count > 0).length > 0 }).toEqual({ emptyViews: [], customViews: true });
    expect(shown.inboxes.length).toBeGreaterThanOrEqual(3);
    expect(shown.agents).toBeGreaterThanOrEqual(5);
    const all = shown.conversations;
    expect(new Set(all.map((c) => c.channel))).toEqual(new Set(['email', 'api']));
    // Dutch and English, spread over the last weeks.
    expect(all.some((c) => /fiets|bestelling|remmen/i.test(c.subject)) && all.some((c) => /warranty|range|test ride/i.test(c.subject))).toBe(true);
    const received = all.map((c) => Date.parse(c.lastReceivedAt));
    expect(Math.max(...received) - Math.min(...received)).toBeGreaterThan(10 * 24 * 3600_000);
    expect(all.filter((c) => c.ticket !== null).length).toBeGreaterThanOrEqual(2);
    expect(all.some((c) => c.comments.some((comment) => comment.mentions.length > 0))).toBe(true);
    expect(all.some((c) => c.messages.some((m) => m.html && m.attachments.some((a) => a.contentType === 'application/pdf')))).toBe(true);
    // Email threads: a customer's answer joined their first mail; agents' replies reached the (demo's) relay.
    expect(all.some((c) => c.channel === 'email' && c.messages.filter((m) => m.direction === 'in').length >= 2)).toBe(true);
    const replies = all.flatMap((c) => c.messages.filter((m) => m.direction === 'out'));
    expect(replies.length).toBeGreaterThanOrEqual(5);
    expect(replies.filter((m) => m.delivery?.status !== 'delivered')).toEqual([]);
    expect((await api(server.baseUrl, token, `/api/senders/blocked?inboxId=${support.id}`)).senders).toHaveLength(1);

    // The folder's lock: no demo beside a running server.
    const refused = await demo(dataDir);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`a Parley process (pid ${server.pid}) is using ${dataDir}: stop it first`);
    await stop(server);

    const before = { events: eventCount(dataDir), files: filesUnder(join(dataDir, 'plugins')) };
    const second = await demo(dataDir);
    expect({ code: second.code, stderr: second.stderr }).toEqual({ code: 0, stderr: '' });
    expect(second.stdout).toContain('The demo data was already there: nothing added');
    expect(second.stdout).toContain(`password: ${password}`);
    expect({ events: eventCount(dataDir), files: filesUnder(join(dataDir, 'plugins')) }).toEqual(before);

    server = await serve(dataDir);
    const again = await inboxState(server.baseUrl, await login(server.baseUrl, 'admin@localhost', password!));
    expect(again.inboxes).toEqual(shown.inboxes);
    expect(again.conversations.length).toBe(shown.conversations.length);
    await stop(server);
  }, 600_000);

  it('signs in as PARLEY_ADMIN_EMAIL / PARLEY_ADMIN_PASSWORD like npm start, and neither prints nor stores that password', async () => {
    const dataDir = join(scratch, 'with-admin');
    const admin = { PARLEY_ADMIN_EMAIL: 'owner@despaak.example', PARLEY_ADMIN_PASSWORD: 'fietsen-zijn-fijn-42' };
    const result = await demo(dataDir, admin);
    expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: '' });
    expect(result.stdout).toContain('email:    owner@despaak.example');
    expect(result.stdout).toContain('password: the one in PARLEY_ADMIN_PASSWORD');
    expect(result.stdout).not.toContain(admin.PARLEY_ADMIN_PASSWORD);
    expect(readFileSync(join(dataDir, 'demo-login.json'), 'utf8')).not.toContain(admin.PARLEY_ADMIN_PASSWORD);

    const server = await serve(dataDir);
    const token = await login(server.baseUrl, admin.PARLEY_ADMIN_EMAIL, admin.PARLEY_ADMIN_PASSWORD);
    const { views } = await api(server.baseUrl, token, '/api/views');
    expect(views.find((v: { id: string }) => v.id === 'assigned-to-me').count).toBeGreaterThan(0);
    await stop(server);
  }, 600_000);

  it('refuses a data folder that holds a Parley it did not fill, and leaves it as it was', async () => {
    const dataDir = join(scratch, 'in-use-before');
    const t = await startTestApp({ dataDir });
    await t.close();
    const events = eventCount(dataDir);

    const result = await demo(dataDir);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`${dataDir} already holds a Parley the demo did not fill`);
    expect(existsSync(join(dataDir, 'demo-login.json'))).toBe(false);
    expect(eventCount(dataDir)).toBe(events);
  }, 120_000);
});

interface Shown {
  agents: number;
  inboxes: Array<{ id: string; name: string; isDefault: boolean; views: Record<string, number>; customViews: Array<{ name: string; count: number }> }>;
  conversations: Array<{
    channel: string;
    subject: string;
    lastReceivedAt: string;
    ticket: unknown;
    comments: Array<{ mentions: string[] }>;
    messages: Array<{ direction: string; html: string | null; attachments: Array<{ contentType: string }>; delivery: { status: string } | null }>;
  }>;
}

/** What an admin sees over the API: every inbox's view counts and every conversation in full. */
async function inboxState(baseUrl: string, token: string): Promise<Shown> {
  const { agents } = await api(baseUrl, token, '/api/agents');
  const { inboxes } = await api(baseUrl, token, '/api/inboxes');
  const shown: Shown = { agents: agents.length, inboxes: [], conversations: [] };
  for (const inbox of inboxes as Array<{ id: string; name: string; isDefault: boolean }>) {
    const { views } = await api(baseUrl, token, `/api/views?inboxId=${inbox.id}`);
    type View = { id: string; name: string; count: number; custom: boolean };
    shown.inboxes.push({
      id: inbox.id,
      name: inbox.name,
      isDefault: inbox.isDefault,
      views: Object.fromEntries((views as View[]).filter((v) => !v.custom).map((v) => [v.id, v.count])),
      customViews: (views as View[]).filter((v) => v.custom).map((v) => ({ name: v.name, count: v.count })),
    });
    const { items } = await api(baseUrl, token, `/api/conversations?inboxId=${inbox.id}&hideTrash=false&limit=200`);
    for (const item of items as Array<{ id: string }>) shown.conversations.push(await api(baseUrl, token, `/api/conversations/${item.id}`));
  }
  shown.inboxes.sort((a, b) => a.name.localeCompare(b.name));
  return shown;
}

async function login(baseUrl: string, email: string, password: string): Promise<string> {
  const res = await fetch(`${baseUrl}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password }),
  });
  const body = (await res.json()) as { token: string };
  if (res.status !== 200) throw new Error(`login as ${email}: ${res.status} ${JSON.stringify(body)}`);
  return body.token;
}

async function api(baseUrl: string, token: string, path: string): Promise<any> {
  const res = await fetch(`${baseUrl}${path}`, { headers: { authorization: `Bearer ${token}` } });
  const body = await res.json();
  if (res.status !== 200) throw new Error(`GET ${path}: ${res.status} ${JSON.stringify(body)}`);
  return body;
}

function eventCount(dataDir: string): number {
  const db = new Database(databaseFile(dataDir), { readonly: true });
  try {
    return db.prepare('SELECT COUNT(*) FROM events').pluck().get() as number;
  } finally {
    db.close();
  }
}

/** Every file the email channel keeps (originals, attachments, the thread index), with its size. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => `${join(entry.parentPath, entry.name).slice(dir.length)} ${statSync(join(entry.parentPath, entry.name)).size}`)
    .sort();
}
