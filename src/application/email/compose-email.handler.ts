import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { randomUUID } from 'node:crypto';
import { conversationDecider } from '../../domain/conversation/conversation.decider';
import { isEmailAddress, normalizeAddress } from '../../domain/shared/address';
import type { Party } from '../../domain/shared/types';
import { AccessDeniedError, InboxAccess, InvalidRequestError } from '../access/inbox-access';
import type { CommandContext } from '../command-handling/command-context';
import { CommandExecutor } from '../command-handling/command-executor';
import { ContactResolver } from '../contacts/contact-resolver';
import { deriveIds, streams } from '../streams';

export interface ComposeEmail {
  to: Party;
  subject: string;
  text: string;
  html?: string;
  /** The inbox it is sent from (its email address); the default inbox when omitted. */
  inboxId?: string;
}

export interface ComposeEmailResult {
  conversationId: string;
  messageId: string;
  revision: number;
}

/**
 * Rule 13: an agent composes a new outbound email from an inbox. It starts an outbound
 * conversation that sits in Sent until the contact answers (rule 3); the first message is queued
 * for delivery like any reply.
 */
export class ComposeEmailCommand extends Command<ComposeEmailResult> {
  constructor(
    readonly email: ComposeEmail,
    readonly ctx: CommandContext,
  ) {
    super();
  }
}

@CommandHandler(ComposeEmailCommand)
export class ComposeEmailHandler implements ICommandHandler<ComposeEmailCommand> {
  constructor(
    private readonly executor: CommandExecutor,
    private readonly access: InboxAccess,
    private readonly contacts: ContactResolver,
  ) {}

  async execute({ email, ctx }: ComposeEmailCommand): Promise<ComposeEmailResult> {
    if (!ctx.agent) throw new AccessDeniedError('only an agent can compose an email');
    const inbox = await this.access.resolveInbox(ctx.agent, email.inboxId);
    if (!inbox.emailAddress) {
      throw new InvalidRequestError(
        `inboxId: inbox "${inbox.name}" has no email address to send from (and for the answer to come back to): give it one with PATCH /api/inboxes/${inbox.id}`,
      );
    }
    const to = normalizeAddress(email.to.address ?? '');
    if (!isEmailAddress(to)) throw new InvalidRequestError(`to must be an email address, got ${JSON.stringify(email.to.address ?? null)}`);

    const messageId = randomUUID();
    // The thread key of an email conversation is its root Message-ID: here, the Message-ID the
    // email channel gives this first email (`<messageId@inbox domain>`), so the contact's answer
    // (In-Reply-To / References) finds this conversation.
    const externalThreadId = `<${messageId}@${inbox.emailAddress.slice(inbox.emailAddress.lastIndexOf('@') + 1).toLowerCase()}>`;
    const conversationId = deriveIds.conversation(inbox.id, 'email', externalThreadId);
    const contactId = await this.contacts.contactIdFor('email', to);
    const outcome = await this.executor.execute(
      streams.conversation(conversationId),
      conversationDecider,
      () => ({
        type: 'StartOutboundConversation' as const,
        data: {
          conversationId,
          inboxId: inbox.id,
          channel: 'email',
          externalThreadId,
          messageId,
          contactId,
          authorId: ctx.agent!.id,
          to: { address: to, ...(email.to.name?.trim() ? { name: email.to.name.trim() } : {}) },
          subject: email.subject.trim(),
          text: email.text,
          ...(email.html === undefined ? {} : { html: email.html }),
          now: this.executor.now().toISOString(),
        },
      }),
      ctx,
    );
    return { conversationId, messageId, revision: outcome.revision };
  }
}
