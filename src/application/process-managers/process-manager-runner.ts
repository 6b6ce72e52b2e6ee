import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { isDomainError } from '../../domain/shared/domain-error';
import { EVENT_STORE, type EventStore, type RecordedEvent } from '../ports/event-store.port';
import { APP_LOGGER, type AppLogger } from '../ports/logger.port';
import { PROCESSOR_CHECKPOINTS, type ProcessorCheckpoints } from '../ports/processor-checkpoints.port';
import type { ProcessManager } from './process-manager';

const CHECKPOINT_EVERY = 200;
const MAX_BACKOFF_MS = 30_000;

/**
 * Feeds each process manager the global log from its own checkpoint (`for await`, one event at a
 * time, in order). A handler that fails for a passing reason (storage busy, read models behind)
 * is retried with backoff, never skipped: skipping would silently lose the reaction (an agent's
 * conversations staying assigned after removal). A rule that refuses the reaction (a DomainError)
 * will refuse it on every retry, so it is logged and passed over instead of blocking all later
 * events. A broken subscription is resumed from the checkpoint.
 */
@Injectable()
export class ProcessManagerRunner implements OnApplicationShutdown {
  private abort = new AbortController();
  private loops: Promise<void>[] = [];

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(PROCESSOR_CHECKPOINTS) private readonly checkpoints: ProcessorCheckpoints,
    @Inject(APP_LOGGER) private readonly logger: AppLogger,
  ) {}

  /** Starts one loop per process manager; after stop() it may start again (the projector lease hands it back and forth). */
  start(managers: ProcessManager[]): void {
    if (this.abort.signal.aborted) {
      this.abort = new AbortController();
      this.loops = [];
    }
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
    for (let failures = 0; !signal.aborted; ) {
      try {
        await this.follow(manager, signal);
        failures = 0;
      } catch (error) {
        if (signal.aborted) return;
        failures += 1;
        const retryInMs = backoff(failures);
        this.logger.error({ processManager: manager.name, err: error, retryInMs }, 'process manager subscription failed; resuming from its checkpoint');
        await pause(retryInMs, signal);
      }
    }
  }

  /** One subscription from the stored checkpoint until it ends or fails. */
  private async follow(manager: ProcessManager, signal: AbortSignal): Promise<void> {
    let checkpoint = await this.checkpoints.getProcessorCheckpoint(manager.name);
    let unsaved = 0;
    try {
      for await (const event of this.store.subscribeAll({ after: checkpoint, signal })) {
        if (manager.handles.includes(event.type)) {
          if (!(await this.handle(manager, event, signal))) return; // stopping: handled again on the next start
          await this.checkpoints.saveProcessorCheckpoint(manager.name, event.position);
          unsaved = 0;
        } else if (++unsaved >= CHECKPOINT_EVERY) {
          await this.checkpoints.saveProcessorCheckpoint(manager.name, event.position);
          unsaved = 0;
        }
        checkpoint = event.position;
      }
    } finally {
      if (unsaved > 0) await this.checkpoints.saveProcessorCheckpoint(manager.name, checkpoint);
    }
  }

  /** True once the event is dealt with; false when stopping before that. */
  private async handle(manager: ProcessManager, event: RecordedEvent, signal: AbortSignal): Promise<boolean> {
    const context = { processManager: manager.name, position: event.position, eventType: event.type, streamId: event.streamId };
    for (let attempt = 1; !signal.aborted; attempt += 1) {
      try {
        await manager.handle(event);
        return true;
      } catch (error) {
        if (isDomainError(error)) {
          this.logger.warn({ ...context, err: error }, 'process manager reaction refused by a rule; passing over the event');
          return true;
        }
        const retryInMs = backoff(attempt);
        this.logger.warn({ ...context, attempt, retryInMs, err: error }, 'process manager failed on an event; retrying');
        await pause(retryInMs, signal);
      }
    }
    return false;
  }
}

const backoff = (attempt: number) => Math.min(MAX_BACKOFF_MS, 100 * 2 ** attempt);

/** Sleeps, but wakes at once when the runner stops (a 30 s backoff must not delay SIGTERM). */
async function pause(ms: number, signal: AbortSignal): Promise<void> {
  try {
    await sleep(ms, undefined, { signal });
  } catch {
    /* aborted: stopping */
  }
}
