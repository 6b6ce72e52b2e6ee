import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { REBUILD_FILE_NAME, REBUILD_SEARCH_FILE_NAME } from '../../src/infrastructure/read-store/read-model-rebuild';
import { databaseFile } from '../../src/infrastructure/sqlite/open-database';
import { inbound, startTestApp } from '../support/app-harness';
import { agentEvent, cleanUp, conversationEvent as e, inboxEvent, openEventStore, openReadSide } from '../projections/fixtures';
import { buildCli, dumpAllTables, runCli, spawnCli, type BuiltCli } from './cli-process';

/**
 * `parley replay` and `parley replay --check`, run as the built CLI on a data folder that a
 * (stopped) Parley filled through its HTTP API; and the atomic swap: a replay SIGKILLed while
 * it rebuilds leaves every live table exactly as it was.
 */
describe('parley replay (the built CLI)', () => {
  let built: BuiltCli | undefined;
  let cli: string;
  const scratch = mkdtempSync(join(tmpdir(), 'parley-cli-replay-'));
  const dataDir = join(scratch, 'data');
  const ids: string[] = [];

  beforeAll(async () => {
    const [build, t] = await Promise.all([buildCli('cli-replay'), startTestApp({ dataDir })]);
    built = build;
    cli = build.entry;
    const token = await t.login();
    const post = (url: string, body: unknown = {}) => t.request('POST', url, { token, body });
    const me = (await t.request('GET', '/api/me', { token })).body;
    for (let i = 0; i < 8; i += 1) {
      const id = (await post('/api/channels/api/messages', inbound({ subject: `Kettle ${i}`, text: `kettle number ${i} is broken` }))).body.conversationId;
      ids.push(id);
      if (i % 2 === 0) await post(`/api/conversations/${id}/assign`, { assignee: me.id });
      if (i % 3 === 0) await post(`/api/conversations/${id}/comments`, { text: `note ${i}` });
      if (i % 4 === 0) await post(`/api/conversations/${id}/close`);
    }
    await post(`/api/conversations/${ids[1]}/spam`);
    await post(`/api/conversations/${ids[3]}/trash`);
    await t.close();
  }, 180_000);
  afterAll(async () => {
    await cleanUp();
    rmSync(scratch, { recursive: true, force: true });
    built?.remove();
  });

  const parley = (...args: string[]) => runCli(cli, ['--data-dir', dataDir, ...args]);
  const sql = <T>(work: (db: Database.Database) => T, dir = dataDir): T => {
    const db = new Database(databaseFile(dir));
    try {
      return work(db);
    } finally {
      db.close();
    }
  };
  const docOf = (id: string) => JSON.parse(sql((db) => db.prepare('SELECT doc FROM rm_conversations WHERE id = ?').pluck().get(id) as string));

  it('refuses while a Parley process uses the data folder, and with --force works beside it', async () => {
    const t = await startTestApp({ dataDir });
    try {
      for (const args of [['replay'], ['replay', '--check']]) {
        const refused = await parley(...args);
        expect(refused.code).toBe(2);
        expect(refused.stderr).toContain(`a Parley process (pid ${process.pid}) is using ${dataDir}`);
        expect(refused.stderr).toContain('--force');
      }
      expect(existsSync(join(dataDir, REBUILD_FILE_NAME))).toBe(false);

      const swapped = await parley('replay', '--force');
      expect(swapped.stderr).toBe('');
      expect(swapped).toMatchObject({ code: 0 });
      expect(swapped.stdout).toContain('swapped the rebuilt read models in');
      // The running app's projections carry on over the swapped tables.
      const token = await t.login();
      const res = await t.request('POST', '/api/channels/api/messages', { token, body: inbound({ subject: 'After the swap' }) });
      expect(res.status).toBe(201);
      expect((await t.request('GET', `/api/conversations/${res.body.conversationId}`, { token })).body.subject).toBe('After the swap');
      ids.push(res.body.conversationId);
      const check = await parley('replay', '--check', '--force');
      expect(check.stdout).toContain('the live read models equal the rebuilt ones');
      expect(check.code).toBe(0);
    } finally {
      await t.close();
    }
  });

  it('replay --check prints each difference of a corrupted read model, exits 1, and changes nothing', async () => {
    const [a, b] = [ids[0], ids[2]];
    const original = docOf(a);
    sql((db) => {
      db.prepare(`UPDATE rm_conversations SET doc = json_set(doc, '$.subject', 'corrupted') WHERE id = ?`).run(a);
      db.prepare(`DELETE FROM view_counts WHERE inbox_id = ? AND view_id = 'all-closed' AND agent_id = ''`).run(original.inboxId);
      db.prepare(
        `INSERT INTO rm_comments (id, conversation_id, position, author_id, text, mentions, at) VALUES ('bogus', ?, 1, 'x', 'never said', '[]', 'now')`,
      ).run(b);
    });
    const before = sql(dumpAllTables);

    const check = await parley('replay', '--check');
    expect(check.stderr).toBe('');
    expect(check.code).toBe(1);
    const lines = check.stdout.split('\n');
    // A JSON document column shows only the fields that differ.
    expect(lines).toContainEqual(`rm_conversations {"id":"${a}"}: live {"doc":{"subject":"corrupted"}} vs rebuilt {"doc":{"subject":"${original.subject}"}}`);
    expect(lines).toContainEqual(
      expect.stringMatching(
        new RegExp(`^view_counts \\{"inbox_id":"${original.inboxId}","view_id":"all-closed","agent_id":""\\}: live \\(missing\\) vs rebuilt \\{.*"count":\\d+`),
      ),
    );
    expect(lines).toContainEqual(
      `rm_comments {"id":"bogus"}: live {"id":"bogus","conversation_id":"${b}","position":1,"author_id":"x","text":"never said","mentions":"[]","at":"now"} vs rebuilt (missing)`,
    );
    expect(check.stdout).toMatch(/3 differences in 3 tables; nothing was changed\n$/);

    expect(sql(dumpAllTables)).toEqual(before);
    expect(existsSync(join(dataDir, REBUILD_FILE_NAME))).toBe(false);
  });

  it('replay swaps the rebuilt read models in; --check then finds them equal', async () => {
    const before = sql(dumpAllTables);
    const result = await parley('replay');
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    // Not a terminal: plain lines, no progress bar escapes.
    expect(result.stdout).not.toContain('\u001b[');
    expect(result.stdout).toMatch(/^rebuilt the read models from \d+ events in [\d.]+ s \(\d+ events\/s(, 2 threads)?\)$/m);

    expect(docOf(ids[0]).subject).toBe('Kettle 0');
    const after = sql(dumpAllTables);
    expect(after.events).toEqual(before.events);
    expect(after.processor_checkpoints).toEqual(before.processor_checkpoints);
    expect(after.rm_comments).not.toContainEqual(expect.stringContaining('never said'));
    expect(sql((db) => db.prepare('PRAGMA integrity_check').pluck().get())).toBe('ok');

    const check = await parley('replay', '--check');
    expect(check).toMatchObject({ code: 0, stderr: '' });
    expect(check.stdout).toContain('the live read models equal the rebuilt ones');
    expect(existsSync(join(dataDir, REBUILD_FILE_NAME))).toBe(false);
  });

  it('killed (SIGKILL) in the middle of the rebuild, it leaves every live table byte for byte as it was', async () => {
    const bigDir = join(scratch, 'big');
    await seedDirectly(bigDir, 5000);
    const victim = sql((db) => db.prepare('SELECT id FROM rm_conversations LIMIT 1').pluck().get() as string, bigDir);
    sql((db) => db.prepare(`UPDATE rm_conversations SET doc = json_set(doc, '$.subject', 'corrupted') WHERE id = ?`).run(victim), bigDir);
    const before = sql(dumpAllTables, bigDir);

    // One event per transaction keeps the rebuild going for seconds.
    const replay = spawnCli(cli, ['--data-dir', bigDir, 'replay'], { PARLEY_REPLAY_BATCH_SIZE: '1' });
    const line = await replay.waitForLine(/^replay: \d+\/\d+ events/, 60_000);
    const [applied, total] = /^replay: (\d+)\/(\d+)/.exec(line)!.slice(1).map(Number);
    expect(applied).toBeLessThan(total);
    replay.child.kill('SIGKILL');
    const killed = await replay.exited;
    expect({ signal: killed.signal, swapped: killed.stdout.includes('swapped') }).toEqual({ signal: 'SIGKILL', swapped: false });
    expect(existsSync(join(bigDir, REBUILD_FILE_NAME))).toBe(true);

    expect(sql(dumpAllTables, bigDir)).toEqual(before);

    // The next replay starts over (the dead pid and the half-built file are no obstacle) and swaps.
    const again = await runCli(cli, ['--data-dir', bigDir, 'replay']);
    expect(again.stderr).toBe('');
    expect(again.code).toBe(0);
    expect(JSON.parse(sql((db) => db.prepare('SELECT doc FROM rm_conversations WHERE id = ?').pluck().get(victim) as string, bigDir)).subject).toBe(
      'Order 1234',
    );
    expect(existsSync(join(bigDir, REBUILD_FILE_NAME))).toBe(false);
  }, 120_000);

  it('stops with exit 1 when a projection cannot apply an event, and the live tables stay as they were', async () => {
    const brokenDir = join(scratch, 'broken');
    await seedDirectly(brokenDir, 3);
    // A payload no projection can read (the chain check would flag it too).
    sql(
      (db) =>
        db
          .prepare(
            `UPDATE events SET data = '{}' WHERE type = 'MessageReceived' AND position = (SELECT MIN(position) FROM events WHERE type = 'MessageReceived')`,
          )
          .run(),
      brokenDir,
    );
    const before = sql(dumpAllTables, brokenDir);
    const result = await runCli(cli, ['--data-dir', brokenDir, 'replay']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /the rebuild failed; the live read models are untouched: projection failed to apply an event; retrying the batch \(projection conversations, event MessageReceived, position \d+\)/,
    );
    expect(result.stdout).not.toContain('swapped');
    expect(sql(dumpAllTables, brokenDir)).toEqual(before);
    expect(existsSync(join(brokenDir, REBUILD_FILE_NAME))).toBe(false);
  });

  it('one thread or two (the search index in a worker thread) rebuild the same read models', async () => {
    const k = sql((db) => db.prepare('SELECT k FROM search_conversations WHERE id = ?').pluck().get(ids[0]) as number);
    sql((db) => db.prepare(`UPDATE search_conversations SET status = 'corrupted' WHERE k = ?`).run(k));
    const twoThreads = await runCli(cli, ['--data-dir', dataDir, 'replay', '--check'], { PARLEY_REPLAY_THREADS: '2' });
    expect(twoThreads.code).toBe(1);
    expect(twoThreads.stdout).toMatch(/^rebuilt the read models from \d+ events in [\d.]+ s \(\d+ events\/s, 2 threads\)$/m);
    expect(twoThreads.stdout).toContain(`search_conversations {"k":${k}}: live {"status":"corrupted"} vs rebuilt {"status":"${docOf(ids[0]).status}"}`);
    expect(twoThreads.stdout).toMatch(/1 difference in 1 table; nothing was changed\n$/);

    const oneThread = await runCli(cli, ['--data-dir', dataDir, 'replay'], { PARLEY_REPLAY_THREADS: '1' });
    expect(oneThread).toMatchObject({ code: 0, stderr: '' });
    expect(oneThread.stdout).toMatch(/^rebuilt the read models from \d+ events in [\d.]+ s \(\d+ events\/s\)$/m);
    const checkpoints = () => sql((db) => db.prepare('SELECT name, version, position FROM projection_checkpoints ORDER BY name').all());
    const afterOne = { tables: sql(dumpAllTables), checkpoints: checkpoints() };
    expect(afterOne.checkpoints.map((row) => (row as { name: string }).name)).toContain('search');

    const swappedByTwo = await runCli(cli, ['--data-dir', dataDir, 'replay'], { PARLEY_REPLAY_THREADS: '2' });
    expect(swappedByTwo).toMatchObject({ code: 0, stderr: '' });
    expect({ tables: sql(dumpAllTables), checkpoints: checkpoints() }).toEqual(afterOne);
    const check = await runCli(cli, ['--data-dir', dataDir, 'replay', '--check'], { PARLEY_REPLAY_THREADS: '1' });
    expect(check.stdout).toContain('the live read models equal the rebuilt ones');
    for (const name of [REBUILD_FILE_NAME, REBUILD_SEARCH_FILE_NAME]) expect(existsSync(join(dataDir, name))).toBe(false);
  });

  it('exits 2 for a bad PARLEY_REPLAY_THREADS', async () => {
    const result = await runCli(cli, ['--data-dir', dataDir, 'replay', '--check'], { PARLEY_REPLAY_THREADS: '8' });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('PARLEY_REPLAY_THREADS="8" is not 1 or 2');
  });

  it('exits 2 for a bad PARLEY_REPLAY_BATCH_SIZE', async () => {
    const result = await runCli(cli, ['--data-dir', dataDir, 'replay', '--check'], { PARLEY_REPLAY_BATCH_SIZE: 'lots' });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('PARLEY_REPLAY_BATCH_SIZE="lots"');
  });
});

