import { ActivateBotHandler, ChangeBotHandler, CreateBotHandler, DeactivateBotHandler, IssueBotTokenHandler, RemoveBotHandler } from './bot-commands.handler';
import { GetBotHandler, ListBotsHandler } from './bot-queries.handler';
import { CloseIdleBotConversationJob, ScheduleIdleBotConversationClose } from './close-idle-bot-conversations';

/** Bots as records (docs/bots.md): the admins' commands and queries, and rule 9's closing of idle bot conversations. */
export const botCommandHandlers = [CreateBotHandler, ChangeBotHandler, ActivateBotHandler, DeactivateBotHandler, IssueBotTokenHandler, RemoveBotHandler];

export const botQueryHandlers = [ListBotsHandler, GetBotHandler];

export const botProcessManagers = [ScheduleIdleBotConversationClose];

export const botJobHandlers = [CloseIdleBotConversationJob];
