import type { ConversationState } from '../../domain/conversation/conversation.decider';
import type { ConversationEvent } from '../../domain/conversation/conversation.events';
import { unknownConversationCommand, type InboxAccess } from '../access/inbox-access';
import type { CommandContext } from '../command-handling/command-context';
import type { CommandOutcome } from '../command-handling/handle-command';

/** What every conversation command answers (docs/api.md: `{ id, revision }`). */
export interface ConversationCommandResult {
  id: string;
  revision: number;
  /** The events written ([] when the command was already satisfied). */
  events: string[];
}

export function toResult(id: string, outcome: CommandOutcome<ConversationState, ConversationEvent>): ConversationCommandResult {
  return { id, revision: outcome.revision, events: outcome.events.map((e) => e.type) };
}

export function inboxOf(state: ConversationState): string | null {
  return state.status === 'open' || state.status === 'closed' ? state.inboxId : null;
}

/**
 * The guard every conversation command runs on the loaded state: the caller needs access to its
 * inbox (rule 15); without it the conversation answers as an unknown one. An unknown one is
 * refused here too, before If-Match is compared: a 409 naming "no-stream" would tell it apart.
 */
export const inboxGuard =
  (access: InboxAccess, ctx: CommandContext) =>
  async (state: ConversationState): Promise<void> => {
    if (state.status === 'none') throw unknownConversationCommand();
    const inboxId = inboxOf(state);
    if (inboxId) await access.assertInbox(ctx.agent, inboxId, unknownConversationCommand);
  };
