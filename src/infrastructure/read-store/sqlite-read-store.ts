import type { Database } from 'better-sqlite3';
import {
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
} from '../../application/ports/read-store.port';
import { InvalidCursorError } from '../../application/ports/read-store.port';
import type { ConversationFilters } from '../../application/search/conversation-filters';
import type { SavedFilters } from '../../domain/custom-view/custom-view.events';
import type { BusinessHours, RoutingSettings } from '../../domain/inbox/inbox.events';
import type { Channel, Party } from '../../domain/shared/types';
import { normalizeAddress } from '../../domain/shared/address';
import { summaryOf } from '../../projections/conversation-at';
import { deliveryView } from '../../projections/thread-receipts';
import { normalizeTime, type ConversationDoc } from '../../projections/conversation-summary';
import { statement } from '../../projections/sqlite/statements';
import { activeBotFor, activeBotRows, botNames, findBotByTokenHash, getBot, isBotAuthor, listBots } from './sqlite-bots';
import { getChannelConnection, listChannelConnections } from './sqlite-channel-connections';
import { countUnreadNotifications, listNotifications } from './sqlite-notifications';
import { sqliteReportFacts } from './sqlite-reports';
import type { ReportFacts, ReportFactsQuery } from '../../application/reports/report-facts';
import { SqliteConversationSearch } from './sqlite-conversation-search';

/** A list cursor that this server did not issue (or that was altered): a 400 for the caller. */
export { InvalidCursorError };

export const MAX_PAGE_SIZE = 500;

interface SummaryRow {
  doc: string;
  assignee_name: string | null;
}

interface MessageRow {
  id: string;
  direction: 'in' | 'out';
  channel: Channel | null;
  from_party: string | null;
  to_parties: string;
  subject: string;
  text: string;
  html: string | null;
  attachments: string;
  at: string;
  author_id: string | null;
  author_name: string | null;
  delivery_status: 'queued' | 'delivered' | 'failed' | 'retrying' | null;
  delivery_reason: string | null;
  kind: 'reply' | 'forward' | 'transcript' | null;
  /** A bot's buttons, JSON (thread projection version 3). */
  choices: string | null;
  /** What the channel reported of a reply, and the contact's reactions, fields and template, JSON (thread projection version 4). */
  receipt_status: 'failed' | 'delivered' | 'read' | null;
  receipt_reason: string | null;
  receipt_at: string | null;
  reactions: string | null;
  fields: string | null;
  template: string | null;
  /** Who the message copied, JSON (thread projection version 5). */
  cc: string | null;
}

interface CommentRow {
  id: string;
  author_id: string;
  author_name: string | null;
  text: string;
  mentions: string;
  at: string;
}

interface AgentRow {
  id: string;
  name: string;
  email: string;
  role: AgentRecord['role'];
  availability: AgentRecord['availability'];
  password_hash: string;
  created_at: string;
  ended_sessions: string;
  language: AgentRecord['language'];
  time_zone: string | null;
  online: number;
  online_changed_at: string | null;
}

interface InboxRow {
  id: string;
  name: string;
  email_address: string | null;
  is_default: number;
  created_at: string;
  routing: string;
  business_hours: string;
}

const SUMMARY_SELECT = `SELECT c.doc AS doc, n.name AS assignee_name
  FROM rm_conversations c LEFT JOIN rm_agent_names n ON n.id = c.assignee_agent_id`;

function pageSelect(keysetCondition: string, order: 'ASC' | 'DESC'): string {
  return `SELECT c.doc AS doc, n.name AS assignee_name
    FROM view_membership m
    JOIN rm_conversations c ON c.id = m.conversation_id
    LEFT JOIN rm_agent_names n ON n.id = c.assignee_agent_id
    WHERE m.inbox_id = ? AND m.view_id = ? AND m.agent_id = ? ${keysetCondition}
    ORDER BY m.last_received_at ${order}, m.conversation_id ${order} LIMIT ?`;
}

/**
 * Every query, by name (the query-plan test checks that each one uses an index).
 * Keyset pages: the ORDER BY is the view_membership primary key, read forwards or backwards.
 */
