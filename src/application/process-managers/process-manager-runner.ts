import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { isDomainError } from '../../domain/shared/domain-error';
import { EVENT_STORE, type EventStore, type RecordedEvent } from '../ports/event-store.port';
import { APP_LOGGER, type AppLogger } from '../ports/logger.port';
import { PROCESSOR_CHECKPOINTS, type ProcessorCheckpoints } from '../ports/processor-checkpoints.port';
import type { ProcessManager } from './process-manager';

const CHECKPOINT_EVERY = 200;
/**
 * Handled events a lane may hold unsaved: reaching it, the lane waits for its checkpoint to be
 * written. Managers are idempotent (at least once), so a crash handles at most this many again.
 */
const HANDLED_CHECKPOINT_EVERY = 50;
/**
 * How long a checkpoint that moved may wait before it is written. Every manager that moved in that
 * time is written in ONE transaction: under load one message's events reach some six managers, and
 * a write per manager and handled event cost more than the managers' own work. A crash in that
 * window handles those events again, as it could already (at most HANDLED_CHECKPOINT_EVERY each).
 * With the projections in their own thread, that transaction also waits for the SQLite write lock
 * the thread's batches hold, on the main thread: at 20 ms it took about a tenth of the main
 * thread's time under ingest (bench/README.md, issue 17), hence 100 ms.
 */
const CHECKPOINT_FLUSH_MS = 100;
const MAX_BACKOFF_MS = 30_000;

/** Events a lane may hold before it is cut loose to read the log on its own. */
const MAX_LANE_EVENTS = 10_000;

/** Either an event the manager handles, or a run of events it passes over (coalesced). */
type LaneItem = { event: RecordedEvent } | { passed: number; upTo: number };

/** One manager's share of the shared reading: its own queue, worked through by its own loop. */
interface Lane {
  manager: ProcessManager;
  handles: ReadonlySet<string>;
  /** Events at or below this position are behind the manager already (its stored checkpoint). */
  after: number;
  queue: LaneItem[];
  queuedEvents: number;
  /** Too far behind: the lane reads the log alone from its checkpoint (as every manager once did). */
  detached: boolean;
  wake: (() => void) | null;
}

/**
 * Feeds each process manager the global log from its own checkpoint, one event at a time, in
 * order. The log is read ONCE for all of them: a shared subscription (from the lowest checkpoint)
 * hands each event to every manager's lane, and each lane is worked through by the manager's own
 * loop, so a manager that is slow or retrying holds back only itself. Events a manager does not
 * handle only move its checkpoint (saved every CHECKPOINT_EVERY of them, as before); handled ones
 * are saved when the lane runs dry, or every HANDLED_CHECKPOINT_EVERY while it is busy. Saving
 * notes the position; the positions noted within CHECKPOINT_FLUSH_MS are written together. A lane that
 * falls more than MAX_LANE_EVENTS behind is cut loose and reads the log on its own from its
 * checkpoint, so memory stays bounded.
 *
 * A handler that fails for a passing reason (storage busy, read models behind) is retried with
 * backoff, never skipped: skipping would silently lose the reaction (an agent's conversations
 * staying assigned after removal). A rule that refuses the reaction (a DomainError) will refuse
 * it on every retry, so it is logged and passed over instead of blocking all later events. A
 * broken subscription is resumed where it stopped.
 */
