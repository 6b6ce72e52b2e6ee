import { Inject } from '@nestjs/common';
import { Command, CommandHandler, Query, QueryHandler, type ICommandHandler, type IQueryHandler } from '@nestjs/cqrs';
import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import { conversationDecider, isActive, type ConversationState } from '../../domain/conversation/conversation.decider';
import type { ConversationCommand } from '../../domain/conversation/conversation.commands';
import type { ConversationEvent, ReplyChoice } from '../../domain/conversation/conversation.events';
import { botActor } from '../../domain/shared/actor';
import { fold } from '../../domain/shared/decider';
import { NotFoundError } from '../access/inbox-access';
import type { CommandContext } from '../command-handling/command-context';
import { CommandExecutor } from '../command-handling/command-executor';
import { toDomainEvents } from '../command-handling/handle-command';
import { CHANNEL_CATALOG, type ChannelCatalog } from '../ports/channel-catalog.port';
import { READ_STORE, type ReadStore } from '../ports/read-store.port';
import { streams, uuidV5 } from '../streams';
import { heldByBot } from './webhook-bot-events';

/**
 * The bot API's application side (docs/webhook-bots.md "The bot API"): a webhook bot, known by its
 * own token, reads and answers the conversations it holds and hands them to the team. It reaches
 * only conversations of its own inbox that it holds (heldByBot) while it is the inbox's active bot
 * for their channel; anything else answers as an unknown conversation.
 */

/** The bot a request acts for, as its token authenticated it. */
export interface AuthenticatedBot {
  id: string;
  inboxId: string;
  name: string;
}

/** Tokens are kept as the SHA-256 (hex) of what the admin was shown once. */
export function hashBotToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** The author id a bot's replies carry (the thread shows the bot's name for it). */
export const botAuthorId = (botId: string) => `bot:${botId}`;

/** The active webhook bot whose current token this is, or null (unknown, replaced by a newer token, inactive, removed). */
export class AuthenticateBotQuery extends Query<AuthenticatedBot | null> {
  constructor(readonly token: string) {
    super();
  }
}

@QueryHandler(AuthenticateBotQuery)
export class AuthenticateBotHandler implements IQueryHandler<AuthenticateBotQuery> {
  constructor(@Inject(READ_STORE) private readonly readStore: ReadStore) {}

  async execute({ token }: AuthenticateBotQuery): Promise<AuthenticatedBot | null> {
    if (typeof token !== 'string' || token.length < 16 || token.length > 512) return null;
    const hash = hashBotToken(token);
    const bot = await this.readStore.findBotByTokenHash(hash);
    // The lookup found it by hash; the comparison is constant-time all the same, against the bot's current token only.
    if (!bot?.tokenHash || bot.tokenHash.length !== hash.length || !timingSafeEqual(Buffer.from(bot.tokenHash), Buffer.from(hash))) return null;
    if (!bot.active || bot.kind !== 'webhook') return null;
    return { id: bot.id, inboxId: bot.inboxId, name: bot.name };
  }
}

/** What a bot reads of a conversation: the conversation and both sides' messages, never the team's comments. */
export interface BotConversationView {
  id: string;
  inboxId: string;
  channel: string;
  status: 'open' | 'closed';
  subject: string;
  contact: { name: string | null; address: string; email?: string } | null;
  messages: Array<{
    id: string;
    direction: 'in' | 'out';
    from: { address: string; name?: string };
    text: string;
    at: string;
    /** Outbound: who wrote it (`bot:<id>` for a bot, an agent's id). */
    authorId: string | null;
  }>;
  revision: number;
}

export class GetBotConversationQuery extends Query<BotConversationView> {
  constructor(
    readonly bot: AuthenticatedBot,
    readonly conversationId: string,
  ) {
    super();
  }
}

@QueryHandler(GetBotConversationQuery)
export class GetBotConversationHandler implements IQueryHandler<GetBotConversationQuery> {
  constructor(
    private readonly executor: CommandExecutor,
    @Inject(READ_STORE) private readonly readStore: ReadStore,
  ) {}

