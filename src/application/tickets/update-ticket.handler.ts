import { Inject } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import type { PropertyDefinition } from '../../domain/record-settings/record-properties';
import { ticketDecider } from '../../domain/ticket/ticket.decider';
import { InboxAccess } from '../access/inbox-access';
import type { CommandContext } from '../command-handling/command-context';
import { CommandExecutor } from '../command-handling/command-executor';
import { READ_STORE, type ReadStore } from '../ports/read-store.port';
import { propertiesOf, RECORD_STORE, type RecordStore } from '../ports/record-store.port';
import { streams } from '../streams';
import { assertOwner } from './ticket-owner';
import { unknownTicket } from './ticket-stream';
import { TicketViews } from './ticket-view';
import { UpdateTicketCommand, type TicketChanges, type TicketView } from './ticket.messages';

/** `PATCH /api/tickets/:id`: If-Match is the ticket's revision. Closing the ticket here leaves its conversation as it is. */
@CommandHandler(UpdateTicketCommand)
export class UpdateTicketHandler implements ICommandHandler<UpdateTicketCommand> {
  constructor(
    private readonly executor: CommandExecutor,
    private readonly access: InboxAccess,
    private readonly views: TicketViews,
    @Inject(READ_STORE) private readonly readStore: ReadStore,
    @Inject(RECORD_STORE) private readonly records: RecordStore,
  ) {}

  async execute({ ticketId, changes, ctx }: UpdateTicketCommand): Promise<TicketView> {
    const properties = changes.custom === undefined ? [] : propertiesOf(await this.records.getRecordSettings(), 'ticket');
    await this.executor.execute(
      streams.ticket(ticketId),
      ticketDecider,
      { type: 'ChangeTicket', data: { ...changes, properties, now: this.executor.now().toISOString() } },
      ctx,
      async (state) => {
        // Access first, and an unknown or removed ticket before If-Match: a 409 must not tell them apart.
        if (state.kind !== 'live') throw unknownTicket(ticketId)();
        await this.access.assertInbox(ctx.agent, state.inboxId, unknownTicket(ticketId));
        await assertOwner(this.readStore, this.access, changes.ownerId, state.inboxId);
      },
    );
    return this.views.get(ctx.agent, ticketId);
  }
}

/**
 * The changes asked for when the ticket was made, beyond its opening; nothing to change: nothing
 * written. Answers the position to wait for (0: none).
 */
export async function changeTicket(
  executor: CommandExecutor,
  ticketId: string,
  changes: TicketChanges,
  properties: readonly PropertyDefinition[],
  ctx: CommandContext,
): Promise<number> {
  const wanted = Object.fromEntries(Object.entries(changes).filter(([, value]) => value !== undefined));
  if (Object.keys(wanted).length === 0) return 0;
  const outcome = await executor.execute(
    streams.ticket(ticketId),
    ticketDecider,
    { type: 'ChangeTicket', data: { ...wanted, properties, now: executor.now().toISOString() } },
    { ...ctx, expectedRevision: undefined },
  );
  return outcome.events.length > 0 ? outcome.position : 0;
}
