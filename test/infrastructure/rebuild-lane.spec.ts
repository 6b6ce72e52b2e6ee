import type { EventStore, RecordedEvent, SubscribeAllOptions } from '../../src/application/ports/event-store.port';
import { FedEventStore, LogTee, type WorkerLane } from '../../src/infrastructure/read-store/rebuild-lane';

const event = (position: number): RecordedEvent => ({
  id: `e${position}`,
  streamId: 'conversation-1',
  type: 'MessageReceived',
  revision: position - 1,
  position,
  data: { text: `message ${position}` },
  metadata: { actor: { type: 'system' }, occurredAt: '2026-01-01T00:00:00.000Z', correlationId: 'c', causationId: 'c', prevHash: '', hash: '' },
});

async function take(iterable: AsyncIterable<RecordedEvent>, count: number): Promise<number[]> {
  const positions: number[] = [];
  if (count === 0) return positions;
  for await (const e of iterable) {
    positions.push(e.position);
    if (positions.length === count) break;
  }
  return positions;
}

describe('FedEventStore (a worker lane fed by the main thread)', () => {
  it('hands out what it is fed, in order, after the checkpoint', async () => {
    const store = new FedEventStore(2);
    store.push([event(1), event(2), event(3)]);
    const taking = take(store.subscribeAll({ after: 1 }), 3);
    store.push([event(4)]);
    expect(await taking).toEqual([2, 3, 4]);
  });

  it('hands out again, to a subscription from an earlier checkpoint, the last events it handed out', async () => {
    const store = new FedEventStore(2);
    store.push([1, 2, 3, 4, 5].map(event));
    const abort = new AbortController();
    expect(await take(store.subscribeAll({ after: 0, signal: abort.signal }), 4)).toEqual([1, 2, 3, 4]);
    abort.abort();
    // The runner stopped with 3 and 4 taken but not applied: its checkpoint is 2.
    expect(await take(store.subscribeAll({ after: 2 }), 3)).toEqual([3, 4, 5]);
  });

  it('ends a waiting subscription when its signal aborts', async () => {
    const store = new FedEventStore(2);
    const abort = new AbortController();
    const taking = take(store.subscribeAll({ after: 0, signal: abort.signal }), 1);
    abort.abort();
    expect(await taking).toEqual([]);
  });
});

describe('LogTee (the log read once for two lanes)', () => {
  function fakeWorker() {
    const fed: number[] = [];
    const worker = {
      applied: 0,
      feed: (events: RecordedEvent[]) => {
        fed.push(...events.map((e) => e.position));
        worker.applied += events.length; // takes everything at once
      },
      progress: () => Promise.resolve(),
    };
    return { fed, worker: worker as unknown as WorkerLane };
  }

  function log(positions: number[]): EventStore {
    return {
      async *subscribeAll(options: SubscribeAllOptions) {
        for (const p of positions) if (p > options.after) yield event(p);
      },
    } as unknown as EventStore;
  }

  it('sends every event on once, in order, also when the main lane subscribes again from an earlier position', async () => {
    const { fed, worker } = fakeWorker();
    const tee = new LogTee(log([1, 2, 3, 4]), worker);
    expect(await take(tee.store.subscribeAll({ after: 0 }), 3)).toEqual([1, 2, 3]);
    expect(await take(tee.store.subscribeAll({ after: 1 }), 3)).toEqual([2, 3, 4]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(fed).toEqual([1, 2, 3, 4]);
  });

  it('waits for a worker that falls 10,000 events behind, and stops waiting when the subscription aborts', async () => {
    const fed: number[] = [];
    const stuck = { applied: 0, feed: (events: RecordedEvent[]) => fed.push(...events.map((e) => e.position)), progress: () => new Promise(() => {}) };
    const positions = Array.from({ length: 10_100 }, (_, i) => i + 1);
    const tee = new LogTee(log(positions), stuck as unknown as WorkerLane);
    const abort = new AbortController();
    const taken: number[] = [];
    const reading = (async () => {
      for await (const e of tee.store.subscribeAll({ after: 0, signal: abort.signal })) taken.push(e.position);
    })();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(taken.length).toBe(10_000); // the 10,001st waits for the worker
    expect(fed.length).toBe(10_001); // everything read was sent on before waiting
    abort.abort();
    await reading;
    expect(taken.length).toBe(10_100);
  });
});
