/**
 * The keys personal data is sealed with (docs/privacy.md): one 256-bit key per subject, a subject
 * being the stream the data is stored in (`contact-<id>`, `conversation-<id>`, `ticket-<id>`).
 * Destroying a subject's keys makes everything sealed with them unreadable for good, while the
 * sealed bytes, and so the hash chain over them, stay as they were.
 *
 * Keys are NOT read models: a rebuild never recreates one, and no backup of the read models
 * may be restored over them. Every adapter passes test/contracts/subject-keys.contract.ts.
 */
export const SUBJECT_KEYS = Symbol('SUBJECT_KEYS');

export interface SubjectKey {
  /** Names the key inside sealed values (unique across subjects: a random id, never reused). */
  id: string;
  /** 32 bytes (AES-256). */
  key: Buffer;
}

export interface SubjectKeys {
  /** The subject's current key, created (and durably stored) on first use. */
  keyFor(subject: string): Promise<SubjectKey>;
  /**
   * The key with this id if it still exists and belongs to `subject`; null once destroyed (or
   * never created there). Never creates one.
   */
  find(subject: string, keyId: string): Promise<Buffer | null>;
  /**
   * Deletes every key of these subjects for good (and from any cache of this process). A later
   * keyFor creates a fresh key with a new id: what was sealed before stays unreadable.
   */
  destroy(subjects: readonly string[]): Promise<void>;
  close(): Promise<void>;
}
