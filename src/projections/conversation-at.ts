import type { RecordedEvent } from '../application/ports/event-store.port';
import type { CommentView, ConversationDetail, ConversationSummary, MessageView } from '../application/ports/read-store.port';
import type { ConversationEvent, ConversationEventType } from '../domain/conversation/conversation.events';
import type { Channel, Party } from '../domain/shared/types';
import { evolveConversationDoc, type ConversationDoc } from './conversation-summary';
import { deliveryView, withReaction, type StoredReceipt } from './thread-receipts';

/**
 * A conversation as it was at any moment, folded from its own stream (docs/api.md `?at=`). Pure: the
 * summary is the conversations read model's fold (conversation-summary.ts), the thread mirrors
 * what the thread read model stores, and the names that the live detail joins in at read time
 * (agents, the inbox's address) are passed in, so for "now" the result equals the live detail.
 */

/** A message as the thread read model keeps it: names are joined in later. */
export interface ThreadMessage {
  id: string;
  direction: 'in' | 'out';
  /** Outbound only; inbound messages take the conversation's channel. */
  channel: Channel | null;
  /** Inbound only; outbound messages come from the inbox, signed by their author. */
  from: Party | null;
  to: Party[];
  subject: string;
  text: string;
  html: string | null;
  attachments: MessageView['attachments'];
  at: string;
  authorId: string | null;
  delivery: { status: 'queued' | 'delivered' | 'failed' | 'retrying'; reason: string | null } | null;
  /** Outbound only: a reply to the contact, a forward outside the company or a chat's transcript. */
  kind: 'reply' | 'forward' | 'transcript' | null;
  /** What the channel last reported of a reply (ReplyStatusReported). */
  receipt?: StoredReceipt;
  choices?: MessageView['choices'];
  reactions?: MessageView['reactions'];
  fields?: MessageView['fields'];
  template?: MessageView['template'];
  cc?: MessageView['cc'];
}

export interface ThreadComment {
  id: string;
  authorId: string;
  text: string;
  mentions: string[];
  at: string;
}

export interface ConversationState {
  /** null before ConversationStarted and after ConversationDeleted. */
  doc: ConversationDoc | null;
  messages: ThreadMessage[];
  comments: ThreadComment[];
}

export const emptyConversationState: ConversationState = { doc: null, messages: [], comments: [] };

/** What the live detail looks up at read time: agent display names and the inbox's address. */
export interface DetailContext {
  /** The name shown for an agent id (removed agents keep their last name). */
  agentName(id: string): string;
  /** Outbound messages are sent from it ('' when the inbox has none). */
  inboxAddress: string;
}

type DataOf<T extends ConversationEventType> = Extract<ConversationEvent, { type: T }>['data'];

