import { Inject, Injectable } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { conversationDecider, isActive, type ActiveConversation } from '../../domain/conversation/conversation.decider';
import type { ConversationEvent, ReplyQueued, ReplyTemplate } from '../../domain/conversation/conversation.events';
import { fold } from '../../domain/shared/decider';
import type { AttachmentRef, Channel, Party } from '../../domain/shared/types';
import { isDomainError } from '../../domain/shared/domain-error';
import { systemContext } from '../command-handling/command-context';
import { CommandExecutor } from '../command-handling/command-executor';
import { toDomainEvents } from '../command-handling/handle-command';
import { ChangeConversation } from '../conversations/change-conversation.handler';
import { ATTACHMENT_STORE, type AttachmentStore } from '../ports/attachment-store.port';
import { CHANNEL_DELIVERY, type ChannelDelivery, type OutboundAttachment, type OutboundMessage } from '../ports/channel-delivery.port';
import { PermanentJobError, type JobContext, type JobData } from '../ports/job-queue.port';
import { APP_LOGGER, type AppLogger } from '../ports/logger.port';
import { READ_STORE, type ReadStore } from '../ports/read-store.port';
import { streams } from '../streams';
import type { JobRegistration } from './job-registration';

export const DELIVER_REPLY_JOB = 'reply.deliver';

export interface DeliverReplyJobData {
  conversationId: string;
  messageId: string;
}

/** One delivery job per reply: handling ReplyQueued again (at-least-once) enqueues nothing new. */
export const deliverReplyJobId = (messageId: string) => `reply:${messageId}`;

/** About an hour of retries (30 s, 1, 2, 4, 8, 16, 32 min) before a retryable failure is given up. */
export const DELIVERY_ATTEMPTS = 8;
export const DELIVERY_BACKOFF = { type: 'exponential', delayMs: 30_000 } as const;
/** A reply that waited longer than this (the server was down for days) is not sent late but shown as failed. */
export const MAX_DELIVERY_DELAY_MS = 3 * 24 * 60 * 60 * 1000;

/**
 * Sends one queued reply through its channel's plugin (the ChannelDelivery port) and records
 * the outcome on the conversation, where the thread shows it:
 * - delivered: ReplyDelivered (with the channel's external id).
 * - retryable failure: ReplyDeliveryFailed{retryable: true} ("sending failed, retrying"), then the
 *   job fails so the queue retries it with backoff; on the last attempt it is recorded as permanent.
 * - permanent failure: ReplyDeliveryFailed{retryable: false}, and PermanentJobError ends the job.
 *
 * Idempotent: a reply already delivered, already failed for good, or whose conversation is gone
 * is not sent again. The one window left is a crash after the channel accepted the message and
 * before ReplyDelivered is stored: the retry sends it again with the same messageId, which
 * channels pass on as their idempotency key (email Message-ID, Idempotency-Key header).
 */
@Injectable()
export class DeliverReplyJob implements JobRegistration {
  readonly type = DELIVER_REPLY_JOB;
  readonly options = { concurrency: 4 };

  constructor(
    private readonly commandBus: CommandBus,
    private readonly executor: CommandExecutor,
    @Inject(CHANNEL_DELIVERY) private readonly delivery: ChannelDelivery,
    @Inject(READ_STORE) private readonly readStore: ReadStore,
    @Inject(APP_LOGGER) private readonly logger: AppLogger,
    @Inject(ATTACHMENT_STORE) private readonly attachments: AttachmentStore,
  ) {}

