import { randomUUID } from 'node:crypto';
import type { SubjectKeys } from '../../src/application/ports/subject-keys.port';

/** The executable half of the subject keys port (src/application/ports/subject-keys.port.ts); every adapter runs all of it. */
export function subjectKeysContract(
  name: string,
  factory: () => Promise<{ keys: SubjectKeys; reopen: () => Promise<SubjectKeys>; teardown: () => Promise<void> }>,
): void {
  describe(name, () => {
    let keys: SubjectKeys;
    let reopen: () => Promise<SubjectKeys>;
    let teardown: () => Promise<void>;

    beforeAll(async () => {
      ({ keys, reopen, teardown } = await factory());
    });

    afterAll(async () => {
      await keys.close();
      await teardown();
    });

    const subject = () => `conversation-${randomUUID()}`;

    it('creates a 256-bit key on first use and hands the same one out again, also to another instance', async () => {
      const s = subject();
      const first = await keys.keyFor(s);
      expect(first.key).toHaveLength(32);
      expect(first.id).toMatch(/^[A-Za-z0-9_-]+$/);
      expect(await keys.keyFor(s)).toEqual(first);
      const other = await reopen();
      expect(await other.keyFor(s)).toEqual(first);
      expect(await other.find(s, first.id)).toEqual(first.key);
      await other.close();
    });

    it('gives every subject its own key', async () => {
      const [a, b] = [await keys.keyFor(subject()), await keys.keyFor(subject())];
      expect(a.id).not.toBe(b.id);
      expect(a.key.equals(b.key)).toBe(false);
    });

    it('finds a key only under its own subject, and never creates one', async () => {
      const s = subject();
      const key = await keys.keyFor(s);
      expect(await keys.find(subject(), key.id)).toBeNull();
      expect(await keys.find(s, 'no-such-key')).toBeNull();
    });

    it('destroys keys for good: gone for this instance and another, and a new key gets a new id', async () => {
      const [s, kept] = [subject(), subject()];
      const key = await keys.keyFor(s);
      const keptKey = await keys.keyFor(kept);
      const other = await reopen();
      expect(await other.find(s, key.id)).toEqual(key.key);
      await keys.destroy([s]);
      expect(await keys.find(s, key.id)).toBeNull();
      const fresh = await reopen();
      expect(await fresh.find(s, key.id)).toBeNull();
      expect(await fresh.find(kept, keptKey.id)).toEqual(keptKey.key);
      const next = await keys.keyFor(s);
      expect(next.id).not.toBe(key.id);
      await keys.destroy([]);
      await keys.destroy([subject()]);
      await other.close();
      await fresh.close();
    });
  });
}
