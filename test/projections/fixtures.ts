import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Database } from 'better-sqlite3';
import pino, { type Logger } from 'pino';
import type { EventStore, NewEvent, RecordedEvent } from '../../src/application/ports/event-store.port';
import type { Actor } from '../../src/domain/shared/actor';
import type { Assignee, Channel, Party } from '../../src/domain/shared/types';
import { SqliteEventStore } from '../../src/infrastructure/event-store/sqlite-event-store';
import { createSqliteReadSide, type SqliteReadSide } from '../../src/infrastructure/read-store/sqlite-read-side';
import { databaseFile, openDatabase } from '../../src/infrastructure/sqlite/open-database';

/** Shared helpers of the read-side suites: a real event store file, event builders, table dumps. */

const tempDirs: string[] = [];
const cleanups: Array<() => Promise<void> | void> = [];

export async function cleanUp(): Promise<void> {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
}

export function cleanUpTempDirs(): void {
  for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

export function newDataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'parley-read-side-'));
  tempDirs.push(dir);
  return dir;
}

export interface LogLine {
  level: number;
  msg: string;
  [field: string]: unknown;
}

/** A pino logger whose lines are kept for assertions. */
export function capturingLogger(): { logger: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => void lines.push(JSON.parse(line) as LogLine) });
  return { logger, lines };
}

/** The event log on its FULL connection, as the app opens it. */
export function openEventStore(file = databaseFile(newDataDir())): { store: SqliteEventStore; file: string } {
  const db = openDatabase(file, { synchronous: 'FULL' });
  const store = new SqliteEventStore(db, { pollIntervalMs: 20 });
  cleanups.push(async () => {
    await store.close();
    db.close();
  });
  return { store, file };
}

/** The read side on its own NORMAL connection to `file` (the event file, or an empty one for replays). */
export function openReadSide(
  file: string,
  eventStore: EventStore,
  options: { logger?: Logger; batchSize?: number; retryDelayMs?: { initial: number; max: number } } = {},
): SqliteReadSide & { db: Database } {
  const db = openDatabase(file, { synchronous: 'NORMAL' });
  const readSide = createSqliteReadSide({
    db,
    eventStore,
    logger: options.logger ?? pino({ level: 'silent' }),
    runner: { batchSize: options.batchSize, retryDelayMs: options.retryDelayMs ?? { initial: 5, max: 50 } },
  });
  cleanups.push(async () => {
    await readSide.runner.stop();
    db.close();
  });
  return { ...readSide, db };
}

/** Event store and read side on one file, the runner started. */
export function openLiveSystem(options: Parameters<typeof openReadSide>[2] = {}) {
  const { store, file } = openEventStore();
  const readSide = openReadSide(file, store, options);
  readSide.runner.start();
  const caughtUp = async () => {
    const head = await store.headPosition();
    if (!(await readSide.runner.waitFor(head, 10_000))) throw new Error(`projections did not reach ${head}`);
  };
  return { store, file, ...readSide, caughtUp };
}

export const READ_MODEL_TABLES = [
  'rm_conversations',
  'view_membership',
  'view_counts',
  'rm_messages',
  'rm_comments',
  'rm_agents',
  'rm_agent_names',
  'rm_inboxes',
  'rm_inbox_members',
  'rm_blocked_senders',
];

/** Every row of every read-model table, in a stable order. */
export function dumpReadModels(db: Database): Record<string, unknown[]> {
  return Object.fromEntries(READ_MODEL_TABLES.map((table) => [table, db.prepare(`SELECT * FROM ${table}`).all().map(stable).sort()]));
}

function stable(row: unknown): string {
  return JSON.stringify(Object.entries(row as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)));
}

// ---- events -----------------------------------------------------------------------------------

export const T0 = Date.parse('2025-03-01T09:00:00.000Z');
export const at = (minutes: number) => new Date(T0 + minutes * 60_000).toISOString();

export function newEvent(type: string, data: object, options: { occurredAt?: string; actor?: Actor } = {}): NewEvent {
  return {
    id: randomUUID(),
    type,
    data: data as Record<string, unknown>,
    metadata: {
      actor: options.actor ?? { type: 'system' },
      occurredAt: options.occurredAt ?? at(0),
      correlationId: randomUUID(),
      causationId: randomUUID(),
    },
  };
}

/** A RecordedEvent for the pure functions, without a store. */
export function recorded(event: NewEvent, streamId: string, revision: number, position: number): RecordedEvent {
  return { ...event, streamId, revision, position, metadata: { ...event.metadata, prevHash: '', hash: '' } };
}

export interface StartOptions {
  conversationId?: string;
  inboxId: string;
  channel?: Channel;
  origin?: 'inbound' | 'outbound';
  contact?: { id?: string; address: string; name?: string };
  subject?: string;
  startedAt?: string;
}

