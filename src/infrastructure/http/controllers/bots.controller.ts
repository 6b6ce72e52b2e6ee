import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import {
  ActivateBotCommand,
  ChangeBotCommand,
  CreateBotCommand,
  DeactivateBotCommand,
  IssueBotTokenCommand,
  RemoveBotCommand,
  type BotAnswer,
} from '../../../application/bots/bot-commands.handler';
import { GetBotQuery, ListBotsQuery } from '../../../application/bots/bot-queries.handler';
import type { BotView } from '../../../application/bots/bot-view';
import { agentContext, type AuthenticatedAgent } from '../../../application/command-handling/command-context';
import { CurrentAgent } from '../auth/auth.decorators';
import { BotList, BotToken, BotView as BotViewDto, BotWithSecret, ChangeBotDto, CreateBotDto } from '../dto/bot.dto';
import { uuidParam } from './params';

/**
 * Bots of an inbox (docs/bots.md): admins create, change, activate and remove them and issue a
 * bot's API token. The webhook signing secret and the token are never answered again after the
 * answer that made them.
 */
@ApiTags('Bots')
@Controller('api')
export class BotsController {
  constructor(
    private readonly queryBus: QueryBus,
    private readonly commandBus: CommandBus,
  ) {}

  @ApiOperation({ summary: "The inbox's bots", description: 'Admins only. Oldest first.' })
  @ApiOkResponse({ type: BotList })
  @Get('inboxes/:inboxId/bots')
  async list(@Param('inboxId', uuidParam('inboxId')) inboxId: string, @CurrentAgent() agent: AuthenticatedAgent): Promise<{ bots: BotView[] }> {
    return { bots: await this.queryBus.execute(new ListBotsQuery(agent, inboxId)) };
  }

  @ApiOperation({
    summary: 'Add a bot to the inbox',
    description: 'Admins only. The bot starts inactive. A webhook bot without a webhookSecret gets a generated one, answered this once.',
  })
  @ApiCreatedResponse({ type: BotWithSecret })
  @Post('inboxes/:inboxId/bots')
  create(@Param('inboxId', uuidParam('inboxId')) inboxId: string, @Body() body: CreateBotDto, @CurrentAgent() agent: AuthenticatedAgent): Promise<BotAnswer> {
    return this.commandBus.execute(
      new CreateBotCommand(
        inboxId,
        { name: body.name, kind: body.kind, channels: body.channels, flow: body.flow, webhookUrl: body.webhookUrl, webhookSecret: body.webhookSecret },
        agentContext(agent),
      ),
    );
  }

  @ApiOperation({ summary: 'A bot', description: 'Admins only.' })
  @ApiOkResponse({ type: BotViewDto })
  @Get('bots/:id')
  get(@Param('id', uuidParam('id')) id: string, @CurrentAgent() agent: AuthenticatedAgent): Promise<BotView> {
    return this.queryBus.execute(new GetBotQuery(agent, id));
  }

  @ApiOperation({
    summary: 'Change a bot',
    description: 'Admins only. Only the fields given change; `newWebhookSecret: true` answers a generated secret once.',
  })
  @ApiOkResponse({ type: BotWithSecret })
  @Patch('bots/:id')
  change(@Param('id', uuidParam('id')) id: string, @Body() body: ChangeBotDto, @CurrentAgent() agent: AuthenticatedAgent): Promise<BotAnswer> {
    return this.commandBus.execute(
      new ChangeBotCommand(
        id,
        {
          name: body.name,
          channels: body.channels,
          flow: body.flow,
          webhookUrl: body.webhookUrl,
          webhookSecret: body.webhookSecret,
          newWebhookSecret: body.newWebhookSecret,
        },
        agentContext(agent),
      ),
    );
  }

  @ApiOperation({ summary: 'Remove a bot', description: 'Admins only. Its token stops working; conversations it holds stay in the Bots view.' })
  @ApiNoContentResponse({ description: 'Removed.' })
  @HttpCode(204)
  @Delete('bots/:id')
  async remove(@Param('id', uuidParam('id')) id: string, @CurrentAgent() agent: AuthenticatedAgent): Promise<void> {
    await this.commandBus.execute(new RemoveBotCommand(id, agentContext(agent)));
  }

  @ApiOperation({
    summary: 'Activate a bot',
    description: 'Admins only. New conversations of its channels start assigned to it. 409 while another bot of the inbox is active (named in the message).',
  })
  @ApiOkResponse({ type: BotViewDto })
  @HttpCode(200)
  @Post('bots/:id/activate')
  activate(@Param('id', uuidParam('id')) id: string, @CurrentAgent() agent: AuthenticatedAgent): Promise<BotView> {
    return this.commandBus.execute(new ActivateBotCommand(id, agentContext(agent)));
  }

  @ApiOperation({ summary: 'Deactivate a bot', description: 'Admins only. New conversations go to the team again; the ones it holds stay with it.' })
  @ApiOkResponse({ type: BotViewDto })
  @HttpCode(200)
  @Post('bots/:id/deactivate')
  deactivate(@Param('id', uuidParam('id')) id: string, @CurrentAgent() agent: AuthenticatedAgent): Promise<BotView> {
    return this.commandBus.execute(new DeactivateBotCommand(id, agentContext(agent)));
  }

  @ApiOperation({ summary: "Issue the bot's API token", description: 'Admins only. Answered this once; the previous token stops working.' })
  @ApiCreatedResponse({ type: BotToken })
  @Post('bots/:id/token')
  token(@Param('id', uuidParam('id')) id: string, @CurrentAgent() agent: AuthenticatedAgent): Promise<{ token: string }> {
    return this.commandBus.execute(new IssueBotTokenCommand(id, agentContext(agent)));
  }
}
