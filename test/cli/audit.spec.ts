import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { GENESIS_HASH, hashEvent } from '../../src/application/audit/hash-chain';
import { databaseFile } from '../../src/infrastructure/sqlite/open-database';
import { inbound, startTestApp, type TestApp } from '../support/app-harness';
import { agentEvent, append, cleanUp, conversationEvent, openEventStore } from '../projections/fixtures';
import { buildCli, runCli, type BuiltCli } from './cli-process';

/** `parley audit verify` and `parley audit export`, run as the built CLI beside a running app. */
describe('parley audit (the built CLI)', () => {
  let built: BuiltCli | undefined;
  let cli: string;
  let t: TestApp;
  let token: string;
  const scratch = mkdtempSync(join(tmpdir(), 'parley-cli-audit-'));

  beforeAll(async () => {
    [built, t] = await Promise.all([buildCli('cli-audit'), startTestApp()]);
    cli = built.entry;
    token = await t.login();
  }, 180_000);
  afterAll(async () => {
    await t.close();
    await cleanUp();
    rmSync(scratch, { recursive: true, force: true });
    built?.remove();
  });

  const parley = (...args: string[]) => runCli(cli, ['--data-dir', t.dataDir, ...args]);
  const post = (url: string, body: unknown = {}) => t.request('POST', url, { token, body });
  /** A conversation with a few events: started, message, assigned to the admin, comment, closed. */
  async function conversation(): Promise<{ id: string; events: Array<Record<string, any>> }> {
    const id = (await post('/api/channels/api/messages', inbound())).body.conversationId as string;
    const me = (await t.request('GET', '/api/me', { token })).body;
    await post(`/api/conversations/${id}/assign`, { assignee: me.id });
    await post(`/api/conversations/${id}/comments`, { text: 'checked the order' });
    await post(`/api/conversations/${id}/close`);
    const events = (await t.request('GET', `/api/conversations/${id}/history`, { token })).body.events;
    return { id, events };
  }
  const sql = <T>(work: (db: Database.Database) => T): T => {
    const db = new Database(join(t.dataDir, 'parley.db'));
    try {
      return work(db);
    } finally {
      db.close();
    }
  };
  const httpVerify = async (id: string) => (await t.request('GET', `/api/audit/verify?conversationId=${id}`, { token })).body;

  it('prints its help and exits 0', async () => {
    const result = await runCli(cli, ['--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('audit verify [--all | --conversation <id>]');
    expect(result.stdout).toContain('audit export --conversation <id> [--out <file>]');
    expect(result.stdout).toContain('replay [--check] [--force]');
  });

  describe('audit verify', () => {
    it('finds every chain intact (exit 0), with --all and by default', async () => {
      await conversation();
      await conversation();
      for (const args of [
        ['audit', 'verify', '--all'],
        ['audit', 'verify'],
      ]) {
        const result = await parley(...args);
        expect(result).toMatchObject({ code: 0, stderr: '' });
        expect(result.stdout).toMatch(/^verified \d+ streams, \d+ events in .*parley\.db: every chain is intact\n$/);
      }
    });

    it('verifies one conversation, by id or by stream name', async () => {
      const { id, events } = await conversation();
      for (const name of [id, `conversation-${id}`]) {
        const result = await parley('audit', 'verify', '--conversation', name);
        expect(result.code).toBe(0);
        expect(result.stdout).toContain(`ok      conversation-${id} (${events.length} events)`);
      }
    });

    it('an event row edited in SQLite: the HTTP verify and the CLI both fail at exactly that event', async () => {
      const { id, events } = await conversation();
      const edited = events[3];
      sql((db) => db.prepare(`UPDATE events SET data = json_set(data, '$.text', 'nothing to see') WHERE event_id = ?`).run(edited.id));

      const http = await httpVerify(id);
      expect(http).toMatchObject({
        ok: false,
        firstBreak: { revision: 3, eventId: edited.id, position: edited.position, reason: 'hash-mismatch', actual: edited.hash },
      });

      const one = await parley('audit', 'verify', '--conversation', id);
      const all = await parley('audit', 'verify', '--all');
      const expectedLine =
        `BROKEN  conversation-${id}: first break at revision 3 (event ${edited.id}, position ${edited.position}): hash-mismatch; ` +
        `recomputed hash ${http.firstBreak.expected}, stored hash ${edited.hash}`;
      for (const result of [one, all]) {
        expect(result.code).toBe(1);
        expect(result.stdout.split('\n')).toContain(expectedLine);
      }
      expect(all.stdout).toMatch(/: 1 broken\n$/);
    });

    it('a row deleted from the middle of a stream: the revision gap shows at the next event, in both', async () => {
      const { id, events } = await conversation();
      sql((db) => db.prepare('DELETE FROM events WHERE event_id = ?').run(events[2].id));

      const http = await httpVerify(id);
      expect(http).toMatchObject({
        ok: false,
        firstBreak: { revision: 3, eventId: events[3].id, position: events[3].position, reason: 'revision-gap', expected: '2', actual: '3' },
      });
      const cli = await parley('audit', 'verify', '--conversation', id);
      expect(cli.code).toBe(1);
      expect(cli.stdout).toContain(
        `BROKEN  conversation-${id}: first break at revision 3 (event ${events[3].id}, position ${events[3].position}): revision-gap; expected revision 2, found revision 3`,
      );
    });

    it('the first event removed: the next one does not chain on the genesis hash', async () => {
      const { id, events } = await conversation();
      sql((db) => db.prepare('DELETE FROM events WHERE event_id = ?').run(events[0].id));
      const cli = await parley('audit', 'verify', '--conversation', id);
      expect(cli.code).toBe(1);
      expect(cli.stdout).toContain(`prev-hash-mismatch; previous event's hash ${GENESIS_HASH}, stored prevHash ${events[0].hash}`);
    });

    it('reports a stream whose row was edited into something that is not JSON, and goes on', async () => {
      const { id, events } = await conversation();
      sql((db) => db.prepare(`UPDATE events SET data = '{"text": ' WHERE event_id = ?`).run(events[1].id));
      const one = await parley('audit', 'verify', '--conversation', id);
      expect(one.code).toBe(1);
      expect(one.stdout).toContain(`BROKEN  conversation-${id}: its stored events cannot be read back (`);
      const all = await parley('audit', 'verify');
      expect(all.code).toBe(1);
      expect(all.stdout).toMatch(/^verified \d+ streams, .*: \d+ broken\n$/m);
    });

    it('exits 1 for a conversation that has no events', async () => {
      const result = await parley('audit', 'verify', '--conversation', randomUUID());
      expect(result.code).toBe(1);
      expect(result.stderr).toContain('holds no events');
    });
  });

  describe('audit export', () => {
    it('writes one JSON line per event that re-hashes to the stored chain, and never a password hash', async () => {
      const { id, events } = await conversation();
      const result = await parley('audit', 'export', '--conversation', id);
      expect(result.code).toBe(0);
      const lines = result.stdout
        .trimEnd()
        .split('\n')
        .map((line) => JSON.parse(line) as Record<string, any>);
      // The export is the stored form: the history's events, with the personal values sealed (docs/privacy.md).
      const withoutPersonal = ({ data: _data, actor: _actor, ...rest }: Record<string, any>) => rest;
      expect(lines.map(withoutPersonal)).toEqual(events.map(withoutPersonal));
      expect(lines[0].data.contact.address).toMatch(/^sealed:v1:/);
      expect(result.stdout).not.toContain(events[0].data.contact.address);
      let prevHash = GENESIS_HASH;
      for (const line of lines) {
        expect(Object.keys(line)).toEqual(
          expect.arrayContaining(['position', 'revision', 'type', 'actor', 'occurredAt', 'correlationId', 'causationId', 'data', 'prevHash', 'hash']),
        );
        const { actor, occurredAt, correlationId, causationId } = line;
        expect(line.prevHash).toBe(prevHash);
        expect(hashEvent({ ...line, id: line.id, metadata: { actor, occurredAt, correlationId, causationId } } as never, prevHash)).toBe(line.hash);
        prevHash = line.hash;
      }
      expect(result.stdout).not.toMatch(/password/i);
    });

    it('--out writes the same lines to a file only its owner can read', async () => {
      const { id } = await conversation();
      const out = join(scratch, `${id}.jsonl`);
      const toStdout = await parley('audit', 'export', '--conversation', id);
      const toFile = await parley('audit', 'export', '--conversation', id, '--out', out);
      expect(toFile.code).toBe(0);
      expect(toFile.stderr).toContain(`to ${out}`);
      expect(readFileSync(out, 'utf8')).toBe(toStdout.stdout);
      expect(statSync(out).mode & 0o777).toBe(0o600);
    });

    it('refuses streams that are not conversations', async () => {
      const me = (await t.request('GET', '/api/me', { token })).body as { id: string };
      const byName = await parley('audit', 'export', '--conversation', `agent-${me.id}`);
      expect(byName.code).toBe(2);
      expect(byName.stderr).toContain('is not a conversation id');
      expect(byName.stdout).toBe('');

      // A conversation-named stream that holds an agent's events (with a password hash) is refused too.
      const dataDir = mkdtempSync(join(scratch, 'forged-'));
      const { store } = openEventStore(databaseFile(dataDir));
      const forged = randomUUID();
      await append(
        store,
        `conversation-${forged}`,
        conversationEvent.started({ conversationId: forged, inboxId: 'inbox' }),
        agentEvent.registered('a-1', 'Mallory', 'm@example.com'),
      );
      const refused = await runCli(cli, ['--data-dir', dataDir, 'audit', 'export', '--conversation', forged]);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain('holds a AgentRegistered event');
      expect(refused.stdout).toBe('');
    });

    it('exits 1 for an unknown conversation', async () => {
      const result = await parley('audit', 'export', '--conversation', randomUUID());
      expect(result.code).toBe(1);
      expect(result.stdout).toBe('');
    });
  });

  describe('usage errors exit 2', () => {
    it.each([
      [['audit', 'verify', '--all', '--conversation', '00000000-0000-4000-8000-000000000000'], 'not both'],
      [['audit', 'verify', '--conversation', 'nope'], 'is not a conversation id'],
      [['audit', 'export'], 'needs --conversation'],
      [['audit', 'verify', '--out', 'x'], 'does not take --out'],
      [['audit', 'shred'], 'unknown command'],
      [['audit', 'verify', '--frobnicate'], "Unknown option '--frobnicate'"],
    ])('%j', async (args, message) => {
      const result = await parley(...args);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(message);
    });

    it('no command at all prints the help to stderr', async () => {
      const result = await runCli(cli, []);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain('Usage: parley');
    });

    it('a data folder without a database', async () => {
      const result = await runCli(cli, ['audit', 'verify'], { PARLEY_DATA_DIR: join(scratch, 'nothing-here') });
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(`there is no Parley event log at ${join(scratch, 'nothing-here', 'parley.db')}`);
    });
  });
});
