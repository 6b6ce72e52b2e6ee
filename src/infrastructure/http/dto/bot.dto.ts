import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsBoolean, IsIn, IsObject, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { BOT_KINDS, type BotFlow, type BotKind } from '../../../domain/bot/bot.events';
import { BOT_NAME_MAX_LENGTH } from '../../../domain/bot/bot.decider';
import { IsOptionalNotNull } from './validators';

const CHANNEL = /^[a-z][a-z0-9-]{0,39}$/;

const FLOW_EXAMPLE: BotFlow = {
  startStepId: 'greeting',
  steps: [
    { id: 'greeting', type: 'question', text: 'Hi! How can we help you?', choices: [{ id: 'person', label: 'Talk to a person', next: 'handoff' }] },
    { id: 'handoff', type: 'handoff', text: 'One moment, we are connecting you with someone from the team.' },
  ],
};

const FLOW_DESCRIPTION =
  'The flow: `startStepId` (the greeting) and `steps`, each `{id, type, text}` where type is `message` (with `next`), ' +
  '`question` (with `choices: [{id, label, next}]`), `collect-email` (with `next`) or `handoff` (send to team member). ' +
  'Every `next` names a step. See docs/bot-flows.md.';

/** `POST /api/inboxes/:id/bots`. */
export class CreateBotDto {
  @IsString({ message: 'name must be a string' })
  @MaxLength(BOT_NAME_MAX_LENGTH, { message: `name must be at most ${BOT_NAME_MAX_LENGTH} characters` })
  @ApiProperty({ type: String, example: 'Helper' })
  name: string;

  @IsIn(BOT_KINDS, { message: `kind must be one of ${BOT_KINDS.join(', ')}` })
  @ApiProperty({ type: String, enum: BOT_KINDS, description: '`flow`: a rule-based flow Parley runs; `webhook`: Parley POSTs events to your URL.' })
  kind: BotKind;

  @IsOptional()
  @IsArray({ message: 'channels must be a list of channel ids, e.g. ["chat"]' })
  @ArrayMaxSize(20)
  @Matches(CHANNEL, { each: true, message: 'channels must name channels (lower-case letters, digits and dashes), e.g. "chat"' })
  @ApiPropertyOptional({ type: [String], description: 'The channels whose new conversations the bot takes. Empty or left out: chat only.', example: ['chat'] })
  channels?: string[];

  @IsOptional()
  @IsObject({ message: 'flow must be an object {startStepId, steps}' })
  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    description: `Flow bots only. ${FLOW_DESCRIPTION} Left out: a greeting that offers a person.`,
    example: FLOW_EXAMPLE,
  })
  flow?: BotFlow;

  @IsOptional()
  @IsString({ message: 'webhookUrl must be a string: an http:// or https:// URL' })
  @MaxLength(2000)
  @ApiPropertyOptional({ type: String, description: 'Webhook bots only: where Parley POSTs the events.', example: 'https://bot.example.com/parley' })
  webhookUrl?: string;

  @IsOptional()
  @IsString({ message: 'webhookSecret must be a string' })
  @MaxLength(500)
  @ApiPropertyOptional({
    type: String,
    description: 'Webhook bots only: the HMAC-SHA256 signing secret. Left out: Parley generates one and answers it once (as `webhookSecret`).',
  })
  webhookSecret?: string;
}

/** `PATCH /api/bots/:id`: only what is given changes. */
export class ChangeBotDto {
  @IsOptionalNotNull()
  @IsString({ message: 'name must be a string' })
  @MaxLength(BOT_NAME_MAX_LENGTH, { message: `name must be at most ${BOT_NAME_MAX_LENGTH} characters` })
  @ApiPropertyOptional({ type: String })
  name?: string;

  @IsOptionalNotNull()
  @IsArray({ message: 'channels must be a list of channel ids, e.g. ["chat"]' })
  @ArrayMaxSize(20)
  @Matches(CHANNEL, { each: true, message: 'channels must name channels (lower-case letters, digits and dashes), e.g. "chat"' })
  @ApiPropertyOptional({ type: [String], description: 'Empty: chat only.' })
  channels?: string[];

  @IsOptionalNotNull()
  @IsObject({ message: 'flow must be an object {startStepId, steps}' })
  @ApiPropertyOptional({ type: 'object', additionalProperties: true, description: `Flow bots only. ${FLOW_DESCRIPTION}` })
  flow?: BotFlow;

  @IsOptionalNotNull()
  @IsString({ message: 'webhookUrl must be a string: an http:// or https:// URL' })
  @MaxLength(2000)
  @ApiPropertyOptional({ type: String, description: 'Webhook bots only.' })
  webhookUrl?: string;

  @IsOptionalNotNull()
  @IsString({ message: 'webhookSecret must be a string' })
  @MaxLength(500)
  @ApiPropertyOptional({ type: String, description: 'Webhook bots only: a new signing secret of your choice.' })
  webhookSecret?: string;

  @IsOptional()
  @IsBoolean({ message: 'newWebhookSecret must be true or false' })
  @ApiPropertyOptional({ type: Boolean, description: 'Webhook bots only: Parley generates a new signing secret and answers it once (as `webhookSecret`).' })
  newWebhookSecret?: boolean;
}

export class BotView {
  @ApiProperty({ type: String, format: 'uuid' })
  id: string;

  @ApiProperty({ type: String, format: 'uuid' })
  inboxId: string;

  @ApiProperty({ type: String })
  name: string;

  @ApiProperty({ type: String, enum: BOT_KINDS })
  kind: BotKind;

  @ApiProperty({ type: [String], description: 'Empty: chat only.' })
  channels: string[];

  @ApiProperty({ type: 'object', additionalProperties: true, nullable: true, description: 'Flow bots: the flow; null for webhook bots.' })
  flow: BotFlow | null;

  @ApiProperty({ type: String, nullable: true })
  webhookUrl: string | null;

  @ApiProperty({ type: Boolean, description: 'A signing secret is stored (it is never answered again).' })
  hasWebhookSecret: boolean;

  @ApiProperty({ type: Boolean, description: 'Takes the new conversations of its channels (one active bot per inbox).' })
  active: boolean;

  @ApiProperty({ type: Boolean, description: 'An API token was issued (it is never answered again).' })
  hasToken: boolean;

  @ApiProperty({ type: String, format: 'date-time' })
  createdAt: string;
}

export class BotWithSecret extends BotView {
  @ApiPropertyOptional({ type: String, description: 'Only when Parley generated the signing secret: shown this once.' })
  webhookSecret?: string;
}

export class BotList {
  @ApiProperty({ type: () => [BotView] })
  bots: BotView[];
}

export class BotToken {
  @ApiProperty({ type: String, description: "The bot's API token, shown this once (only its SHA-256 is kept). Send it as `Authorization: Bearer <token>`." })
  token: string;
}
