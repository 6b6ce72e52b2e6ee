import type { Database } from 'better-sqlite3';
import type { RecordedEvent } from '../../application/ports/event-store.port';
import type { ContactMerged } from '../../domain/contact/contact.events';
import { identityKey, identityOf } from '../../domain/contact/identity';
import type { ConversationEvent, ConversationEventType } from '../../domain/conversation/conversation.events';
import { normalizeTime } from '../conversation-summary';
import type { SqliteProjection } from '../projection';
import { splitOf } from './contact-splits';
import { ftsWords, SEARCH_TOKENIZE } from './fts-tokenizer';
import { idFromStream, statement } from './statements';
import { ERASED_ADDRESS } from '../../application/privacy/personal-fields';

/**
 * Full-text search and the filter columns of `GET /api/conversations` (docs/design.md rule 2).
 *
 * - search_conversations: one row per conversation with the columns the filters compare, and
 *   indexes that each end in (last_received_at, k), so a filtered page in either order is an
 *   index range read backwards or forwards; trashed and filtered ride along so counts with the
 *   default hideTrash stay index-only. `k` (the rowid) is the log position of the conversation's
 *   ConversationStarted: an integer key for its FTS rows that a replay gives again even after
 *   other streams were deleted (a counter would shift).
 * - search_text: FTS5, contentless (the text already lives in the thread read model) with
 *   contentless_delete, so rows can be removed by rowid. One row for the conversation (subject,
 *   contact name and address) and one per message body (inbound and outbound), so a long thread
 *   costs one small insert per message instead of re-indexing the thread. The FTS rowid is
 *   `k << 24 | seq` (seq 0 = the conversation row): a conversation's rows are one rowid range, to
 *   delete or to test a term against, and `rowid >> 24` maps a hit back to its conversation
 *   without a lookup (positions up to 2^39 fit). Shifts are done in SQL, so JavaScript never
 *   handles the 64-bit rowids.
 *
 * - search_words: every word of at least PREFIX_INDEXED + 1 characters that search_text holds,
 *   with the lowest conversation holding it. FTS5 answers a prefix longer than its prefix index
 *   (`refund*`) by merging the whole doclist of every matching word, on every query; the search
 *   expands such a prefix here into its words and asks for those exactly, which costs a seek.
 *   The words come from FTS5's own tokenizer, and a word leaves the list when its last holder
 *   is deleted or unlinks the contact that brought it, so the list is a function of search_text
 *   (a rebuild gives the same rows, and delete forever leaves no word behind).
 *
 * Idempotent outside the runner too: `last_position` makes an event at or below the last one
 * applied to that conversation a no-op (the runner's checkpoint already guarantees it inside).
 */
export const SEARCH_TEXT_TABLE = 'search_text';
export const SEARCH_CONVERSATIONS_TABLE = 'search_conversations';
/** Rows per conversation in search_text: seq 0 is the conversation, 1… its messages. */
export const SEQ_BITS = 24;
const MAX_SEQ = 2 ** SEQ_BITS - 1;
/** The row of the email address a contact gave later (rule 12, ContactEmailProvided): the last seq, which messages stop short of. */
const CONTACT_EMAIL_SEQ = MAX_SEQ;
/** Column weights for bm25(): a word in the subject outranks one in the contact, which outranks a body. */
export const BM25_WEIGHTS = [4, 2, 1] as const;
/** FTS5 keeps prefix indexes for prefixes of 1 to 3 characters; longer prefixes go through search_words. */
export const PREFIX_INDEXED = 3;
export const SEARCH_WORDS_TABLE = 'search_words';

const HANDLED = [
  'ConversationStarted',
  'MessageReceived',
  'ReplyQueued',
  'ConversationAssigned',
  'ConversationUnassigned',
  'ConversationClosed',
  'ConversationReopened',
  'ConversationFiltered',
  'ConversationUnfiltered',
  'ConversationTrashed',
  'ConversationRestored',
  'ConversationDeleted',
  'ContactUnlinked',
  'ContactLinked',
  'ContactEmailProvided',
  'PersonalDataErased',
] as const satisfies readonly ConversationEventType[];
/** A contact merged into another or an identity split off: the contactId filter follows (by the indexed contact_id). */
const RECORD_EVENTS: readonly string[] = ['ContactCreated', 'ContactMerged', 'ContactIdentityRemoved'];
type Handled = (typeof HANDLED)[number];
type DataOf<T extends ConversationEventType> = Extract<ConversationEvent, { type: T }>['data'];

