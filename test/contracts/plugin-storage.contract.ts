import { randomUUID } from 'node:crypto';
import type { PluginStorage } from '../../src/plugins/channel-plugin';
import { MAX_KEY_CHARS, MAX_LIST_LIMIT, MAX_VALUE_BYTES, PluginStorageError } from '../../src/plugins/plugin-storage-rules';

/** One engine's plugin storage under test. */
export interface PluginStorageUnderTest {
  /** A plugin's documents. */
  forPlugin(pluginId: string): PluginStorage;
  /**
   * The same documents through a second, independent connection (another Parley instance on the
   * same file or database), for the claims that must hold across instances.
   */
  otherInstance(): Promise<{ forPlugin(pluginId: string): PluginStorage; close(): Promise<void> }>;
  teardown(): Promise<void>;
}

/**
 * PluginStorage as ChannelHostConnection.storage promises it (src/plugins/channel-plugin.ts), for
 * every engine that keeps it: the embedded SQLite file, MongoDB, and the conformance kit's memory.
 */
export function pluginStorageContract(name: string, open: () => Promise<PluginStorageUnderTest>): void {
  describe(`${name}: plugin storage contract`, () => {
    let sut: PluginStorageUnderTest;
    let storage: PluginStorage;

    beforeEach(async () => {
      sut = await open();
      storage = sut.forPlugin(`plugin-${randomUUID().slice(0, 8)}`);
    });

    afterEach(async () => {
      await sut?.teardown();
    });

    it('answers null for a key never set, and the value set for a key', async () => {
      expect(await storage.get('missing')).toBeNull();
      const value = { visitor: 'Ada', tags: ['a', 'b'], nested: { n: 1.5, yes: true, none: null }, text: 'naïve 😀 "quoted" <b>' };
      await storage.set('visitor/1', value);
      expect(await storage.get('visitor/1')).toEqual(value);
      for (const scalar of ['text', 42, 0, false, null, [1, 'two']]) {
        await storage.set('scalar', scalar);
        expect(await storage.get('scalar')).toEqual(scalar);
      }
    });

    it('keeps a copy: changing the object afterwards, or the answer, changes nothing stored', async () => {
      const value = { count: 1 };
      await storage.set('copy', value);
      value.count = 2;
      const read = await storage.get<{ count: number }>('copy');
      read!.count = 3;
      expect(await storage.get('copy')).toEqual({ count: 1 });
    });

    it('stores what JSON keeps: dates as their text, undefined members left out', async () => {
      await storage.set('json', { at: new Date('2026-12-07T05:00:00.000Z'), gone: undefined, keys: { 'a.b': 1, $c: 2 } });
      expect(await storage.get('json')).toEqual({ at: '2026-12-07T05:00:00.000Z', keys: { 'a.b': 1, $c: 2 } });
    });

    it('replaces a value on set, and deletes it (deleting a missing key is fine)', async () => {
      await storage.set('k', { v: 1 });
      await storage.set('k', { v: 2 });
      expect(await storage.get('k')).toEqual({ v: 2 });
      await storage.delete('k');
      expect(await storage.get('k')).toBeNull();
      await expect(storage.delete('k')).resolves.toBeUndefined();
      await expect(storage.delete('never-there')).resolves.toBeUndefined();
    });

    it('claims a key with setIfAbsent once: a second claim answers false and keeps the first value', async () => {
      expect(await storage.setIfAbsent('claim', { by: 'first' })).toBe(true);
      expect(await storage.setIfAbsent('claim', { by: 'second' })).toBe(false);
      expect(await storage.get('claim')).toEqual({ by: 'first' });
      await storage.delete('claim');
      expect(await storage.setIfAbsent('claim', { by: 'third' })).toBe(true);
      expect(await storage.get('claim')).toEqual({ by: 'third' });
    });

    it('lets exactly one of many concurrent claims win, also across instances', async () => {
      const pluginId = `claims-${randomUUID().slice(0, 8)}`;
      const other = await sut.otherInstance();
      try {
        const here = sut.forPlugin(pluginId);
        const there = other.forPlugin(pluginId);
        const claims = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? here : there).setIfAbsent('job/42', { by: i })));
        expect(claims.filter(Boolean)).toHaveLength(1);
        const winner = claims.indexOf(true);
        expect(await there.get('job/42')).toEqual({ by: winner });
        // What one instance writes, the other reads at once.
        await there.set('shared', { from: 'there' });
        expect(await here.get('shared')).toEqual({ from: 'there' });
      } finally {
        await other.close();
      }
    });

    it("keeps each plugin's documents apart", async () => {
      const other = sut.forPlugin(`other-${randomUUID().slice(0, 8)}`);
      await storage.set('same-key', 'mine');
      expect(await other.get('same-key')).toBeNull();
      expect(await other.setIfAbsent('same-key', 'theirs')).toBe(true);
      expect(await storage.get('same-key')).toBe('mine');
      expect(await other.list('')).toEqual([{ key: 'same-key', value: 'theirs' }]);
      await other.delete('same-key');
      expect(await storage.get('same-key')).toBe('mine');
    });

    it('lists the documents under a prefix in key order (by code point), and nothing outside it', async () => {
      const keys = ['visitor/b', 'visitor/a', 'visitor/é', 'visitor/😀', 'visitor/\uFFFD', 'visitor/A', 'visitor', 'visitors/x', 'session/1', 'visitor/a/b'];
      for (const key of keys) await storage.set(key, { key });
      const listed = await storage.list<{ key: string }>('visitor/');
      expect(listed.map((d) => d.key)).toEqual(['visitor/A', 'visitor/a', 'visitor/a/b', 'visitor/b', 'visitor/é', 'visitor/\uFFFD', 'visitor/😀']);
      expect(listed.every((d) => d.value.key === d.key)).toBe(true);
      expect((await storage.list('')).map((d) => d.key)).toHaveLength(keys.length);
      expect(await storage.list('nothing/')).toEqual([]);
    });

    it('treats the prefix literally (no wildcards) and lists after a key, for paging', async () => {
      for (const key of ['a%1', 'a_2', 'ab3', 'a%%4', 'a\\5']) await storage.set(key, 1);
      expect((await storage.list('a%')).map((d) => d.key)).toEqual(['a%%4', 'a%1']);
      expect((await storage.list('a_')).map((d) => d.key)).toEqual(['a_2']);
      expect((await storage.list('a\\')).map((d) => d.key)).toEqual(['a\\5']);

      for (let i = 0; i < 25; i += 1) await storage.set(`page/${String(i).padStart(2, '0')}`, i);
      const seen: number[] = [];
      let after: string | undefined;
      for (;;) {
        const page = await storage.list<number>('page/', { after, limit: 10 });
        if (page.length === 0) break;
        seen.push(...page.map((d) => d.value));
        after = page[page.length - 1].key;
      }
      expect(seen).toEqual(Array.from({ length: 25 }, (_, i) => i));
      // `after` before the prefix's range starts at the prefix; after its end, nothing.
      expect((await storage.list('page/', { after: 'a', limit: 2 })).map((d) => d.key)).toEqual(['page/00', 'page/01']);
      expect(await storage.list('page/', { after: 'page0' })).toEqual([]);
    });

    it(`answers at most ${MAX_LIST_LIMIT} documents, also when asked for more`, async () => {
      const many = sut.forPlugin(`many-${randomUUID().slice(0, 8)}`);
      for (let i = 0; i < MAX_LIST_LIMIT + 5; i += 1) await many.set(`n/${String(i).padStart(5, '0')}`, i);
      expect(await many.list('n/')).toHaveLength(MAX_LIST_LIMIT);
      expect(await many.list('n/', { limit: 5000 })).toHaveLength(MAX_LIST_LIMIT);
      const rest = await many.list<number>('n/', { after: `n/${String(MAX_LIST_LIMIT - 1).padStart(5, '0')}` });
      expect(rest.map((d) => d.value)).toEqual([1000, 1001, 1002, 1003, 1004]);
    });

    it(`takes keys of 1-${MAX_KEY_CHARS} characters and refuses others with a 400 naming the key`, async () => {
      const longest = 'k'.repeat(MAX_KEY_CHARS - 1) + '😀';
      await storage.set(longest, 'fits');
      expect(await storage.get(longest)).toBe('fits');
      for (const bad of ['', 'k'.repeat(MAX_KEY_CHARS + 1), 'lone \uD800 surrogate', 'nul\u0000inside']) {
        for (const call of [() => storage.set(bad, 1), () => storage.get(bad), () => storage.setIfAbsent(bad, 1), () => storage.delete(bad)]) {
          const error = await call().then(
            () => null,
            (e: unknown) => e,
          );
          expect(error).toBeInstanceOf(PluginStorageError);
          expect(error).toMatchObject({ statusCode: 400, field: 'key' });
        }
      }
      await expect(storage.set(42 as unknown as string, 1)).rejects.toThrow(/storage keys are strings/);
      await expect(storage.set('k'.repeat(600), 1)).rejects.toThrow(/must be 1-512 characters \(it has 600\)/);
    });

    it('refuses a value over 1 MiB, or one JSON cannot hold, with a 400 naming the key; nothing is stored', async () => {
      const justFits = 'x'.repeat(MAX_VALUE_BYTES - 2); // the two quotes of the JSON string make it exactly 1 MiB
      await storage.set('big', justFits);
      expect(await storage.get('big')).toBe(justFits);
      await expect(storage.set('big', 'x'.repeat(MAX_VALUE_BYTES))).rejects.toMatchObject({
        statusCode: 400,
        field: 'value',
        message: expect.stringContaining('"big"'),
      });
      expect(await storage.get('big')).toBe(justFits);
      await expect(storage.setIfAbsent('huge', 'é'.repeat(MAX_VALUE_BYTES / 2))).rejects.toThrow(/"huge" is 1048578 bytes as JSON; at most 1048576/);
      expect(await storage.get('huge')).toBeNull();
      await expect(storage.set('nothing', undefined)).rejects.toThrow(/"nothing" is undefined, which JSON cannot hold/);
      await expect(storage.set('fn', () => 1)).rejects.toThrow(/"fn" is function/);
      const cyclic: Record<string, unknown> = {};
      cyclic.self = cyclic;
      await expect(storage.set('cycle', cyclic)).rejects.toThrow(/"cycle" cannot be stored as JSON/);
      await expect(storage.set('bigint', 1n)).rejects.toMatchObject({ statusCode: 400, field: 'value' });
    });

    it('refuses list arguments that are not a prefix, a key and a whole number, naming the argument', async () => {
      await expect(storage.list(undefined as unknown as string)).rejects.toMatchObject({ statusCode: 400, field: 'prefix' });
      await expect(storage.list('', { limit: 0 })).rejects.toThrow(/limit must be a whole number of at least 1 \(got 0\)/);
      await expect(storage.list('', { limit: 2.5 })).rejects.toMatchObject({ field: 'limit' });
      await expect(storage.list('', { after: 7 as unknown as string })).rejects.toMatchObject({ field: 'after' });
    });
  });
}
