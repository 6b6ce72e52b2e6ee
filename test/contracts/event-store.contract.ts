import { randomUUID } from 'node:crypto';
import { GENESIS_HASH, hashEvent, verifyChain } from '../../src/application/audit/hash-chain';
import {
  ConcurrencyError,
  StoreUnavailableError,
  type EventStore,
  type ExpectedRevision,
  type NewEvent,
  type RecordedEvent,
} from '../../src/application/ports/event-store.port';

/**
 * The executable half of the event store port's specification (the prose half is
 * src/application/ports/event-store.port.ts). Every adapter runs all of it, unchanged.
 *
 * Engine-agnostic on purpose: the store is never assumed empty (other tests, other runs and
 * other suites may share it), every test uses fresh uuid streams and filters global reads down to
 * them, and positions are only compared for order, never for values or consecutiveness.
 */
export function eventStoreContract(name: string, factory: () => Promise<{ store: EventStore; teardown: () => Promise<void> }>): void {
  describe(name, () => {
    let store: EventStore;
    let teardown: () => Promise<void>;

    beforeAll(async () => {
      ({ store, teardown } = await factory());
    });

    afterAll(async () => {
      await store.close();
      await teardown();
    });

    describe('append and readStream', () => {
      it('round-trips type, data and metadata, and fills in stream id, revision and position', async () => {
        const streamId = newStreamId();
        const event = newEvent('ThingHappened', { title: 'Hello', nested: { list: [1, 'two', null], flag: true } });
        const base = await store.headPosition();

        const result = await store.append(streamId, [event], { expectedRevision: 'no-stream' });

        const [read] = await store.readStream(streamId);
        expect(read).toEqual({
          id: event.id,
          streamId,
          type: 'ThingHappened',
          revision: 0,
          position: result.position,
          data: event.data,
          metadata: { ...event.metadata, prevHash: expect.any(String), hash: expect.any(String) },
        });
        expect(result).toEqual({ nextRevision: 0, position: read.position, duplicate: false });
        expect(read.position).toBeGreaterThan(base);
      });

      it('keeps every kind of actor in metadata', async () => {
        const actors = [{ type: 'agent', id: randomUUID() }, { type: 'system' }, { type: 'bot' }, { type: 'contact', address: 'ana@example.com' }] as const;
        const streamId = newStreamId();
        const events = actors.map((actor) => newEvent('Acted', {}, { actor }));

        await store.append(streamId, events, { expectedRevision: 'no-stream' });

        expect((await store.readStream(streamId)).map((e) => e.metadata.actor)).toEqual(actors);
      });

      it('numbers revisions from 0 within a stream, across appends', async () => {
        const streamId = newStreamId();

        const first = await store.append(streamId, [newEvent(), newEvent(), newEvent()], { expectedRevision: 'no-stream' });
        const second = await store.append(streamId, [newEvent(), newEvent()], { expectedRevision: 2 });

        expect(first.nextRevision).toBe(2);
        expect(second.nextRevision).toBe(4);
        expect((await store.readStream(streamId)).map((e) => e.revision)).toEqual([0, 1, 2, 3, 4]);
      });

      it('returns the position of the last event written', async () => {
        const streamId = newStreamId();

        const result = await store.append(streamId, [newEvent(), newEvent(), newEvent()], { expectedRevision: 'any' });

        const read = await store.readStream(streamId);
        expect(result.position).toBe(read[2].position);
        expect(read[0].position).toBeLessThan(read[1].position);
        expect(read[1].position).toBeLessThan(read[2].position);
      });

      it('keeps streams apart', async () => {
        const a = newStreamId();
        const b = newStreamId();

        await store.append(a, [newEvent('InA')], { expectedRevision: 'no-stream' });
        await store.append(b, [newEvent('InB'), newEvent('InB')], { expectedRevision: 'no-stream' });

        expect((await store.readStream(a)).map((e) => [e.type, e.revision])).toEqual([['InA', 0]]);
        expect((await store.readStream(b)).map((e) => [e.type, e.revision])).toEqual([
          ['InB', 0],
          ['InB', 1],
        ]);
      });

      it('rejects an empty append with an error that is not a conflict', async () => {
        const streamId = newStreamId();

        const error = await store.append(streamId, [], { expectedRevision: 'any' }).catch((e: unknown) => e);

        expect(error).toBeInstanceOf(Error);
        expect(error).not.toBeInstanceOf(ConcurrencyError);
        expect(await store.readStream(streamId)).toEqual([]);
      });
    });

    describe('expected revision', () => {
      it('"no-stream" succeeds on a new stream', async () => {
        const result = await store.append(newStreamId(), [newEvent()], { expectedRevision: 'no-stream' });

        expect(result.nextRevision).toBe(0);
      });

      it('"no-stream" fails with ConcurrencyError when the stream exists', async () => {
        const streamId = newStreamId();
        await store.append(streamId, [newEvent(), newEvent()], { expectedRevision: 'no-stream' });

        await expectConflict(store.append(streamId, [newEvent()], { expectedRevision: 'no-stream' }), streamId, 'no-stream', 1);
        expect(await store.readStream(streamId)).toHaveLength(2);
      });

      it('an exact revision succeeds when it is the last revision', async () => {
        const streamId = newStreamId();
        await store.append(streamId, [newEvent(), newEvent()], { expectedRevision: 'no-stream' });

        const result = await store.append(streamId, [newEvent()], { expectedRevision: 1 });

        expect(result.nextRevision).toBe(2);
      });

      it('an exact revision fails with ConcurrencyError when the stream moved on', async () => {
        const streamId = newStreamId();
        await store.append(streamId, [newEvent(), newEvent(), newEvent()], { expectedRevision: 'no-stream' });

        await expectConflict(store.append(streamId, [newEvent()], { expectedRevision: 1 }), streamId, 1, 2);
        await expectConflict(store.append(streamId, [newEvent()], { expectedRevision: 5 }), streamId, 5, 2);
        expect(await store.readStream(streamId)).toHaveLength(3);
      });

      it('an exact revision fails with ConcurrencyError (actual "no-stream") when the stream does not exist', async () => {
        const streamId = newStreamId();

        await expectConflict(store.append(streamId, [newEvent()], { expectedRevision: 0 }), streamId, 0, 'no-stream');
        expect(await store.readStream(streamId)).toEqual([]);
      });

      it('"any" succeeds on a new stream and on an existing one', async () => {
        const streamId = newStreamId();

        const first = await store.append(streamId, [newEvent()], { expectedRevision: 'any' });
        const second = await store.append(streamId, [newEvent()], { expectedRevision: 'any' });

        expect([first.nextRevision, second.nextRevision]).toEqual([0, 1]);
      });

      it('a conflicting append writes none of its events', async () => {
        const streamId = newStreamId();
        await store.append(streamId, [newEvent()], { expectedRevision: 'no-stream' });
        const base = await store.headPosition();

        await expect(store.append(streamId, [newEvent(), newEvent(), newEvent()], { expectedRevision: 3 })).rejects.toBeInstanceOf(ConcurrencyError);

        expect(await store.readStream(streamId)).toHaveLength(1);
        expect(await readAllOf(store, base, [streamId])).toEqual([]);
      });
    });

    describe('atomic batches', () => {
      it('writes every event of a batch, in order, with consecutive revisions', async () => {
        const streamId = newStreamId();
        const events = Array.from({ length: 25 }, (_, i) => newEvent('Numbered', { i }));

        await store.append(streamId, events, { expectedRevision: 'no-stream' });

        const read = await store.readStream(streamId);
        expect(read.map((e) => e.id)).toEqual(events.map((e) => e.id));
        expect(read.map((e) => e.revision)).toEqual(events.map((_, i) => i));
      });

      it('writes nothing when one event of the batch cannot be stored', async () => {
        const streamId = newStreamId();
        const unstorable = newEvent('Broken', { amount: BigInt(1) as unknown });

        await expect(store.append(streamId, [newEvent(), newEvent(), unstorable], { expectedRevision: 'no-stream' })).rejects.toThrow();

        expect(await store.readStream(streamId)).toEqual([]);
        // Nothing half-written blocks the stream: it still does not exist.
        await expect(store.append(streamId, [newEvent()], { expectedRevision: 'no-stream' })).resolves.toMatchObject({ nextRevision: 0 });
      });
    });

    describe('idempotent append by event id', () => {
      it('re-appending the same events with the same expected revision is a duplicate: nothing written', async () => {
        const streamId = newStreamId();
        await store.append(streamId, [newEvent()], { expectedRevision: 'no-stream' });
        const events = [newEvent(), newEvent()];
        const original = await store.append(streamId, events, { expectedRevision: 0 });

        const again = await store.append(streamId, events, { expectedRevision: 0 });

        expect(again).toEqual({ nextRevision: original.nextRevision, position: original.position, duplicate: true });
        expect((await store.readStream(streamId)).map((e) => e.id)).toHaveLength(3);
      });

      it('a redelivered first append with "no-stream" is a duplicate, not a conflict', async () => {
        const streamId = newStreamId();
        const events = [newEvent(), newEvent()];
        const original = await store.append(streamId, events, { expectedRevision: 'no-stream' });

        const again = await store.append(streamId, events, { expectedRevision: 'no-stream' });

        expect(again).toEqual({ ...original, duplicate: true });
        expect(await store.readStream(streamId)).toHaveLength(2);
      });

      it('is a duplicate whatever the expected revision says, and answers with the original result after later appends', async () => {
        const streamId = newStreamId();
        const events = [newEvent()];
        const original = await store.append(streamId, events, { expectedRevision: 'no-stream' });
        await store.append(streamId, [newEvent(), newEvent()], { expectedRevision: 0 });
        const base = await store.headPosition();

        for (const expectedRevision of ['any', 'no-stream', 0, 7] as ExpectedRevision[]) {
          await expect(store.append(streamId, events, { expectedRevision })).resolves.toEqual({ ...original, duplicate: true });
        }

        expect(await store.readStream(streamId)).toHaveLength(3);
        expect(await readAllOf(store, base, [streamId])).toEqual([]);
      });

      it('a batch mixing stored and new event ids is a ConcurrencyError and writes nothing', async () => {
        const streamId = newStreamId();
        const stored = newEvent();
        await store.append(streamId, [stored], { expectedRevision: 'no-stream' });

        await expectConflict(store.append(streamId, [stored, newEvent()], { expectedRevision: 'no-stream' }), streamId, 'no-stream', 0);
        await expect(store.append(streamId, [newEvent(), stored], { expectedRevision: 'any' })).rejects.toBeInstanceOf(ConcurrencyError);

        expect((await store.readStream(streamId)).map((e) => e.id)).toEqual([stored.id]);
      });
    });

    describe('readStream', () => {
      let streamId: string;
      let events: NewEvent[];

      beforeAll(async () => {
        streamId = newStreamId();
        events = Array.from({ length: 6 }, (_, i) => newEvent('Numbered', { i }));
        await store.append(streamId, events.slice(0, 3), { expectedRevision: 'no-stream' });
        await store.append(streamId, events.slice(3), { expectedRevision: 2 });
      });

      it('reads forwards from revision 0 by default', async () => {
        expect(revisionsOf(await store.readStream(streamId))).toEqual([0, 1, 2, 3, 4, 5]);
        expect(revisionsOf(await store.readStream(streamId, { direction: 'forwards' }))).toEqual([0, 1, 2, 3, 4, 5]);
      });

      it('reads forwards from a revision, inclusive', async () => {
        expect(revisionsOf(await store.readStream(streamId, { fromRevision: 4 }))).toEqual([4, 5]);
      });

      it('reads forwards at most maxCount events', async () => {
        expect(revisionsOf(await store.readStream(streamId, { fromRevision: 1, maxCount: 2 }))).toEqual([1, 2]);
      });

      it('reads backwards from the last revision by default', async () => {
        const read = await store.readStream(streamId, { direction: 'backwards' });

        expect(revisionsOf(read)).toEqual([5, 4, 3, 2, 1, 0]);
        expect(read.map((e) => e.id)).toEqual(events.map((e) => e.id).reverse());
      });

      it('reads backwards from a revision, inclusive, at most maxCount events', async () => {
        expect(revisionsOf(await store.readStream(streamId, { direction: 'backwards', fromRevision: 3 }))).toEqual([3, 2, 1, 0]);
        expect(revisionsOf(await store.readStream(streamId, { direction: 'backwards', maxCount: 1 }))).toEqual([5]);
        expect(revisionsOf(await store.readStream(streamId, { direction: 'backwards', fromRevision: 2, maxCount: 2 }))).toEqual([2, 1]);
      });

      it('returns nothing past the end of the stream', async () => {
        expect(await store.readStream(streamId, { fromRevision: 6 })).toEqual([]);
      });

      it('returns an empty array for a stream that does not exist', async () => {
        expect(await store.readStream(newStreamId())).toEqual([]);
        expect(await store.readStream(newStreamId(), { direction: 'backwards' })).toEqual([]);
      });
    });

    describe('readAll and headPosition', () => {
      it('returns events of several streams in global (commit) order, interleaved', async () => {
        const a = newStreamId();
        const b = newStreamId();
        const base = await store.headPosition();

        await store.append(a, [newEvent('A1')], { expectedRevision: 'no-stream' });
        await store.append(b, [newEvent('B1'), newEvent('B2')], { expectedRevision: 'no-stream' });
        await store.append(a, [newEvent('A2')], { expectedRevision: 0 });

        const read = await readAllOf(store, base, [a, b]);
        expect(read.map((e) => e.type)).toEqual(['A1', 'B1', 'B2', 'A2']);
        expectStrictlyIncreasing(read.map((e) => e.position));
        expect(read).toEqual([...(await store.readStream(a)).slice(0, 1), ...(await store.readStream(b)), ...(await store.readStream(a)).slice(1)]);
      });

      it('treats "after" as exclusive and honours maxCount', async () => {
        const streamId = newStreamId();
        const base = await store.headPosition();
        await store.append(streamId, [newEvent('E0'), newEvent('E1'), newEvent('E2'), newEvent('E3')], { expectedRevision: 'no-stream' });
        const events = await store.readStream(streamId);

        const afterFirst = await readAllOf(store, events[0].position, [streamId]);
        expect(afterFirst.map((e) => e.type)).toEqual(['E1', 'E2', 'E3']);

        const page = await store.readAll({ after: base, maxCount: 2 });
        expect(page).toHaveLength(2);
        expectStrictlyIncreasing(page.map((e) => e.position));
        expect(page[0].position).toBeGreaterThan(base);

        expect(await store.readAll({ after: events[3].position, maxCount: 0 })).toEqual([]);
      });

      it('pages through everything without gaps or repeats', async () => {
        const streamId = newStreamId();
        const base = await store.headPosition();
        await store.append(
          streamId,
          Array.from({ length: 7 }, () => newEvent()),
          { expectedRevision: 'no-stream' },
        );

        const seen: RecordedEvent[] = [];
        for (let after = base; ;) {
          const page = await store.readAll({ after, maxCount: 3 });
          if (page.length === 0) break;
          seen.push(...page);
          after = page[page.length - 1].position;
        }

        expectStrictlyIncreasing(seen.map((e) => e.position));
        expect(seen.filter((e) => e.streamId === streamId)).toEqual(await store.readStream(streamId));
      });

      it('starts from the beginning with after: 0', async () => {
        await store.append(newStreamId(), [newEvent()], { expectedRevision: 'no-stream' });

        const first = await store.readAll({ after: 0, maxCount: 1 });

        expect(first).toHaveLength(1);
        expect(first[0].position).toBeGreaterThan(0);
      });

      it('headPosition is at least the position of the last append and grows with appends', async () => {
        const before = await store.headPosition();
        const streamId = newStreamId();

        const result = await store.append(streamId, [newEvent(), newEvent()], { expectedRevision: 'no-stream' });

        const after = await store.headPosition();
        expect(result.position).toBeGreaterThan(before);
        expect(after).toBeGreaterThanOrEqual(result.position);
        expect(await readAllOf(store, after, [streamId])).toEqual([]);
      });
    });

    describe('subscribeAll', () => {
      it('catches up from the checkpoint, then follows live appends in order without duplicates', async () => {
        const streamId = newStreamId();
        const base = await store.headPosition();
        await store.append(streamId, [newEvent('Past0'), newEvent('Past1')], { expectedRevision: 'no-stream' });
        const controller = new AbortController();

        const received = collect(store, { after: base, signal: controller.signal }, [streamId], 6);
        await store.append(streamId, [newEvent('Live2')], { expectedRevision: 1 });
        await store.append(streamId, [newEvent('Live3'), newEvent('Live4')], { expectedRevision: 2 });
        await store.append(streamId, [newEvent('Live5')], { expectedRevision: 4 });
        const events = await received;
        controller.abort();

        expect(events.map((e) => e.type)).toEqual(['Past0', 'Past1', 'Live2', 'Live3', 'Live4', 'Live5']);
        expect(events).toEqual(await store.readStream(streamId));
      });

      it('starts after the checkpoint, exclusive', async () => {
        const streamId = newStreamId();
        await store.append(streamId, [newEvent('E0'), newEvent('E1'), newEvent('E2')], { expectedRevision: 'no-stream' });
        const [first] = await store.readStream(streamId);
        const controller = new AbortController();

        const events = await collect(store, { after: first.position, signal: controller.signal }, [streamId], 2);
        controller.abort();

        expect(events.map((e) => e.type)).toEqual(['E1', 'E2']);
      });

      it('delivers concurrent live appends to several streams in global order, each once', async () => {
        const streams = Array.from({ length: 10 }, newStreamId);
        const base = await store.headPosition();
        const controller = new AbortController();

        const received = collect(store, { after: base, signal: controller.signal }, streams, 30);
        await Promise.all(streams.map((s) => store.append(s, [newEvent(), newEvent(), newEvent()], { expectedRevision: 'no-stream' })));
        const events = await received;
        controller.abort();

        expectStrictlyIncreasing(events.map((e) => e.position));
        expect(new Set(events.map((e) => e.id)).size).toBe(30);
        expect(events).toEqual(await readAllOf(store, base, streams));
      });

      it('ends (returns, without an error) when its signal aborts while waiting for events', async () => {
        const base = await store.headPosition();
        const controller = new AbortController();
        const iterator = store.subscribeAll({ after: base, signal: controller.signal })[Symbol.asyncIterator]();

        const drained = (async () => {
          for (let r = await iterator.next(); !r.done; r = await iterator.next()) {
            // events of other tests may still arrive; keep reading until the abort ends the loop
          }
        })();
        await sleep(50);
        controller.abort();

        await expect(withTimeout(drained, 2000, 'subscription did not end after abort')).resolves.toBeUndefined();
      });

      it('stops delivering once aborted by its consumer', async () => {
        const streamId = newStreamId();
        const base = await store.headPosition();
        await store.append(streamId, [newEvent('E0'), newEvent('E1'), newEvent('E2')], { expectedRevision: 'no-stream' });
        const controller = new AbortController();

        const types: string[] = [];
        for await (const event of store.subscribeAll({ after: base, signal: controller.signal })) {
          if (event.streamId !== streamId) continue;
          types.push(event.type);
          if (event.type === 'E1') controller.abort();
        }

        expect(types).toEqual(['E0', 'E1']);
      });

      it('ends when the consumer breaks out of the loop', async () => {
        const streamId = newStreamId();
        const base = await store.headPosition();
        await store.append(streamId, [newEvent('E0'), newEvent('E1')], { expectedRevision: 'no-stream' });

        let count = 0;
        for await (const event of store.subscribeAll({ after: base })) {
          if (event.streamId === streamId) count += 1;
          if (count === 1) break;
        }

        expect(count).toBe(1);
      });

      it('ends open subscriptions when the store is closed', async () => {
        const own = await factory();
        try {
          const iterator = own.store.subscribeAll({ after: await own.store.headPosition() })[Symbol.asyncIterator]();
          const next = iterator.next();
          await sleep(20);

          await own.store.close();

          await expect(withTimeout(next, 2000, 'subscription did not end on close')).resolves.toEqual({ done: true, value: undefined });
        } finally {
          await own.store.close();
          await own.teardown();
        }
      });
    });

    describe('close', () => {
      it('completes appends already called, then refuses new work with StoreUnavailableError', async () => {
        const own = await factory();
        try {
          const streamId = newStreamId();
          const pending = own.store.append(streamId, [newEvent()], { expectedRevision: 'no-stream' });

          await own.store.close();

          await expect(pending).resolves.toMatchObject({ nextRevision: 0, duplicate: false });
          await expect(own.store.append(streamId, [newEvent()], { expectedRevision: 0 })).rejects.toBeInstanceOf(StoreUnavailableError);
          await expect(own.store.readStream(streamId)).rejects.toBeInstanceOf(StoreUnavailableError);
          await expect(own.store.readAll({ after: 0, maxCount: 1 })).rejects.toBeInstanceOf(StoreUnavailableError);
          await expect(own.store.headPosition()).rejects.toBeInstanceOf(StoreUnavailableError);
          await expect(own.store.deleteStream(streamId)).rejects.toBeInstanceOf(StoreUnavailableError);
          await expect(own.store.close()).resolves.toBeUndefined();
        } finally {
          await own.store.close();
          await own.teardown();
        }
      });
    });

    describe('concurrent appends', () => {
      it('50 appends in parallel to different streams all land, each once', async () => {
        const streams = Array.from({ length: 50 }, newStreamId);
        const base = await store.headPosition();

        const results = await Promise.all(streams.map((s) => store.append(s, [newEvent(), newEvent()], { expectedRevision: 'no-stream' })));

        expect(results.every((r) => r.nextRevision === 1 && !r.duplicate)).toBe(true);
        expect(new Set(results.map((r) => r.position)).size).toBe(50);
        const all = await readAllOf(store, base, streams);
        expect(all).toHaveLength(100);
        expect(new Set(all.map((e) => e.id)).size).toBe(100);
        expectStrictlyIncreasing(all.map((e) => e.position));
        for (const s of streams) expect(verifyChain(await store.readStream(s))).toBeNull();
      });

      it('20 appends in parallel to one stream with "any" all land with one valid hash chain', async () => {
        const streamId = newStreamId();
        const batches = Array.from({ length: 20 }, (_, i) => [newEvent('Parallel', { i }), newEvent('Parallel', { i })]);

        const results = await Promise.all(batches.map((events) => store.append(streamId, events, { expectedRevision: 'any' })));

        const read = await store.readStream(streamId);
        expect(read).toHaveLength(40);
        expect(revisionsOf(read)).toEqual(Array.from({ length: 40 }, (_, i) => i));
        expect(new Set(read.map((e) => e.id))).toEqual(new Set(batches.flat().map((e) => e.id)));
        expect(results.map((r) => r.nextRevision).sort((x, y) => x - y)).toEqual(Array.from({ length: 20 }, (_, i) => 2 * i + 1));
        // Each append's events stay together.
        for (const events of batches) {
          const revisions = events.map((e) => read.findIndex((r) => r.id === e.id));
          expect(revisions[1]).toBe(revisions[0] + 1);
        }
        expect(verifyChain(read)).toBeNull();
      });

      it('of 10 parallel appends expecting the same revision, exactly one wins', async () => {
        const streamId = newStreamId();
        await store.append(streamId, [newEvent()], { expectedRevision: 'no-stream' });

        const outcomes = await Promise.allSettled(Array.from({ length: 10 }, () => store.append(streamId, [newEvent()], { expectedRevision: 0 })));

        expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
        const failures = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected').map((o) => o.reason);
        expect(failures).toHaveLength(9);
        for (const failure of failures) expect(failure).toMatchObject({ name: 'ConcurrencyError', streamId, expected: 0, actual: 1 });
        expect(await store.readStream(streamId)).toHaveLength(2);
      });
    });

    describe('hash chain', () => {
      it('starts at GENESIS_HASH and links every event to the previous one, across appends', async () => {
        const streamId = newStreamId();
        await store.append(streamId, [newEvent('A', { n: 1 }), newEvent('B', { n: 2 })], { expectedRevision: 'no-stream' });
        await store.append(streamId, [newEvent('C', { n: 3 })], { expectedRevision: 1 });

        const read = await store.readStream(streamId);

        expect(read[0].metadata.prevHash).toBe(GENESIS_HASH);
        let prevHash = GENESIS_HASH;
        for (const event of read) {
          expect(event.metadata.prevHash).toBe(prevHash);
          expect(event.metadata.hash).toBe(hashEvent(event, prevHash));
          prevHash = event.metadata.hash;
        }
        expect(verifyChain(read)).toBeNull();
      });

      it('hashes what is read back, whatever the key order of the data', async () => {
        const streamId = newStreamId();
        await store.append(streamId, [newEvent('Keys', { z: 1, a: { y: [1, { b: 2, a: 1 }], x: 'é ✓ \u0000' } })], { expectedRevision: 'no-stream' });

        const read = await store.readStream(streamId);

        expect(read[0].data).toEqual({ a: { x: 'é ✓ \u0000', y: [1, { a: 1, b: 2 }] }, z: 1 });
        expect(verifyChain(read)).toBeNull();
      });

      it('is unbroken when read backwards and reversed', async () => {
        const streamId = newStreamId();
        await store.append(streamId, [newEvent(), newEvent(), newEvent()], { expectedRevision: 'no-stream' });

        expect(verifyChain((await store.readStream(streamId, { direction: 'backwards' })).reverse())).toBeNull();
      });
    });

    describe('deleteStream', () => {
      it('removes the stream: reads return nothing, readAll no longer returns its events', async () => {
        const streamId = newStreamId();
        const other = newStreamId();
        const base = await store.headPosition();
        await store.append(streamId, [newEvent(), newEvent()], { expectedRevision: 'no-stream' });
        await store.append(other, [newEvent()], { expectedRevision: 'no-stream' });

        await store.deleteStream(streamId);

        expect(await store.readStream(streamId)).toEqual([]);
        expect(await store.readStream(streamId, { direction: 'backwards' })).toEqual([]);
        expect((await readAllOf(store, base, [streamId, other])).map((e) => e.streamId)).toEqual([other]);
      });

      it('lets the stream start again with "no-stream": revision 0 and a fresh hash chain', async () => {
        const streamId = newStreamId();
        await store.append(streamId, [newEvent(), newEvent()], { expectedRevision: 'no-stream' });
        const old = await store.readStream(streamId);
        await store.deleteStream(streamId);

        const result = await store.append(streamId, [newEvent('Reborn')], { expectedRevision: 'no-stream' });

        expect(result.nextRevision).toBe(0);
        expect(result.position).toBeGreaterThan(old[1].position);
        const read = await store.readStream(streamId);
        expect(read.map((e) => [e.type, e.revision, e.metadata.prevHash])).toEqual([['Reborn', 0, GENESIS_HASH]]);
        expect(verifyChain(read)).toBeNull();
      });

      it('makes exact expected revisions of the deleted stream conflict with actual "no-stream"', async () => {
        const streamId = newStreamId();
        await store.append(streamId, [newEvent(), newEvent()], { expectedRevision: 'no-stream' });
        await store.deleteStream(streamId);

        await expectConflict(store.append(streamId, [newEvent()], { expectedRevision: 1 }), streamId, 1, 'no-stream');
      });

      it('is a no-op for a stream that does not exist', async () => {
        const streamId = newStreamId();

        await expect(store.deleteStream(streamId)).resolves.toBeUndefined();
        expect(await store.readStream(streamId)).toEqual([]);
      });

      it('leaves a subscription in order: it resumes with events appended after the deletion', async () => {
        const doomed = newStreamId();
        const kept = newStreamId();
        const base = await store.headPosition();
        await store.append(doomed, [newEvent('Doomed')], { expectedRevision: 'no-stream' });
        await store.deleteStream(doomed);
        const controller = new AbortController();

        const received = collect(store, { after: base, signal: controller.signal }, [doomed, kept], 1);
        await store.append(kept, [newEvent('Kept')], { expectedRevision: 'no-stream' });
        const events = await received;
        controller.abort();

        expect(events.map((e) => e.type)).toEqual(['Kept']);
      });
    });
  });
}

