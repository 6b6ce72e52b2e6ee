import type { ConversationState } from '../../domain/conversation/conversation.decider';
import type { ConversationEvent } from '../../domain/conversation/conversation.events';
import type { CommandOutcome } from '../command-handling/handle-command';

/** What every conversation command answers (API.md: `{ id, revision }`). */
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
