import type { RecordedEvent } from '../application/ports/event-store.port';
import type { ConversationEvent, ConversationEventType } from '../domain/conversation/conversation.events';
import { normalizeAddress } from '../domain/shared/address';
import { ERASED_ADDRESS } from '../application/privacy/personal-fields';
import type { Assignee, Channel, Party } from '../domain/shared/types';

/**
 * The conversation read-model document: everything a list row (docs/api.md ConversationSummary) and
 * the view rules need, folded from the conversation's events. Pure: no I/O, no clock.
 * Agent names are not stored here; they are joined at query time so a rename shows everywhere.
 */
export interface ConversationDoc {
  id: string;
  inboxId: string;
  channel: Channel;
  status: 'open' | 'closed';
  origin: 'inbound' | 'outbound';
  assignee: Assignee;
  /** Once an agent held it, it never returns to the Bots view. */
  everAssignedToAgent: boolean;
  /**
   * `email`: the address a contact without one gave later (rule 12); absent until then.
   * `language`: the contact's language as their channel last said (a chat visitor's browser).
   */
  contact: { id: string; name: string | null; address: string; email?: string; language?: string } | null;
  participants: Party[];
  subject: string;
  preview: string;
  /** receivedAt of the last inbound message; the start time while there is none (sort key). */
  lastReceivedAt: string;
  awaitingReply: boolean;
  awaitingContactReply: boolean;
  commentPreview: string | null;
  /** An agent forwarded it outside the company at least once (rule 13). */
  forwarded: boolean;
  spam: boolean;
  filtered: boolean;
  /** The sender address whose block filtered this conversation (null when not filtered). */
  blockedAddress: string | null;
  trashed: boolean;
  trashedAt: string | null;
  purgeAfter: string | null;
  ticket: { id: string; name: string; status: 'open' | 'closed' } | null;
  /** Stream revision of the last event folded in (the ETag). */
  revision: number;
}

export const PREVIEW_LENGTH = 160;

type DataOf<T extends ConversationEventType> = Extract<ConversationEvent, { type: T }>['data'];
type Evolver<T extends ConversationEventType> = (doc: ConversationDoc, data: DataOf<T>) => ConversationDoc | null;

/** Every conversation event type the document reacts to (the projection subscribes to these). */
const evolvers: { [T in Exclude<ConversationEventType, 'ConversationStarted'>]: Evolver<T> } = {
  MessageReceived: (doc, data) => {
    const receivedAt = normalizeTime(data.receivedAt);
    const contact = data.language && doc.contact ? { ...doc.contact, language: data.language } : doc.contact;
    // Cc'd people and the others in To take part in the thread (the host left the inbox's own address out of both).
    const participants = [...(data.toOthers ?? []), ...(data.cc ?? [])].reduce(withParticipant, withParticipant(doc.participants, data.from));
    const base = { ...doc, contact, participants, awaitingContactReply: false };
    // A message that arrives late but was received earlier (a delayed email) must not move the
    // conversation down the list or replace the newer preview (rule 1 sorts by last received).
    if (receivedAt < doc.lastReceivedAt && doc.origin === 'inbound') return base;
    return { ...base, preview: singleLine(data.text, PREVIEW_LENGTH), lastReceivedAt: receivedAt, awaitingReply: true };
  },
  ReplyQueued: (doc, data) => ({
    ...doc,
    participants: [...data.to, ...(data.cc ?? [])].reduce(withParticipant, doc.participants),
    preview: singleLine(data.text, PREVIEW_LENGTH),
    awaitingReply: false,
  }),
  // Where a flow bot is in its flow shows in the thread and history, not in the list.
  BotFlowAdvanced: (doc) => doc,
  // A forward is no answer to the contact (awaitingReply stays); the list shows that it happened.
  ConversationForwarded: (doc) => ({ ...doc, forwarded: true }),
  // A transcript (rule 12) is a copy of the thread, no answer: the thread shows it, the list does not change.
  TranscriptSent: (doc) => doc,
  // Delivery status lives in the thread read model; the summary only moves its revision.
  ReplyDelivered: (doc) => doc,
  ReplyDeliveryFailed: (doc) => doc,
  ConversationAssigned: (doc, data) => ({
    ...doc,
    assignee: data.assignee,
    everAssignedToAgent: doc.everAssignedToAgent || data.assignee.type === 'agent',
  }),
  ConversationUnassigned: (doc) => ({ ...doc, assignee: null }),
  ConversationClosed: (doc) => ({ ...doc, status: 'closed' }),
  ConversationReopened: (doc) => ({ ...doc, status: 'open' }),
  CommentAdded: (doc, data) => ({ ...doc, commentPreview: singleLine(data.text, PREVIEW_LENGTH) }),
  ConversationMarkedAsSpam: (doc) => ({ ...doc, spam: true }),
  ConversationMarkedAsNotSpam: (doc) => ({ ...doc, spam: false }),
  ConversationFiltered: (doc, data) => ({ ...doc, filtered: true, blockedAddress: normalizeAddress(data.address) }),
  ConversationUnfiltered: (doc) => ({ ...doc, filtered: false, blockedAddress: null }),
  ConversationTrashed: (doc, data) => ({
    ...doc,
    trashed: true,
    trashedAt: normalizeTime(data.trashedAt),
    purgeAfter: normalizeTime(data.purgeAfter),
  }),
  ConversationRestored: (doc) => ({ ...doc, trashed: false, trashedAt: null, purgeAfter: null }),
  ConversationDeleted: () => null,
  TicketCreated: (doc, data) => ({ ...doc, ticket: { id: data.ticketId, name: data.name, status: 'open' } }),
  TicketClosed: (doc, data) => (doc.ticket?.id === data.ticketId ? { ...doc, ticket: { ...doc.ticket, status: 'closed' } } : doc),
  TicketDeleted: (doc, data) => (doc.ticket?.id === data.ticketId ? { ...doc, ticket: null } : doc),
  ContactUnlinked: (doc) => ({ ...doc, contact: null }),
  ContactLinked: (doc, data) => ({ ...doc, contact: { id: data.contactId, name: data.name ?? null, address: data.address } }),
  // The contact was erased (docs/privacy.md): every personal value becomes what a rebuild from the
  // redacted log gives here too, so the live document and a rebuilt one stay equal.
  PersonalDataErased: (doc) => ({
    ...doc,
    contact: doc.contact
      ? { id: doc.contact.id, name: null, address: ERASED_ADDRESS, ...(doc.contact.language ? { language: doc.contact.language } : {}) }
      : null,
    participants: [],
    subject: '',
    preview: '',
    commentPreview: doc.commentPreview === null ? null : '',
    blockedAddress: doc.blockedAddress === null ? null : ERASED_ADDRESS,
    ticket: doc.ticket ? { ...doc.ticket, name: '' } : null,
  }),
  ContactEmailProvided: (doc, data) => (doc.contact ? { ...doc, contact: { ...doc.contact, email: data.address } } : doc),
  BotHandoffRequested: (doc) => doc,
  // Receipts and reactions show in the thread, not in the lists (the thread projection keeps them).
  ReplyStatusReported: (doc) => doc,
  ReactionReceived: (doc) => doc,
};

