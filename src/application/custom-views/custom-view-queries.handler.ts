import { Inject } from '@nestjs/common';
import { Query, QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { InboxAccess, NotFoundError } from '../access/inbox-access';
import type { AuthenticatedAgent } from '../command-handling/command-context';
import { READ_STORE, type ConversationSummary, type Page, type ReadStore, type SortOrder } from '../ports/read-store.port';
import { orThrow, parseConversationFilters } from '../search/conversation-filters';
import { existingView, toListing, type CustomViewListing } from './custom-view-listing';

/** The custom views of an inbox with live counts, oldest first (listed after the built-in views). */
export class ListCustomViewsQuery extends Query<CustomViewListing[]> {
  constructor(
    readonly agent: AuthenticatedAgent,
    readonly inboxId: string | undefined,
  ) {
    super();
  }
}

@QueryHandler(ListCustomViewsQuery)
export class ListCustomViewsHandler implements IQueryHandler<ListCustomViewsQuery> {
  constructor(
    private readonly access: InboxAccess,
    @Inject(READ_STORE) private readonly readStore: ReadStore,
  ) {}

  async execute({ agent, inboxId }: ListCustomViewsQuery): Promise<CustomViewListing[]> {
    const inbox = await this.access.resolveInbox(agent, inboxId);
    const views = await this.readStore.listCustomViews(inbox.id);
    return Promise.all(views.map((view) => toListing(this.readStore, view)));
  }
}

/** A custom view's conversations: the same query path as `GET /api/conversations` with its saved filters. */
export class ListCustomViewConversationsQuery extends Query<Page<ConversationSummary>> {
  constructor(
    readonly agent: AuthenticatedAgent,
    readonly viewId: string,
    /** When given, the view must belong to this inbox (else 404, as for an unknown view). */
    readonly inboxId: string | undefined,
    readonly sort: SortOrder,
    readonly limit: number,
    readonly cursor: string | undefined,
  ) {
    super();
  }
}

@QueryHandler(ListCustomViewConversationsQuery)
export class ListCustomViewConversationsHandler implements IQueryHandler<ListCustomViewConversationsQuery> {
  constructor(
    private readonly access: InboxAccess,
    @Inject(READ_STORE) private readonly readStore: ReadStore,
  ) {}

  async execute({ agent, viewId, inboxId, sort, limit, cursor }: ListCustomViewConversationsQuery): Promise<Page<ConversationSummary>> {
    const view = await existingView(this.readStore, viewId);
    // Access first: a view of an inbox out of reach answers as an unknown view, whatever else is asked.
    const inbox = await this.access.resolveInbox(agent, view.inboxId, () => new NotFoundError(`custom view ${viewId} not found`));
    if (inboxId !== undefined && inboxId.toLowerCase() !== view.inboxId) throw new NotFoundError(`custom view ${viewId} is not a view of inbox ${inboxId}`);
    const { filters } = orThrow(parseConversationFilters(view.filters, 'filters.'));
    return this.readStore.searchConversations({ inboxId: inbox.id, filters, sort, limit, cursor });
  }
}
