import { ArrayMaxSize, IsArray, IsOptional, IsString, IsUUID, Matches, MaxLength, ValidateIf } from 'class-validator';
import { IsEmailAddress, IsOptionalNotNull } from './validators';

export class CreateInboxDto {
  @IsString()
  @Matches(/\S/, { message: 'name must not be blank' })
  @MaxLength(100)
  name: string;

  @IsOptional()
  @ValidateIf((_o, v) => v !== null)
  @IsEmailAddress()
  emailAddress?: string | null;

  @IsOptionalNotNull()
  @IsArray()
  @ArrayMaxSize(1000)
  @IsUUID('all', { each: true, message: 'agentIds must contain agent ids (UUIDs)' })
  agentIds?: string[];
}

export class UpdateInboxDto {
  @IsOptionalNotNull()
  @IsString()
  @Matches(/\S/, { message: 'name must not be blank' })
  @MaxLength(100)
  name?: string;

  @IsOptional()
  @ValidateIf((_o, v) => v !== null)
  @IsEmailAddress()
  emailAddress?: string | null;
}

export class InboxMembersDto {
  @IsArray()
  @ArrayMaxSize(1000)
  @IsUUID('all', { each: true, message: 'agentIds must contain agent ids (UUIDs)' })
  agentIds: string[];
}

export class InboxQueryDto {
  @IsOptional()
  @IsUUID('all', { message: 'inboxId must be an inbox id (UUID)' })
  inboxId?: string;
}
