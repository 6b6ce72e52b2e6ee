import { Inject, Injectable } from '@nestjs/common';
import { SettingsCipher } from '../channel-connections/settings-cipher';
import { CommandExecutor } from '../command-handling/command-executor';
import type { JobRegistration } from '../jobs/job-registration';
import { PermanentJobError, type JobContext, type JobData } from '../ports/job-queue.port';
import { APP_LOGGER, type AppLogger } from '../ports/logger.port';
import { READ_STORE, type ReadStore } from '../ports/read-store.port';
import { streams } from '../streams';
import { webhookBotPayload } from './webhook-bot-events';
import { webhookBotHeaders } from './webhook-bot-signature';

export const WEBHOOK_BOT_JOB = 'bot.webhook.deliver';

export interface WebhookBotJobData {
  botId: string;
  conversationId: string;
  eventId: string;
}

/** One delivery per event: handling the event again (at least once) enqueues nothing new. */
export const webhookBotJobId = (eventId: string) => `webhook-bot:${eventId}`;

/** About an hour of retries (30 s, 1, 2, 4, 8, 16, 32 min) while the bot is down, answers 5xx or 429. */
export const WEBHOOK_BOT_ATTEMPTS = 8;
export const WEBHOOK_BOT_BACKOFF = { type: 'exponential', delayMs: 30_000 } as const;
/** A bot gets 10 s to answer; what it answers is not read beyond 64 KiB (only the status matters). */
const REQUEST_TIMEOUT_MS = 10_000;
const MAX_RESPONSE_BYTES = 64 * 1024;

/**
 * The outbound HTTP a webhook bot is called through: the application's view of the outbound
 * request guard (src/infrastructure/outbound/outbound-guard.ts, which the app module provides).
 * A refused target fails with `code: "OUTBOUND_REFUSED"`; every failure says whether a retry may help.
 */
export const WEBHOOK_BOT_HTTP = Symbol('WEBHOOK_BOT_HTTP');

export interface WebhookBotHttp {
  request(
    url: string,
    init: { method: 'POST'; headers: Record<string, string>; body: string; redirect: 'manual'; timeoutMs: number; maxResponseBytes: number },
  ): Promise<{ status: number; headers: Record<string, string> }>;
}

interface OutboundFailure {
  code?: string;
  retryable?: boolean;
  message?: string;
}

/** The additional data the bot's signing secret is encrypted under (SettingsCipher): bound to the bot. */
export const WEBHOOK_SECRET_KEY = 'webhookSecret';

/**
 * POSTs one conversation event to a webhook bot, signed (webhook-bot-signature.ts), through the
 * outbound request guard. 2xx: done. Network errors, timeouts, 408, 429 and 5xx: retried with
 * backoff. Any other answer, a refused destination (a private address without
 * PARLEY_ALLOW_PRIVATE_NETWORK) or a secret that cannot be decrypted: given up at once. The log
 * names the bot, the conversation, the event and the status, never the secret or the body.
 *
 * The body is built when the job runs, from the conversation's stream: a conversation deleted
 * forever meanwhile sends nothing, and a bot deactivated or removed meanwhile is sent nothing.
 */
@Injectable()
export class WebhookBotDeliveryJob implements JobRegistration {
  readonly type = WEBHOOK_BOT_JOB;
  readonly options = { concurrency: 4 };

  constructor(
    private readonly executor: CommandExecutor,
    @Inject(READ_STORE) private readonly readStore: ReadStore,
    @Inject(WEBHOOK_BOT_HTTP) private readonly http: WebhookBotHttp,
    private readonly cipher: SettingsCipher,
    @Inject(APP_LOGGER) private readonly logger: AppLogger,
  ) {}

  async handle(data: JobData, job: JobContext): Promise<void> {
    const { botId, conversationId, eventId } = data as Partial<WebhookBotJobData>;
    if (typeof botId !== 'string' || typeof conversationId !== 'string' || typeof eventId !== 'string') {
      throw new PermanentJobError(`a ${WEBHOOK_BOT_JOB} job needs botId, conversationId and eventId (got ${JSON.stringify(Object.keys(data))})`);
    }
    const log = { botId, conversationId, eventId, jobId: job.jobId, attempt: job.attempt };
    const bot = await this.readStore.getBot(botId);
    if (!bot || !bot.active || bot.kind !== 'webhook' || !bot.webhookUrl || !bot.webhookSecret) {
      this.logger.info(log, 'webhook bot event not sent: the bot was deactivated, removed or has no webhook');
      return;
    }
    const stream = await this.executor.store.readStream(streams.conversation(conversationId));
    const event = stream.find((e) => e.id === eventId);
    const started = stream[0]?.data as { inboxId?: string } | undefined;
    if (!event || !started?.inboxId) return; // deleted forever meanwhile: nothing to tell

    let secret: string;
    try {
      secret = String(this.cipher.decrypt(bot.id, WEBHOOK_SECRET_KEY, bot.webhookSecret));
    } catch {
      const reason = 'the signing secret cannot be decrypted (the instance key changed, or it was altered); set the webhook secret of the bot again';
      this.logger.error(log, `webhook bot event not sent: ${reason}`);
      throw new PermanentJobError(reason);
    }

    const body = JSON.stringify(webhookBotPayload(event, { conversationId, inboxId: started.inboxId, botId }));
    const timestamp = Math.floor(this.executor.now().getTime() / 1000);
    const target = originOf(bot.webhookUrl);
    let status: number;
    try {
      const response = await this.http.request(bot.webhookUrl, {
        method: 'POST',
        headers: webhookBotHeaders(secret, timestamp, body, eventId),
        body,
        // A redirect after a POST would turn into a GET without the event: the bot's URL must answer itself.
        redirect: 'manual',
        timeoutMs: REQUEST_TIMEOUT_MS,
        maxResponseBytes: MAX_RESPONSE_BYTES,
      });
      status = response.status;
    } catch (error) {
      const failure = (error ?? {}) as OutboundFailure;
      const reason = failure.message ?? String(error);
      if (failure.code === 'OUTBOUND_REFUSED') {
        this.logger.error({ ...log, target, reason }, 'webhook bot destination refused by the outbound request guard; not retried');
        throw new PermanentJobError(reason, error);
      }
      if (failure.retryable !== false && job.attempt < job.attempts) {
        this.logger.warn({ ...log, target, reason }, 'webhook bot delivery failed; retrying');
        throw new Error(`webhook bot delivery failed, retrying: ${reason}`, { cause: error });
      }
      this.logger.error({ ...log, target, reason }, 'webhook bot delivery failed for good');
      throw new PermanentJobError(reason, error);
    }

    if (status >= 200 && status < 300) {
      this.logger.info({ ...log, target, status }, 'webhook bot event delivered');
      return;
    }
    const retryable = status >= 500 || status === 429 || status === 408;
    if (retryable && job.attempt < job.attempts) {
      this.logger.warn({ ...log, target, status }, 'webhook bot answered with an error; retrying');
      throw new Error(`the webhook bot answered ${status}; retrying`);
    }
    const reason = retryable ? `gave up after ${job.attempts} attempts: the webhook bot answered ${status}` : `the webhook bot answered ${status}`;
    this.logger.error({ ...log, target, status }, `webhook bot delivery failed for good: ${reason}`);
    throw new PermanentJobError(reason);
  }
}

/** The bot's origin only: a webhook URL's path and query often carry a token of their own. */
function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return '(an invalid URL)';
  }
}
