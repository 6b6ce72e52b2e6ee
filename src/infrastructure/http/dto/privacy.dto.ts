import { ApiProperty } from '@nestjs/swagger';
import { Allow } from 'class-validator';

/** `POST /api/contacts/:id/erase`: the contact's id typed again, so no erasure happens by a slip. */
export class EraseContactDto {
  @ApiProperty({ type: String, format: 'uuid', description: 'The id of the contact to erase, repeated: anything else is refused (400) and nothing is erased.' })
  @Allow()
  confirm!: string;
}

export class ErasureResultDto {
  @ApiProperty({ type: String, format: 'uuid', description: 'The contact erased (a merged contact answers the one it went into).' })
  contactId!: string;

  @ApiProperty({ type: Boolean, enum: [true] })
  erased!: true;

  @ApiProperty({ type: Number, description: 'Conversations whose personal data was erased (any inbox, any state).' })
  conversations!: number;

  @ApiProperty({ type: Number, description: 'Tickets of those conversations.' })
  tickets!: number;
}
