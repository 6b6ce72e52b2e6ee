import { Inject, Injectable } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { systemContext } from '../../application/command-handling/command-context';
import { ChangeConversation } from '../../application/conversations/change-conversation.handler';
import { ConversationChanges, type InboxChange } from '../../application/live/conversation-changes';
import { CLOCK, type Clock } from '../../application/ports/clock.port';
import { EVENT_STORE, type EventStore } from '../../application/ports/event-store.port';
import { APP_LOGGER, type AppLogger } from '../../application/ports/logger.port';
import { READ_STORE, type ConversationSummary, type ReadStore } from '../../application/ports/read-store.port';
import { streams } from '../../application/streams';
import { contactActor } from '../../domain/shared/actor';
import { isDomainError } from '../../domain/shared/domain-error';
import type { PluginConversation, PluginConversationMessage, ReplyStatusReport } from '../channel-plugin';
import type { HostConversations } from './plugin-host-connection';

type StatusHandler = Parameters<HostConversations['onStatusChange']>[1];

/** Why the channel closed a conversation, as the audit history shows it (the event's causation). */
export const closedByChannelCause = (channel: string, reason: 'inactivity') => `channel:${channel}:${reason}`;

/**
 * The host's answers about a channel's conversations (get, the contact's view of the messages,
 * close, status changes), for the plugin registry to narrow to each plugin's own channel. Reads
 * come from the read models, the one write goes through the command bus like an agent's close,
 * and status changes follow the event log once the read models include them.
 */
@Injectable()
export class HostConversationsService implements Pick<HostConversations, 'get' | 'messages' | 'close' | 'requestHandoff' | 'reportStatus' | 'onStatusChange'> {
  private readonly statusHandlers = new Map<string, StatusHandler[]>();
  private following = false;

  constructor(
    @Inject(READ_STORE) private readonly readStore: ReadStore,
    @Inject(EVENT_STORE) private readonly eventStore: EventStore,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(APP_LOGGER) private readonly logger: AppLogger,
    private readonly commandBus: CommandBus,
    private readonly changes: ConversationChanges,
  ) {}

  /** The conversation as its contact may know it; null when it does not exist or is on another channel. */
  async get(conversationId: string, channel: string): Promise<PluginConversation | null> {
    const summary = await this.onChannel(conversationId, channel);
    if (!summary) return null;
    const started = await this.started(conversationId);
    if (!started) return null;
    // An unlinked contact (rule 10) is still the person the channel talks to.
    const contact = summary.contact ?? { address: started.contact.address, name: started.contact.name ?? null };
    return {
      conversationId: summary.id,
      inboxId: summary.inboxId,
      externalThreadId: started.externalThreadId,
      status: summary.status,
      hidden: isHidden(summary),
      contact: { address: contact.address, ...(contact.name ? { name: contact.name } : {}) },
      heldByBot: summary.assignee?.type === 'bot',
      lastContactMessageAt: summary.lastReceivedAt,
    };
  }

  /**
   * What the contact may see, oldest first: their own messages and the agents' replies (on any
   * channel), with each reply's author and delivery. Never comments, forwards or anything else
   * that stays inside the team. A hidden conversation still answers: a blocked visitor keeps
   * seeing their own messages (rule 5).
   */
  async messages(conversationId: string, channel: string): Promise<PluginConversationMessage[] | null> {
    const detail = await this.readStore.getConversation(conversationId);
    if (!detail || detail.channel !== channel) return null;
    const visible = detail.messages.filter((m) => m.direction === 'in' || m.kind === 'reply');
    // A bot's reply is signed with the bot's name, which the thread gives as its sender already.
    const isBot = (authorId: string | null) => authorId?.startsWith('bot:') === true;
    const authorIds = [...new Set(visible.flatMap((m) => (m.direction === 'out' && m.authorId && !isBot(m.authorId) ? [m.authorId] : [])))];
    const names = authorIds.length > 0 ? await this.readStore.agentDisplayNames(authorIds) : new Map<string, string>();
    return visible
      .map((m): PluginConversationMessage => {
        const authorName = m.direction === 'in' || isBot(m.authorId) ? m.from.name : m.authorId ? names.get(m.authorId) : undefined;
        return {
          messageId: m.id,
          direction: m.direction === 'in' ? 'inbound' : 'outbound',
          ...(authorName ? { authorName } : {}),
          text: m.text,
          at: m.at,
          // 'retrying' is still on its way, as far as the contact is concerned.
          ...(m.direction === 'out' && m.delivery ? { status: m.delivery.status === 'retrying' ? 'queued' : m.delivery.status } : {}),
          channel: m.channel,
          // A bot's reply (authorId `bot:<id>`), with the buttons it offered.
          ...(m.authorId?.startsWith('bot:') ? { bot: true } : {}),
          ...(m.choices?.length ? { choices: m.choices } : {}),
        };
      })
      .sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
  }

