import { randomUUID } from 'node:crypto';
import { Inject } from '@nestjs/common';
import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { botDecider, type BotState } from '../../domain/bot/bot.decider';
import type { BotChanged, BotFlow, BotKind } from '../../domain/bot/bot.events';
import { conflict } from '../../domain/shared/domain-error';
import { NotFoundError, requireAdmin } from '../access/inbox-access';
import { SettingsCipher } from '../channel-connections/settings-cipher';
import type { CommandContext } from '../command-handling/command-context';
import { CommandExecutor } from '../command-handling/command-executor';
import { READ_STORE, type BotRecord, type InboxRecord, type ReadStore } from '../ports/read-store.port';
import { streams } from '../streams';
import { botTokenHash, defaultBotFlow, encryptWebhookSecret, newBotSecret, toBotView, type BotView } from './bot-view';

/** A bot as answered right after it was created or changed: a signing secret Parley generated is shown this once. */
export type BotAnswer = BotView & { webhookSecret?: string };

export interface NewBot {
  name: string;
  kind: BotKind;
  channels?: string[];
  /** Flow bots: the flow (default: a greeting that offers a person, in the admin's language). */
  flow?: BotFlow | null;
  webhookUrl?: string | null;
  /** Webhook bots: the signing secret; left out, Parley generates one and answers it once. */
  webhookSecret?: string | null;
}

/** `POST /api/inboxes/:id/bots`: an admin adds a bot (inactive) to an inbox. */
export class CreateBotCommand extends Command<BotAnswer> {
  constructor(
    readonly inboxId: string,
    readonly bot: NewBot,
    readonly ctx: CommandContext,
  ) {
    super();
  }
}

@CommandHandler(CreateBotCommand)
export class CreateBotHandler implements ICommandHandler<CreateBotCommand> {
  constructor(
    private readonly executor: CommandExecutor,
    private readonly cipher: SettingsCipher,
    @Inject(READ_STORE) private readonly readStore: ReadStore,
  ) {}

  async execute({ inboxId, bot, ctx }: CreateBotCommand): Promise<BotAnswer> {
    const inbox = await adminInbox(this.readStore, inboxId, ctx);
    const botId = randomUUID();
    const webhook = bot.kind === 'webhook';
    const generated = webhook && !bot.webhookSecret ? newBotSecret() : undefined;
    const secret = webhook ? bot.webhookSecret || generated : undefined;
    await this.executor.execute(
      streams.bot(botId),
      botDecider,
      {
        type: 'CreateBot',
        data: {
          botId,
          inboxId: inbox.id,
          name: bot.name,
          kind: bot.kind,
          channels: bot.channels ?? [],
          flow: bot.kind === 'flow' ? (bot.flow ?? defaultBotFlow(ctx.agent?.language === 'nl' ? 'nl' : 'en')) : null,
          webhookUrl: webhook ? (bot.webhookUrl ?? null) : null,
          webhookSecret: secret ? encryptWebhookSecret(this.cipher, botId, secret) : null,
        },
      },
      ctx,
    );
    return { ...toBotView(await stored(this.readStore, botId)), ...(generated ? { webhookSecret: generated } : {}) };
  }
}

export interface BotChanges {
  name?: string;
  channels?: string[];
  flow?: BotFlow | null;
  webhookUrl?: string | null;
  /** A new signing secret chosen by the admin. */
  webhookSecret?: string | null;
  /** Parley generates a new signing secret and answers it once. */
  newWebhookSecret?: boolean;
}

/** `PATCH /api/bots/:id`: only what is given changes. */
export class ChangeBotCommand extends Command<BotAnswer> {
  constructor(
    readonly botId: string,
    readonly changes: BotChanges,
    readonly ctx: CommandContext,
  ) {
    super();
  }
}