export const SQL = {
  summary: `${SUMMARY_SELECT} WHERE c.id = ?`,
  pageNewestFirst: pageSelect('', 'DESC'),
  pageNewestAfter: pageSelect('AND (m.last_received_at, m.conversation_id) < (?, ?)', 'DESC'),
  pageOldestFirst: pageSelect('', 'ASC'),
  pageOldestAfter: pageSelect('AND (m.last_received_at, m.conversation_id) > (?, ?)', 'ASC'),
  viewCounts: `SELECT view_id, count FROM view_counts
    WHERE inbox_id = ? AND (agent_id = '' OR (view_id = 'assigned-to-me' AND agent_id = ?))`,
  // A bot's reply (author `bot:<botId>`) shows the bot's name.
  messages: `SELECT m.*, COALESCE(n.name, b.name) AS author_name FROM rm_messages m LEFT JOIN rm_agent_names n ON n.id = m.author_id
    LEFT JOIN rm_bots b ON m.author_id LIKE 'bot:%' AND b.id = substr(m.author_id, 5)
    WHERE m.conversation_id = ? ORDER BY m.position`,
  comments: `SELECT c.id, c.author_id, n.name AS author_name, c.text, c.mentions, c.at
    FROM rm_comments c LEFT JOIN rm_agent_names n ON n.id = c.author_id
    WHERE c.conversation_id = ? ORDER BY c.position`,
  assignedTo: 'SELECT id FROM rm_conversations WHERE assignee_agent_id = ?',
  filteredBy: 'SELECT id FROM rm_conversations WHERE inbox_id = ? AND blocked_address = ?',
  toPurge: 'SELECT id FROM rm_conversations WHERE purge_after <= ? ORDER BY purge_after LIMIT ?',
  agents: 'SELECT * FROM rm_agents ORDER BY created_at, id',
  agent: 'SELECT * FROM rm_agents WHERE id = ?',
  agentByEmail: 'SELECT * FROM rm_agents WHERE email_lower = ? ORDER BY created_at LIMIT 1',
  agentCount: 'SELECT COUNT(*) AS n FROM rm_agents',
  agentNames: 'SELECT id, name FROM rm_agent_names WHERE id IN (SELECT value FROM json_each(?))',
  inboxes: 'SELECT * FROM rm_inboxes ORDER BY created_at, id',
  allInboxMembers: 'SELECT inbox_id, agent_id FROM rm_inbox_members ORDER BY inbox_id, ordinal',
  inbox: 'SELECT * FROM rm_inboxes WHERE id = ?',
  inboxAddress: 'SELECT email_address FROM rm_inboxes WHERE id = ?',
  inboxMembers: 'SELECT agent_id AS id FROM rm_inbox_members WHERE inbox_id = ? ORDER BY ordinal',
  defaultInbox: 'SELECT * FROM rm_inboxes WHERE is_default = 1 ORDER BY created_at, id LIMIT 1',
  inboxByEmail: 'SELECT * FROM rm_inboxes WHERE email_lower = ? ORDER BY created_at, id LIMIT 1',
  senderBlocked: 'SELECT 1 AS blocked FROM rm_blocked_senders WHERE inbox_id = ? AND address = ?',
  blockedSenders: 'SELECT inbox_id, address, blocked_at FROM rm_blocked_senders WHERE inbox_id = ? ORDER BY blocked_at, address',
  customViews: 'SELECT * FROM rm_custom_views WHERE inbox_id = ? ORDER BY position',
  customView: 'SELECT * FROM rm_custom_views WHERE id = ?',
  processorCheckpoint: 'SELECT position FROM processor_checkpoints WHERE name = ?',
  saveProcessorCheckpoint: 'INSERT INTO processor_checkpoints (name, position) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET position = excluded.position',
} as const;

/** Rows kept per read-model generation (inboxes, agents): bounds a flood of unknown ids. */
const MAX_KEPT = 1_000;

/**
 * The ReadStore port over the embedded read models (see src/projections/sqlite). Every list and
 * count is an index range or key lookup; agent names are joined at read time.
 * Also keeps the process managers' checkpoints (ProcessorCheckpoints port).
 */
