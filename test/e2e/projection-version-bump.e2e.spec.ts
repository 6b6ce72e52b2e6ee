import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { conversationsProjection } from '../../src/projections/sqlite/conversations.projection';
import { inbound, startTestApp, type TestApp } from '../support/app-harness';

/**
 * "A projection whose version is bumped rebuilds itself at start-up", through the whole app: a
 * stored version that differs from the code's (what a deploy with a bumped version looks like)
 * makes the next start rebuild that read model from position 0.
 */
describe('a projection version bump rebuilds its read model when the app starts', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'parley-version-bump-'));
  let t: TestApp | undefined;
  afterAll(async () => {
    await t?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const sql = <T>(work: (db: Database.Database) => T): T => {
    const db = new Database(join(dataDir, 'parley.db'));
    try {
      return work(db);
    } finally {
      db.close();
    }
  };

  it('rebuilds the bumped read model from the log and leaves the others alone', async () => {
    t = await startTestApp({ dataDir });
    let token = await t.login();
    const ids: string[] = [];
    for (let i = 0; i < 5; i += 1) {
      const res = await t.request('POST', '/api/channels/api/messages', { token, body: inbound({ subject: `Order ${i}` }) });
      ids.push(res.body.conversationId);
    }
    await t.request('POST', `/api/conversations/${ids[0]}/close`, { token, body: {} });
    await t.request('POST', `/api/conversations/${ids[1]}/comments`, { token, body: { text: 'original note' } });
    const details = await Promise.all(ids.map(async (id) => (await t!.request('GET', `/api/conversations/${id}`, { token })).body));
    const views = (await t.request('GET', '/api/views', { token })).body;
    await t.close();
    t = undefined;

    // What a deploy with conversations v+1 finds: another version stored, rows of the old shape.
    sql((db) => {
      db.prepare('UPDATE projection_checkpoints SET version = version + 100 WHERE name = ?').run(conversationsProjection.name);
      db.prepare(`UPDATE rm_conversations SET doc = json_set(doc, '$.subject', 'stale shape')`).run();
      db.prepare('DELETE FROM view_counts').run();
      // The thread projection keeps its version: its rows must survive the restart as they are.
      db.prepare(`UPDATE rm_comments SET text = 'kept as stored'`).run();
    });

    t = await startTestApp({ dataDir });
    token = await t.login();
    const stored = sql((db) => db.prepare('SELECT version FROM projection_checkpoints WHERE name = ?').pluck().get(conversationsProjection.name));
    expect(stored).toBe(conversationsProjection.version);
    const rebuilt = await Promise.all(ids.map(async (id) => (await t!.request('GET', `/api/conversations/${id}`, { token })).body));
    expect(rebuilt.map((d) => ({ ...d, comments: [] }))).toEqual(details.map((d) => ({ ...d, comments: [] })));
    expect((await t.request('GET', '/api/views', { token })).body).toEqual(views);
    expect(rebuilt[1].comments.map((c: { text: string }) => c.text)).toEqual(['kept as stored']);
  });
});
