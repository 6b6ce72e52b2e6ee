import { Inject, Injectable } from '@nestjs/common';
import { businessHoursStatus } from '../../domain/inbox/business-hours';
import { DEFAULT_BUSINESS_HOURS } from '../../domain/inbox/inbox.events';
import { InboxAccess } from '../access/inbox-access';
import { CLOCK, type Clock } from '../ports/clock.port';
import type { TeamStatus } from '../ports/channel.port';
import { APP_LOGGER, type AppLogger } from '../ports/logger.port';
import { READ_STORE, type ConversationSummary, type ReadStore } from '../ports/read-store.port';

/** What agents do on a conversation, for the plugin of its channel (the plugin interface's AgentActivity). */
export type AgentActivityNotice = { type: 'typing' | 'seen'; conversationId: string; at: string; authorName?: string };

/** The contact is typing: a notice for the agents' live screens of the conversation's inbox (GET /events). */
export interface ContactActivityNotice {
  type: 'ContactTyping';
  conversationId: string;
  inboxId: string;
  at: string;
}

/** At most one typing notice per conversation and side in this time: a typist sends one per key. */
export const TYPING_THROTTLE_MS = 2_000;
/** Throttle entries kept before the stale ones are dropped. */
const MAX_THROTTLE_ENTRIES = 10_000;

/**
 * Live activity between agents and contacts, in this process only (nothing is stored; a notice
 * lost with a restart is harmless): agents typing in or opening a conversation reach the plugin of
 * its channel (a chat widget shows "typing…" and "seen"), a contact typing reaches the agents'
 * event streams, and a channel asks whether anyone is there to answer (rule 11's Available/Away).
 *
 * For agents' routes: `agentTyping(conversationId)` when an agent types a reply,
 * `agentSeen(conversationId)` when an agent opens the thread. Both check nothing about the agent:
 * the caller has checked their access to the conversation.
 *
 * Conversations that are hidden (in Trash, Spam or Filtered, rule 5's blocked visitors) carry no
 * activity either way: a blocked visitor's typing never reaches the inbox.
 */
@Injectable()
export class ChannelActivity {
  private readonly pluginHandlers = new Map<string, Array<(activity: AgentActivityNotice) => void>>();
  private readonly contactListeners = new Set<(notice: ContactActivityNotice) => void>();
  /** `<side>:<conversationId>` -> when its last typing notice went out. */
  private readonly lastTyping = new Map<string, number>();

  constructor(
    @Inject(READ_STORE) private readonly readStore: ReadStore,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(APP_LOGGER) private readonly logger: AppLogger,
    private readonly access: InboxAccess,
  ) {}

  // --- the agents' side ----------------------------------------------------------------------

  /**
   * An agent is typing a reply in the conversation: the channel's plugin is told (throttled), with
   * the agent's name when given (the same name their replies carry to the contact).
   */
  async agentTyping(conversationId: string, agent?: { name: string }): Promise<void> {
    if (!this.throttle('agent', conversationId)) return;
    await this.toPlugin(conversationId, 'typing', agent?.name);
  }

  /** An agent opened the conversation: the channel's plugin can show the contact "seen". */
  async agentSeen(conversationId: string): Promise<void> {
    await this.toPlugin(conversationId, 'seen');
  }

  /** For the agents' event streams: returns the function that stops the notices. */
  subscribeContactActivity(listener: (notice: ContactActivityNotice) => void): () => void {
    this.contactListeners.add(listener);
    return () => this.contactListeners.delete(listener);
  }

  // --- the channels' side (the host connection's `activity`) ----------------------------------

  /** Registers a plugin's handler for agents' activity on its channel's conversations. */
  onAgentActivity(channel: string, handler: (activity: AgentActivityNotice) => void): void {
    this.pluginHandlers.set(channel, [...(this.pluginHandlers.get(channel) ?? []), handler]);
  }