export class SqliteReadStore implements ReadStore {
  /**
   * `beforeSearch`: awaited before every query over the search index, which the projections may
   * update later than the other read models (projection-lanes.ts).
   * `generation`: the position of the lane that writes every read model but the search index, when
   * that lane is their only writer (the embedded file, claimed by one process): it then moves with
   * every batch that could change them, and the answers below are kept until it does. Without it
   * nothing is kept.
   */
  constructor(
    private readonly db: Database,
    private readonly options: { beforeSearch?: () => Promise<unknown>; generation?: () => number } = {},
  ) {
    db.exec('CREATE TABLE IF NOT EXISTS processor_checkpoints (name TEXT PRIMARY KEY, position INTEGER NOT NULL)');
  }

  /**
   * Rows as last read, while the read models stay at `keptAt`: every message asks for its inbox
   * (two queries) and every request for its session's agent. An event that changes them (an agent
   * removed or logged out, an inbox's members set) is applied in a batch that moves the generation,
   * so the next request reads them again: the change takes effect at once, as without this.
   */
  private readonly kept = new Map<string, unknown>();
  private keptAt = -1;

  async getConversationSummary(id: string): Promise<ConversationSummary | null> {
    const row = this.get<SummaryRow>(SQL.summary, id);
    return row ? toSummary(row) : null;
  }

  async getConversation(id: string): Promise<ConversationDetail | null> {
    const row = this.get<SummaryRow>(SQL.summary, id);
    if (!row) return null;
    const doc = JSON.parse(row.doc) as ConversationDoc;
    return { ...toSummary(row), messages: this.messagesOf(doc), comments: this.commentsOf(id) };
  }

  async listView(query: ListViewQuery): Promise<Page<ConversationSummary>> {
    const limit = Math.max(1, Math.min(MAX_PAGE_SIZE, Math.floor(query.limit)));
    const agentId = query.viewId === 'assigned-to-me' ? query.agentId : '';
    const oldest = query.sort === 'oldest';
    const key = [query.inboxId, query.viewId, agentId];
    const rows = query.cursor
      ? this.all<SummaryRow>(oldest ? SQL.pageOldestAfter : SQL.pageNewestAfter, ...key, ...decodeCursor(query.cursor), limit + 1)
      : this.all<SummaryRow>(oldest ? SQL.pageOldestFirst : SQL.pageNewestFirst, ...key, limit + 1);
    const items = rows.slice(0, limit).map(toSummary);
    const last = items[items.length - 1];
    return { items, nextCursor: rows.length > limit ? encodeCursor(last.lastReceivedAt, last.id) : null };
  }

  async countViews(inboxId: string, agentId: string): Promise<Record<BuiltInViewId, number>> {
    const counts = Object.fromEntries(VIEW_IDS.map((viewId) => [viewId, 0])) as Record<BuiltInViewId, number>;
    const rows = this.all<{ view_id: BuiltInViewId; count: number }>(SQL.viewCounts, inboxId, agentId);
    for (const row of rows) if (row.view_id in counts) counts[row.view_id] = row.count;
    return counts;
  }

  async conversationIdsAssignedTo(agentId: string): Promise<string[]> {
    return this.ids(SQL.assignedTo, agentId);
  }

  async filteredConversationIds(inboxId: string, address: string): Promise<string[]> {
    return this.ids(SQL.filteredBy, inboxId, normalizeAddress(address));
  }

  async conversationIdsToPurge(now: string, limit: number): Promise<string[]> {
    return this.ids(SQL.toPurge, normalizeTime(now), limit);
  }

  async listAgents(): Promise<AgentRecord[]> {
    return this.all<AgentRow>(SQL.agents).map(toAgent);
  }

  async getAgent(id: string): Promise<AgentRecord | null> {
    const row = this.keep(`agent:${id}`, () => this.get<AgentRow>(SQL.agent, id) ?? null);
    return row ? toAgent(row) : null;
  }

  async getAgentByEmail(email: string): Promise<AgentRecord | null> {
    const row = this.get<AgentRow>(SQL.agentByEmail, email.trim().toLowerCase());
    return row ? toAgent(row) : null;
  }

