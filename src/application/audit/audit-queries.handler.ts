import { Query, QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { agentIdsOf, conversationDetailOf, eventsUntil, foldConversation } from '../../projections/conversation-at';
import { NotFoundError } from '../access/inbox-access';
import type { AuthenticatedAgent } from '../command-handling/command-context';
import { CorruptEventError, type RecordedEvent } from '../ports/event-store.port';
import type { ConversationDetail } from '../ports/read-store.port';
import { streams } from '../streams';
import { toAuditRecord, type AuditRecord } from './audit-record';
import { AuditedConversationReader } from './audited-conversation';
import { verifyStreamEvents, type StreamVerification } from './verify-stream';

/** Auditors (docs/auditors.md): who did what and when, the state at any moment, proof nothing was rewritten. */

export class GetConversationHistoryQuery extends Query<{ events: AuditRecord[] }> {
  constructor(
    readonly agent: AuthenticatedAgent,
    readonly conversationId: string,
  ) {
    super();
  }
}

@QueryHandler(GetConversationHistoryQuery)
export class GetConversationHistoryHandler extends AuditedConversationReader implements IQueryHandler<GetConversationHistoryQuery> {
  async execute({ agent, conversationId }: GetConversationHistoryQuery): Promise<{ events: AuditRecord[] }> {
    const { events } = await this.readConversation(agent, conversationId);
    return { events: events.map(toAuditRecord) };
  }
}

/** The conversation as it was at `at`, folded from its events recorded at or before then. */
export class GetConversationAtQuery extends Query<ConversationDetail> {
  constructor(
    readonly agent: AuthenticatedAgent,
    readonly conversationId: string,
    readonly at: Date,
  ) {
    super();
  }
}

@QueryHandler(GetConversationAtQuery)
export class GetConversationAtHandler extends AuditedConversationReader implements IQueryHandler<GetConversationAtQuery> {
  async execute({ agent, conversationId, at }: GetConversationAtQuery): Promise<ConversationDetail> {
    const { events, inbox } = await this.readConversation(agent, conversationId);
    const state = foldConversation(eventsUntil(events, at));
    // Names and the inbox address are today's, as in the live detail: a renamed agent shows renamed.
    const names = await this.readStore.agentDisplayNames(agentIdsOf(state));
    const detail = conversationDetailOf(state, { agentName: (id) => names.get(id) ?? id, inboxAddress: inbox.emailAddress ?? '' });
    if (!detail) throw new NotFoundError(`conversation ${conversationId} did not exist yet at ${at.toISOString()}`);
    return detail;
  }
}

export type ConversationVerification = Omit<StreamVerification, 'streamId'> & { conversationId: string };

/** Recomputes the conversation's hash chain from the stored events. */
export class VerifyConversationQuery extends Query<ConversationVerification> {
  constructor(
    readonly agent: AuthenticatedAgent,
    readonly conversationId: string,
  ) {
    super();
  }
}

@QueryHandler(VerifyConversationQuery)
export class VerifyConversationHandler extends AuditedConversationReader implements IQueryHandler<VerifyConversationQuery> {
  async execute({ agent, conversationId }: VerifyConversationQuery): Promise<ConversationVerification> {
    let events: RecordedEvent[];
    try {
      ({ events } = await this.readConversation(agent, conversationId, { stored: true }));
    } catch (error) {
      if (!(error instanceof CorruptEventError)) throw error;
      // The stream cannot be folded, so access is checked on the read model's copy of the inbox.
      await this.assertAccessFromReadModel(agent, conversationId);
      return {
        conversationId,
        ok: false,
        events: 0,
        firstBreak: {
          revision: error.revision,
          eventId: error.eventId,
          position: error.position,
          reason: 'unreadable',
          expected: 'valid JSON',
          actual: 'unreadable',
        },
      };
    }
    const { ok, events: count, firstBreak } = verifyStreamEvents(streams.conversation(conversationId), events);
    return { conversationId, ok, events: count, firstBreak };
  }
}
