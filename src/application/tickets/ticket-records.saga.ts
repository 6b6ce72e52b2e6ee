import { Injectable } from '@nestjs/common';
import { conversationDecider } from '../../domain/conversation/conversation.decider';
import { inboxOf } from '../conversations/conversation-result';
import { fold } from '../../domain/shared/decider';
import { ticketDecider } from '../../domain/ticket/ticket.decider';
import type { TicketCommand } from '../../domain/ticket/ticket.commands';
import { systemContext } from '../command-handling/command-context';
import { CommandExecutor } from '../command-handling/command-executor';
import { toDomainEvents } from '../command-handling/handle-command';
import type { ConversationEvent } from '../../domain/conversation/conversation.events';
import type { RecordedEvent } from '../ports/event-store.port';
import type { ProcessManager } from '../process-managers/process-manager';
import { conversationIdFromStream, streams } from '../streams';
import { openTicketStream } from './ticket-stream';

/**
 * Keeps each ticket's own stream in step with what its conversation records (docs/tickets.md):
 * TicketCreated opens it (tickets made before tickets were records get theirs: the manager reads
 * the log from its start), TicketClosed closes it (rule 8), TicketDeleted removes it and then
 * deletes its stream for good (rules 5 and 7), the removal's reason kept in both the conversation's
 * history and the ticket's last event until the stream is gone. Idempotent: every step checks the
 * stream first.
 */
@Injectable()
export class TicketRecords implements ProcessManager {
  readonly name = 'ticket-records';
  readonly handles = ['TicketCreated', 'TicketClosed', 'TicketDeleted'] as const;

  constructor(private readonly executor: CommandExecutor) {}

  async handle(event: RecordedEvent): Promise<void> {
    const conversationId = conversationIdFromStream(event.streamId);
    if (!conversationId) return;
    const ticketId = String(event.data.ticketId);
    const ctx = systemContext({ correlationId: event.metadata.correlationId, causationId: event.id });
    const now = this.executor.now().toISOString();
    switch (event.type) {
      case 'TicketCreated': {
        // Read again from the log's start, a ticket deleted since must not come back: only the conversation's current ticket is opened.
        const conversation = fold(conversationDecider, toDomainEvents<ConversationEvent>(await this.executor.store.readStream(event.streamId)));
        const inboxId = inboxOf(conversation);
        if (!inboxId || conversation.status === 'none' || conversation.status === 'deleted' || conversation.ticket?.id !== ticketId) return;
        await openTicketStream(this.executor, { ticketId, conversationId, inboxId, name: String(event.data.name), now }, ctx);
        return;
      }
      case 'TicketClosed':
        await this.decide(ticketId, { type: 'CloseTicketWithConversation', data: { now } }, ctx);
        return;
      case 'TicketDeleted': {
        const reason = event.data.reason === 'sender-blocked' ? 'sender-blocked' : 'conversation-deleted';
        const outcome = await this.decide(ticketId, { type: 'RemoveTicket', data: { reason, now } }, ctx);
        const [last] = await this.executor.store.readStream(streams.ticket(ticketId), { direction: 'backwards', maxCount: 1 });
        if (!last || last.type !== 'TicketRemoved') return;
        // Never delete what the read models still show: the record leaves them through TicketRemoved.
        await this.executor.settleOrThrow(Math.max(outcome, last.position));
        await this.executor.store.deleteStream(streams.ticket(ticketId));
        return;
      }
    }
  }

  private async decide(ticketId: string, command: TicketCommand, ctx: ReturnType<typeof systemContext>): Promise<number> {
    const outcome = await this.executor.execute(streams.ticket(ticketId), ticketDecider, command, ctx);
    return outcome.position;
  }
}
