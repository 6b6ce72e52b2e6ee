import { randomUUID } from 'node:crypto';
import type { RecordedEvent } from '../../src/application/ports/event-store.port';
import { databaseFile } from '../../src/infrastructure/sqlite/open-database';
import { channelConnectionsProjection } from '../../src/projections/sqlite/channel-connections.projection';
import { at, cleanUp, cleanUpTempDirs, newDataDir, newEvent, openLiveSystem, openReadSide } from './fixtures';

afterEach(cleanUp);
afterAll(cleanUpTempDirs);

/** The channel connections read model: what the log says, also after a replay (`parley replay`) and with every event applied twice. */
describe('channel connections projection (SQLite)', () => {
  const ADMIN = { type: 'agent' as const, id: 'agent-admin' };

  async function history() {
    const live = openLiveSystem();
    const [kept, removed] = [randomUUID(), randomUUID()];
    const append = (id: string, ...events: ReturnType<typeof newEvent>[]) => live.store.append(`channel-connection-${id}`, events, { expectedRevision: 'any' });
    await append(
      kept,
      newEvent(
        'ChannelConnected',
        { connectionId: kept, inboxId: 'inbox-1', type: 'chat', name: 'Website chat', settings: { sessionSecret: 'v1:a:b:c' }, secretKeys: ['sessionSecret'] },
        { occurredAt: at(1), actor: ADMIN },
      ),
    );
    await append(
      removed,
      newEvent(
        'ChannelConnected',
        { connectionId: removed, inboxId: 'inbox-1', type: 'chat', name: 'Old', settings: {}, secretKeys: [] },
        { occurredAt: at(2) },
      ),
    );
    await append(
      kept,
      newEvent('ChannelConnectionChanged', { name: 'Shop chat', settings: { sessionSecret: 'v1:d:e:f', greeting: 'Hi' } }, { occurredAt: at(3) }),
    );
    await append(removed, newEvent('ChannelDisconnected', {}, { occurredAt: at(4) }));
    await live.caughtUp();
    return { live, kept, removed };
  }

  const rows = (db: ReturnType<typeof openReadSide>['db']) => db.prepare('SELECT * FROM rm_channel_connections ORDER BY id').all();

  it('holds the live connections with their changes, secrets as stored, and who connected them', async () => {
    const { live, kept, removed } = await history();
    expect(await live.readStore.listChannelConnections({ inboxId: 'inbox-1' })).toEqual([
      {
        id: kept,
        inboxId: 'inbox-1',
        type: 'chat',
        name: 'Shop chat',
        settings: { sessionSecret: 'v1:d:e:f', greeting: 'Hi' },
        secretKeys: ['sessionSecret'],
        createdBy: 'agent-admin',
        createdAt: at(1),
        updatedAt: at(3),
      },
    ]);
    expect(await live.readStore.getChannelConnection(removed)).toBeNull();
  });

  it('a replay of the whole log into an empty database, and every event applied twice, give the same rows', async () => {
    const { live } = await history();
    const log: RecordedEvent[] = await live.store.readAll({ after: 0, maxCount: 1000 });
    const head = log[log.length - 1].position;

    const replay = openReadSide(databaseFile(newDataDir()), live.store, { batchSize: 2 });
    replay.runner.start();
    expect(await replay.runner.waitFor(head, 10_000)).toBe(true);
    expect(rows(replay.db)).toEqual(rows(live.db));
    expect(rows(live.db)).toHaveLength(1);

    const twice = openReadSide(databaseFile(newDataDir()), live.store);
    twice.db.transaction(() => {
      for (const event of log.filter((e) => channelConnectionsProjection.handles.includes(e.type))) {
        channelConnectionsProjection.apply(event, twice.db);
        channelConnectionsProjection.apply(event, twice.db);
      }
    })();
    expect(rows(twice.db)).toEqual(rows(live.db));
  });
});
