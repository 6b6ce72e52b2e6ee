import { Inject } from '@nestjs/common';
import { Query, QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { InboxAccess } from '../access/inbox-access';
import type { AuthenticatedAgent } from '../command-handling/command-context';
import { CHANNEL_CATALOG, type ChannelCatalog } from '../ports/channel-catalog.port';
import { READ_STORE, type ConversationSummary, type Page, type ReadStore } from '../ports/read-store.port';
import { InvalidFiltersError, orThrow, parseSearchParameters } from './conversation-filters';

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
    @Inject(CHANNEL_CATALOG) private readonly channels: ChannelCatalog,
  ) {}

  async execute({ agent, params }: SearchConversationsQuery): Promise<Page<ConversationSummary>> {
    const { inboxId, filters, sort, limit, cursor } = orThrow(parseSearchParameters(params));
    // Searching a channel nobody provides finds nothing, always: a typo the agent should hear about.
    const known = this.channels.knownChannels();
    if (filters.channel !== undefined && !known.includes(filters.channel)) {
      throw new InvalidFiltersError([`channel: must be one of ${known.join(', ')} (got ${JSON.stringify(filters.channel)})`]);
    }
    const inbox = await this.access.resolveInbox(agent, inboxId);
    return this.readStore.searchConversations({ inboxId: inbox.id, filters, sort, limit, cursor });
  }
}
