import { randomUUID } from 'node:crypto';
import { systemContext } from '../../src/application/command-handling/command-context';
import { DecidedStates } from '../../src/application/command-handling/decided-states';
import { handleCommand } from '../../src/application/command-handling/handle-command';
import type { EventStore, ReadStreamOptions } from '../../src/application/ports/event-store.port';
import type { Decider } from '../../src/domain/shared/decider';
import { cleanUp, cleanUpTempDirs, openEventStore } from '../projections/fixtures';

afterEach(cleanUp);
afterAll(cleanUpTempDirs);

/** A tally: Add appends Added, the state is the list of what was added, in order. */
type TallyEvent = { type: 'Added'; data: { value: string } };
type TallyCommand = { type: 'Add'; value: string };
const tally: Decider<TallyCommand, TallyEvent, readonly string[]> = {
  initialState: () => [],
  evolve: (state, event) => [...state, event.data.value],
  decide: (command) => [{ type: 'Added', data: { value: command.value } }],
};

const ctx = systemContext();
const metadata = { actor: ctx.actor, occurredAt: new Date().toISOString(), correlationId: ctx.correlationId, causationId: ctx.causationId };

/** The real SQLite store, with the events each readStream call returned counted. */
function countingStore() {
  const { store } = openEventStore();
  const reads: number[] = [];
  const counted: EventStore = Object.assign(Object.create(store) as EventStore, {
    async readStream(streamId: string, options?: ReadStreamOptions) {
      const events = await store.readStream(streamId, options);
      reads.push(events.length);
      return events;
    },
    streamHead: (streamId: string) => store.streamHead(streamId),
  });
  return { store, counted, reads };
}

function add(store: EventStore, streamId: string, value: string, states: DecidedStates) {
  return handleCommand(store, streamId, tally, { type: 'Add', value }, ctx, { now: new Date(), states });
}

describe('the command loop with DecidedStates', () => {
  it('reads no event of a stream it folded at the same head, and none of a stream that does not exist', async () => {
    const { counted, reads } = countingStore();
    const states = new DecidedStates();
    const streamId = `tally-${randomUUID()}`;
    await add(counted, streamId, 'a', states);
    await add(counted, streamId, 'b', states);
    const outcome = await add(counted, streamId, 'c', states);
    expect(outcome.state).toEqual(['a', 'b', 'c']);
    expect(outcome.revision).toBe(2);
    expect(reads).toEqual([]);
  });

  it('folds only what another writer appended since, from the known head on', async () => {
    const { store, counted, reads } = countingStore();
    const states = new DecidedStates();
    const streamId = `tally-${randomUUID()}`;
    await add(counted, streamId, 'a', states);
    // Written past the cache, as a process manager or a plugin might.
    await store.append(streamId, [{ id: randomUUID(), type: 'Added', data: { value: 'x' }, metadata }], { expectedRevision: 0 });
    const outcome = await add(counted, streamId, 'b', states);
    expect(outcome.state).toEqual(['a', 'x', 'b']);
    // The known head's own event and the one added.
    expect(reads).toEqual([2]);
  });

  it('reads a stream that was deleted and started again whole, whatever it remembered', async () => {
    const { store, counted, reads } = countingStore();
    const states = new DecidedStates();
    const streamId = `tally-${randomUUID()}`;
    await add(counted, streamId, 'a', states);
    await store.deleteStream(streamId);
    await store.append(
      streamId,
      ['p', 'q'].map((value) => ({ id: randomUUID(), type: 'Added', data: { value }, metadata })),
      { expectedRevision: 'no-stream' },
    );
    const outcome = await add(counted, streamId, 'b', states);
    expect(outcome.state).toEqual(['p', 'q', 'b']);
    // The tail from the remembered revision met another history, so the whole stream was read.
    expect(reads).toEqual([2, 2]);
  });

  it('starts a deleted stream from the initial state', async () => {
    const { store, counted } = countingStore();
    const states = new DecidedStates();
    const streamId = `tally-${randomUUID()}`;
    await add(counted, streamId, 'a', states);
    await store.deleteStream(streamId);
    const outcome = await add(counted, streamId, 'b', states);
    expect(outcome).toMatchObject({ state: ['b'], revision: 0 });
  });

  it('forgets the least recently used stream beyond its limit, and what it is told to forget', () => {
    const states = new DecidedStates(2);
    const head = { revision: 0, position: 1 };
    states.remember('s1', tally, head, ['1']);
    states.remember('s2', tally, head, ['2']);
    expect(states.get('s1', tally)).toBeDefined();
    states.remember('s3', tally, head, ['3']);
    expect(states.get('s2', tally)).toBeUndefined();
    expect(states.get('s1', tally)?.state).toEqual(['1']);
    states.forget(['s1']);
    expect(states.get('s1', tally)).toBeUndefined();
    // A state is the decider's own.
    expect(states.get('s3', { ...tally })).toBeUndefined();
    expect(states.size).toBe(1);
  });
});
