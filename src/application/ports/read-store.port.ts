import type { AgentLanguage, AgentRole, Availability, NotificationType } from '../../domain/agent/agent.events';
import type { NotificationParams } from '../../domain/notification/notification.events';
import type { Channel, Party } from '../../domain/shared/types';
import type { BusinessHours, RoutingSettings } from '../../domain/inbox/inbox.events';
import type { SavedFilters } from '../../domain/custom-view/custom-view.events';
import type { MessageField, ReplyTemplate } from '../../domain/conversation/conversation.events';
import type { BotFlow, BotKind } from '../../domain/bot/bot.events';
import type { ConversationFilters, ConversationSort } from '../search/conversation-filters';
import type { ReportFacts, ReportFactsQuery } from '../reports/report-facts';

/**
 * The read side. Every query the application asks goes through this port; the SQLite adapter
 * (embedded default) and the MongoDB adapter (scale-out) implement it and pass one contract
 * suite. All of it is fed by projections from the event log, so it can be rebuilt at any time.
 */
export const READ_STORE = Symbol('READ_STORE');

export const VIEW_IDS = [
  'unassigned',
  'assigned-to-me',
  'all-open',
  'chat',
  'email',
  'messenger',
  'whatsapp',
  'forms',
  'bots',
  'all-closed',
  'sent',
  'spam',
  'filtered',
  'trash',
] as const;
export type BuiltInViewId = (typeof VIEW_IDS)[number];

export const ALWAYS_VISIBLE_VIEWS: readonly BuiltInViewId[] = ['unassigned', 'assigned-to-me', 'all-open', 'chat'];

export const VIEW_NAMES: Record<BuiltInViewId, string> = {
  unassigned: 'Unassigned',
  'assigned-to-me': 'Assigned to me',
  'all-open': 'All open',
  chat: 'Chat',
  email: 'Email',
  messenger: 'Messenger',
  whatsapp: 'WhatsApp',
  forms: 'Forms',
  bots: 'Bots',
  'all-closed': 'All closed',
  sent: 'Sent',
  spam: 'Spam',
  filtered: 'Filtered',
  trash: 'Trash',
};

export type AssigneeView = { type: 'agent'; id: string; name: string } | { type: 'bot' } | null;

/** docs/api.md ConversationSummary. */
export interface ConversationSummary {
  id: string;
  inboxId: string;
  channel: Channel;
  status: 'open' | 'closed';
  origin: 'inbound' | 'outbound';
  assignee: AssigneeView;
  /** `email`: the address a contact without one (a chat visitor) gave later, for answering by email (rule 12). */
  contact: { id: string; name: string | null; address: string; email?: string } | null;
  /** The contact record holding the conversation now (following merges, splits and links); null when unlinked. */
  contactId: string | null;
  /** Distinct addresses that took part (contact, other senders, recipients of replies). */
  participants: Party[];
  subject: string;
  preview: string;
  /** Time the last message from the outside world was received (sort key); start time if none yet. */
  lastReceivedAt: string;
  /** The last message came from the contact: the team owes a reply. */
  awaitingReply: boolean;
  /** Outbound email that the contact has not answered yet (Sent view). */
  awaitingContactReply: boolean;
  commentPreview: string | null;
  /** Forwarded outside the company at least once. */
  forwarded: boolean;
  spam: boolean;
  filtered: boolean;
  trashed: boolean;
  trashedAt: string | null;
  ticket: { id: string; name: string; status: 'open' | 'closed' } | null;
  /** The ticket record linked to the conversation; null when none. */
  ticketId: string | null;
  /** Stream revision the summary reflects: the ETag / If-Match value. */
  revision: number;
}

export interface MessageView {
  id: string;
  direction: 'in' | 'out';
  channel: Channel;
  from: Party;
  to: Party[];
  subject: string;
  text: string;
  html: string | null;
  attachments: Array<{ id: string; filename: string; contentType: string; size: number }>;
  at: string;
  /**
   * Outbound only: queued | delivered | failed (with the last failure reason). Once the channel
   * reported what became of a delivered reply (ReplyStatusReported), `receipt` says how far it got
   * (`delivered` to the contact's device, `read`) and `at` when; a failure it reported later makes
   * the delivery `failed` with the channel's reason.
   */
  delivery: DeliveryView | null;
  /** Outbound only: an answer to the contact, a forward outside the company, or a chat's transcript (rule 12); null for inbound. */
  kind: 'reply' | 'forward' | 'transcript' | null;
  authorId: string | null;
  /** A bot's reply: the buttons it offered (a flow bot's question); absent otherwise. */
  choices?: { id: string; label: string }[];
  /** The contact's reactions to this message (WhatsApp, Messenger): one per contact, the latest; absent when none. */
  reactions?: ReactionView[];
  /** Structured facts of an inbound message (a form's custom fields, a shared location or contact card); absent when none. */
  fields?: MessageField[];
  /** A reply sent as one of the channel's approved templates: its name, language and parameters; absent otherwise. */
  template?: ReplyTemplate;
  /** Who the message copied (email's Cc, an inbound message's or reply-all's); absent when nobody. */
  cc?: Party[];
}