export const conversationEvent = {
  started: (o: StartOptions) =>
    newEvent('ConversationStarted', {
      conversationId: o.conversationId ?? randomUUID(),
      inboxId: o.inboxId,
      channel: o.channel ?? 'email',
      origin: o.origin ?? 'inbound',
      externalThreadId: randomUUID(),
      contact: { id: o.contact?.id ?? randomUUID(), address: o.contact?.address ?? 'ana@example.com', ...(o.contact?.name ? { name: o.contact.name } : {}) },
      subject: o.subject ?? 'Order 1234',
      startedAt: o.startedAt ?? at(0),
    }),
  received: (o: { receivedAt: string; text?: string; from?: Party; messageId?: string }) =>
    newEvent('MessageReceived', {
      messageId: o.messageId ?? randomUUID(),
      externalMessageId: randomUUID(),
      from: o.from ?? { address: 'ana@example.com', name: 'Ana' },
      to: [{ address: 'support@acme.test' }],
      subject: 'Order 1234',
      text: o.text ?? 'Where is my order?',
      attachments: [],
      receivedAt: o.receivedAt,
    }),
  replied: (o: { authorId: string; text?: string; to?: Party[]; messageId?: string; queuedAt?: string; channel?: Channel }) =>
    newEvent('ReplyQueued', {
      messageId: o.messageId ?? randomUUID(),
      authorId: o.authorId,
      channel: o.channel ?? 'email',
      to: o.to ?? [{ address: 'ana@example.com' }],
      subject: 'Re: Order 1234',
      text: o.text ?? 'It ships today.',
      queuedAt: o.queuedAt ?? at(1),
    }),
  /** A chat's transcript emailed (rule 12): by the system on close (no author), or a copy an agent asked for. */
  transcriptSent: (o: { messageId: string; authorId?: string; to?: Party[] }) =>
    newEvent('TranscriptSent', {
      messageId: o.messageId,
      ...(o.authorId ? { authorId: o.authorId } : {}),
      channel: 'email',
      to: o.to ?? [{ address: 'ana@example.com' }],
      reason: o.authorId ? 'requested' : 'closed',
      subject: 'Transcript of your chat with Support',
      text: 'Ana: Hello\nBo: Hi',
      html: '<p>Ana: Hello</p>',
      sentAt: at(3),
    }),
  delivered: (messageId: string) => newEvent('ReplyDelivered', { messageId, deliveredAt: at(2) }),
  deliveryFailed: (messageId: string, retryable: boolean, reason = 'relay refused') =>
    newEvent('ReplyDeliveryFailed', { messageId, reason, retryable, attempt: 1, failedAt: at(2) }),
  assigned: (assignee: Exclude<Assignee, null>) => newEvent('ConversationAssigned', { assignee, previous: null }),
  unassigned: (previous: Exclude<Assignee, null>) => newEvent('ConversationUnassigned', { previous, reason: 'manual' }),
  closed: () => newEvent('ConversationClosed', { closedAt: at(5) }),
  reopened: () => newEvent('ConversationReopened', { reason: 'agent', reopenedAt: at(6) }),
  commented: (authorId: string, text = 'Looks like a refund', commentId: string = randomUUID()) =>
    newEvent('CommentAdded', { commentId, authorId, text, mentions: [], at: at(3) }),
  spam: () => newEvent('ConversationMarkedAsSpam', { reason: 'agent' }),
  notSpam: () => newEvent('ConversationMarkedAsNotSpam', {}),
  filtered: (address: string) => newEvent('ConversationFiltered', { address, reason: 'sender-blocked' }),
  unfiltered: (address: string) => newEvent('ConversationUnfiltered', { address }),
  trashed: (trashedAt = at(10), purgeAfter = at(10 + 30 * 24 * 60)) => newEvent('ConversationTrashed', { trashedAt, purgeAfter }),
  restored: () => newEvent('ConversationRestored', { reason: 'agent' }),
  deleted: () => newEvent('ConversationDeleted', { reason: 'agent' }),
  ticketCreated: (ticketId: string, name = 'Refund') => newEvent('TicketCreated', { ticketId, name }),
  ticketClosed: (ticketId: string) => newEvent('TicketClosed', { ticketId }),
  ticketDeleted: (ticketId: string) => newEvent('TicketDeleted', { ticketId, reason: 'sender-blocked' }),
  contactUnlinked: (contactId: string) => newEvent('ContactUnlinked', { contactId }),
  botHandoff: () => newEvent('BotHandoffRequested', { at: at(4) }),
};

export const agentEvent = {
  registered: (agentId: string, name: string, email: string, role: 'admin' | 'agent' = 'agent') =>
    newEvent('AgentRegistered', { agentId, name, email, role, passwordHash: `scrypt$${name}` }),
  updated: (data: { name?: string; role?: 'admin' | 'agent' }) => newEvent('AgentUpdated', data),
  passwordChanged: (passwordHash: string) => newEvent('AgentPasswordChanged', { passwordHash }),
  availability: (availability: 'available' | 'away') => newEvent('AgentAvailabilityChanged', { availability }),
  preferences: (data: { language?: 'en' | 'nl' | null; timeZone?: string | null }) => newEvent('AgentPreferencesChanged', data),
  removed: (agentId: string) => newEvent('AgentRemoved', { agentId }),
  sessionEnded: (sessionId: string, expiresAt: string, occurredAt = at(0)) => newEvent('AgentSessionEnded', { sessionId, expiresAt }, { occurredAt }),
};

export const inboxEvent = {
  created: (inboxId: string, name: string, emailAddress: string | null, isDefault = false) =>
    newEvent('InboxCreated', { inboxId, name, emailAddress, isDefault }),
  updated: (data: { name?: string; emailAddress?: string | null }) => newEvent('InboxUpdated', data),
  membersSet: (agentIds: string[]) => newEvent('InboxMembersSet', { agentIds }),
};

export const senderEvent = {
  blocked: (inboxId: string, address: string, conversationId: string | null = null) => newEvent('SenderBlocked', { inboxId, address, conversationId }),
  unblocked: (inboxId: string, address: string) => newEvent('SenderUnblocked', { inboxId, address }),
};

/** Appends to a stream without a revision check (tests build their own histories). */
export async function append(store: EventStore, streamId: string, ...events: NewEvent[]): Promise<number> {
  const result = await store.append(streamId, events, { expectedRevision: 'any' });
  return result.position;
}

/** Seeded PRNG (mulberry32): a failing random sequence can be replayed from its seed. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
