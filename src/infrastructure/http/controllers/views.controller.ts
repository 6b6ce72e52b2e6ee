import { Controller, Get, NotFoundException, Param, Query } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import type { AuthenticatedAgent } from '../../../application/command-handling/command-context';
import { VIEW_IDS, type BuiltInViewId } from '../../../application/ports/read-store.port';
import { ListViewConversationsQuery, ListViewsQuery } from '../../../application/queries/inbox-queries.handler';
import { CurrentAgent } from '../auth/auth.decorators';
import { InboxQueryDto } from '../dto/inbox.dto';
import { ViewConversationsQueryDto } from '../dto/conversation.dto';

export const DEFAULT_PAGE_SIZE = 50;

@Controller('api/views')
export class ViewsController {
  constructor(private readonly queryBus: QueryBus) {}

  /** Every view of the inbox with its count; Unassigned, Assigned to me, All open and Chat are always shown. */
  @Get()
  list(@Query() query: InboxQueryDto, @CurrentAgent() agent: AuthenticatedAgent) {
    return this.queryBus.execute(new ListViewsQuery(agent, query.inboxId));
  }

  /** Newest received first (rule 1), oldest first on request; keyset pages via nextCursor. */
  @Get(':viewId/conversations')
  conversations(@Param('viewId') viewId: string, @Query() query: ViewConversationsQueryDto, @CurrentAgent() agent: AuthenticatedAgent) {
    if (!(VIEW_IDS as readonly string[]).includes(viewId)) {
      throw new NotFoundException(`viewId: unknown view "${viewId}"; known views are ${VIEW_IDS.join(', ')}`);
    }
    return this.queryBus.execute(
      new ListViewConversationsQuery(agent, query.inboxId, viewId as BuiltInViewId, query.sort ?? 'newest', query.limit ?? DEFAULT_PAGE_SIZE, query.cursor),
    );
  }
}
