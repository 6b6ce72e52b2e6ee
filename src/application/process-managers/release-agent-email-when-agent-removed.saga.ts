import { Injectable } from '@nestjs/common';
import { agentEmailDecider } from '../../domain/agent/agent.decider';
import { systemContext } from '../command-handling/command-context';
import { CommandExecutor } from '../command-handling/command-executor';
import type { RecordedEvent } from '../ports/event-store.port';
import { streams } from '../streams';
import type { ProcessManager } from './process-manager';

/** A removed agent's email can be used again: finishes RemoveAgent when the process died before the release. */
@Injectable()
export class ReleaseAgentEmailWhenAgentRemoved implements ProcessManager {
  readonly name = 'release-agent-email-when-agent-removed';
  readonly handles = ['AgentRemoved'] as const;

  constructor(private readonly executor: CommandExecutor) {}

  async handle(event: RecordedEvent): Promise<void> {
    const agentId = String(event.data.agentId);
    const registered = (await this.executor.store.readStream(streams.agent(agentId), { maxCount: 1 }))[0];
    if (registered?.type !== 'AgentRegistered') return;
    const email = String(registered.data.email);
    await this.executor.execute(
      streams.agentEmail(email),
      agentEmailDecider,
      { type: 'ReleaseAgentEmail', data: { email, agentId } },
      systemContext({ correlationId: event.metadata.correlationId, causationId: event.id }),
    );
  }
}
