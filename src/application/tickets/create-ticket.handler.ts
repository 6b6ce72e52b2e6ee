import { Inject } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { randomUUID } from 'node:crypto';
import { conversationDecider } from '../../domain/conversation/conversation.decider';
import { decideTicket, evolveTicket } from '../../domain/ticket/ticket.decider';
import type { OpenTicket } from '../../domain/ticket/ticket.commands';
import { InboxAccess } from '../access/inbox-access';
import { CommandExecutor } from '../command-handling/command-executor';
import { inboxGuard, inboxOf } from '../conversations/conversation-result';
import { READ_STORE, type ReadStore } from '../ports/read-store.port';
import { propertiesOf, RECORD_STORE, type RecordStore } from '../ports/record-store.port';
import { streams } from '../streams';
import { assertOwner } from './ticket-owner';
import { openTicketStream } from './ticket-stream';
import { TicketViews } from './ticket-view';
import { CreateTicketCommand, type TicketView } from './ticket.messages';
import { changeTicket } from './update-ticket.handler';

/**
 * The one way a ticket is made (API and web UI): the conversation records its ticket
 * (TicketCreated, refused when it has one: rule 10), then the ticket's own stream is opened with
 * what was asked for. Everything is checked before the conversation is written, so a refusal
 * leaves no half-made ticket behind.
 */
@CommandHandler(CreateTicketCommand)
export class CreateTicketHandler implements ICommandHandler<CreateTicketCommand> {
  constructor(
    private readonly executor: CommandExecutor,
    private readonly access: InboxAccess,
    private readonly views: TicketViews,
    @Inject(READ_STORE) private readonly readStore: ReadStore,
    @Inject(RECORD_STORE) private readonly records: RecordStore,
  ) {}

  async execute({ conversationId, input, ctx }: CreateTicketCommand): Promise<TicketView> {
    const ticketId = randomUUID();
    const properties = input.custom === undefined ? [] : propertiesOf(await this.records.getRecordSettings(), 'ticket');
    let opening: OpenTicket['data'] | null = null;
    const outcome = await this.executor.execute(
      streams.conversation(conversationId),
      conversationDecider,
      { type: 'CreateTicket', data: { ticketId, name: input.name } },
      ctx,
      async (state) => {
        await inboxGuard(this.access, ctx)(state);
        const inboxId = inboxOf(state);
        if (!inboxId) return; // the decider answers for a conversation that is gone
        opening = {
          ticketId,
          conversationId,
          inboxId,
          name: input.name,
          status: input.status,
          priority: input.priority,
          ownerId: input.ownerId,
          now: this.executor.now().toISOString(),
        };
        // The ticket's own checks, on a ticket not made yet: a refusal now writes nothing anywhere.
        const [opened] = decideTicket({ type: 'OpenTicket', data: opening }, { kind: 'none' });
        if (input.custom !== undefined) {
          decideTicket({ type: 'ChangeTicket', data: { custom: input.custom, properties, now: opening.now } }, evolveTicket({ kind: 'none' }, opened));
        }
        await assertOwner(this.readStore, this.access, input.ownerId, inboxId);
      },
    );
    if (!opening) throw new Error('the conversation was checked but not read');
    const open: OpenTicket['data'] = opening;
    const opened = await openTicketStream(this.executor, open, ctx);
    // The process manager opened it first (with the name only): what else was asked for is a change.
    const rest = { ...(opened.opened ? {} : { status: input.status, priority: input.priority, ownerId: input.ownerId }), custom: input.custom };
    const position = await changeTicket(this.executor, ticketId, rest, properties, ctx);
    await this.executor.settle(Math.max(outcome.position, opened.position, position));
    return this.views.get(ctx.agent, ticketId);
  }
}
