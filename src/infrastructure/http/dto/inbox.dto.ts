import { ArrayMaxSize, IsArray, IsEmail, IsOptional, IsString, IsUUID, MaxLength, MinLength, ValidateIf } from 'class-validator';

export class CreateInboxDto {
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  name: string;

  @IsOptional()
  @ValidateIf((_o, v) => v !== null)
  @IsEmail({}, { message: 'emailAddress must be an email address' })
  emailAddress?: string | null;

  @IsOptional()
  @IsArray()
  @ArrayMaxSize(1000)
  @IsUUID('all', { each: true, message: 'agentIds must contain agent ids (UUIDs)' })
  agentIds?: string[];
}

export class UpdateInboxDto {
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  name?: string;

  @IsOptional()
  @ValidateIf((_o, v) => v !== null)
  @IsEmail({}, { message: 'emailAddress must be an email address' })
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
