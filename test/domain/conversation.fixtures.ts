import type { ConversationEvent, ConversationStarted, MessageReceived, ReplyQueued } from '../../src/domain/conversation/conversation.events';
import type { ConversationCommand, ReceiveInboundMessage } from '../../src/domain/conversation/conversation.commands';
import type { Channel } from '../../src/domain/shared/types';

/** Shared builders for the conversation specs: one plausible conversation, overridable per test. */
export const T0 = '2026-03-02T09:00:00.000Z';
/** T0 plus some minutes, as ISO. */
export const at = (minutes: number): string => new Date(Date.parse(T0) + minutes * 60_000).toISOString();

export const CONVERSATION_ID = 'conv-1';
export const INBOX_ID = 'inbox-1';
export const CONTACT_ID = 'contact-ana';
export const ANA = { address: 'ana@customer.example', name: 'Ana Lopez' };

export function started(overrides: Partial<ConversationStarted['data']> = {}): ConversationStarted {
  return {
    type: 'ConversationStarted',
    data: {
      conversationId: CONVERSATION_ID,
      inboxId: INBOX_ID,
      channel: 'email',
      origin: 'inbound',
      externalThreadId: '<thread-1@customer.example>',
      contact: { id: CONTACT_ID, ...ANA },
      subject: 'Invoice question',
      startedAt: T0,
      ...overrides,
    },
  };
}

export function received(overrides: Partial<MessageReceived['data']> = {}): MessageReceived {
  return {
    type: 'MessageReceived',
    data: {
      messageId: 'msg-1',
      externalMessageId: '<m1@customer.example>',
      from: ANA,
      to: [{ address: 'support@parley.example' }],
      subject: 'Invoice question',
      text: 'Hello, my invoice is wrong.',
      attachments: [],
      receivedAt: T0,
      ...overrides,
    },
  };
}

export function replyQueued(overrides: Partial<ReplyQueued['data']> = {}): ReplyQueued {
  return {
    type: 'ReplyQueued',
    data: {
      messageId: 'reply-1',
      authorId: 'agent-bo',
      channel: 'email',
      to: [ANA],
      subject: 'Re: Invoice question',
      text: 'We are on it.',
      queuedAt: at(5),
      ...overrides,
    },
  };
}

/** An open inbound conversation on a channel (email by default). */
export function inbound(channel: Channel = 'email', contactAddress = ANA.address): ConversationEvent[] {
  return [
    started({ channel, contact: { id: CONTACT_ID, address: contactAddress, name: ANA.name } }),
    received({ from: { address: contactAddress, name: ANA.name } }),
  ];
}

export const trashed = (minutes = 10): ConversationEvent => ({
  type: 'ConversationTrashed',
  data: { trashedAt: at(minutes), purgeAfter: new Date(Date.parse(at(minutes)) + 30 * 24 * 3_600_000).toISOString() },
});
export const closed = (minutes = 10): ConversationEvent => ({ type: 'ConversationClosed', data: { closedAt: at(minutes) } });
export const ticketCreated = (name = 'Refund #42'): ConversationEvent => ({
  type: 'TicketCreated',
  data: { ticketId: 'ticket-1', name },
});
export const assignedToAgent = (id = 'agent-bo'): ConversationEvent => ({
  type: 'ConversationAssigned',
  data: { assignee: { type: 'agent', id }, previous: null },
});
export const assignedToBot: ConversationEvent = {
  type: 'ConversationAssigned',
  data: { assignee: { type: 'bot' }, previous: null },
};
export const filtered = (address = ANA.address): ConversationEvent => ({
  type: 'ConversationFiltered',
  data: { address, reason: 'sender-blocked' },
});

export function receive(overrides: Partial<ReceiveInboundMessage['data']> = {}): ReceiveInboundMessage {
  return {
    type: 'ReceiveInboundMessage',
    data: {
      conversationId: CONVERSATION_ID,
      inboxId: INBOX_ID,
      channel: 'email',
      externalThreadId: '<thread-1@customer.example>',
      externalMessageId: '<m2@customer.example>',
      messageId: 'msg-2',
      contactId: CONTACT_ID,
      from: ANA,
      to: [{ address: 'support@parley.example' }],
      subject: 'Invoice question',
      text: 'Any news?',
      attachments: [],
      receivedAt: at(60),
      senderBlocked: false,
      now: at(61),
      ...overrides,
    },
  };
}

/** Commands whose data has no fields of its own. */
export const bare = <T extends 'MarkAsSpam' | 'MarkAsNotSpam' | 'BlockSender' | 'RestoreConversation' | 'UnlinkContact'>(
  type: T,
): Extract<ConversationCommand, { type: T }> => ({ type, data: {} }) as Extract<ConversationCommand, { type: T }>;
