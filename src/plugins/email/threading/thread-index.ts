import { createHash } from 'node:crypto';
import type { PluginStorage } from '../../channel-plugin';
import type { PluginKeyValueStore } from '../storage/key-value-store';

/**
 * The email channel's own memory of threads, kept in the plugin's storage (`connection.storage`:
 * the host's document store, shared by every instance of Parley; never the event store or the
 * read models): which thread root each Message-ID belongs to, the Message-IDs of
 * each thread (for References on replies), and the latest thread per correspondent and subject
 * (the subject fallback; not per inbox: a thread found through another inbox still only joins
 * a conversation of the inbox the mail is addressed to, because conversation ids include the inbox). Every entry is a hint that can be rebuilt by receiving the mail again;
 * none of it is the record of what happened (that is the event log).
 */
export interface IndexedMessage {
  root: string;
  direction: 'in' | 'out';
  at: string;
}

export interface ThreadMessage {
  id: string;
  direction: 'in' | 'out';
  at: string;
  /** A forward to someone outside: never named in what the contact receives. */
  forward?: true;
  /** Inbound only: who wrote it and the start of its text, for the quoted history of a reply. */
  from?: { address: string; name?: string };
  excerpt?: string;
}

export interface ThreadRecord {
  root: string;
  messages: ThreadMessage[];
}

export interface SubjectEntry {
  root: string;
  at: string;
}

export interface IndexEntry {
  messageId: string;
  root: string;
  direction: 'in' | 'out';
  at: string;
  /** The other side: the sender of an inbound message, the recipient of an outbound one. */
  counterpart: string;
  forward?: boolean;
  /** Normalised subject ('' for none: no subject entry is written). */
  subject: string;
  from?: { address: string; name?: string };
  excerpt?: string;
}

/** A thread keeps its first Message-ID and the latest ones: References stay short, the root stays known. */
const MAX_THREAD_MESSAGES = 100;
const EXCERPT_CHARS = 8 * 1024;

export class ThreadIndex {
  /**
   * `legacy`: where an older version kept the index (one file per key in the channel's folder).
   * An entry missing from storage is looked up there once and copied over, so an upgraded
   * instance keeps threading (see migrateLegacyThreadIndex for the copy made at start).
   */
  constructor(
    private readonly storage: PluginStorage,
    private readonly legacy: PluginKeyValueStore | null = null,
  ) {}

  async message(messageId: string): Promise<IndexedMessage | null> {
    return this.read<IndexedMessage>(keys.message(messageId), legacyKeys.message(messageId));
  }

  async thread(root: string): Promise<ThreadRecord | null> {
    return this.read<ThreadRecord>(keys.thread(root), legacyKeys.thread(root));
  }

  async subject(counterpart: string, subject: string): Promise<SubjectEntry | null> {
    if (subject === '') return null;
    return this.read<SubjectEntry>(keys.subject(counterpart, subject), legacyKeys.subject(counterpart, subject));
  }

  /** Records a message; recording the same message again changes nothing. */
  async record(entry: IndexEntry): Promise<void> {
    const known = await this.message(entry.messageId);
    const root = known?.root ?? entry.root;
    if (!known) await this.write(keys.message(entry.messageId), { root, direction: entry.direction, at: entry.at } satisfies IndexedMessage);

    const thread = (await this.thread(root)) ?? { root, messages: [] };
    if (!thread.messages.some((m) => m.id === entry.messageId)) {
      const message: ThreadMessage = {
        id: entry.messageId,
        direction: entry.direction,
        at: entry.at,
        ...(entry.forward ? { forward: true as const } : {}),
        ...(entry.from ? { from: entry.from } : {}),
        ...(entry.excerpt ? { excerpt: entry.excerpt.slice(0, EXCERPT_CHARS) } : {}),
      };
      const messages = [...thread.messages, message];
      const kept = messages.length > MAX_THREAD_MESSAGES ? [messages[0], ...messages.slice(-(MAX_THREAD_MESSAGES - 1))] : messages;
      // Only the latest inbound message is quoted: older excerpts are dropped to keep the record small.
      const lastInbound = kept.map((m) => m.direction).lastIndexOf('in');
      await this.write(keys.thread(root), {
        root,
        messages: kept.map((m, i) => (i === lastInbound || m.excerpt === undefined ? m : withoutExcerpt(m))),
      } satisfies ThreadRecord);
    }

    if (entry.subject !== '') {
      const current = await this.subject(entry.counterpart, entry.subject);
      if (!current || Date.parse(current.at) <= Date.parse(entry.at))
        await this.write(keys.subject(entry.counterpart, entry.subject), { root, at: entry.at } satisfies SubjectEntry);
    }
  }

  /**
   * Drops what the thread keeps of people's words (the excerpt quoted in replies, who wrote it):
   * its conversation was deleted forever. Message-IDs stay, so a later answer still finds the thread.
   */
  async forgetContent(root: string): Promise<void> {
    const thread = await this.thread(root);
    // The older version's copy holds the same words: it goes too.
    await this.legacy?.delete(legacyKeys.thread(root));
    if (!thread || !thread.messages.some((m) => m.excerpt !== undefined || m.from !== undefined)) return;
    await this.write(keys.thread(root), { root, messages: thread.messages.map(({ excerpt: _excerpt, from: _from, ...rest }) => rest) } satisfies ThreadRecord);
  }

