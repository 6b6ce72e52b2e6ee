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

export class ComposeEmailDto {
  @IsEmailAddress()
  to: string;

  @IsString({ message: 'subject must be a string' })
  @MaxLength(998, { message: 'subject must be at most 998 characters' })
  subject: string;

  @IsString({ message: 'text must be a string' })
  @MinLength(1, { message: 'text must not be empty' })
  @MaxLength(100_000)
  text: string;

  @IsOptionalNotNull()
  @IsString({ message: 'html must be a string' })
  @MaxLength(500_000)
  html?: string;

  @IsOptional()
  @IsUUID('all', { message: 'inboxId must be an inbox id (UUID)' })
  inboxId?: string;
}

export class ForwardDto {
  @IsEmailAddress()
  to: string;

  @IsOptionalNotNull()
  @IsString({ message: 'note must be a string' })
  @MaxLength(FORWARD_NOTE_MAX_LENGTH, { message: `note must be at most ${FORWARD_NOTE_MAX_LENGTH} characters` })
  note?: string;
}

/**
 * Email that agents start (rule 13): compose a new outbound email, forward a conversation
 * outside the company. Both are queued and sent by the email channel.
 */
@Controller('api')
export class EmailController {
  constructor(private readonly commandBus: CommandBus) {}

  /** -> 201 `{ conversationId, messageId, revision }`; the conversation waits in Sent for the answer. */
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