interface Row {
  k: number;
  channel: string;
  origin: 'inbound' | 'outbound';
  last_received_at: string;
  subject: string;
  next_seq: number;
  last_position: number;
}

export const searchProjection: SqliteProjection = {
  name: 'search',
  version: 2, // 2: contact_identity; the contact follows links, merges and splits
  handles: [...HANDLED, ...RECORD_EVENTS],
  reset(tx) {
    wordMemory.delete(tx);
    tx.exec(`
      DROP TABLE IF EXISTS ${SEARCH_TEXT_TABLE};
      DROP TABLE IF EXISTS ${SEARCH_CONVERSATIONS_TABLE};
      DROP TABLE IF EXISTS ${SEARCH_WORDS_TABLE};
      DROP TABLE IF EXISTS search_contact_merges;
      CREATE TABLE search_contact_merges (from_id TEXT PRIMARY KEY, into_id TEXT NOT NULL);
      CREATE INDEX search_contact_merges_by_into ON search_contact_merges (into_id);
      CREATE TABLE ${SEARCH_CONVERSATIONS_TABLE} (
        k INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        inbox_id TEXT NOT NULL,
        status TEXT NOT NULL,
        channel TEXT NOT NULL,
        origin TEXT NOT NULL,
        contact_id TEXT,
        contact_identity TEXT,
        assignee TEXT NOT NULL,
        filtered INTEGER NOT NULL,
        trashed INTEGER NOT NULL,
        last_received_at TEXT NOT NULL,
        subject TEXT NOT NULL,
        next_seq INTEGER NOT NULL,
        last_position INTEGER NOT NULL
      );
      CREATE INDEX search_by_time ON ${SEARCH_CONVERSATIONS_TABLE} (inbox_id, last_received_at, k, trashed, filtered);
      CREATE INDEX search_by_status ON ${SEARCH_CONVERSATIONS_TABLE} (inbox_id, status, last_received_at, k, trashed, filtered);
      CREATE INDEX search_by_channel ON ${SEARCH_CONVERSATIONS_TABLE} (inbox_id, channel, last_received_at, k, trashed, filtered);
      CREATE INDEX search_by_assignee ON ${SEARCH_CONVERSATIONS_TABLE} (inbox_id, assignee, last_received_at, k, trashed, filtered);
      CREATE INDEX search_by_contact ON ${SEARCH_CONVERSATIONS_TABLE} (contact_id, last_received_at, k) WHERE contact_id IS NOT NULL;
      CREATE VIRTUAL TABLE ${SEARCH_TEXT_TABLE} USING fts5(
        subject, contact, body,
        content = '', contentless_delete = 1,
        tokenize = '${SEARCH_TOKENIZE}',
        prefix = '1 2 3'
      );
      CREATE TABLE ${SEARCH_WORDS_TABLE} (word TEXT PRIMARY KEY, holder INTEGER NOT NULL) WITHOUT ROWID;
      CREATE INDEX search_words_by_holder ON ${SEARCH_WORDS_TABLE} (holder);
    `);
  },
  apply(event, tx) {
    applyEvents([event], tx);
  },
  applyBatch(events, tx) {
    applyEvents(events, tx);
  },
};

/**
 * What one call of applyEvents holds in memory: each conversation's row as the batch leaves it
 * (null once deleted), the columns the batch changed, and the words already known to be held by a
 * conversation at or below some k. Each changed row is written once at the end of the batch; the
 * FTS rows are inserted as the events come.
 */
interface Batch {
  rows: Map<string, Row | null>;
  changes: Map<number, { row: Row; changes: Changes; position: number }>;
  /** word → a k known to hold it (the lowest holder is at or below it): this connection's WordMemory. */
  held: Map<string, number>;
  /** A conversation's texts were erased (PersonalDataErased): the index is rewritten once, at the end of the batch. */
  erased?: boolean;
}

/**
 * The words this connection upserted into search_words, with the k each was upserted at, kept
 * from one batch to the next: a word is held at or below that k for as long as no conversation
 * releases words (releaseWords forgets everything). Within one batch this saves most upserts;
 * across batches it saves nearly all of them in a rebuild, where the same few tens of thousands
 * of words come back in every batch (measured: the upserts were 15 % of the search lane's time).
 *
 * Only what was committed may be remembered. A batch that rolled back is applied again from its
 * first event (the runner retries it, or a new subscription starts from the checkpoint), so a
 * batch starting at or below the last position remembered means the memory may hold words that
 * were rolled back: it is forgotten then. Bounded: past MAX_REMEMBERED_WORDS it starts over.
 */
