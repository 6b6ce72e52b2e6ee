/** The built-in channels: each has its own view (Email, Chat …) where DESIGN lists one. */
export const CHANNELS = ['email', 'chat', 'messenger', 'whatsapp', 'forms', 'api'] as const;
export type KnownChannel = (typeof CHANNELS)[number];
/**
 * A conversation's channel: a built-in one, or the id of a third-party channel plugin
 * (`signed-webhook`). `string & {}` keeps editor completion for the known names.
 */
export type Channel = KnownChannel | (string & {});

/** How a channel (and the plugin that feeds it) is named: lower-case letters, digits and dashes. */
export const CHANNEL_ID_PATTERN = /^[a-z][a-z0-9-]{0,39}$/;

export function isKnownChannel(channel: string): channel is KnownChannel {
  return (CHANNELS as readonly string[]).includes(channel);
}

/** Someone on the other side of a conversation: an email address, chat visitor id, phone number… */
export interface Party {
  address: string;
  name?: string;
}

export interface AttachmentRef {
  id: string;
  filename: string;
  contentType: string;
  size: number;
}

export type Assignee = { type: 'agent'; id: string } | { type: 'bot' } | null;

export function sameAssignee(a: Assignee, b: Assignee): boolean {
  if (a === null || b === null) return a === b;
  if (a.type !== b.type) return false;
  return a.type === 'bot' || (b.type === 'agent' && a.id === b.id);
}

/** Thirty minutes without visitor activity before a bot conversation may be closed (rule 9). */
export const BOT_INACTIVITY_CLOSE_MS = 30 * 60 * 1000;
/** Trashed conversations are deleted for good this long after trashing (rule 7). */
export const TRASH_RETENTION_MS = 30 * 24 * 60 * 60 * 1000;
