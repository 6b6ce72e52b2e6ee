import { randomUUID } from 'node:crypto';
import { Inject } from '@nestjs/common';
import { CommandHandler, type ICommandHandler, Command } from '@nestjs/cqrs';
import { conversationDecider } from '../../domain/conversation/conversation.decider';
import { extractMentionHandles } from '../../domain/shared/address';
import { InboxAccess } from '../access/inbox-access';
import type { CommandContext } from '../command-handling/command-context';
import { CommandExecutor } from '../command-handling/command-executor';
import { READ_STORE, type AgentRecord, type ReadStore } from '../ports/read-store.port';
import { invalidInput } from '../../domain/shared/domain-error';
import { notificationSettingsOf } from '../notifications/notification-settings';
import { streams } from '../streams';
import { inboxGuard, inboxOf, toResult, type ConversationCommandResult } from './conversation-result';

/**
 * An internal note; `@handle` mentions of teammates with access to the inbox are recorded (rule 14)
 * and notify them (docs/notifications.md). A mention of a teammate without access to the inbox is
 * refused: they could not read the note. `notified`: how many mentioned teammates will be told (in
 * the app or by email, as their switches say; never the author).
 */
export class AddCommentCommand extends Command<ConversationCommandResult & { commentId: string; mentions: string[]; notified: number }> {
  constructor(
    readonly conversationId: string,
    readonly text: string,
    readonly ctx: CommandContext,
  ) {
    super();
  }
}

/** The handles an agent answers to: first name, full name without spaces, email local part. */
export function mentionHandlesOf(agent: Pick<AgentRecord, 'name' | 'email'>): string[] {
  const name = agent.name.trim().toLowerCase();
  return [name.split(/\s+/)[0], name.replace(/\s+/g, ''), name.replace(/\s+/g, '.'), agent.email.split('@')[0].toLowerCase()];
}

@CommandHandler(AddCommentCommand)
export class AddCommentHandler implements ICommandHandler<AddCommentCommand> {
  constructor(
    private readonly executor: CommandExecutor,
    private readonly access: InboxAccess,
    @Inject(READ_STORE) private readonly readStore: ReadStore,
  ) {}

  async execute({ conversationId, text, ctx }: AddCommentCommand) {
    const commentId = randomUUID();
    let mentions: string[] = [];
    const outcome = await this.executor.execute(
      streams.conversation(conversationId),
      conversationDecider,
      () => ({
        type: 'AddComment' as const,
        data: { commentId, authorId: ctx.agent?.id ?? 'system', text, mentions, now: this.executor.now().toISOString() },
      }),
      ctx,
      async (state) => {
        await inboxGuard(this.access, ctx)(state);
        const inboxId = inboxOf(state);
        if (inboxId) mentions = await this.resolveMentions(text, inboxId);
      },
    );
    const author = ctx.agent?.id;
    let notified = 0;
    for (const id of mentions) {
      if (id === author || outcome.events.length === 0) continue;
      const mention = (await notificationSettingsOf(this.executor.store, id))?.mention;
      if (mention && (mention.inApp || mention.email)) notified += 1;
    }
    return { ...toResult(conversationId, outcome), commentId, mentions, notified };
  }

  private async resolveMentions(text: string, inboxId: string): Promise<string[]> {
    const handles = extractMentionHandles(text);
    if (handles.length === 0) return [];
    const [agents, inbox] = await Promise.all([this.readStore.listAgents(), this.readStore.getInbox(inboxId)]);
    const reaches = (agent: AgentRecord) => !inbox || this.access.canAccess(agent, inbox);
    const mentioned = agents.filter((agent) => reaches(agent) && mentionHandlesOf(agent).some((h) => handles.includes(h)));
    // A handle that names only teammates who cannot reach the inbox: they would be told of a note they cannot read.
    const outOfReach = handles.flatMap((handle) => {
      const named = agents.filter((agent) => mentionHandlesOf(agent).includes(handle));
      return named.length > 0 && !named.some(reaches) ? named.map((agent) => `@${handle} (${agent.name})`) : [];
    });
    if (outOfReach.length > 0) {
      throw invalidInput(
        'mention-without-access',
        '{{names}} cannot be mentioned here: no access to this inbox; ask an admin to add them, or leave the mention out',
        { names: outOfReach.join(', ') },
      );
    }
    return mentioned.map((a) => a.id).sort();
  }
}
