import type { AnyBulkWriteOperation, QueryFilter } from 'mongoose';
import type { RecordedEvent } from '../../../application/ports/event-store.port';
import { ERASED_ADDRESS, redactedValue } from '../../../application/privacy/personal-fields';
import type { ContactEvent } from '../../../domain/contact/contact.events';
import { identityKey, identityOf } from '../../../domain/contact/identity';
import type { TicketEvent } from '../../../domain/ticket/ticket.events';
import type { ConversationEvent, ConversationEventType } from '../../../domain/conversation/conversation.events';
import { CONVERSATION_EVENT_TYPES, evolveConversationDoc, type ConversationDoc } from '../../../projections/conversation-summary';
import { withReaction } from '../../../projections/thread-receipts';
import { viewMembership } from '../../../projections/views';
import { writeInOrder } from './guarded-writes';
import { viewCountId, viewKey, type ConversationRecord, type MessageRecord, type MongoReadModels } from './mongo-models';
import { idFromStream, type MongoProjection } from './mongo-projection';
import type { ContactMergeDocument } from './records.mongo-model';
import { splitOf } from '../../../projections/sqlite/contact-splits';
import { searchWords } from './search-words';

type DataOf<T extends ConversationEventType> = Extract<ConversationEvent, { type: T }>['data'];

/**
 * Events of the records a conversation's contact and ticket follow: a merge moves the merged
 * contact's conversations to the one it went into, a split moves those whose sender address is the
 * identity split off, and the ticket's status and name follow the ticket record (removed: gone).
 * Applied to the conversations they reach in log order with the conversation events, guarded by
 * the same lastPosition, so a conversation's document never misses one that came before a later
 * event of its own.
 */
const RECORD_EVENT_TYPES = ['ContactCreated', 'ContactMerged', 'ContactIdentityRemoved', 'TicketChanged', 'TicketRemoved'] as const;
const RECORD_EVENTS: ReadonlySet<string> = new Set(RECORD_EVENT_TYPES);

/** Distinct body words a conversation may index (an upper bound: each message counts its own distinct words). */
export const BODY_WORD_BUDGET = 20_000;

/**
 * Everything derived from a conversation's events, in one projection: the summary document
 * (conversation-summary.ts, the same pure fold as the embedded store), its built-in view
 * membership (views.ts) and the view counters, its thread (messages with delivery status,
 * comments) and its search fields and words.
 *
 * They are one projection because, without transactions, the conversation document is the
 * commit marker for all of them: for each event, the thread and counter writes go first (each
 * idempotent or guarded by the event's position on its own document), the conversation document
 * last, guarded by `lastPosition < position`. An event at or below the document's lastPosition
 * is skipped entirely; one above it is (re)applied from the stored state, and whatever of it had
 * already landed before a crash is a no-op the second time:
 *
 * - messages and comments are upserted by id with $setOnInsert (a second insert changes nothing);
 *   a delivery status is set only over an older one (`deliveryPosition < position`); delete
 *   forever removes the thread's rows written before the deletion.
 * - view counters move by $inc only when their own lastPosition is below the event's (one $inc
 *   per counter and event), so a redelivered event cannot count twice. Counters are kept rather
 *   than counting the view index on each request: at a million conversations "All open" may hold
 *   hundreds of thousands, and countDocuments would walk that many index keys for every one of
 *   the 14 counts on every page load; a counter is one key lookup for one extra guarded write
 *   when a conversation enters or leaves a view.
 * - the conversation document holds the state after the event, so writing it again is harmless.
 *
 * Within a batch, a conversation's document is written once, with the state after its last event
 * (a state, not a delta, so batch boundaries do not matter); counters are written per event
 * (deltas: coalescing them would break the per-position guard when a retry cuts the log into
 * different batches). Deleted conversations leave a tombstone with their lastPosition.
 */
