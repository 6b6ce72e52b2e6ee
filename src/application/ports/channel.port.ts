import type { MessageField } from '../../domain/conversation/conversation.events';
import type { AttachmentRef, Channel, Party } from '../../domain/shared/types';

export type { MessageField } from '../../domain/conversation/conversation.events';

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
  /**
   * The message's Cc recipients (a channel with the `cc` capability: email). They become
   * participants of the thread and are copied on reply-all; the inbox's own addresses are left
   * out by the host. Optional: channels without Cc leave it out.
   */
  cc?: Party[];
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
  /**
   * Files that came with the message, with their bytes (WhatsApp or Messenger media the plugin
   * downloaded): the host keeps them with the conversation and serves them to agents who can read
   * it, so the plugin keeps nothing. A plugin that keeps its own files (email) names them in
   * `attachments` instead and serves them itself (ChannelPlugin.attachmentUrl).
   */
  files?: InboundFile[];
  /** Structured facts shown under the message: a form's custom fields, a shared location or contact card. */
  fields?: MessageField[];
  /**
   * The channel judged the message spam (a support form's filled honeypot): its conversation lands
   * in Spam, not in the channel's view. The sender is not told.
   */
  spam?: boolean;
  /**
   * An email address the contact shared with this message (Messenger's email quick reply): the
   * conversation can be answered by email from now on (rule 12). Left out when it is not one.
   */
  contactEmail?: string;
  /**
   * The message is a reaction to another message of the same thread (named by the channel's id for
   * it, one of the contact's messages or a delivered reply): recorded on that message, not as a
   * message of its own. An empty `emoji` takes the contact's reaction away. `text` is ignored.
   * Rejected (404) when the thread or the message it names is not known.
   */
  reaction?: { toExternalMessageId: string; emoji: string };
}

/** A file that came with an inbound message: its name and type as the channel gave them, and its bytes. */
export interface InboundFile {
  filename: string;
  contentType: string;
  content: Buffer;
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
