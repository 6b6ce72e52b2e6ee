import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsDefined,
  ValidateIf,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  IsUUID,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
  ValidateNested,
} from 'class-validator';
import { CHANNELS } from '../../../domain/shared/types';
import { IsOptionalNotNull } from './validators';

export class ViewConversationsQueryDto {
  @IsOptional()
  @IsUUID('all', { message: 'inboxId must be an inbox id (UUID)' })
  @ApiPropertyOptional({ type: String, format: 'uuid', description: 'Default: the default inbox.' })
  inboxId?: string;

  @IsOptional()
  @IsIn(['newest', 'oldest'], { message: 'sort must be one of newest, oldest' })
  @ApiPropertyOptional({ type: String, enum: ['newest', 'oldest'], default: 'newest' })
  sort?: 'newest' | 'oldest';

  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'limit must be a whole number' })
  @Min(1)
  @Max(200)
  @ApiPropertyOptional({ type: 'integer', default: 50 })
  limit?: number;

  @IsOptional()
  @IsString()
  @MaxLength(512)
  @Matches(/^[A-Za-z0-9_-]+$/, { message: 'cursor must be a nextCursor value from a previous page' })
  @ApiPropertyOptional({ type: String, description: 'The nextCursor of the previous page.' })
  cursor?: string;
}

export class CloseDto {
  @IsOptionalNotNull()
  @IsBoolean({ message: 'closeTicket must be true or false' })
  @ApiPropertyOptional({ type: Boolean, default: false, description: "Close the conversation's ticket too." })
  closeTicket?: boolean;
}

/** One of the channel's approved templates (GET /api/conversations/:id/reply-options) with its parameters. */
export class ReplyTemplateDto {
  @IsString({ message: 'name must be the name of an approved template' })
  @MinLength(1, { message: 'name must not be empty' })
  @MaxLength(512)
  @ApiProperty({ type: String, example: 'order_update' })
  name: string;

  @IsString({ message: "language must be the template's language code" })
  @MinLength(1, { message: 'language must not be empty' })
  @MaxLength(32)
  @ApiProperty({ type: String, example: 'en_US', description: "The template's language code, as reply-options lists it." })
  language: string;

  @IsArray({ message: 'parameters must be a list of texts, {{1}} first' })
  @ArrayMaxSize(100, { message: 'parameters may hold at most 100 values' })
  @IsString({ each: true, message: 'parameters must be a list of texts, {{1}} first' })
  @ApiProperty({
    type: [String],
    example: ['Ana', 'A-1042'],
    description: "The values of the body's {{1}} … {{n}}, in order: exactly as many as the template takes, each 1 to 1,000 characters on one line.",
  })
  parameters: string[];
}

export class ReplyDto {
  // Required unless a template is sent (its filled-in body is the text then).
  @ValidateIf((reply: ReplyDto) => reply.template === undefined || reply.text !== undefined)
  @IsString()
  @MinLength(1, { message: 'text must not be empty' })
  @MaxLength(100_000)
  @ApiPropertyOptional({ type: String, description: 'The reply. Required unless `template` is given (then leave it out).' })
  text?: string;

  @IsOptionalNotNull()
  @IsString()
  @MaxLength(500_000)
  @ApiPropertyOptional({ type: String, description: 'Cleaned before it is stored and sent.' })
  html?: string;

  @IsOptionalNotNull()
  @IsIn(CHANNELS, { message: `channel must be one of ${CHANNELS.join(', ')}` })
  @ApiPropertyOptional({ type: String, enum: CHANNELS, description: "Answer on another channel than the conversation's (e.g. switch a chat to email)." })
  channel?: (typeof CHANNELS)[number];

  @IsOptionalNotNull()
  @IsArray({ message: 'attachmentIds must be a list of attachment ids' })
  @ArrayMaxSize(10, { message: 'attachmentIds may name at most 10 files' })
  @IsUUID('all', { each: true, message: 'attachmentIds must contain attachment ids (UUIDs) from POST /api/conversations/:id/attachments' })
  @ApiPropertyOptional({
    type: [String],
    description: 'Files uploaded to this conversation with POST /api/conversations/:id/attachments; only on channels that declare attachments.',
  })
  attachmentIds?: string[];

  @IsOptionalNotNull()
  @ValidateNested()
  @Type(() => ReplyTemplateDto)
  @ApiPropertyOptional({
    type: ReplyTemplateDto,
    description:
      "Answer with one of the channel's approved templates (channels that declare `templates`, such as WhatsApp), also when its reply window is closed. " +
      'Leave `text`, `html` and `attachmentIds` out: the thread shows the body with the parameters filled in.',
  })
  template?: ReplyTemplateDto;

  // The addresses themselves are checked by the domain, whose refusal names the entry (`cc[2]`) and its value.
  @IsOptionalNotNull()
  @IsArray({ message: 'to must be a list of email addresses' })
  @ApiPropertyOptional({
    type: [String],
    description:
      'Who the reply goes to instead of the contact alone (reply-all, or your own choice): email addresses, at most 50. ' +
      'Only on channels that declare `cc` (email); leave it out to answer the contact.',
  })
  to?: string[];

  @IsOptionalNotNull()
  @IsArray({ message: 'cc must be a list of email addresses' })
  @ApiPropertyOptional({
    type: [String],
    description: 'Who the reply copies (reply-all: the other participants): email addresses, at most 50. Only on channels that declare `cc` (email).',
  })
  cc?: string[];
}

export class CommentDto {
  @IsString()
  @MinLength(1, { message: 'text must not be empty' })
  @MaxLength(20_000)
  @ApiProperty({ type: String, description: '@name mentions notify those agents.' })
  text: string;
}

export class TicketDto {
  @IsString()
  @MinLength(1, { message: 'name must not be empty' })
  @MaxLength(200)
  @ApiProperty({ type: String })
  name: string;
}

export class BulkDto {
  @IsArray()
  @ArrayMinSize(1, { message: 'ids must name at least one conversation' })
  @ArrayMaxSize(500, { message: 'ids may name at most 500 conversations per request' })
  @IsUUID('all', { each: true, message: 'ids must contain conversation ids (UUIDs)' })
  @ApiProperty({ type: [String], format: 'uuid' })
  ids: string[];

  @IsIn(['close', 'trash'], { message: 'action must be one of close, trash' })
  @ApiProperty({ type: String, enum: ['close', 'trash'] })
  action: 'close' | 'trash';
}

export class UnblockSenderDto {
  @IsString()
  @MinLength(1)
  @MaxLength(320)
  @ApiProperty({ type: String })
  address: string;

  @IsOptional()
  @IsUUID('all', { message: 'inboxId must be an inbox id (UUID)' })
  @ApiPropertyOptional({ type: String, format: 'uuid', description: 'Default: the default inbox.' })
  inboxId?: string;
}

/** `{ assignee: <agentId> | "bot" | null }`: null is meaningful (unassign), absence is not. */
export class AssignDto {
  @IsDefined({ message: 'assignee is required: an agent id, "bot", or null to unassign' })
  @ValidateIf((_object, value) => value !== null)
  @Matches(/^(bot|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$/, {
    message: 'assignee must be an agent id (UUID), "bot" or null',
  })
  @ApiProperty({ type: String, nullable: true, description: 'An agent id, "bot", or null to unassign.', example: 'bot' })
  assignee: string | null;
}
