import 'reflect-metadata'; // class-transformer's @Type reads decorator metadata; the plugin does not rely on the host loading it
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsObject, IsOptional, IsString, IsUUID, Matches, MaxLength, ValidateNested } from 'class-validator';

export class PartyDto {
  @IsString()
  @Matches(/\S/, { message: 'address must not be blank' })
  @MaxLength(320)
  @ApiProperty({ type: String, example: 'jane@example.com' })
  address: string;

  @IsOptional()
  @IsString()
  @MaxLength(200)
  @ApiPropertyOptional({ type: String, example: 'Jane Doe' })
  name?: string;
}

/** A message from a custom integration, posted to the API channel. */
export class ApiMessageDto {
  @IsString()
  @Matches(/\S/, { message: 'externalThreadId must not be blank' })
  @MaxLength(500)
  @ApiProperty({ type: String, description: 'Your id of the thread: messages with the same one join one conversation.' })
  externalThreadId: string;

  @IsString()
  @Matches(/\S/, { message: 'externalMessageId must not be blank' })
  @MaxLength(500)
  @ApiProperty({ type: String, description: 'Your id of the message: the same one again is a duplicate (200, duplicate: true).' })
  externalMessageId: string;

  @IsObject({ message: 'from must be an object like {"address": "jane@example.com"}' })
  @ValidateNested()
  @Type(() => PartyDto)
  @ApiProperty({ type: () => PartyDto })
  from: PartyDto;

  @IsOptional()
  @IsArray()
  @ArrayMaxSize(100)
  @IsObject({ each: true, message: 'to must be a list of objects like {"address": "team@example.com"}' })
  @ValidateNested({ each: true })
  @Type(() => PartyDto)
  @ApiPropertyOptional({ type: () => [PartyDto] })
  to?: PartyDto[];

  @IsOptional()
  @IsString()
  @MaxLength(998)
  @ApiPropertyOptional({ type: String })
  subject?: string;

  @IsString()
  @MaxLength(1_000_000)
  @ApiProperty({ type: String })
  text: string;

  @IsOptional()
  @IsString()
  @MaxLength(5_000_000)
  @ApiPropertyOptional({ type: String, description: "Cleaned like an email's HTML before it is stored." })
  html?: string;

  @IsOptional()
  @Matches(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/, {
    message: 'receivedAt must be an ISO-8601 date-time with a time zone, such as 2026-11-24T10:00:00Z',
  })
  @ApiPropertyOptional({ type: String, format: 'date-time' })
  receivedAt?: string;

  @IsOptional()
  @IsUUID('all', { message: 'inboxId must be an inbox id (UUID)' })
  @ApiPropertyOptional({ type: String, format: 'uuid', description: 'Default: the default inbox.' })
  inboxId?: string;
}
