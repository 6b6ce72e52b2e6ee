import { agentDecider } from '../../domain/agent/agent.decider';
import type { AgentEvent, NotificationSettings } from '../../domain/agent/agent.events';
import { fold } from '../../domain/shared/decider';
import { toDomainEvents } from '../command-handling/handle-command';
import type { EventStore } from '../ports/event-store.port';
import { streams } from '../streams';

/**
 * An agent's notification switches, as their own stream holds them (the write side: always
 * current, also for a process manager that runs ahead of the read models). Null for an agent
 * that does not exist or was removed: nobody to notify.
 */
export async function notificationSettingsOf(store: EventStore, agentId: string): Promise<NotificationSettings | null> {
  const state = fold(agentDecider, toDomainEvents<AgentEvent>(await store.readStream(streams.agent(agentId))));
  return state.status === 'registered' ? state.notificationSettings : null;
}
