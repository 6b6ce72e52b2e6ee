import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Allow, IsObject, IsOptional, IsString, IsUUID, MaxLength } from 'class-validator';

/**
 * `GET /api/conversations`: the names are whitelisted here (anything else is a 400) and every
 * value is validated by the application's filter parser, the same one custom views use, so the
 * rules and messages live in one place (application/search/conversation-filters.ts).
 */
export class SearchConversationsQueryDto {
  @ApiPropertyOptional({ type: String, description: 'Words to find in subject, messages, comments and contact.' })
  @Allow()
  q?: unknown;
  @ApiPropertyOptional({ type: String, enum: ['open', 'closed'] })
  @Allow()
  status?: unknown;
  @ApiPropertyOptional({ type: String, description: 'A channel name, e.g. email.' })
  @Allow()
  channel?: unknown;
  @ApiPropertyOptional({ type: String, format: 'uuid' })
  @Allow()
  contactId?: unknown;
  @ApiPropertyOptional({ type: String, description: 'An agent id, "me", "bot" or "none".' })
  @Allow()
  assignee?: unknown;
  @ApiPropertyOptional({ type: String, format: 'date-time', description: 'Received at or after.' })
  @Allow()
  from?: unknown;
  @ApiPropertyOptional({ type: String, format: 'date-time', description: 'Received before.' })
  @Allow()
  to?: unknown;
  @ApiPropertyOptional({ type: Boolean })
  @Allow()
  hideFiltered?: unknown;
  @ApiPropertyOptional({ type: Boolean })
  @Allow()
  hideTrash?: unknown;
  @ApiPropertyOptional({ type: String })
  @Allow()
  sort?: unknown;
  @ApiPropertyOptional({ type: 'integer' })
  @Allow()
  limit?: unknown;
  @ApiPropertyOptional({ type: String, description: 'The nextCursor of the previous page.' })
  @Allow()
  cursor?: unknown;
  @ApiPropertyOptional({ type: String, format: 'uuid', description: 'Default: the default inbox.' })
  @Allow()
  inboxId?: unknown;
}

/** `POST /api/views`: `filters` uses the names of `GET /api/conversations` (checked by the parser). */
export class CreateCustomViewDto {
  @IsString({ message: 'name must be a string' })
  @MaxLength(1000)
  @ApiProperty({ type: String })
  name: string;

  @IsOptional()
  @IsObject({ message: 'filters must be an object of filter names and values, e.g. {"status":"open"}' })
  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    description: 'The filters of GET /api/conversations, by name.',
    example: { status: 'open' },
  })
  filters?: Record<string, unknown>;

  @IsOptional()
  @IsUUID('all', { message: 'inboxId must be an inbox id (UUID)' })
  @ApiPropertyOptional({ type: String, format: 'uuid', description: 'Default: the default inbox.' })
  inboxId?: string;
}

/** `PATCH /api/views/:id`: `filters`, when given, replaces the saved filters as a whole. */
export class UpdateCustomViewDto {
  @IsOptional()
  @IsString({ message: 'name must be a string' })
  @MaxLength(1000)
  @ApiPropertyOptional({ type: String })
  name?: string;

  @IsOptional()
  @IsObject({ message: 'filters must be an object of filter names and values, e.g. {"status":"open"}' })
  @ApiPropertyOptional({ type: 'object', additionalProperties: true, description: 'Replaces the saved filters as a whole.' })
  filters?: Record<string, unknown>;
}
