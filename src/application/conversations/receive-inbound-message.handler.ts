import { Inject } from '@nestjs/common';
import { CommandHandler, type ICommandHandler, Command } from '@nestjs/cqrs';
import { conversationDecider, isActive, type ConversationState } from '../../domain/conversation/conversation.decider';
import { normalizeAddress } from '../../domain/shared/address';
import { isDomainError } from '../../domain/shared/domain-error';
import { AccessDeniedError, hiddenInbox, InboxAccess, InvalidRequestError, NotFoundError } from '../access/inbox-access';
import type { CommandContext } from '../command-handling/command-context';
import { CommandExecutor } from '../command-handling/command-executor';
import { ATTACHMENT_STORE, type AttachmentStore } from '../ports/attachment-store.port';
import type { InboundMessage, IngestResult } from '../ports/channel.port';
import { ConcurrencyError } from '../ports/event-store.port';
import { READ_STORE, type ReadStore } from '../ports/read-store.port';
import { deriveIds, streams } from '../streams';
import { ContactResolver } from '../contacts/contact-resolver';
import { RecentOwners } from './recent-owners';
import { checkedFields, checkedFiles, checkedReaction, checkedSpam } from './inbound-message-checks';
import type { AttachmentRef } from '../../domain/shared/types';

/** A channel hands over one inbound message (DESIGN "Channel plugins"). */
export class ReceiveInboundMessageCommand extends Command<IngestResult> {
  constructor(
    readonly message: InboundMessage,
    readonly ctx: CommandContext,
  ) {
    super();
  }
}

@CommandHandler(ReceiveInboundMessageCommand)
export class ReceiveInboundMessageHandler implements ICommandHandler<ReceiveInboundMessageCommand> {
  constructor(
    private readonly executor: CommandExecutor,
    private readonly access: InboxAccess,
    @Inject(READ_STORE) private readonly readStore: ReadStore,
    @Inject(ATTACHMENT_STORE) private readonly files: AttachmentStore,
    private readonly contacts: ContactResolver,
    private readonly owners: RecentOwners,
  ) {}

  async execute({ message, ctx }: ReceiveInboundMessageCommand): Promise<IngestResult> {
    // What the plugin handed over besides the text is checked before anything is read or stored.
    const files = checkedFiles(message.files);
    const fields = checkedFields(message.fields);
    const reaction = checkedReaction(message.reaction);
    const spam = checkedSpam(message.spam);
    const contactEmail = typeof message.contactEmail === 'string' && message.contactEmail.trim() !== '' ? message.contactEmail : undefined;
    const inbox = message.inboxId ? await this.readStore.getInbox(message.inboxId) : await this.readStore.getDefaultInbox();
    if (!inbox) throw new NotFoundError(message.inboxId ? `inbox ${message.inboxId} not found` : 'the default inbox does not exist yet');
    // The record just read decides access (assertInbox would read the same inbox again).
    this.access.assertInboxRecord(ctx.agent, inbox, hiddenInbox(message.inboxId));

    // Same thread -> same conversation, same message -> same id: redelivery is a no-op. A message
    // that continues another channel's conversation (rule 12) joins that one; the decider checks it may.
    const continues = message.continuesConversationId !== undefined;
    const conversationId = continues
      ? continuedConversationId(message.continuesConversationId)
      : deriveIds.conversation(inbox.id, message.channel, message.externalThreadId);
    const messageId = deriveIds.message(conversationId, message.externalMessageId);
    const address = normalizeAddress(message.from.address);
    if (reaction) return this.receiveReaction(message, reaction, conversationId, address, ctx);
    const senderBlocked = await this.readStore.isSenderBlocked(inbox.id, address);
    // The inbox's active bot for this channel answers a new conversation first (the decider applies it only at the start).
    const assignToBot = !continues && (await this.readStore.findActiveBot(inbox.id, message.channel)) !== null;

    // The files are kept first and named on the message; a message that turns out a duplicate, or
    // is refused, takes its files away again: nothing is kept that no message names.
    const stored: AttachmentRef[] = [];
    const removeStored = async () => {
      for (const ref of stored) await this.files.delete(conversationId, ref.id).catch(() => undefined);
    };
    try {
      for (const file of files) stored.push(await this.files.put({ conversationId, ...file, uploadedBy: `contact:${address}` }));
    } catch (error) {
      await removeStored();
      throw error;
    }

    let outcome: Awaited<ReturnType<CommandExecutor['execute']>>;
    try {
      outcome = await this.executor.execute(
        streams.conversation(conversationId),
        conversationDecider,
        async (state) => {
          const contactId = await this.contactOf(state, message.channel, address);
          const now = this.executor.now().toISOString();
          return {
            type: 'ReceiveInboundMessage' as const,
            data: {
              conversationId,
              inboxId: inbox.id,
              channel: message.channel,
              externalThreadId: message.externalThreadId,
              externalMessageId: message.externalMessageId,
              messageId,
              contactId,
              from: { address, ...(message.from.name ? { name: message.from.name } : {}) },
              to: message.to,
              subject: message.subject ?? '',
              text: message.text,
              ...(message.html !== undefined ? { html: message.html } : {}),
              attachments: [...(message.attachments ?? []), ...stored],
              receivedAt: clampReceivedAt(message.receivedAt, now),
              senderBlocked,
              ...(assignToBot ? { assignToBot: true } : {}),
              ...(ctx.agent ? { postedBy: ctx.agent.id } : {}),
              ...languageOf(message.language),
              ...choiceOf(message.choiceId),
              ...(continues ? { continues: true } : {}),
              ...(fields ? { fields } : {}),
              ...(spam ? { spam: true } : {}),
              ...(contactEmail ? { contactEmail } : {}),
              // The inbox's own address is never a participant, even when a contact copies it.
              ...(message.cc?.length ? { cc: message.cc.filter((p) => !inbox.emailAddress || normalizeAddress(p?.address ?? '') !== inbox.emailAddress) } : {}),
              // Only where the inbox's address is known can the others in To be told from it.
              ...(inbox.emailAddress && message.to?.length
                ? { toOthers: message.to.filter((p) => normalizeAddress(p?.address ?? '') !== inbox.emailAddress) }
                : {}),
              now,
            },
          };
        },
        { ...ctx, actor: { type: 'contact', address } },
        undefined,
        (done) => {
          // Whether notify-agents has an owner to tell about this message, known from the state decided on.
          if (done.events.at(-1)?.type === 'MessageReceived') {
            this.owners.note(done.position, done.streamId, isActive(done.state) && done.state.assignee?.type === 'agent');
          }
        },
      );
    } catch (error) {
      // A refusal wrote nothing: its files go. After any other failure the write may have landed
      // (a store that timed out): the files stay, as a message may name them (delete forever takes them).
      if (isRefusal(error)) await removeStored();
      throw error;
    }
    const duplicate = outcome.events.length === 0;
    if (duplicate) await removeStored();
    return { conversationId, messageId, duplicate };
  }

