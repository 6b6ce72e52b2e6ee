import { Allow, IsObject, IsOptional, IsString, IsUUID, MaxLength } from 'class-validator';

/**
 * `GET /api/conversations`: the names are whitelisted here (anything else is a 400) and every
 * value is validated by the application's filter parser, the same one custom views use, so the
 * rules and messages live in one place (application/search/conversation-filters.ts).
 */
export class SearchConversationsQueryDto {
  @Allow() q?: unknown;
  @Allow() status?: unknown;
  @Allow() channel?: unknown;
  @Allow() contactId?: unknown;
  @Allow() assignee?: unknown;
  @Allow() from?: unknown;
  @Allow() to?: unknown;
  @Allow() hideFiltered?: unknown;
  @Allow() hideTrash?: unknown;
  @Allow() sort?: unknown;
  @Allow() limit?: unknown;
  @Allow() cursor?: unknown;
  @Allow() inboxId?: unknown;
}

/** `POST /api/views`: `filters` uses the names of `GET /api/conversations` (checked by the parser). */
export class CreateCustomViewDto {
  @IsString({ message: 'name must be a string' })
  @MaxLength(1000)
  name: string;

  @IsOptional()
  @IsObject({ message: 'filters must be an object of filter names and values, e.g. {"status":"open"}' })
  filters?: Record<string, unknown>;

  @IsOptional()
  @IsUUID('all', { message: 'inboxId must be an inbox id (UUID)' })
  inboxId?: string;
}

/** `PATCH /api/views/:id`: `filters`, when given, replaces the saved filters as a whole. */
export class UpdateCustomViewDto {
  @IsOptional()
  @IsString({ message: 'name must be a string' })
  @MaxLength(1000)
  name?: string;

  @IsOptional()
  @IsObject({ message: 'filters must be an object of filter names and values, e.g. {"status":"open"}' })
  filters?: Record<string, unknown>;
}