  async handle(data: JobData, job: JobContext): Promise<void> {
    const { conversationId, messageId } = data as Partial<DeliverReplyJobData>;
    if (typeof conversationId !== 'string' || typeof messageId !== 'string') {
      throw new PermanentJobError(`a ${DELIVER_REPLY_JOB} job needs conversationId and messageId (got ${JSON.stringify(data)})`);
    }
    const log = { conversationId, messageId, jobId: job.jobId, attempt: job.attempt };
    const recorded = await this.executor.store.readStream(streams.conversation(conversationId));
    const events = toDomainEvents<ConversationEvent>(recorded);
    const state = fold(conversationDecider, events);
    if (!isActive(state)) return; // deleted forever (or never existed): nothing to deliver
    const status = state.replies.get(messageId);
    if (status === undefined || status === 'delivered') return;
    const failures = events.filter((e) => e.type === 'ReplyDeliveryFailed' && e.data.messageId === messageId);
    if (failures.some((e) => e.type === 'ReplyDeliveryFailed' && !e.data.retryable)) return; // already failed for good
    const queued = outboundEventOf(events, messageId);
    if (!queued) return;

    if (this.executor.now().getTime() - Date.parse(queued.at) > MAX_DELIVERY_DELAY_MS) {
      const reason = `not sent: it waited more than ${MAX_DELIVERY_DELAY_MS / 86_400_000} days for delivery; send it again if it still matters`;
      await this.record(conversationId, job, { type: 'RecordReplyFailed', messageId, reason, retryable: false });
      throw new PermanentJobError(reason);
    }

    const files = await this.filesOf(state.id, queued.attachments);
    if (typeof files === 'string') {
      await this.record(conversationId, job, { type: 'RecordReplyFailed', messageId, reason: files, retryable: false });
      throw new PermanentJobError(files);
    }
    // A channel may ask the host about the reply it sends (the chat pushes it live with its author's
    // name and, for a bot's reply, the bot flag that keeps "Talk to a person" and the buttons
    // usable); the host answers from the read models, so deliver once they include the reply.
    // Delivery runs from the event log, not after the command that queued the reply had settled.
    await this.executor.settle(recorded.at(-1)?.position ?? 0);
    const result = await this.delivery.send({ ...(await this.outbound(state, events, queued)), ...(files.length ? { attachments: files } : {}) });
    if (result.status === 'delivered') {
      await this.record(conversationId, job, { type: 'RecordReplyDelivered', messageId, externalMessageId: result.externalMessageId });
      this.logger.info({ ...log, channel: queued.channel }, 'reply delivered');
      return;
    }
    const lastAttempt = job.attempt >= job.attempts;
    if (result.retryable && !lastAttempt) {
      // The same attempt handled twice (a redelivered job) records its failure once.
      const recorded = failures.some((e) => e.type === 'ReplyDeliveryFailed' && e.data.attempt === job.attempt);
      if (!recorded) await this.record(conversationId, job, { type: 'RecordReplyFailed', messageId, reason: result.reason, retryable: true });
      this.logger.warn({ ...log, channel: queued.channel, reason: result.reason }, 'reply delivery failed; retrying');
      throw new Error(`sending failed, retrying: ${result.reason}`);
    }
    const reason = result.retryable ? `gave up after ${job.attempts} attempts: ${result.reason}` : result.reason;
    await this.record(conversationId, job, { type: 'RecordReplyFailed', messageId, reason, retryable: false });
    this.logger.error({ ...log, channel: queued.channel, reason }, 'reply delivery failed for good');
    throw new PermanentJobError(reason);
  }

  private async outbound(state: ActiveConversation, events: readonly ConversationEvent[], queued: QueuedOutbound): Promise<OutboundMessage> {
    const inbox = await this.readStore.getInbox(state.inboxId);
    const firstReply = events.find((e) => e.type === 'ReplyQueued');
    const kind = queued.kind ?? (state.origin === 'outbound' && firstReply?.data.messageId === queued.messageId ? 'compose' : 'reply');
    return {
      conversationId: state.id,
      messageId: queued.messageId,
      channel: queued.channel,
      conversationChannel: state.channel,
      to: queued.to,
      ...(queued.cc?.length ? { cc: queued.cc } : {}),
      ...(inbox?.emailAddress ? { from: { address: inbox.emailAddress, name: inbox.name } } : {}),
      subject: queued.subject,
      text: queued.text,
      ...(queued.html === undefined ? {} : { html: queued.html }),
      thread: { externalThreadId: state.externalThreadId, externalMessageIds: threadMessageIds(events) },
      kind,
      // A bot's buttons: shown by channels that can, already listed in the text for the others.
      ...(queued.choices?.length ? { choices: queued.choices } : {}),
      // One of the channel's approved templates (WhatsApp outside its window): `text` is it as the contact reads it.
      ...(queued.template ? { template: queued.template } : {}),
      ...(await this.languageOf(queued.authorId)),
    };
  }

  /** The bytes of a reply's files, or why they cannot be sent (a file is gone: sending without it would mislead). */
  private async filesOf(conversationId: string, refs: readonly AttachmentRef[] | undefined): Promise<OutboundAttachment[] | string> {
    const files: OutboundAttachment[] = [];
    for (const ref of refs ?? []) {
      const found = await this.attachments.get(conversationId, ref.id);
      if (!found) return `not sent: the attached file ${JSON.stringify(ref.filename)} (${ref.id}) is no longer stored`;
      files.push({ ...ref, content: found.content });
    }
    return files;
  }

