import type { CustomChanges } from '../record-settings/record-properties';

/**
 * A ticket as a record of its own (stream `ticket-<id>`): one conversation's, linked for good (rule
 * 10). The conversation's stream records the link and the rules that reach the ticket
 * (TicketCreated, TicketClosed, TicketDeleted); this stream records the ticket's own life.
 */
export type TicketEvent = TicketOpened | TicketChanged | TicketRemoved;

export const TICKET_STATUSES = ['new', 'waiting-on-contact', 'waiting-on-us', 'closed'] as const;
export type TicketStatus = (typeof TICKET_STATUSES)[number];

export const TICKET_PRIORITIES = ['low', 'medium', 'high', 'urgent'] as const;
export type TicketPriority = (typeof TICKET_PRIORITIES)[number];

export interface TicketOpened {
  type: 'TicketOpened';
  data: {
    ticketId: string;
    conversationId: string;
    inboxId: string;
    name: string;
    status: TicketStatus;
    priority: TicketPriority | null;
    ownerId: string | null;
    openedAt: string;
  };
}

/**
 * Only what changed is present. `via`: an agent's edit (absent), closed together with its
 * conversation (rule 8: `conversation-closed`), or the owner taken off because they were removed
 * from the account (`owner-removed`).
 */
export interface TicketChanged {
  type: 'TicketChanged';
  data: {
    name?: string;
    status?: TicketStatus;
    priority?: TicketPriority | null;
    ownerId?: string | null;
    custom?: CustomChanges;
    via?: 'conversation-closed' | 'owner-removed';
    at: string;
  };
}

/** Deleted for good with its conversation (rule 7) or because its sender was blocked (rule 5); the stream is deleted after it is projected. */
export interface TicketRemoved {
  type: 'TicketRemoved';
  data: { reason: 'sender-blocked' | 'conversation-deleted'; at: string };
}