export const conversationsMongoProjection: MongoProjection = {
  name: 'conversations',
  // 2: forwarded, and forwards as rows of the thread; 3: a bot's buttons on its replies (choices);
  // 4: channel receipts, reactions, message fields and template replies; 5: the contact and the
  // ticket follow the records (merges, splits, the ticket's status and name), ticketId; 6: an
  // erased contact's personal data scrubbed from the summary, the thread and the words
  version: 6,
  handles: [...CONVERSATION_EVENT_TYPES, ...RECORD_EVENT_TYPES],
  owns: ['conversations', 'viewCounts', 'messages', 'comments', 'contactMerges'],
  async applyBatch(events, models) {
    if (events.length === 0) return;
    const states = await loadStates(
      events.filter((event) => !RECORD_EVENTS.has(event.type)),
      models,
    );
    await loadFollowers(events, states, models);
    const merges = await loadMerges(events, models);
    const plan: Plan = { messages: [], comments: [], counters: [], merges: [] };
    for (const event of events) {
      if (RECORD_EVENTS.has(event.type)) {
        // Most contacts are created without a split: nothing to follow.
        if (event.type === 'ContactCreated' && !splitOf(event)) continue;
        const followed = event.type === 'ContactMerged' ? recordMerge(event, merges, plan) : event;
        for (const state of states.values()) if (event.position > state.lastPosition) followRecord(state, followed, plan);
        continue;
      }
      const state = states.get(conversationIdOf(event))!;
      if (event.position <= state.lastPosition) continue; // applied before: redelivered or out of date
      applyEvent(state, event, plan);
      if ((event.type === 'ConversationStarted' || event.type === 'ContactLinked') && state.doc?.contact) {
        state.doc = withLiveContact(state.doc, merges);
      }
    }
    await writeInOrder(models.contactMerges, plan.merges);
    await writeInOrder(models.messages, plan.messages);
    await writeInOrder(models.comments, plan.comments);
    await writeInOrder(models.viewCounts, plan.counters);
    await writeInOrder(models.conversations, [...states.values()].filter((state) => state.touched).map(conversationWrite));
  },
};

type ContactDataOf<T extends ContactEvent['type']> = Extract<ContactEvent, { type: T }>['data'];
type TicketDataOf<T extends TicketEvent['type']> = Extract<TicketEvent, { type: T }>['data'];

/** Adds the stored conversations the batch's record events reach (by their contact or ticket) that no conversation event loaded. */
async function loadFollowers(events: readonly RecordedEvent[], states: Map<string, State>, models: MongoReadModels): Promise<void> {
  const contactIds = new Set<string>();
  const ticketIds = new Set<string>();
  for (const event of events) {
    const split = splitOf(event);
    if (event.type === 'ContactMerged') contactIds.add(idFromStream(event.streamId, 'contact-'));
    else if (split) contactIds.add(split.from);
    else if (event.type === 'TicketChanged' || event.type === 'TicketRemoved') ticketIds.add(idFromStream(event.streamId, 'ticket-'));
  }
  const reach: QueryFilter<ConversationRecord>[] = [];
  if (contactIds.size > 0) reach.push({ contactId: { $in: [...contactIds] } });
  if (ticketIds.size > 0) reach.push({ ticketId: { $in: [...ticketIds] } });
  if (reach.length === 0) return;
  const stored = await models.conversations.find({ $or: reach }, LOADED_FIELDS).lean<ConversationRecord[]>();
  for (const record of stored) if (!states.has(record._id)) states.set(record._id, stateOf(record._id, record, undefined));
}

/** A record event on one conversation: its contact or ticket moves when the event reaches it. */
function followRecord(state: State, event: RecordedEvent, plan: Plan): void {
  const before = state.doc;
  if (!before) return;
  const after = followedDoc(before, event);
  if (after === before) return;
  countWrites(before, after, event.position, plan);
  state.lastPosition = event.position;
  state.touched = true;
  state.doc = after;
}