export interface DeliveryView {
  status: 'queued' | 'delivered' | 'failed' | 'retrying';
  reason?: string;
  /** What the channel reported after it took the reply: on the contact's device, or read by them. */
  receipt?: 'delivered' | 'read';
  /** When the channel says the receipt (or the reported failure) happened. */
  at?: string;
}

export interface ReactionView {
  emoji: string;
  from: Party;
  at: string;
}

export interface CommentView {
  id: string;
  author: { id: string; name: string };
  text: string;
  mentions: string[];
  at: string;
}

export interface ConversationDetail extends ConversationSummary {
  messages: MessageView[];
  comments: CommentView[];
}

export type SortOrder = 'newest' | 'oldest';

export interface Page<T> {
  items: T[];
  /** Opaque keyset cursor for the next page; null on the last page. */
  nextCursor: string | null;
}

export interface ListViewQuery {
  inboxId: string;
  viewId: BuiltInViewId;
  /** The requesting agent: needed by "assigned-to-me". */
  agentId: string;
  sort: SortOrder;
  limit: number;
  cursor?: string;
}

/** `GET /api/conversations` and custom views: text and filters combined (docs/design.md rule 2). */
export interface ConversationSearch {
  inboxId: string;
  filters: ConversationFilters;
  sort: ConversationSort;
  limit: number;
  /** A nextCursor of the same search; one of another order is an InvalidCursorError. */
  cursor?: string;
}

/** A saved filter of an inbox (custom view). */
export interface CustomViewRecord {
  id: string;
  inboxId: string;
  name: string;
  filters: SavedFilters;
  createdBy: string;
  createdAt: string;
}

/**
 * A channel plugin connected to an inbox. `settings` are as stored: the values named by
 * `secretKeys` are ciphertext (decrypted only by the application, for the plugin).
 */
export interface ChannelConnectionRecord {
  id: string;
  inboxId: string;
  /** The plugin id (`chat`). */
  type: string;
  name: string;
  settings: Record<string, unknown>;
  secretKeys: string[];
  /** The agent who connected it; null when the system did. */
  createdBy: string | null;
  createdAt: string;
  updatedAt: string;
}

/**
 * A bot of an inbox (flow or webhook). `webhookSecret` is ciphertext and `tokenHash` the SHA-256
 * of the bot's API token: both are for the application only, never for an API answer.
 */
export interface BotRecord {
  id: string;
  inboxId: string;
  name: string;
  kind: BotKind;
  /** The channels whose new conversations it takes; empty: chat only. */
  channels: string[];
  flow: BotFlow | null;
  webhookUrl: string | null;
  webhookSecret: string | null;
  active: boolean;
  hasToken: boolean;
  tokenHash: string | null;
  createdAt: string;
}

/** One notification of an agent (the notification centre), its text as data (rendered in the reader's language). */
export interface NotificationRecord {
  id: string;
  agentId: string;
  type: NotificationType;
  conversationId: string;
  inboxId: string;
  params: NotificationParams;
  createdAt: string;
  read: boolean;
}

export interface AgentRecord {
  id: string;
  name: string;
  email: string;
  role: AgentRole;
  availability: Availability;
  passwordHash: string;
  createdAt: string;
  /** Sessions (logins) this agent logged out of that have not expired yet: their tokens are refused. */
  endedSessions: string[];
  /** The agent's own choice of UI language and IANA time zone; null: the browser's applies. */
  language: AgentLanguage | null;
  timeZone: string | null;
  /** Whether the agent has the web UI open (with the grace period), as the presence tracker last recorded. */
  online: boolean;
  /** When `online` last changed (null: never online). */
  onlineChangedAt: string | null;
}

export interface InboxRecord {
  id: string;
  name: string;
  emailAddress: string | null;
  isDefault: boolean;
  memberIds: string[];
  createdAt: string;
  /** Auto-assignment settings (issue 14); the defaults until an admin sets them. */
  routing: RoutingSettings;
  /** Opening hours in the inbox's time zone (issue 14); disabled (always open) until set. */
  businessHours: BusinessHours;
}

export interface BlockedSenderRecord {
  inboxId: string;
  address: string;
  blockedAt: string;
}

