import { Schema, type Connection, type Model } from 'mongoose';
import type { AgentLanguage, AgentRole, Availability } from '../../../domain/agent/agent.events';
import type { SavedFilters } from '../../../domain/custom-view/custom-view.events';
import type { BusinessHours, RoutingSettings } from '../../../domain/inbox/inbox.events';
import type { Channel, Party } from '../../../domain/shared/types';
import type { MessageView, ReactionView } from '../../../application/ports/read-store.port';
import type { MessageField, ReplyTemplate } from '../../../domain/conversation/conversation.events';
import type { StoredReceipt } from '../../../projections/thread-receipts';
import type { ConversationDoc } from '../../../projections/conversation-summary';
import { defineReportConversationModel, type ReportConversationDocument } from './reports.mongo-model';
import { defineBotModel, type BotDocument } from './bots.mongo-model';
import { defineNotificationModel, type NotificationDocument } from './notifications.mongo-model';
import { defineRecordModels, type RecordModels } from './records.mongo-model';

/**
 * The MongoDB read models: one collection per model, documents keyed by the id the port asks for.
 *
 * Every document a projection writes carries `lastPosition`, the global log position of the last
 * event applied to it, and every write is filtered on `lastPosition < event.position`: without a
 * transaction spanning the read model and the checkpoint, that guard is what makes a redelivered
 * or out-of-date event a no-op (docs/design.md "Projections", CONTRIBUTING.md "Projections").
 * Deletions therefore leave a small tombstone (`deleted` / `removed` / `blocked: false`) that
 * keeps its `lastPosition`, so an older event delivered again cannot bring the document back.
 *
 * Indexes (declared next to each schema, created by `ensureIndexes`):
 * - conversations {inboxId, views, lastReceivedAt, _id}: a built-in view's page in either order
 *   is one range of this index (equality on the view key, then the keyset); `views` is the only
 *   array in it, the sort fields are scalars, so the index also gives the order.
 * - conversations {inboxId, lastReceivedAt, k} and the same with status / channel / assignee
 *   after inboxId, {contactId, lastReceivedAt, k}: search pages without text, and with common
 *   words (walked in list order, filtered); the last also a contact's conversations across
 *   inboxes, and the conversations a merge or split of their contact moves.
 * - conversations {ticketId}: the conversation a ticket record's change reaches.
 * - conversations {inboxId, words}: search with a rare word (a prefix range of the word list).
 * - conversations {assignedAgentId}, {inboxId, blockedAddress}, {purgeAfter, _id}: the ids the
 *   process managers ask for.
 * - view_counts by _id only: counts are read by key.
 */

export interface ConversationRecord {
  _id: string;
  lastPosition: number;
  /** A tombstone: the conversation was deleted forever at lastPosition (every other field unset). */
  deleted: boolean;
  doc?: ConversationDoc;
  inboxId?: string;
  /** The built-in views listing it: the view id, or `assigned-to-me/<agentId>` (see viewKey). */
  views?: string[];
  lastReceivedAt?: string;
  /** Log position of its ConversationStarted: the search's stable tie-breaker. */
  k?: number;
  status?: 'open' | 'closed';
  channel?: Channel;
  contactId?: string | null;
  /** The conversation's ticket: what a ticket record's change reaches. */
  ticketId?: string | null;
  /** 'none', 'bot' or the agent's id (the search's assignee filter). */
  assignee?: string;
  assignedAgentId?: string | null;
  blockedAddress?: string | null;
  purgeAfter?: string | null;
  filtered?: boolean;
  trashed?: boolean;
  subjectWords?: string[];
  contactWords?: string[];
  bodyWords?: string[];
  /** subjectWords ∪ contactWords ∪ bodyWords: what a search term must be a prefix of. */
  words?: string[];
  /** How many more body words may be indexed (bounds the document's size). */
  bodyBudget?: number;
}

export interface ViewCountRecord {
  /** JSON [inboxId, view key]. */
  _id: string;
  inboxId: string;
  view: string;
  count: number;
  lastPosition: number;
}

