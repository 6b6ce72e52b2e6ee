import { Inject } from '@nestjs/common';
import { Query, QueryBus, QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import type { Channel } from '../../domain/shared/types';
import type { AuthenticatedAgent } from '../command-handling/command-context';
import { CHANNEL_CATALOG, type ChannelCatalog, type ChannelMessageTemplate } from '../ports/channel-catalog.port';
import { CLOCK, type Clock } from '../ports/clock.port';
import { GetConversationQuery } from '../queries/inbox-queries.handler';
import { defaultReplyChannel } from './send-reply.handler';

/**
 * How an agent can answer a conversation right now (GET /api/conversations/:id/reply-options and
 * the reply box): the channel a reply goes out on by default, whether its window lets a free-form
 * reply out (with the plugin's reason in every language it gave), and the approved templates.
 */
export interface ReplyOptions {
  channel: Channel;
  window: { open: true; closesAt: string | null } | { open: false; closesAt: null; closedAt: string; reasons: { en: string } & Record<string, string> };
  templates: ChannelMessageTemplate[];
}

export class GetReplyOptionsQuery extends Query<ReplyOptions> {
  constructor(
    readonly agent: AuthenticatedAgent,
    readonly conversationId: string,
  ) {
    super();
  }
}

@QueryHandler(GetReplyOptionsQuery)
export class GetReplyOptionsHandler implements IQueryHandler<GetReplyOptionsQuery> {
  constructor(
    private readonly queryBus: QueryBus,
    @Inject(CHANNEL_CATALOG) private readonly catalog: ChannelCatalog,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async execute({ agent, conversationId }: GetReplyOptionsQuery): Promise<ReplyOptions> {
    // Out of reach answers as unknown (404).
    const conversation = await this.queryBus.execute(new GetConversationQuery(agent, conversationId));
    const channel = defaultReplyChannel(this.catalog, conversation.channel);
    // The window and templates are the conversation's own channel's; a reply by email has neither.
    const own = channel === conversation.channel;
    const [window, templates] = await Promise.all([
      own ? this.catalog.replyWindowOf(conversation.id, channel, this.clock.now()) : Promise.resolve(null),
      own && this.catalog.capabilitiesOf(channel)?.templates ? this.catalog.templatesOf(conversation.id, channel) : Promise.resolve([]),
    ]);
    return {
      channel,
      window: !window
        ? { open: true, closesAt: null }
        : window.open
          ? window
          : { open: false, closesAt: null, closedAt: window.closedAt, reasons: window.reason },
      templates,
    };
  }
}
