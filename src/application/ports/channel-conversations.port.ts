import type { Channel } from '../../domain/shared/types';

/**
 * What the application tells the channels about their conversations. Implemented by the plugin
 * registry (it hands the notice to the plugin of that channel); the application never sees a plugin.
 */
export const CHANNEL_CONVERSATION_NOTICES = Symbol('CHANNEL_CONVERSATION_NOTICES');

/** A conversation deleted forever, with what it referenced (from its tombstone). */
export interface ConversationDeletedForever {
  conversationId: string;
  inboxId: string;
  channel: Channel;
  externalThreadId: string;
  /** Every AttachmentRef.id its messages carried, each once. */
  attachmentIds: string[];
}

export interface ChannelConversationNotices {
  /** Resolves once the channel has dealt with it; throws to be retried. */
  conversationDeletedForever(notice: ConversationDeletedForever): Promise<void>;
}
