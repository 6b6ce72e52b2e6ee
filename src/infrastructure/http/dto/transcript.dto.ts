import { ApiProperty } from '@nestjs/swagger';
import { IsEmailAddress } from './validators';

/** POST /api/conversations/:id/transcript: where the copy of the transcript goes (rule 12). */
export class TranscriptDto {
  @IsEmailAddress({ message: 'to must be an email address to send the transcript to' })
  @ApiProperty({ type: String, format: 'email', description: 'The address the copy is emailed to (the visitor, a colleague, anyone).' })
  to: string;
}