  async agentDisplayNames(ids: readonly string[]): Promise<Map<string, string>> {
    const known = new Map(this.all<{ id: string; name: string }>(SQL.agentNames, JSON.stringify(ids)).map((row) => [row.id, row.name]));
    for (const [id, name] of botNames(this.db, ids)) known.set(id, name);
    return new Map(ids.map((id) => [id, displayName(id, known.get(id) ?? null)]));
  }

  async countAgents(): Promise<number> {
    return this.get<{ n: number }>(SQL.agentCount)?.n ?? 0;
  }

  async listInboxes(): Promise<InboxRecord[]> {
    const rows = this.all<InboxRow>(SQL.inboxes);
    const members = this.all<{ inbox_id: string; agent_id: string }>(SQL.allInboxMembers);
    const byInbox = new Map<string, string[]>();
    for (const { inbox_id, agent_id } of members) byInbox.set(inbox_id, [...(byInbox.get(inbox_id) ?? []), agent_id]);
    return rows.map((row) => toInbox(row, byInbox.get(row.id) ?? []));
  }

  async getInbox(id: string): Promise<InboxRecord | null> {
    return this.keptInbox(`id:${id}`, SQL.inbox, id);
  }

  async getDefaultInbox(): Promise<InboxRecord | null> {
    return this.keptInbox('default', SQL.defaultInbox);
  }

  async getInboxByEmailAddress(address: string): Promise<InboxRecord | null> {
    const key = address.trim().toLowerCase();
    return this.inboxWithMembers(this.get<InboxRow>(SQL.inboxByEmail, key));
  }

  async isSenderBlocked(inboxId: string, address: string): Promise<boolean> {
    const row = this.get(SQL.senderBlocked, inboxId, normalizeAddress(address));
    return row !== undefined;
  }

  async listBlockedSenders(inboxId: string): Promise<BlockedSenderRecord[]> {
    return this.all<{ inbox_id: string; address: string; blocked_at: string }>(SQL.blockedSenders, inboxId).map((row) => ({
      inboxId: row.inbox_id,
      address: row.address,
      blockedAt: row.blocked_at,
    }));
  }

  /** Text and filters over the `search` read model (see sqlite-conversation-search.ts for the query plans). */
  async searchConversations(query: ConversationSearch): Promise<Page<ConversationSummary>> {
    await this.options.beforeSearch?.();
    const { ids, nextCursor } = this.conversationSearch.page(query);
    const items = ids.map((id) => this.get<SummaryRow>(SQL.summary, id)).filter((row): row is SummaryRow => row !== undefined);
    return { items: items.map(toSummary), nextCursor };
  }

  async countConversations({ inboxId, filters }: { inboxId: string; filters: ConversationFilters }): Promise<number> {
    await this.options.beforeSearch?.();
    return this.conversationSearch.count(inboxId, filters);
  }

  async listCustomViews(inboxId: string): Promise<CustomViewRecord[]> {
    return this.all<CustomViewRow>(SQL.customViews, inboxId).map(toCustomView);
  }

  async getCustomView(id: string): Promise<CustomViewRecord | null> {
    const row = this.get<CustomViewRow>(SQL.customView, id);
    return row ? toCustomView(row) : null;
  }

  async listChannelConnections(filter: { inboxId?: string; type?: string }): Promise<ChannelConnectionRecord[]> {
    return listChannelConnections(this.db, filter);
  }

  async getChannelConnection(id: string): Promise<ChannelConnectionRecord | null> {
    return getChannelConnection(this.db, id);
  }

  async listNotifications(agentId: string, limit: number, inboxIds?: readonly string[]): Promise<NotificationRecord[]> {
    return listNotifications(this.db, agentId, limit, inboxIds);
  }

  async countUnreadNotifications(agentId: string, inboxIds?: readonly string[]): Promise<number> {
    return countUnreadNotifications(this.db, agentId, inboxIds);
  }

  async reportFacts(query: ReportFactsQuery): Promise<ReportFacts> {
    return sqliteReportFacts(this.db, query);
  }

  async listBots(inboxId: string): Promise<BotRecord[]> {
    return listBots(this.db, inboxId);
  }

  async getBot(botId: string): Promise<BotRecord | null> {
    return getBot(this.db, botId);
  }

