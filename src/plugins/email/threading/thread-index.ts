import type { PluginKeyValueStore } from '../storage/key-value-store';

/**
 * The email channel's own memory of threads, kept in the plugin's storage (never in the event
 * store or the read models): which thread root each Message-ID belongs to, the Message-IDs of
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
  constructor(private readonly kv: PluginKeyValueStore) {}

  async message(messageId: string): Promise<IndexedMessage | null> {
    return this.read<IndexedMessage>(keys.message(messageId));
  }

  async thread(root: string): Promise<ThreadRecord | null> {
    return this.read<ThreadRecord>(keys.thread(root));
  }

  async subject(counterpart: string, subject: string): Promise<SubjectEntry | null> {
    if (subject === '') return null;
    return this.read<SubjectEntry>(keys.subject(counterpart, subject));
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
      const key = keys.subject(entry.counterpart, entry.subject);
      const current = await this.read<SubjectEntry>(key);
      if (!current || Date.parse(current.at) <= Date.parse(entry.at)) await this.write(key, { root, at: entry.at } satisfies SubjectEntry);
    }
  }

  /**
   * Drops what the thread keeps of people's words (the excerpt quoted in replies, who wrote it):
   * its conversation was deleted forever. Message-IDs stay, so a later answer still finds the thread.
   */
  async forgetContent(root: string): Promise<void> {
    const thread = await this.thread(root);
    if (!thread || !thread.messages.some((m) => m.excerpt !== undefined || m.from !== undefined)) return;
    await this.write(keys.thread(root), { root, messages: thread.messages.map(({ excerpt: _excerpt, from: _from, ...rest }) => rest) } satisfies ThreadRecord);
  }

  private async read<T>(key: string): Promise<T | null> {
    const value = await this.kv.get(key);
    return value === null ? null : (JSON.parse(value.toString('utf8')) as T);
  }

  private async write(key: string, value: unknown): Promise<void> {
    await this.kv.set(key, Buffer.from(JSON.stringify(value), 'utf8'));
  }
}

function withoutExcerpt({ excerpt: _excerpt, ...rest }: ThreadMessage): ThreadMessage {
  return rest;
}

const keys = {
  message: (messageId: string) => `thread-index\u0000message\u0000${messageId}`,
  thread: (root: string) => `thread-index\u0000thread\u0000${root}`,
  subject: (counterpart: string, subject: string) => `thread-index\u0000subject\u0000${counterpart.trim().toLowerCase()}\u0000${subject}`,
};
