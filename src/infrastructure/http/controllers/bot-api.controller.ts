import { Body, Controller, Get, Headers, HttpCode, Param, Post, UseGuards } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiCreatedResponse, ApiHeader, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ActAsWebhookBotCommand, GetBotConversationQuery, type AuthenticatedBot } from '../../../application/bots/webhook-bot-api';
import { InvalidRequestError } from '../../../application/access/inbox-access';
import { Public } from '../auth/auth.decorators';
import { BotTokenGuard, CurrentBot } from '../auth/bot-token.guard';
import { BotConversationDto, BotReplyDto } from '../dto/bot-api.dto';
import { CommandResult, ReplyResult } from '../dto/responses.dto';
import { uuidParam } from './params';

const BOT_AUTH = "Authenticated by the bot's own API token (`Authorization: Bearer <token>`), not by an agent's session. ";
const HELD = "Only a conversation of the bot's inbox that it holds (assigned to the bot, not handed off); any other answers 404.";

/**
 * The API a webhook bot answers through (docs/webhook-bots.md): read a conversation it holds, reply
 * as the bot, hand the conversation to the team. Each route is @Public() for the agents' session
 * guard (and so for the API reference); BotTokenGuard admits only a current token of an active
 * webhook bot.
 */
@ApiTags('Bots')
@UseGuards(BotTokenGuard)
@Controller('api/bot/conversations')
export class BotApiController {
  constructor(
    private readonly commandBus: CommandBus,
    private readonly queryBus: QueryBus,
  ) {}

  @ApiOperation({ summary: 'A conversation the bot holds, with its messages', description: BOT_AUTH + HELD + " The team's comments are never shown." })
  @ApiOkResponse({ type: BotConversationDto })
  @Public()
  @Get(':id')
  get(@Param('id', uuidParam('id')) id: string, @CurrentBot() bot: AuthenticatedBot) {
    return this.queryBus.execute(new GetBotConversationQuery(bot, id));
  }

  @ApiOperation({
    summary: 'Reply as the bot',
    description:
      BOT_AUTH +
      HELD +
      " The reply is queued and delivered by the channel like an agent's; the thread shows it as the bot's. " +
      'Send `Idempotency-Key` to make a retried request send the reply once.',
  })
  @ApiHeader({ name: 'Idempotency-Key', required: false, description: 'Up to 200 characters; the same key names the same reply.' })
  @ApiCreatedResponse({ type: ReplyResult })
  @Public()
  @Post(':id/replies')
  @HttpCode(201)
  async reply(
    @Param('id', uuidParam('id')) id: string,
    @Body() body: BotReplyDto,
    @Headers('idempotency-key') idempotencyKey: string | undefined,
    @CurrentBot() bot: AuthenticatedBot,
  ) {
    if (idempotencyKey !== undefined && (idempotencyKey.length === 0 || idempotencyKey.length > 200)) {
      throw new InvalidRequestError(`Idempotency-Key must be 1 to 200 characters (got ${idempotencyKey.length})`);
    }
    const choices = body.choices?.map((choice) => ({ id: choice.id, label: choice.label.trim() }));
    const result = await this.commandBus.execute(
      new ActAsWebhookBotCommand(bot, id, {
        type: 'reply',
        text: body.text,
        ...(choices?.length ? { choices } : {}),
        ...(idempotencyKey ? { idempotencyKey } : {}),
      }),
    );
    return { id: result.id, revision: result.revision, messageId: result.messageId };
  }

  @ApiOperation({
    summary: 'Hand the conversation to the team',
    description:
      BOT_AUTH +
      HELD +
      ' The visitor asked for a person: the bot lets go, and auto-assignment hands the conversation to an available agent, or it waits in Unassigned. ' +
      'The bot holds it no more afterwards (404 from then on).',
  })
  @ApiOkResponse({ type: CommandResult })
  @Public()
  @Post(':id/handoff')
  @HttpCode(200)
  async handoff(@Param('id', uuidParam('id')) id: string, @CurrentBot() bot: AuthenticatedBot) {
    const result = await this.commandBus.execute(new ActAsWebhookBotCommand(bot, id, { type: 'handoff' }));
    return { id: result.id, revision: result.revision };
  }
}
