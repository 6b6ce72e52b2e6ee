import { IsEmail, IsIn, IsOptional, IsString, MaxLength, MinLength } from 'class-validator';

export class LoginDto {
  @IsEmail({}, { message: 'email must be an email address' })
  @MaxLength(254)
  email: string;

  @IsString()
  @MinLength(1)
  @MaxLength(1024)
  password: string;
}

export class SetupDto {
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  name: string;

  @IsEmail({}, { message: 'email must be an email address' })
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
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  name?: string;

  @IsOptional()
  @IsIn(['admin', 'agent'], { message: 'role must be one of admin, agent' })
  role?: 'admin' | 'agent';

  @IsOptional()
  @IsString()
  @MinLength(8, { message: 'password must be at least 8 characters' })
  @MaxLength(1024)
  password?: string;
}

export class AvailabilityDto {
  @IsIn(['available', 'away'], { message: 'status must be one of available, away' })
  status: 'available' | 'away';
}
