import { Inject } from '@nestjs/common';
import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { customViewDecider, type CustomViewState } from '../../domain/custom-view/custom-view.decider';
import type { SavedFilters } from '../../domain/custom-view/custom-view.events';
import { AccessDeniedError, InboxAccess, NotFoundError } from '../access/inbox-access';
import type { AuthenticatedAgent, CommandContext } from '../command-handling/command-context';
import { CommandExecutor } from '../command-handling/command-executor';
import { READ_STORE, type ReadStore } from '../ports/read-store.port';
import { orThrow, parseConversationFilters } from '../search/conversation-filters';
import { streams } from '../streams';
import { existingView, requireAgent, toListing, toSavedFilters, type CustomViewListing } from './custom-view-listing';

/** `PATCH /api/views/:id {name?, filters?}`: `filters` replaces the saved filters as a whole. */
export class UpdateCustomViewCommand extends Command<CustomViewListing> {
  constructor(
    readonly viewId: string,
    readonly changes: { name?: string; filters?: unknown },
    readonly ctx: CommandContext,
  ) {
    super();
  }
}

@CommandHandler(UpdateCustomViewCommand)
export class UpdateCustomViewHandler implements ICommandHandler<UpdateCustomViewCommand> {
  constructor(
    private readonly executor: CommandExecutor,
    private readonly access: InboxAccess,
    @Inject(READ_STORE) private readonly readStore: ReadStore,
  ) {}

  async execute({ viewId, changes, ctx }: UpdateCustomViewCommand): Promise<CustomViewListing> {
    const agent = requireAgent(ctx);
    let filters: SavedFilters | undefined;
    if (changes.filters !== undefined) filters = toSavedFilters(orThrow(parseConversationFilters(changes.filters, 'filters.')).saved);
    await this.executor.execute(
      streams.customView(viewId),
      customViewDecider,
      { type: 'UpdateCustomView', data: { name: changes.name, filters } },
      ctx,
      (state) => assertMayChange(this.access, agent, viewId, state),
    );
    return toListing(this.readStore, await existingView(this.readStore, viewId));
  }
}

/**
 * Everyone in the inbox sees a custom view; only the agent who created it, or an admin, may change
 * or delete it. Checked on the view's own history, not on a read model that may lag.
 */
export async function assertMayChange(access: InboxAccess, agent: AuthenticatedAgent, viewId: string, state: CustomViewState): Promise<void> {
  const unknown = () => new NotFoundError(`custom view ${viewId} not found`);
  if (state.status !== 'active') throw unknown();
  // A view of an inbox out of reach answers as an unknown view.
  await access.resolveInbox(agent, state.inboxId, unknown);
  if (agent.role !== 'admin' && state.createdBy !== agent.id) {
    throw new AccessDeniedError(`only the agent who created custom view "${state.name}" or an admin can change or delete it`);
  }
}