/** The conversation document after a record event (the same one when the event does not reach it). */
export function followedDoc(doc: ConversationDoc, event: RecordedEvent): ConversationDoc {
  switch (event.type) {
    case 'ContactMerged': {
      const data = event.data as ContactDataOf<'ContactMerged'>;
      if (!doc.contact || doc.contact.id !== idFromStream(event.streamId, 'contact-')) return doc;
      return { ...doc, contact: { ...doc.contact, id: data.intoContactId } };
    }
    case 'ContactCreated':
    case 'ContactIdentityRemoved': {
      // Whichever side of a split comes first moves the conversations (splitOf); the other finds none left.
      const split = splitOf(event);
      if (!split || !doc.contact || doc.contact.id !== split.from) return doc;
      if (!split.keys.includes(identityKey(identityOf(doc.channel, doc.contact.address)))) return doc;
      return { ...doc, contact: { ...doc.contact, id: split.to } };
    }
    case 'TicketChanged': {
      const data = event.data as TicketDataOf<'TicketChanged'>;
      if (!doc.ticket || doc.ticket.id !== idFromStream(event.streamId, 'ticket-')) return doc;
      if (data.status === undefined && data.name === undefined) return doc;
      const status = data.status === undefined ? doc.ticket.status : data.status === 'closed' ? 'closed' : 'open';
      return { ...doc, ticket: { ...doc.ticket, status, name: data.name ?? doc.ticket.name } };
    }
    case 'TicketRemoved':
      if (!doc.ticket || doc.ticket.id !== idFromStream(event.streamId, 'ticket-')) return doc;
      return { ...doc, ticket: null };
    default:
      return doc;
  }
}

interface Plan {
  messages: AnyBulkWriteOperation[];
  comments: AnyBulkWriteOperation[];
  counters: AnyBulkWriteOperation[];
  merges: AnyBulkWriteOperation[];
}

/** How far a chain of merges is followed (each merge points to the live contact when made, so chains stay short). */
const MAX_MERGE_HOPS = 16;

/**
 * The merges of the contacts the batch's conversations name (started for, linked to, merged
 * into), following each chain to its end: from -> into.
 */
async function loadMerges(events: readonly RecordedEvent[], models: MongoReadModels): Promise<Map<string, string>> {
  const named = new Set<string>();
  for (const event of events) {
    if (event.type === 'ConversationStarted') named.add((event.data as DataOf<'ConversationStarted'>).contact.id);
    else if (event.type === 'ContactLinked') named.add((event.data as DataOf<'ContactLinked'>).contactId);
    else if (event.type === 'ContactMerged') named.add((event.data as ContactDataOf<'ContactMerged'>).intoContactId);
  }
  const merges = new Map<string, string>();
  const asked = new Set<string>();
  let next = [...named];
  for (let hops = 0; next.length > 0 && hops < MAX_MERGE_HOPS; hops++) {
    for (const id of next) asked.add(id);
    const found = await models.contactMerges.find({ _id: { $in: next } }).lean<ContactMergeDocument[]>();
    for (const merge of found) merges.set(merge._id, merge.into);
    next = [...new Set(found.map((merge) => merge.into))].filter((id) => !asked.has(id));
  }
  return merges;
}

/** The contact merged contacts point to. */
export function liveContactId(merges: ReadonlyMap<string, string>, contactId: string): string {
  let id = contactId;
  for (let hops = 0; hops < MAX_MERGE_HOPS; hops++) {
    const into = merges.get(id);
    if (!into) return id;
    id = into;
  }
  return id;
}

/**
 * A conversation started for, or linked to, a contact already merged away (the message was
 * resolved against read models the merge had not reached yet) belongs to the contact merged into.
 */
function withLiveContact(doc: ConversationDoc, merges: ReadonlyMap<string, string>): ConversationDoc {
  if (!doc.contact) return doc;
  const id = liveContactId(merges, doc.contact.id);
  return id === doc.contact.id ? doc : { ...doc, contact: { ...doc.contact, id } };
}

/** Records the merge (into the live end of its chain) and answers the event as the conversations follow it. */
function recordMerge(event: RecordedEvent, merges: Map<string, string>, plan: Plan): RecordedEvent {
  const from = idFromStream(event.streamId, 'contact-');
  const into = liveContactId(merges, (event.data as ContactDataOf<'ContactMerged'>).intoContactId);
  if (into !== from) {
    merges.set(from, into);
    plan.merges.push({
      updateOne: { filter: { _id: from, lastPosition: { $lt: event.position } }, update: { $set: { into, lastPosition: event.position } }, upsert: true },
    } as AnyBulkWriteOperation);
  }
  return { ...event, data: { ...event.data, intoContactId: into } };
}

/** One conversation while a batch is applied: what is stored, moved forward event by event. */
interface State {
  id: string;
  lastPosition: number;
  doc: ConversationDoc | null;
  /** The conversation existed and was deleted forever (a tombstone is written). */
  deleted: boolean;
  k: number | null;
  subjectWords: string[];
  contactWords: string[];
  /** Every body word when known (loaded, or the conversation started in this batch); else null. */
  bodyWords: Set<string> | null;
  /** Body words added in this batch while bodyWords is not known ($addToSet). */
  addedBodyWords: Set<string>;
  bodyBudget: number;
  touched: boolean;
}

