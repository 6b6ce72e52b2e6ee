import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join, sep } from 'node:path';
import { createTransport } from 'nodemailer';
import { buildServer, expectGracefulExit, removeServerBuild, startServer, stopAllServers, type ServerProcess } from '../support/server-process';

/** Peak and current resident memory of a process, in MB (Linux /proc). */
function memoryOf(pid: number): { peakMb: number; rssMb: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { peakMb: kb('VmHWM') / 1024, rssMb: kb('VmRSS') / 1024 };
}

function filesUnder(dir: string): { path: string; size: number }[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile())
    .map((entry) => {
      const path = join(entry.parentPath, entry.name);
      return { path, size: statSync(path).size };
    });
}

/** The first line a new SMTP connection gets (the greeting, or a refusal). */
function greeting(port: number, from = '127.0.0.1'): Promise<{ line: string; close(): void }> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1', localAddress: from });
    let text = '';
    socket.on('data', (chunk) => {
      text += chunk.toString('latin1');
      if (text.includes('\r\n')) resolve({ line: text.split('\r\n')[0], close: () => socket.destroy() });
    });
    socket.on('error', reject);
  });
}

/**
 * Large mail must not take the server down: SMTP sessions are capped (the surplus is told to
 * try again later, 421), and a message is spooled to disk as it arrives instead of being held in
 * memory, so four 20 MB mails at once neither balloon the memory nor stall /health.
 */
describe('email channel under large mail', () => {
  let parent: string;
  let server: ServerProcess;

  beforeAll(async () => {
    parent = mkdtempSync(join(tmpdir(), 'parley-large-mail-'));
    await buildServer();
    server = await startServer({
      dataDir: join(parent, 'data'),
      env: { PARLEY_PLUGIN_EMAIL_MAX_SESSIONS: '6', PARLEY_PLUGIN_EMAIL_MAX_SESSIONS_PER_CLIENT: '3' },
    });
  }, 180_000);
  afterAll(async () => {
    if (server) {
      server.signal('SIGTERM');
      await expectGracefulExit(server, 20_000).catch(() => undefined);
    }
    await stopAllServers();
    removeServerBuild();
    rmSync(parent, { recursive: true, force: true });
  });

  it('answers a client holding its share of sessions with 421, while other clients still get in', async () => {
    const open = [];
    for (let i = 0; i < 3; i += 1) open.push(await greeting(server.smtpPort, '127.0.0.11'));
    expect(open.map((g) => g.line.slice(0, 4))).toEqual(Array(3).fill('220 '));
    const fourth = await greeting(server.smtpPort, '127.0.0.11');
    expect(fourth.line).toMatch(/^421 /);
    fourth.close();
    const other = await greeting(server.smtpPort, '127.0.0.12');
    expect(other.line).toMatch(/^220 /);
    other.close();
    for (const g of open) g.close();
    await new Promise((resolve) => setTimeout(resolve, 300));
  });

  it('answers SMTP sessions beyond the cap with 421 (try again later) and takes new ones once some close', async () => {
    const open = [];
    for (let i = 0; i < 6; i += 1) open.push(await greeting(server.smtpPort, `127.0.0.${20 + (i % 3)}`));
    expect(open.map((g) => g.line.slice(0, 4))).toEqual(Array(6).fill('220 '));
    const surplus = await greeting(server.smtpPort, '127.0.0.30');
    expect(surplus.line).toMatch(/^421 /);
    surplus.close();
    for (const g of open) g.close();
    await new Promise((resolve) => setTimeout(resolve, 300));
    const later = await greeting(server.smtpPort);
    expect(later.line).toMatch(/^220 /);
    later.close();
  });

  it('takes four 20 MB mails at once with bounded memory, /health answering all along, and keeps each original', async () => {
    // Warm up: the first mail loads the parser and its tables.
    await createTransport({ host: '127.0.0.1', port: server.smtpPort, secure: false, ignoreTLS: true }).sendMail({
      from: 'warm@customer.test',
      to: 'support@localhost',
      subject: 'warm up',
      text: 'hello',
    });
    const before = memoryOf(server.pid);

    // /health is asked all along; each answer must be a 200 (speed is the benchmarks' business, not a test's).
    let healthAnswers = 0;
    let polling = true;
    const poll = (async () => {
      while (polling) {
        const res = await fetch(`${server.baseUrl}/health`);
        expect(res.status).toBe(200);
        healthAnswers += 1;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    })();

    const attachment = randomBytes(15 * 1024 * 1024); // about 20 MB once base64-encoded
    const infos = await Promise.all(
      [1, 2, 3, 4].map((n) =>
        // From four hosts, as four senders would be (one host may hold only 3 sessions here).
        createTransport({ host: '127.0.0.1', port: server.smtpPort, secure: false, ignoreTLS: true, localAddress: `127.0.0.${40 + n}` }).sendMail({
          from: `sender${n}@customer.test`,
          to: 'support@localhost',
          subject: `Large ${n}`,
          text: `Large mail ${n}`,
          attachments: [{ filename: `scan-${n}.bin`, content: Buffer.concat([Buffer.from(`${n}`), attachment]) }],
        }),
      ),
    );
    polling = false;
    await poll;
    const after = memoryOf(server.pid);

    expect(infos.map((info) => info.response.slice(0, 4))).toEqual(Array(4).fill('250 '));
    // Buffered in memory, the four raised the peak by about 450 MB; spooled and parsed as streams,
    // one at a time, by 85-160 MB on a busy machine (garbage the collector has not reclaimed yet included).
    expect(after.peakMb - before.peakMb).toBeLessThan(250);
    expect(healthAnswers).toBeGreaterThan(0);

    // Each original (over 20 MB) and each attachment (15 MB) is stored; the spool is empty again.
    const stored = filesUnder(join(server.dataDir, 'plugins', 'email')).filter((f) => !f.path.includes(`${sep}spool${sep}`));
    expect(stored.filter((f) => f.size > 20 * 1024 * 1024)).toHaveLength(4);
    expect(stored.filter((f) => f.size > 15 * 1024 * 1024 && f.size <= 20 * 1024 * 1024)).toHaveLength(4);
    expect(readdirSync(join(server.dataDir, 'plugins', 'email', 'spool'))).toEqual([]);
  }, 120_000);
});
