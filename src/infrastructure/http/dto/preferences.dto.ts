import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString } from 'class-validator';

/** The agent's UI language and time zone; the agent decider checks the values (en or nl; an IANA zone). */
export class PreferencesDto {
  @IsOptional()
  @IsString({ message: 'language must be a string: en or nl (null clears it)' })
  @ApiPropertyOptional({ type: String, enum: ['en', 'nl'], nullable: true, description: 'null: follow the browser' })
  language?: string | null;

  @IsOptional()
  @IsString({ message: 'timeZone must be a string: an IANA time zone such as Europe/Amsterdam (null clears it)' })
  @ApiPropertyOptional({ type: String, nullable: true, example: 'Europe/Amsterdam', description: 'An IANA time zone; null: follow the browser' })
  timeZone?: string | null;
}
