import { Inject } from '@nestjs/common';
import { InboxAccess, NotFoundError } from '../access/inbox-access';
import type { AuthenticatedAgent } from '../command-handling/command-context';
import { EVENT_STORE, STORED_EVENT_STORE, type EventStore, type RecordedEvent } from '../ports/event-store.port';
import { READ_STORE, type InboxRecord, type ReadStore } from '../ports/read-store.port';
import { streams } from '../streams';

export interface AuditedConversation {
  events: RecordedEvent[];
  inbox: InboxRecord;
}

/**
 * Base of the audit queries: a conversation's whole stream, read from the event log (not a read
 * model), for an agent who may see it: 404 when the stream is empty or ends deleted, and 404
 * alike without access to its inbox (a 403 would confirm the id exists).
 *
 * Existence and inbox come from a minimal fold (the last ConversationStarted, and no
 * ConversationDeleted after it) rather than the full summary fold, so that a stream whose
 * payloads were tampered with can still be read and verified.
 */
export abstract class AuditedConversationReader {
  constructor(
    @Inject(EVENT_STORE) protected readonly eventStore: EventStore,
    @Inject(READ_STORE) protected readonly readStore: ReadStore,
    protected readonly access: InboxAccess,
    @Inject(STORED_EVENT_STORE) protected readonly storedEventStore: EventStore,
  ) {}

  /**
   * `stored`: the events exactly as stored, personal values sealed (docs/privacy.md), which is
   * what the hash chain covers; otherwise opened, as every other reader sees them.
   */
  protected async readConversation(agent: AuthenticatedAgent, conversationId: string, { stored = false } = {}): Promise<AuditedConversation> {
    const events = await (stored ? this.storedEventStore : this.eventStore).readStream(streams.conversation(conversationId));
    const inboxId = liveInboxOf(events);
    if (inboxId === null) throw new NotFoundError(`conversation ${conversationId} not found`);
    const inbox = await this.readStore.getInbox(inboxId);
    if (!inbox || !this.access.canAccess(agent, inbox)) throw new NotFoundError(`conversation ${conversationId} not found`);
    return { events, inbox };
  }

  /** For a stream that cannot be read back: inbox access judged from the read model. */
  protected async assertAccessFromReadModel(agent: AuthenticatedAgent, conversationId: string): Promise<void> {
    const summary = await this.readStore.getConversationSummary(conversationId);
    if (!summary) throw new NotFoundError(`conversation ${conversationId} not found`);
    const inbox = await this.readStore.getInbox(summary.inboxId);
    if (!inbox || !this.access.canAccess(agent, inbox)) throw new NotFoundError(`conversation ${conversationId} not found`);
  }
}

function liveInboxOf(events: readonly RecordedEvent[]): string | null {
  let inboxId: string | null = null;
  for (const event of events) {
    if (event.type === 'ConversationStarted') inboxId = typeof event.data.inboxId === 'string' ? event.data.inboxId : null;
    else if (event.type === 'ConversationDeleted') inboxId = null;
  }
  return inboxId;
}
