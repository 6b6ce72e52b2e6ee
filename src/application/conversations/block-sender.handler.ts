import { CommandHandler, type ICommandHandler, Command } from '@nestjs/cqrs';
import { conversationDecider, type ConversationState } from '../../domain/conversation/conversation.decider';
import { senderPolicyDecider } from '../../domain/sender-policy/sender-policy.decider';
import { InboxAccess } from '../access/inbox-access';
import type { CommandContext } from '../command-handling/command-context';
import { CommandExecutor } from '../command-handling/command-executor';
import { streams } from '../streams';
import { inboxGuard, toResult, type ConversationCommandResult } from './conversation-result';

/**
 * Rule 5: the conversation moves to Filtered (its ticket is deleted for good) and the sender is
 * blocked in the inbox's sender policy, so every future thread from them is filtered too.
 * Two streams, written in that order; should the process die in between, the process manager
 * BlockSenderWhenConversationFiltered finishes the second write from the event log.
 */
export class BlockSenderCommand extends Command<ConversationCommandResult & { address: string }> {
  constructor(
    readonly conversationId: string,
    readonly ctx: CommandContext,
  ) {
    super();
  }
}

@CommandHandler(BlockSenderCommand)
export class BlockSenderHandler implements ICommandHandler<BlockSenderCommand> {
  constructor(
    private readonly executor: CommandExecutor,
    private readonly access: InboxAccess,
  ) {}

  async execute({ conversationId, ctx }: BlockSenderCommand) {
    const outcome = await this.executor.execute(
      streams.conversation(conversationId),
      conversationDecider,
      { type: 'BlockSender', data: {} },
      ctx,
      inboxGuard(this.access, ctx),
    );
    const { inboxId, address } = senderOf(outcome.state);
    await this.executor.execute(
      streams.senderPolicy(inboxId, address),
      senderPolicyDecider,
      { type: 'BlockSenderAddress', data: { inboxId, address, conversationId } },
      { ...ctx, expectedRevision: undefined },
    );
    return { ...toResult(conversationId, outcome), address };
  }
}

function senderOf(state: ConversationState): { inboxId: string; address: string } {
  if (state.status !== 'open' && state.status !== 'closed') throw new Error('a filtered conversation has an inbox and a sender');
  return { inboxId: state.inboxId, address: state.senderAddress };
}
