import { Inject } from '@nestjs/common';
import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { randomUUID } from 'node:crypto';
import { conversationDecider } from '../../domain/conversation/conversation.decider';
import { isEmailAddress } from '../../domain/shared/address';
import type { Party } from '../../domain/shared/types';
import { InboxAccess, InvalidRequestError, NotFoundError } from '../access/inbox-access';
import type { CommandContext } from '../command-handling/command-context';
import { CommandExecutor } from '../command-handling/command-executor';
import { inboxGuard, toResult, type ConversationCommandResult } from '../conversations/conversation-result';
import { CHANNEL_CATALOG, type ChannelCatalog } from '../ports/channel-catalog.port';
import { READ_STORE, type ConversationDetail, type ReadStore } from '../ports/read-store.port';
import { TRANSCRIPT_RENDERER, type TranscriptLine, type TranscriptRenderer } from '../ports/transcript-renderer.port';
import { streams } from '../streams';

export interface SendTranscriptResult extends ConversationCommandResult {
  messageId: string;
}

export interface SendTranscriptOptions {
  /** Derived from what caused it (the close event) so a repeat sends nothing twice; default a new id. */
  messageId?: string;
  /** The reader's language; default the asking agent's (a copy they requested), else English (the inbox default). */
  language?: string | null;
  /** The zone the times are written in; default the asking agent's, else UTC. */
  timeZone?: string | null;
}

/**
 * Rule 12: email a chat's transcript, to the visitor when the chat closed (`closed`, by the
 * system) or a copy to an address an agent entered (`requested`). Only for channels whose plugin
 * declares the `transcript` capability. The email is rendered here from the thread as the visitor
 * saw it (their messages and the replies that reached them, never internal comments, forwards or
 * earlier transcripts), recorded in TranscriptSent, and delivered by the email channel like a reply.
 */
export class SendTranscriptCommand extends Command<SendTranscriptResult> {
  constructor(
    readonly conversationId: string,
    readonly to: Party,
    readonly reason: 'closed' | 'requested',
    readonly ctx: CommandContext,
    readonly options: SendTranscriptOptions = {},
  ) {
    super();
  }
}

@CommandHandler(SendTranscriptCommand)
export class SendTranscriptHandler implements ICommandHandler<SendTranscriptCommand> {
  constructor(
    private readonly executor: CommandExecutor,
    private readonly access: InboxAccess,
    @Inject(READ_STORE) private readonly readStore: ReadStore,
    @Inject(CHANNEL_CATALOG) private readonly catalog: ChannelCatalog,
    @Inject(TRANSCRIPT_RENDERER) private readonly renderer: TranscriptRenderer,
  ) {}

  async execute({ conversationId, to, reason, ctx, options }: SendTranscriptCommand): Promise<SendTranscriptResult> {
    const unknown = () => new NotFoundError('conversation not found; check the conversation id');
    const conversation = await this.readStore.getConversation(conversationId);
    if (!conversation) throw unknown();
    await this.access.assertInbox(ctx.agent, conversation.inboxId, unknown);
    if (!this.catalog.capabilitiesOf(conversation.channel)?.transcript) {
      throw new InvalidRequestError(
        `the ${conversation.channel} channel keeps no transcripts: only conversations of a channel that declares the transcript capability (such as chat) have one`,
      );
    }
    const inbox = await this.readStore.getInbox(conversation.inboxId);
    const rendered = this.renderer.render({
      inboxName: inbox?.name ?? '',
      subject: conversation.subject,
      lines: transcriptLines(conversation),
      language: options.language ?? ctx.agent?.language,
      timeZone: options.timeZone ?? ctx.agent?.timeZone,
    });
    const messageId = options.messageId ?? randomUUID();
    const outcome = await this.executor.execute(
      streams.conversation(conversationId),
      conversationDecider,
      () => ({
        type: 'SendTranscript' as const,
        data: {
          messageId,
          to,
          reason,
          ...(ctx.agent ? { authorId: ctx.agent.id } : {}),
          subject: rendered.subject,
          text: rendered.text,
          html: rendered.html,
          now: this.executor.now().toISOString(),
        },
      }),
      ctx,
      inboxGuard(this.access, ctx),
    );
    return { ...toResult(conversationId, outcome), messageId };
  }
}

/**
 * What the visitor saw, oldest first: their messages and the replies sent to them (on the chat or
 * by email, rule 12) that did not fail for good. Forwards and transcripts went to others; internal
 * comments are never part of it.
 */
export function transcriptLines(conversation: ConversationDetail): TranscriptLine[] {
  return conversation.messages
    .filter((m) => m.direction === 'in' || (m.kind === 'reply' && m.delivery?.status !== 'failed'))
    .map((m) => ({
      // An anonymous visitor's address is a session key, not a name: the renderer calls them "Visitor".
      author: m.from.name || (m.direction === 'out' || isEmailAddress(m.from.address) ? m.from.address : ''),
      side: m.direction === 'in' ? ('contact' as const) : ('agent' as const),
      at: m.at,
      text: m.text,
    }));
}