@Injectable()
export class ProcessManagerRunner implements OnApplicationShutdown {
  private abort = new AbortController();
  private loops: Promise<void>[] = [];
  /** Checkpoints moved but not yet written, by manager (positions only grow). */
  private readonly unwritten = new Map<string, number>();
  private flushTimer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> | null = null;
  private flushFailures = 0;
  /** MAX_LANE_EVENTS; lower in tests. */
  laneLimit = MAX_LANE_EVENTS;

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(PROCESSOR_CHECKPOINTS) private readonly checkpoints: ProcessorCheckpoints,
    @Inject(APP_LOGGER) private readonly logger: AppLogger,
  ) {}

  /** Starts the shared reading and one loop per process manager; after stop() it may start again (the projector lease hands it back and forth). */
  start(managers: ProcessManager[]): void {
    if (this.abort.signal.aborted) {
      this.abort = new AbortController();
      this.loops = [];
    }
    for (const manager of managers) manager.startPass?.();
    if (managers.length > 0) this.loops.push(this.runShared(managers, this.abort.signal));
  }

  async onApplicationShutdown(): Promise<void> {
    await this.stop();
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await Promise.allSettled(this.loops);
    try {
      await this.flush();
    } catch (error) {
      // Nothing is lost: the next start passes (or, idempotently, handles) these events again.
      this.logger.warn({ processManagers: [...this.unwritten.keys()], err: error }, 'process managers could not record their progress on stopping');
    }
  }

  // ---- checkpoints, written together -------------------------------------------------------

  /** Notes a manager's new checkpoint; written with the others' within CHECKPOINT_FLUSH_MS. */
  private record(name: string, position: number): void {
    this.unwritten.set(name, position);
    this.flushTimer ??= setTimeout(() => void this.flushSoon(), this.flushFailures === 0 ? CHECKPOINT_FLUSH_MS : backoff(this.flushFailures)).unref();
  }

  private async flushSoon(): Promise<void> {
    try {
      await this.flush();
      this.flushFailures = 0;
    } catch (error) {
      this.flushFailures += 1;
      this.logger.error(
        { processManagers: [...this.unwritten.keys()], err: error, retryInMs: backoff(this.flushFailures) },
        'process managers could not record their progress; retrying',
      );
      if (this.unwritten.size > 0 && !this.flushTimer) this.flushTimer = setTimeout(() => void this.flushSoon(), backoff(this.flushFailures)).unref();
    }
  }

  /** Writes every noted checkpoint (one transaction where the store offers it); throws if it could not. */
  private async flush(): Promise<void> {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = null;
    while (this.flushing) await this.flushing;
    if (this.unwritten.size === 0) return;
    const entries = [...this.unwritten];
    this.unwritten.clear();
    const writing = (async () => {
      if (this.checkpoints.saveProcessorCheckpoints) await this.checkpoints.saveProcessorCheckpoints(entries);
      else for (const [name, position] of entries) await this.checkpoints.saveProcessorCheckpoint(name, position);
    })();
    this.flushing = writing.then(
      () => undefined,
      () => undefined,
    );
    try {
      await writing;
    } catch (error) {
      // Back for the next attempt, unless the manager has moved further meanwhile.
      for (const [name, position] of entries) if (!this.unwritten.has(name)) this.unwritten.set(name, position);
      throw error;
    } finally {
      this.flushing = null;
    }
  }

  // ---- shared reading ----------------------------------------------------------------------

  private async runShared(managers: ProcessManager[], signal: AbortSignal): Promise<void> {
    const lanes = await this.openLanes(managers, signal);
    if (!lanes) return;
    const workers = lanes.map((lane) => this.work(lane, signal));
    let cursor = Math.min(...lanes.map((lane) => lane.after));
    for (let failures = 0; !signal.aborted && lanes.some((lane) => !lane.detached);) {
      try {
        for await (const event of this.store.subscribeAll({ after: cursor, signal })) {
          for (const lane of lanes) this.offer(lane, event);
          cursor = event.position;
          failures = 0;
          if (lanes.every((lane) => lane.detached)) break;
        }
      } catch (error) {
        if (signal.aborted) break;
        failures += 1;
        const retryInMs = backoff(failures);
        this.logger.error(
          { processManagers: managers.map((m) => m.name), position: cursor, err: error, retryInMs },
          'process manager subscription failed; resuming where it stopped',
        );
        await pause(retryInMs, signal);
      }
    }
    for (const lane of lanes) lane.wake?.();
    await Promise.allSettled(workers);
  }

  /** Every manager's stored checkpoint; null when stopping before they could be read. */
  private async openLanes(managers: ProcessManager[], signal: AbortSignal): Promise<Lane[] | null> {
    for (let failures = 0; !signal.aborted;) {
      try {
        const lanes: Lane[] = [];
        for (const manager of managers) {
          const after = await this.checkpoints.getProcessorCheckpoint(manager.name);
          lanes.push({ manager, handles: new Set(manager.handles), after, queue: [], queuedEvents: 0, detached: false, wake: null });
        }
        return lanes;
      } catch (error) {
        if (signal.aborted) break;
        failures += 1;
        const retryInMs = backoff(failures);
        this.logger.error(
          { processManagers: managers.map((m) => m.name), err: error, retryInMs },
          'process managers could not read their checkpoints; retrying',
        );
        await pause(retryInMs, signal);
      }
    }
    return null;
  }

  private offer(lane: Lane, event: RecordedEvent): void {
    if (lane.detached || event.position <= lane.after) return;
    if (lane.handles.has(event.type)) {
      lane.queue.push({ event });
      lane.queuedEvents += 1;
    } else {
      const last = lane.queue.at(-1);
      // Never into the head item: the lane's loop may be recording it right now.
      if (last && 'passed' in last && lane.queue.length > 1) {
        last.passed += 1;
        last.upTo = event.position;
      } else {
        lane.queue.push({ passed: 1, upTo: event.position });
      }
    }
    if (lane.queuedEvents > this.laneLimit) {
      lane.detached = true;
      this.logger.warn(
        { processManager: lane.manager.name, queuedEvents: lane.queuedEvents },
        'process manager fell far behind; it reads the log on its own from its checkpoint',
      );
    }
    lane.wake?.();
  }

  /** One manager's loop over its lane; continues on its own subscription if the lane is cut loose. */
  private async work(lane: Lane, signal: AbortSignal): Promise<void> {
    const { manager } = lane;
    let done = lane.after;
    let unsaved = 0;
    let handledUnsaved = 0;
    let stopped = false;
    try {
      for (let failures = 0; !signal.aborted && !lane.detached;) {
        const item = lane.queue[0];
        if (!item) {
          await this.nextItem(lane, signal);
          continue;
        }
        try {
          // A manager that takes several events at once gets the run of queued events ahead (never the
          // queue's last item while it is a run of passed events: offer() may still be extending it).
          const run = 'event' in item && (manager.concurrency ?? 1) > 1 ? this.runAhead(lane) : [item];
          if (run.length > 1) {
            if (!(await this.handleRun(manager, run, signal))) {
              stopped = true; // stopping: the whole run is handled again on the next start
              break;
            }
            for (const taken of run.slice(0, -1)) {
              if ('event' in taken) {
                handledUnsaved += 1;
                lane.queuedEvents -= 1;
              } else {
                unsaved += taken.passed;
              }
            }
            lane.queue.splice(0, run.length - 1);
          }
          const last = run[run.length - 1];
          if ('event' in last) {
            if (run.length === 1 && !(await this.handle(manager, last.event, signal))) {
              stopped = true; // stopping: handled again on the next start
              break;
            }
            done = last.event.position;
            handledUnsaved += 1;
          } else {
            unsaved += last.passed;
            done = last.upTo;
          }
          // Noted when the lane runs dry with something handled since, or often enough while busy;
          // written with the other managers' shortly after, except that a busy lane waits for the
          // write every HANDLED_CHECKPOINT_EVERY handled events (a crash redoes no more than that).
          const dry = lane.queue.length <= 1;
          const busyLimit = handledUnsaved >= HANDLED_CHECKPOINT_EVERY;
          if ((dry && handledUnsaved > 0) || busyLimit || unsaved + handledUnsaved >= CHECKPOINT_EVERY) {
            this.record(manager.name, done);
            unsaved = 0;
            handledUnsaved = 0;
            if (busyLimit) await this.flush();
          }
          if ('event' in last) lane.queuedEvents -= 1;
          lane.queue.shift();
          failures = 0;
        } catch (error) {
          if (signal.aborted) break;
          failures += 1;
          const retryInMs = backoff(failures);
          this.logger.error({ processManager: manager.name, err: error, retryInMs }, 'process manager could not record its progress; retrying');
          await pause(retryInMs, signal);
        }
      }
    } finally {
      lane.queue = [];
      if (unsaved > 0 || handledUnsaved > 0) this.record(manager.name, done);
      if (this.unwritten.has(manager.name)) {
        // Written now: a lane cut loose goes on from its stored checkpoint.
        try {
          await this.flush();
        } catch (error) {
          // Nothing is lost: the next start passes (or, idempotently, handles) these events again.
          this.logger.warn({ processManager: manager.name, position: done, err: error }, 'process manager could not record its progress on stopping');
        }
      }
    }
    if (lane.detached && !stopped && !signal.aborted) await this.run(manager);
  }

  /** The queued items from the head on, up to the manager's concurrency in handled events. */
  private runAhead(lane: Lane): LaneItem[] {
    const limit = lane.manager.concurrency ?? 1;
    const run: LaneItem[] = [];
    let events = 0;
    for (const [index, item] of lane.queue.entries()) {
      if ('event' in item) {
        if (events === limit) break;
        events += 1;
      } else if (index === lane.queue.length - 1) {
        break;
      }
      run.push(item);
    }
    // It ends on a handled event: the passed ones after it wait for the next run.
    while (run.length > 1 && !('event' in run[run.length - 1])) run.pop();
    return run;
  }

  /**
   * Hands a run of events to the manager at once, in log order, and waits for all of them; those
   * that failed are handed again one at a time, in log order, with the usual retries. True once
   * every event is dealt with; false when stopping before that.
   */
  private async handleRun(manager: ProcessManager, run: LaneItem[], signal: AbortSignal): Promise<boolean> {
    const events = run.flatMap((item) => ('event' in item ? [item.event] : []));
    const outcomes = await Promise.all(events.map((event) => this.handleOnce(manager, event)));
    for (const [index, event] of events.entries()) {
      if (!outcomes[index] && !(await this.handle(manager, event, signal))) return false;
    }
    return true;
  }

  /** One attempt: true when done (or refused by a rule, passed over as in handle()), false when it must be handed again. */
  private async handleOnce(manager: ProcessManager, event: RecordedEvent): Promise<boolean> {
    try {
      await manager.handle(event);
      return true;
    } catch (error) {
      const context = { processManager: manager.name, position: event.position, eventType: event.type, streamId: event.streamId };
      if (isDomainError(error)) {
        this.logger.warn({ ...context, err: error }, 'process manager reaction refused by a rule; passing over the event');
        return true;
      }
      this.logger.warn({ ...context, err: error }, 'process manager failed on an event handed over with others; handing it again on its own');
      return false;
    }
  }

  private nextItem(lane: Lane, signal: AbortSignal): Promise<void> {
    if (lane.queue.length > 0 || lane.detached || signal.aborted) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const wake = () => {
        lane.wake = null;
        signal.removeEventListener('abort', wake);
        resolve();
      };
      lane.wake = wake;
      signal.addEventListener('abort', wake, { once: true });
    });
  }

  // ---- a manager on its own subscription (a lane cut loose) ---------------------------------

  private async run(manager: ProcessManager): Promise<void> {
    const signal = this.abort.signal;
    for (let failures = 0; !signal.aborted;) {
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
