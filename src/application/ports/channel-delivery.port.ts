import type { ReplyTemplate } from '../../domain/conversation/conversation.events';
import type { Channel, Party } from '../../domain/shared/types';

export type { ReplyTemplate } from '../../domain/conversation/conversation.events';

/**
 * Outbound delivery: the reply job hands a queued reply to the channel plugin that sends that
 * channel's messages. Implemented by the plugin registry; the application never sees a plugin.
 * The shapes below are part of the public plugin interface (src/plugins/channel-plugin.ts
 * re-exports them), so change them only compatibly.
 */
export const CHANNEL_DELIVERY = Symbol('CHANNEL_DELIVERY');

/** One message for a channel to deliver: an agent's reply, a forward, a transcript or a composed email. */
export interface OutboundMessage {
  conversationId: string;
  /**
   * Parley's id for this message. Stable across retries: use it as the idempotency key of your
   * transport (an email Message-ID, an `Idempotency-Key` header) so a send repeated after a crash
   * is recognised by the receiver.
   */
  messageId: string;
  /** The channel the message goes out on (may differ from the conversation's, e.g. a chat answered by email). */
  channel: Channel;
  /** The conversation's own channel: differs from `channel` when a chat is answered by email (rule 12). */
  conversationChannel: Channel;
  /** Everyone the message is addressed to: the contact, or those an agent chose (reply-all, `cc` capability only). */
  to: Party[];
  /** Who is copied (reply-all): only ever for plugins that declare the `cc` capability; absent when nobody is. */
  cc?: Party[];
  /** The inbox's address when it has one (email). */
  from?: Party;
  subject: string;
  text: string;
  /** Only when the agent wrote HTML; plugins without the `html` capability get text only. */
  html?: string;
  thread: {
    /** The conversation's thread key on this channel (email root Message-ID, chat session, phone number …). */
    externalThreadId: string;
    /** External ids of the thread's messages so far, oldest first (inbound ones and delivered replies): email's References. */
    externalMessageIds: string[];
  };
  /**
   * `notification`: Parley telling one of its agents something (a mention, an assignment) by
   * email; sent only through the email channel, never part of a conversation's thread.
   */
  kind: 'reply' | 'forward' | 'transcript' | 'compose' | 'notification';
  /**
   * The language of what the channel itself writes around the agent's text (email: the "On …
   * wrote:" line above the quote, its date): the language of the agent who wrote the message, when
   * they chose one. Absent: English. Plugins keep their own few words per language; one that only
   * speaks English ignores it.
   */
  language?: 'en' | 'nl';
  /**
   * Files the agent attached to a reply, with their bytes. Only for plugins that declare the
   * `attachments` capability (a reply to any other channel cannot carry files).
   */
  attachments?: OutboundAttachment[];
  /**
   * Buttons offered with the message (a bot's question). A channel that can show buttons (the
   * `choices` capability) shows them, and ingests the contact's pick with InboundMessage.choiceId;
   * any other channel gets them listed in `text` already and ignores this.
   */
  choices?: { id: string; label: string }[];
  /**
   * The agent chose one of the channel's approved templates (ChannelPlugin.templates), with its
   * parameters: send the template, not `text` (which holds it as the contact reads it).
   */
  template?: ReplyTemplate;
}

/** A file sent with an outbound message: its name and type as uploaded (the sender's words), and its bytes. */
export interface OutboundAttachment {
  id: string;
  filename: string;
  contentType: string;
  size: number;
  content: Buffer;
}

/**
 * What `send` answers. A thrown error counts as `{ status: 'failed', retryable: true }`.
 * - delivered: the transport accepted the message; `externalMessageId` (the id the outside world
 *   knows it by) is recorded, so the message coming back through the inbox is not stored twice.
 * - failed, retryable: worth trying again later (network error, 5xx, relay down, rate limit).
 * - failed, permanent: retrying cannot help (4xx, unknown recipient, message refused).
 */
export type DeliveryResult = { status: 'delivered'; externalMessageId?: string } | { status: 'failed'; retryable: boolean; reason: string };

export interface ChannelDelivery {
  /**
   * Sends through the plugin registered for `outbound.channel`. Answers a permanent failure when
   * no registered plugin sends on that channel, and a retryable one when the plugin throws.
   */
  send(outbound: OutboundMessage): Promise<DeliveryResult>;
}
