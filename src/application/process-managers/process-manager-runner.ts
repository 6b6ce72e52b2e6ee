import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { EVENT_STORE, type EventStore, type RecordedEvent } from '../ports/event-store.port';
import { APP_LOGGER, type AppLogger } from '../ports/logger.port';
import { PROCESSOR_CHECKPOINTS, type ProcessorCheckpoints } from '../ports/processor-checkpoints.port';
import type { ProcessManager } from './process-manager';

const CHECKPOINT_EVERY = 200;
const MAX_BACKOFF_MS = 30_000;

/**
 * Feeds each process manager the global log from its own checkpoint (`for await`, one event at a
 * time, in order). A failing handler is retried with backoff, never skipped: skipping would
 * silently lose the reaction (e.g. an agent's conversations staying assigned after removal).
 */
@Injectable()
export class ProcessManagerRunner implements OnApplicationShutdown {
  private readonly abort = new AbortController();
  private readonly loops: Promise<void>[] = [];

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(PROCESSOR_CHECKPOINTS) private readonly checkpoints: ProcessorCheckpoints,
    @Inject(APP_LOGGER) private readonly logger: AppLogger,
  ) {}

  start(managers: ProcessManager[]): void {
    for (const manager of managers) this.loops.push(this.run(manager));
  }

  async onApplicationShutdown(): Promise<void> {
    await this.stop();
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await Promise.allSettled(this.loops);
  }

  private async run(manager: ProcessManager): Promise<void> {
    const signal = this.abort.signal;
    let checkpoint = await this.checkpoints.getProcessorCheckpoint(manager.name);
    let unsaved = 0;
    try {
      for await (const event of this.store.subscribeAll({ after: checkpoint, signal })) {
        if (manager.handles.includes(event.type)) {
          const handled = await this.handleWithRetry(manager, event, signal);
          if (!handled) break; // shutting down: the event is handled again on the next start
          await this.checkpoints.saveProcessorCheckpoint(manager.name, event.position);
          unsaved = 0;
        } else if (++unsaved >= CHECKPOINT_EVERY) {
          await this.checkpoints.saveProcessorCheckpoint(manager.name, event.position);
          unsaved = 0;
        }
        checkpoint = event.position;
      }
    } catch (error) {
      if (!signal.aborted) this.logger.error({ processManager: manager.name, checkpoint, err: error }, 'process manager stopped');
    } finally {
      if (unsaved > 0) await this.checkpoints.saveProcessorCheckpoint(manager.name, checkpoint);
    }
  }

  private async handleWithRetry(manager: ProcessManager, event: RecordedEvent, signal: AbortSignal): Promise<boolean> {
    for (let attempt = 1; !signal.aborted; attempt += 1) {
      try {
        await manager.handle(event);
        return true;
      } catch (error) {
        const delay = Math.min(MAX_BACKOFF_MS, 100 * 2 ** attempt);
        this.logger.warn(
          { processManager: manager.name, position: event.position, eventType: event.type, streamId: event.streamId, attempt, retryInMs: delay, err: error },
          'process manager failed on an event; retrying',
        );
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
    return false;
  }
}
