import { Inject, Injectable, Optional } from '@nestjs/common';
import type { Decider } from '../../domain/shared/decider';
import { CLOCK, type Clock } from '../ports/clock.port';
import { EVENT_STORE, type EventStore } from '../ports/event-store.port';
import { PROJECTION_PROGRESS, type ProjectionProgress } from '../ports/read-store.port';
import type { CommandContext } from './command-context';
import type { DecidedStates } from './decided-states';
import { handleCommand, type CommandOf, type CommandOutcome, type DomainEventShape } from './handle-command';

export const READ_YOUR_WRITES_TIMEOUT_MS = Symbol('READ_YOUR_WRITES_TIMEOUT_MS');
/** The command loop's DecidedStates, or null where the cache must not be used. */
export const DECIDED_STATES = Symbol('DECIDED_STATES');

/**
 * Runs a decider command against a stream and, before answering, waits (bounded) until the
 * projections have applied what it wrote, so the caller's next read shows the effect.
 */
@Injectable()
export class CommandExecutor {
  constructor(
    @Inject(EVENT_STORE) readonly store: EventStore,
    @Inject(CLOCK) readonly clock: Clock,
    @Inject(PROJECTION_PROGRESS) private readonly progress: ProjectionProgress,
    @Inject(READ_YOUR_WRITES_TIMEOUT_MS) private readonly timeoutMs: number,
    /** Null where other processes use the log too (decided-states.ts). */
    @Optional() @Inject(DECIDED_STATES) private readonly states: DecidedStates | null = null,
  ) {}

  /** Streams whose subject keys were destroyed: a state folded before holds what they opened. */
  forgetStates(streamIds: Iterable<string>): void {
    this.states?.forget(streamIds);
  }

  now(): Date {
    return this.clock.now();
  }

  async execute<Command, Event extends DomainEventShape, State>(
    streamId: string,
    decider: Decider<Command, Event, State>,
    command: Command | CommandOf<State, Command>,
    ctx: CommandContext,
    guard?: (state: State) => void | Promise<void>,
    stored?: (outcome: CommandOutcome<State, Event>) => void,
  ): Promise<CommandOutcome<State, Event>> {
    const outcome = await this.executeUnsettled(streamId, decider, command, ctx, guard);
    // Before the wait for the read models: what is told here may be needed by a process manager
    // that meets the appended events meanwhile.
    stored?.(outcome);
    await this.settle(outcome.position);
    return outcome;
  }

  /**
   * As execute, but answers once the events are stored, without waiting for the read models: for a
   * caller whose next reads do not need them, because it remembers what it wrote until the read
   * models show it (the contact-records process manager, contact-records.saga.ts).
   */
  executeUnsettled<Command, Event extends DomainEventShape, State>(
    streamId: string,
    decider: Decider<Command, Event, State>,
    command: Command | CommandOf<State, Command>,
    ctx: CommandContext,
    guard?: (state: State) => void | Promise<void>,
  ): Promise<CommandOutcome<State, Event>> {
    return handleCommand(this.store, streamId, decider, command, ctx, { guard, now: this.clock.now(), states: this.states ?? undefined });
  }

  /**
   * Waits until the read models include `position`. False when they did not get there within
   * the read-your-writes timeout: callers whose next step trusts the read models (process
   * managers, delete forever) must then not go on.
   */
  async settle(position: number, timeoutMs = this.timeoutMs): Promise<boolean> {
    if (position <= 0) return true;
    return this.progress.waitFor(position, timeoutMs);
  }

  /** A position the read models include already (never ahead of them). */
  projected(): number {
    return this.progress.position();
  }

  /** As settle, but throws ProjectionsBehindError when the read models did not catch up. */
  async settleOrThrow(position: number, timeoutMs = this.timeoutMs): Promise<void> {
    if (!(await this.settle(position, timeoutMs))) throw new ProjectionsBehindError(position);
  }
}

/** The read models have not reached a position in time; work that relies on them must retry later. */
export class ProjectionsBehindError extends Error {
  constructor(readonly position: number) {
    super(`the read models have not reached position ${position} yet; retry shortly`);
    this.name = 'ProjectionsBehindError';
  }
}
