import type { CommandExecutor } from '../command-handling/command-executor';
import type { ReadStore } from '../ports/read-store.port';

/**
 * Whether a conversation event can concern a bot at all: only once a bot exists (a conversation
 * becomes a bot's only by starting while its inbox runs one, and creating and activating a bot wait
 * for the read models). The bot process managers ask this first, so an inbox without bots costs
 * them no read of the conversation per event. A yes is kept (bots are never forgotten, removed
 * ones stay as tombstones).
 *
 * A no is kept for the events up to the read models' position when it was asked: read models that
 * include position P and show no bot mean no bot was created by any event up to P, so those events
 * concern none. A later event (perhaps one creating a bot) is asked about again once the read
 * models include it, so a bot created in between is seen from its first event on. Without this,
 * every event cost each bot manager two reads of rm_bots while no bot existed.
 */
export class BotsSeen {
  private seen = false;
  /** No bot was created by any event at or below this position. */
  private noneUpTo = 0;

  constructor(
    private readonly readStore: ReadStore,
    private readonly executor: CommandExecutor,
  ) {}

  async mayConcern(position: number): Promise<boolean> {
    if (this.seen) return true;
    if (position <= this.noneUpTo) return false;
    // The read models may be behind the event (a rebuild, or simply busy): ask once they include it.
    if (!(await this.executor.settle(position))) return true;
    // Read before asking: the answer then comes from read models at least this far.
    const projected = Math.max(position, this.executor.projected());
    if (await this.readStore.anyBotEver()) return (this.seen = true);
    this.noneUpTo = Math.max(this.noneUpTo, projected);
    return false;
  }
}
