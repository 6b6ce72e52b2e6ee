import type { Database } from 'better-sqlite3';
import type { RecordedEvent } from '../../application/ports/event-store.port';
import type { ConversationEvent, ConversationEventType } from '../../domain/conversation/conversation.events';
import type { SqliteProjection } from '../projection';
import { withReaction } from '../thread-receipts';
import type { ReactionView } from '../../application/ports/read-store.port';
import { idFromStream, statement } from './statements';
import { ERASED_ADDRESS, redactedValue } from '../../application/privacy/personal-fields';

const ERASED_FILENAME = redactedValue('filename') as string;

type DataOf<T extends ConversationEventType> = Extract<ConversationEvent, { type: T }>['data'];

/**
 * The messages (inbound and outbound, with delivery status) and internal comments of each
 * conversation, in log order. Inbound rows leave `channel` NULL (the conversation's channel) and
 * outbound rows leave `from_party` NULL (the inbox speaks): the read store fills both in.
 * Inserts are keyed by message / comment id, so every handler is idempotent.
 */
export const threadProjection: SqliteProjection = {
  name: 'thread',
  // 2: forwards are rows of the thread (kind); 3: a bot's buttons (choices); 4: channel receipts, reactions, fields, templates; 5: Cc
  version: 5,
  handles: [
    'MessageReceived',
    'ReplyQueued',
    'ConversationForwarded',
    'TranscriptSent',
    'ReplyDelivered',
    'ReplyDeliveryFailed',
    'ReplyStatusReported',
    'ReactionReceived',
    'CommentAdded',
    'ConversationDeleted',
    'PersonalDataErased',
  ],
  reset(tx) {
    tx.exec(`
      DROP TABLE IF EXISTS rm_messages;
      DROP TABLE IF EXISTS rm_comments;
      CREATE TABLE rm_messages (
        id TEXT PRIMARY KEY,
        conversation_id TEXT NOT NULL,
        position INTEGER NOT NULL,
        direction TEXT NOT NULL,
        channel TEXT,
        from_party TEXT,
        to_parties TEXT NOT NULL,
        subject TEXT NOT NULL,
        text TEXT NOT NULL,
        html TEXT,
        attachments TEXT NOT NULL,
        at TEXT NOT NULL,
        author_id TEXT,
        delivery_status TEXT,
        delivery_reason TEXT,
        kind TEXT,
        choices TEXT,
        receipt_status TEXT,
        receipt_reason TEXT,
        receipt_at TEXT,
        reactions TEXT,
        fields TEXT,
        template TEXT,
        cc TEXT
      );
      CREATE INDEX rm_messages_by_conversation ON rm_messages (conversation_id, position);
      CREATE TABLE rm_comments (
        id TEXT PRIMARY KEY,
        conversation_id TEXT NOT NULL,
        position INTEGER NOT NULL,
        author_id TEXT NOT NULL,
        text TEXT NOT NULL,
        mentions TEXT NOT NULL,
        at TEXT NOT NULL
      );
      CREATE INDEX rm_comments_by_conversation ON rm_comments (conversation_id, position);
    `);
  },
  apply(event, tx) {
    const conversationId = idFromStream(event.streamId, 'conversation-');
    const handler = handlers[event.type as keyof typeof handlers];
    handler?.(tx, conversationId, event as never);
  },
};

type Handler<T extends ConversationEventType> = (tx: Database, conversationId: string, event: RecordedEvent & { data: DataOf<T> }) => void;

