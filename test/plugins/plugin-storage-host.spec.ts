import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { ChannelHostConnection, ChannelPlugin } from '../../src/plugins/channel-plugin';
import { backup } from '../../src/cli/commands/backup';
import { PLUGIN_DOCUMENTS_TABLE } from '../../src/infrastructure/plugin-storage/sqlite-plugin-documents';
import { databaseFile } from '../../src/infrastructure/sqlite/open-database';
import { BUILT_IN_PLUGINS } from '../../src/plugins/registry/built-in-plugins';
import { startTestApp, type TestApp } from '../support/app-harness';

const ICON = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24"><circle cx="12" cy="12" r="10"/></svg>';

/** A channel that keeps its connection, and stores what its public route is given. */
function notesPlugin(id: string, connections: Map<string, ChannelHostConnection>): () => ChannelPlugin {
  return () => ({
    id,
    displayName: `Notes ${id}`,
    icon: ICON,
    channel: id,
    capabilities: { reply: false, html: false, attachments: false, transcript: false, switchToEmail: false, forward: false, compose: false },
    connect(connection) {
      connections.set(id, connection);
      connection.routes.post(
        'notes',
        async (request) => {
          // `repeat`: a long text made here, larger than a request body may be.
          const { key, value, repeat } = request.body as { key: string; value: unknown; repeat?: number };
          await connection.storage.set(key, repeat === undefined ? value : 'x'.repeat(repeat));
          return { status: 204 };
        },
        { public: true },
      );
    },
  });
}

/**
 * ChannelHostConnection.storage as the real host hands it out: each plugin its own documents, in
 * the embedded file, kept across a restart; a key or value the rules refuse is a 400 naming it
 * when a route passes it on.
 */
describe('plugin storage through the host', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'parley-plugin-storage-host-'));
  const connections = new Map<string, ChannelHostConnection>();
  const start = () => startTestApp({ dataDir, builtIns: [...BUILT_IN_PLUGINS, notesPlugin('notes-a', connections), notesPlugin('notes-b', connections)] });
  let t: TestApp | undefined;

  afterAll(async () => {
    await t?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('gives each plugin its own documents, in the embedded file, kept across a restart', async () => {
    t = await start();
    const a = connections.get('notes-a')!.storage;
    const b = connections.get('notes-b')!.storage;
    await a.set('visitor/1', { name: 'Ada' });
    expect(await a.setIfAbsent('visitor/1', { name: 'Eve' })).toBe(false);
    expect(await b.get('visitor/1')).toBeNull();
    expect((await t.request('POST', '/channels/notes-b/notes', { body: { key: 'session/9', value: [1, 2] } })).status).toBe(204);
    await t.close();
    t = undefined;

    const db = new Database(databaseFile(dataDir), { readonly: true });
    try {
      expect(db.prepare(`SELECT plugin, key, value FROM ${PLUGIN_DOCUMENTS_TABLE} WHERE plugin LIKE 'notes-%' ORDER BY plugin, key`).all()).toEqual([
        { plugin: 'notes-a', key: 'visitor/1', value: '{"name":"Ada"}' },
        { plugin: 'notes-b', key: 'session/9', value: '[1,2]' },
      ]);
    } finally {
      db.close();
    }

    t = await start();
    expect(await connections.get('notes-a')!.storage.get('visitor/1')).toEqual({ name: 'Ada' });
    expect(await connections.get('notes-b')!.storage.list('')).toEqual([{ key: 'session/9', value: [1, 2] }]);
  });

  it('is in what `parley backup` copies while the server runs', async () => {
    t ??= await start();
    await connections.get('notes-a')!.storage.set('backed-up', { yes: true });
    const target = join(dataDir, '..', `${dataDir.split('/').pop()}-backup`);
    const quiet = { write: () => true } as unknown as NodeJS.WriteStream;
    try {
      expect(await backup({ dataDir, env: {}, stdout: quiet, stderr: quiet }, { target })).toBe(0);
      const copy = new Database(databaseFile(target), { readonly: true });
      try {
        expect(copy.prepare(`SELECT value FROM ${PLUGIN_DOCUMENTS_TABLE} WHERE plugin = 'notes-a' AND key = 'backed-up'`).pluck().get()).toBe('{"yes":true}');
      } finally {
        copy.close();
      }
    } finally {
      rmSync(target, { recursive: true, force: true });
    }
  });

  it('answers 400 naming the key when a route stores a key or value the rules refuse', async () => {
    t ??= await start();
    const tooLong = await t.request('POST', '/channels/notes-a/notes', { body: { key: 'k'.repeat(513), value: 1 } });
    expect(tooLong.status).toBe(400);
    expect(tooLong.body.message).toMatch(/storage key "k{80}…" must be 1-512 characters \(it has 513\)/);
    const tooBig = await t.request('POST', '/channels/notes-a/notes', { body: { key: 'big', repeat: 1024 * 1024 } });
    expect(tooBig.status).toBe(400);
    expect(tooBig.body.message).toMatch(/the value for storage key "big" is 1048578 bytes as JSON; at most 1048576 bytes/);
    expect(await connections.get('notes-a')!.storage.get('big')).toBeNull();
  });
});