const LOADED_FIELDS = { lastPosition: 1, deleted: 1, doc: 1, k: 1, subjectWords: 1, contactWords: 1, bodyBudget: 1 } as const;

export function conversationIdOf(event: RecordedEvent): string {
  if (event.type === 'ConversationStarted') return String(event.data.conversationId);
  return idFromStream(event.streamId, 'conversation-');
}

async function loadStates(events: readonly RecordedEvent[], models: MongoReadModels): Promise<Map<string, State>> {
  const ids = [...new Set(events.map(conversationIdOf))];
  // Unlinking the contact takes its words out of `words`, which needs the body words as well.
  // So does a contact's email replacing an earlier one (rule 12).
  const unlinked = [...new Set(events.filter((event) => event.type === 'ContactUnlinked' || event.type === 'ContactEmailProvided').map(conversationIdOf))];
  const stored = await models.conversations.find({ _id: { $in: ids } }, LOADED_FIELDS).lean<ConversationRecord[]>();
  const bodies = unlinked.length === 0 ? [] : await models.conversations.find({ _id: { $in: unlinked } }, { bodyWords: 1 }).lean<ConversationRecord[]>();
  const storedById = new Map(stored.map((record) => [record._id, record]));
  const bodyById = new Map(bodies.map((record) => [record._id, record.bodyWords ?? []]));
  return new Map(ids.map((id) => [id, stateOf(id, storedById.get(id), bodyById.get(id))]));
}

function stateOf(id: string, record: ConversationRecord | undefined, body: string[] | undefined): State {
  return {
    id,
    lastPosition: record?.lastPosition ?? 0,
    doc: record?.doc ?? null,
    deleted: record?.deleted ?? false,
    k: record?.k ?? null,
    subjectWords: record?.subjectWords ?? [],
    contactWords: record?.contactWords ?? [],
    bodyWords: record === undefined || record.doc === undefined ? new Set() : body ? new Set(body) : null,
    addedBodyWords: new Set(),
    bodyBudget: record?.bodyBudget ?? BODY_WORD_BUDGET,
    touched: false,
  };
}

function applyEvent(state: State, event: RecordedEvent, plan: Plan): void {
  const before = state.doc;
  const after = evolveConversationDoc(before, event);
  threadWrites(state.id, event, plan);
  if (before !== null || after !== null) countWrites(before, after, event.position, plan);
  state.lastPosition = event.position;
  state.touched = true;
  if (after === null) {
    if (before !== null) resetWords(state, true);
    state.doc = null;
    return;
  }
  if (event.type === 'ConversationStarted') {
    const data = event.data as DataOf<'ConversationStarted'>;
    resetWords(state, false);
    state.k = event.position;
    state.subjectWords = searchWords(data.subject);
    state.contactWords = searchWords([data.contact.name ?? '', data.contact.address].join(' '));
  } else if (event.type === 'MessageReceived' || event.type === 'ReplyQueued') {
    addBodyWords(state, String(event.data.text ?? ''));
  } else if (event.type === 'PersonalDataErased') {
    // The contact was erased (docs/privacy.md): none of the conversation's words stay searchable.
    state.subjectWords = [];
    state.contactWords = [];
    state.bodyWords = new Set();
    state.addedBodyWords = new Set();
    state.bodyBudget = BODY_WORD_BUDGET;
  } else if (event.type === 'ContactUnlinked') {
    state.contactWords = [];
  } else if (event.type === 'ContactEmailProvided' && after.contact) {
    // The address a chat visitor gave is searched like the contact's own (rule 2).
    const { name, address, email } = after.contact;
    state.contactWords = searchWords([name ?? '', address, email ?? ''].join(' '));
  }
  state.doc = after;
}

function resetWords(state: State, deleted: boolean): void {
  state.deleted = deleted;
  state.k = null;
  state.subjectWords = [];
  state.contactWords = [];
  state.bodyWords = new Set();
  state.addedBodyWords = new Set();
  state.bodyBudget = BODY_WORD_BUDGET;
}

