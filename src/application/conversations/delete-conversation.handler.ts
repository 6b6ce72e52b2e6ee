import { CommandHandler, type ICommandHandler, Command } from '@nestjs/cqrs';
import { conversationDecider } from '../../domain/conversation/conversation.decider';
import { InboxAccess } from '../access/inbox-access';
import type { CommandContext } from '../command-handling/command-context';
import { CommandExecutor } from '../command-handling/command-executor';
import { streams } from '../streams';
import { inboxGuard } from './conversation-result';
import { deleteConversationStream } from './delete-conversation-stream';

/**
 * Delete forever (rule 7): only from Trash. The ConversationDeleted event removes the thread from
 * every read model; then the stream itself is deleted, so the messages are gone for good. If the
 * process dies in between, DeleteStreamWhenConversationDeleted finishes the job.
 */
export class DeleteConversationCommand extends Command<{ id: string; deleted: true }> {
  constructor(
    readonly conversationId: string,
    readonly reason: 'agent' | 'trash-retention',
    readonly ctx: CommandContext,
  ) {
    super();
  }
}

@CommandHandler(DeleteConversationCommand)
export class DeleteConversationHandler implements ICommandHandler<DeleteConversationCommand> {
  constructor(
    private readonly executor: CommandExecutor,
    private readonly access: InboxAccess,
  ) {}

  async execute({ conversationId, reason, ctx }: DeleteConversationCommand) {
    const streamId = streams.conversation(conversationId);
    const outcome = await this.executor.execute(
      streamId,
      conversationDecider,
      () => ({ type: 'DeleteConversation' as const, data: { reason, now: this.executor.now().toISOString() } }),
      ctx,
      inboxGuard(this.access, ctx),
    );
    // The messages must be gone from the read models before the stream goes: if the projections
    // have not applied ConversationDeleted yet, DeleteStreamWhenConversationDeleted finishes later.
    if (await this.executor.settle(outcome.position)) await deleteConversationStream(this.executor, conversationId, ctx);
    return { id: conversationId, deleted: true as const };
  }
}
