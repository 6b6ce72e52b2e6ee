import { Inject, Injectable } from '@nestjs/common';
import { CommandExecutor } from '../command-handling/command-executor';
import type { RecordedEvent } from '../ports/event-store.port';
import { JOB_QUEUE, type JobQueue } from '../ports/job-queue.port';
import { READ_STORE, type ReadStore } from '../ports/read-store.port';
import type { ProcessManager } from '../process-managers/process-manager';
import { conversationIdFromStream } from '../streams';
import { WEBHOOK_BOT_ATTEMPTS, WEBHOOK_BOT_BACKOFF, WEBHOOK_BOT_JOB, webhookBotJobId, type WebhookBotJobData } from './webhook-bot-delivery.job';
import { concernsBot, WEBHOOK_BOT_EVENT_TYPES } from './webhook-bot-events';
import { BotsSeen } from './bots-seen';

/** An event older than this is history (this manager is new, or the server was down for days): a bot is not sent it late. */
export const WEBHOOK_BOT_MAX_EVENT_AGE_MS = 24 * 60 * 60 * 1000;

/**
 * Webhook bots hear what happens in the conversations they hold: each visitor message, the
 * handoff, close and reopen, and assignments that give the bot a conversation or take it away
 * (webhook-bot-events.ts says which). Each such event becomes one durable delivery job whose id
 * names the event, so handling the event again (at least once, after a restart) sends nothing twice.
 *
 * "The bot" of a conversation is the inbox's active bot for its channel: a conversation assigned to
 * the bot belongs to whichever bot the inbox runs (one active bot per inbox). A flow bot is run by
 * the flow runtime instead; this manager only serves webhook bots.
 */
@Injectable()
export class WebhookBotEvents implements ProcessManager {
  readonly name = 'webhook-bot-events';
  readonly handles = WEBHOOK_BOT_EVENT_TYPES;

  constructor(
    private readonly executor: CommandExecutor,
    @Inject(READ_STORE) private readonly readStore: ReadStore,
    @Inject(JOB_QUEUE) private readonly jobs: JobQueue,
  ) {
    this.bots = new BotsSeen(readStore, executor);
  }

  private readonly bots: BotsSeen;

  async handle(event: RecordedEvent): Promise<void> {
    const conversationId = conversationIdFromStream(event.streamId);
    if (!conversationId) return;
    if (!(await this.bots.mayConcern(event.position))) return;
    if (this.executor.now().getTime() - Date.parse(event.metadata.occurredAt) > WEBHOOK_BOT_MAX_EVENT_AGE_MS) return;
    // Most conversations are no webhook bot's: the read models say so without reading the stream
    // (a conversation's inbox and channel never change; a brand-new one may not be projected yet).
    const summary = await this.readStore.getConversationSummary(conversationId);
    if (summary && !(await this.webhookBotOf(summary.inboxId, summary.channel))) return;
    const stream = await this.executor.store.readStream(event.streamId);
    if (!concernsBot(stream, event)) return;
    const started = stream[0]?.data as { inboxId?: string; channel?: string } | undefined;
    if (!started?.inboxId || !started.channel) return;
    const bot = await this.webhookBotOf(started.inboxId, started.channel);
    if (!bot) return;
    const data: WebhookBotJobData = { botId: bot.id, conversationId, eventId: event.id };
    await this.jobs.enqueue(WEBHOOK_BOT_JOB, { ...data }, { jobId: webhookBotJobId(event.id), attempts: WEBHOOK_BOT_ATTEMPTS, backoff: WEBHOOK_BOT_BACKOFF });
  }

  /** The inbox's active bot for the channel, when it is a webhook bot. */
  private async webhookBotOf(inboxId: string, channel: string) {
    const bot = await this.readStore.findActiveBot(inboxId, channel);
    return bot && bot.kind === 'webhook' && bot.webhookUrl ? bot : null;
  }
}