export const CONVERSATION_EVENT_TYPES: readonly string[] = ['ConversationStarted', ...Object.keys(evolvers)];

/**
 * Folds one recorded event of a conversation stream into its document. Returns null once the
 * conversation is deleted, and ignores events that arrive without a started conversation.
 */
export function evolveConversationDoc(doc: ConversationDoc | null, event: RecordedEvent): ConversationDoc | null {
  if (event.type === 'ConversationStarted') {
    return startedDoc(event.data as DataOf<'ConversationStarted'>, event.revision);
  }
  const evolve = evolvers[event.type as keyof typeof evolvers] as Evolver<ConversationEventType> | undefined;
  if (!doc || !evolve) return doc;
  const next = evolve(doc, event.data as never);
  return next && { ...next, revision: event.revision };
}

function startedDoc(data: DataOf<'ConversationStarted'>, revision: number): ConversationDoc {
  const contact = { id: data.contact.id, name: data.contact.name ?? null, address: data.contact.address };
  return {
    id: data.conversationId,
    inboxId: data.inboxId,
    channel: data.channel,
    status: 'open',
    origin: data.origin,
    assignee: null,
    everAssignedToAgent: false,
    contact,
    participants: withParticipant([], toParty(contact)),
    subject: data.subject,
    preview: '',
    lastReceivedAt: normalizeTime(data.startedAt),
    awaitingReply: false,
    awaitingContactReply: data.origin === 'outbound',
    commentPreview: null,
    forwarded: false,
    spam: false,
    filtered: false,
    blockedAddress: null,
    trashed: false,
    trashedAt: null,
    purgeAfter: null,
    ticket: null,
    revision,
  };
}

function toParty(contact: { address: string; name: string | null }): Party {
  return contact.name ? { address: contact.address, name: contact.name } : { address: contact.address };
}

/** Adds a party once per address (compared normalised); a later name fills in a missing one. */
export function withParticipant(participants: Party[], party: Party): Party[] {
  const key = normalizeAddress(party.address);
  const index = participants.findIndex((p) => normalizeAddress(p.address) === key);
  if (index === -1) return [...participants, party.name ? { address: party.address, name: party.name } : { address: party.address }];
  if (participants[index].name || !party.name) return participants;
  return participants.map((p, i) => (i === index ? { ...p, name: party.name } : p));
}

/** One line of at most `max` characters, for list rows. */
export function singleLine(text: string, max: number): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length <= max ? line : `${line.slice(0, max - 1).trimEnd()}…`;
}

/**
 * Times with an explicit zone are rewritten to `toISOString()` form, so that the text sort of
 * lastReceivedAt / purgeAfter in SQL is also the time order ("…00Z" and "…00.000Z" agree).
 * Zone-less strings are kept: parsing them would depend on the server's time zone.
 */
export function normalizeTime(value: string): string {
  if (!/(Z|[+-]\d\d:?\d\d)$/i.test(value)) return value;
  const time = Date.parse(value);
  return Number.isNaN(time) ? value : new Date(time).toISOString();
}
