import { Injectable } from '@nestjs/common';
import { CommandExecutor } from '../command-handling/command-executor';
import type { RecordedEvent } from '../ports/event-store.port';
import { deleteConversationStream } from '../conversations/delete-conversation-stream';
import { conversationIdFromStream } from '../streams';
import type { ProcessManager } from './process-manager';

/** Delete forever removes the stream itself; this finishes it when the process died right after the event. */
@Injectable()
export class DeleteStreamWhenConversationDeleted implements ProcessManager {
  readonly name = 'delete-stream-when-conversation-deleted';
  readonly handles = ['ConversationDeleted'] as const;

  constructor(private readonly executor: CommandExecutor) {}

  async handle(event: RecordedEvent): Promise<void> {
    const [last] = await this.executor.store.readStream(event.streamId, { direction: 'backwards', maxCount: 1 });
    // Already gone, or a new conversation started on the same thread since: nothing to do.
    if (!last || last.type !== 'ConversationDeleted') return;
    await this.executor.settleOrThrow(last.position); // never delete what the read models still show
    const conversationId = conversationIdFromStream(event.streamId);
    if (conversationId) await deleteConversationStream(this.executor, conversationId, { correlationId: event.metadata.correlationId, causationId: event.id });
  }
}
