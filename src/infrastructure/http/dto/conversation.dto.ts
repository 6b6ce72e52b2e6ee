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
} from 'class-validator';
import { CHANNELS } from '../../../domain/shared/types';
import { IsOptionalNotNull } from './validators';

export class ViewConversationsQueryDto {
  @IsOptional()
  @IsUUID('all', { message: 'inboxId must be an inbox id (UUID)' })
  inboxId?: string;

  @IsOptional()
  @IsIn(['newest', 'oldest'], { message: 'sort must be one of newest, oldest' })
  sort?: 'newest' | 'oldest';

  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'limit must be a whole number' })
  @Min(1)
  @Max(200)
  limit?: number;

  @IsOptional()
  @IsString()
  @MaxLength(512)
  @Matches(/^[A-Za-z0-9_-]+$/, { message: 'cursor must be a nextCursor value from a previous page' })
  cursor?: string;
}

export class CloseDto {
  @IsOptionalNotNull()
  @IsBoolean({ message: 'closeTicket must be true or false' })
  closeTicket?: boolean;
}

export class ReplyDto {
  @IsString()
  @MinLength(1, { message: 'text must not be empty' })
  @MaxLength(100_000)
  text: string;

  @IsOptionalNotNull()
  @IsString()
  @MaxLength(500_000)
  html?: string;

  @IsOptionalNotNull()
  @IsIn(CHANNELS, { message: `channel must be one of ${CHANNELS.join(', ')}` })
  channel?: (typeof CHANNELS)[number];
}

export class CommentDto {
  @IsString()
  @MinLength(1, { message: 'text must not be empty' })
  @MaxLength(20_000)
  text: string;
}

export class TicketDto {
  @IsString()
  @MinLength(1, { message: 'name must not be empty' })
  @MaxLength(200)
  name: string;
}

export class BulkDto {
  @IsArray()
  @ArrayMinSize(1, { message: 'ids must name at least one conversation' })
  @ArrayMaxSize(500, { message: 'ids may name at most 500 conversations per request' })
  @IsUUID('all', { each: true, message: 'ids must contain conversation ids (UUIDs)' })
  ids: string[];

  @IsIn(['close', 'trash'], { message: 'action must be one of close, trash' })
  action: 'close' | 'trash';
}

export class UnblockSenderDto {
  @IsString()
  @MinLength(1)
  @MaxLength(320)
  address: string;

  @IsOptional()
  @IsUUID('all', { message: 'inboxId must be an inbox id (UUID)' })
  inboxId?: string;
}

/** `{ assignee: <agentId> | "bot" | null }`: null is meaningful (unassign), absence is not. */
export class AssignDto {
  @IsDefined({ message: 'assignee is required: an agent id, "bot", or null to unassign' })
  @ValidateIf((_object, value) => value !== null)
  @Matches(/^(bot|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$/, {
    message: 'assignee must be an agent id (UUID), "bot" or null',
  })
  assignee: string | null;
}
