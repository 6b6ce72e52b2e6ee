import { Controller, Get, Query } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import type { AuthenticatedAgent } from '../../../application/command-handling/command-context';
import { SearchConversationsQuery } from '../../../application/search/search-conversations.handler';
import { CurrentAgent } from '../auth/auth.decorators';
import { SearchConversationsQueryDto } from '../dto/search.dto';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ConversationPage } from '../dto/responses.dto';

/**
 * `GET /api/conversations?q=&status=&channel=&contactId=&assignee=&from=&to=&hideFiltered=&hideTrash=&sort=&limit=&cursor=&inboxId=`
 * -> `{ items: [ConversationSummary], nextCursor }`. Shares the prefix with ConversationsController,
 * which serves `/api/conversations/:id`.
 */
@ApiTags('Conversations')
@Controller('api/conversations')
export class SearchController {
  constructor(private readonly queryBus: QueryBus) {}

  @ApiOperation({
    summary: 'Search conversations',
    description: 'Text and filters combined; an unknown name or a bad value is a 400 naming it. Keyset pages via nextCursor.',
  })
  @ApiOkResponse({ type: ConversationPage })
  @Get()
  search(@Query() query: SearchConversationsQueryDto, @CurrentAgent() agent: AuthenticatedAgent) {
    return this.queryBus.execute(new SearchConversationsQuery(agent, { ...query }));
  }
}
