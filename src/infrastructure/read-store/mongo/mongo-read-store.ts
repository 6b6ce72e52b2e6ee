import type { QueryFilter, PipelineStage } from 'mongoose';
import { StoreUnavailableError } from '../../../application/ports/event-store.port';
import type { ProcessorCheckpoints } from '../../../application/ports/processor-checkpoints.port';
import {
  InvalidCursorError,
  VIEW_IDS,
  type AgentRecord,
  type BlockedSenderRecord,
  type BotRecord,
  type BuiltInViewId,
  type CommentView,
  type ConversationDetail,
  type ConversationSearch,
  type ConversationSummary,
  type ChannelConnectionRecord,
  type CustomViewRecord,
  type InboxRecord,
  type ListViewQuery,
  type MessageView,
  type NotificationRecord,
  type Page,
  type ReadStore,
} from '../../../application/ports/read-store.port';
import type { ConversationFilters } from '../../../application/search/conversation-filters';
import { DEFAULT_BUSINESS_HOURS, DEFAULT_ROUTING } from '../../../domain/inbox/inbox.events';
import { normalizeAddress } from '../../../domain/shared/address';
import type { Channel } from '../../../domain/shared/types';
import { summaryOf } from '../../../projections/conversation-at';
import { deliveryView } from '../../../projections/thread-receipts';
import { normalizeTime, type ConversationDoc } from '../../../projections/conversation-summary';
import {
  blockedSenderId,
  viewCountId,
  viewKey,
  type AgentDocument,
  type BlockedSenderDocument,
  type ChannelConnectionDocument,
  type CommentRecord,
  type ConversationRecord,
  type CustomViewDocument,
  type InboxDocument,
  type MessageRecord,
  type MongoReadModels,
  type ProcessorCheckpointDocument,
  type ViewCountRecord,
} from './mongo-models';
import { prefixPattern, termWords } from './search-words';
import { mongoReportFacts } from './reports.mongo-projection';
import type { ReportFacts, ReportFactsQuery } from '../../../application/reports/report-facts';
import { botTakesChannel } from '../../../application/bots/bot-channels';
import type { BotDocument } from './bots.mongo-model';
import { toBotRecord } from './bots.mongo-projection';
import type { NotificationDocument } from './notifications.mongo-model';
import { toNotificationRecord } from './notifications.mongo-projection';

export const MAX_PAGE_SIZE = 500;

/** Relevance weights: a word in the subject counts 4, in the contact's name or address 2, in a message body 1. */
export const RELEVANCE_WEIGHTS = { subject: 4, contact: 2, body: 1 } as const;

/**
 * The ReadStore port (and the process managers' checkpoints) over the MongoDB read models
 * (mongo-models.ts). Lists and pages are index ranges read in index order, counts are key
 * lookups, agent names are joined at read time (a rename shows everywhere).
 *
 * Search: the filters are equality / range conditions on indexed fields; each term must be the
 * prefix of one of the conversation's words (search-words.ts). For newest / oldest, MongoDB's
 * planner picks between walking the inbox's list in order and filtering (common words) and the
 * word index (rare words), which is the choice the embedded search makes by hand. Relevance has
 * no index to read in order: the matches are scored (RELEVANCE_WEIGHTS per term and place) and
 * sorted by the server, so its cost grows with the number of matches (sort by newest is the
 * cheap order for very common words).
 */
export class MongoReadStore implements ReadStore, ProcessorCheckpoints {
  constructor(
    private readonly models: MongoReadModels,
    /** Named in the StoreUnavailableError of a failed query (password masked by the caller). */
    private readonly where = 'MongoDB',
  ) {}

  async getConversationSummary(id: string): Promise<ConversationSummary | null> {
    return this.query(async () => {
      const record = await this.models.conversations.findOne({ _id: id }, { doc: 1 }).lean<ConversationRecord>();
      if (!record?.doc) return null;
      const names = await this.names(assigneeIds([record.doc]));
      return toSummary(record.doc, names);
    });
  }

