import type { AttachmentRef, Channel, Party } from '../../domain/shared/types';

/**
 * A message from the outside world, normalised by its channel plugin (DESIGN "Channel plugins").
 * `externalMessageId` is the idempotency key: delivering it again stores nothing new.
 */
export interface InboundMessage {
  channel: Channel;
  /** Target inbox; the default inbox when omitted. */
  inboxId?: string;
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