export interface MessageRecord {
  /** The message id. */
  _id: string;
  conversationId: string;
  position: number;
  direction: 'in' | 'out';
  channel: Channel | null;
  from: Party | null;
  to: Party[];
  subject: string;
  text: string;
  html: string | null;
  attachments: MessageView['attachments'];
  at: string;
  authorId: string | null;
  delivery: { status: 'queued' | 'delivered' | 'failed' | 'retrying'; reason: string | null } | null;
  /** Position of the event that set `delivery`: an older delivery event cannot overwrite a newer one. */
  deliveryPosition: number;
  /** Outbound only: a reply or a forward (rows written before forwards were kept have none: replies). */
  kind?: 'reply' | 'forward' | 'transcript' | null;
  /** A bot's reply: the buttons it offered. */
  choices?: { id: string; label: string }[];
  /** What the channel last reported of a reply (ReplyStatusReported), and the position of that event. */
  receipt?: StoredReceipt;
  receiptPosition?: number;
  /** The contact's reactions (one per contact), and the position of the last ReactionReceived applied. */
  reactions?: ReactionView[];
  reactionsPosition?: number;
  /** An inbound message's structured facts. */
  fields?: MessageField[];
  /** A reply sent as an approved template. */
  template?: ReplyTemplate;
  /** Who the message copied (an inbound message's Cc, reply-all's). */
  cc?: Party[];
}

export interface CommentRecord {
  /** The comment id. */
  _id: string;
  conversationId: string;
  position: number;
  authorId: string;
  text: string;
  mentions: string[];
  at: string;
}

export interface AgentDocument {
  _id: string;
  name: string;
  email: string;
  emailLower: string;
  role: AgentRole;
  availability: Availability;
  passwordHash: string;
  createdAt: string;
  /** Logged-out sessions whose token has not expired yet (see the agents projection). */
  endedSessions?: Array<{ id: string; expiresAt: string }>;
  /** Removed agents stay as tombstones: their name is still shown on what they wrote. */
  removed: boolean;
  /** The agent's own UI language and IANA time zone (absent or null: not chosen). */
  language?: AgentLanguage | null;
  timeZone?: string | null;
  /** Presence (absent: offline, never changed). */
  online?: boolean;
  onlineChangedAt?: string | null;
  lastPosition: number;
}

export interface InboxDocument {
  _id: string;
  name: string;
  emailAddress: string | null;
  emailLower: string | null;
  isDefault: boolean;
  memberIds: string[];
  createdAt: string;
  /** Absent on inboxes whose settings were never set: the defaults apply. */
  routing?: RoutingSettings;
  businessHours?: BusinessHours;
  lastPosition: number;
}

export interface BlockedSenderDocument {
  /** JSON [inboxId, normalised address]. */
  _id: string;
  inboxId: string;
  address: string;
  blockedAt: string;
  blocked: boolean;
  lastPosition: number;
}

export interface CustomViewDocument {
  _id: string;
  inboxId: string;
  name: string;
  filters: SavedFilters;
  createdBy: string;
  createdAt: string;
  /** Log position of its creation: the list order. */
  order: number;
  deleted: boolean;
  lastPosition: number;
}

export interface ChannelConnectionDocument {
  _id: string;
  inboxId: string;
  type: string;
  name: string;
  /** As the events hold them: the values named by secretKeys are ciphertext. */
  settings: Record<string, unknown>;
  secretKeys: string[];
  createdBy: string | null;
  createdAt: string;
  updatedAt: string;
  /** Log position of its creation: the list order. */
  order: number;
  removed: boolean;
  lastPosition: number;
}

export interface ProjectionCheckpointDocument {
  /** The projection's name. */
  _id: string;
  version: number;
  position: number;
}

export interface ProcessorCheckpointDocument {
  /** The process manager's name. */
  _id: string;
  position: number;
}

export interface MongoReadModels extends RecordModels {
  conversations: Model<ConversationRecord>;
  viewCounts: Model<ViewCountRecord>;
  messages: Model<MessageRecord>;
  comments: Model<CommentRecord>;
  agents: Model<AgentDocument>;
  inboxes: Model<InboxDocument>;
  blockedSenders: Model<BlockedSenderDocument>;
  customViews: Model<CustomViewDocument>;
  channelConnections: Model<ChannelConnectionDocument>;
  reportConversations: Model<ReportConversationDocument>;
  bots: Model<BotDocument>;
  notifications: Model<NotificationDocument>;
  projectionCheckpoints: Model<ProjectionCheckpointDocument>;
  processorCheckpoints: Model<ProcessorCheckpointDocument>;
}

export type MongoModelName = keyof MongoReadModels;

const Mixed = Schema.Types.Mixed;

/**
 * Shared options. strict 'throw': a field that is not in the schema fails the write loudly
 * instead of being dropped. minimize false: an empty object (a custom view without filters) is
 * stored as {} rather than removed. Indexes and collections are created by ensureIndexes, never
 * implicitly on model compilation.
 */
function options(collection: string) {
  return { collection, versionKey: false as const, minimize: false, strict: 'throw' as const, autoIndex: false, autoCreate: false };
}

