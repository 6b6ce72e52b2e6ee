import { Inject } from '@nestjs/common';
import { CommandHandler, type ICommandHandler, Command } from '@nestjs/cqrs';
import { conversationDecider } from '../../domain/conversation/conversation.decider';
import { senderPolicyDecider } from '../../domain/sender-policy/sender-policy.decider';
import { normalizeAddress } from '../../domain/shared/address';
import { InboxAccess, InvalidRequestError } from '../access/inbox-access';
import type { CommandContext } from '../command-handling/command-context';
import { CommandExecutor } from '../command-handling/command-executor';
import { READ_STORE, type ReadStore } from '../ports/read-store.port';
import { streams } from '../streams';

/**
 * Unblock a sender of an inbox (from the Spam / Filtered view): future messages arrive again and
 * the conversations filtered because of them come back. The process manager
 * UnfilterConversationsWhenSenderUnblocked repeats the second half after a crash.
 */
export class UnblockSenderCommand extends Command<{ address: string; inboxId: string; unfiltered: string[] }> {
  constructor(
    /** The default inbox when omitted. */
    readonly inboxId: string | undefined,
    readonly address: string,
    readonly ctx: CommandContext,
  ) {
    super();
  }
}

@CommandHandler(UnblockSenderCommand)
export class UnblockSenderHandler implements ICommandHandler<UnblockSenderCommand> {
  constructor(
    private readonly executor: CommandExecutor,
    private readonly access: InboxAccess,
    @Inject(READ_STORE) private readonly readStore: ReadStore,
  ) {}

  async execute({ inboxId: requestedInbox, address, ctx }: UnblockSenderCommand) {
    const inboxId = ctx.agent ? (await this.access.resolveInbox(ctx.agent, requestedInbox)).id : requestedInbox;
    if (!inboxId) throw new InvalidRequestError('inboxId is required for a system unblock');
    const normalized = normalizeAddress(address);
    await this.executor.execute(
      streams.senderPolicy(inboxId, normalized),
      senderPolicyDecider,
      { type: 'UnblockSenderAddress', data: { inboxId, address: normalized } },
      ctx,
    );
    const unfiltered = await unfilterConversationsOf(this.executor, this.readStore, inboxId, normalized, ctx);
    return { address: normalized, inboxId, unfiltered };
  }
}

export async function unfilterConversationsOf(
  executor: CommandExecutor,
  readStore: ReadStore,
  inboxId: string,
  address: string,
  ctx: CommandContext,
): Promise<string[]> {
  const ids = await readStore.filteredConversationIds(inboxId, address);
  const changed: string[] = [];
  for (const id of ids) {
    const outcome = await executor.execute(
      streams.conversation(id),
      conversationDecider,
      { type: 'UnfilterConversation', data: { address } },
      {
        ...ctx,
        expectedRevision: undefined,
      },
    );
    if (outcome.events.length > 0) changed.push(id);
  }
  return changed;
}
