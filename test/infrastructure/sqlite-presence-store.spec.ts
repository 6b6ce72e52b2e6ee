import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqlitePresenceStore } from '../../src/infrastructure/presence/sqlite-presence-store';
import { databaseFile } from '../../src/infrastructure/sqlite/open-database';

/** The heartbeat table two instances share through one data file (each on its own connection). */
describe('SqlitePresenceStore', () => {
  let dir: string;
  let first: SqlitePresenceStore;
  let second: SqlitePresenceStore;
  const at = (seconds: number) => new Date(Date.UTC(2026, 11, 7, 9, 0, seconds));

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'parley-presence-store-'));
    first = SqlitePresenceStore.open(databaseFile(dir));
    second = SqlitePresenceStore.open(databaseFile(dir));
  });

  afterEach(async () => {
    await first.close();
    await second.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("gives per agent the latest time any instance saw them; a row is each instance's own, updated in place", async () => {
    await first.record(
      'a',
      [
        { agentId: 'ana', openStreams: 1 },
        { agentId: 'bob', openStreams: 2 },
      ],
      at(0),
    );
    await second.record('b', [{ agentId: 'ana', openStreams: 1 }], at(5));
    await first.record('a', [{ agentId: 'bob', openStreams: 0 }], at(7));
    expect(await second.lastSeen()).toEqual(
      new Map([
        ['ana', at(5)],
        ['bob', at(7)],
      ]),
    );
    expect(await first.lastSeen(['ana', 'carol'])).toEqual(new Map([['ana', at(5)]]));
    await first.record('a', [], at(9));
    expect((await first.lastSeen(['bob'])).get('bob')).toEqual(at(7));
  });

  it('prunes the rows seen before a time, whoever wrote them', async () => {
    await first.record('a', [{ agentId: 'ana', openStreams: 1 }], at(0));
    await second.record(
      'b',
      [
        { agentId: 'ana', openStreams: 1 },
        { agentId: 'bob', openStreams: 1 },
      ],
      at(10),
    );
    expect(await first.prune(at(5))).toBe(1);
    expect(await first.lastSeen()).toEqual(
      new Map([
        ['ana', at(10)],
        ['bob', at(10)],
      ]),
    );
    expect(await second.prune(at(11))).toBe(2);
    expect((await first.lastSeen()).size).toBe(0);
  });
});
