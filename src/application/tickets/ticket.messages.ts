import { Command, Query } from '@nestjs/cqrs';
import type { PropertyValue } from '../../domain/record-settings/record-properties';
import type { TicketPriority, TicketStatus } from '../../domain/ticket/ticket.events';
import type { AuthenticatedAgent, CommandContext } from '../command-handling/command-context';
import type { ContactRecord, TicketRecord } from '../ports/record-store.port';
import type { ConversationSummary, Page } from '../ports/read-store.port';

/** The commands and queries of tickets (docs/tickets.md), for the HTTP controllers and the web UI alike. */

export interface TicketChanges {
  name?: string;
  status?: TicketStatus;
  priority?: TicketPriority | null;
  ownerId?: string | null;
  custom?: Record<string, PropertyValue | null>;
}

/** A ticket with what its page, its card and `GET /api/tickets/:id` show. */
export interface TicketView extends TicketRecord {
  conversation: ConversationSummary;
  contact: ContactRecord | null;
  owner: { id: string; name: string } | null;
  /** The contact's other tickets the agent can reach, newest first. */
  otherTickets: TicketRecord[];
}

/** `POST /api/conversations/:id/ticket {name, status?, priority?, ownerId?, custom?}`: one ticket per conversation, linked for good (rule 10). */
export class CreateTicketCommand extends Command<TicketView> {
  constructor(
    readonly conversationId: string,
    readonly input: TicketChanges & { name: string },
    readonly ctx: CommandContext,
  ) {
    super();
  }
}

/** `PATCH /api/tickets/:id`. Closing the ticket here leaves the conversation as it is. */
export class UpdateTicketCommand extends Command<TicketView> {
  constructor(
    readonly ticketId: string,
    readonly changes: TicketChanges,
    readonly ctx: CommandContext,
  ) {
    super();
  }
}

export class GetTicketQuery extends Query<TicketView> {
  constructor(
    readonly agent: AuthenticatedAgent,
    readonly ticketId: string,
  ) {
    super();
  }
}

/** `GET /api/tickets?status=&ownerId=&priority=&contactId=&companyId=&q=&inboxId=&limit=&cursor=`: bad values are a 400 naming the parameter. */
export class SearchTicketsQuery extends Query<Page<TicketRecord>> {
  constructor(
    readonly agent: AuthenticatedAgent,
    readonly params: Record<string, unknown>,
  ) {
    super();
  }
}