/** Adds a message's words within the budget: a deterministic function of the events, so a rebuild indexes the same words. */
function addBodyWords(state: State, text: string): void {
  const words = searchWords(text).slice(0, Math.max(0, state.bodyBudget));
  state.bodyBudget -= words.length;
  for (const word of words) {
    if (state.bodyWords) state.bodyWords.add(word);
    else state.addedBodyWords.add(word);
  }
}

function threadWrites(conversationId: string, event: RecordedEvent, plan: Plan): void {
  const position = event.position;
  switch (event.type) {
    case 'MessageReceived': {
      const data = event.data as DataOf<'MessageReceived'>;
      plan.messages.push(
        insertMessage(data.messageId, {
          conversationId,
          position,
          direction: 'in',
          channel: null,
          from: data.from,
          to: data.to,
          subject: data.subject,
          text: data.text,
          html: data.html ?? null,
          attachments: data.attachments,
          at: data.receivedAt,
          authorId: null,
          delivery: null,
          deliveryPosition: position,
          kind: null,
          ...(data.fields?.length ? { fields: data.fields } : {}),
          ...(data.cc?.length ? { cc: data.cc } : {}),
        }),
      );
      return;
    }
    case 'ReplyQueued': {
      const data = event.data as DataOf<'ReplyQueued'>;
      const reply = outboundMessage(conversationId, position, data, data.queuedAt, 'reply');
      plan.messages.push(
        insertMessage(data.messageId, {
          ...reply,
          ...(data.choices?.length ? { choices: data.choices } : {}),
          ...(data.template ? { template: data.template } : {}),
          ...(data.cc?.length ? { cc: data.cc } : {}),
        }),
      );
      return;
    }
    case 'ConversationForwarded': {
      const data = event.data as DataOf<'ConversationForwarded'>;
      plan.messages.push(insertMessage(data.messageId, outboundMessage(conversationId, position, data, data.forwardedAt, 'forward')));
      return;
    }
    case 'TranscriptSent': {
      const data = event.data as DataOf<'TranscriptSent'>;
      plan.messages.push(insertMessage(data.messageId, outboundMessage(conversationId, position, data, data.sentAt, 'transcript')));
      return;
    }
    case 'ReplyDelivered': {
      const data = event.data as DataOf<'ReplyDelivered'>;
      plan.messages.push(setDelivery(conversationId, data.messageId, position, { status: 'delivered', reason: null }));
      return;
    }
    case 'ReplyDeliveryFailed': {
      const data = event.data as DataOf<'ReplyDeliveryFailed'>;
      plan.messages.push(setDelivery(conversationId, data.messageId, position, { status: data.retryable ? 'retrying' : 'failed', reason: data.reason }));
      return;
    }
    case 'ReplyStatusReported': {
      // The domain records a receipt only when it moves the reply forward: the latest one stands.
      const data = event.data as DataOf<'ReplyStatusReported'>;
      const receipt = { status: data.status, reason: data.reason ?? null, at: data.at };
      plan.messages.push({
        updateOne: {
          filter: { _id: data.messageId, conversationId, receiptPosition: { $not: { $gte: position } } },
          update: { $set: { receipt, receiptPosition: position } },
        },
      } as AnyBulkWriteOperation);
      return;
    }
    case 'ReactionReceived': {
      // One reaction per contact: theirs is pulled, the new one (if any) pushed. Both guarded by
      // the position of the last reaction applied, so a redelivered event changes nothing, and a
      // retry after a crash between the two writes pulls nothing and pushes once.
      const data = event.data as DataOf<'ReactionReceived'>;
      const filter = { _id: data.messageId, conversationId, reactionsPosition: { $not: { $gte: position } } };
      const [reaction] = withReaction([], data);
      plan.messages.push({ updateOne: { filter, update: { $pull: { reactions: { 'from.address': data.from.address } } } } } as AnyBulkWriteOperation);
      plan.messages.push({
        updateOne: {
          filter,
          update: reaction ? { $push: { reactions: reaction }, $set: { reactionsPosition: position } } : { $set: { reactionsPosition: position } },
        },
      } as AnyBulkWriteOperation);
      return;
    }
    case 'CommentAdded': {
      const data = event.data as DataOf<'CommentAdded'>;
      plan.comments.push({
        updateOne: {
          filter: { _id: data.commentId },
          update: { $setOnInsert: { conversationId, position, authorId: data.authorId, text: data.text, mentions: data.mentions, at: data.at } },
          upsert: true,
        },
      } as AnyBulkWriteOperation);
      return;
    }
    case 'PersonalDataErased':
      // The contact was erased (docs/privacy.md): the rows written before keep their shape, their
      // personal values become what a rebuild from the redacted log writes (as the embedded thread).
      plan.messages.push({ updateMany: { filter: { conversationId, position: { $lt: position } }, update: ERASE_MESSAGE } } as AnyBulkWriteOperation);
      plan.comments.push({ updateMany: { filter: { conversationId, position: { $lt: position } }, update: { $set: { text: '' } } } } as AnyBulkWriteOperation);
      return;
    case 'ConversationDeleted':
      // Only what was written before the deletion: the thread of a conversation started again
      // with the same id (after this event) stays.
      plan.messages.push({ deleteMany: { filter: { conversationId, position: { $lt: position } } } } as AnyBulkWriteOperation);
      plan.comments.push({ deleteMany: { filter: { conversationId, position: { $lt: position } } } } as AnyBulkWriteOperation);
      return;
    default:
      return;
  }
}

