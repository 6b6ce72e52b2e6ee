import { Body, Controller, Inject, Post, Req, Res, UnauthorizedException } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { CHANNEL_CONNECTION, type ChannelConnection, type HostAuthenticatedRequest } from '../channel-plugin';
import { ApiMessageDto } from './api-message.dto';

/**
 * The API channel: custom integrations (and tests) post messages as JSON with an agent's token.
 * 201 for a new message; the same externalMessageId again -> 200 with `duplicate: true`.
 */
@Controller('api/channels/api')
export class ApiChannelController {
  constructor(@Inject(CHANNEL_CONNECTION) private readonly connection: ChannelConnection) {}

  @Post('messages')
  async receive(@Body() body: ApiMessageDto, @Req() request: HostAuthenticatedRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    const agent = request.agent;
    if (!agent) throw new UnauthorizedException('authentication required');
    const result = await this.connection.ingest(
      {
        channel: 'api',
        inboxId: body.inboxId,
        externalThreadId: body.externalThreadId,
        externalMessageId: body.externalMessageId,
        from: body.from,
        to: body.to ?? [],
        subject: body.subject,
        text: body.text,
        html: body.html,
        receivedAt: body.receivedAt ? new Date(body.receivedAt).toISOString() : undefined,
      },
      { onBehalfOf: agent },
    );
    void reply.status(result.duplicate ? 200 : 201);
    return result;
  }
}