  /** Asked for every new conversation: kept as the inboxes are (activating or removing a bot moves the read models). */
  async findActiveBot(inboxId: string, channel: string): Promise<BotRecord | null> {
    return activeBotFor(
      this.keep(`bots:${inboxId}`, () => activeBotRows(this.db, inboxId)),
      channel,
    );
  }

  async anyBotEver(): Promise<boolean> {
    return this.keep('any-bot', () => statement(this.db, 'SELECT 1 FROM rm_bots LIMIT 1').get() !== undefined);
  }

  async findBotByTokenHash(tokenHash: string): Promise<BotRecord | null> {
    return findBotByTokenHash(this.db, tokenHash);
  }

  private get conversationSearch(): SqliteConversationSearch {
    return (this.searchIndex ??= new SqliteConversationSearch(this.db));
  }

  private searchIndex?: SqliteConversationSearch;

  /** How far a process manager has read the log (0 when it never ran). */
  getProcessorCheckpoint(name: string): number {
    return this.get<{ position: number }>(SQL.processorCheckpoint, name)?.position ?? 0;
  }

  saveProcessorCheckpoint(name: string, position: number): void {
    statement(this.db, SQL.saveProcessorCheckpoint).run(name, position);
  }

  /** One transaction for them all: a commit per manager was most of what checkpoints cost. */
  saveProcessorCheckpoints(entries: ReadonlyArray<readonly [name: string, position: number]>): void {
    this.saveCheckpoints ??= this.db.transaction((all: ReadonlyArray<readonly [string, number]>) => {
      const save = statement(this.db, SQL.saveProcessorCheckpoint);
      for (const [name, position] of all) save.run(name, position);
    });
    this.saveCheckpoints(entries);
  }

  private saveCheckpoints?: (entries: ReadonlyArray<readonly [string, number]>) => void;

  private messagesOf(doc: ConversationDoc): MessageView[] {
    const inbox = this.get<{ email_address: string | null }>(SQL.inboxAddress, doc.inboxId);
    const rows = this.all<MessageRow>(SQL.messages, doc.id);
    return rows.map((row) => toMessage(row, doc.channel, inbox?.email_address ?? ''));
  }

  private commentsOf(conversationId: string): CommentView[] {
    return this.all<CommentRow>(SQL.comments, conversationId).map((row) => ({
      id: row.id,
      author: { id: row.author_id, name: displayName(row.author_id, row.author_name) },
      text: row.text,
      mentions: JSON.parse(row.mentions) as string[],
      at: row.at,
    }));
  }

  /** As inboxWithMembers over `sql`, from what was kept while the read models have not moved. */
  private keptInbox(key: string, sql: string, ...params: unknown[]): InboxRecord | null {
    const kept = this.keep(key, () => {
      const row = this.get<InboxRow>(sql, ...params);
      return row ? { row, members: this.ids(SQL.inboxMembers, row.id) } : null;
    });
    // A fresh record each time, as a query would give: callers may change theirs.
    return kept ? toInbox(kept.row, [...kept.members]) : null;
  }

  /** `load()`'s answer, read again only once the read models moved (always, without a generation). */
  private keep<T>(key: string, load: () => T): T {
    const generation = this.options.generation?.();
    if (generation === undefined) return load();
    if (generation !== this.keptAt) {
      this.kept.clear();
      this.keptAt = generation;
    }
    if (this.kept.has(key)) return this.kept.get(key) as T;
    const value = load();
    if (this.kept.size >= MAX_KEPT) this.kept.clear();
    this.kept.set(key, value);
    return value;
  }

  private inboxWithMembers(row: InboxRow | undefined): InboxRecord | null {
    if (!row) return null;
    const members = this.ids(SQL.inboxMembers, row.id);
    return toInbox(row, members);
  }

  private get<T>(sql: string, ...params: unknown[]): T | undefined {
    return statement(this.db, sql).get(...params) as T | undefined;
  }

  private all<T>(sql: string, ...params: unknown[]): T[] {
    return statement(this.db, sql).all(...params) as T[];
  }

