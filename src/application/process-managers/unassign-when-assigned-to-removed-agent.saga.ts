import { Injectable } from '@nestjs/common';
import { agentDecider } from '../../domain/agent/agent.decider';
import { conversationDecider } from '../../domain/conversation/conversation.decider';
import { fold } from '../../domain/shared/decider';
import { systemContext } from '../command-handling/command-context';
import { CommandExecutor } from '../command-handling/command-executor';
import { toDomainEvents } from '../command-handling/handle-command';
import type { RecordedEvent } from '../ports/event-store.port';
import { streams } from '../streams';
import type { ProcessManager } from './process-manager';

/**
 * Rule 4, the other half: an assignment that raced with the agent's removal (its guard read the
 * agent just before the removal, its append came just after the removal's unassign pass) is
 * undone here, from the agent's own stream, which is the authority on whether they exist.
 */
@Injectable()
export class UnassignWhenAssignedToRemovedAgent implements ProcessManager {
  readonly name = 'unassign-when-assigned-to-removed-agent';
  readonly handles = ['ConversationAssigned'] as const;

  constructor(private readonly executor: CommandExecutor) {}

  async handle(event: RecordedEvent): Promise<void> {
    const assignee = event.data.assignee as { type: string; id?: string };
    if (assignee.type !== 'agent' || !assignee.id) return;
    const agent = fold(agentDecider, toDomainEvents(await this.executor.store.readStream(streams.agent(assignee.id))));
    if (agent.status !== 'removed') return;
    await this.executor.execute(
      event.streamId,
      conversationDecider,
      { type: 'UnassignRemovedAgent', data: { agentId: assignee.id } },
      systemContext({ correlationId: event.metadata.correlationId, causationId: event.id }),
    );
  }
}
