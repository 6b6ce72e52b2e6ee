import { randomBytes } from 'node:crypto';
import type { PluginStorage } from '../channel-plugin';
import { identifierKey } from './session-token';

/** What the chat channel keeps about one visitor of one connection. */
export interface VisitorRecord {
  id: string;
  connectionId: string;
  name?: string;
  email?: string;
  /** Set for a visitor whose identity the website signed (identity verification). */
  identifier?: string;
  verified: boolean;
  /** The visitor's current thread: `<connectionId>:<visitorId>:<thread>`. Starts at 1. */
  thread: number;
  /** The conversation of the current thread, once its first message was ingested. */
  conversationId?: string;
  /** The current thread's conversation was closed: the next message starts thread + 1. */
  closed?: boolean;
  /** When an agent last saw the current conversation (ISO time): the widget's "Seen". */
  seenAt?: string;
  /** The visitor's last message (ISO time), for the inactivity close. */
  lastMessageAt?: string;
  createdAt: string;
}

/** Where a conversation's visitor is: conversation id -> (connection, visitor, thread). */
export interface ConversationLink {
  connectionId: string;
  visitorId: string;
  thread: number;
}

/** A visitor's message as they sent it, by clientMessageId: a retry answers it again. */
export interface SentRecord {
  id: string;
  conversationId: string;
  text: string;
  at: string;
}

/**
 * The chat channel's state in plugin storage (shared by every instance). Keys:
 * - `visitor:<cid>:<visitorId>` -> VisitorRecord
 * - `identity:<cid>:<sha256(identifier)>` -> visitor id (claimed with setIfAbsent: one visitor per identity)
 * - `conversation:<conversationId>` -> ConversationLink
 * - `sent:<cid>:<visitorId>:<clientMessageId>` -> SentRecord
 */
export class VisitorStore {
  constructor(
    private readonly storage: PluginStorage,
    private readonly now: () => Date,
  ) {}

  static newVisitorId(): string {
    return randomBytes(16).toString('base64url');
  }

  get(connectionId: string, visitorId: string): Promise<VisitorRecord | null> {
    return this.storage.get<VisitorRecord>(visitorKey(connectionId, visitorId));
  }

  async create(connectionId: string, visitorId: string = VisitorStore.newVisitorId(), fields: Partial<VisitorRecord> = {}): Promise<VisitorRecord> {
    const record: VisitorRecord = { id: visitorId, connectionId, verified: false, thread: 1, createdAt: this.now().toISOString(), ...fields };
    await this.storage.set(visitorKey(connectionId, visitorId), record);
    return record;
  }

  async save(record: VisitorRecord): Promise<void> {
    await this.storage.set(visitorKey(record.connectionId, record.id), record);
  }

  /**
   * The visitor of a verified identity, created on first sight. Two first sessions racing (two
   * tabs, two instances) end with one visitor: the identity is claimed with setIfAbsent.
   */
  async forIdentity(connectionId: string, identifier: string): Promise<VisitorRecord> {
    const key = `identity:${connectionId}:${identifierKey(identifier)}`;
    const candidate = VisitorStore.newVisitorId();
    const claimed = await this.storage.setIfAbsent(key, candidate);
    const visitorId = claimed ? candidate : ((await this.storage.get<string>(key)) ?? candidate);
    return (await this.get(connectionId, visitorId)) ?? (await this.create(connectionId, visitorId, { identifier, verified: true }));
  }

  link(conversationId: string): Promise<ConversationLink | null> {
    return this.storage.get<ConversationLink>(`conversation:${conversationId}`);
  }

  async saveLink(conversationId: string, link: ConversationLink): Promise<void> {
    await this.storage.set(`conversation:${conversationId}`, link);
  }

  sent(connectionId: string, visitorId: string, clientMessageId: string): Promise<SentRecord | null> {
    return this.storage.get<SentRecord>(sentKey(connectionId, visitorId, clientMessageId));
  }

  async saveSent(connectionId: string, visitorId: string, clientMessageId: string, record: SentRecord): Promise<void> {
    await this.storage.set(sentKey(connectionId, visitorId, clientMessageId), record);
  }
}

const visitorKey = (connectionId: string, visitorId: string) => `visitor:${connectionId}:${visitorId}`;
const sentKey = (connectionId: string, visitorId: string, clientMessageId: string) => `sent:${connectionId}:${visitorId}:${clientMessageId}`;

/** `<connectionId>:<visitorId>:<thread>`, the conversation's externalThreadId. */
export function chatThreadId(connectionId: string, visitorId: string, thread: number): string {
  return `${connectionId}:${visitorId}:${thread}`;
}

/** The parts of a chat externalThreadId; null when it is not one. */
export function parseChatThreadId(threadId: string): ConversationLink | null {
  const match = /^(.+):([A-Za-z0-9_-]{16,64}):(\d{1,9})$/.exec(threadId);
  return match ? { connectionId: match[1], visitorId: match[2], thread: Number(match[3]) } : null;
}
