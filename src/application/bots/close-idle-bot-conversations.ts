import { Inject, Injectable } from '@nestjs/common';
import { conversationDecider, isRuleNineConversation } from '../../domain/conversation/conversation.decider';
import type { ConversationState } from '../../domain/conversation/conversation.state';
import { fold } from '../../domain/shared/decider';
import { isDomainError } from '../../domain/shared/domain-error';
import { BOT_INACTIVITY_CLOSE_MS } from '../../domain/shared/types';
import { systemContext } from '../command-handling/command-context';
import { CommandExecutor } from '../command-handling/command-executor';
import { toDomainEvents } from '../command-handling/handle-command';
import type { JobRegistration } from '../jobs/job-registration';
import type { RecordedEvent } from '../ports/event-store.port';
import { JOB_QUEUE, type JobContext, type JobData, type JobQueue } from '../ports/job-queue.port';
import { APP_LOGGER, type AppLogger } from '../ports/logger.port';
import type { ProcessManager } from '../process-managers/process-manager';
import { conversationIdFromStream, streams } from '../streams';
import { READ_STORE, type ReadStore } from '../ports/read-store.port';
import { BotsSeen } from './bots-seen';

export const CLOSE_IDLE_BOT_CONVERSATION_JOB = 'bot.close-idle-conversation';

export interface CloseIdleBotConversationJobData {
  conversationId: string;
  /** The visitor activity (lastContactActivityAt) this close belongs to: later activity has its own job. */
  activityAt: string;
}

/** One job per conversation and visitor activity: handling the same event again schedules nothing new. */
export const closeIdleBotConversationJobId = (conversationId: string, activityAt: string) => `bot-idle-close:${conversationId}:${activityAt}`;

/** A close that keeps failing (a store down for a while) retries for about 4 hours. */
const ATTEMPTS = 9;
const BACKOFF = { type: 'exponential', delayMs: 60_000 } as const;

/**
 * Rule 9, the system's half: a conversation the inbox's bot took at its start, still held by the
 * bot and whose visitor never asked for a person, is closed by the system once 30 minutes passed
 * without visitor activity. On its start (the bot's assignment) and on every visitor message, a
 * durable job is scheduled at that activity + 30 minutes; the job queue survives restarts.
 */
@Injectable()
export class ScheduleIdleBotConversationClose implements ProcessManager {
  readonly name = 'schedule-idle-bot-conversation-close';
  readonly handles = ['ConversationAssigned', 'MessageReceived'] as const;

  private readonly bots: BotsSeen;

  constructor(
    private readonly executor: CommandExecutor,
    @Inject(JOB_QUEUE) private readonly jobs: JobQueue,
    @Inject(READ_STORE) readStore: ReadStore,
  ) {
    this.bots = new BotsSeen(readStore, executor);
  }

  async handle(event: RecordedEvent): Promise<void> {
    const conversationId = conversationIdFromStream(event.streamId);
    if (!conversationId) return;
    if (!(await this.bots.mayConcern(event.position))) return;
    if (event.type === 'ConversationAssigned' && (event.data.assignee as { type?: string } | undefined)?.type !== 'bot') return;
    const state = await conversationState(this.executor, conversationId);
    if (state.status !== 'open' || !isRuleNineConversation(state)) return;
    const activityAt = state.lastContactActivityAt;
    const data: CloseIdleBotConversationJobData = { conversationId, activityAt };
    await this.jobs.enqueue(
      CLOSE_IDLE_BOT_CONVERSATION_JOB,
      { ...data },
      {
        jobId: closeIdleBotConversationJobId(conversationId, activityAt),
        runAt: new Date(Date.parse(activityAt) + BOT_INACTIVITY_CLOSE_MS),
        attempts: ATTEMPTS,
        backoff: BACKOFF,
      },
    );
  }
}

/**
 * Closes the conversation as the system if it is still under rule 9 and its latest visitor
 * activity is the one the job was scheduled for, 30 minutes ago or more; anything else (the
 * visitor wrote meanwhile, a handoff, an agent took it, already closed) leaves it alone.
 */
@Injectable()
export class CloseIdleBotConversationJob implements JobRegistration {
  readonly type = CLOSE_IDLE_BOT_CONVERSATION_JOB;

  constructor(
    private readonly executor: CommandExecutor,
    @Inject(APP_LOGGER) private readonly logger: AppLogger,
  ) {}

  async handle(data: JobData, job: JobContext): Promise<void> {
    const { conversationId, activityAt } = data as unknown as CloseIdleBotConversationJobData;
    const stillIdle = (state: ConversationState) => state.status === 'open' && isRuleNineConversation(state) && state.lastContactActivityAt === activityAt;
    if (!stillIdle(await conversationState(this.executor, conversationId))) return;
    const closableFrom = Date.parse(activityAt) + BOT_INACTIVITY_CLOSE_MS;
    if (this.executor.now().getTime() < closableFrom) {
      // A clock behind the scheduler's: the attempt fails and the job retries later.
      throw new Error(`bot conversation ${conversationId} may be closed only from ${new Date(closableFrom).toISOString()}; the job came early and retries`);
    }
    try {
      const outcome = await this.executor.execute(
        streams.conversation(conversationId),
        conversationDecider,
        () => ({ type: 'CloseConversation' as const, data: { closeTicket: false, now: this.executor.now().toISOString() } }),
        systemContext({ causationId: job.jobId }),
        (state) => {
          if (!stillIdle(state)) throw new NothingToClose();
        },
      );
      if (outcome.events.length > 0)
        this.logger.info({ conversationId, activityAt }, 'closed a bot conversation after 30 minutes without visitor activity (rule 9)');
    } catch (error) {
      if (error instanceof NothingToClose) return;
      // Closed, trashed or deleted between the check and the command: nothing left to do.
      if (isDomainError(error) && (error.code === 'not-found' || error.code === 'invalid-transition')) return;
      throw error;
    }
  }
}

class NothingToClose extends Error {}

async function conversationState(executor: CommandExecutor, conversationId: string): Promise<ConversationState> {
  return fold(conversationDecider, toDomainEvents(await executor.store.readStream(streams.conversation(conversationId))));
}
