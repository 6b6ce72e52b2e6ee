import { ApiProperty } from '@nestjs/swagger';

export class AttachmentRefDto {
  @ApiProperty({ type: String, description: "Name it in the reply's attachmentIds." })
  id: string;

  @ApiProperty({ type: String, example: 'invoice.pdf' })
  filename: string;

  @ApiProperty({ type: String, example: 'application/pdf', description: 'As the upload declared it; downloads never render it inline.' })
  contentType: string;

  @ApiProperty({ type: Number, description: 'Bytes.' })
  size: number;
}

export class UploadedAttachment {
  @ApiProperty({ type: AttachmentRefDto })
  attachment: AttachmentRefDto;
}
