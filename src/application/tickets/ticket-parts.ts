import { CreateTicketHandler } from './create-ticket.handler';
import { GetTicketHandler, SearchTicketsHandler } from './ticket-queries.handler';
import { TicketRecords } from './ticket-records.saga';
import { TicketViews } from './ticket-view';
import { UnownTicketsWhenAgentRemoved } from './unown-tickets-when-agent-removed.saga';
import { UpdateTicketHandler } from './update-ticket.handler';

/** Tickets as records (docs/tickets.md): what application.module-parts.ts lists. */
export const ticketCommandHandlers = [CreateTicketHandler, UpdateTicketHandler];
export const ticketQueryHandlers = [GetTicketHandler, SearchTicketsHandler];
export const ticketProcessManagers = [TicketRecords, UnownTicketsWhenAgentRemoved];
/** Services the handlers share (providers of their own). */
export const ticketServices = [TicketViews];
