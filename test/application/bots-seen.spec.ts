import { BotsSeen } from '../../src/application/bots/bots-seen';
import type { CommandExecutor } from '../../src/application/command-handling/command-executor';
import type { ReadStore } from '../../src/application/ports/read-store.port';

/**
 * The bot managers' first question for every conversation event. A no is kept for the events the
 * read models covered when it was asked, and only for those: a bot created later is seen from the
 * first event after it.
 */
describe('BotsSeen', () => {
  /** Read models at `projected`; a bot exists in them once they include `botCreatedAt`. */
  function world() {
    const w = { projected: 0, botCreatedAt: Infinity, reachable: true, asked: 0 };
    const readStore = {
      anyBotEver: async () => {
        w.asked += 1;
        return w.projected >= w.botCreatedAt;
      },
    } as unknown as ReadStore;
    const executor = {
      settle: async (position: number) => {
        if (!w.reachable) return false;
        w.projected = Math.max(w.projected, position);
        return true;
      },
      projected: () => w.projected,
    } as unknown as CommandExecutor;
    return { w, seen: new BotsSeen(readStore, executor) };
  }

  it('asks the read models once for all the events they covered, not once per event', async () => {
    const { w, seen } = world();
    w.projected = 10;
    for (let position = 1; position <= 10; position += 1) expect(await seen.mayConcern(position)).toBe(false);
    expect(w.asked).toBe(1);
  });

  it('asks again for an event past them, so a bot created in between counts from then on', async () => {
    const { w, seen } = world();
    w.projected = 5;
    expect(await seen.mayConcern(5)).toBe(false);
    w.botCreatedAt = 7;
    expect(await seen.mayConcern(6)).toBe(false); // the bot did not exist yet at 6
    expect(await seen.mayConcern(8)).toBe(true); // the read models are brought to 8 first, and show it
    w.asked = 0;
    expect(await seen.mayConcern(9)).toBe(true); // a yes is kept: bots are never forgotten
    expect(w.asked).toBe(0);
  });

  it('says "may concern" when the read models could not reach the event', async () => {
    const { w, seen } = world();
    w.reachable = false;
    expect(await seen.mayConcern(3)).toBe(true);
    w.reachable = true;
    expect(await seen.mayConcern(3)).toBe(false);
  });
});