const handlers: {
  [
    T in
      | 'MessageReceived'
      | 'ReplyQueued'
      | 'ConversationForwarded'
      | 'TranscriptSent'
      | 'ReplyDelivered'
      | 'ReplyDeliveryFailed'
      | 'ReplyStatusReported'
      | 'ReactionReceived'
      | 'CommentAdded'
      | 'ConversationDeleted'
      | 'PersonalDataErased'
  ]: Handler<T>;
} = {
  MessageReceived(tx, conversationId, { data, position }) {
    insertMessage(tx, {
      id: data.messageId,
      conversationId,
      position,
      direction: 'in',
      channel: null,
      from: JSON.stringify(data.from),
      to: JSON.stringify(data.to),
      subject: data.subject,
      text: data.text,
      html: data.html ?? null,
      attachments: JSON.stringify(data.attachments),
      at: data.receivedAt,
      authorId: null,
      deliveryStatus: null,
      kind: null,
      fields: data.fields?.length ? JSON.stringify(data.fields) : null,
      cc: data.cc?.length ? JSON.stringify(data.cc) : null,
    });
  },
  ReplyQueued(tx, conversationId, { data, position }) {
    insertMessage(tx, {
      ...outboundRow(conversationId, position, data, data.queuedAt, 'reply'),
      choices: data.choices?.length ? JSON.stringify(data.choices) : null,
      template: data.template ? JSON.stringify(data.template) : null,
      cc: data.cc?.length ? JSON.stringify(data.cc) : null,
    });
  },
  ConversationForwarded(tx, conversationId, { data, position }) {
    insertMessage(tx, outboundRow(conversationId, position, data, data.forwardedAt, 'forward'));
  },
  TranscriptSent(tx, conversationId, { data, position }) {
    insertMessage(tx, outboundRow(conversationId, position, data, data.sentAt, 'transcript'));
  },
  ReplyDelivered(tx, conversationId, { data }) {
    setDelivery(tx, conversationId, data.messageId, 'delivered', null);
  },
  ReplyDeliveryFailed(tx, conversationId, { data }) {
    setDelivery(tx, conversationId, data.messageId, data.retryable ? 'retrying' : 'failed', data.reason);
  },
  ReplyStatusReported(tx, conversationId, { data }) {
    // The domain records a receipt only when it moves the reply forward: the latest one stands.
    statement(tx, 'UPDATE rm_messages SET receipt_status = ?, receipt_reason = ?, receipt_at = ? WHERE id = ? AND conversation_id = ?').run(
      data.status,
      data.reason ?? null,
      data.at,
      data.messageId,
      conversationId,
    );
  },
  ReactionReceived(tx, conversationId, { data }) {
    const row = statement(tx, 'SELECT reactions FROM rm_messages WHERE id = ? AND conversation_id = ?').get(data.messageId, conversationId) as
      { reactions: string | null } | undefined;
    if (!row) return;
    const reactions = withReaction(row.reactions ? (JSON.parse(row.reactions) as ReactionView[]) : [], data);
    statement(tx, 'UPDATE rm_messages SET reactions = ? WHERE id = ? AND conversation_id = ?').run(
      reactions.length ? JSON.stringify(reactions) : null,
      data.messageId,
      conversationId,
    );
  },
  CommentAdded(tx, conversationId, { data, position }) {
    statement(
      tx,
      `INSERT OR IGNORE INTO rm_comments (id, conversation_id, position, author_id, text, mentions, at)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
    ).run(data.commentId, conversationId, position, data.authorId, data.text, JSON.stringify(data.mentions), data.at);
  },
  ConversationDeleted(tx, conversationId) {
    statement(tx, 'DELETE FROM rm_messages WHERE conversation_id = ?').run(conversationId);
    statement(tx, 'DELETE FROM rm_comments WHERE conversation_id = ?').run(conversationId);
  },
  // The contact was erased (docs/privacy.md): each row keeps its shape, its personal values become
  // what a rebuild from the redacted log writes, so live and rebuilt rows stay equal.
  PersonalDataErased(tx, conversationId) {
    const rows = statement(tx, 'SELECT id, from_party, attachments, template, reactions FROM rm_messages WHERE conversation_id = ?').all(
      conversationId,
    ) as Array<{
      id: string;
      from_party: string | null;
      attachments: string;
      template: string | null;
      reactions: string | null;
    }>;
    for (const row of rows) {
      const attachments = (JSON.parse(row.attachments) as Array<Record<string, unknown>>).map((file) => ({ ...file, filename: ERASED_FILENAME }));
      const template = row.template ? JSON.stringify({ ...(JSON.parse(row.template) as Record<string, unknown>), parameters: [] }) : null;
      const reactions = row.reactions
        ? JSON.stringify((JSON.parse(row.reactions) as ReactionView[]).map((r) => ({ ...r, from: { address: ERASED_ADDRESS } })))
        : null;
      statement(
        tx,
        `UPDATE rm_messages SET from_party = ?, to_parties = '[]', subject = '', text = '', html = CASE WHEN html IS NULL THEN NULL ELSE '' END,
           attachments = ?, fields = NULL, template = ?, cc = NULL, reactions = ?,
           delivery_reason = CASE WHEN delivery_reason IS NULL THEN NULL ELSE '' END WHERE id = ? AND conversation_id = ?`,
      ).run(
        row.from_party === null ? null : JSON.stringify({ address: ERASED_ADDRESS }),
        JSON.stringify(attachments),
        template,
        reactions,
        row.id,
        conversationId,
      );
    }
    statement(tx, "UPDATE rm_comments SET text = '' WHERE conversation_id = ?").run(conversationId);
  },
};

interface MessageRow {
  id: string;
  conversationId: string;
  position: number;
  direction: 'in' | 'out';
  channel: string | null;
  from: string | null;
  to: string;
  subject: string;
  text: string;
  html: string | null;
  attachments: string;
  at: string;
  authorId: string | null;
  deliveryStatus: 'queued' | null;
  kind: 'reply' | 'forward' | 'transcript' | null;
  /** A bot's buttons (JSON), replies only. */
  choices?: string | null;
  /** Structured facts (JSON), inbound only. */
  fields?: string | null;
  /** The approved template a reply was sent as (JSON), replies only. */
  template?: string | null;
  /** Who the message copied (JSON): an inbound message's Cc, reply-all's. */
  cc?: string | null;
}

/** A reply, a forward or a transcript: an outbound row of the thread, queued until its delivery is known. */
function outboundRow(
  conversationId: string,
  position: number,
  data: { messageId: string; channel: string; to: unknown; subject: string; text: string; html?: string | null; authorId?: string; attachments?: unknown[] },
  at: string,
  kind: 'reply' | 'forward' | 'transcript',
): MessageRow {
  return {
    id: data.messageId,
    conversationId,
    position,
    direction: 'out',
    channel: data.channel,
    from: null,
    to: JSON.stringify(data.to),
    subject: data.subject,
    text: data.text,
    html: data.html ?? null,
    // A reply's files (replies queued before replies could carry files have none).
    attachments: JSON.stringify(data.attachments ?? []),
    at,
    // The automatic transcript on close has no author: the system sent it.
    authorId: data.authorId ?? null,
    deliveryStatus: 'queued',
    kind,
  };
}

function insertMessage(tx: Database, row: MessageRow): void {
  statement(
    tx,
    `INSERT OR IGNORE INTO rm_messages (id, conversation_id, position, direction, channel, from_party, to_parties,
       subject, text, html, attachments, at, author_id, delivery_status, delivery_reason, kind, choices, fields, template, cc)
     VALUES (@id, @conversationId, @position, @direction, @channel, @from, @to,
       @subject, @text, @html, @attachments, @at, @authorId, @deliveryStatus, NULL, @kind, @choices, @fields, @template, @cc)`,
  ).run({ ...row, choices: row.choices ?? null, fields: row.fields ?? null, template: row.template ?? null, cc: row.cc ?? null });
}

function setDelivery(tx: Database, conversationId: string, messageId: string, status: string, reason: string | null): void {
  statement(tx, 'UPDATE rm_messages SET delivery_status = ?, delivery_reason = ? WHERE id = ? AND conversation_id = ?').run(
    status,
    reason,
    messageId,
    conversationId,
  );
}