  async getConversation(id: string): Promise<ConversationDetail | null> {
    return this.query(async () => {
      const record = await this.models.conversations.findOne({ _id: id }, { doc: 1 }).lean<ConversationRecord>();
      const doc = record?.doc;
      if (!doc) return null;
      const [messages, comments, inbox] = await Promise.all([
        this.models.messages.find({ conversationId: id }).sort({ position: 1 }).lean<MessageRecord[]>(),
        this.models.comments.find({ conversationId: id }).sort({ position: 1 }).lean<CommentRecord[]>(),
        this.models.inboxes.findOne({ _id: doc.inboxId }, { emailAddress: 1 }).lean<InboxDocument>(),
      ]);
      const authorIds = [
        ...assigneeIds([doc]),
        ...messages.filter((m) => m.direction === 'out').map((m) => m.authorId ?? ''),
        ...comments.map((c) => c.authorId),
      ];
      const names = await this.names(authorIds);
      const nameOf = (authorId: string) => displayName(authorId, names.get(authorId) ?? null);
      return {
        ...toSummary(doc, names),
        messages: messages.map((message) => toMessage(message, doc.channel, inbox?.emailAddress ?? '', nameOf)),
        comments: comments.map((comment): CommentView => ({
          id: comment._id,
          author: { id: comment.authorId, name: nameOf(comment.authorId) },
          text: comment.text,
          mentions: comment.mentions,
          at: comment.at,
        })),
      };
    });
  }

  async listView(query: ListViewQuery): Promise<Page<ConversationSummary>> {
    const limit = Math.max(1, Math.min(MAX_PAGE_SIZE, Math.floor(query.limit)));
    const oldest = query.sort === 'oldest';
    const after = query.cursor === undefined ? null : decodeViewCursor(query.cursor);
    return this.query(async () => {
      const key = viewKey(query.viewId, query.viewId === 'assigned-to-me' ? query.agentId : '');
      const filter: QueryFilter<ConversationRecord> = { inboxId: query.inboxId, views: key };
      if (after) {
        // (lastReceivedAt, _id) past the cursor: one index range on lastReceivedAt, the ties filtered.
        const [lastReceivedAt, id] = after;
        filter.lastReceivedAt = oldest ? { $gte: lastReceivedAt } : { $lte: lastReceivedAt };
        filter.$nor = [{ lastReceivedAt, _id: oldest ? { $lte: id } : { $gte: id } }];
      }
      const direction = oldest ? 1 : -1;
      const records = await this.models.conversations
        .find(filter, { doc: 1 })
        .sort({ lastReceivedAt: direction, _id: direction })
        .limit(limit + 1)
        .lean<ConversationRecord[]>();
      const docs = records.map((record) => record.doc!).filter(Boolean);
      const names = await this.names(assigneeIds(docs));
      const items = docs.slice(0, limit).map((doc) => toSummary(doc, names));
      const last = items[items.length - 1];
      return { items, nextCursor: docs.length > limit ? encodeViewCursor(last.lastReceivedAt, last.id) : null };
    });
  }

  async countViews(inboxId: string, agentId: string): Promise<Record<BuiltInViewId, number>> {
    return this.query(async () => {
      const ids = new Map(VIEW_IDS.map((viewId) => [viewCountId(inboxId, viewKey(viewId, viewId === 'assigned-to-me' ? agentId : '')), viewId]));
      const counters = await this.models.viewCounts.find({ _id: { $in: [...ids.keys()] } }, { count: 1 }).lean<ViewCountRecord[]>();
      const counts = Object.fromEntries(VIEW_IDS.map((viewId) => [viewId, 0])) as Record<BuiltInViewId, number>;
      for (const counter of counters) {
        const viewId = ids.get(counter._id);
        if (viewId) counts[viewId] = Math.max(0, counter.count);
      }
      return counts;
    });
  }

  async conversationIdsAssignedTo(agentId: string): Promise<string[]> {
    return this.ids({ assignedAgentId: agentId });
  }

  async filteredConversationIds(inboxId: string, address: string): Promise<string[]> {
    return this.ids({ inboxId, blockedAddress: normalizeAddress(address) });
  }

