import type { AttachmentRef } from '../../domain/shared/types';

/**
 * Files agents attach to their replies: uploaded first (each answers an AttachmentRef), then named
 * by id in the reply, which records the refs on ReplyQueued; the reply's delivery job reads the
 * bytes back for the channel. Inbound attachments are not here: each channel keeps what it
 * received (the email channel's blobs).
 */
export const ATTACHMENT_STORE = Symbol('ATTACHMENT_STORE');

/** At most this many bytes per file (10 MiB): more is refused with 413 naming the limit. */
export const MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024;
/** At most this many files on one reply. */
export const MAX_ATTACHMENTS_PER_REPLY = 10;

export interface AttachmentStore {
  /** Keeps the file for the conversation and answers its ref (a new id every time). */
  put(input: { conversationId: string; filename: string; contentType: string; content: Buffer; uploadedBy: string }): Promise<AttachmentRef>;
  /** The file's ref and bytes, or null when the conversation holds no such file. */
  get(conversationId: string, attachmentId: string): Promise<{ ref: AttachmentRef; content: Buffer } | null>;
  /** Removes the conversation's files uploaded up to `uploadedUpTo` (it was deleted forever then). */
  deleteConversation(conversationId: string, uploadedUpTo: Date): Promise<void>;
}
