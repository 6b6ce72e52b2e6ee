import type { CustomChanges, PropertyDefinition } from '../record-settings/record-properties';
import type { TicketPriority, TicketStatus } from './ticket.events';

export type TicketCommand = OpenTicket | ChangeTicket | CloseTicketWithConversation | RemoveTicket | UnownRemovedAgent;

/** The record of a ticket its conversation just got (the conversation's TicketCreated). */
export interface OpenTicket {
  type: 'OpenTicket';
  data: {
    ticketId: string;
    conversationId: string;
    inboxId: string;
    name: string;
    status?: TicketStatus;
    priority?: TicketPriority | null;
    ownerId?: string | null;
    now: string;
  };
}

/**
 * An agent's edit. `properties`: the ticket's custom property definitions, read by the handler
 * (the domain has no read models); a custom key not among them is refused.
 */
export interface ChangeTicket {
  type: 'ChangeTicket';
  data: {
    name?: string;
    status?: TicketStatus;
    priority?: TicketPriority | null;
    ownerId?: string | null;
    custom?: CustomChanges;
    properties: readonly PropertyDefinition[];
    now: string;
  };
}

/** Rule 8: the conversation was closed together with its ticket. */
export interface CloseTicketWithConversation {
  type: 'CloseTicketWithConversation';
  data: { now: string };
}

/** Rules 5 and 7: the conversation's TicketDeleted. */
export interface RemoveTicket {
  type: 'RemoveTicket';
  data: { reason: 'sender-blocked' | 'conversation-deleted'; now: string };
}

/** The owner was removed from the account: the ticket keeps no owner who cannot work on it (as rule 4 for conversations). */
export interface UnownRemovedAgent {
  type: 'UnownRemovedAgent';
  data: { agentId: string; now: string };
}
