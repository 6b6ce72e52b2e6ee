import { Inject, Injectable } from '@nestjs/common';
import type { ConversationStreamDeletedData } from '../conversations/delete-conversation-stream';
import { ATTACHMENT_STORE, type AttachmentStore } from '../ports/attachment-store.port';
import type { RecordedEvent } from '../ports/event-store.port';
import type { ProcessManager } from './process-manager';

/**
 * Delete forever takes the files agents attached to the conversation's replies too. Only files
 * uploaded before the deletion was recorded: a notice handled late must not take the files of a
 * conversation recreated under the same id since. Repeating it removes nothing more.
 */
@Injectable()
export class RemoveReplyFilesWhenConversationDeletedForever implements ProcessManager {
  readonly name = 'remove-reply-files-when-conversation-deleted-forever';
  readonly handles = ['ConversationStreamDeleted'] as const;

  constructor(@Inject(ATTACHMENT_STORE) private readonly attachments: AttachmentStore) {}

  async handle(event: RecordedEvent): Promise<void> {
    const { conversationId } = event.data as unknown as ConversationStreamDeletedData;
    await this.attachments.deleteConversation(conversationId, new Date(event.metadata.occurredAt));
  }
}
