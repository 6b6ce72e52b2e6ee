import type { AttachmentRef, Channel, Party } from '../../domain/shared/types';

/**
 * A message from the outside world, normalised by its channel plugin (DESIGN "Channel plugins").
 * `externalMessageId` is the idempotency key: delivering it again stores nothing new.
 */
export interface InboundMessage {
  channel: Channel;
  /** Target inbox; the default inbox when omitted (and the connection's inbox with `connectionId`). */
  inboxId?: string;
  /**
   * The channel connection it arrived through (chat, Messenger …): the message goes to that
   * connection's inbox, and is refused (404) when the connection is unknown, removed or another
   * plugin's.
   */
  connectionId?: string;
  /**
   * Rule 12: this message answers a reply the channel sent for another channel's conversation (a
   * chat answered by email): it joins that conversation instead of starting one. Refused (400)
   * unless that conversation was answered on this message's channel.
   */
  continuesConversationId?: string;
  externalThreadId: string;
  externalMessageId: string;
  from: Party;
  to: Party[];
  subject?: string;
  text: string;
  html?: string;
  attachments?: AttachmentRef[];
  /** When the channel received it; now when omitted. */
  receivedAt?: string;
  /**
   * The contact's language as the channel knows it (a chat visitor's browser), a language tag like
   * `nl` or `en-GB`: what Parley itself writes to them (a chat's transcript) follows it when Parley
   * speaks that language. Omitted: the inbox default.
   */
  language?: string;
  /**
   * The contact chose one of the buttons offered with a reply (OutboundMessage.choices): its id.
   * `text` still carries the button's label, so the thread reads naturally.
   */
  choiceId?: string;
}

/** What a live channel tells its visitors about the team right now (PluginActivity.teamStatus). */
export interface TeamStatus {
  /** An agent of the inbox is available (not away) and online now. */
  agentsAvailable: boolean;
  /** Within business hours (always true when the inbox keeps none). */
  open: boolean;
  /** Outside business hours: when they start again; null while open or when no opening is set. */
  nextOpenAt: string | null;
  /** The inbox's business-hours time zone (IANA), for showing nextOpenAt. */
  timeZone: string;
  /** The inbox has an active bot that takes this channel's new conversations. */
  botActive: boolean;
}

export interface IngestResult {
  conversationId: string;
  messageId: string;
  /** True when this externalMessageId was already stored: nothing new was written. */
  duplicate: boolean;
}

/** What the core offers a channel plugin: a narrow connection, never the stores themselves. */
export const CHANNEL_CONNECTION = Symbol('CHANNEL_CONNECTION');

export interface IngestOptions {
  /** When an agent's session posts the message (the API channel), their inbox access is checked. */
  onBehalfOf?: { id: string; name: string; email: string; role: 'admin' | 'agent' };
  correlationId?: string;
}

export interface ChannelConnection {
  ingest(message: InboundMessage, options?: IngestOptions): Promise<IngestResult>;
}
