import { Inject, Injectable } from '@nestjs/common';
import { ticketDecider } from '../../domain/ticket/ticket.decider';
import { systemContext } from '../command-handling/command-context';
import { CommandExecutor } from '../command-handling/command-executor';
import type { RecordedEvent } from '../ports/event-store.port';
import { RECORD_STORE, type RecordStore } from '../ports/record-store.port';
import type { ProcessManager } from '../process-managers/process-manager';
import { streams } from '../streams';

const PAGE = 100;

/**
 * As rule 4 does for conversations: when an agent is removed from the account, the tickets they
 * own get no owner (TicketChanged {ownerId: null, via: 'owner-removed'}), in every inbox and
 * status. Idempotent: a ticket owned by someone else by now is left as it is.
 */
@Injectable()
export class UnownTicketsWhenAgentRemoved implements ProcessManager {
  readonly name = 'unown-tickets-when-agent-removed';
  readonly handles = ['AgentRemoved'] as const;

  constructor(
    private readonly executor: CommandExecutor,
    @Inject(RECORD_STORE) private readonly records: RecordStore,
  ) {}

  async handle(event: RecordedEvent): Promise<void> {
    const agentId = String(event.data.agentId);
    // Every ownership given before the removal is in the read model.
    await this.executor.settleOrThrow(event.position);
    const ctx = systemContext({ correlationId: event.metadata.correlationId, causationId: event.id });
    const ids: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.records.searchTickets({ ownerId: agentId, limit: PAGE, cursor });
      ids.push(...page.items.map((ticket) => ticket.id));
      cursor = page.nextCursor ?? undefined;
    } while (cursor !== undefined);
    // Collected first: each change takes the ticket off the owner's list the pages walk.
    for (const id of ids) {
      await this.executor.execute(
        streams.ticket(id),
        ticketDecider,
        { type: 'UnownRemovedAgent', data: { agentId, now: this.executor.now().toISOString() } },
        ctx,
      );
    }
  }
}
