import type { CommandExecutor } from '../command-handling/command-executor';
import type { ReadStore } from '../ports/read-store.port';

/**
 * Whether a conversation event can concern a bot at all: only once a bot exists (a conversation
 * becomes a bot's only by starting while its inbox runs one, and creating and activating a bot wait
 * for the read models). The bot process managers ask this first, so an inbox without bots costs
 * them no read of the conversation per event. A yes is kept (bots are never forgotten, removed
 * ones stay as tombstones); a no is asked again once the read models include the event.
 */
export class BotsSeen {
  private seen = false;

  constructor(
    private readonly readStore: ReadStore,
    private readonly executor: CommandExecutor,
  ) {}

  async mayConcern(position: number): Promise<boolean> {
    if (this.seen) return true;
    if (await this.readStore.anyBotEver()) return (this.seen = true);
    // The read models may be behind the event (a rebuild): look again once they include it.
    if (!(await this.executor.settle(position))) return true;
    return (this.seen = await this.readStore.anyBotEver());
  }
}