  async execute({ bot, conversationId }: GetBotConversationQuery): Promise<BotConversationView> {
    const state = fold(conversationDecider, toDomainEvents<ConversationEvent>(await this.executor.store.readStream(streams.conversation(conversationId))));
    await assertHeldBy(bot, state, conversationId, this.readStore);
    const conversation = await this.readStore.getConversation(conversationId);
    if (!conversation) throw unknown(conversationId);
    return {
      id: conversation.id,
      inboxId: conversation.inboxId,
      channel: conversation.channel,
      status: conversation.status,
      subject: conversation.subject,
      contact: conversation.contact
        ? {
            name: conversation.contact.name,
            address: conversation.contact.address,
            ...(conversation.contact.email ? { email: conversation.contact.email } : {}),
          }
        : null,
      // Forwards outside the company carry an agent's note, transcripts are copies: the bot reads the conversation itself.
      messages: conversation.messages
        .filter((message) => message.kind === null || message.kind === 'reply')
        .map((message) => ({
          id: message.id,
          direction: message.direction,
          from: { address: message.from.address, ...(message.from.name ? { name: message.from.name } : {}) },
          text: message.text,
          at: message.at,
          authorId: message.authorId,
        })),
      revision: conversation.revision,
    };
  }
}

export type BotAction = { type: 'reply'; text: string; choices?: ReplyChoice[]; idempotencyKey?: string } | { type: 'handoff' };

export interface BotActionResult {
  id: string;
  revision: number;
  /** The reply's id (replies only). */
  messageId?: string;
}

/** A bot replies or hands the conversation to the team: written as the bot, only while it holds the conversation. */
export class ActAsWebhookBotCommand extends Command<BotActionResult> {
  constructor(
    readonly bot: AuthenticatedBot,
    readonly conversationId: string,
    readonly action: BotAction,
    readonly correlationId: string = randomUUID(),
  ) {
    super();
  }
}

@CommandHandler(ActAsWebhookBotCommand)
export class ActAsWebhookBotHandler implements ICommandHandler<ActAsWebhookBotCommand> {
  constructor(
    private readonly executor: CommandExecutor,
    @Inject(READ_STORE) private readonly readStore: ReadStore,
    @Inject(CHANNEL_CATALOG) private readonly catalog: ChannelCatalog,
  ) {}

  async execute({ bot, conversationId, action, correlationId }: ActAsWebhookBotCommand): Promise<BotActionResult> {
    const ctx: CommandContext = { actor: botActor, agent: null, correlationId, causationId: correlationId };
    // The same Idempotency-Key names the same reply: a bot retrying its request sends it once.
    const messageId =
      action.type === 'reply'
        ? action.idempotencyKey
          ? uuidV5(`bot-reply\u0000${bot.id}\u0000${conversationId}\u0000${action.idempotencyKey}`)
          : randomUUID()
        : undefined;
    const build = (state: ConversationState): ConversationCommand => {
      const now = this.executor.now().toISOString();
      if (action.type === 'handoff') return { type: 'RequestBotHandoff', data: { now } };
      const channel = isActive(state) ? state.channel : 'chat';
      const buttons = action.choices?.length ? action.choices : undefined;
      const showsButtons = this.catalog.capabilitiesOf(channel)?.choices === true;
      // A channel without buttons gets them as a numbered list in the text (the contact answers with the number or the words).
      const text = buttons && !showsButtons ? `${action.text}\n\n${buttons.map((choice, i) => `${i + 1}. ${choice.label}`).join('\n')}` : action.text;
      return { type: 'QueueReply', data: { messageId: messageId!, authorId: botAuthorId(bot.id), text, ...(buttons ? { choices: buttons } : {}), now } };
    };
    // A repeated reply (same Idempotency-Key) is already stored: the conversation may have moved on, the answer is the same.
    const outcome = await this.executor.execute(streams.conversation(conversationId), conversationDecider, build, ctx, async (state) => {
      if (messageId && isActive(state) && state.replies.has(messageId)) return;
      await assertHeldBy(bot, state, conversationId, this.readStore);
    });
    return { id: conversationId, revision: outcome.revision, ...(messageId ? { messageId } : {}) };
  }
}

/** The conversation is one the bot holds, in its inbox, on a channel it is the active bot for; else it answers as unknown. */
async function assertHeldBy(bot: AuthenticatedBot, state: ConversationState, conversationId: string, readStore: ReadStore): Promise<void> {
  if (!isActive(state) || state.inboxId !== bot.inboxId || !heldByBot(state)) throw unknown(conversationId);
  const active = await readStore.findActiveBot(state.inboxId, state.channel);
  if (active?.id !== bot.id) throw unknown(conversationId);
}

const unknown = (conversationId: string) => new NotFoundError(`conversation ${conversationId} not found`);
