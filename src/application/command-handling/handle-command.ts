import { randomUUID } from 'node:crypto';
import { fold, type Decider } from '../../domain/shared/decider';
import { ConcurrencyError, type EventStore, type NewEvent, type RecordedEvent } from '../ports/event-store.port';
import type { CommandContext } from './command-context';
import type { DecidedStates, StreamHead } from './decided-states';

export interface DomainEventShape {
  type: string;
  data: object;
}

export interface CommandOutcome<State, Event> {
  streamId: string;
  /** State after the command (unchanged when nothing was written). */
  state: State;
  /** The events this command appended ([] when the command was already satisfied). */
  events: Event[];
  /** Stream revision after the command; -1 when the stream does not exist. */
  revision: number;
  /** Global position of the last event of the stream after the command (0 when it has none). */
  position: number;
}

export interface HandleOptions<State> {
  /** Checked against the loaded state before deciding (e.g. inbox access); throw to refuse. */
  guard?: (state: State) => void | Promise<void>;
  now: Date;
  maxAttempts?: number;
  /** States folded before, reused while their stream's head is unchanged (decided-states.ts). */
  states?: DecidedStates;
}

/**
 * A command made from the state just read. It may look something up first (async): what only some
 * states need, such as the contact of a message that starts a conversation, is then read only
 * for them. A retry after a concurrent write makes it again from the new state.
 */
export type CommandOf<State, Command> = (state: State) => Command | Promise<Command>;

/** The stream's events as the domain sees them. */
export function toDomainEvents<Event>(recorded: RecordedEvent[]): Event[] {
  return recorded.map((e) => ({ type: e.type, data: e.data }) as Event);
}

/**
 * The one command loop (CONTRIBUTING.md "Application"): read the stream, fold it into state, decide,
 * append with the revision that was read. A concurrent writer makes the append fail with
 * ConcurrencyError; then the whole loop runs again on the new state, a few times. When the client
 * sent If-Match (ctx.expectedRevision), a stale revision is never retried: the client must look
 * at the new state first, so the error reaches it as 409 and nothing is written.
 */
export async function handleCommand<Command, Event extends DomainEventShape, State>(
  store: EventStore,
  streamId: string,
  decider: Decider<Command, Event, State>,
  command: Command | CommandOf<State, Command>,
  ctx: CommandContext,
  options: HandleOptions<State>,
): Promise<CommandOutcome<State, Event>> {
  const maxAttempts = options.maxAttempts ?? 5;
  const { states } = options;
  for (let attempt = 1; ; attempt += 1) {
    const { state, head } = await currentState(store, streamId, decider, states);
    const revision = head ? head.revision : -1;
    // Access first: a caller without access must not learn the revision from a 409.
    await options.guard?.(state);
    if (ctx.expectedRevision !== undefined && ctx.expectedRevision !== revision) {
      throw new ConcurrencyError(streamId, ctx.expectedRevision, revision === -1 ? 'no-stream' : revision);
    }
    const resolved = typeof command === 'function' ? await (command as CommandOf<State, Command>)(state) : command;
    const events = decider.decide(resolved, state);
    // Already satisfied (perhaps by a concurrent writer): the caller still waits for what is
    // stored to be projected, so its next read agrees with the revision it is given.
    if (events.length === 0) return { streamId, state, events, revision, position: head?.position ?? 0 };

    try {
      const result = await store.append(
        streamId,
        events.map((event) => toNewEvent(event, ctx, options.now)),
        {
          expectedRevision: revision === -1 ? 'no-stream' : revision,
        },
      );
      const after = events.reduce(decider.evolve, state);
      if (!result.duplicate) states?.remember(streamId, decider, { revision: result.nextRevision, position: result.position }, after);
      return { streamId, state: after, events, revision: result.nextRevision, position: result.position };
    } catch (error) {
      const retryable = error instanceof ConcurrencyError && ctx.expectedRevision === undefined && attempt < maxAttempts;
      if (!retryable) throw error;
      await sleep(Math.random() * 5 * attempt);
    }
  }
}

/**
 * The stream's state and head. With `states`, the store is asked for the head first: a state
 * folded at that very head is used as it is, one folded at an earlier head of the same history
 * takes the events added since, and anything else (a deleted or restarted stream, an unknown one)
 * is read whole. A stream that does not exist is not read at all.
 */
async function currentState<Command, Event extends DomainEventShape, State>(
  store: EventStore,
  streamId: string,
  decider: Decider<Command, Event, State>,
  states: DecidedStates | undefined,
): Promise<{ state: State; head: StreamHead | null }> {
  if (states && store.streamHead) {
    const head = await store.streamHead(streamId);
    if (!head) return { state: decider.initialState(), head: null };
    const known = states.get<State>(streamId, decider);
    if (known && known.head.position === head.position && known.head.revision === head.revision) return { state: known.state, head };
    if (known && known.head.revision < head.revision) {
      // From the known head on: its own event first, to check the stream was not started again since.
      const since = await store.readStream(streamId, { fromRevision: known.head.revision });
      const last = since.at(-1);
      if (since[0]?.position === known.head.position && last) {
        const state = toDomainEvents<Event>(since.slice(1)).reduce(decider.evolve, known.state);
        states.remember(streamId, decider, { revision: last.revision, position: last.position }, state);
        return { state, head: { revision: last.revision, position: last.position } };
      }
    }
  }
  const recorded = await store.readStream(streamId);
  const last = recorded.at(-1);
  const state = fold(decider, toDomainEvents<Event>(recorded));
  if (!last) return { state, head: null };
  const head = { revision: last.revision, position: last.position };
  states?.remember(streamId, decider, head, state);
  return { state, head };
}

function toNewEvent(event: DomainEventShape, ctx: CommandContext, now: Date): NewEvent {
  return {
    id: randomUUID(),
    type: event.type,
    data: event.data as Record<string, unknown>,
    metadata: {
      actor: ctx.actor,
      occurredAt: now.toISOString(),
      correlationId: ctx.correlationId,
      causationId: ctx.causationId,
    },
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