  /**
   * The contact matters only when this message starts the conversation (the decider reads
   * contactId nowhere else); it is the sender's record whichever channel they write on. A message
   * to a conversation that exists names that conversation's contact and looks nothing up: no
   * identity lookup and, while the contact's record is not projected yet, no read of the contact's
   * stream (both were done for every reply).
   */
  private async contactOf(state: ConversationState, channel: string, address: string): Promise<string> {
    if (isActive(state) && state.contact) return state.contact.id;
    return this.contacts.contactIdFor(channel, address);
  }

  /**
   * A reaction is recorded on the message it names, in a conversation that must exist already (a
   * reaction never starts one): an unknown thread or message is a 404 the plugin sees.
   */
  private async receiveReaction(
    message: InboundMessage,
    reaction: { toExternalMessageId: string; emoji: string },
    conversationId: string,
    address: string,
    ctx: CommandContext,
  ): Promise<IngestResult> {
    const outcome = await this.executor.execute(
      streams.conversation(conversationId),
      conversationDecider,
      () => {
        const now = this.executor.now().toISOString();
        return {
          type: 'ReceiveReaction' as const,
          data: {
            externalMessageId: message.externalMessageId,
            targetExternalMessageId: reaction.toExternalMessageId,
            from: { address, ...(message.from.name ? { name: message.from.name } : {}) },
            emoji: reaction.emoji,
            receivedAt: clampReceivedAt(message.receivedAt, now),
            now,
          },
        };
      },
      { ...ctx, actor: { type: 'contact', address } },
      (state) => {
        if (state.status === 'none' || state.status === 'deleted') {
          throw new NotFoundError(
            `thread ${JSON.stringify(message.externalThreadId)} of the ${message.channel} channel not found; a reaction needs its conversation`,
          );
        }
      },
    );
    const recorded = outcome.events.find((e) => e.type === 'ReactionReceived');
    const state = outcome.state;
    const target =
      recorded?.type === 'ReactionReceived'
        ? recorded.data.messageId
        : state.status !== 'none' && state.status !== 'deleted'
          ? state.messageIdsByExternalId.get(reaction.toExternalMessageId)
          : undefined;
    return { conversationId, messageId: target ?? deriveIds.message(conversationId, reaction.toExternalMessageId), duplicate: outcome.events.length === 0 };
  }
}

/** An error that says the command was refused before anything was written. */
function isRefusal(error: unknown): boolean {
  return (
    isDomainError(error) ||
    error instanceof ConcurrencyError ||
    error instanceof InvalidRequestError ||
    error instanceof NotFoundError ||
    error instanceof AccessDeniedError
  );
}

const CONVERSATION_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function continuedConversationId(value: unknown): string {
  if (typeof value !== 'string' || !CONVERSATION_ID.test(value)) {
    throw new InvalidRequestError(`continuesConversationId must be a conversation id (a UUID), got ${JSON.stringify(value)}`);
  }
  return value.toLowerCase();
}

/** Clocks drift a little; a receivedAt further in the future than this is taken as "now". */
const MAX_CLOCK_SKEW_MS = 5 * 60 * 1000;

/**
 * The channel's receivedAt, unless it lies in the future: a future date would pin the
 * conversation to the top of every list and, as the last visitor activity, keep a bot
 * conversation from ever being closed (rule 9).
 */
export function clampReceivedAt(receivedAt: string | undefined, now: string): string {
  if (!receivedAt) return now;
  return Date.parse(receivedAt) - Date.parse(now) > MAX_CLOCK_SKEW_MS ? now : receivedAt;
}

/** A language tag's primary subtag (`en-GB` -> `en`); anything that is not a tag is left out rather than refused. */
function languageOf(tag: unknown): { language?: string } {
  if (typeof tag !== 'string') return {};
  const match = /^([a-z]{2,3})(?:[-_][a-z0-9]{1,8})*$/i.exec(tag.trim());
  return match ? { language: match[1]!.toLowerCase() } : {};
}

/** The button the contact picked (InboundMessage.choiceId): kept when it looks like a choice id, otherwise left out (the text still says it). */
function choiceOf(choiceId: unknown): { choiceId?: string } {
  return typeof choiceId === 'string' && /^[A-Za-z0-9_-]{1,40}$/.test(choiceId) ? { choiceId } : {};
}
