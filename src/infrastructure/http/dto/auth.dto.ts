import { IsIn, IsString, Matches, MaxLength, MinLength } from 'class-validator';
import { IsEmailAddress, IsOptionalNotNull } from './validators';

export class LoginDto {
  @IsEmailAddress()
  @MaxLength(254)
  email: string;

  @IsString()
  @MinLength(1)
  @MaxLength(1024)
  password: string;
}

export class SetupDto {
  @IsString()
  @Matches(/\S/, { message: 'name must not be blank' })
  @MaxLength(100)
  name: string;

  @IsEmailAddress()
  @MaxLength(254)
  email: string;

  @IsString()
  @MinLength(8, { message: 'password must be at least 8 characters' })
  @MaxLength(1024)
  password: string;
}

export class CreateAgentDto extends SetupDto {
  @IsIn(['admin', 'agent'], { message: 'role must be one of admin, agent' })
  role: 'admin' | 'agent';
}

export class UpdateAgentDto {
  @IsOptionalNotNull()
  @IsString()
  @Matches(/\S/, { message: 'name must not be blank' })
  @MaxLength(100)
  name?: string;

  @IsOptionalNotNull()
  @IsIn(['admin', 'agent'], { message: 'role must be one of admin, agent' })
  role?: 'admin' | 'agent';

  @IsOptionalNotNull()
  @IsString()
  @MinLength(8, { message: 'password must be at least 8 characters' })
  @MaxLength(1024)
  password?: string;

  /** Required when you change your own password. */
  @IsOptionalNotNull()
  @IsString()
  @MaxLength(1024)
  currentPassword?: string;
}

export class AvailabilityDto {
  @IsIn(['available', 'away'], { message: 'status must be one of available, away' })
  status: 'available' | 'away';
}