/** Many conversations written straight to the log (fast), with the live read models caught up. */
async function seedDirectly(dataDir: string, conversations: number): Promise<void> {
  const { store, file } = openEventStore(databaseFile(dataDir));
  const readSide = openReadSide(file, store);
  const inboxId = randomUUID();
  const agentId = randomUUID();
  await store.append(`inbox-${inboxId}`, [inboxEvent.created(inboxId, 'Support', 'support@acme.test', true)], { expectedRevision: 'no-stream' });
  await store.append(`agent-${agentId}`, [agentEvent.registered(agentId, 'Ada', 'ada@acme.test')], { expectedRevision: 'no-stream' });
  const appends: Array<Promise<unknown>> = [];
  for (let i = 0; i < conversations; i += 1) {
    const id = randomUUID();
    appends.push(
      store.append(
        `conversation-${id}`,
        [
          e.started({ conversationId: id, inboxId }),
          e.received({ receivedAt: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString() }),
          e.assigned({ type: 'agent', id: agentId }),
          e.commented(agentId),
        ],
        { expectedRevision: 'no-stream' },
      ),
    );
    if (appends.length === 250) await Promise.all(appends.splice(0));
  }
  await Promise.all(appends);
  readSide.runner.start();
  if (!(await readSide.runner.waitFor(await store.headPosition(), 60_000))) throw new Error('the seed was not projected');
  await cleanUp();
}
