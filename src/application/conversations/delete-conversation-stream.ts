import { CommandExecutor } from '../command-handling/command-executor';
import type { RecordedEvent } from '../ports/event-store.port';
import { streams, uuidV5 } from '../streams';

/** Where every "delete forever" leaves its tombstone. */
export const DELETED_CONVERSATIONS_STREAM = 'deleted-conversations';

/** The tombstone's data. Tombstones written before `channel` was recorded lack the last four fields. */
export interface ConversationStreamDeletedData {
  conversationId: string;
  reason: string;
  lastRevision: number;
  lastHash: string;
  deletedBy: unknown;
  inboxId?: string;
  channel?: string;
  externalThreadId?: string;
  /** What its messages referenced, so the channel can delete what it keeps for them once the stream is gone. */
  attachmentIds?: string[];
}

/**
 * Deletes a conversation's stream for good, after recording a tombstone that names it, its last
 * revision and last hash: an auditor can then tell a deliberate "delete forever" (or the 30-day
 * purge) from a stream that went missing, and see the end of the chain that was deleted. The
 * tombstone also keeps the channel's keys and attachment ids: the channel's own data (email
 * originals, attachments) is cleaned up from it after the stream is gone.
 * Idempotent: the tombstone's id derives from that last hash, so a retry after a crash between
 * the two writes appends nothing twice.
 */
export async function deleteConversationStream(
  executor: CommandExecutor,
  conversationId: string,
  cause: { correlationId: string; causationId: string },
): Promise<void> {
  const streamId = streams.conversation(conversationId);
  const events = await executor.store.readStream(streamId);
  const last = events.at(-1);
  if (!last || last.type !== 'ConversationDeleted') return;
  const data: ConversationStreamDeletedData = {
    conversationId,
    reason: (last.data.reason as string | undefined) ?? 'agent',
    lastRevision: last.revision,
    lastHash: last.metadata.hash as string,
    deletedBy: last.metadata.actor,
    ...channelKeys(events),
  };
  await executor.store.append(
    DELETED_CONVERSATIONS_STREAM,
    [
      {
        id: uuidV5(`tombstone\u0000${conversationId}\u0000${last.metadata.hash}`),
        type: 'ConversationStreamDeleted',
        data: { ...data },
        metadata: { actor: { type: 'system' }, occurredAt: executor.now().toISOString(), correlationId: cause.correlationId, causationId: cause.causationId },
      },
    ],
    { expectedRevision: 'any' },
  );
  await executor.store.deleteStream(streamId);
}

function channelKeys(events: RecordedEvent[]): Pick<ConversationStreamDeletedData, 'inboxId' | 'channel' | 'externalThreadId' | 'attachmentIds'> {
  const started = events.find((e) => e.type === 'ConversationStarted');
  if (!started) return {};
  const { inboxId, channel, externalThreadId } = started.data as { inboxId: string; channel: string; externalThreadId: string };
  const attachmentIds = new Set<string>();
  for (const event of events) {
    if (event.type !== 'MessageReceived') continue;
    for (const attachment of (event.data.attachments as { id: string }[] | undefined) ?? []) attachmentIds.add(attachment.id);
  }
  return { inboxId, channel, externalThreadId, attachmentIds: [...attachmentIds] };
}