  async conversationIdsToPurge(now: string, limit: number): Promise<string[]> {
    return this.query(async () => {
      const records = await this.models.conversations
        .find({ purgeAfter: { $lte: normalizeTime(now) } }, { _id: 1 })
        .sort({ purgeAfter: 1, _id: 1 })
        .limit(Math.max(1, Math.floor(limit)))
        .lean<ConversationRecord[]>();
      return records.map((record) => record._id);
    });
  }

  async listAgents(): Promise<AgentRecord[]> {
    return this.query(async () => (await this.models.agents.find({ removed: false }).sort({ createdAt: 1, _id: 1 }).lean<AgentDocument[]>()).map(toAgent));
  }

  async getAgent(id: string): Promise<AgentRecord | null> {
    return this.query(async () => {
      const agent = await this.models.agents.findOne({ _id: id, removed: false }).lean<AgentDocument>();
      return agent ? toAgent(agent) : null;
    });
  }

  async getAgentByEmail(email: string): Promise<AgentRecord | null> {
    return this.query(async () => {
      const agent = await this.models.agents.findOne({ emailLower: email.trim().toLowerCase(), removed: false }).sort({ createdAt: 1 }).lean<AgentDocument>();
      return agent ? toAgent(agent) : null;
    });
  }

  async agentDisplayNames(ids: readonly string[]): Promise<Map<string, string>> {
    return this.query(async () => {
      const known = await this.names(ids);
      return new Map(ids.map((id) => [id, displayName(id, known.get(id) ?? null)]));
    });
  }

  async countAgents(): Promise<number> {
    return this.query(() => this.models.agents.countDocuments({ removed: false }));
  }

  async listInboxes(): Promise<InboxRecord[]> {
    return this.query(async () => (await this.models.inboxes.find({}).sort({ createdAt: 1, _id: 1 }).lean<InboxDocument[]>()).map(toInbox));
  }

  async getInbox(id: string): Promise<InboxRecord | null> {
    return this.inbox({ _id: id });
  }

  async getDefaultInbox(): Promise<InboxRecord | null> {
    return this.inbox({ isDefault: true });
  }

  async getInboxByEmailAddress(address: string): Promise<InboxRecord | null> {
    return this.inbox({ emailLower: address.trim().toLowerCase() });
  }

  async isSenderBlocked(inboxId: string, address: string): Promise<boolean> {
    return this.query(
      async () => (await this.models.blockedSenders.countDocuments({ _id: blockedSenderId(inboxId, normalizeAddress(address)), blocked: true })) > 0,
    );
  }

  async listBlockedSenders(inboxId: string): Promise<BlockedSenderRecord[]> {
    return this.query(async () =>
      (await this.models.blockedSenders.find({ inboxId, blocked: true }).sort({ blockedAt: 1, address: 1 }).lean<BlockedSenderDocument[]>()).map((sender) => ({
        inboxId: sender.inboxId,
        address: sender.address,
        blockedAt: sender.blockedAt,
      })),
    );
  }

  async searchConversations(query: ConversationSearch): Promise<Page<ConversationSummary>> {
    const limit = Math.max(1, Math.min(MAX_PAGE_SIZE, Math.floor(query.limit)));
    const relevance = query.sort === 'relevance';
    const cursor = query.cursor === undefined ? null : decodeSearchCursor(query.cursor, relevance ? 'r' : 't');
    return this.query(async () => {
      const search = searchFilter(query.inboxId, query.filters);
      if (search === null) return { items: [], nextCursor: null };
      const hits = relevance
        ? await this.relevancePage(search, cursor as RelevanceCursor | null, limit + 1)
        : await this.timePage(search.filter, query.sort === 'oldest', cursor as TimeCursor | null, limit + 1);
      const page = hits.slice(0, limit);
      const records = await this.models.conversations.find({ _id: { $in: page.map((hit) => hit._id) } }, { doc: 1 }).lean<ConversationRecord[]>();
      const docsById = new Map(records.filter((record) => record.doc).map((record) => [record._id, record.doc!]));
      const docs = page.map((hit) => docsById.get(hit._id)).filter((doc): doc is ConversationDoc => doc !== undefined);
      const names = await this.names(assigneeIds(docs));
      const last = page[page.length - 1];
      const nextCursor =
        hits.length > limit
          ? encodeSearchCursor(relevance ? { kind: 'r', score: last.score ?? 0, k: last.k! } : { kind: 't', lra: last.lastReceivedAt!, k: last.k! })
          : null;
      return { items: docs.map((doc) => toSummary(doc, names)), nextCursor };
    });
  }

