import type { ContactState } from '../../domain/contact/contact.decider';

/** Entries each part of the memory holds at most; beyond it the oldest are forgotten (they are looked up again). */
export const MEMORY_LIMIT = 10_000;
/** Conversations whose contact is remembered, the most recently met kept. */
export const CONVERSATIONS_LIMIT = 20_000;

/** A conversation's contact as the contact-records manager last met it in the log. */
export interface ConversationContact {
  contactId: string;
  address: string;
  channel: string;
}

/**
 * What the contact-records process manager wrote or met in the log in this pass, so that it need
 * not wait for the views lane after each command:
 *
 * - a contact's state as its stream had it, and the company a domain's contacts join. Each entry is
 *   a fact at a log position (the last event it covers) and answers only while the views lane is
 *   behind that position (`projected()`); from then on the read models answer again, as they would
 *   have after a wait, and the entry is forgotten. It never answers with older news than the read
 *   models hold, and this part stays small: about what the manager wrote in one views batch, never
 *   more than MEMORY_LIMIT entries each.
 * - a conversation's contact, as the manager met it in the log: it handles every event that sets or
 *   changes it (ConversationStarted, ContactLinked, ContactUnlinked) in log order, so the entry is
 *   what the conversation's stream says at the event being handled. The most recent
 *   CONVERSATIONS_LIMIT are kept.
 *
 * After a restart (or a new pass) it is empty and the manager relies on the read models and the
 * streams, as it always did; a miss only costs a read, since every write is decided on the stream.
 */
export class ContactRecordsMemory {
  private readonly contacts: Unprojected<ContactState>;
  private readonly companies: Unprojected<string>;
  private readonly conversations = new Map<string, ConversationContact>();

  constructor(
    projected: () => number,
    limit = MEMORY_LIMIT,
    private readonly conversationsLimit = CONVERSATIONS_LIMIT,
  ) {
    this.contacts = new Unprojected(projected, limit);
    this.companies = new Unprojected(projected, limit);
  }

  /** The contact as its stream stood at a position the read models have not reached; undefined: ask them. */
  contact(contactId: string): ContactState | undefined {
    return this.contacts.get(contactId);
  }

  rememberContact(contactId: string, state: ContactState, position: number): void {
    this.contacts.set(contactId, state, position);
  }

  /** The company a domain's contacts join, made or joined at a position the read models have not reached. */
  companyOfDomain(domain: string): string | undefined {
    return this.companies.get(domain);
  }

  rememberCompany(domain: string, companyId: string, position: number): void {
    this.companies.set(domain, companyId, position);
  }

  /** The conversation's contact as the manager last met it in the log; undefined when it did not in this pass (or forgot). */
  conversation(conversationId: string): ConversationContact | undefined {
    return this.conversations.get(conversationId);
  }

  rememberConversation(conversationId: string, contact: ConversationContact): void {
    this.conversations.delete(conversationId);
    this.conversations.set(conversationId, contact);
    for (const oldest of this.conversations.keys()) {
      if (this.conversations.size <= this.conversationsLimit) break;
      this.conversations.delete(oldest);
    }
  }

  forgetConversation(conversationId: string): void {
    this.conversations.delete(conversationId);
  }

  /** Entries held now (for tests and bounds). */
  get size(): number {
    return this.contacts.size + this.companies.size + this.conversations.size;
  }

  clear(): void {
    this.contacts.clear();
    this.companies.clear();
    this.conversations.clear();
  }
}

/** Values by key, each good until the read models reach its position. */
class Unprojected<T> {
  /** In insertion order, which is nearly position order: forgetting starts at the front. */
  private readonly entries = new Map<string, { value: T; position: number }>();

  constructor(
    private readonly projected: () => number,
    private readonly limit: number,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  get(key: string): T | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.position > this.projected()) return entry.value;
    this.entries.delete(key);
    return undefined;
  }

  set(key: string, value: T, position: number): void {
    this.entries.delete(key);
    const projected = this.projected();
    if (position > projected) this.entries.set(key, { value, position });
    for (const [oldest, entry] of this.entries) {
      if (this.entries.size <= this.limit && entry.position > projected) break;
      this.entries.delete(oldest);
    }
  }

  delete(key: string): void {
    this.entries.delete(key);
  }

  clear(): void {
    this.entries.clear();
  }
}