@CommandHandler(ChangeBotCommand)
export class ChangeBotHandler implements ICommandHandler<ChangeBotCommand> {
  constructor(
    private readonly executor: CommandExecutor,
    private readonly cipher: SettingsCipher,
    @Inject(READ_STORE) private readonly readStore: ReadStore,
  ) {}

  async execute({ botId, changes, ctx }: ChangeBotCommand): Promise<BotAnswer> {
    const bot = await adminBot(this.readStore, botId, ctx);
    const generated = changes.newWebhookSecret ? newBotSecret() : undefined;
    const secret = generated ?? (changes.webhookSecret || undefined);
    const data: BotChanged['data'] = {
      ...(changes.name !== undefined ? { name: changes.name } : {}),
      ...(changes.channels !== undefined ? { channels: changes.channels } : {}),
      ...(changes.flow !== undefined ? { flow: changes.flow } : {}),
      ...(changes.webhookUrl !== undefined ? { webhookUrl: changes.webhookUrl } : {}),
      ...(secret !== undefined ? { webhookSecret: encryptWebhookSecret(this.cipher, bot.id, secret) } : {}),
    };
    await this.executor.execute(streams.bot(bot.id), botDecider, { type: 'ChangeBot', data }, ctx, (state) => sameBot(state, bot));
    return { ...toBotView(await stored(this.readStore, bot.id)), ...(generated ? { webhookSecret: generated } : {}) };
  }
}

/** `POST /api/bots/:id/activate`: the bot takes the new conversations of its channels; refused while another bot of the inbox is active. */
export class ActivateBotCommand extends Command<BotView> {
  constructor(
    readonly botId: string,
    readonly ctx: CommandContext,
  ) {
    super();
  }
}

@CommandHandler(ActivateBotCommand)
export class ActivateBotHandler implements ICommandHandler<ActivateBotCommand> {
  constructor(
    private readonly executor: CommandExecutor,
    @Inject(READ_STORE) private readonly readStore: ReadStore,
  ) {}

  async execute({ botId, ctx }: ActivateBotCommand): Promise<BotView> {
    const bot = await adminBot(this.readStore, botId, ctx);
    const other = await this.otherActive(bot);
    if (other) throw otherActive(other);
    await this.executor.execute(streams.bot(bot.id), botDecider, { type: 'ActivateBot', data: {} }, ctx, (state) => sameBot(state, bot));
    // Two admins activating two bots at once both pass the check above. The read models now
    // include this activation, so of two racing ones the later always sees the earlier: the later
    // one (by log position) takes itself back and is refused, naming the bot that stays.
    const racing = await this.otherActive(bot);
    if (racing && (await this.activatedAt(racing.id)) < (await this.activatedAt(bot.id))) {
      await this.executor.execute(streams.bot(bot.id), botDecider, { type: 'DeactivateBot', data: {} }, ctx, (state) => sameBot(state, bot));
      throw otherActive(racing);
    }
    return toBotView(await stored(this.readStore, bot.id));
  }

  private async otherActive(bot: BotRecord): Promise<BotRecord | undefined> {
    return (await this.readStore.listBots(bot.inboxId)).find((candidate) => candidate.active && candidate.id !== bot.id);
  }

  /** The log position of the bot's latest activation (Infinity when it has none). */
  private async activatedAt(botId: string): Promise<number> {
    const events = await this.executor.store.readStream(streams.bot(botId));
    const activation = events.filter((event) => event.type === 'BotActivated').pop();
    return activation?.position ?? Number.POSITIVE_INFINITY;
  }
}

const otherActive = (other: BotRecord) =>
  conflict('bot-other-active', 'bot "{{name}}" is already active in this inbox (one bot per inbox); deactivate it first', { name: other.name });

/** `POST /api/bots/:id/deactivate`: new conversations go to the team again; the ones the bot holds stay with it. */
export class DeactivateBotCommand extends Command<BotView> {
  constructor(
    readonly botId: string,
    readonly ctx: CommandContext,
  ) {
    super();
  }
}