  async countConversations({ inboxId, filters }: { inboxId: string; filters: ConversationFilters }): Promise<number> {
    return this.query(async () => {
      const search = searchFilter(inboxId, filters);
      return search === null ? 0 : this.models.conversations.countDocuments(search.filter);
    });
  }

  async listCustomViews(inboxId: string): Promise<CustomViewRecord[]> {
    return this.query(async () =>
      (await this.models.customViews.find({ inboxId, deleted: false }).sort({ order: 1 }).lean<CustomViewDocument[]>()).map(toCustomView),
    );
  }

  async getCustomView(id: string): Promise<CustomViewRecord | null> {
    return this.query(async () => {
      const view = await this.models.customViews.findOne({ _id: id, deleted: false }).lean<CustomViewDocument>();
      return view ? toCustomView(view) : null;
    });
  }

  async listChannelConnections({ inboxId, type }: { inboxId?: string; type?: string }): Promise<ChannelConnectionRecord[]> {
    return this.query(async () =>
      (
        await this.models.channelConnections
          .find({ ...(inboxId !== undefined ? { inboxId } : {}), ...(type !== undefined ? { type } : {}), removed: false })
          .sort({ order: 1 })
          .lean<ChannelConnectionDocument[]>()
      ).map(toChannelConnection),
    );
  }

  async listNotifications(agentId: string, limit: number, inboxIds?: readonly string[]): Promise<NotificationRecord[]> {
    return this.query(async () =>
      (
        await this.models.notifications
          .find({ agentId, ...(inboxIds === undefined ? {} : { inboxId: { $in: [...inboxIds] } }) })
          .sort({ order: -1 })
          .limit(Math.max(0, Math.floor(limit)))
          .lean<NotificationDocument[]>()
      ).map(toNotificationRecord),
    );
  }

  async countUnreadNotifications(agentId: string, inboxIds?: readonly string[]): Promise<number> {
    return this.query(() =>
      this.models.notifications.countDocuments({ agentId, readAt: null, ...(inboxIds === undefined ? {} : { inboxId: { $in: [...inboxIds] } }) }),
    );
  }

  async getChannelConnection(id: string): Promise<ChannelConnectionRecord | null> {
    return this.query(async () => {
      const connection = await this.models.channelConnections.findOne({ _id: id, removed: false }).lean<ChannelConnectionDocument>();
      return connection ? toChannelConnection(connection) : null;
    });
  }

  async reportFacts(query: ReportFactsQuery): Promise<ReportFacts> {
    return this.query(() => mongoReportFacts(this.models, query));
  }

  async listBots(inboxId: string): Promise<BotRecord[]> {
    return this.query(async () => (await this.models.bots.find({ inboxId, removed: false }).sort({ order: 1 }).lean<BotDocument[]>()).map(toBotRecord));
  }

  async getBot(botId: string): Promise<BotRecord | null> {
    return this.query(async () => {
      const bot = await this.models.bots.findOne({ _id: botId, removed: false }).lean<BotDocument>();
      return bot ? toBotRecord(bot) : null;
    });
  }

  async findActiveBot(inboxId: string, channel: string): Promise<BotRecord | null> {
    return this.query(async () => {
      const bots = (await this.models.bots.find({ inboxId, removed: false, active: true }).sort({ order: 1 }).lean<BotDocument[]>()).map(toBotRecord);
      return bots.find((bot) => botTakesChannel(bot, channel)) ?? null;
    });
  }

  async anyBotEver(): Promise<boolean> {
    return this.query(async () => (await this.models.bots.exists({})) !== null);
  }

  async findBotByTokenHash(tokenHash: string): Promise<BotRecord | null> {
    return this.query(async () => {
      const bot = await this.models.bots.findOne({ tokenHash, removed: false }).sort({ order: 1 }).lean<BotDocument>();
      return bot ? toBotRecord(bot) : null;
    });
  }

