import type { Assignee, Channel } from '../shared/types';
import type { ContactRef, ConversationEvent, ReplyReceipt } from './conversation.events';

/**
 * A conversation as the rules see it. Discriminated by `status`: a conversation that does not
 * exist or was deleted forever has nothing else to say, so it carries no inbox fields at all.
 */
export type ConversationState = NoConversation | DeletedConversation | OpenConversation | ClosedConversation;

/** A conversation that exists and can be worked on (open or closed). */
export type ActiveConversation = OpenConversation | ClosedConversation;

export interface NoConversation {
  readonly status: 'none';
}

/** Deleted forever; the stream is about to be removed. */
export interface DeletedConversation {
  readonly status: 'deleted';
  readonly id: string;
}

export interface OpenConversation extends ConversationDetails {
  readonly status: 'open';
}

export interface ClosedConversation extends ConversationDetails {
  readonly status: 'closed';
  readonly closedAt: string;
}

export type ReplyStatus = 'queued' | 'delivered' | 'failed';

export interface LinkedTicket {
  readonly id: string;
  readonly name: string;
  readonly status: 'open' | 'closed';
}

export interface ConversationDetails {
  readonly id: string;
  readonly inboxId: string;
  readonly channel: Channel;
  readonly origin: 'inbound' | 'outbound';
  readonly externalThreadId: string;
  readonly subject: string;
  /** null once the contact was unlinked (rule 10). */
  readonly contact: ContactRef | null;
  /** The email address a contact without one gave later (ContactEmailProvided, rule 12); null until then. */
  readonly contactEmail: string | null;
  /** Every channel an agent's reply went out on: an answer on one of them may continue this conversation (rule 12). */
  readonly answeredOn: ReadonlySet<Channel>;
  /** The contact's normalised address at the start; kept after unlink so the sender can still be blocked. */
  readonly senderAddress: string;
  /** The contact whose erasure was recorded here (PersonalDataErased); null when none was. */
  readonly personalDataErasedFor: string | null;
  readonly assignee: Assignee;
  /** Bots view: "assigned to a bot and never or not yet to an agent". */
  readonly everAssignedToAgent: boolean;
  /** The visitor reached the bot's "send to team member" action (rule 9). */
  readonly botHandoffRequested: boolean;
  /**
   * The inbox's bot took this conversation at its start (ConversationAssigned via `inbox-bot`):
   * rule 9 applies while the bot holds it. An agent assigning a conversation to "Bot" by hand does
   * not make it one.
   */
  readonly startedWithBot: boolean;
  /** The flow bot's current step, once it said something; null otherwise. */
  readonly botFlow: null | { readonly botId: string; readonly stepId: string };
  /** ISO time of the contact's latest message (the start for outbound conversations). */
  readonly lastContactActivityAt: string;
  readonly spam: false | 'agent' | 'role-address' | 'channel';
  /** Set while the sender is blocked, with the address the block was for. */
  readonly filtered: false | { readonly address: string };
  readonly trashed: null | { readonly trashedAt: string; readonly purgeAfter: string };
  readonly ticket: null | LinkedTicket;
  /** Outbound conversation that the contact has not answered yet (rule 3, Sent view). */
  readonly awaitingContactReply: boolean;
  /** Inbound channel message ids and delivered replies' ids: the same message is never stored twice. */
  readonly seenExternalMessageIds: ReadonlySet<string>;
  /** Outbound messages (replies and forwards) by message id, with their delivery status. */
  readonly replies: ReadonlyMap<string, ReplyStatus>;
  /** What the channel reported of delivered replies (ReplyStatusReported), by message id: only ever moves forward. */
  readonly receipts: ReadonlyMap<string, ReplyReceipt>;
  /** Parley's message id by the channel's id, for inbound messages and delivered replies: what a reaction names. */
  readonly messageIdsByExternalId: ReadonlyMap<string, string>;
  /** So a retried AddComment with the same id is a harmless repeat. */
  readonly commentIds: ReadonlySet<string>;
}

/** How far a reply got, as its channel reported: a report is recorded only when it ranks higher. */
export const RECEIPT_RANK: Readonly<Record<ReplyReceipt, number>> = { failed: 1, delivered: 2, read: 3 };

export const initialConversationState = (): ConversationState => ({ status: 'none' });

export function isActive(state: ConversationState): state is ActiveConversation {
  return state.status === 'open' || state.status === 'closed';
}

const laterOf = (a: string, b: string): string => (Date.parse(b) > Date.parse(a) ? b : a);
const withAdded = <T>(set: ReadonlySet<T>, value: T): ReadonlySet<T> => new Set(set).add(value);
const withEntry = <K, V>(map: ReadonlyMap<K, V>, key: K, value: V): ReadonlyMap<K, V> => new Map(map).set(key, value);

