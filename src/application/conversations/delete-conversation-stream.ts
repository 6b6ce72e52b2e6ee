import { CommandExecutor } from '../command-handling/command-executor';
import { streams, uuidV5 } from '../streams';

/** Where every "delete forever" leaves its tombstone. */
export const DELETED_CONVERSATIONS_STREAM = 'deleted-conversations';

/**
 * Deletes a conversation's stream for good, after recording a tombstone that names it, its last
 * revision and last hash: an auditor can then tell a deliberate "delete forever" (or the 30-day
 * purge) from a stream that went missing, and see the end of the chain that was deleted.
 * Idempotent: the tombstone's id derives from that last hash, so a retry after a crash between
 * the two writes appends nothing twice.
 */
export async function deleteConversationStream(executor: CommandExecutor, conversationId: string, cause: { correlationId: string; causationId: string }): Promise<void> {
  const streamId = streams.conversation(conversationId);
  const [last] = await executor.store.readStream(streamId, { direction: 'backwards', maxCount: 1 });
  if (!last || last.type !== 'ConversationDeleted') return;
  await executor.store.append(
    DELETED_CONVERSATIONS_STREAM,
    [
      {
        id: uuidV5(`tombstone\u0000${conversationId}\u0000${last.metadata.hash}`),
        type: 'ConversationStreamDeleted',
        data: { conversationId, reason: last.data.reason ?? 'agent', lastRevision: last.revision, lastHash: last.metadata.hash, deletedBy: last.metadata.actor },
        metadata: { actor: { type: 'system' }, occurredAt: executor.now().toISOString(), correlationId: cause.correlationId, causationId: cause.causationId },
      },
    ],
    { expectedRevision: 'any' },
  );
  await executor.store.deleteStream(streamId);
}