interface WordMemory {
  held: Map<string, number>;
  /** The highest position applied while filling `held`. */
  through: number;
}
const wordMemory = new WeakMap<Database, WordMemory>();
const MAX_REMEMBERED_WORDS = 100_000;

function memoryFor(tx: Database, events: readonly RecordedEvent[]): Map<string, number> {
  let memory = wordMemory.get(tx);
  if (!memory) wordMemory.set(tx, (memory = { held: new Map(), through: 0 }));
  const first = events[0]?.position ?? Number.POSITIVE_INFINITY;
  if (first <= memory.through || memory.held.size > MAX_REMEMBERED_WORDS) memory.held.clear();
  memory.through = Math.max(memory.through, events.at(-1)?.position ?? 0);
  return memory.held;
}

function applyEvents(events: readonly RecordedEvent[], tx: Database): void {
  const batch: Batch = { rows: new Map(), changes: new Map(), held: memoryFor(tx, events) };
  for (const event of events) {
    if (event.type === 'ContactCreated' && !splitOf(event)) continue;
    if (RECORD_EVENTS.includes(event.type)) {
      // The rows the batch changed are written first: a merge moves them as stored.
      saveBatch(tx, batch);
      followContact(tx, event);
    } else applyEvent(tx, batch, event);
  }
  saveBatch(tx, batch);
  if (batch.erased) statement(tx, SQL.optimize).run();
}

/** The contact a merged contact points to (merges kept collapsed: one lookup); a conversation naming a merged contact is the live one's. */
function liveContactId(tx: Database, contactId: string): string {
  return (statement(tx, SQL.mergeTarget).pluck().get(contactId) as string | undefined) ?? contactId;
}

function saveBatch(tx: Database, batch: Batch): void {
  for (const { row, changes, position } of batch.changes.values()) saveChanges(tx, row.k, changes, position);
  batch.changes.clear();
}

function followContact(tx: Database, event: RecordedEvent): void {
  const from = idFromStream(event.streamId, 'contact-');
  if (event.type === 'ContactMerged') {
    const into = liveContactId(tx, (event.data as ContactMerged['data']).intoContactId);
    statement(tx, SQL.recordMerge).run(from, into);
    statement(tx, SQL.collapseMerges).run(into, from);
    statement(tx, SQL.mergeContact).run(into, from);
    return;
  }
  const split = splitOf(event);
  if (split) for (const key of split.keys) statement(tx, SQL.splitContact).run(split.to, split.from, key);
}

function applyEvent(tx: Database, batch: Batch, event: RecordedEvent): void {
  const id = event.type === 'ConversationStarted' ? String(event.data.conversationId) : idFromStream(event.streamId, 'conversation-');
  let row = batch.rows.get(id);
  if (row === undefined) {
    row = (statement(tx, SQL.row).get(id) as Row | undefined) ?? null;
    batch.rows.set(id, row);
  }
  if (event.type === 'ConversationStarted') {
    if (!row) batch.rows.set(id, start(tx, batch, id, event));
    return;
  }
  if (!row || event.position <= row.last_position) return;
  const handler = handlers[event.type as Exclude<Handled, 'ConversationStarted'>] as Handler<Exclude<Handled, 'ConversationStarted'>> | undefined;
  const changes: Changes = {};
  handler?.(tx, batch, row, event.data as never, changes);
  if (event.type === 'ConversationDeleted') {
    batch.rows.set(id, null);
    batch.changes.delete(row.k);
    return;
  }
  // The row in memory follows the event, so the next event of the batch sees it as stored.
  if (changes.last_received_at !== undefined) row.last_received_at = changes.last_received_at as string;
  if (changes.next_seq !== undefined) row.next_seq = changes.next_seq as number;
  row.last_position = event.position;
  const pending = batch.changes.get(row.k);
  if (pending) {
    Object.assign(pending.changes, changes);
    pending.position = event.position;
  } else {
    batch.changes.set(row.k, { row, changes, position: event.position });
  }
}

/**
 * Every statement's text, built once: statement() finds its prepared statement by the text, and a
 * text rebuilt on each call would be hashed again on each call (millions of times in a replay).
 */
