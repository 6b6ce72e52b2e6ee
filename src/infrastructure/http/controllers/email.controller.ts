import { ApiCreatedResponse, ApiHeader, ApiOperation, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { Body, Controller, Headers, HttpCode, Param, Post } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { IsOptional, IsString, IsUUID, MaxLength, MinLength } from 'class-validator';
import { agentContext, type AuthenticatedAgent } from '../../../application/command-handling/command-context';
import { ComposeEmailCommand } from '../../../application/email/compose-email.handler';
import { ForwardConversationCommand } from '../../../application/email/forward-conversation.handler';
import { FORWARD_NOTE_MAX_LENGTH } from '../../../domain/conversation/conversation.decider';
import { CurrentAgent } from '../auth/auth.decorators';
import { IsEmailAddress, IsOptionalNotNull } from '../dto/validators';
import { parseIfMatch } from '../if-match';
import { uuidParam } from './params';
import { ComposeResult, ReplyResult } from '../dto/responses.dto';

export class ComposeEmailDto {
  @IsEmailAddress()
  @ApiProperty({ type: String, format: 'email' })
  to: string;

  @IsString({ message: 'subject must be a string' })
  @MaxLength(998, { message: 'subject must be at most 998 characters' })
  @ApiProperty({ type: String })
  subject: string;

  @IsString({ message: 'text must be a string' })
  @MinLength(1, { message: 'text must not be empty' })
  @MaxLength(100_000)
  @ApiProperty({ type: String })
  text: string;

  @IsOptionalNotNull()
  @IsString({ message: 'html must be a string' })
  @MaxLength(500_000)
  @ApiPropertyOptional({ type: String })
  html?: string;

  @IsOptional()
  @IsUUID('all', { message: 'inboxId must be an inbox id (UUID)' })
  @ApiPropertyOptional({ type: String, format: 'uuid', description: 'The inbox it is sent from; default: the default inbox.' })
  inboxId?: string;
}

export class ForwardDto {
  @IsEmailAddress()
  @ApiProperty({ type: String, format: 'email' })
  to: string;

  @IsOptionalNotNull()
  @IsString({ message: 'note must be a string' })
  @MaxLength(FORWARD_NOTE_MAX_LENGTH, { message: `note must be at most ${FORWARD_NOTE_MAX_LENGTH} characters` })
  @ApiPropertyOptional({ type: String, description: 'Shown above the forwarded conversation.' })
  note?: string;
}

/**
 * Email that agents start (rule 13): compose a new outbound email, forward a conversation
 * outside the company. Both are queued and sent by the email channel.
 */
@ApiTags('Email')
@Controller('api')
export class EmailController {
  constructor(private readonly commandBus: CommandBus) {}

  /** -> 201 `{ conversationId, messageId, revision }`; the conversation waits in Sent for the answer. */
  @ApiOperation({ summary: 'Compose a new email', description: 'The conversation waits in Sent for the answer.' })
  @ApiCreatedResponse({ type: ComposeResult })
  @Post('emails')
  @HttpCode(201)
  compose(@Body() body: ComposeEmailDto, @CurrentAgent() agent: AuthenticatedAgent) {
    return this.commandBus.execute(
      new ComposeEmailCommand(
        { to: { address: body.to }, subject: body.subject, text: body.text, html: body.html, inboxId: body.inboxId?.toLowerCase() },
        agentContext(agent),
      ),
    );
  }

  /** -> 201 `{ id, revision, messageId }`; `If-Match` as for every conversation command. */
  @ApiOperation({ summary: 'Forward the conversation outside the company' })
  @ApiHeader({
    name: 'If-Match',
    required: false,
    description: 'The revision the command expects, `"<revision>"`: 409 when the conversation changed meanwhile.',
  })
  @ApiCreatedResponse({ type: ReplyResult })
  @Post('conversations/:id/forward')
  @HttpCode(201)
  forward(
    @Param('id', uuidParam('id')) id: string,
    @Body() body: ForwardDto,
    @Headers('if-match') ifMatch: string | undefined,
    @CurrentAgent() agent: AuthenticatedAgent,
  ) {
    return this.commandBus.execute(
      new ForwardConversationCommand(id, { address: body.to.trim() }, body.note, agentContext(agent, { expectedRevision: parseIfMatch(ifMatch) })),
    );
  }
}
