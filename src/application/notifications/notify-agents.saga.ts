import { Inject, Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import type { NotificationType } from '../../domain/agent/agent.events';
import { conversationDecider, isActive, type ActiveConversation } from '../../domain/conversation/conversation.decider';
import type { CommentAdded, ConversationAssigned, ConversationEvent, MessageReceived } from '../../domain/conversation/conversation.events';
import { notificationDecider } from '../../domain/notification/notification.decider';
import type { NotificationParams } from '../../domain/notification/notification.events';
import { fold } from '../../domain/shared/decider';
import { InboxAccess } from '../access/inbox-access';
import { systemContext } from '../command-handling/command-context';
import { CommandExecutor } from '../command-handling/command-executor';
import { toDomainEvents } from '../command-handling/handle-command';
import type { RecordedEvent } from '../ports/event-store.port';
import { JOB_QUEUE, type JobQueue } from '../ports/job-queue.port';
import { READ_STORE, type ReadStore } from '../ports/read-store.port';
import type { ProcessManager } from '../process-managers/process-manager';
import { conversationIdFromStream, streams } from '../streams';
import { RecentOwners } from '../conversations/recent-owners';
import { notificationSettingsOf } from './notification-settings';
import {
  NOTIFICATION_EMAIL_ATTEMPTS,
  NOTIFICATION_EMAIL_BACKOFF,
  NOTIFICATION_EMAIL_JOB,
  notificationEmailJobId,
  type NotificationEmailJobData,
} from './send-notification-email.job';

/**
 * An event older than this when the manager meets it tells nobody anything: the manager starts
 * from the beginning of the log where it is new (an upgrade), and a mention from last year is
 * not news.
 */
export const MAX_NOTIFICATION_AGE_MS = 24 * 60 * 60 * 1000;

/** Someone to tell, and what. */
interface Recipient {
  agentId: string;
  type: NotificationType;
  params: NotificationParams;
}

/**
 * Tells agents what concerns them (docs/notifications.md), each as their switches say (in the
 * app, by email, both or neither):
 * - `mention`: an @mention in a comment (never the author themself);
 * - `assigned`: a conversation assigned to them by someone else, or by auto-assignment (never
 *   when they took it themselves);
 * - `handoff`: the first assignment to an agent after the visitor asked the bot for a person;
 * - `new-message`: a contact's new message in a conversation they own.
 * Only agents who exist and can reach the conversation's inbox at that moment; never about a
 * conversation in Spam, Filtered or Trash.
 *
 * At least once, exactly one notification: its id is derived from the causing event's id, the
 * agent and the type, the notification decider records one per id, and the email job is
 * deduplicated by the same id.
 */
@Injectable()
export class NotifyAgents implements ProcessManager {
  readonly name = 'notify-agents';
  readonly handles = ['CommentAdded', 'ConversationAssigned', 'MessageReceived'] as const;

  constructor(
    private readonly executor: CommandExecutor,
    private readonly access: InboxAccess,
    @Inject(READ_STORE) private readonly readStore: ReadStore,
    @Inject(JOB_QUEUE) private readonly jobs: JobQueue,
    private readonly owners: RecentOwners = new RecentOwners(),
  ) {}

  async handle(event: RecordedEvent): Promise<void> {
    const conversationId = conversationIdFromStream(event.streamId);
    if (!conversationId) return;
    if (this.executor.now().getTime() - Date.parse(event.metadata.occurredAt) > MAX_NOTIFICATION_AGE_MS) return;
    if (!mayTellSomeone(event)) return; // the common case, decided without reading the conversation
    // A contact's message tells only an agent who owns the conversation; the receive handler of
    // this process says whether one did right after it, without a read of the stream.
    if (event.type === 'MessageReceived' && this.owners.agentOwnerAfter(event.position, event.streamId) === false) return;
    const history = toDomainEvents<ConversationEvent>(
      await this.executor.store.readStream(streams.conversation(conversationId), { maxCount: event.revision + 1 }),
    );
    const state = fold(conversationDecider, history);
    if (!isActive(state) || state.spam || state.filtered || state.trashed) return;
    const recipients = await this.recipientsOf(event, state, history);
    if (recipients.length === 0) return;
    // Who can reach the inbox is read from the read models: they must include everything up to the event.
    await this.executor.settleOrThrow(event.position);
    const inbox = await this.readStore.getInbox(state.inboxId);
    if (!inbox) return;
    for (const recipient of recipients) {
      const agent = await this.readStore.getAgent(recipient.agentId);
      if (!agent || !this.access.canAccess({ id: agent.id, name: agent.name, email: agent.email, role: agent.role }, inbox)) continue;
      const settings = await notificationSettingsOf(this.executor.store, agent.id);
      const switches = settings?.[recipient.type];
      if (!switches) continue;
      const notificationId = notificationIdFor(event.id, agent.id, recipient.type);
      const base = { notificationId, agentId: agent.id, type: recipient.type, conversationId, inboxId: state.inboxId, params: recipient.params };
      if (switches.inApp) {
        await this.executor.execute(
          streams.notifications(agent.id),
          notificationDecider,
          { type: 'CreateNotification', data: { ...base, at: event.metadata.occurredAt } },
          systemContext({ correlationId: event.metadata.correlationId, causationId: event.id }),
        );
      }
      if (switches.email) {
        const data: NotificationEmailJobData = base;
        await this.jobs.enqueue(
          NOTIFICATION_EMAIL_JOB,
          { ...data },
          {
            jobId: notificationEmailJobId(notificationId),
            attempts: NOTIFICATION_EMAIL_ATTEMPTS,
            backoff: NOTIFICATION_EMAIL_BACKOFF,
          },
        );
      }
    }
  }

  private async recipientsOf(event: RecordedEvent, state: ActiveConversation, history: readonly ConversationEvent[]): Promise<Recipient[]> {
    const subject = state.subject;
    switch (event.type) {
      case 'CommentAdded': {
        const data = event.data as unknown as CommentAdded['data'];
        const mentioned = [...new Set(data.mentions ?? [])].filter((id) => id !== data.authorId);
        if (mentioned.length === 0) return [];
        const who = (await this.readStore.agentDisplayNames([data.authorId])).get(data.authorId) ?? '';
        return mentioned.map((agentId) => ({ agentId, type: 'mention' as const, params: { who, subject } }));
      }
      case 'ConversationAssigned': {
        const data = event.data as unknown as ConversationAssigned['data'];
        if (data.assignee.type !== 'agent') return [];
        const actor = event.metadata.actor;
        // Taking a conversation yourself tells you nothing new.
        if (actor?.type === 'agent' && actor.id === data.assignee.id) return [];
        const handoff = isBotHandoff(history.slice(0, -1));
        const who = actor?.type === 'agent' ? ((await this.readStore.agentDisplayNames([actor.id])).get(actor.id) ?? '') : '';
        return [
          {
            agentId: data.assignee.id,
            type: handoff ? 'handoff' : 'assigned',
            params: { subject, ...(who ? { who } : {}), ...(data.via && data.via !== 'inbox-bot' ? { via: data.via } : {}) },
          },
        ];
      }
      case 'MessageReceived': {
        if (state.assignee?.type !== 'agent') return [];
        const data = event.data as unknown as MessageReceived['data'];
        return [{ agentId: state.assignee.id, type: 'new-message', params: { who: data.from.name || data.from.address, subject } }];
      }
      default:
        return [];
    }
  }
}

/**
 * False when the event can tell nobody anything: a comment without mentions (of others), an
 * assignment to the bot or to oneself, a conversation's first message (most of them, under load).
 */
function mayTellSomeone(event: RecordedEvent): boolean {
  if (event.type === 'CommentAdded') {
    const data = event.data as unknown as CommentAdded['data'];
    return (data.mentions ?? []).some((id) => id !== data.authorId);
  }
  if (event.type === 'ConversationAssigned') {
    const { assignee } = event.data as unknown as ConversationAssigned['data'];
    const actor = event.metadata.actor;
    return assignee.type === 'agent' && !(actor?.type === 'agent' && actor.id === assignee.id);
  }
  if (event.type === 'MessageReceived') {
    // A message has an owner to tell only once the conversation was assigned before it: its start
    // (assignee none) and an assignment precede it, so it is at revision 2 or later. The first
    // message (revision 1, after ConversationStarted) needs no read of the stream to know that.
    return event.revision >= 2;
  }
  return true;
}

/**
 * Whether an assignment now is a bot handing the conversation over: the visitor asked for a
 * person (BotHandoffRequested) and no agent was given it since.
 */
function isBotHandoff(before: readonly ConversationEvent[]): boolean {
  for (let i = before.length - 1; i >= 0; i -= 1) {
    const event = before[i];
    if (event.type === 'BotHandoffRequested') return true;
    if (event.type === 'ConversationAssigned' && event.data.assignee.type === 'agent') return false;
  }
  return false;
}

/** One notification per cause, agent and type: a uuid-shaped id derived from them. */
export function notificationIdFor(causeEventId: string, agentId: string, type: NotificationType): string {
  const hex = createHash('sha256').update(`notification:${causeEventId}:${agentId}:${type}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${((parseInt(hex[16], 16) & 0x3) | 0x8).toString(16)}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