// ---- helpers ----------------------------------------------------------------------------------

function newStreamId(): string {
  return `contract-${randomUUID()}`;
}

function newEvent(
  type = 'SomethingHappened',
  data: Record<string, unknown> = { value: randomUUID() },
  overrides: Partial<NewEvent['metadata']> = {},
): NewEvent {
  const id = randomUUID();
  return {
    id,
    type,
    data,
    metadata: {
      actor: { type: 'agent', id: 'agent-1' },
      occurredAt: new Date('2026-01-02T03:04:05.678Z').toISOString(),
      correlationId: randomUUID(),
      causationId: randomUUID(),
      ...overrides,
    },
  };
}

function revisionsOf(events: RecordedEvent[]): number[] {
  return events.map((e) => e.revision);
}

function expectStrictlyIncreasing(positions: number[]): void {
  for (let i = 1; i < positions.length; i += 1) expect(positions[i]).toBeGreaterThan(positions[i - 1]);
}

async function expectConflict(append: Promise<unknown>, streamId: string, expected: ExpectedRevision, actual: number | 'no-stream'): Promise<void> {
  const error = await append.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ConcurrencyError);
  expect(error).toMatchObject({ streamId, expected, actual });
}

/** Every event of the given streams after `after`, in global order (paging through readAll). */
async function readAllOf(store: EventStore, after: number, streamIds: string[]): Promise<RecordedEvent[]> {
  const wanted = new Set(streamIds);
  const found: RecordedEvent[] = [];
  for (let from = after; ;) {
    const page = await store.readAll({ after: from, maxCount: 500 });
    if (page.length === 0) return found;
    found.push(...page.filter((e) => wanted.has(e.streamId)));
    from = page[page.length - 1].position;
  }
}

/** Reads a subscription until `count` events of the given streams arrived (fails after 5 s). */
function collect(store: EventStore, options: { after: number; signal: AbortSignal }, streamIds: string[], count: number): Promise<RecordedEvent[]> {
  const wanted = new Set(streamIds);
  const run = (async () => {
    const events: RecordedEvent[] = [];
    if (count === 0) return events;
    for await (const event of store.subscribeAll(options)) {
      if (!wanted.has(event.streamId)) continue;
      events.push(event);
      if (events.length >= count) break;
    }
    return events;
  })();
  return withTimeout(run, 5000, `subscription delivered fewer than ${count} events`);
}

function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${message} within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