  async getProcessorCheckpoint(name: string): Promise<number> {
    return this.query(async () => (await this.models.processorCheckpoints.findOne({ _id: name }).lean<ProcessorCheckpointDocument>())?.position ?? 0);
  }

  /** Never moves back ($max): two instances racing on one process manager cannot rewind it. */
  async saveProcessorCheckpoint(name: string, position: number): Promise<void> {
    await this.query(() => this.models.processorCheckpoints.updateOne({ _id: name }, { $max: { position } }, { upsert: true }));
  }

  /** Newest / oldest: (lastReceivedAt, k) past the cursor, in index order. */
  private async timePage(filter: QueryFilter<ConversationRecord>, oldest: boolean, cursor: TimeCursor | null, want: number): Promise<Hit[]> {
    const direction = oldest ? 1 : -1;
    const paged: QueryFilter<ConversationRecord> = cursor
      ? {
          $and: [filter, { lastReceivedAt: oldest ? { $gte: cursor.lra } : { $lte: cursor.lra } }],
          $nor: [{ lastReceivedAt: cursor.lra, k: oldest ? { $lte: cursor.k } : { $gte: cursor.k } }],
        }
      : filter;
    return this.models.conversations
      .find(paged, { _id: 1, k: 1, lastReceivedAt: 1 })
      .sort({ lastReceivedAt: direction, k: direction })
      .limit(want)
      .lean<Hit[]>();
  }

  /** Best score first, then the newest conversation (highest k); the cursor is (score, k). */
  private async relevancePage(search: SearchFilter, cursor: RelevanceCursor | null, want: number): Promise<Hit[]> {
    const pipeline: PipelineStage[] = [
      { $match: search.filter },
      { $project: { _id: 1, k: 1, score: scoreExpression(search.words) } },
      ...(cursor ? [{ $match: { $or: [{ score: { $lt: cursor.score } }, { score: cursor.score, k: { $lt: cursor.k } }] } }] : []),
      { $sort: { score: -1, k: -1 } },
      { $limit: want },
    ];
    return this.models.conversations.aggregate<Hit>(pipeline).allowDiskUse(true);
  }

  private async inbox(filter: QueryFilter<InboxDocument>): Promise<InboxRecord | null> {
    return this.query(async () => {
      const inbox = await this.models.inboxes.findOne(filter).sort({ createdAt: 1, _id: 1 }).lean<InboxDocument>();
      return inbox ? toInbox(inbox) : null;
    });
  }

  private async ids(filter: QueryFilter<ConversationRecord>): Promise<string[]> {
    return this.query(async () => (await this.models.conversations.find(filter, { _id: 1 }).lean<ConversationRecord[]>()).map((record) => record._id));
  }

  private names(ids: Iterable<string>): Promise<Map<string, string>> {
    return authorNames(this.models, ids);
  }

  private query<T>(run: () => Promise<T>): Promise<T> {
    return unavailableAsStoreError(this.where, run);
  }
}

/** The names of these author ids: agents ever registered (removed agents included) and bots. */
export async function authorNames(models: Pick<MongoReadModels, 'agents' | 'bots'>, ids: Iterable<string>): Promise<Map<string, string>> {
  const unique = [...new Set(ids)].filter((id) => id !== '');
  if (unique.length === 0) return new Map();
  const agents = await models.agents.find({ _id: { $in: unique } }, { name: 1 }).lean<AgentDocument[]>();
  const names = new Map(agents.map((agent) => [agent._id, agent.name]));
  // A bot's replies carry the author id `bot:<botId>`: the bot's name, removed bots too.
  const botIds = unique.filter((id) => id.startsWith('bot:')).map((id) => id.slice(4));
  if (botIds.length > 0) {
    for (const bot of await models.bots.find({ _id: { $in: botIds } }, { name: 1 }).lean<BotDocument[]>()) names.set(`bot:${bot._id}`, bot.name);
  }
  return names;
}

/** A MongoDB that cannot be reached is the port's StoreUnavailableError (HTTP 503), naming where. */
export async function unavailableAsStoreError<T>(where: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (isUnavailable(error)) throw new StoreUnavailableError(`cannot reach ${where}: ${(error as Error).message}`, error);
    throw error;
  }
}

