import { InvalidRequestError, type InboxAccess } from '../access/inbox-access';
import type { ReadStore } from '../ports/read-store.port';

/** A ticket's owner is an agent of the account who reaches the ticket's inbox. */
export async function assertOwner(readStore: ReadStore, access: InboxAccess, ownerId: unknown, inboxId: string): Promise<void> {
  if (typeof ownerId !== 'string') return; // null clears; anything else the decider refuses with its value
  const [agent, inbox] = await Promise.all([readStore.getAgent(ownerId), readStore.getInbox(inboxId)]);
  if (!agent) throw new InvalidRequestError(`ownerId "${ownerId}" is not an agent of this account`);
  if (inbox && !access.canAccess({ ...agent }, inbox)) {
    throw new InvalidRequestError(`owner "${agent.name}" (${ownerId}) has no access to inbox "${inbox.name}"; add them to its members first`);
  }
}
