import { Inject, Injectable } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { createHash } from 'node:crypto';
import { conversationDecider, isActive, type ActiveConversation } from '../../domain/conversation/conversation.decider';
import type { ConversationEvent } from '../../domain/conversation/conversation.events';
import { isEmailAddress } from '../../domain/shared/address';
import { fold } from '../../domain/shared/decider';
import { isDomainError } from '../../domain/shared/domain-error';
import { NotFoundError } from '../access/inbox-access';
import { systemContext } from '../command-handling/command-context';
import { CommandExecutor, ProjectionsBehindError } from '../command-handling/command-executor';
import { toDomainEvents } from '../command-handling/handle-command';
import { CHANNEL_CATALOG, type ChannelCatalog } from '../ports/channel-catalog.port';
import type { RecordedEvent } from '../ports/event-store.port';
import { READ_STORE, type ConversationSummary, type ReadStore } from '../ports/read-store.port';
import { conversationIdFromStream, streams } from '../streams';
import { SendTranscriptCommand } from '../transcripts/send-transcript.handler';
import { MAX_DELIVERY_DELAY_MS } from '../jobs/deliver-reply.job';
import type { ProcessManager } from './process-manager';

/**
 * Rule 12: when a chat ends (an agent closes it, or its channel closes it for the visitor's
 * inactivity), its transcript is emailed to the visitor, when their email address is known. Only
 * for channels whose plugin declares `transcript`; never for a hidden conversation (Spam,
 * Filtered: a blocked visitor gets nothing, Trash).
 *
 * Exactly once per close: the transcript's messageId is derived from the close event's id, and the
 * decider records one transcript per messageId, so handling the event again (after a restart, at
 * least once) sends nothing new. A later close (after a reopen) is a new event: a new transcript.
 *
 * A close older than a reply may wait for delivery (MAX_DELIVERY_DELAY_MS) gets none: this manager
 * starts from the beginning of the log where it is new (an upgrade), and a visitor must not get
 * the transcript of a chat that ended long ago.
 */
@Injectable()
export class SendTranscriptWhenChatClosed implements ProcessManager {
  readonly name = 'send-transcript-when-chat-closed';
  readonly handles = ['ConversationClosed'] as const;

  constructor(
    private readonly commandBus: CommandBus,
    private readonly executor: CommandExecutor,
    @Inject(READ_STORE) private readonly readStore: ReadStore,
    @Inject(CHANNEL_CATALOG) private readonly catalog: ChannelCatalog,
  ) {}

  async handle(event: RecordedEvent): Promise<void> {
    const conversationId = conversationIdFromStream(event.streamId);
    if (!conversationId) return;
    if (this.executor.now().getTime() - Date.parse(event.metadata.occurredAt) > MAX_DELIVERY_DELAY_MS) return;
    // The transcript is rendered from the thread read model: it must hold everything up to the close.
    if (!(await this.executor.settle(event.position))) throw new ProjectionsBehindError(event.position);
    const conversation = await this.readStore.getConversationSummary(conversationId);
    if (!conversation || conversation.spam || conversation.filtered || conversation.trashed) return;
    if (!this.catalog.capabilitiesOf(conversation.channel)?.transcript) return;
    const state = fold(conversationDecider, toDomainEvents<ConversationEvent>(await this.executor.store.readStream(streams.conversation(conversationId))));
    if (!isActive(state)) return;
    const address = contactEmail(state);
    if (!address) return;

    const closer = event.metadata.actor?.type === 'agent' ? await this.readStore.getAgent(event.metadata.actor.id) : null;
    try {
      await this.commandBus.execute(
        new SendTranscriptCommand(
          conversationId,
          { address, ...(state.contact?.name ? { name: state.contact.name } : {}) },
          'closed',
          systemContext({ correlationId: event.metadata.correlationId, causationId: event.id }),
          { messageId: transcriptMessageIdFor(event.id), timeZone: closer?.timeZone ?? null, language: contactLanguage(conversation) },
        ),
      );
    } catch (error) {
      // Deleted forever meanwhile: there is no one to send it for.
      if (error instanceof NotFoundError || (isDomainError(error) && error.code === 'not-found')) return;
      throw error;
    }
  }
}

/** One transcript per close event: a uuid-shaped id derived from the event's id. */
export function transcriptMessageIdFor(closeEventId: string): string {
  const hex = createHash('sha256').update(`transcript:${closeEventId}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${((parseInt(hex[16], 16) & 0x3) | 0x8).toString(16)}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** The visitor's email address: the one they gave in the chat (ContactEmailProvided), else the contact's own when it is one. */
function contactEmail(state: ActiveConversation): string | null {
  if (!state.contact) return null; // unlinked (rule 10): the transcript has no one to go to
  const given = (state as ActiveConversation & { contactEmail?: string | null }).contactEmail;
  if (given && isEmailAddress(given)) return given;
  return isEmailAddress(state.contact.address) ? state.contact.address : null;
}

/** The visitor's language when the read model knows it; otherwise the inbox default (English). */
function contactLanguage(conversation: ConversationSummary): string | null {
  const contact = conversation.contact as (ConversationSummary['contact'] & { language?: string | null }) | null;
  return contact?.language ?? null;
}
