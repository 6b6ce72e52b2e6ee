import { Body, Controller, Delete, Get, NotFoundException, Param, Patch, Post, Query } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { agentContext, type AuthenticatedAgent } from '../../../application/command-handling/command-context';
import { CreateCustomViewCommand } from '../../../application/custom-views/create-custom-view.handler';
import { ListCustomViewConversationsQuery, ListCustomViewsQuery } from '../../../application/custom-views/custom-view-queries.handler';
import { DeleteCustomViewCommand } from '../../../application/custom-views/delete-custom-view.handler';
import { UpdateCustomViewCommand } from '../../../application/custom-views/update-custom-view.handler';
import { VIEW_IDS, type BuiltInViewId } from '../../../application/ports/read-store.port';
import { ListViewConversationsQuery, ListViewsQuery } from '../../../application/queries/inbox-queries.handler';
import { CurrentAgent } from '../auth/auth.decorators';
import { InboxQueryDto } from '../dto/inbox.dto';
import { ViewConversationsQueryDto } from '../dto/conversation.dto';
import { CreateCustomViewDto, UpdateCustomViewDto } from '../dto/search.dto';
import { uuidParam } from './params';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ConversationPage, ViewListing, ViewSummary } from '../dto/responses.dto';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const DEFAULT_PAGE_SIZE = 50;

@ApiTags('Views')
@Controller('api/views')
export class ViewsController {
  constructor(
    private readonly queryBus: QueryBus,
    private readonly commandBus: CommandBus,
  ) {}

  /**
   * Every view of the inbox with its count; Unassigned, Assigned to me, All open and Chat are always
   * shown. The inbox's custom views follow the built-in ones (`custom: true`, with their filters).
   */
  @ApiOperation({
    summary: "The inbox's views with their counts",
    description: 'The built-in views, then the custom ones (`custom: true`, with their filters).',
  })
  @ApiOkResponse({ type: ViewListing })
  @Get()
  async list(@Query() query: InboxQueryDto, @CurrentAgent() agent: AuthenticatedAgent) {
    const listing = await this.queryBus.execute(new ListViewsQuery(agent, query.inboxId));
    const custom = await this.queryBus.execute(new ListCustomViewsQuery(agent, listing.inboxId));
    return { ...listing, views: [...listing.views.map((view) => ({ ...view, custom: false })), ...custom] };
  }

  /** A custom view: a saved filter of the inbox, shared by its team. */
  @ApiOperation({ summary: 'Create a custom view (a saved filter shared by the team)' })
  @ApiCreatedResponse({ type: ViewSummary })
  @Post()
  create(@Body() body: CreateCustomViewDto, @CurrentAgent() agent: AuthenticatedAgent) {
    return this.commandBus.execute(new CreateCustomViewCommand(body.inboxId, body.name, body.filters ?? {}, agentContext(agent)));
  }

  /** By the view's creator or an admin; `filters` replaces the saved filters as a whole. */
  @ApiOperation({ summary: 'Rename a custom view or replace its filters', description: "By the view's creator or an admin." })
  @ApiOkResponse({ type: ViewSummary })
  @Patch(':viewId')
  update(@Param('viewId', uuidParam('viewId')) viewId: string, @Body() body: UpdateCustomViewDto, @CurrentAgent() agent: AuthenticatedAgent) {
    return this.commandBus.execute(new UpdateCustomViewCommand(viewId, { name: body.name, filters: body.filters }, agentContext(agent)));
  }

  @ApiOperation({ summary: 'Delete a custom view', description: "By the view's creator or an admin." })
  @ApiOkResponse({ description: 'Deleted.' })
  @Delete(':viewId')
  remove(@Param('viewId', uuidParam('viewId')) viewId: string, @CurrentAgent() agent: AuthenticatedAgent) {
    return this.commandBus.execute(new DeleteCustomViewCommand(viewId, agentContext(agent)));
  }

  /** Newest received first (rule 1), oldest first on request; keyset pages via nextCursor. */
  @ApiOperation({
    summary: "A view's conversations",
    description: '`viewId` is a built-in view (unassigned, assigned-to-me, all-open, …) or a custom view id. Newest received first, or oldest on request.',
  })
  @ApiOkResponse({ type: ConversationPage })
  @Get(':viewId/conversations')
  conversations(@Param('viewId') viewId: string, @Query() query: ViewConversationsQueryDto, @CurrentAgent() agent: AuthenticatedAgent) {
    if (UUID.test(viewId)) {
      return this.queryBus.execute(
        new ListCustomViewConversationsQuery(
          agent,
          viewId.toLowerCase(),
          query.inboxId,
          query.sort ?? 'newest',
          query.limit ?? DEFAULT_PAGE_SIZE,
          query.cursor,
        ),
      );
    }
    if (!(VIEW_IDS as readonly string[]).includes(viewId)) {
      throw new NotFoundException(`viewId: unknown view "${viewId}"; known views are ${VIEW_IDS.join(', ')}, or a custom view id`);
    }
    return this.queryBus.execute(
      new ListViewConversationsQuery(agent, query.inboxId, viewId as BuiltInViewId, query.sort ?? 'newest', query.limit ?? DEFAULT_PAGE_SIZE, query.cursor),
    );
  }
}
