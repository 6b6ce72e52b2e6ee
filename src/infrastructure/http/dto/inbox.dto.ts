import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsOptional, IsString, IsUUID, Matches, MaxLength, ValidateIf } from 'class-validator';
import { IsEmailAddress, IsOptionalNotNull } from './validators';

export class CreateInboxDto {
  @IsString()
  @Matches(/\S/, { message: 'name must not be blank' })
  @MaxLength(100)
  @ApiProperty({ type: String })
  name: string;

  @IsOptional()
  @ValidateIf((_o, v) => v !== null)
  @IsEmailAddress()
  @ApiPropertyOptional({ type: String, format: 'email', nullable: true, description: 'Mail to this address arrives in the inbox.' })
  emailAddress?: string | null;

  @IsOptionalNotNull()
  @IsArray()
  @ArrayMaxSize(1000)
  @IsUUID('all', { each: true, message: 'agentIds must contain agent ids (UUIDs)' })
  @ApiPropertyOptional({ type: [String], format: 'uuid', description: 'The members.' })
  agentIds?: string[];
}

export class UpdateInboxDto {
  @IsOptionalNotNull()
  @IsString()
  @Matches(/\S/, { message: 'name must not be blank' })
  @MaxLength(100)
  @ApiPropertyOptional({ type: String })
  name?: string;

  @IsOptional()
  @ValidateIf((_o, v) => v !== null)
  @IsEmailAddress()
  @ApiPropertyOptional({ type: String, format: 'email', nullable: true })
  emailAddress?: string | null;
}

export class InboxMembersDto {
  @IsArray()
  @ArrayMaxSize(1000)
  @IsUUID('all', { each: true, message: 'agentIds must contain agent ids (UUIDs)' })
  @ApiProperty({ type: [String], format: 'uuid', description: 'The members, replacing the current ones.' })
  agentIds: string[];
}

export class InboxQueryDto {
  @IsOptional()
  @IsUUID('all', { message: 'inboxId must be an inbox id (UUID)' })
  @ApiPropertyOptional({ type: String, format: 'uuid', description: 'Default: the default inbox.' })
  inboxId?: string;
}