  /** The language of the agent who wrote the message, when they chose one Parley speaks (the channel's own words follow it). */
  private async languageOf(authorId: string | undefined): Promise<Pick<OutboundMessage, 'language'>> {
    const author = authorId ? await this.readStore.getAgent(authorId) : null;
    return author?.language === 'nl' || author?.language === 'en' ? { language: author.language } : {};
  }

  private async record(
    conversationId: string,
    job: JobContext,
    outcome:
      | { type: 'RecordReplyDelivered'; messageId: string; externalMessageId?: string }
      | { type: 'RecordReplyFailed'; messageId: string; reason: string; retryable: boolean },
  ): Promise<void> {
    const ctx = systemContext({ causationId: `${job.jobId}#${job.attempt}` });
    try {
      await this.commandBus.execute(
        new ChangeConversation(
          conversationId,
          (now) =>
            outcome.type === 'RecordReplyDelivered'
              ? {
                  type: 'RecordReplyDelivered',
                  data: { messageId: outcome.messageId, ...(outcome.externalMessageId ? { externalMessageId: outcome.externalMessageId } : {}), now },
                }
              : {
                  type: 'RecordReplyFailed',
                  data: { messageId: outcome.messageId, reason: outcome.reason, retryable: outcome.retryable, attempt: job.attempt, now },
                },
          ctx,
        ),
      );
    } catch (error) {
      // Deleted forever meanwhile: there is no thread left to show the outcome in.
      if (isDomainError(error) && error.code === 'not-found') return;
      throw error;
    }
  }
}

/** What was queued for delivery, whichever event queued it. */
interface QueuedOutbound {
  messageId: string;
  channel: Channel;
  to: Party[];
  subject: string;
  text: string;
  html?: string;
  /** When it was queued. */
  at: string;
  /** Set by the event when it says (a forward); otherwise derived. */
  kind?: OutboundMessage['kind'];
  /** The agent who wrote it, when an agent did. */
  authorId?: string;
  /** A reply's files. */
  attachments?: AttachmentRef[];
  /** A bot's buttons offered with the reply. */
  choices?: { id: string; label: string }[];
  /** The approved template the reply is, with its parameters. */
  template?: ReplyTemplate;
  /** Reply-all's Cc recipients. */
  cc?: Party[];
}

/**
 * Events that queue a message for delivery: an agent's reply (ReplyQueued, also the first message
 * of a composed conversation), a forward (ConversationForwarded, rule 13) and a chat's transcript
 * (TranscriptSent, rule 12). Read by type name
 * so an event type added later only needs a line here.
 */
function outboundEventOf(events: readonly ConversationEvent[], messageId: string): QueuedOutbound | null {
  for (const event of events as readonly { type: string; data: Record<string, unknown> }[]) {
    if (event.data.messageId !== messageId) continue;
    if (event.type === 'ReplyQueued') {
      const data = event.data as unknown as ReplyQueued['data'];
      return {
        ...pickMessage(data),
        at: data.queuedAt,
        ...(data.attachments?.length ? { attachments: data.attachments } : {}),
        ...(data.choices?.length ? { choices: data.choices } : {}),
        ...(data.template ? { template: data.template } : {}),
        ...(data.cc?.length ? { cc: data.cc } : {}),
      };
    }
    if (event.type === 'ConversationForwarded') {
      const data = event.data as unknown as ReplyQueued['data'] & { forwardedAt: string };
      return { ...pickMessage(data), at: data.forwardedAt, kind: 'forward' };
    }
    if (event.type === 'TranscriptSent') {
      const data = event.data as unknown as ReplyQueued['data'] & { sentAt: string };
      return { ...pickMessage(data), at: data.sentAt, kind: 'transcript' };
    }
  }
  return null;
}

function pickMessage(data: ReplyQueued['data']) {
  return {
    messageId: data.messageId,
    ...(typeof data.authorId === 'string' ? { authorId: data.authorId } : {}),
    channel: data.channel,
    to: data.to,
    subject: data.subject,
    text: data.text,
    ...(data.html === undefined ? {} : { html: data.html }),
  };
}

/** External ids of the thread's messages, oldest first: what the contact sent and what reached them. */
function threadMessageIds(events: readonly ConversationEvent[]): string[] {
  const ids: string[] = [];
  for (const event of events) {
    const id = event.type === 'MessageReceived' ? event.data.externalMessageId : event.type === 'ReplyDelivered' ? event.data.externalMessageId : undefined;
    if (id && !ids.includes(id)) ids.push(id);
  }
  return ids;
}
