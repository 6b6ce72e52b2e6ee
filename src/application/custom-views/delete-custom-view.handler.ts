import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { customViewDecider } from '../../domain/custom-view/custom-view.decider';
import { InboxAccess } from '../access/inbox-access';
import type { CommandContext } from '../command-handling/command-context';
import { CommandExecutor } from '../command-handling/command-executor';
import { streams } from '../streams';
import { requireAgent } from './custom-view-listing';
import { assertMayChange } from './update-custom-view.handler';

/** `DELETE /api/views/:id`: by its creator or an admin; the view disappears for the whole team. */
export class DeleteCustomViewCommand extends Command<{ id: string; deleted: true }> {
  constructor(
    readonly viewId: string,
    readonly ctx: CommandContext,
  ) {
    super();
  }
}

@CommandHandler(DeleteCustomViewCommand)
export class DeleteCustomViewHandler implements ICommandHandler<DeleteCustomViewCommand> {
  constructor(
    private readonly executor: CommandExecutor,
    private readonly access: InboxAccess,
  ) {}

  async execute({ viewId, ctx }: DeleteCustomViewCommand): Promise<{ id: string; deleted: true }> {
    const agent = requireAgent(ctx);
    await this.executor.execute(streams.customView(viewId), customViewDecider, { type: 'DeleteCustomView', data: {} }, ctx, (state) =>
      assertMayChange(this.access, agent, viewId, state),
    );
    return { id: viewId, deleted: true };
  }
}
