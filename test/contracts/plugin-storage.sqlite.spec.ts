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

describe('SQLite plugin storage: group commit', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'parley-plugin-storage-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('commits the writes of one loop turn in one transaction, in call order, and a resolved write is read back at once', async () => {
    const documents = SqlitePluginDocuments.open(databaseFile(dir));
    try {
      const chat = documents.forPlugin('chat');
      const before = documents.stats();

      const results = await Promise.all([
        ...Array.from({ length: 50 }, (_, i) => chat.set(`sent/${i}`, { n: i })),
        chat.setIfAbsent('claim', 'first'),
        chat.set('gone', 1),
        chat.delete('gone'),
        chat.setIfAbsent('claim', 'second'),
      ]);

      const after = documents.stats();
      expect(after.transactions - before.transactions).toBe(1);
      expect(after.writes - before.writes).toBe(54);
      expect(after.largestBatch).toBe(54);
      expect([results[50], results[53]]).toEqual([true, false]);
      expect(await chat.get('claim')).toBe('first');
      // The delete ran after the set it followed in the calls.
      expect(await chat.get('gone')).toBeNull();
      expect(await chat.list('sent/', { limit: 100 })).toHaveLength(50);

      // Durable: another connection sees every write whose promise resolved.
      const other = SqlitePluginDocuments.open(databaseFile(dir));
      try {
        expect(await other.forPlugin('chat').get('sent/49')).toEqual({ n: 49 });
      } finally {
        await other.close();
      }
    } finally {
      await documents.close();
    }
  });

  it('a failing write undoes only itself; the others of its transaction commit', async () => {
    const db = openDatabase(databaseFile(dir), { synchronous: 'FULL' });
    try {
      const documents = SqlitePluginDocuments.over(db);
      // A statement SQLite refuses halfway, as a full disk would refuse one row: the trigger aborts that statement alone.
      db.exec(`CREATE TRIGGER refuse_poison BEFORE INSERT ON ${PLUGIN_DOCUMENTS_TABLE} WHEN NEW.key = 'poison' BEGIN SELECT RAISE(ABORT, 'refused'); END`);
      const chat = documents.forPlugin('chat');

      const outcomes = await Promise.allSettled([chat.set('before', 1), chat.set('poison', 2), chat.set('after', 3)]);

      expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
      expect((outcomes[1] as PromiseRejectedResult).reason).toMatchObject({ message: 'refused' });
      expect(documents.stats()).toEqual({ transactions: 1, writes: 3, largestBatch: 3 });
      expect(await chat.list('')).toEqual([
        { key: 'after', value: 3 },
        { key: 'before', value: 1 },
      ]);
      await documents.close();
    } finally {
      db.close();
    }
  });

  it('close() commits the writes it accepted, and refuses later ones', async () => {
    const documents = SqlitePluginDocuments.open(databaseFile(dir));
    const chat = documents.forPlugin('chat');
    const pending = Promise.all([chat.set('a', 1), chat.set('b', 2)]);
    await documents.close();
    await expect(pending).resolves.toEqual([undefined, undefined]);
    await expect(chat.set('c', 3)).rejects.toThrow(/closed/);

    const reopened = SqlitePluginDocuments.open(databaseFile(dir));
    try {
      expect(await reopened.forPlugin('chat').list('')).toEqual([
        { key: 'a', value: 1 },
        { key: 'b', value: 2 },
      ]);
    } finally {
      await reopened.close();
    }
  });

  it('reads see the writes queued before them, before they commit (read-through)', async () => {
    const documents = SqlitePluginDocuments.open(databaseFile(dir));
    try {
      const chat = documents.forPlugin('chat');
      await Promise.all([chat.set('k/1', 'one'), chat.set('k/2', 'two'), chat.set('k/3', 'three'), chat.set('held', 'stored')]);
      const before = documents.stats();

      // Not awaited, as a plugin may do; each read below runs before the batch commits.
      const writes = [
        chat.set('k/0', 'zero'),
        chat.delete('k/2'),
        chat.set('k/3', 'THREE'),
        chat.setIfAbsent('held', 'claim'),
        chat.setIfAbsent('fresh', 'claim'),
      ];
      expect(await chat.get('k/0')).toBe('zero');
      expect(await chat.get('k/2')).toBeNull();
      expect(await chat.get('k/3')).toBe('THREE');
      expect(await chat.get('held')).toBe('stored');
      expect(await chat.get('fresh')).toBe('claim');
      // A page of two holds the queued key before the stored ones, and skips the queued delete.
      expect(await chat.list('k/', { limit: 2 })).toEqual([
        { key: 'k/0', value: 'zero' },
        { key: 'k/1', value: 'one' },
      ]);
      expect(await chat.list('k/', { after: 'k/1' })).toEqual([{ key: 'k/3', value: 'THREE' }]);
      // Another plugin's keys are not overlaid.
      expect(await documents.forPlugin('other').get('k/0')).toBeNull();
      expect(documents.stats().transactions).toBe(before.transactions);

      await expect(Promise.all(writes)).resolves.toEqual([undefined, undefined, undefined, false, true]);
      expect(documents.stats().transactions).toBe(before.transactions + 1);
      // Committed: the table answers alone, with the same values.
      expect(await chat.list('')).toEqual([
        { key: 'fresh', value: 'claim' },
        { key: 'held', value: 'stored' },
        { key: 'k/0', value: 'zero' },
        { key: 'k/1', value: 'one' },
        { key: 'k/3', value: 'THREE' },
      ]);
    } finally {
      await documents.close();
    }
  });

  it('a claim queued after a delete of the same key takes the key; one after a set does not', async () => {
    const documents = SqlitePluginDocuments.open(databaseFile(dir));
    try {
      const chat = documents.forPlugin('chat');
      await chat.set('a', 'old');
      const first = [chat.delete('a'), chat.setIfAbsent('a', 'new'), chat.set('b', 'set'), chat.setIfAbsent('b', 'claim')];
      expect(await chat.get('a')).toBe('new');
      expect(await chat.get('b')).toBe('set');
      await expect(Promise.all(first)).resolves.toEqual([undefined, true, undefined, false]);
      expect(await chat.get('a')).toBe('new');
      expect(await chat.get('b')).toBe('set');
    } finally {
      await documents.close();
    }
  });
});