/** Folds one event into the state. Events that make no sense for the state are ignored (history is never refused). */
export function evolveConversation(state: ConversationState, event: ConversationEvent): ConversationState {
  if (event.type === 'ConversationStarted') {
    if (state.status !== 'none') return state;
    const { data } = event;
    return {
      status: 'open',
      id: data.conversationId,
      inboxId: data.inboxId,
      channel: data.channel,
      origin: data.origin,
      externalThreadId: data.externalThreadId,
      subject: data.subject,
      contact: data.contact,
      contactEmail: null,
      answeredOn: new Set(),
      senderAddress: data.contact.address,
      personalDataErasedFor: null,
      assignee: null,
      everAssignedToAgent: false,
      botHandoffRequested: false,
      startedWithBot: false,
      botFlow: null,
      lastContactActivityAt: data.startedAt,
      spam: false,
      filtered: false,
      trashed: null,
      ticket: null,
      awaitingContactReply: data.origin === 'outbound',
      seenExternalMessageIds: new Set(),
      replies: new Map(),
      receipts: new Map(),
      messageIdsByExternalId: new Map(),
      commentIds: new Set(),
    };
  }
  if (!isActive(state)) return state;

  switch (event.type) {
    case 'MessageReceived':
      return {
        ...state,
        seenExternalMessageIds: withAdded(state.seenExternalMessageIds, event.data.externalMessageId),
        messageIdsByExternalId: withEntry(state.messageIdsByExternalId, event.data.externalMessageId, event.data.messageId),
        lastContactActivityAt: laterOf(state.lastContactActivityAt, event.data.receivedAt),
        awaitingContactReply: false,
      };
    case 'ReplyQueued':
      return {
        ...state,
        replies: withEntry(state.replies, event.data.messageId, 'queued'),
        answeredOn: state.answeredOn.has(event.data.channel) ? state.answeredOn : withAdded(state.answeredOn, event.data.channel),
      };
    case 'ConversationForwarded':
    case 'TranscriptSent':
      return { ...state, replies: withEntry(state.replies, event.data.messageId, 'queued') };
    case 'ReplyDelivered': {
      const { messageId, externalMessageId } = event.data;
      return {
        ...state,
        replies: withEntry(state.replies, messageId, 'delivered'),
        // Our own reply coming back through the inbox (Bcc, mailing list) is not a contact message.
        seenExternalMessageIds: externalMessageId ? withAdded(state.seenExternalMessageIds, externalMessageId) : state.seenExternalMessageIds,
        messageIdsByExternalId: externalMessageId ? withEntry(state.messageIdsByExternalId, externalMessageId, messageId) : state.messageIdsByExternalId,
      };
    }
    case 'ReplyDeliveryFailed':
      if (state.replies.get(event.data.messageId) === 'delivered') return state;
      return { ...state, replies: withEntry(state.replies, event.data.messageId, 'failed') };
    case 'ConversationAssigned':
      return {
        ...state,
        assignee: event.data.assignee,
        everAssignedToAgent: state.everAssignedToAgent || event.data.assignee.type === 'agent',
        startedWithBot: state.startedWithBot || event.data.via === 'inbox-bot',
      };
    case 'ConversationUnassigned':
      return { ...state, assignee: null };
    case 'ConversationClosed':
      return { ...state, status: 'closed', closedAt: event.data.closedAt };
    case 'ConversationReopened': {
      if (state.status === 'open') return state;
      const { closedAt: _closedAt, ...rest } = state;
      return { ...rest, status: 'open' };
    }
    case 'CommentAdded':
      return { ...state, commentIds: withAdded(state.commentIds, event.data.commentId) };
    case 'ConversationMarkedAsSpam':
      return { ...state, spam: event.data.reason };
    case 'ConversationMarkedAsNotSpam':
      return { ...state, spam: false };
    case 'ConversationFiltered':
      return { ...state, filtered: { address: event.data.address } };
    case 'ConversationUnfiltered':
      return { ...state, filtered: false };
    case 'ConversationTrashed':
      return { ...state, trashed: { trashedAt: event.data.trashedAt, purgeAfter: event.data.purgeAfter } };
    case 'ConversationRestored':
      return { ...state, trashed: null };
    case 'ConversationDeleted':
      return { status: 'deleted', id: state.id };
    case 'TicketCreated':
      return { ...state, ticket: { id: event.data.ticketId, name: event.data.name, status: 'open' } };
    case 'TicketClosed':
      return state.ticket ? { ...state, ticket: { ...state.ticket, status: 'closed' } } : state;
    case 'TicketDeleted':
      return { ...state, ticket: null };
    case 'ContactUnlinked':
      return { ...state, contact: null };
    case 'PersonalDataErased':
      return { ...state, personalDataErasedFor: event.data.contactId };
    case 'ContactLinked':
      return { ...state, contact: { id: event.data.contactId, address: event.data.address, ...(event.data.name ? { name: event.data.name } : {}) } };
    case 'ContactEmailProvided':
      return { ...state, contactEmail: event.data.address };
    case 'BotHandoffRequested':
      return { ...state, botHandoffRequested: true };
    case 'BotFlowAdvanced':
      return { ...state, botFlow: { botId: event.data.botId, stepId: event.data.stepId } };
    case 'ReplyStatusReported':
      return { ...state, receipts: withEntry(state.receipts, event.data.messageId, event.data.status) };
    case 'ReactionReceived':
      return { ...state, seenExternalMessageIds: withAdded(state.seenExternalMessageIds, event.data.externalMessageId) };
    default: {
      // Compile-time check that every event type is handled; an unknown type read from the log is ignored.
      const unhandled: never = event;
      void unhandled;
      return state;
    }
  }
}
