import { Inject, Injectable } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { conversationDecider } from '../../domain/conversation/conversation.decider';
import { fold } from '../../domain/shared/decider';
import { isDomainError } from '../../domain/shared/domain-error';
import { systemContext } from '../command-handling/command-context';
import { CommandExecutor } from '../command-handling/command-executor';
import { toDomainEvents } from '../command-handling/handle-command';
import { DeleteConversationCommand } from '../conversations/delete-conversation.handler';
import type { JobContext, JobData } from '../ports/job-queue.port';
import { APP_LOGGER, type AppLogger } from '../ports/logger.port';
import { streams } from '../streams';
import type { JobRegistration } from './job-registration';

export const PURGE_CONVERSATION_JOB = 'conversation.purge';

export interface PurgeConversationJobData {
  conversationId: string;
  /** Which trashing this purge belongs to: a restore, or a later trashing, makes it moot. */
  trashedAt: string;
}

/** One purge per trashing: redelivering ConversationTrashed schedules nothing new. */
export const purgeJobId = (conversationId: string, trashedAt: string) => `purge:${conversationId}:${trashedAt}`;

/**
 * Rule 7: deletes a trashed conversation for good once its 30 days in Trash ran out. Idempotent:
 * a conversation already gone, restored, or trashed again since (that trashing has its own job)
 * is done; one whose purge time has not come yet (a clock behind the scheduler's) fails the
 * attempt, so the job retries later.
 */
@Injectable()
export class PurgeConversationJob implements JobRegistration {
  readonly type = PURGE_CONVERSATION_JOB;

  constructor(
    private readonly commandBus: CommandBus,
    private readonly executor: CommandExecutor,
    @Inject(APP_LOGGER) private readonly logger: AppLogger,
  ) {}

  async handle(data: JobData, job: JobContext): Promise<void> {
    const { conversationId, trashedAt } = data as unknown as PurgeConversationJobData;
    const state = fold(conversationDecider, toDomainEvents(await this.executor.store.readStream(streams.conversation(conversationId))));
    if (state.status !== 'open' && state.status !== 'closed') return;
    if (state.trashed?.trashedAt !== trashedAt) return;
    if (this.executor.now().getTime() < Date.parse(state.trashed.purgeAfter)) {
      throw new Error(`conversation ${conversationId} stays in Trash until ${state.trashed.purgeAfter}; the purge came early and retries`);
    }
    try {
      await this.commandBus.execute(new DeleteConversationCommand(conversationId, 'trash-retention', systemContext({ causationId: job.jobId })));
      this.logger.info({ conversationId, trashedAt }, 'purged a conversation whose 30 days in Trash ran out');
    } catch (error) {
      // Restored or deleted between the check and the command: nothing left to purge.
      if (isDomainError(error) && (error.code === 'not-found' || error.code === 'invalid-transition')) return;
      throw error;
    }
  }
}