const SQL = {
  row: `SELECT k, channel, origin, last_received_at, subject, next_seq, last_position FROM ${SEARCH_CONVERSATIONS_TABLE} WHERE id = ?`,
  start: `INSERT INTO ${SEARCH_CONVERSATIONS_TABLE}
       (k, id, inbox_id, status, channel, origin, contact_id, contact_identity, assignee, filtered, trashed, last_received_at, subject, next_seq, last_position)
     VALUES (?, ?, ?, 'open', ?, ?, ?, ?, 'none', 0, 0, ?, ?, 1, ?)`,
  mergeTarget: 'SELECT into_id FROM search_contact_merges WHERE from_id = ?',
  recordMerge: 'INSERT INTO search_contact_merges (from_id, into_id) VALUES (?, ?) ON CONFLICT (from_id) DO UPDATE SET into_id = excluded.into_id',
  collapseMerges: 'UPDATE search_contact_merges SET into_id = ? WHERE into_id = ?',
  mergeContact: `UPDATE ${SEARCH_CONVERSATIONS_TABLE} SET contact_id = ? WHERE contact_id = ?`,
  splitContact: `UPDATE ${SEARCH_CONVERSATIONS_TABLE} SET contact_id = ? WHERE contact_id = ? AND contact_identity = ?`,
  deleteTexts: `DELETE FROM ${SEARCH_TEXT_TABLE} WHERE rowid BETWEEN (? << ${SEQ_BITS}) AND (? << ${SEQ_BITS}) + ${MAX_SEQ}`,
  // A contentless index keeps a deleted row's words in its segments until they merge: rewritten at once after an erasure.
  optimize: `INSERT INTO ${SEARCH_TEXT_TABLE} (${SEARCH_TEXT_TABLE}) VALUES ('optimize')`,
  eraseSubject: `UPDATE ${SEARCH_CONVERSATIONS_TABLE} SET subject = '' WHERE k = ?`,
  deleteConversation: `DELETE FROM ${SEARCH_CONVERSATIONS_TABLE} WHERE k = ?`,
  deleteConversationText: `DELETE FROM ${SEARCH_TEXT_TABLE} WHERE rowid = (? << ${SEQ_BITS})`,
  indexConversation: `INSERT INTO ${SEARCH_TEXT_TABLE} (rowid, subject, contact, body) VALUES (? << ${SEQ_BITS}, ?, ?, '')`,
  indexMessage: `INSERT INTO ${SEARCH_TEXT_TABLE} (rowid, subject, contact, body) VALUES ((? << ${SEQ_BITS}) + ?, '', '', ?)`,
  indexContactEmail: `INSERT INTO ${SEARCH_TEXT_TABLE} (rowid, subject, contact, body) VALUES ((? << ${SEQ_BITS}) + ${CONTACT_EMAIL_SEQ}, '', ?, '')`,
  deleteContactEmail: `DELETE FROM ${SEARCH_TEXT_TABLE} WHERE rowid = (? << ${SEQ_BITS}) + ${CONTACT_EMAIL_SEQ}`,
  // One row per statement, on purpose: a statement that may change several rows opens a statement
  // savepoint, and FTS5 writes its pending inserts out as a new segment at every savepoint (one
  // segment per message instead of one per batch: measured 4x slower).
  holdWord: `INSERT INTO ${SEARCH_WORDS_TABLE} (word, holder) VALUES (?, ?)
       ON CONFLICT (word) DO UPDATE SET holder = excluded.holder WHERE excluded.holder < holder`,
  wordsHeldBy: `SELECT word FROM ${SEARCH_WORDS_TABLE} WHERE holder = ?`,
  firstHolder: `SELECT rowid >> ${SEQ_BITS} AS k FROM ${SEARCH_TEXT_TABLE} WHERE ${SEARCH_TEXT_TABLE} MATCH ? LIMIT 1`,
  moveWord: `UPDATE ${SEARCH_WORDS_TABLE} SET holder = ? WHERE word = ?`,
  dropWord: `DELETE FROM ${SEARCH_WORDS_TABLE} WHERE word = ?`,
} as const;

function start(tx: Database, batch: Batch, id: string, event: RecordedEvent): Row {
  const data = event.data as unknown as DataOf<'ConversationStarted'>;
  const k = event.position;
  const lastReceivedAt = normalizeTime(data.startedAt);
  const identity = identityKey(identityOf(data.channel, data.contact.address));
  statement(tx, SQL.start).run(
    k,
    id,
    data.inboxId,
    data.channel,
    data.origin,
    liveContactId(tx, data.contact.id),
    identity,
    lastReceivedAt,
    data.subject,
    event.position,
  );
  indexConversation(tx, batch, k, data.subject, [data.contact.name ?? '', data.contact.address].join(' ').trim());
  return { k, channel: data.channel, origin: data.origin, last_received_at: lastReceivedAt, subject: data.subject, next_seq: 1, last_position: event.position };
}