function conversationSchema(): Schema<ConversationRecord> {
  const schema = new Schema<ConversationRecord>(
    {
      _id: { type: String, required: true },
      lastPosition: { type: Number, required: true },
      deleted: { type: Boolean, required: true },
      doc: Mixed,
      inboxId: String,
      views: [String],
      lastReceivedAt: String,
      k: Number,
      status: String,
      channel: String,
      contactId: String,
      ticketId: String,
      assignee: String,
      assignedAgentId: String,
      blockedAddress: String,
      purgeAfter: String,
      filtered: Boolean,
      trashed: Boolean,
      subjectWords: [String],
      contactWords: [String],
      bodyWords: [String],
      words: [String],
      bodyBudget: Number,
    },
    options('conversations'),
  );
  schema.index({ inboxId: 1, views: 1, lastReceivedAt: 1, _id: 1 }, { name: 'view_pages' });
  schema.index({ inboxId: 1, lastReceivedAt: 1, k: 1 }, { name: 'search_by_time' });
  schema.index({ inboxId: 1, status: 1, lastReceivedAt: 1, k: 1 }, { name: 'search_by_status' });
  schema.index({ inboxId: 1, channel: 1, lastReceivedAt: 1, k: 1 }, { name: 'search_by_channel' });
  schema.index({ inboxId: 1, assignee: 1, lastReceivedAt: 1, k: 1 }, { name: 'search_by_assignee' });
  schema.index({ contactId: 1, lastReceivedAt: 1, k: 1 }, { name: 'search_by_contact' });
  schema.index({ ticketId: 1 }, { name: 'by_ticket' });
  schema.index({ inboxId: 1, words: 1 }, { name: 'search_by_word' });
  schema.index({ assignedAgentId: 1 }, { name: 'by_assigned_agent' });
  schema.index({ inboxId: 1, blockedAddress: 1 }, { name: 'by_blocked_address' });
  schema.index({ purgeAfter: 1, _id: 1 }, { name: 'by_purge_after' });
  return schema;
}

function viewCountSchema(): Schema<ViewCountRecord> {
  return new Schema<ViewCountRecord>(
    {
      _id: { type: String, required: true },
      inboxId: { type: String, required: true },
      view: { type: String, required: true },
      count: { type: Number, required: true },
      lastPosition: { type: Number, required: true },
    },
    options('view_counts'),
  );
}

function messageSchema(): Schema<MessageRecord> {
  const schema = new Schema<MessageRecord>(
    {
      _id: { type: String, required: true },
      conversationId: { type: String, required: true },
      position: { type: Number, required: true },
      direction: { type: String, required: true },
      channel: String,
      from: Mixed,
      to: Mixed,
      subject: String,
      text: String,
      html: String,
      attachments: Mixed,
      at: String,
      authorId: String,
      delivery: Mixed,
      deliveryPosition: Number,
      kind: String,
      choices: Mixed,
      receipt: Mixed,
      receiptPosition: Number,
      reactions: Mixed,
      reactionsPosition: Number,
      fields: Mixed,
      template: Mixed,
      cc: Mixed,
    },
    options('messages'),
  );
  schema.index({ conversationId: 1, position: 1 }, { name: 'by_conversation' });
  return schema;
}

function commentSchema(): Schema<CommentRecord> {
  const schema = new Schema<CommentRecord>(
    {
      _id: { type: String, required: true },
      conversationId: { type: String, required: true },
      position: { type: Number, required: true },
      authorId: String,
      text: String,
      mentions: [String],
      at: String,
    },
    options('comments'),
  );
  schema.index({ conversationId: 1, position: 1 }, { name: 'by_conversation' });
  return schema;
}

function agentSchema(): Schema<AgentDocument> {
  const schema = new Schema<AgentDocument>(
    {
      _id: { type: String, required: true },
      name: String,
      email: String,
      emailLower: String,
      role: String,
      availability: String,
      passwordHash: String,
      createdAt: String,
      endedSessions: { type: [{ _id: false, id: String, expiresAt: String }], default: undefined },
      removed: Boolean,
      language: { type: String, default: null },
      timeZone: { type: String, default: null },
      online: { type: Boolean, default: false },
      onlineChangedAt: { type: String, default: null },
      lastPosition: { type: Number, required: true },
    },
    options('agents'),
  );
  schema.index({ removed: 1, createdAt: 1, _id: 1 }, { name: 'by_creation' });
  schema.index({ emailLower: 1, removed: 1, createdAt: 1 }, { name: 'by_email' });
  return schema;
}

function inboxSchema(): Schema<InboxDocument> {
  const schema = new Schema<InboxDocument>(
    {
      _id: { type: String, required: true },
      name: String,
      emailAddress: String,
      emailLower: String,
      isDefault: Boolean,
      memberIds: [String],
      createdAt: String,
      routing: Mixed,
      businessHours: Mixed,
      lastPosition: { type: Number, required: true },
    },
    options('inboxes'),
  );
  schema.index({ createdAt: 1, _id: 1 }, { name: 'by_creation' });
  schema.index({ emailLower: 1, createdAt: 1, _id: 1 }, { name: 'by_email' });
  schema.index({ isDefault: 1, createdAt: 1, _id: 1 }, { name: 'by_default' });
  return schema;
}

