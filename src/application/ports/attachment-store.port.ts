import type { AttachmentRef } from '../../domain/shared/types';

/**
 * Files kept with a conversation. Agents' reply files: uploaded first (each answers an
 * AttachmentRef), then named by id in the reply, which records the refs on ReplyQueued; the
 * reply's delivery job reads the bytes back for the channel. And the files a channel plugin hands
 * over with an inbound message (InboundMessage.files: WhatsApp or Messenger media), kept before
 * the message is recorded. A plugin that keeps its own files (the email channel's blobs) is not here.
 */
export const ATTACHMENT_STORE = Symbol('ATTACHMENT_STORE');

/** At most this many bytes per file (10 MiB): more is refused with 413 naming the limit. */
export const MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024;
/** At most this many files on one reply. */
export const MAX_ATTACHMENTS_PER_REPLY = 10;
/**
 * Inbound files (InboundMessage.files): at most this many per message, this many bytes per file
 * (25 MiB, Messenger's own limit; WhatsApp's media stay below it except large documents, which a
 * plugin names in the text instead) and in all.
 */
export const MAX_INBOUND_FILES = 10;
export const MAX_INBOUND_FILE_BYTES = 25 * 1024 * 1024;
export const MAX_INBOUND_FILES_TOTAL_BYTES = 50 * 1024 * 1024;

export interface AttachmentStore {
  /** Keeps the file for the conversation and answers its ref (a new id every time). */
  put(input: { conversationId: string; filename: string; contentType: string; content: Buffer; uploadedBy: string }): Promise<AttachmentRef>;
  /** The file's ref and bytes, or null when the conversation holds no such file. */
  get(conversationId: string, attachmentId: string): Promise<{ ref: AttachmentRef; content: Buffer } | null>;
  /** Removes one file (an inbound file whose message turned out a duplicate or was refused); nothing when it is not there. */
  delete(conversationId: string, attachmentId: string): Promise<void>;
  /** Removes the conversation's files uploaded up to `uploadedUpTo` (it was deleted forever then). */
  deleteConversation(conversationId: string, uploadedUpTo: Date): Promise<void>;
}
