import { Inject } from '@nestjs/common';
import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { randomUUID } from 'node:crypto';
import { conversationDecider } from '../../domain/conversation/conversation.decider';
import type { Party } from '../../domain/shared/types';
import { AccessDeniedError, InboxAccess, NotFoundError } from '../access/inbox-access';
import type { CommandContext } from '../command-handling/command-context';
import { CommandExecutor } from '../command-handling/command-executor';
import { inboxGuard, toResult, type ConversationCommandResult } from '../conversations/conversation-result';
import { READ_STORE, type ConversationDetail, type ReadStore } from '../ports/read-store.port';
import { streams } from '../streams';
import { forwardLanguage, forwardedContent } from './forwarded-content';

export interface ForwardConversationResult extends ConversationCommandResult {
  messageId: string;
}

/**
 * Rule 13: send an email conversation to someone outside the company, with a note. The email
 * (note + the thread's messages, never the internal comments) is assembled here from the
 * conversation as the agent sees it, recorded in ConversationForwarded, and delivered by the
 * email channel like a reply.
 */
export class ForwardConversationCommand extends Command<ForwardConversationResult> {
  constructor(
    readonly conversationId: string,
    readonly to: Party,
    readonly note: string | undefined,
    readonly ctx: CommandContext,
  ) {
    super();
  }
}

@CommandHandler(ForwardConversationCommand)
export class ForwardConversationHandler implements ICommandHandler<ForwardConversationCommand> {
  constructor(
    private readonly executor: CommandExecutor,
    private readonly access: InboxAccess,
    @Inject(READ_STORE) private readonly readStore: ReadStore,
  ) {}

  async execute({ conversationId, to, note, ctx }: ForwardConversationCommand): Promise<ForwardConversationResult> {
    if (!ctx.agent) throw new AccessDeniedError('only an agent can forward a conversation');
    const conversation: ConversationDetail | null = await this.readStore.getConversation(conversationId);
    const unknown = () => new NotFoundError('conversation not found; check the conversation id');
    if (!conversation) throw unknown();
    await this.access.assertInbox(ctx.agent, conversation.inboxId, unknown);

    const messageId = randomUUID();
    const { subject, text, html } = forwardedContent(conversation, note, forwardLanguage(ctx.agent.language));
    const outcome = await this.executor.execute(
      streams.conversation(conversationId),
      conversationDecider,
      () => ({
        type: 'ForwardConversation' as const,
        data: {
          messageId,
          authorId: ctx.agent!.id,
          to,
          ...(note === undefined ? {} : { note }),
          subject,
          text,
          html,
          now: this.executor.now().toISOString(),
        },
      }),
      ctx,
      inboxGuard(this.access, ctx),
    );
    return { ...toResult(conversationId, outcome), messageId };
  }
}
