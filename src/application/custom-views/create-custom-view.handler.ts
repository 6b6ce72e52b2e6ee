import { randomUUID } from 'node:crypto';
import { Inject } from '@nestjs/common';
import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { customViewDecider } from '../../domain/custom-view/custom-view.decider';
import { InboxAccess } from '../access/inbox-access';
import type { CommandContext } from '../command-handling/command-context';
import { CommandExecutor } from '../command-handling/command-executor';
import { READ_STORE, type ReadStore } from '../ports/read-store.port';
import { orThrow, parseConversationFilters } from '../search/conversation-filters';
import { streams } from '../streams';
import { existingView, requireAgent, toListing, toSavedFilters, type CustomViewListing } from './custom-view-listing';

/**
 * `POST /api/views`: saves a filter for an inbox. Views are shared by the team: any agent of the
 * inbox may create one and everyone in it sees it.
 */
export class CreateCustomViewCommand extends Command<CustomViewListing> {
  constructor(
    readonly inboxId: string | undefined,
    readonly name: string,
    readonly filters: unknown,
    readonly ctx: CommandContext,
  ) {
    super();
  }
}

@CommandHandler(CreateCustomViewCommand)
export class CreateCustomViewHandler implements ICommandHandler<CreateCustomViewCommand> {
  constructor(
    private readonly executor: CommandExecutor,
    private readonly access: InboxAccess,
    @Inject(READ_STORE) private readonly readStore: ReadStore,
  ) {}

  async execute({ inboxId, name, filters, ctx }: CreateCustomViewCommand): Promise<CustomViewListing> {
    const agent = requireAgent(ctx);
    const { saved } = orThrow(parseConversationFilters(filters ?? {}, 'filters.'));
    const inbox = await this.access.resolveInbox(agent, inboxId);
    const viewId = randomUUID();
    await this.executor.execute(
      streams.customView(viewId),
      customViewDecider,
      { type: 'CreateCustomView', data: { viewId, inboxId: inbox.id, name, filters: toSavedFilters(saved), createdBy: agent.id } },
      ctx,
    );
    return toListing(this.readStore, await existingView(this.readStore, viewId));
  }
}