type Column = 'last_received_at' | 'assignee' | 'status' | 'filtered' | 'trashed' | 'contact_id' | 'contact_identity' | 'next_seq';
/** The columns an event changes in its search_conversations row, written with last_position in one UPDATE. */
type Changes = Partial<Record<Column, string | number | null>>;
type Handler<T extends ConversationEventType> = (tx: Database, batch: Batch, row: Row, data: DataOf<T>, changes: Changes) => void;

const handlers: { [T in Exclude<Handled, 'ConversationStarted'>]: Handler<T> } = {
  MessageReceived(tx, batch, row, data, changes) {
    // The same rule as the summary document (conversation-summary.ts): a late message that was
    // received earlier does not move an inbound conversation back in the list. A test compares
    // every row with the documents over random histories, so the two cannot drift apart.
    const receivedAt = normalizeTime(data.receivedAt);
    if (!(receivedAt < row.last_received_at && row.origin === 'inbound')) changes.last_received_at = receivedAt;
    indexMessage(tx, batch, row, data.text, changes);
  },
  ReplyQueued(tx, batch, row, data, changes) {
    indexMessage(tx, batch, row, data.text, changes);
  },
  ConversationAssigned(tx, batch, row, data, changes) {
    changes.assignee = data.assignee.type === 'agent' ? data.assignee.id : 'bot';
  },
  ConversationUnassigned(tx, batch, row, data, changes) {
    changes.assignee = 'none';
  },
  ConversationClosed(tx, batch, row, data, changes) {
    changes.status = 'closed';
  },
  ConversationReopened(tx, batch, row, data, changes) {
    changes.status = 'open';
  },
  ConversationFiltered(tx, batch, row, data, changes) {
    changes.filtered = 1;
  },
  ConversationUnfiltered(tx, batch, row, data, changes) {
    changes.filtered = 0;
  },
  ConversationTrashed(tx, batch, row, data, changes) {
    changes.trashed = 1;
  },
  ConversationRestored(tx, batch, row, data, changes) {
    changes.trashed = 0;
  },
  ConversationDeleted(tx, batch, row) {
    statement(tx, SQL.deleteTexts).run(row.k, row.k);
    statement(tx, SQL.deleteConversation).run(row.k);
    releaseWords(tx, batch, row.k);
  },
  ContactUnlinked(tx, batch, row, data, changes) {
    changes.contact_id = null;
    changes.contact_identity = null;
    statement(tx, SQL.deleteConversationText).run(row.k);
    statement(tx, SQL.deleteContactEmail).run(row.k);
    indexConversation(tx, batch, row.k, row.subject, '');
    releaseWords(tx, batch, row.k);
  },
  // The conversation's contact text becomes the linked contact's name and address (the contact email row stays).
  ContactLinked(tx, batch, row, data, changes) {
    changes.contact_id = liveContactId(tx, data.contactId);
    changes.contact_identity = identityKey(identityOf(row.channel, data.address));
    statement(tx, SQL.deleteConversationText).run(row.k);
    indexConversation(tx, batch, row.k, row.subject, [data.name ?? '', data.address].join(' ').trim());
    releaseWords(tx, batch, row.k);
  },
  // The contact was erased (docs/privacy.md): none of the conversation's words stay searchable. The
  // rows match a rebuild from the redacted log, which indexes the same empty texts.
  PersonalDataErased(tx, batch, row, _data, changes) {
    statement(tx, SQL.deleteTexts).run(row.k, row.k);
    batch.erased = true;
    statement(tx, SQL.eraseSubject).run(row.k);
    row.subject = '';
    indexConversation(tx, batch, row.k, '', '');
    releaseWords(tx, batch, row.k);
    changes.contact_identity = identityKey(identityOf(row.channel, ERASED_ADDRESS));
  },
  // Searching for the address a chat visitor gave finds their conversation (rule 2: the contact's address).
  ContactEmailProvided(tx, batch, row, data) {
    statement(tx, SQL.deleteContactEmail).run(row.k);
    releaseWords(tx, batch, row.k);
    statement(tx, SQL.indexContactEmail).run(row.k, data.address);
    holdWords(tx, batch, row.k, data.address);
  },
};