function blockedSenderSchema(): Schema<BlockedSenderDocument> {
  const schema = new Schema<BlockedSenderDocument>(
    {
      _id: { type: String, required: true },
      inboxId: String,
      address: String,
      blockedAt: String,
      blocked: Boolean,
      lastPosition: { type: Number, required: true },
    },
    options('blocked_senders'),
  );
  schema.index({ inboxId: 1, blocked: 1, blockedAt: 1, address: 1 }, { name: 'by_inbox' });
  return schema;
}

function customViewSchema(): Schema<CustomViewDocument> {
  const schema = new Schema<CustomViewDocument>(
    {
      _id: { type: String, required: true },
      inboxId: String,
      name: String,
      filters: Mixed,
      createdBy: String,
      createdAt: String,
      order: Number,
      deleted: Boolean,
      lastPosition: { type: Number, required: true },
    },
    options('custom_views'),
  );
  schema.index({ inboxId: 1, deleted: 1, order: 1 }, { name: 'by_inbox' });
  return schema;
}

function channelConnectionSchema(): Schema<ChannelConnectionDocument> {
  const schema = new Schema<ChannelConnectionDocument>(
    {
      _id: { type: String, required: true },
      inboxId: String,
      type: String,
      name: String,
      settings: Mixed,
      secretKeys: [String],
      createdBy: { type: String, default: null },
      createdAt: String,
      updatedAt: String,
      order: Number,
      removed: Boolean,
      lastPosition: { type: Number, required: true },
    },
    options('channel_connections'),
  );
  schema.index({ inboxId: 1, removed: 1, order: 1 }, { name: 'by_inbox' });
  schema.index({ type: 1, removed: 1, order: 1 }, { name: 'by_type' });
  return schema;
}

function projectionCheckpointSchema(): Schema<ProjectionCheckpointDocument> {
  return new Schema<ProjectionCheckpointDocument>(
    { _id: { type: String, required: true }, version: { type: Number, required: true }, position: { type: Number, required: true } },
    options('projection_checkpoints'),
  );
}

function processorCheckpointSchema(): Schema<ProcessorCheckpointDocument> {
  return new Schema<ProcessorCheckpointDocument>(
    { _id: { type: String, required: true }, position: { type: Number, required: true } },
    options('processor_checkpoints'),
  );
}

/** The models on one connection (model names are per connection, so several stores may share a process). */
export function defineModels(connection: Connection): MongoReadModels {
  return {
    conversations: connection.model<ConversationRecord>('Conversation', conversationSchema()),
    viewCounts: connection.model<ViewCountRecord>('ViewCount', viewCountSchema()),
    messages: connection.model<MessageRecord>('Message', messageSchema()),
    comments: connection.model<CommentRecord>('Comment', commentSchema()),
    agents: connection.model<AgentDocument>('Agent', agentSchema()),
    inboxes: connection.model<InboxDocument>('Inbox', inboxSchema()),
    blockedSenders: connection.model<BlockedSenderDocument>('BlockedSender', blockedSenderSchema()),
    customViews: connection.model<CustomViewDocument>('CustomView', customViewSchema()),
    channelConnections: connection.model<ChannelConnectionDocument>('ChannelConnection', channelConnectionSchema()),
    reportConversations: defineReportConversationModel(connection),
    bots: defineBotModel(connection),
    notifications: defineNotificationModel(connection),
    ...defineRecordModels(connection),
    projectionCheckpoints: connection.model<ProjectionCheckpointDocument>('ProjectionCheckpoint', projectionCheckpointSchema()),
    processorCheckpoints: connection.model<ProcessorCheckpointDocument>('ProcessorCheckpoint', processorCheckpointSchema()),
  };
}

/** Creates every declared index (and with it the collections); idempotent. */
export async function ensureIndexes(models: MongoReadModels): Promise<void> {
  for (const model of Object.values(models) as Array<Model<unknown>>) await model.createIndexes();
}

/** A built-in view's membership key: the view id, or `assigned-to-me/<agentId>` for the per-agent view. */
export function viewKey(viewId: string, agentId: string): string {
  return agentId === '' ? viewId : `${viewId}/${agentId}`;
}

export function viewCountId(inboxId: string, key: string): string {
  return JSON.stringify([inboxId, key]);
}

export function blockedSenderId(inboxId: string, address: string): string {
  return JSON.stringify([inboxId, address]);
}
