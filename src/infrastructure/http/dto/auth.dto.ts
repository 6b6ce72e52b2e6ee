import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsString, Matches, MaxLength, MinLength } from 'class-validator';
import { IsEmailAddress, IsOptionalNotNull } from './validators';

export class LoginDto {
  @IsEmailAddress()
  @MaxLength(254)
  @ApiProperty({ type: String, format: 'email' })
  email: string;

  @IsString()
  @MinLength(1)
  @MaxLength(1024)
  @ApiProperty({ type: String, format: 'password' })
  password: string;
}

export class SetupDto {
  @IsString()
  @Matches(/\S/, { message: 'name must not be blank' })
  @MaxLength(100)
  @ApiProperty({ type: String })
  name: string;

  @IsEmailAddress()
  @MaxLength(254)
  @ApiProperty({ type: String, format: 'email' })
  email: string;

  @IsString()
  @MinLength(8, { message: 'password must be at least 8 characters' })
  @MaxLength(1024)
  @ApiProperty({ type: String, format: 'password' })
  password: string;
}

export class CreateAgentDto extends SetupDto {
  @IsIn(['admin', 'agent'], { message: 'role must be one of admin, agent' })
  @ApiProperty({ type: String, enum: ['admin', 'agent'] })
  role: 'admin' | 'agent';
}

export class UpdateAgentDto {
  @IsOptionalNotNull()
  @IsString()
  @Matches(/\S/, { message: 'name must not be blank' })
  @MaxLength(100)
  @ApiPropertyOptional({ type: String })
  name?: string;

  @IsOptionalNotNull()
  @IsIn(['admin', 'agent'], { message: 'role must be one of admin, agent' })
  @ApiPropertyOptional({ type: String, enum: ['admin', 'agent'], description: 'Admins only.' })
  role?: 'admin' | 'agent';

  @IsOptionalNotNull()
  @IsString()
  @MinLength(8, { message: 'password must be at least 8 characters' })
  @MaxLength(1024)
  @ApiPropertyOptional({ type: String, format: 'password', description: 'A new password ends every session of the agent.' })
  password?: string;

  /** Required when you change your own password. */
  @IsOptionalNotNull()
  @IsString()
  @MaxLength(1024)
  @ApiPropertyOptional({ type: String, format: 'password', description: 'Required when you change your own password.' })
  currentPassword?: string;
}

export class AvailabilityDto {
  @IsIn(['available', 'away'], { message: 'status must be one of available, away' })
  @ApiProperty({ type: String, enum: ['available', 'away'] })
  status: 'available' | 'away';
}