  private ids(sql: string, ...params: unknown[]): string[] {
    return this.all<{ id: string }>(sql, ...params).map((row) => row.id);
  }
}

/** The row's document as the API's summary, with the assignee's name from the join. */
function toSummary(row: SummaryRow): ConversationSummary {
  return summaryOf(JSON.parse(row.doc) as ConversationDoc, (id) => displayName(id, row.assignee_name));
}

function toMessage(row: MessageRow, conversationChannel: Channel, inboxAddress: string): MessageView {
  const outbound = row.direction === 'out';
  const from: Party = outbound
    ? { address: inboxAddress, name: displayName(row.author_id ?? 'system', row.author_name) }
    : (JSON.parse(row.from_party ?? '{"address":""}') as Party);
  return {
    id: row.id,
    direction: row.direction,
    channel: row.channel ?? conversationChannel,
    from,
    to: JSON.parse(row.to_parties) as Party[],
    subject: row.subject,
    text: row.text,
    html: row.html,
    attachments: JSON.parse(row.attachments) as MessageView['attachments'],
    at: row.at,
    delivery: outbound ? deliveryOf(row) : null,
    authorId: row.author_id,
    kind: outbound ? (row.kind ?? 'reply') : null,
    ...(row.choices ? { choices: JSON.parse(row.choices) as NonNullable<MessageView['choices']> } : {}),
    ...(row.reactions ? { reactions: JSON.parse(row.reactions) as NonNullable<MessageView['reactions']> } : {}),
    ...(row.fields ? { fields: JSON.parse(row.fields) as NonNullable<MessageView['fields']> } : {}),
    ...(row.template ? { template: JSON.parse(row.template) as NonNullable<MessageView['template']> } : {}),
    ...(row.cc ? { cc: JSON.parse(row.cc) as Party[] } : {}),
  };
}

function deliveryOf(row: MessageRow): MessageView['delivery'] {
  const receipt = row.receipt_status === null ? null : { status: row.receipt_status, reason: row.receipt_reason, at: row.receipt_at ?? '' };
  return deliveryView(row.delivery_status === null ? null : { status: row.delivery_status, reason: row.delivery_reason }, receipt);
}

/** Authors are agents (names kept after removal) or the system itself. */
export function displayName(id: string, name: string | null): string {
  if (name !== null) return name;
  if (isBotAuthor(id)) return 'Bot';
  return id === 'system' ? 'System' : 'Unknown agent';
}

interface CustomViewRow {
  id: string;
  inbox_id: string;
  name: string;
  filters: string;
  created_by: string;
  created_at: string;
}

function toCustomView(row: CustomViewRow): CustomViewRecord {
  return {
    id: row.id,
    inboxId: row.inbox_id,
    name: row.name,
    filters: JSON.parse(row.filters) as SavedFilters,
    createdBy: row.created_by,
    createdAt: row.created_at,
  };
}

function toAgent(row: AgentRow): AgentRecord {
  return {
    id: row.id,
    name: row.name,
    email: row.email,
    role: row.role,
    availability: row.availability,
    passwordHash: row.password_hash,
    createdAt: row.created_at,
    endedSessions: (JSON.parse(row.ended_sessions) as Array<{ id: string }>).map((s) => s.id),
    language: row.language ?? null,
    timeZone: row.time_zone ?? null,
    online: row.online === 1,
    onlineChangedAt: row.online_changed_at ?? null,
  };
}

function toInbox(row: InboxRow, memberIds: string[]): InboxRecord {
  return {
    id: row.id,
    name: row.name,
    emailAddress: row.email_address,
    isDefault: row.is_default === 1,
    memberIds,
    createdAt: row.created_at,
    routing: JSON.parse(row.routing) as RoutingSettings,
    businessHours: JSON.parse(row.business_hours) as BusinessHours,
  };
}

export function encodeCursor(lastReceivedAt: string, id: string): string {
  return Buffer.from(JSON.stringify([lastReceivedAt, id]), 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string): [string, string] {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(value) && value.length === 2 && value.every((part) => typeof part === 'string')) {
      return [value[0] as string, value[1] as string];
    }
  } catch {
    // fall through: not JSON
  }
  throw new InvalidCursorError(cursor);
}
