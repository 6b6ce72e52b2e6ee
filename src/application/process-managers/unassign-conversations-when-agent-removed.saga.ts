import { Inject, Injectable } from '@nestjs/common';
import { conversationDecider } from '../../domain/conversation/conversation.decider';
import { systemContext } from '../command-handling/command-context';
import { CommandExecutor } from '../command-handling/command-executor';
import type { RecordedEvent } from '../ports/event-store.port';
import { READ_STORE, type ReadStore } from '../ports/read-store.port';
import { streams } from '../streams';
import type { ProcessManager } from './process-manager';

/** Rule 4: when an agent is removed from the account, their conversations become unassigned. */
@Injectable()
export class UnassignConversationsWhenAgentRemoved implements ProcessManager {
  readonly name = 'unassign-conversations-when-agent-removed';
  readonly handles = ['AgentRemoved'] as const;

  constructor(
    private readonly executor: CommandExecutor,
    @Inject(READ_STORE) private readonly readStore: ReadStore,
  ) {}

  async handle(event: RecordedEvent): Promise<void> {
    const agentId = String(event.data.agentId);
    await unassignConversationsOf(this.executor, this.readStore, agentId, event);
  }
}

/** Shared with RemoveAgent, which does it at once so the caller's next read already shows it. */
export async function unassignConversationsOf(
  executor: CommandExecutor,
  readStore: ReadStore,
  agentId: string,
  cause: { id: string; position: number; metadata: { correlationId: string } },
): Promise<number> {
  await executor.settleOrThrow(cause.position); // every assignment before the removal is in the read model
  const ids = await readStore.conversationIdsAssignedTo(agentId);
  let changed = 0;
  for (const id of ids) {
    const outcome = await executor.execute(
      streams.conversation(id),
      conversationDecider,
      { type: 'UnassignRemovedAgent', data: { agentId } },
      systemContext({ correlationId: cause.metadata.correlationId, causationId: cause.id }),
    );
    if (outcome.events.length > 0) changed += 1;
  }
  return changed;
}