@CommandHandler(DeactivateBotCommand)
export class DeactivateBotHandler implements ICommandHandler<DeactivateBotCommand> {
  constructor(
    private readonly executor: CommandExecutor,
    @Inject(READ_STORE) private readonly readStore: ReadStore,
  ) {}

  async execute({ botId, ctx }: DeactivateBotCommand): Promise<BotView> {
    const bot = await adminBot(this.readStore, botId, ctx);
    await this.executor.execute(streams.bot(bot.id), botDecider, { type: 'DeactivateBot', data: {} }, ctx, (state) => sameBot(state, bot));
    return toBotView(await stored(this.readStore, bot.id));
  }
}

/** `POST /api/bots/:id/token`: a new API token, answered this once; the previous one stops working. */
export class IssueBotTokenCommand extends Command<{ token: string }> {
  constructor(
    readonly botId: string,
    readonly ctx: CommandContext,
  ) {
    super();
  }
}

@CommandHandler(IssueBotTokenCommand)
export class IssueBotTokenHandler implements ICommandHandler<IssueBotTokenCommand> {
  constructor(
    private readonly executor: CommandExecutor,
    @Inject(READ_STORE) private readonly readStore: ReadStore,
  ) {}

  async execute({ botId, ctx }: IssueBotTokenCommand): Promise<{ token: string }> {
    const bot = await adminBot(this.readStore, botId, ctx);
    const token = newBotSecret();
    await this.executor.execute(
      streams.bot(bot.id),
      botDecider,
      { type: 'IssueBotToken', data: { tokenHash: botTokenHash(token), now: this.executor.now().toISOString() } },
      ctx,
      (state) => sameBot(state, bot),
    );
    return { token };
  }
}

/** `DELETE /api/bots/:id`: the bot is gone (its token with it); conversations it holds stay in the Bots view for the team. */
export class RemoveBotCommand extends Command<void> {
  constructor(
    readonly botId: string,
    readonly ctx: CommandContext,
  ) {
    super();
  }
}

@CommandHandler(RemoveBotCommand)
export class RemoveBotHandler implements ICommandHandler<RemoveBotCommand> {
  constructor(
    private readonly executor: CommandExecutor,
    @Inject(READ_STORE) private readonly readStore: ReadStore,
  ) {}

  async execute({ botId, ctx }: RemoveBotCommand): Promise<void> {
    const bot = await adminBot(this.readStore, botId, ctx);
    await this.executor.execute(streams.bot(bot.id), botDecider, { type: 'RemoveBot', data: {} }, ctx, (state) => sameBot(state, bot));
  }
}

/** The caller an admin (else 403), then the inbox (unknown: 404). */
export async function adminInbox(readStore: ReadStore, inboxId: string, ctx: { agent: CommandContext['agent'] }): Promise<InboxRecord> {
  requireAdmin(ctx, 'bots');
  const inbox = await readStore.getInbox(inboxId);
  if (!inbox) throw new NotFoundError(`inbox ${inboxId} not found`);
  return inbox;
}

/** The caller an admin (else 403), then the bot (unknown or removed: 404). */
export async function adminBot(readStore: ReadStore, botId: string, ctx: { agent: CommandContext['agent'] }): Promise<BotRecord> {
  requireAdmin(ctx, 'bots');
  const bot = await readStore.getBot(botId.toLowerCase());
  if (!bot) throw new NotFoundError(`bot ${botId} not found`);
  return bot;
}

/** Checked on the bot's own history: it still exists (not removed meanwhile). */
function sameBot(state: BotState, bot: BotRecord): void {
  if (state.status !== 'created' || state.inboxId !== bot.inboxId) throw new NotFoundError(`bot ${bot.id} not found`);
}

async function stored(readStore: ReadStore, botId: string): Promise<BotRecord> {
  const bot = await readStore.getBot(botId);
  if (!bot) throw new Error(`bot ${botId} was stored but is not visible in the read models yet`);
  return bot;
}
