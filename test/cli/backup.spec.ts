import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { createTransport } from 'nodemailer';
import {
  buildServer,
  builtCliEntry,
  expectGracefulExit,
  removeServerBuild,
  startServer,
  stopAllServers,
  TEST_ADMIN,
  type ServerProcess,
} from '../support/server-process';
import { inbound } from '../support/app-harness';
import { runCli } from './cli-process';

/**
 * `parley backup <folder>` against a REAL server process that keeps taking messages while the
 * backup runs, then the restore the operations guide describes (copy the folder into a fresh
 * data folder with `cp -a`), a new server on it, and `parley audit verify` on the restored log.
 */
describe('parley backup and restore (a running server, the built CLI)', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'parley-backup-'));
  const dataDir = join(scratch, 'data');
  const backupDir = join(scratch, 'backups', 'parley-backup');
  const restoredDir = join(scratch, 'restored');
  // The signing key in the data folder (no PARLEY_SECRET): the backup must carry it, or every session dies on restore.
  const env = { PARLEY_SECRET: '' };

  beforeAll(async () => {
    await buildServer();
  }, 180_000);
  afterAll(async () => {
    await stopAllServers();
    removeServerBuild();
    rmSync(scratch, { recursive: true, force: true });
  });

  const call = async (server: ServerProcess, method: string, url: string, token?: string, body?: unknown) => {
    const res = await fetch(`${server.baseUrl}${url}`, {
      method,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json().catch(() => null)) as any };
  };
  const login = async (server: ServerProcess) => (await call(server, 'POST', '/api/auth/login', undefined, TEST_ADMIN)).body.token as string;
  const cli = (args: string[]) => runCli(builtCliEntry(), args, {}, 60_000);

  it('copies the data folder while the server writes, owner-only; the restored copy serves the same conversations, files and sessions, and its chains are intact', async () => {
    const server = await startServer({ dataDir, env });
    const token = await login(server);
    const before: string[] = [];
    for (let i = 0; i < 5; i += 1) {
      const res = await call(server, 'POST', '/api/channels/api/messages', token, inbound({ subject: `Before backup ${i}` }));
      expect(res.status).toBe(201);
      before.push(res.body.conversationId);
    }
    await createTransport({ host: '127.0.0.1', port: server.smtpPort, secure: false, ignoreTLS: true }).sendMail({
      from: 'jane@customer.test',
      to: 'support@localhost',
      subject: 'Invoice attached',
      text: 'See the attachment.',
      attachments: [{ filename: 'invoice.txt', content: 'total: 42 EUR' }],
    });
    const emailConversation = (await call(server, 'GET', '/api/views/all-open/conversations?limit=50', token)).body.items.find(
      (c: { subject: string }) => c.subject === 'Invoice attached',
    );
    expect(emailConversation).toBeDefined();
    const thread = (await call(server, 'GET', `/api/conversations/${emailConversation.id}`, token)).body;
    const attachmentId = thread.messages.flatMap((m: { attachments?: { id: string }[] }) => m.attachments ?? [])[0]?.id as string;
    expect(attachmentId).toEqual(expect.any(String));

    // Writes go on during the backup: the copy is a snapshot of one instant all the same.
    let writing = true;
    const during = (async () => {
      let n = 0;
      while (writing) {
        await call(server, 'POST', '/api/channels/api/messages', token, inbound({ subject: `During backup ${n++}` }));
      }
      return n;
    })();
    const result = await cli(['--data-dir', dataDir, 'backup', backupDir]);
    writing = false;
    expect(await during).toBeGreaterThan(0);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(new RegExp(`^backed up .+ to ${backupDir}: the database \\(.+\\) and \\d+ other files`));

    // Owner-only, and only the data: no WAL of the live connection, no pid record of the running server, no spool.
    const entries = walk(backupDir);
    expect(statSync(backupDir).mode & 0o777).toBe(0o700);
    for (const [path, mode] of entries) expect([path, mode]).toEqual([path, path.endsWith('/') ? 0o700 : 0o600]);
    const names = entries.map(([path]) => path);
    expect(names).toEqual(expect.arrayContaining(['parley.db', 'secret.key', 'plugins/']));
    expect(names.filter((p) => p.startsWith('plugins/email/') && !p.endsWith('/')).length).toBeGreaterThan(1);
    expect(names.filter((p) => /parley\.db-(wal|shm)$|parley\.pid$|(^|\/)spool\//.test(p))).toEqual([]);
    expect(readdirSync(join(scratch, 'backups'))).toEqual(['parley-backup']); // no partial folder left

    server.signal('SIGTERM');
    await expectGracefulExit(server, 15_000);

    // The documented restore: a fresh, owner-only folder, the backup copied in with its modes.
    mkdirSync(restoredDir, { mode: 0o700 });
    execFileSync('cp', ['-a', `${backupDir}/.`, restoredDir]);
    const restored = await startServer({ dataDir: restoredDir, env });
    // The session from before still holds: secret.key came along.
    for (const id of before) expect((await call(restored, 'GET', `/api/conversations/${id}`, token)).status).toBe(200);
    const blob = await fetch(`${restored.baseUrl}/api/channels/email/blobs/${encodeURIComponent(attachmentId)}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(blob.status).toBe(200);
    expect(await blob.text()).toBe('total: 42 EUR');
    restored.signal('SIGTERM');
    await expectGracefulExit(restored, 15_000);

    const verify = await cli(['--data-dir', restoredDir, 'audit', 'verify', '--all']);
    expect(verify.code).toBe(0);
    expect(verify.stdout).toMatch(/every chain is intact/);
  }, 180_000);

  it('refuses (exit 2) without a folder, into a folder that holds anything, or inside the data folder', async () => {
    const missing = await cli(['--data-dir', dataDir, 'backup']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('backup needs the folder to write: parley backup <folder>');

    const full = join(scratch, 'not-empty');
    mkdirSync(full);
    writeFileSync(join(full, 'keep.txt'), 'mine');
    const refused = await cli(['--data-dir', dataDir, 'backup', full]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`${full} already exists: give a new folder (or an empty one), a backup never overwrites`);
    expect(readdirSync(full)).toEqual(['keep.txt']);

    const inside = await cli(['--data-dir', dataDir, 'backup', join(dataDir, 'backup')]);
    expect(inside.code).toBe(2);
    expect(inside.stderr).toContain('is inside the data folder');
    expect(existsSync(join(dataDir, 'backup'))).toBe(false);

    const noData = await cli(['--data-dir', join(scratch, 'nowhere'), 'backup', join(scratch, 'x')]);
    expect(noData.code).toBe(2);
    expect(noData.stderr).toContain('there is no Parley event log');
  }, 60_000);
});

/** Every entry under root as [relative path (folders end in /), permission bits]. */
function walk(root: string): [string, number][] {
  const found: [string, number][] = [];
  const visit = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = join(dir, entry.name);
      const path = relative(root, full) + (entry.isDirectory() ? '/' : '');
      found.push([path, statSync(full).mode & 0o777]);
      if (entry.isDirectory()) visit(full);
    }
  };
  visit(root);
  return found;
}