export interface ReadStore {
  // conversations
  getConversation(id: string): Promise<ConversationDetail | null>;
  getConversationSummary(id: string): Promise<ConversationSummary | null>;
  listView(query: ListViewQuery): Promise<Page<ConversationSummary>>;
  /** Count of every built-in view for this inbox and agent, keyed by view id. */
  countViews(inboxId: string, agentId: string): Promise<Record<BuiltInViewId, number>>;
  /** Open or closed conversations (any inbox) currently assigned to this agent. */
  conversationIdsAssignedTo(agentId: string): Promise<string[]>;
  /** Conversations of this inbox filtered because of this sender address. */
  filteredConversationIds(inboxId: string, address: string): Promise<string[]>;
  /** Trashed conversations whose purge time has passed. */
  conversationIdsToPurge(now: string, limit: number): Promise<string[]>;

  // directory
  listAgents(): Promise<AgentRecord[]>;
  getAgent(id: string): Promise<AgentRecord | null>;
  getAgentByEmail(email: string): Promise<AgentRecord | null>;
  /**
   * The name each agent id is shown with in a conversation detail, one entry per id: removed
   * agents keep their last name, `system` is "System", an id never seen "Unknown agent".
   */
  agentDisplayNames(ids: readonly string[]): Promise<Map<string, string>>;
  countAgents(): Promise<number>;
  listInboxes(): Promise<InboxRecord[]>;
  getInbox(id: string): Promise<InboxRecord | null>;
  getDefaultInbox(): Promise<InboxRecord | null>;
  /** The inbox whose emailAddress is this (case-insensitive), or null. */
  getInboxByEmailAddress(address: string): Promise<InboxRecord | null>;
  isSenderBlocked(inboxId: string, address: string): Promise<boolean>;
  listBlockedSenders(inboxId: string): Promise<BlockedSenderRecord[]>;

  // search and custom views
  searchConversations(query: ConversationSearch): Promise<Page<ConversationSummary>>;
  countConversations(query: { inboxId: string; filters: ConversationFilters }): Promise<number>;
  /** The custom views of an inbox, oldest first. */
  listCustomViews(inboxId: string): Promise<CustomViewRecord[]>;
  getCustomView(id: string): Promise<CustomViewRecord | null>;

  // channel connections
  /** Connections oldest first: of one inbox, of one plugin (`type`), or both. */
  listChannelConnections(filter: { inboxId?: string; type?: string }): Promise<ChannelConnectionRecord[]>;
  /** Null when unknown or removed. */
  getChannelConnection(id: string): Promise<ChannelConnectionRecord | null>;

  // notifications (docs/notifications.md)
  /** An agent's notifications, newest first, at most `limit`; with `inboxIds`, only those about conversations of these inboxes. */
  listNotifications(agentId: string, limit: number, inboxIds?: readonly string[]): Promise<NotificationRecord[]>;
  /** How many of an agent's notifications are unread; with `inboxIds`, only those of these inboxes. */
  countUnreadNotifications(agentId: string, inboxIds?: readonly string[]): Promise<number>;

  // reports (docs/reports.md)
  /** The facts of a period (assignments, first responses, resolutions) in these inboxes, per agent and inbox. */
  reportFacts(query: ReportFactsQuery): Promise<ReportFacts>;

  // bots
  /** The bots of an inbox, oldest first (removed ones are gone). */
  listBots(inboxId: string): Promise<BotRecord[]>;
  /** Null when unknown or removed. */
  getBot(botId: string): Promise<BotRecord | null>;
  /** The inbox's active bot that takes new conversations of this channel (a bot without channels takes chat only), or null. */
  findActiveBot(inboxId: string, channel: string): Promise<BotRecord | null>;
  /** The (not removed) bot whose API token has this SHA-256 hash (hex), or null. */
  findBotByTokenHash(tokenHash: string): Promise<BotRecord | null>;
  /** Whether any bot was ever created (removed ones count): without one no conversation can be a bot's. */
  anyBotEver(): Promise<boolean>;
}

/**
 * Read-your-writes: a command handler that appended up to `position` waits until every
 * projection has applied it, so the caller's next read shows the effect.
 */
export const PROJECTION_PROGRESS = Symbol('PROJECTION_PROGRESS');

export interface ProjectionProgress {
  /** Resolves true once all projections reached `position`, false after `timeoutMs`. */
  waitFor(position: number, timeoutMs: number): Promise<boolean>;
  /** A position all projections have reached (it may lag behind, never run ahead). */
  position(): number;
}

/** A list cursor that was not produced by this store (every read-store adapter throws it; HTTP 400). */
export class InvalidCursorError extends Error {
  constructor(readonly cursor: string) {
    super('cursor is not valid: pass back the nextCursor of a previous page unchanged, or omit it for the first page');
    this.name = 'InvalidCursorError';
  }
}
