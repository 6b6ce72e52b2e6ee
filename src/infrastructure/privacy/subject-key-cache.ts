import type { SubjectKey } from '../../application/ports/subject-keys.port';

/** Entries kept per map: a few MB at most, and every stream read or written recently stays in. */
const LIMIT = 20_000;

/**
 * What the key adapters remember, so a stream costs one lookup per process: the current key of a
 * subject, and every key id looked up (with null for one that no longer exists: a destroyed key
 * never comes back, and an event naming a key is only ever stored after its key).
 */
export class SubjectKeyCache {
  private readonly current = new Map<string, SubjectKey>();
  private readonly byId = new Map<string, { subject: string; key: Buffer | null }>();

  currentOf(subject: string): SubjectKey | undefined {
    return this.current.get(subject);
  }

  rememberCurrent(subject: string, key: SubjectKey): void {
    bounded(this.current, subject, key);
    bounded(this.byId, key.id, { subject, key: key.key });
  }

  /** undefined: not known here; null: known to be gone. */
  byKeyId(subject: string, keyId: string): Buffer | null | undefined {
    const entry = this.byId.get(keyId);
    if (entry === undefined) return undefined;
    return entry.subject === subject ? entry.key : null;
  }

  rememberById(subject: string, keyId: string, key: Buffer | null): void {
    bounded(this.byId, keyId, { subject, key });
  }

  forget(subjects: readonly string[]): void {
    const gone = new Set(subjects);
    for (const subject of gone) this.current.delete(subject);
    for (const [keyId, entry] of this.byId) if (gone.has(entry.subject)) this.byId.set(keyId, { subject: entry.subject, key: null });
  }
}

function bounded<V>(map: Map<string, V>, key: string, value: V): void {
  map.delete(key);
  map.set(key, value);
  if (map.size > LIMIT) map.delete(map.keys().next().value as string);
}