/** One event into the summary document and the thread, as the two projections apply it. */
export function evolveConversation(state: ConversationState, event: RecordedEvent): ConversationState {
  const doc = evolveConversationDoc(state.doc, event);
  switch (event.type) {
    case 'MessageReceived': {
      const data = event.data as DataOf<'MessageReceived'>;
      return { doc, comments: state.comments, messages: withMessage(state.messages, inboundMessage(data)) };
    }
    case 'ReplyQueued': {
      const data = event.data as DataOf<'ReplyQueued'>;
      return { doc, comments: state.comments, messages: withMessage(state.messages, outboundMessage(data)) };
    }
    case 'ConversationForwarded': {
      const data = event.data as DataOf<'ConversationForwarded'>;
      return { doc, comments: state.comments, messages: withMessage(state.messages, forwardMessage(data)) };
    }
    case 'TranscriptSent': {
      const data = event.data as DataOf<'TranscriptSent'>;
      return { doc, comments: state.comments, messages: withMessage(state.messages, transcriptMessage(data)) };
    }
    case 'ReplyDelivered': {
      const data = event.data as DataOf<'ReplyDelivered'>;
      return { doc, comments: state.comments, messages: withDelivery(state.messages, data.messageId, 'delivered', null) };
    }
    case 'ReplyDeliveryFailed': {
      const data = event.data as DataOf<'ReplyDeliveryFailed'>;
      const status = data.retryable ? 'retrying' : 'failed';
      return { doc, comments: state.comments, messages: withDelivery(state.messages, data.messageId, status, data.reason) };
    }
    case 'ReplyStatusReported': {
      const data = event.data as DataOf<'ReplyStatusReported'>;
      const receipt: StoredReceipt = { status: data.status, reason: data.reason ?? null, at: data.at };
      return { doc, comments: state.comments, messages: state.messages.map((m) => (m.id === data.messageId ? { ...m, receipt } : m)) };
    }
    case 'ReactionReceived': {
      const data = event.data as DataOf<'ReactionReceived'>;
      const messages = state.messages.map((m) => {
        if (m.id !== data.messageId) return m;
        const { reactions: before, ...rest } = m;
        const reactions = withReaction(before ?? [], data);
        return reactions.length ? { ...rest, reactions } : rest;
      });
      return { doc, comments: state.comments, messages };
    }
    case 'CommentAdded': {
      const data = event.data as DataOf<'CommentAdded'>;
      if (state.comments.some((c) => c.id === data.commentId)) return { ...state, doc };
      const comment = { id: data.commentId, authorId: data.authorId, text: data.text, mentions: data.mentions, at: data.at };
      return { doc, messages: state.messages, comments: [...state.comments, comment] };
    }
    case 'ConversationDeleted':
      return { doc, messages: [], comments: [] };
    default:
      return { ...state, doc };
  }
}

export function foldConversation(events: readonly RecordedEvent[]): ConversationState {
  return events.reduce(evolveConversation, emptyConversationState);
}

/** The stream's events recorded at or before `at` (by their metadata's occurredAt). */
export function eventsUntil(events: readonly RecordedEvent[], at: Date): RecordedEvent[] {
  const limit = at.getTime();
  return events.filter((event) => Date.parse(event.metadata.occurredAt) <= limit);
}

/** Every agent id whose name the detail shows: the assignee, reply authors, comment authors. */
export function agentIdsOf(state: ConversationState): string[] {
  const ids = new Set<string>();
  if (state.doc?.assignee?.type === 'agent') ids.add(state.doc.assignee.id);
  for (const message of state.messages) if (message.direction === 'out' && message.authorId !== null) ids.add(message.authorId);
  for (const comment of state.comments) ids.add(comment.authorId);
  return [...ids];
}

/** The docs/api.md detail (summary + messages + comments); null when there is no conversation. */
export function conversationDetailOf(state: ConversationState, context: DetailContext): ConversationDetail | null {
  const { doc } = state;
  if (!doc) return null;
  return {
    ...summaryOf(doc, context.agentName),
    messages: state.messages.map((message) => messageView(message, doc.channel, context)),
    comments: state.comments.map((comment) => commentView(comment, context)),
  };
}

/** The conversation as it was at `at`: null when it did not exist yet (or was deleted by then). */
export function conversationAt(events: readonly RecordedEvent[], at: Date, context: DetailContext): ConversationDetail | null {
  return conversationDetailOf(foldConversation(eventsUntil(events, at)), context);
}

function inboundMessage(data: DataOf<'MessageReceived'>): ThreadMessage {
  return {
    id: data.messageId,
    direction: 'in',
    channel: null,
    from: data.from,
    to: data.to,
    subject: data.subject,
    text: data.text,
    html: data.html ?? null,
    attachments: data.attachments,
    at: data.receivedAt,
    authorId: null,
    delivery: null,
    kind: null,
    ...(data.fields?.length ? { fields: data.fields } : {}),
    ...(data.cc?.length ? { cc: data.cc } : {}),
  };
}