const updateTexts = new Map<string, string>();

/** One UPDATE per event: the changed columns and last_position (the statement text is kept per set of columns). */
function saveChanges(tx: Database, k: number, changes: Changes, position: number): void {
  const columns = Object.keys(changes) as Column[];
  const key = columns.join(',');
  let sql = updateTexts.get(key);
  if (sql === undefined) {
    sql = `UPDATE ${SEARCH_CONVERSATIONS_TABLE} SET ${[...columns, 'last_position'].map((column) => `${column} = ?`).join(', ')} WHERE k = ?`;
    updateTexts.set(key, sql);
  }
  statement(tx, sql).run(...columns.map((column) => changes[column]), position, k);
}

function indexConversation(tx: Database, batch: Batch, k: number, subject: string, contact: string): void {
  statement(tx, SQL.indexConversation).run(k, subject, contact);
  holdWords(tx, batch, k, `${subject} ${contact}`);
}

// eslint-disable-next-line no-control-regex -- the whole ASCII range, control characters included
const ASCII_ONLY = /^[\x00-\x7f]*$/;
const ASCII_WORD = /[a-z0-9]+/g;

/**
 * The distinct words FTS5's tokenizer makes of a text. In ASCII text (nearly every message) the
 * unicode61 tokenizer keeps exactly the runs of letters and digits, lower-cased, so those are
 * split here without a round trip through FTS5 (a test checks the two agree on every ASCII
 * character); any other text is asked of FTS5 itself (fts-tokenizer.ts), whose folding outside
 * ASCII JavaScript cannot reproduce.
 */
export function distinctWords(tx: Database, text: string): string[] {
  if (ASCII_ONLY.test(text)) return [...new Set(text.toLowerCase().match(ASCII_WORD))];
  return [...new Set(ftsWords(tx, text))];
}

/**
 * Adds the text's long words to search_words, keeping the lowest holder of each. A word already
 * known to be held by a conversation at or below k (WordMemory) needs no statement: the upsert
 * could not change it (words repeat a lot, so most are answered from memory).
 */
function holdWords(tx: Database, batch: Batch, k: number, text: string): void {
  for (const word of distinctWords(tx, text)) {
    // Memory first: only long words are ever remembered, and most words are.
    const heldAtOrBelow = batch.held.get(word);
    if (heldAtOrBelow !== undefined && heldAtOrBelow <= k) continue;
    if (!longerThanPrefixIndex(word)) continue;
    statement(tx, SQL.holdWord).run(word, k);
    batch.held.set(word, k);
  }
}

/**
 * More than PREFIX_INDEXED characters (code points, as FTS5 counts them). A UTF-16 length of at
 * most PREFIX_INDEXED cannot hold more code points, and one of more than twice that cannot hold
 * fewer; only the lengths in between are counted (spreading every word cost an array per word).
 */
function longerThanPrefixIndex(word: string): boolean {
  if (word.length <= PREFIX_INDEXED) return false;
  if (word.length > 2 * PREFIX_INDEXED) return true;
  return [...word].length > PREFIX_INDEXED;
}

/**
 * Conversation k lost text: each word it held goes to the lowest conversation that still has it
 * (FTS5 returns matches in rowid order, and rowids order by conversation), or leaves the list.
 */
function releaseWords(tx: Database, batch: Batch, k: number): void {
  // Holders move up or words leave: what was known of holders no longer holds.
  batch.held.clear();
  const words = statement(tx, SQL.wordsHeldBy).pluck().all(k) as string[];
  for (const word of words) {
    const next = statement(tx, SQL.firstHolder).get(`"${word.replace(/"/g, '""')}"`) as { k: number } | undefined;
    if (next) statement(tx, SQL.moveWord).run(next.k, word);
    else statement(tx, SQL.dropWord).run(word);
  }
}

/**
 * A thread longer than 2^24 - 1 messages keeps its first ones searchable and stops there rather
 * than stalling every projection on an error.
 */
function indexMessage(tx: Database, batch: Batch, row: Row, text: string, changes: Changes): void {
  if (row.next_seq >= CONTACT_EMAIL_SEQ) return;
  statement(tx, SQL.indexMessage).run(row.k, row.next_seq, text);
  changes.next_seq = row.next_seq + 1;
  holdWords(tx, batch, row.k, text);
}
