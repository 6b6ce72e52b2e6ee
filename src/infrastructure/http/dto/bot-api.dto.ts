import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsString, Matches, MaxLength, MinLength, ValidateNested } from 'class-validator';
import { BOT_CHOICE_LABEL_MAX_LENGTH, BOT_MAX_CHOICES } from '../../../domain/bot/bot.decider';
import { IsOptionalNotNull } from './validators';

/** The most a bot's reply may say (as an agent's reply). */
export const BOT_REPLY_MAX_LENGTH = 100_000;

export class BotReplyChoiceDto {
  @IsString()
  @Matches(/^[A-Za-z0-9_-]{1,40}$/, { message: 'id must be 1 to 40 letters, digits, _ or -' })
  @ApiProperty({ type: String, description: "Comes back as the contact's message `choiceId` when they pick the button.", example: 'pricing' })
  id: string;

  @IsString()
  @MinLength(1, { message: 'label must not be empty' })
  @MaxLength(BOT_CHOICE_LABEL_MAX_LENGTH)
  @ApiProperty({ type: String, description: "The button's words; also the contact's message text when they pick it.", example: 'Prices' })
  label: string;
}

export class BotReplyDto {
  @IsString()
  @MinLength(1, { message: 'text must not be empty' })
  @MaxLength(BOT_REPLY_MAX_LENGTH)
  @ApiProperty({ type: String })
  text: string;

  @IsOptionalNotNull()
  @IsArray({ message: 'choices must be a list of {id, label} buttons' })
  @ArrayMaxSize(BOT_MAX_CHOICES, { message: `choices may offer at most ${BOT_MAX_CHOICES} buttons` })
  @ValidateNested({ each: true })
  @Type(() => BotReplyChoiceDto)
  @ApiPropertyOptional({
    type: [BotReplyChoiceDto],
    description: 'Buttons offered with the reply. Channels without buttons get them as a numbered list in the text.',
  })
  choices?: BotReplyChoiceDto[];
}

export class BotMessageView {
  @ApiProperty({ type: String, format: 'uuid' })
  id: string;
  @ApiProperty({ type: String, enum: ['in', 'out'], description: "`in`: from the contact; `out`: a reply (the bot's or an agent's)." })
  direction: 'in' | 'out';
  @ApiProperty({ type: Object, description: '`{ address, name? }`' })
  from: { address: string; name?: string };
  @ApiProperty({ type: String })
  text: string;
  @ApiProperty({ type: String, format: 'date-time' })
  at: string;
  @ApiProperty({ type: String, nullable: true, description: 'Replies: `bot:<botId>` for a bot, else the agent id.' })
  authorId: string | null;
}

export class BotConversationDto {
  @ApiProperty({ type: String, format: 'uuid' })
  id: string;
  @ApiProperty({ type: String, format: 'uuid' })
  inboxId: string;
  @ApiProperty({ type: String, example: 'chat' })
  channel: string;
  @ApiProperty({ type: String, enum: ['open', 'closed'] })
  status: 'open' | 'closed';
  @ApiProperty({ type: String })
  subject: string;
  @ApiProperty({ type: Object, nullable: true, description: '`{ name, address, email? }`; null once the contact was unlinked.' })
  contact: { name: string | null; address: string; email?: string } | null;
  @ApiProperty({ type: [BotMessageView], description: "Both sides of the conversation, oldest first; never the team's comments." })
  messages: BotMessageView[];
  @ApiProperty({ type: Number })
  revision: number;
}
