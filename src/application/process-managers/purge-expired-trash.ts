import { Inject, Injectable } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { systemContext } from '../command-handling/command-context';
import { DeleteConversationCommand } from '../conversations/delete-conversation.handler';
import { CLOCK, type Clock } from '../ports/clock.port';
import { APP_LOGGER, type AppLogger } from '../ports/logger.port';
import { READ_STORE, type ReadStore } from '../ports/read-store.port';

const BATCH = 200;

/**
 * Rule 7: trashed conversations are deleted for good 30 days after trashing. Each trashing has
 * its own delayed purge job (ScheduleTrashPurge); this sweep is the safety net behind them, run
 * by the repeatable `trash.sweep` job (jobs/sweep-trash.job.ts). The domain refuses a purge
 * before `purgeAfter`, so an early or repeated sweep is harmless.
 */
@Injectable()
export class PurgeExpiredTrash {
  private running: Promise<number> | undefined;

  constructor(
    private readonly commandBus: CommandBus,
    @Inject(READ_STORE) private readonly readStore: ReadStore,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(APP_LOGGER) private readonly logger: AppLogger,
  ) {}

  /** Deletes every conversation whose retention ran out; returns how many. */
  sweep(): Promise<number> {
    this.running ??= this.purge().finally(() => (this.running = undefined));
    return this.running;
  }

  private async purge(): Promise<number> {
    let purged = 0;
    for (;;) {
      const ids = await this.readStore.conversationIdsToPurge(this.clock.now().toISOString(), BATCH);
      if (ids.length === 0) break;
      let progressed = false;
      for (const id of ids) {
        try {
          await this.commandBus.execute(new DeleteConversationCommand(id, 'trash-retention', systemContext()));
          purged += 1;
          progressed = true;
        } catch (error) {
          this.logger.warn({ conversationId: id, err: error }, 'could not purge a trashed conversation');
        }
      }
      if (!progressed) break;
    }
    if (purged > 0) this.logger.info({ purged }, 'purged conversations whose 30 days in Trash ran out');
    return purged;
  }
}
