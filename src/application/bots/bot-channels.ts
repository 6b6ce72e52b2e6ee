import type { BotRecord } from '../ports/read-store.port';

/** Whether the bot takes new conversations of this channel: the channels it names, or chat alone when it names none. */
export function botTakesChannel(bot: Pick<BotRecord, 'channels'>, channel: string): boolean {
  return bot.channels.length === 0 ? channel === 'chat' : bot.channels.includes(channel);
}