/** Connection-level failures (no server, network, the client closed); not query errors. */
export function isUnavailable(error: unknown): boolean {
  const name = (error as { name?: unknown } | null)?.name;
  const message = (error as { message?: unknown } | null)?.message;
  if (typeof name === 'string' && /ServerSelection|Network|PoolCleared|NotConnected|TopologyClosed|ClientClosed/i.test(name)) return true;
  return typeof message === 'string' && /before initial connection is complete|client was closed|Topology is closed/i.test(message);
}

interface Hit {
  _id: string;
  k?: number;
  lastReceivedAt?: string;
  score?: number;
}

interface SearchFilter {
  filter: QueryFilter<ConversationRecord>;
  /** The folded words of the terms, each required as a prefix; empty when there is no text. */
  words: string[];
}

/** The search's filters as a MongoDB filter; null when the text can match nothing. */
function searchFilter(inboxId: string, filters: ConversationFilters): SearchFilter | null {
  const filter: QueryFilter<ConversationRecord> = { inboxId };
  if (filters.status) filter.status = filters.status;
  if (filters.channel) filter.channel = filters.channel;
  if (filters.contactId) filter.contactId = filters.contactId;
  if (filters.assignee) filter.assignee = filters.assignee.type === 'agent' ? filters.assignee.id : filters.assignee.type;
  if (filters.receivedFrom || filters.receivedTo) {
    filter.lastReceivedAt = { ...(filters.receivedFrom ? { $gte: filters.receivedFrom } : {}), ...(filters.receivedTo ? { $lte: filters.receivedTo } : {}) };
  }
  if (filters.hideFiltered) filter.filtered = false;
  if (filters.hideTrash) filter.trashed = false;
  const words: string[] = [];
  if (filters.terms !== undefined) {
    // A term without any indexable character adds no condition; a text without any word matches nothing.
    for (const term of filters.terms) words.push(...termWords(term));
    if (words.length === 0) return null;
    filter.$and = [...new Set(words)].map((word) => ({ words: prefixPattern(word) }));
  }
  return { filter, words: [...new Set(words)] };
}

/** Per word: RELEVANCE_WEIGHTS for each place (subject, contact, body) where some word starts with it. */
function scoreExpression(words: string[]): unknown {
  const startsWith = (field: string, word: string) => ({
    $anyElementTrue: [
      {
        $map: {
          input: { $ifNull: [`$${field}`, []] },
          as: 'w',
          in: { $eq: [{ $substrCP: ['$$w', 0, [...word].length] }, { $literal: word }] },
        },
      },
    ],
  });
  const terms = words.flatMap((word) => [
    { $cond: [startsWith('subjectWords', word), RELEVANCE_WEIGHTS.subject, 0] },
    { $cond: [startsWith('contactWords', word), RELEVANCE_WEIGHTS.contact, 0] },
    { $cond: [startsWith('bodyWords', word), RELEVANCE_WEIGHTS.body, 0] },
  ]);
  return terms.length === 0 ? { $literal: 0 } : { $add: terms };
}

function assigneeIds(docs: ConversationDoc[]): string[] {
  return docs.flatMap((doc) => (doc.assignee?.type === 'agent' ? [doc.assignee.id] : []));
}

function toSummary(doc: ConversationDoc, names: Map<string, string>): ConversationSummary {
  return summaryOf(doc, (id) => displayName(id, names.get(id) ?? null));
}

function toMessage(message: MessageRecord, conversationChannel: Channel, inboxAddress: string, nameOf: (id: string) => string): MessageView {
  const outbound = message.direction === 'out';
  const delivery = message.delivery;
  return {
    id: message._id,
    direction: message.direction,
    channel: message.channel ?? conversationChannel,
    from: outbound ? { address: inboxAddress, name: nameOf(message.authorId ?? 'system') } : (message.from ?? { address: '' }),
    to: message.to,
    subject: message.subject,
    text: message.text,
    html: message.html ?? null,
    attachments: message.attachments ?? [],
    at: message.at,
    delivery: outbound ? deliveryView(delivery ?? null, message.receipt ?? null) : null,
    authorId: message.authorId ?? null,
    kind: outbound ? (message.kind ?? 'reply') : null,
    ...(message.choices?.length ? { choices: message.choices.map(({ id, label }) => ({ id, label })) } : {}),
    ...(message.reactions?.length ? { reactions: message.reactions.map(({ emoji, from, at }) => ({ emoji, from, at })) } : {}),
    ...(message.fields?.length ? { fields: message.fields } : {}),
    ...(message.template ? { template: message.template } : {}),
    ...(message.cc?.length ? { cc: message.cc } : {}),
  };
}