const ERASED_FILENAME = redactedValue('filename') as string;

/** A field's value unless it is absent or null: then the field is left out ($$REMOVE) or null. */
const unlessAbsent = (field: string, then: unknown, absent: unknown) => ({ $cond: [{ $eq: [{ $ifNull: [`$${field}`, null] }, null] }, absent, then] });

/** An update pipeline: a message's personal values as the redacted log gives them (sender, recipients, texts, file names, template parameters, reactors). */
const ERASE_MESSAGE = [
  {
    $set: {
      from: unlessAbsent('from', { address: ERASED_ADDRESS }, null),
      to: { $literal: [] },
      subject: '',
      text: '',
      html: unlessAbsent('html', '', null),
      attachments: { $map: { input: { $ifNull: ['$attachments', []] }, in: { $mergeObjects: ['$$this', { filename: { $literal: ERASED_FILENAME } }] } } },
      template: unlessAbsent('template', { $mergeObjects: ['$template', { parameters: { $literal: [] } }] }, '$$REMOVE'),
      reactions: unlessAbsent(
        'reactions',
        { $map: { input: '$reactions', in: { $mergeObjects: ['$$this', { from: { address: { $literal: ERASED_ADDRESS } } }] } } },
        '$$REMOVE',
      ),
      // A failed delivery's reason often quotes the recipient: '' where there was one.
      delivery: unlessAbsent('delivery.reason', { $mergeObjects: ['$delivery', { reason: '' }] }, '$delivery'),
    },
  },
  { $unset: ['fields', 'cc'] },
];

/** A reply, a forward or a transcript: an outbound message of the thread, queued until its delivery is known. */
function outboundMessage(
  conversationId: string,
  position: number,
  data: DataOf<'ReplyQueued'> | DataOf<'ConversationForwarded'> | DataOf<'TranscriptSent'>,
  at: string,
  kind: 'reply' | 'forward' | 'transcript',
): Omit<MessageRecord, '_id'> {
  return {
    conversationId,
    position,
    direction: 'out',
    channel: data.channel,
    from: null,
    to: data.to,
    subject: data.subject,
    text: data.text,
    html: data.html ?? null,
    // A reply's files (replies queued before replies could carry files have none).
    attachments: 'attachments' in data && data.attachments ? data.attachments : [],
    at,
    // The automatic transcript on close has no author: the system sent it.
    authorId: data.authorId ?? null,
    delivery: { status: 'queued', reason: null },
    deliveryPosition: position,
    kind,
  };
}

function insertMessage(id: string, fields: Omit<MessageRecord, '_id'>): AnyBulkWriteOperation {
  // Keyed by message id, first one wins (as the embedded thread projection's INSERT OR IGNORE).
  return { updateOne: { filter: { _id: id }, update: { $setOnInsert: fields }, upsert: true } } as AnyBulkWriteOperation;
}

