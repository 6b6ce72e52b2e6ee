import { Body, Controller, Get, HttpCode, Param, Post, Res } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { AccessDeniedError, InvalidRequestError } from '../../../application/access/inbox-access';
import { agentContext, type AuthenticatedAgent } from '../../../application/command-handling/command-context';
import { EraseContactCommand, ExportContactQuery, type ErasureResult } from '../../../application/privacy/privacy.messages';
import { CurrentAgent } from '../auth/auth.decorators';
import { EraseContactDto, ErasureResultDto } from '../dto/privacy.dto';
import { uuidParam } from './params';

/** Privacy requests about a contact (docs/privacy.md): admins only. */
@ApiTags('Contacts')
@Controller('api/contacts')
export class PrivacyController {
  constructor(
    private readonly commandBus: CommandBus,
    private readonly queryBus: QueryBus,
  ) {}

  @ApiOperation({
    summary: 'Export everything Parley holds about a contact (admins)',
    description:
      'One JSON document, as a download: the contact, the contacts merged into it, its company, every conversation of it in any inbox and state with messages, comments and files (names and sizes), its tickets, and a timeline (event type, time, actor).',
  })
  @ApiProduces('application/json')
  @ApiOkResponse({ schema: { type: 'object' } })
  @Get(':id/export')
  async export(@Param('id', uuidParam('id')) id: string, @CurrentAgent() agent: AuthenticatedAgent, @Res({ passthrough: true }) reply: FastifyReply) {
    const document = await this.queryBus.execute(new ExportContactQuery(agent, id));
    void reply.header('Content-Disposition', `attachment; filename="parley-contact-${id}.json"`);
    void reply.header('Cache-Control', 'no-store');
    return document;
  }

  @ApiOperation({
    summary: "Erase a contact's personal data (admins)",
    description:
      'Destroys the keys its personal data is sealed with and scrubs the read models: the contact, the contacts merged into it, their conversations (any inbox and state) and tickets. The hash chain stays verifiable. Calling it again finishes an erasure that stopped half-way.',
  })
  @ApiOkResponse({ type: ErasureResultDto })
  @HttpCode(200)
  @Post(':id/erase')
  erase(@Param('id', uuidParam('id')) id: string, @Body() body: EraseContactDto, @CurrentAgent() agent: AuthenticatedAgent): Promise<ErasureResult> {
    // Who may erase is answered before what they sent: a non-admin learns nothing from the confirmation's check.
    if (agent.role !== 'admin') throw new AccessDeniedError('only admins can export or erase a contact');
    if (body?.confirm !== id) {
      throw new InvalidRequestError(`confirm must repeat the contact id ${id} to erase it, got ${JSON.stringify(body?.confirm ?? null)}`);
    }
    return this.commandBus.execute(new EraseContactCommand(id, agentContext(agent)));
  }
}
