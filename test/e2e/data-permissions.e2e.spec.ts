import { chmodSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTransport } from 'nodemailer';
import { startTestApp } from '../support/app-harness';
import { buildServer, expectGracefulExit, removeServerBuild, startServer, stopAllServers } from '../support/server-process';

/**
 * The data folder holds every conversation, every original email and the signing key: only the
 * user Parley runs as may read it. Folders 0700, files 0600, whatever the umask Parley was
 * started with (the test runner's is usually 022, which made them world-readable).
 */
describe('data folder permissions', () => {
  let parent: string;

  beforeAll(async () => {
    parent = mkdtempSync(join(tmpdir(), 'parley-perms-'));
    await buildServer();
  }, 180_000);
  afterAll(async () => {
    await stopAllServers();
    removeServerBuild();
    rmSync(parent, { recursive: true, force: true });
  });

  const modeOf = (path: string) => statSync(path).mode & 0o777;

  /** Every entry under `root` (itself included) with its mode, as `path: 0ooo`. */
  function modes(root: string): Record<string, string> {
    const found: Record<string, string> = { '.': modeOf(root).toString(8) };
    const walk = (dir: string, prefix: string) => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const relative = prefix ? `${prefix}/${entry.name}` : entry.name;
        found[relative] = modeOf(join(dir, entry.name)).toString(8);
        if (entry.isDirectory()) walk(join(dir, entry.name), relative);
      }
    };
    walk(root, '');
    return found;
  }

  /** Only the owner: nothing for group or others. */
  function expectPrivate(root: string): void {
    const all = modes(root);
    const open = Object.entries(all).filter(([, mode]) => (parseInt(mode, 8) & 0o077) !== 0);
    expect(open).toEqual([]);
  }

  async function sendMail(smtpPort: number) {
    await createTransport({ host: '127.0.0.1', port: smtpPort, secure: false, ignoreTLS: true }).sendMail({
      from: 'jane@customer.test',
      to: 'support@localhost',
      subject: 'Private matters',
      text: 'My account number is 12345.',
      attachments: [{ filename: 'statement.txt', content: 'balance: 100' }],
    });
  }

  it('a server creates its data folder 0700 and the database, its WAL, the secret key and the mail files 0600', async () => {
    const dataDir = join(parent, 'fresh', 'data');
    const server = await startServer({ dataDir, env: { PARLEY_SECRET: '' } });
    await sendMail(server.smtpPort);
    const all = modes(dataDir);
    expect(all['.']).toBe('700');
    for (const file of ['parley.db', 'parley.db-wal', 'parley.db-shm', 'secret.key']) expect(all[file]).toBe('600');
    expect(Object.keys(all).filter((path) => path.startsWith('plugins/email/')).length).toBeGreaterThan(3);
    expectPrivate(dataDir);
    server.signal('SIGTERM');
    await expectGracefulExit(server, 15_000);
  }, 60_000);

  it('a server started on an existing folder with world-readable files narrows them to 0600', async () => {
    const dataDir = join(parent, 'existing');
    let server = await startServer({ dataDir, env: { PARLEY_SECRET: '' } });
    await sendMail(server.smtpPort);
    server.signal('SIGTERM');
    await expectGracefulExit(server, 15_000);
    // As an older version left them: the database, the key, the stored emails and their folders.
    for (const file of ['parley.db', 'secret.key']) chmodSync(join(dataDir, file), 0o644);
    chmodSync(dataDir, 0o755);
    const stored = Object.keys(modes(dataDir)).filter((path) => path.startsWith('plugins/email'));
    for (const path of stored) chmodSync(join(dataDir, path), statSync(join(dataDir, path)).isDirectory() ? 0o755 : 0o644);

    server = await startServer({ dataDir, env: { PARLEY_SECRET: '' } });
    expect(modeOf(dataDir)).toBe(0o700);
    expect(modeOf(join(dataDir, 'parley.db'))).toBe(0o600);
    expect(modeOf(join(dataDir, 'secret.key'))).toBe(0o600);
    expect(modeOf(join(dataDir, 'parley.db-wal'))).toBe(0o600);
    expect(stored.length).toBeGreaterThan(3);
    for (const path of stored) expect([path, modeOf(join(dataDir, path))]).toEqual([path, statSync(join(dataDir, path)).isDirectory() ? 0o700 : 0o600]);
    server.signal('SIGTERM');
    await expectGracefulExit(server, 15_000);
  }, 60_000);

  it('holds when Parley is embedded (createApp without the entry point, under the caller umask)', async () => {
    const dataDir = join(parent, 'embedded', 'data');
    const t = await startTestApp({ dataDir, env: { PARLEY_SECRET: '' } });
    try {
      await sendMail(t.smtpPort);
      const all = modes(dataDir);
      expect(all['.']).toBe('700');
      for (const file of ['parley.db', 'parley.db-wal', 'secret.key']) expect(all[file]).toBe('600');
      expectPrivate(dataDir);
    } finally {
      await t.close();
    }
  });
});
