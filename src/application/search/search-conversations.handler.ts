import { Inject } from '@nestjs/common';
import { Query, QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { InboxAccess } from '../access/inbox-access';
import type { AuthenticatedAgent } from '../command-handling/command-context';
import { READ_STORE, type ConversationSummary, type Page, type ReadStore } from '../ports/read-store.port';
import { orThrow, parseSearchParameters } from './conversation-filters';

/**
 * `GET /api/conversations`: full text and filters combined (docs/design.md rule 2), in one inbox the
 * agent can reach. `params` are the query parameters as received; they are validated here, so
 * the rules live in one place for search and custom views.
 */
export class SearchConversationsQuery extends Query<Page<ConversationSummary>> {
  constructor(
    readonly agent: AuthenticatedAgent,
    readonly params: Record<string, unknown>,
  ) {
    super();
  }
}

@QueryHandler(SearchConversationsQuery)
export class SearchConversationsHandler implements IQueryHandler<SearchConversationsQuery> {
  constructor(
    private readonly access: InboxAccess,
    @Inject(READ_STORE) private readonly readStore: ReadStore,
  ) {}

  async execute({ agent, params }: SearchConversationsQuery): Promise<Page<ConversationSummary>> {
    const { inboxId, filters, sort, limit, cursor } = orThrow(parseSearchParameters(params));
    const inbox = await this.access.resolveInbox(agent, inboxId);
    return this.readStore.searchConversations({ inboxId: inbox.id, filters, sort, limit, cursor });
  }
}