  private async read<T>(key: string, legacyKey: string): Promise<T | null> {
    const value = await this.storage.get<T>(key);
    if (value !== null || !this.legacy) return value;
    const old = await this.legacy.get(legacyKey);
    if (old === null) return null;
    const parsed = JSON.parse(old.toString('utf8')) as T;
    // Copied, not moved: a claim, so a newer entry another instance wrote meanwhile wins.
    if (await this.storage.setIfAbsent(key, parsed)) return parsed;
    return this.storage.get<T>(key);
  }

  private async write(key: string, value: unknown): Promise<void> {
    await this.storage.set(key, value);
  }
}

/** Where the copy made at start records that it ran (the index's files are read once). */
export const LEGACY_MIGRATION_KEY = 'email-thread/migrated-from-files';

/** Larger files in the channel's folder are originals and attachments, never thread records. */
const LEGACY_RECORD_MAX_BYTES = 4 * 1024 * 1024;

/** The files an older version kept, as FileKeyValueStore.scan reads them. */
export interface LegacyThreadFiles extends PluginKeyValueStore {
  /** Every stored value of at most `maxBytes` that starts with `{` (a JSON object), in no order. */
  scan(maxBytes: number, visit: (value: Buffer) => Promise<void>): Promise<void>;
}

/**
 * Copies an older version's file-based thread index into the plugin's storage, once: each thread
 * record (the files are named by a hash of their key, so a thread is recognised by its content)
 * and the entries of the Message-IDs it lists. Subject entries cannot be told from their files
 * (their key is the correspondent and subject): ThreadIndex copies those when first asked.
 * Idempotent: entries are claimed (setIfAbsent), so a run cut short and run again, or two
 * instances starting together, copy each entry at most once and never overwrite a newer one.
 */
export async function migrateLegacyThreadIndex(storage: PluginStorage, files: LegacyThreadFiles): Promise<{ threads: number; messages: number } | null> {
  if ((await storage.get(LEGACY_MIGRATION_KEY)) !== null) return null;
  let threads = 0;
  let messages = 0;
  await files.scan(LEGACY_RECORD_MAX_BYTES, async (value) => {
    const record = threadRecordOf(value);
    if (!record) return;
    if (await storage.setIfAbsent(keys.thread(record.root), record)) threads += 1;
    for (const { id } of record.messages) {
      const entry = await files.get(legacyKeys.message(id));
      if (entry !== null && (await storage.setIfAbsent(keys.message(id), JSON.parse(entry.toString('utf8'))))) messages += 1;
    }
  });
  await storage.set(LEGACY_MIGRATION_KEY, { at: new Date().toISOString(), threads, messages });
  return { threads, messages };
}

/** A thread record of the older index, or null for any other file (a blob's holders, an original that starts with `{`). */
function threadRecordOf(value: Buffer): ThreadRecord | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value.toString('utf8'));
  } catch {
    return null;
  }
  const record = parsed as Partial<ThreadRecord> | null;
  if (typeof record?.root !== 'string' || !Array.isArray(record.messages)) return null;
  const valid = record.messages.every((m) => typeof m?.id === 'string' && (m.direction === 'in' || m.direction === 'out') && typeof m.at === 'string');
  return valid && Object.keys(record).length === 2 ? (record as ThreadRecord) : null;
}

function withoutExcerpt({ excerpt: _excerpt, ...rest }: ThreadMessage): ThreadMessage {
  return rest;
}

/**
 * Storage keys: `email-thread/message/<Message-ID>` and `email-thread/thread/<root>`, readable
 * while they fit; a Message-ID too long for a key (512 characters), or with characters a key may
 * not hold, is named by its SHA-256 (`…#<hex>`). Subject entries are always hashed (they name a
 * correspondent and a subject line).
 */
const keys = {
  message: (messageId: string) => readableKey('message', messageId),
  thread: (root: string) => readableKey('thread', root),
  subject: (counterpart: string, subject: string) => `email-thread/subject#${sha256(`${counterpart.trim().toLowerCase()}\u0000${subject}`)}`,
};

const MAX_READABLE_PART = 512 - 'email-thread/message/'.length;
// A lone surrogate or NUL: not in a storage key.
// eslint-disable-next-line no-control-regex -- NUL is what it looks for
const NOT_IN_KEYS = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]|\u0000/;

function readableKey(kind: 'message' | 'thread', part: string): string {
  if (part.length > 0 && part.length <= MAX_READABLE_PART && !NOT_IN_KEYS.test(part)) return `email-thread/${kind}/${part}`;
  return `email-thread/${kind}#${sha256(part)}`;
}

function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** The keys of the older, file-based index (a file per key, named by the key's SHA-256). */
const legacyKeys = {
  message: (messageId: string) => `thread-index\u0000message\u0000${messageId}`,
  thread: (root: string) => `thread-index\u0000thread\u0000${root}`,
  subject: (counterpart: string, subject: string) => `thread-index\u0000subject\u0000${counterpart.trim().toLowerCase()}\u0000${subject}`,
};