/** Authors are agents (names kept after removal) or the system itself. */
export function displayName(id: string, name: string | null): string {
  if (name !== null) return name;
  if (id.startsWith('bot:')) return 'Bot';
  return id === 'system' ? 'System' : 'Unknown agent';
}

function toAgent(agent: AgentDocument): AgentRecord {
  return {
    id: agent._id,
    name: agent.name,
    email: agent.email,
    role: agent.role,
    availability: agent.availability,
    passwordHash: agent.passwordHash,
    createdAt: agent.createdAt,
    endedSessions: (agent.endedSessions ?? []).map((s) => s.id),
    language: agent.language ?? null,
    timeZone: agent.timeZone ?? null,
    online: agent.online ?? false,
    onlineChangedAt: agent.onlineChangedAt ?? null,
  };
}

function toInbox(inbox: InboxDocument): InboxRecord {
  return {
    id: inbox._id,
    name: inbox.name,
    emailAddress: inbox.emailAddress ?? null,
    isDefault: inbox.isDefault === true,
    memberIds: inbox.memberIds ?? [],
    createdAt: inbox.createdAt,
    routing: inbox.routing ?? DEFAULT_ROUTING,
    businessHours: inbox.businessHours ?? DEFAULT_BUSINESS_HOURS,
  };
}

function toCustomView(view: CustomViewDocument): CustomViewRecord {
  return { id: view._id, inboxId: view.inboxId, name: view.name, filters: view.filters ?? {}, createdBy: view.createdBy, createdAt: view.createdAt };
}

function toChannelConnection(connection: ChannelConnectionDocument): ChannelConnectionRecord {
  return {
    id: connection._id,
    inboxId: connection.inboxId,
    type: connection.type,
    name: connection.name,
    settings: connection.settings ?? {},
    secretKeys: connection.secretKeys ?? [],
    createdBy: connection.createdBy ?? null,
    createdAt: connection.createdAt,
    updatedAt: connection.updatedAt,
  };
}

// ---- cursors: opaque base64url JSON, checked on the way back in -------------------------------

export function encodeViewCursor(lastReceivedAt: string, id: string): string {
  return Buffer.from(JSON.stringify([lastReceivedAt, id]), 'utf8').toString('base64url');
}

export function decodeViewCursor(cursor: string): [string, string] {
  const value = parseCursor(cursor);
  if (Array.isArray(value) && value.length === 2 && value.every((part) => typeof part === 'string')) return [value[0] as string, value[1] as string];
  throw new InvalidCursorError(cursor);
}

type TimeCursor = { kind: 't'; lra: string; k: number };
type RelevanceCursor = { kind: 'r'; score: number; k: number };

export function encodeSearchCursor(cursor: TimeCursor | RelevanceCursor): string {
  const value = cursor.kind === 'r' ? ['r', cursor.score, cursor.k] : ['t', cursor.lra, cursor.k];
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
}

/** A cursor of a previous page of the same order (relevance 'r', time 't'), or InvalidCursorError. */
export function decodeSearchCursor(cursor: string, kind: 'r' | 't'): TimeCursor | RelevanceCursor {
  const value = parseCursor(cursor);
  if (Array.isArray(value) && value.length === 3 && value[0] === kind && Number.isSafeInteger(value[2])) {
    if (kind === 'r' && typeof value[1] === 'number' && Number.isFinite(value[1])) return { kind, score: value[1], k: value[2] as number };
    if (kind === 't' && typeof value[1] === 'string') return { kind, lra: value[1], k: value[2] as number };
  }
  throw new InvalidCursorError(cursor);
}

function parseCursor(cursor: string): unknown {
  try {
    return JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new InvalidCursorError(cursor);
  }
}
