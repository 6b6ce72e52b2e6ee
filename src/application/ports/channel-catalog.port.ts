import type { AttachmentRef, Channel } from '../../domain/shared/types';

/**
 * Which channels exist in this Parley: the built-in ones and those of the loaded plugins.
 * Implemented by the plugin registry; a filter on a channel nobody provides is a mistake to name.
 */
export const CHANNEL_CATALOG = Symbol('CHANNEL_CATALOG');

/**
 * What a channel's plugin declares it can do (the plugin interface's ChannelCapabilities): the UI
 * offers an action only where the channel declares it, and the application refuses the rest.
 */
export interface ChannelCapabilitySet {
  reply: boolean;
  html: boolean;
  attachments: boolean;
  transcript: boolean;
  switchToEmail: boolean;
  forward: boolean;
  compose: boolean;
  /** It shows a bot's buttons and hands the pick back (absent: false; the buttons are then listed in the text). */
  choices?: boolean;
  /** Agents may answer with one of the channel's approved templates (absent: false). */
  templates?: boolean;
  /** Its messages have To and Cc: the reply box offers reply-all, and replies may name them (absent: false). */
  cc?: boolean;
}

/**
 * Whether a free-form reply may go out on a conversation's own channel now (the plugin's
 * replyWindow, Meta's 24-hour window): `closesAt` null when it does not close; a closed one says
 * why in the plugin's words by language (`en` always).
 */
export type ChannelReplyWindow = { open: true; closesAt: string | null } | { open: false; closedAt: string; reason: { en: string } & Record<string, string> };

/** One of a channel's approved templates (WhatsApp), with its body and how many parameters it takes. */
export interface ChannelMessageTemplate {
  name: string;
  language: string;
  category: string;
  /** `Hello {{1}}, your order {{2}} has shipped.` */
  body: string;
  parameterCount: number;
}

export interface ChannelCatalog {
  knownChannels(): readonly Channel[];
  /** The capabilities the plugin of `channel` declares; null when no loaded plugin provides the channel. */
  capabilitiesOf(channel: Channel): ChannelCapabilitySet | null;
  /**
   * Where agents download a file that came with a message of `channel`: the plugin's own path when
   * it keeps its files (the email channel's blobs), else the host's
   * `/api/conversations/<id>/attachments/<attachmentId>` (InboundMessage.files, reply uploads).
   */
  attachmentUrl(channel: Channel, conversationId: string, ref: AttachmentRef): string;
  /**
   * The reply window of a conversation on its own channel at `now`, as the channel's plugin sees it;
   * null when the plugin declares none (replies always allowed) or no plugin provides the channel.
   */
  replyWindowOf(conversationId: string, channel: Channel, now: Date): Promise<ChannelReplyWindow | null>;
  /** The approved templates agents may send on the conversation; [] when the channel's plugin has none. */
  templatesOf(conversationId: string, channel: Channel): Promise<ChannelMessageTemplate[]>;
}
