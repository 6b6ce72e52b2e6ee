import { NotFoundError, type HiddenAs } from '../access/inbox-access';
import type { CommandContext } from '../command-handling/command-context';
import type { CommandExecutor } from '../command-handling/command-executor';
import { ConcurrencyError } from '../ports/event-store.port';
import { streams, uuidV5 } from '../streams';
import { decideTicket } from '../../domain/ticket/ticket.decider';
import type { OpenTicket } from '../../domain/ticket/ticket.commands';

/** What a ticket id out of reach, removed or never made answers: the same, so its existence stays unknown. */
export const unknownTicket =
  (ticketId: string): HiddenAs =>
  () =>
    new NotFoundError(`ticket ${ticketId} not found`);

/** The id of a ticket's TicketOpened: the same for every writer, so the second append of it is a no-op. */
export const ticketOpenedEventId = (ticketId: string): string => uuidV5(`ticket-opened\u0000${ticketId}`);

/**
 * Opens the ticket's own stream. Both the create command and the process manager (reacting to
 * the conversation's TicketCreated) call this; whichever comes second finds its event stored and
 * writes nothing (`opened: false`).
 */
export async function openTicketStream(
  executor: CommandExecutor,
  data: OpenTicket['data'],
  ctx: CommandContext,
): Promise<{ opened: boolean; revision: number; position: number }> {
  const [event] = decideTicket({ type: 'OpenTicket', data }, { kind: 'none' });
  const streamId = streams.ticket(data.ticketId);
  try {
    const result = await executor.store.append(
      streamId,
      [
        {
          id: ticketOpenedEventId(data.ticketId),
          type: event.type,
          data: event.data as unknown as Record<string, unknown>,
          metadata: { actor: ctx.actor, occurredAt: executor.now().toISOString(), correlationId: ctx.correlationId, causationId: ctx.causationId },
        },
      ],
      { expectedRevision: 'no-stream' },
    );
    return { opened: !result.duplicate, revision: result.nextRevision, position: result.position };
  } catch (error) {
    // Opened and changed meanwhile: the stream holds more than the opening, so the id check cannot answer "duplicate".
    if (!(error instanceof ConcurrencyError)) throw error;
    const [last] = await executor.store.readStream(streamId, { direction: 'backwards', maxCount: 1 });
    return { opened: false, revision: last?.revision ?? -1, position: last?.position ?? 0 };
  }
}
