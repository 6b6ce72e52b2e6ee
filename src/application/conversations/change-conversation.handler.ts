import { CommandHandler, type ICommandHandler, Command } from '@nestjs/cqrs';
import { conversationDecider } from '../../domain/conversation/conversation.decider';
import type { ConversationCommand } from '../../domain/conversation/conversation.commands';
import { InboxAccess } from '../access/inbox-access';
import type { CommandContext } from '../command-handling/command-context';
import { CommandExecutor } from '../command-handling/command-executor';
import { streams } from '../streams';
import { inboxGuard, toResult, type ConversationCommandResult } from './conversation-result';

/** Builds the domain command once the clock has been read (controllers never read the clock). */
export type ConversationCommandBuilder = (now: string) => ConversationCommand;

/**
 * A state change of one conversation that needs nothing beyond the conversation itself and the
 * caller's inbox access: close, reopen, spam, not spam, trash, restore, ticket, unlink contact,
 * reply, bot handoff.
 */
export class ChangeConversation extends Command<ConversationCommandResult> {
  constructor(
    readonly conversationId: string,
    readonly build: ConversationCommandBuilder,
    readonly ctx: CommandContext,
  ) {
    super();
  }
}

@CommandHandler(ChangeConversation)
export class ChangeConversationHandler implements ICommandHandler<ChangeConversation> {
  constructor(
    private readonly executor: CommandExecutor,
    private readonly access: InboxAccess,
  ) {}

  async execute({ conversationId, build, ctx }: ChangeConversation): Promise<ConversationCommandResult> {
    const outcome = await this.executor.execute(
      streams.conversation(conversationId),
      conversationDecider,
      () => build(this.executor.now().toISOString()),
      ctx,
      inboxGuard(this.access, ctx),
    );
    return toResult(conversationId, outcome);
  }
}