function setDelivery(conversationId: string, messageId: string, position: number, delivery: NonNullable<MessageRecord['delivery']>): AnyBulkWriteOperation {
  return {
    updateOne: {
      filter: { _id: messageId, conversationId, deliveryPosition: { $lt: position } },
      update: { $set: { delivery, deliveryPosition: position } },
    },
  } as AnyBulkWriteOperation;
}

interface CountKey {
  inboxId: string;
  view: string;
}

function countKeys(doc: ConversationDoc | null): Map<string, CountKey> {
  if (!doc) return new Map();
  return new Map(
    viewMembership(doc).map(({ viewId, agentId }) => {
      const view = viewKey(viewId, agentId);
      return [viewCountId(doc.inboxId, view), { inboxId: doc.inboxId, view }];
    }),
  );
}

/** One guarded $inc per view entered or left (a moved sort key changes no count). */
function countWrites(before: ConversationDoc | null, after: ConversationDoc | null, position: number, plan: Plan): void {
  const old = countKeys(before);
  const next = countKeys(after);
  for (const [id, key] of old) if (!next.has(id)) plan.counters.push(increment(id, key, -1, position));
  for (const [id, key] of next) if (!old.has(id)) plan.counters.push(increment(id, key, +1, position));
}

function increment(id: string, key: CountKey, delta: 1 | -1, position: number): AnyBulkWriteOperation {
  return {
    updateOne: {
      filter: { _id: id, lastPosition: { $lt: position } },
      update: { $inc: { count: delta }, $set: { inboxId: key.inboxId, view: key.view, lastPosition: position } },
      upsert: true,
    },
  } as AnyBulkWriteOperation;
}

const QUERY_FIELDS = [
  'doc',
  'inboxId',
  'views',
  'lastReceivedAt',
  'k',
  'status',
  'channel',
  'contactId',
  'ticketId',
  'assignee',
  'assignedAgentId',
  'blockedAddress',
  'purgeAfter',
  'filtered',
  'trashed',
  'subjectWords',
  'contactWords',
  'bodyWords',
  'words',
  'bodyBudget',
] as const;

/** The conversation document after the batch: the state, the fields the queries use, the words. */
function conversationWrite(state: State): AnyBulkWriteOperation {
  const filter = { _id: state.id, lastPosition: { $lt: state.lastPosition } };
  const doc = state.doc;
  if (!doc) {
    // A tombstone (deleted forever), or an event for a conversation never started: only the position.
    return {
      updateOne: {
        filter,
        update: { $set: { lastPosition: state.lastPosition, deleted: state.deleted }, $unset: Object.fromEntries(QUERY_FIELDS.map((field) => [field, ''])) },
        upsert: true,
      },
    } as AnyBulkWriteOperation;
  }
  const set: Record<string, unknown> = {
    lastPosition: state.lastPosition,
    deleted: false,
    doc,
    inboxId: doc.inboxId,
    views: viewMembership(doc).map(({ viewId, agentId }) => viewKey(viewId, agentId)),
    lastReceivedAt: doc.lastReceivedAt,
    k: state.k,
    status: doc.status,
    channel: doc.channel,
    contactId: doc.contact?.id ?? null,
    ticketId: doc.ticket?.id ?? null,
    assignee: doc.assignee === null ? 'none' : doc.assignee.type === 'bot' ? 'bot' : doc.assignee.id,
    assignedAgentId: doc.assignee?.type === 'agent' ? doc.assignee.id : null,
    blockedAddress: doc.filtered ? doc.blockedAddress : null,
    purgeAfter: doc.trashed ? doc.purgeAfter : null,
    filtered: doc.filtered,
    trashed: doc.trashed,
    subjectWords: state.subjectWords,
    contactWords: state.contactWords,
    bodyBudget: state.bodyBudget,
  };
  const update: Record<string, unknown> = { $set: set };
  if (state.bodyWords) {
    set.bodyWords = [...state.bodyWords];
    set.words = [...new Set([...state.subjectWords, ...state.contactWords, ...state.bodyWords])];
  } else if (state.addedBodyWords.size > 0) {
    // The stored words already hold the subject and contact words (unchanged unless known).
    const added = [...state.addedBodyWords];
    update.$addToSet = { bodyWords: { $each: added }, words: { $each: added } };
  }
  return { updateOne: { filter, update, upsert: true } } as AnyBulkWriteOperation;
}
