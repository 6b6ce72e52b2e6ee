import { CommandBus, CommandHandler, type ICommandHandler, Command } from '@nestjs/cqrs';
import type { CommandContext } from '../command-handling/command-context';
import { ChangeConversation } from './change-conversation.handler';

export type BulkAction = 'close' | 'trash';

export type BulkItemResult = { id: string; ok: true; revision: number } | { id: string; ok: false; error: unknown };

/** Bulk close / bulk trash over a selection (rule 7): one result per id, one failure never stops the rest. */
export class BulkConversationActionCommand extends Command<{ action: BulkAction; results: BulkItemResult[] }> {
  constructor(
    readonly ids: string[],
    readonly action: BulkAction,
    readonly ctx: CommandContext,
  ) {
    super();
  }
}

@CommandHandler(BulkConversationActionCommand)
export class BulkConversationActionHandler implements ICommandHandler<BulkConversationActionCommand> {
  constructor(private readonly commandBus: CommandBus) {}

  async execute({ ids, action, ctx }: BulkConversationActionCommand) {
    const results: BulkItemResult[] = [];
    for (const id of [...new Set(ids)]) {
      try {
        const build = (now: string) =>
          action === 'close'
            ? { type: 'CloseConversation' as const, data: { closeTicket: false, now } }
            : { type: 'TrashConversation' as const, data: { now } };
        const result = await this.commandBus.execute(new ChangeConversation(id, build, { ...ctx, expectedRevision: undefined }));
        results.push({ id, ok: true, revision: result.revision });
      } catch (error) {
        results.push({ id, ok: false, error });
      }
    }
    return { action, results };
  }
}