function outboundMessage(data: DataOf<'ReplyQueued'>): ThreadMessage {
  return {
    id: data.messageId,
    direction: 'out',
    channel: data.channel,
    from: null,
    to: data.to,
    subject: data.subject,
    text: data.text,
    html: data.html ?? null,
    attachments: data.attachments ?? [],
    at: data.queuedAt,
    authorId: data.authorId,
    delivery: { status: 'queued', reason: null },
    kind: 'reply',
    ...(data.choices?.length ? { choices: data.choices } : {}),
    ...(data.template ? { template: data.template } : {}),
    ...(data.cc?.length ? { cc: data.cc } : {}),
  };
}

function forwardMessage(data: DataOf<'ConversationForwarded'>): ThreadMessage {
  return { ...outboundMessage({ ...data, queuedAt: data.forwardedAt }), kind: 'forward' };
}

function transcriptMessage(data: DataOf<'TranscriptSent'>): ThreadMessage {
  // The automatic transcript on close has no author: the system sent it.
  return { ...outboundMessage({ ...data, authorId: '', queuedAt: data.sentAt }), authorId: data.authorId ?? null, kind: 'transcript' };
}

/** Keyed by message id, first one wins (the thread read model inserts OR IGNORE). */
function withMessage(messages: ThreadMessage[], message: ThreadMessage): ThreadMessage[] {
  return messages.some((m) => m.id === message.id) ? messages : [...messages, message];
}

function withDelivery(messages: ThreadMessage[], messageId: string, status: 'delivered' | 'failed' | 'retrying', reason: string | null): ThreadMessage[] {
  return messages.map((m) => (m.id === messageId ? { ...m, delivery: { status, reason } } : m));
}

/**
 * The API's summary of a document (the live read store's too): only the API's fields, the
 * document's bookkeeping (purgeAfter, blockedAddress…) stays inside; the assignee's name joined in.
 */
export function summaryOf(doc: ConversationDoc, agentName: (id: string) => string): ConversationSummary {
  return {
    id: doc.id,
    inboxId: doc.inboxId,
    channel: doc.channel,
    status: doc.status,
    origin: doc.origin,
    assignee: doc.assignee?.type === 'agent' ? { type: 'agent', id: doc.assignee.id, name: agentName(doc.assignee.id) } : doc.assignee,
    contact: doc.contact,
    contactId: doc.contact?.id ?? null,
    participants: doc.participants,
    subject: doc.subject,
    preview: doc.preview,
    lastReceivedAt: doc.lastReceivedAt,
    awaitingReply: doc.awaitingReply,
    awaitingContactReply: doc.awaitingContactReply,
    commentPreview: doc.commentPreview,
    forwarded: doc.forwarded ?? false,
    spam: doc.spam,
    filtered: doc.filtered,
    trashed: doc.trashed,
    trashedAt: doc.trashedAt,
    ticket: doc.ticket,
    ticketId: doc.ticket?.id ?? null,
    revision: doc.revision,
  };
}

function messageView(message: ThreadMessage, conversationChannel: Channel, context: DetailContext): MessageView {
  const outbound = message.direction === 'out';
  return {
    id: message.id,
    direction: message.direction,
    channel: message.channel ?? conversationChannel,
    from: outbound ? { address: context.inboxAddress, name: context.agentName(message.authorId ?? 'system') } : (message.from ?? { address: '' }),
    to: message.to,
    subject: message.subject,
    text: message.text,
    html: message.html,
    attachments: message.attachments,
    at: message.at,
    delivery: message.delivery && deliveryView(message.delivery, message.receipt ?? null),
    authorId: message.authorId,
    kind: message.kind,
    ...(message.choices?.length ? { choices: message.choices.map(({ id, label }) => ({ id, label })) } : {}),
    ...(message.reactions?.length ? { reactions: message.reactions } : {}),
    ...(message.fields?.length ? { fields: message.fields } : {}),
    ...(message.template ? { template: message.template } : {}),
    ...(message.cc?.length ? { cc: message.cc } : {}),
  };
}

function commentView(comment: ThreadComment, context: DetailContext): CommentView {
  return {
    id: comment.id,
    author: { id: comment.authorId, name: context.agentName(comment.authorId) },
    text: comment.text,
    mentions: comment.mentions,
    at: comment.at,
  };
}