  /** The contact of a conversation on `channel` is typing (throttled); other channels' conversations are ignored. */
  contactTyping(conversationId: string, channel: string): void {
    // Per channel: a plugin naming a conversation of another channel must not use up its allowance.
    if (this.contactListeners.size === 0 || !this.throttle(`contact:${channel}`, conversationId)) return;
    void this.visible(conversationId).then(
      (conversation) => {
        if (!conversation || conversation.channel !== channel) return;
        const notice: ContactActivityNotice = { type: 'ContactTyping', conversationId, inboxId: conversation.inboxId, at: this.now() };
        for (const listener of [...this.contactListeners]) {
          try {
            listener(notice);
          } catch (err) {
            this.logger.warn({ err, conversationId }, 'channel activity: a listener failed');
          }
        }
      },
      (err: unknown) => this.logger.warn({ err, conversationId }, 'channel activity: could not read the conversation'),
    );
  }

  /**
   * Whether an agent who can answer in the inbox (a member, or an admin) is there to chat (rule 11):
   * set to Available and online (Parley open, within the presence grace period).
   */
  async agentsAvailable(inboxId: string): Promise<boolean> {
    const inbox = await this.readStore.getInbox(inboxId);
    if (!inbox) return false;
    const agents = await this.readStore.listAgents();
    return agents.some((agent) => agent.availability === 'available' && agent.online && this.access.canAccess(agent, inbox));
  }

  /**
   * What a live channel tells its visitors about the team (see TeamStatus in the plugin interface):
   * open/nextOpenAt from the inbox's business hours at the clock's now, in the inbox's time zone;
   * botActive when the inbox has an active bot for the channel (chat unless named).
   */
  async teamStatus(inboxId: string, channel = 'chat'): Promise<TeamStatus> {
    const hours = (await this.readStore.getInbox(inboxId))?.businessHours ?? DEFAULT_BUSINESS_HOURS;
    const { open, nextOpenAt } = businessHoursStatus(hours, this.clock.now());
    return {
      agentsAvailable: await this.agentsAvailable(inboxId),
      open,
      nextOpenAt,
      timeZone: hours.timeZone,
      botActive: await this.botActive(inboxId, channel),
    };
  }

  // --- helpers ---------------------------------------------------------------------------------

  /** The inbox has an active bot that takes new conversations of this channel (docs/bots.md). */
  private async botActive(inboxId: string, channel: string): Promise<boolean> {
    return (await this.readStore.findActiveBot(inboxId, channel)) !== null;
  }

  private async toPlugin(conversationId: string, type: AgentActivityNotice['type'], authorName?: string): Promise<void> {
    if (this.pluginHandlers.size === 0) return;
    const conversation = await this.visible(conversationId);
    const handlers = conversation ? this.pluginHandlers.get(conversation.channel) : undefined;
    if (!handlers) return;
    const activity: AgentActivityNotice = { type, conversationId, at: this.now(), ...(type === 'typing' && authorName ? { authorName } : {}) };
    for (const handler of handlers) {
      try {
        handler({ ...activity });
      } catch (err) {
        this.logger.warn({ err, conversationId, channel: conversation!.channel }, 'channel activity: a plugin handler failed');
      }
    }
  }

  /** The conversation when it exists and is not hidden (Trash, Spam, Filtered). */
  private async visible(conversationId: string): Promise<ConversationSummary | null> {
    const conversation = await this.readStore.getConversationSummary(conversationId);
    if (!conversation || conversation.trashed || conversation.spam || conversation.filtered) return null;
    return conversation;
  }

  /** True when a typing notice of this side may go out now (and counts it). */
  private throttle(side: string, conversationId: string): boolean {
    const key = `${side}:${conversationId}`;
    const now = this.clock.now().getTime();
    const last = this.lastTyping.get(key);
    if (last !== undefined && now - last < TYPING_THROTTLE_MS) return false;
    if (this.lastTyping.size >= MAX_THROTTLE_ENTRIES) {
      for (const [entry, at] of this.lastTyping) if (now - at >= TYPING_THROTTLE_MS) this.lastTyping.delete(entry);
    }
    this.lastTyping.set(key, now);
    return true;
  }

  private now(): string {
    return this.clock.now().toISOString();
  }
}
