import { ActAsWebhookBotHandler, AuthenticateBotHandler, GetBotConversationHandler } from './webhook-bot-api';
import { WebhookBotDeliveryJob } from './webhook-bot-delivery.job';
import { WebhookBotEvents } from './webhook-bot.saga';

/** Webhook bots (docs/webhook-bots.md): what application.module-parts.ts lists for them. */
export const webhookBotCommandHandlers = [ActAsWebhookBotHandler];
export const webhookBotQueryHandlers = [AuthenticateBotHandler, GetBotConversationHandler];
export const webhookBotProcessManagers = [WebhookBotEvents];
export const webhookBotJobHandlers = [WebhookBotDeliveryJob];
