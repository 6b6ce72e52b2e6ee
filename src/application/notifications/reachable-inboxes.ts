import type { ReadStore } from '../ports/read-store.port';

/**
 * The inboxes whose notifications an agent may see (rule 15): undefined for an admin (every
 * inbox), the inboxes they are a member of otherwise, none for an agent who was removed. A
 * notification about a conversation of an inbox the agent left is not shown, nor counted.
 */
export async function reachableInboxIds(readStore: ReadStore, agentId: string): Promise<string[] | undefined> {
  const agent = await readStore.getAgent(agentId);
  if (!agent) return [];
  if (agent.role === 'admin') return undefined;
  return (await readStore.listInboxes()).filter((inbox) => inbox.memberIds.includes(agentId)).map((inbox) => inbox.id);
}
