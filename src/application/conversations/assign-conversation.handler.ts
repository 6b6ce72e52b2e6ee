import { Inject } from '@nestjs/common';
import { CommandHandler, type ICommandHandler, Command } from '@nestjs/cqrs';
import { conversationDecider } from '../../domain/conversation/conversation.decider';
import type { Assignee } from '../../domain/shared/types';
import { InboxAccess, InvalidRequestError } from '../access/inbox-access';
import type { CommandContext } from '../command-handling/command-context';
import { CommandExecutor } from '../command-handling/command-executor';
import { READ_STORE, type ReadStore } from '../ports/read-store.port';
import { streams } from '../streams';
import { inboxGuard, inboxOf, toResult, type ConversationCommandResult } from './conversation-result';

/** Assign to an agent of the conversation's inbox, to the bot, or to nobody. */
export class AssignConversationCommand extends Command<ConversationCommandResult> {
  constructor(
    readonly conversationId: string,
    readonly assignee: Assignee,
    readonly ctx: CommandContext,
  ) {
    super();
  }
}

@CommandHandler(AssignConversationCommand)
export class AssignConversationHandler implements ICommandHandler<AssignConversationCommand> {
  constructor(
    private readonly executor: CommandExecutor,
    private readonly access: InboxAccess,
    @Inject(READ_STORE) private readonly readStore: ReadStore,
  ) {}

  async execute({ conversationId, assignee, ctx }: AssignConversationCommand): Promise<ConversationCommandResult> {
    const outcome = await this.executor.execute(
      streams.conversation(conversationId),
      conversationDecider,
      { type: 'AssignConversation', data: { assignee } },
      ctx,
      async (state) => {
        await inboxGuard(this.access, ctx)(state);
        const inboxId = inboxOf(state);
        if (inboxId && assignee?.type === 'agent') await this.assertAssignable(assignee.id, inboxId);
      },
    );
    return toResult(conversationId, outcome);
  }

  private async assertAssignable(agentId: string, inboxId: string): Promise<void> {
    const [agent, inbox] = await Promise.all([this.readStore.getAgent(agentId), this.readStore.getInbox(inboxId)]);
    if (!agent) throw new InvalidRequestError(`assignee "${agentId}" is not an agent of this account`);
    if (inbox && !this.access.canAccess({ ...agent }, inbox)) {
      throw new InvalidRequestError(`assignee "${agent.name}" (${agentId}) has no access to inbox "${inbox.name}"; add them to its members first`);
    }
  }
}