  /**
   * Closes on the channel's behalf, as the system, through the same command an agent's close
   * sends; the audit history names the channel and the reason (the event's causation). Nothing
   * happens when the conversation is closed already, hidden, gone or another channel's, or when
   * the rules refuse (a bot conversation within its 30 minutes, rule 9).
   */
  async close(conversationId: string, channel: string, reason: 'inactivity'): Promise<void> {
    const summary = await this.onChannel(conversationId, channel);
    if (!summary || summary.status === 'closed' || isHidden(summary)) return;
    try {
      await this.commandBus.execute(
        new ChangeConversation(
          conversationId,
          (now) => ({ type: 'CloseConversation', data: { closeTicket: false, now } }),
          systemContext({ causationId: closedByChannelCause(channel, reason) }),
        ),
      );
    } catch (error) {
      if (!isDomainError(error)) throw error;
      this.logger.info({ conversationId, channel, reason, refusal: error.message }, 'a channel asked to close a conversation; nothing to close');
    }
  }

  /**
   * The contact asked for a person (the chat's "Talk to a person"): recorded as the contact's own
   * request, through the same command a bot's handoff step sends. The bot holding the conversation
   * lets go and routing takes over. Nothing happens when no bot holds it (an agent has it, or it
   * waits for one already), or it is closed, hidden, gone or another channel's.
   */
  async requestHandoff(conversationId: string, channel: string): Promise<void> {
    const summary = await this.onChannel(conversationId, channel);
    if (!summary || summary.status === 'closed' || isHidden(summary) || summary.assignee?.type !== 'bot') return;
    const started = await this.started(conversationId);
    const address = summary.contact?.address ?? started?.contact.address;
    const ctx = systemContext({ causationId: `channel:${channel}:handoff` });
    try {
      await this.commandBus.execute(
        new ChangeConversation(
          conversationId,
          (now) => ({ type: 'RequestBotHandoff', data: { now } }),
          address ? { ...ctx, actor: contactActor(address) } : ctx,
        ),
      );
    } catch (error) {
      if (!isDomainError(error)) throw error;
      this.logger.info({ conversationId, channel, refusal: error.message }, 'a channel asked for a person; nothing to hand off');
    }
  }

  /**
   * A channel's receipt for one of its replies (Meta's delivered / read / failed), recorded as the
   * system on the channel's behalf; the decider keeps only one that moves the reply forward. A
   * report for a conversation of another channel, or for a message that is not one of its replies
   * (sent before Parley, or deleted forever since), changes nothing.
   */
  async reportStatus(report: ReplyStatusReport, channel: string): Promise<void> {
    const summary = await this.onChannel(report.conversationId, channel);
    if (!summary) return;
    try {
      await this.commandBus.execute(
        new ChangeConversation(
          report.conversationId,
          (now) => ({
            type: 'RecordReplyStatus',
            data: { messageId: report.messageId, status: report.status, at: report.at, ...(report.reason ? { reason: report.reason } : {}), now },
          }),
          systemContext({ causationId: `channel:${channel}:receipt` }),
        ),
      );
    } catch (error) {
      if (!isDomainError(error)) throw error;
      this.logger.info(
        { conversationId: report.conversationId, channel, status: report.status, refusal: error.message },
        'a channel reported a receipt; nothing recorded',
      );
    }
  }

  /** A handler told when one of the channel's conversations is closed or reopened (on this instance, after projection). */
  onStatusChange(channel: string, handler: StatusHandler): void {
    this.statusHandlers.set(channel, [...(this.statusHandlers.get(channel) ?? []), handler]);
    if (this.following) return;
    this.following = true;
    this.changes.subscribe((change) => void this.announce(change));
  }

  private async announce(change: InboxChange): Promise<void> {
    const status = change.type === 'ConversationClosed' ? 'closed' : change.type === 'ConversationReopened' ? 'open' : null;
    if (!status || !change.conversationId) return;
    try {
      const summary = await this.readStore.getConversationSummary(change.conversationId);
      const handlers = summary ? this.statusHandlers.get(summary.channel) : undefined;
      if (!handlers) return;
      const notice = { conversationId: change.conversationId, status, at: this.clock.now().toISOString() } as const;
      for (const handler of handlers) {
        try {
          handler({ ...notice });
        } catch (err) {
          this.logger.warn({ err, conversationId: change.conversationId, channel: summary!.channel }, 'a channel plugin failed to take a status change');
        }
      }
    } catch (err) {
      this.logger.warn({ err, conversationId: change.conversationId }, 'could not tell a channel plugin about a status change');
    }
  }

  private async onChannel(conversationId: string, channel: string): Promise<ConversationSummary | null> {
    const summary = await this.readStore.getConversationSummary(conversationId);
    return summary && summary.channel === channel ? summary : null;
  }

  /** The thread key and first contact, which only the stream's first event holds. */
  private async started(conversationId: string): Promise<{ externalThreadId: string; contact: { address: string; name?: string } } | null> {
    const [first] = await this.eventStore.readStream(streams.conversation(conversationId), { maxCount: 1 });
    if (first?.type !== 'ConversationStarted') return null;
    const data = first.data as { externalThreadId: string; contact: { address: string; name?: string } };
    return { externalThreadId: data.externalThreadId, contact: data.contact };
  }
}

function isHidden(summary: ConversationSummary): boolean {
  return summary.trashed || summary.spam || summary.filtered;
}
