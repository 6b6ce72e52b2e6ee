import { Inject, Injectable } from '@nestjs/common';
import { InboxAccess } from '../access/inbox-access';
import type { AuthenticatedAgent } from '../command-handling/command-context';
import { READ_STORE, type ReadStore } from '../ports/read-store.port';
import { RECORD_STORE, type RecordStore, type TicketRecord } from '../ports/record-store.port';
import { unknownTicket } from './ticket-stream';
import type { TicketView } from './ticket.messages';

/** How many of the contact's other tickets a ticket shows. */
export const OTHER_TICKETS_LIMIT = 20;

/** Reads a ticket with what its page shows, for an agent who reaches its inbox (else: unknown). */
@Injectable()
export class TicketViews {
  constructor(
    @Inject(RECORD_STORE) private readonly records: RecordStore,
    @Inject(READ_STORE) private readonly readStore: ReadStore,
    private readonly access: InboxAccess,
  ) {}

  async get(agent: AuthenticatedAgent | null, ticketId: string): Promise<TicketView> {
    const ticket = await this.records.getTicket(ticketId);
    if (!ticket) throw unknownTicket(ticketId)();
    await this.access.assertInbox(agent, ticket.inboxId, unknownTicket(ticketId));
    return this.view(agent, ticket);
  }

  private async view(agent: AuthenticatedAgent | null, ticket: TicketRecord): Promise<TicketView> {
    const [conversation, contact, owner, otherTickets] = await Promise.all([
      this.readStore.getConversationSummary(ticket.conversationId),
      ticket.contactId ? this.records.getContact(ticket.contactId) : Promise.resolve(null),
      ticket.ownerId ? this.readStore.getAgent(ticket.ownerId) : Promise.resolve(null),
      this.otherTickets(agent, ticket),
    ]);
    // The conversation goes before its ticket record (delete forever): until then, the ticket is as gone.
    if (!conversation) throw unknownTicket(ticket.id)();
    return {
      ...ticket,
      conversation,
      contact,
      owner: owner ? { id: owner.id, name: owner.name } : null,
      otherTickets,
    };
  }

  private async otherTickets(agent: AuthenticatedAgent | null, ticket: TicketRecord): Promise<TicketRecord[]> {
    if (!ticket.contactId) return [];
    const inboxIds = await this.access.reachableInboxIds(agent);
    const page = await this.records.searchTickets({ contactId: ticket.contactId, inboxIds, limit: OTHER_TICKETS_LIMIT + 1 });
    return page.items.filter((other) => other.id !== ticket.id).slice(0, OTHER_TICKETS_LIMIT);
  }
}
