import { conversationDecider, isActive, type ConversationState } from '../../domain/conversation/conversation.decider';
import type { ConversationEvent } from '../../domain/conversation/conversation.events';
import { fold } from '../../domain/shared/decider';
import { toDomainEvents } from '../command-handling/handle-command';
import type { RecordedEvent } from '../ports/event-store.port';

/**
 * Which conversation events a webhook bot is sent, and what it is sent (docs/webhook-bots.md).
 * Internal comments, agents' notes and anything else of the team's are never among them.
 */
export const WEBHOOK_BOT_EVENT_TYPES = [
  'MessageReceived',
  'BotHandoffRequested',
  'ConversationClosed',
  'ConversationReopened',
  'ConversationAssigned',
  'ConversationUnassigned',
] as const;

export type WebhookBotEventType = (typeof WEBHOOK_BOT_EVENT_TYPES)[number];

/** The JSON body of one delivery. */
export interface WebhookBotPayload {
  /** The event's id: the same on every retry of this event (X-Parley-Event-Id), so a receiver can drop repeats. */
  id: string;
  type: WebhookBotEventType;
  occurredAt: string;
  conversationId: string;
  inboxId: string;
  botId: string;
  /** The event's place in its conversation (0, 1, 2 …): retries can arrive out of order, this orders them. */
  sequence: number;
  data: Record<string, unknown>;
}

/**
 * The bot holds the conversation: the inbox's bot took it at its start, it is still assigned to
 * the bot, the visitor has not asked for a person, and it is not hidden (Spam, Filtered, Trash:
 * no bot talks to a blocked sender). The same test gives a bot access to the conversation through
 * the bot API.
 */
export function heldByBot(state: ConversationState): boolean {
  if (!isActive(state) || state.assignee?.type !== 'bot' || !state.startedWithBot || state.botHandoffRequested) return false;
  return !state.trashed && !state.spam && !state.filtered;
}

/**
 * Whether the bot is to hear of `event`: it held the conversation just before the command that
 * wrote the event, or holds it right after (the command's events are appended together, so a new
 * conversation's first message is written before the assignment to the bot, in the same append).
 * Assignments and unassignments count only when they involve the bot.
 */
export function concernsBot(stream: readonly RecordedEvent[], event: RecordedEvent): boolean {
  if (!(WEBHOOK_BOT_EVENT_TYPES as readonly string[]).includes(event.type)) return false;
  if (event.type === 'ConversationAssigned' || event.type === 'ConversationUnassigned') {
    const data = event.data as { assignee?: { type?: string }; previous?: { type?: string } | null };
    if (data.assignee?.type !== 'bot' && data.previous?.type !== 'bot') return false;
  }
  const index = stream.findIndex((e) => e.id === event.id);
  if (index < 0) return false;
  let start = index;
  while (start > 0 && sameCommand(stream[start - 1], event)) start -= 1;
  let end = index;
  while (end + 1 < stream.length && sameCommand(stream[end + 1], event)) end += 1;
  const before = fold(conversationDecider, toDomainEvents<ConversationEvent>(stream.slice(0, start)));
  const after = fold(conversationDecider, toDomainEvents<ConversationEvent>(stream.slice(0, end + 1)));
  return heldByBot(before) || heldByBot(after);
}

/** Written by the same command: one append carries the same cause and time on every event. */
function sameCommand(a: RecordedEvent, b: RecordedEvent): boolean {
  return a.metadata.causationId === b.metadata.causationId && a.metadata.occurredAt === b.metadata.occurredAt;
}

/** The body of one delivery: the event's own facts, nothing of the team's (no comments, no internal notes). */
export function webhookBotPayload(event: RecordedEvent, at: { conversationId: string; inboxId: string; botId: string }): WebhookBotPayload {
  return {
    id: event.id,
    type: event.type as WebhookBotEventType,
    occurredAt: event.metadata.occurredAt,
    conversationId: at.conversationId,
    inboxId: at.inboxId,
    botId: at.botId,
    sequence: event.revision,
    data: payloadData(event),
  };
}

function payloadData(event: RecordedEvent): Record<string, unknown> {
  const data = event.data;
  switch (event.type as WebhookBotEventType) {
    case 'MessageReceived': {
      const message = data as {
        messageId: string;
        from: { address: string; name?: string };
        text: string;
        receivedAt: string;
        attachments?: Array<{ filename: string; contentType: string; size: number }>;
        choiceId?: string;
        language?: string;
      };
      return {
        messageId: message.messageId,
        from: { address: message.from.address, ...(message.from.name ? { name: message.from.name } : {}) },
        text: message.text,
        receivedAt: message.receivedAt,
        ...(message.choiceId ? { choiceId: message.choiceId } : {}),
        ...(message.language ? { language: message.language } : {}),
        attachments: (message.attachments ?? []).map((file) => ({ filename: file.filename, contentType: file.contentType, size: file.size })),
      };
    }
    case 'BotHandoffRequested':
      return { at: data.at };
    case 'ConversationClosed':
      return { closedAt: data.closedAt };
    case 'ConversationReopened':
      return { reason: data.reason, reopenedAt: data.reopenedAt };
    case 'ConversationAssigned':
      return { assignee: data.assignee, previous: data.previous ?? null, ...(data.via ? { via: data.via } : {}) };
    case 'ConversationUnassigned':
      return { previous: data.previous, reason: data.reason };
  }
}
