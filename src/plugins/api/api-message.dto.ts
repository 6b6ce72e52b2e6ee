import { Type } from 'class-transformer';
import { IsArray, IsISO8601, IsOptional, IsString, IsUUID, MaxLength, MinLength, ValidateNested, ArrayMaxSize } from 'class-validator';

export class PartyDto {
  @IsString()
  @MinLength(1, { message: 'address must not be empty' })
  @MaxLength(320)
  address: string;

  @IsOptional()
  @IsString()
  @MaxLength(200)
  name?: string;
}

/** API.md "API channel": a message from a custom integration. */
export class ApiMessageDto {
  @IsString()
  @MinLength(1, { message: 'externalThreadId must not be empty' })
  @MaxLength(500)
  externalThreadId: string;

  @IsString()
  @MinLength(1, { message: 'externalMessageId must not be empty' })
  @MaxLength(500)
  externalMessageId: string;

  @ValidateNested()
  @Type(() => PartyDto)
  from: PartyDto;

  @IsOptional()
  @IsArray()
  @ArrayMaxSize(100)
  @ValidateNested({ each: true })
  @Type(() => PartyDto)
  to?: PartyDto[];

  @IsOptional()
  @IsString()
  @MaxLength(998)
  subject?: string;

  @IsString()
  @MaxLength(1_000_000)
  text: string;

  @IsOptional()
  @IsString()
  @MaxLength(5_000_000)
  html?: string;

  @IsOptional()
  @IsISO8601({ strict: true }, { message: 'receivedAt must be an ISO-8601 date-time' })
  receivedAt?: string;

  @IsOptional()
  @IsUUID('all', { message: 'inboxId must be an inbox id (UUID)' })
  inboxId?: string;
}
