import { Inject, Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { conversationDecider, isActive, type ActiveConversation, type ConversationState } from '../../domain/conversation/conversation.decider';
import type { ConversationCommand } from '../../domain/conversation/conversation.commands';
import type { ConversationEvent, MessageReceived } from '../../domain/conversation/conversation.events';
import { botActor } from '../../domain/shared/actor';
import { fold } from '../../domain/shared/decider';
import { isDomainError } from '../../domain/shared/domain-error';
import type { CommandContext } from '../command-handling/command-context';
import { CommandExecutor } from '../command-handling/command-executor';
import { toDomainEvents } from '../command-handling/handle-command';
import { CHANNEL_CATALOG, type ChannelCatalog } from '../ports/channel-catalog.port';
import type { RecordedEvent } from '../ports/event-store.port';
import { APP_LOGGER, type AppLogger } from '../ports/logger.port';
import { READ_STORE, type BotRecord, type ReadStore } from '../ports/read-store.port';
import type { ProcessManager } from '../process-managers/process-manager';
import { conversationIdFromStream, streams } from '../streams';
import { planAnswer, planStart, type FlowBotAction } from './flow-bot-plan';
import { flowBotLanguage } from './flow-bot-texts';
import { BotsSeen } from './bots-seen';

/**
 * The built-in flow bot at work (docs/bot-flows.md). When the inbox's active flow bot takes a new
 * conversation (ConversationAssigned via `inbox-bot`) it runs the greeting; on every visitor
 * message while it still holds the conversation it acts on the step it waits at (a button picked,
 * an email address given, a question asked again). It speaks through QueueReply as `bot:<botId>`
 * with the bot actor, records where it is with AdvanceBotFlow and hands the conversation to the
 * team with RequestBotHandoff (routing then gives it to an agent, or it waits in Unassigned).
 *
 * At least once, in log order: what one event makes the bot do is decided from the conversation
 * as it was before the bot acted on that event (events the bot wrote for it are recognised by their
 * causation: the event's id), and every step is idempotent: replies have message ids derived from
 * the event's id and the step, a step already recorded for the event is not recorded again, and
 * the email and the handoff are no-ops when repeated. So handling an event twice says nothing twice.
 *
 * A visitor's message written before the bot's current step was asked (the visitor typed on while
 * the bot answered an earlier message) is no answer to it and is passed over. Closed and hidden
 * conversations (Spam, Filtered, Trash), and those the bot no longer holds, get nothing.
 */
@Injectable()
export class FlowBotRuns implements ProcessManager {
  readonly name = 'flow-bot';
  readonly handles = ['ConversationAssigned', 'MessageReceived'] as const;

  constructor(
    private readonly executor: CommandExecutor,
    @Inject(READ_STORE) private readonly readStore: ReadStore,
    @Inject(CHANNEL_CATALOG) private readonly catalog: ChannelCatalog,
    @Inject(APP_LOGGER) private readonly logger: AppLogger,
  ) {
    this.bots = new BotsSeen(readStore, executor);
  }

  private readonly bots: BotsSeen;

  async handle(event: RecordedEvent): Promise<void> {
    const conversationId = conversationIdFromStream(event.streamId);
    if (!conversationId) return;
    if (!(await this.bots.mayConcern(event.position))) return;
    if (event.type === 'ConversationAssigned') {
      const data = event.data as { assignee?: { type?: string }; via?: string };
      if (data.via !== 'inbox-bot' || data.assignee?.type !== 'bot') return;
    }
    const recorded = await this.executor.store.readStream(streams.conversation(conversationId));
    const at = recorded.findIndex((e) => e.id === event.id);
    if (at < 0) return; // deleted forever (perhaps recreated since): not this conversation any more
    const actedOn = (e: RecordedEvent) => e.metadata.actor.type === 'bot' && e.metadata.causationId === event.id;
    const firstOwn = recorded.findIndex(actedOn);
    const before = firstOwn < 0 ? recorded : recorded.slice(0, firstOwn);
    const state = fold(conversationDecider, toDomainEvents<ConversationEvent>(before));
    if (!holdsConversation(state)) return;

    let bot: BotRecord | null;
    let actions: FlowBotAction[];
    if (event.type === 'ConversationAssigned') {
      if (state.botFlow !== null) return; // the flow has started already (this is a repeat)
      bot = await this.readStore.findActiveBot(state.inboxId, state.channel);
      if (!isFlowBot(bot)) return;
      actions = planStart({ flow: bot.flow, buttons: this.buttonsOn(state), language: languageOf(before) });
    } else {
      if (state.botFlow === null) return; // the greeting (the assignment) comes next and starts the flow
      // Asked after this message was written: the message is no answer to the current step.
      const lastStep = before.findLastIndex((e) => e.type === 'BotFlowAdvanced');
      if (lastStep > at) return;
      bot = await this.readStore.getBot(state.botFlow.botId);
      if (!isFlowBot(bot)) return;
      const message = event.data as MessageReceived['data'];
      actions = planAnswer({ flow: bot.flow, buttons: this.buttonsOn(state), language: languageOf(before) }, state.botFlow.stepId, {
        text: message.text ?? '',
        ...(typeof message.choiceId === 'string' ? { choiceId: message.choiceId } : {}),
      });
    }
    const recordedSteps = new Set(recorded.filter((e) => actedOn(e) && e.type === 'BotFlowAdvanced').map((e) => String(e.data.stepId)));
    await this.carryOut(conversationId, bot, actions, event, recordedSteps);
  }

  private async carryOut(conversationId: string, bot: BotRecord, actions: FlowBotAction[], event: RecordedEvent, recordedSteps: Set<string>) {
    const ctx: CommandContext = { actor: botActor, agent: null, correlationId: event.metadata.correlationId, causationId: event.id };
    for (const action of actions) {
      let command: (now: string) => ConversationCommand;
      switch (action.type) {
        case 'say':
          command = (now) => ({
            type: 'QueueReply',
            data: {
              messageId: flowBotMessageId(event.id, action.key),
              authorId: `bot:${bot.id}`,
              text: action.text,
              ...(action.choices?.length ? { choices: action.choices } : {}),
              now,
            },
          });
          break;
        case 'advance':
          if (recordedSteps.has(action.stepId)) continue;
          command = (now) => ({ type: 'AdvanceBotFlow', data: { botId: bot.id, stepId: action.stepId, now } });
          break;
        case 'email':
          command = () => ({ type: 'ProvideContactEmail', data: { address: action.address } });
          break;
        case 'handoff':
          command = (now) => ({ type: 'RequestBotHandoff', data: { now } });
          break;
      }
      try {
        await this.executor.execute(streams.conversation(conversationId), conversationDecider, () => command(this.executor.now().toISOString()), ctx);
      } catch (error) {
        // The conversation refuses (deleted forever, its contact unlinked): the bot has nothing more to say in it.
        if (!isDomainError(error)) throw error;
        this.logger.info({ conversationId, botId: bot.id, action: action.type, refusal: error.message }, 'the flow bot stopped: the conversation refused');
        return;
      }
    }
  }

  private buttonsOn(state: ActiveConversation): boolean {
    return this.catalog.capabilitiesOf(state.channel)?.choices === true;
  }
}

/** Open, in the inbox (not Spam, Filtered or Trash), held by a bot, and the visitor has not asked for a person. */
function holdsConversation(state: ConversationState): state is ActiveConversation {
  return (
    isActive(state) &&
    state.status === 'open' &&
    state.assignee?.type === 'bot' &&
    !state.botHandoffRequested &&
    !state.spam &&
    !state.filtered &&
    !state.trashed
  );
}

function isFlowBot(bot: BotRecord | null): bot is BotRecord & { flow: NonNullable<BotRecord['flow']> } {
  return bot !== null && bot.kind === 'flow' && bot.flow !== null;
}

/** The visitor's language: the latest their messages said (the chat passes the browser's). */
function languageOf(events: readonly RecordedEvent[]) {
  for (let i = events.length - 1; i >= 0; i -= 1) {
    const e = events[i]!;
    if (e.type === 'MessageReceived' && typeof e.data.language === 'string') return flowBotLanguage(e.data.language);
  }
  return flowBotLanguage(null);
}

/** A bot reply's id: uuid-shaped, derived from the event it answers and what it says (the step), so a repeat is the same reply. */
export function flowBotMessageId(causeEventId: string, key: string): string {
  const hex = createHash('sha256').update(`flow-bot:${causeEventId}:${key}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${((parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16)}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
