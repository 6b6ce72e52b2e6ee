import { Body, Controller, Get, Headers, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import { ApiBody, ApiConsumes, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiProduces, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import type { AuthenticatedAgent } from '../../../application/command-handling/command-context';
import { ReplyAttachments } from '../../../application/conversations/reply-attachments';
import { downloadHeaders } from '../../../plugins/email/blob-download';
import { CurrentAgent } from '../auth/auth.decorators';
import { UploadedAttachment } from '../dto/attachment.dto';
import { uuidParam } from './params';

/**
 * Files for replies: upload one (its bytes as the body, its type as Content-Type, its name in
 * `?filename=`), then name its id in the reply's `attachmentIds`. Downloads are always
 * `Content-Disposition: attachment`, never shown inline from Parley's origin.
 */
@ApiTags('Conversations')
@Controller('api/conversations')
export class AttachmentsController {
  constructor(private readonly attachments: ReplyAttachments) {}

  @ApiOperation({
    summary: 'Upload a file for a reply',
    description:
      "The file's bytes are the body, of its own Content-Type; `filename` names it. At most 10 MiB (413 names the limit). " +
      'Only on channels whose plugin declares attachments. Answers the attachment to name in the reply.',
  })
  @ApiConsumes('application/octet-stream')
  @ApiBody({ schema: { type: 'string', format: 'binary' } })
  @ApiQuery({ name: 'filename', required: true, type: String, example: 'invoice.pdf' })
  @ApiCreatedResponse({ type: UploadedAttachment })
  @Post(':id/attachments')
  @HttpCode(201)
  async upload(
    @Param('id', uuidParam('id')) id: string,
    @Query('filename') filename: string | undefined,
    @Headers('content-type') contentType: string | undefined,
    @Body() body: unknown,
    @CurrentAgent() agent: AuthenticatedAgent,
  ) {
    const type = (contentType ?? '').split(';')[0].trim().toLowerCase() || 'application/octet-stream';
    const file = { filename: cleanFilename(filename), rawFilename: filename, contentType: type, content: body };
    return { attachment: await this.attachments.upload(agent, id, file) };
  }

  @ApiOperation({ summary: "Download a reply's file", description: 'Always as a download (Content-Disposition: attachment), never rendered inline.' })
  @ApiProduces('application/octet-stream')
  @ApiOkResponse({ schema: { type: 'string', format: 'binary' } })
  @Get(':id/attachments/:attachmentId')
  async download(
    @Param('id', uuidParam('id')) id: string,
    @Param('attachmentId', uuidParam('attachmentId')) attachmentId: string,
    @CurrentAgent() agent: AuthenticatedAgent,
    @Res() reply: FastifyReply,
  ) {
    const { ref, content } = await this.attachments.download(agent, id, attachmentId);
    void reply
      .headers(downloadHeaders(ref.id, { name: ref.filename, type: ref.contentType }))
      .status(200)
      .send(content);
  }
}

// Control characters are what is removed from file names.
// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/g;

/** The last path segment, without control characters, at most 200 characters; null when nothing usable is left. */
function cleanFilename(value: string | undefined): string | null {
  const name = (value ?? '').split(/[/\\]/).pop()?.replace(CONTROL_CHARACTERS, '').trim().slice(0, 200) ?? '';
  return name === '' || name === '.' || name === '..' ? null : name;
}
