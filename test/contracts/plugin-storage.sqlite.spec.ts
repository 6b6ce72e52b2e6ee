import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryPluginStorage } from '../../src/plugins/testing/memory-plugin-storage';
import { PLUGIN_DOCUMENTS_TABLE, SqlitePluginDocuments } from '../../src/infrastructure/plugin-storage/sqlite-plugin-documents';
import { ReadModelRebuild } from '../../src/infrastructure/read-store/read-model-rebuild';
import { databaseFile, openDatabase } from '../../src/infrastructure/sqlite/open-database';
import { append, at, cleanUp, conversationEvent as e, inboxEvent, openLiveSystem } from '../projections/fixtures';
import { pluginStorageContract } from './plugin-storage.contract';

/** The embedded engine: a table in the SQLite file, each instance on a connection of its own. */
pluginStorageContract('SQLite plugin storage', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'parley-plugin-storage-'));
  const documents = SqlitePluginDocuments.open(databaseFile(dir));
  return {
    forPlugin: (pluginId) => documents.forPlugin(pluginId),
    otherInstance: async () => SqlitePluginDocuments.open(databaseFile(dir)),
    async teardown() {
      await documents.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

/** The conformance kit's fake host keeps documents in memory by the same rules. */
pluginStorageContract('In-memory plugin storage (the fake host)', async () => {
  // One map per plugin, shared by both "instances", as one database would be.
  const plugins = new Map<string, MemoryPluginStorage>();
  const forPlugin = (pluginId: string) => plugins.get(pluginId) ?? plugins.set(pluginId, new MemoryPluginStorage()).get(pluginId)!;
  return { forPlugin, otherInstance: async () => ({ forPlugin, close: async () => undefined }), teardown: async () => undefined };
});

describe('SQLite plugin storage beside the read models', () => {
  afterEach(() => cleanUp());

  it('is not a read model: `parley replay` swaps the read models in and leaves every plugin document as it was', async () => {
    const live = openLiveSystem();
    const inboxId = '00000000-0000-4000-8000-0000000000a1';
    await append(live.store, `inbox-${inboxId}`, inboxEvent.created(inboxId, 'Support', 'support@acme.test', true));
    const conversationId = '00000000-0000-4000-8000-0000000000c1';
    await append(
      live.store,
      `conversation-${conversationId}`,
      e.started({ conversationId, inboxId, subject: 'Kettle' }),
      e.received({ receivedAt: at(1), text: 'broken' }),
    );
    await live.caughtUp();
    const documents = SqlitePluginDocuments.open(live.file);
    try {
      const chat = documents.forPlugin('chat');
      await chat.set('visitor/1', { name: 'Ada' });
      await documents.forPlugin('email').set('thread/m/<a@b>', { root: '<a@b>' });

      await live.runner.stop();
      const rebuild = await ReadModelRebuild.build({ dataDir: join(live.file, '..'), logTo: { write: () => undefined }, threads: 1 });
      // `parley replay --check` compares the read models only: the documents are no difference.
      expect(rebuild.compare()).toEqual([]);
      await rebuild.swapIn();
      await rebuild.close();

      expect(await chat.get('visitor/1')).toEqual({ name: 'Ada' });
      expect(await documents.forPlugin('email').list('thread/')).toEqual([{ key: 'thread/m/<a@b>', value: { root: '<a@b>' } }]);
      // The rebuild really replaced the read models (the conversation is there again, from the log).
      const db = openDatabase(live.file, { synchronous: 'NORMAL', readonly: true });
      try {
        expect(db.prepare('SELECT COUNT(*) FROM rm_conversations WHERE id = ?').pluck().get(conversationId)).toBe(1);
        expect(db.prepare(`SELECT COUNT(*) FROM ${PLUGIN_DOCUMENTS_TABLE}`).pluck().get()).toBe(2);
      } finally {
        db.close();
      }
    } finally {
      await documents.close();
    }
  });
});
