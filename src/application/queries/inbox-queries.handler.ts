import { Inject } from '@nestjs/common';
import { Query, QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { InboxAccess, NotFoundError } from '../access/inbox-access';
import type { AuthenticatedAgent } from '../command-handling/command-context';
import {
  ALWAYS_VISIBLE_VIEWS,
  READ_STORE,
  VIEW_IDS,
  VIEW_NAMES,
  type BuiltInViewId,
  type ConversationDetail,
  type ConversationSummary,
  type Page,
  type ReadStore,
  type SortOrder,
} from '../ports/read-store.port';

export interface ViewListing {
  inboxId: string;
  views: Array<{ id: string; name: string; count: number; alwaysVisible: boolean }>;
}

/** The views of an inbox with their counts, in the order the inbox shows them. */
export class ListViewsQuery extends Query<ViewListing> {
  constructor(
    readonly agent: AuthenticatedAgent,
    readonly inboxId: string | undefined,
  ) {
    super();
  }
}

@QueryHandler(ListViewsQuery)
export class ListViewsHandler implements IQueryHandler<ListViewsQuery> {
  constructor(
    private readonly access: InboxAccess,
    @Inject(READ_STORE) private readonly readStore: ReadStore,
  ) {}

  async execute({ agent, inboxId }: ListViewsQuery): Promise<ViewListing> {
    const inbox = await this.access.resolveInbox(agent, inboxId);
    const counts = await this.readStore.countViews(inbox.id, agent.id);
    return {
      inboxId: inbox.id,
      views: VIEW_IDS.map((id) => ({ id, name: VIEW_NAMES[id], count: counts[id] ?? 0, alwaysVisible: ALWAYS_VISIBLE_VIEWS.includes(id) })),
    };
  }
}

export class ListViewConversationsQuery extends Query<Page<ConversationSummary>> {
  constructor(
    readonly agent: AuthenticatedAgent,
    readonly inboxId: string | undefined,
    readonly viewId: BuiltInViewId,
    readonly sort: SortOrder,
    readonly limit: number,
    readonly cursor: string | undefined,
  ) {
    super();
  }
}

@QueryHandler(ListViewConversationsQuery)
export class ListViewConversationsHandler implements IQueryHandler<ListViewConversationsQuery> {
  constructor(
    private readonly access: InboxAccess,
    @Inject(READ_STORE) private readonly readStore: ReadStore,
  ) {}

  async execute(query: ListViewConversationsQuery): Promise<Page<ConversationSummary>> {
    const inbox = await this.access.resolveInbox(query.agent, query.inboxId);
    return this.readStore.listView({
      inboxId: inbox.id,
      viewId: query.viewId,
      agentId: query.agent.id,
      sort: query.sort,
      limit: query.limit,
      cursor: query.cursor,
    });
  }
}

export class GetConversationQuery extends Query<ConversationDetail> {
  constructor(
    readonly agent: AuthenticatedAgent,
    readonly conversationId: string,
  ) {
    super();
  }
}

@QueryHandler(GetConversationQuery)
export class GetConversationHandler implements IQueryHandler<GetConversationQuery> {
  constructor(
    private readonly access: InboxAccess,
    @Inject(READ_STORE) private readonly readStore: ReadStore,
  ) {}

  async execute({ agent, conversationId }: GetConversationQuery): Promise<ConversationDetail> {
    const conversation = await this.readStore.getConversation(conversationId);
    if (!conversation) throw new NotFoundError(`conversation ${conversationId} not found`);
    const inbox = await this.readStore.getInbox(conversation.inboxId);
    // Out of reach answers as unknown: a 403 would confirm the id exists.
    if (!inbox || !this.access.canAccess(agent, inbox)) throw new NotFoundError(`conversation ${conversationId} not found`);
    return conversation;
  }
}
