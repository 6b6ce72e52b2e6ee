import { Inject } from '@nestjs/common';
import { CommandHandler, QueryHandler, type ICommandHandler, type IQueryHandler } from '@nestjs/cqrs';
import { contactDecider } from '../../domain/contact/contact.decider';
import { identityKey, identityOf, type ContactIdentity } from '../../domain/contact/identity';
import { conversationDecider } from '../../domain/conversation/conversation.decider';
import { AccessDeniedError, NotFoundError } from '../access/inbox-access';
import type { AuthenticatedAgent, CommandContext } from '../command-handling/command-context';
import { CommandExecutor } from '../command-handling/command-executor';
import { NOTIFY_ATTEMPTS, NOTIFY_BACKOFF, NOTIFY_CHANNEL_OF_DELETED_CONVERSATION_JOB } from '../jobs/notify-channel-of-deleted-conversation.job';
import { ATTACHMENT_STORE, type AttachmentStore } from '../ports/attachment-store.port';
import type { ConversationDeletedForever } from '../ports/channel-conversations.port';
import { EVENT_STORE, STORED_EVENT_STORE, type EventStore, type RecordedEvent } from '../ports/event-store.port';
import { JOB_QUEUE, type JobQueue } from '../ports/job-queue.port';
import { READ_STORE, type ReadStore } from '../ports/read-store.port';
import { RECORD_STORE, type RecordStore } from '../ports/record-store.port';
import { SUBJECT_KEYS, type SubjectKeys } from '../ports/subject-keys.port';
import { conversationIdFromStream, streams } from '../streams';
import { EraseContactCommand, ExportContactQuery, type ErasureResult } from './privacy.messages';

/** Merges are followed this far, as everywhere else. */
const MAX_MERGE_HOPS = 5;
/** Events read per page while looking for a contact's conversations. */
const SCAN_PAGE = 2000;

/** Privacy requests are for admins only: an agent of any other role is refused (403). */
function requireAdminAgent(agent: AuthenticatedAgent | null): AuthenticatedAgent {
  if (!agent || agent.role !== 'admin') throw new AccessDeniedError('only admins can export or erase a contact');
  return agent;
}

const unknownContact = (contactId: string) => new NotFoundError(`contact ${contactId} not found`);

/** Everything one privacy request covers: the contact (merges followed), the contacts merged into it, their conversations and tickets. */
export interface ContactFootprint {
  contactId: string;
  contactIds: string[];
  conversationIds: string[];
  ticketIds: string[];
}

/**
 * Finds what belongs to a contact from the event log, not from a read model: a conversation whose
 * current contact (ConversationStarted, then the latest ContactLinked; an unlink keeps it) is the contact or one
 * merged into it, in any inbox and state (trashed and spam too), and the tickets those
 * conversations created. Ids are no personal data, so the stored log is read without opening
 * anything. A contact already erased contributes the lists its ContactErased recorded, so an
 * erasure that stopped half-way finds the same set again.
 */
export async function contactFootprint(events: EventStore, stored: EventStore, records: RecordStore, requestedId: string): Promise<ContactFootprint> {
  let contactId = requestedId;
  let record = await records.getContact(contactId);
  for (let hop = 0; record?.mergedInto && hop < MAX_MERGE_HOPS; hop += 1) {
    contactId = record.mergedInto;
    record = await records.getContact(contactId);
  }
  const contactStream = await events.readStream(streams.contact(contactId));
  if (contactStream.length === 0) throw unknownContact(requestedId);

  const contactIds = new Set([contactId]);
  const conversationIds = new Set<string>();
  const ticketIds = new Set<string>();
  const pending = [contactStream];
  while (pending.length > 0) {
    for (const event of pending.pop()!) {
      if (event.type === 'ContactMergedIn') {
        const from = String(event.data.fromContactId);
        if (!contactIds.has(from)) {
          contactIds.add(from);
          pending.push(await events.readStream(streams.contact(from)));
        }
      } else if (event.type === 'ContactErased') {
        for (const id of (event.data.conversationIds as string[] | undefined) ?? []) conversationIds.add(id);
        for (const id of (event.data.ticketIds as string[] | undefined) ?? []) ticketIds.add(id);
      }
    }
  }

  const contactOf = new Map<string, string>();
  const ticketsOf = new Map<string, Set<string>>();
  const splits = new SplitFollower(events);
  for (let after = 0; ;) {
    const page = await stored.readAll({ after, maxCount: SCAN_PAGE });
    if (page.length === 0) break;
    for (const event of page) {
      noteConversationEvent(event, contactOf, ticketsOf);
      await splits.note(event, contactOf);
    }
    after = page[page.length - 1].position;
  }
  for (const [conversationId, owner] of contactOf) if (contactIds.has(owner)) conversationIds.add(conversationId);
  for (const conversationId of conversationIds) for (const ticketId of ticketsOf.get(conversationId) ?? []) ticketIds.add(ticketId);
  return { contactId, contactIds: [...contactIds], conversationIds: [...conversationIds].sort(), ticketIds: [...ticketIds].sort() };
}

function noteConversationEvent(event: RecordedEvent, contactOf: Map<string, string>, ticketsOf: Map<string, Set<string>>): void {
  const conversationId = conversationIdFromStream(event.streamId);
  if (conversationId === null) return;
  if (event.type === 'ConversationStarted') {
    const contact = event.data.contact as { id?: unknown } | undefined;
    if (typeof contact?.id === 'string') contactOf.set(conversationId, contact.id);
  } else if (event.type === 'ContactLinked' && typeof event.data.contactId === 'string') {
    contactOf.set(conversationId, event.data.contactId);
  } else if (event.type === 'ContactUnlinked') {
    // Unlinked, the conversation still holds that person's messages and no other contact claims them:
    // it stays theirs for export and erasure until a ContactLinked gives it to someone else.
  } else if (event.type === 'TicketCreated' && typeof event.data.ticketId === 'string') {
    const tickets = ticketsOf.get(conversationId) ?? new Set<string>();
    tickets.add(event.data.ticketId);
    ticketsOf.set(conversationId, tickets);
  }
}

/**
 * A split moves the conversations of the identity split off to the new contact in the read models
 * only (projections/sqlite/contact-splits.ts): no event names them. The scan does the same, in log
 * order, at the new contact's ContactCreated: the conversations then held by the contact split from
 * (merges followed) whose sender is that identity become the new contact's. Only those
 * conversations' first events and the new contact's are opened.
 */
class SplitFollower {
  private readonly mergedInto = new Map<string, string>();
  private readonly identityOfConversation = new Map<string, string | null>();

  constructor(private readonly events: EventStore) {}

  async note(event: RecordedEvent, contactOf: Map<string, string>): Promise<void> {
    if (!event.streamId.startsWith(CONTACT_STREAM)) return;
    if (event.type === 'ContactMerged' && typeof event.data.intoContactId === 'string') {
      this.mergedInto.set(event.streamId.slice(CONTACT_STREAM.length), event.data.intoContactId);
      return;
    }
    if (event.type !== 'ContactCreated' || event.data.source !== 'split' || typeof event.data.splitFrom !== 'string') return;
    const to = event.streamId.slice(CONTACT_STREAM.length);
    const from = this.live(event.data.splitFrom);
    const [created] = await this.events.readStream(streams.contact(to), { maxCount: 1 });
    const keys = new Set(((created?.data.identities as ContactIdentity[] | undefined) ?? []).map(identityKey));
    for (const [conversationId, owner] of contactOf) {
      if (this.live(owner) !== from) continue;
      const key = await this.identityKeyOf(conversationId);
      if (key !== null && keys.has(key)) contactOf.set(conversationId, to);
    }
  }

  private live(contactId: string): string {
    let id = contactId;
    for (let hop = 0; hop < MAX_MERGE_HOPS && this.mergedInto.has(id); hop += 1) id = this.mergedInto.get(id)!;
    return id;
  }

  /** The identity of the conversation's sender (a ContactLinked keeps the sender, so the first event says it). */
  private async identityKeyOf(conversationId: string): Promise<string | null> {
    if (!this.identityOfConversation.has(conversationId)) {
      const [started] = await this.events.readStream(streams.conversation(conversationId), { maxCount: 1 });
      const data = started?.type === 'ConversationStarted' ? (started.data as { channel?: unknown; contact?: { address?: unknown } }) : null;
      const key =
        typeof data?.channel === 'string' && typeof data.contact?.address === 'string' ? identityKey(identityOf(data.channel, data.contact.address)) : null;
      this.identityOfConversation.set(conversationId, key);
    }
    return this.identityOfConversation.get(conversationId)!;
  }
}

const CONTACT_STREAM = streams.contact('');

/** One entry of the export's timeline: what happened, when, by whom (never the event's data). */
function timelineEntry(event: RecordedEvent) {
  return { stream: event.streamId, type: event.type, at: event.metadata.occurredAt, actor: event.metadata.actor };
}

@QueryHandler(ExportContactQuery)
export class ExportContactHandler implements IQueryHandler<ExportContactQuery> {
  constructor(
    @Inject(EVENT_STORE) private readonly events: EventStore,
    @Inject(STORED_EVENT_STORE) private readonly stored: EventStore,
    @Inject(RECORD_STORE) private readonly records: RecordStore,
    @Inject(READ_STORE) private readonly readStore: ReadStore,
  ) {}

  async execute({ agent, contactId }: ExportContactQuery): Promise<Record<string, unknown>> {
    requireAdminAgent(agent);
    const footprint = await contactFootprint(this.events, this.stored, this.records, contactId);
    const contact = await this.records.getContact(footprint.contactId);
    const company = contact?.companyId ? await this.records.getCompany(contact.companyId) : null;
    const mergedFrom = [];
    for (const id of footprint.contactIds.filter((id) => id !== footprint.contactId)) mergedFrom.push(await this.records.getContact(id));
    const conversations = [];
    const timeline: ReturnType<typeof timelineEntry>[] = [];
    for (const id of footprint.contactIds) timeline.push(...(await this.events.readStream(streams.contact(id))).map(timelineEntry));
    for (const conversationId of footprint.conversationIds) {
      const detail = await this.readStore.getConversation(conversationId);
      if (detail) conversations.push(detail);
      timeline.push(...(await this.events.readStream(streams.conversation(conversationId))).map(timelineEntry));
    }
    const tickets = [];
    for (const ticketId of footprint.ticketIds) {
      const ticket = await this.records.getTicket(ticketId);
      if (ticket) tickets.push(ticket);
      timeline.push(...(await this.events.readStream(streams.ticket(ticketId))).map(timelineEntry));
    }
    timeline.sort((a, b) => a.at.localeCompare(b.at));
    return {
      format: 'parley-contact-export/1',
      exportedAt: new Date().toISOString(),
      contactId: footprint.contactId,
      contact,
      mergedFrom: mergedFrom.filter((c) => c !== null),
      company,
      conversations,
      tickets,
      timeline,
    };
  }
}

/**
 * Erasure (docs/privacy.md), in an order that a second call resumes wherever the first stopped:
 * 1. PersonalDataErased on every conversation (the read models scrub them as they project it);
 * 2. ContactErased on the contact and every contact merged into it, naming the conversations and
 *    tickets (a later call finds them there even once the read models forgot the link);
 * 3. the conversations' files (reply attachments) removed, and each channel told, as on delete
 *    forever, to remove what it keeps (email originals, inbound attachments);
 * 4. the subject keys of all those streams destroyed: from then on the log's personal values read
 *    redacted, everywhere, rebuilds included.
 * Every step is a no-op when already done; the answer comes only once all four are.
 */
@CommandHandler(EraseContactCommand)
export class EraseContactHandler implements ICommandHandler<EraseContactCommand> {
  constructor(
    private readonly executor: CommandExecutor,
    @Inject(STORED_EVENT_STORE) private readonly stored: EventStore,
    @Inject(RECORD_STORE) private readonly records: RecordStore,
    @Inject(SUBJECT_KEYS) private readonly keys: SubjectKeys,
    @Inject(ATTACHMENT_STORE) private readonly attachments: AttachmentStore,
    @Inject(JOB_QUEUE) private readonly jobs: JobQueue,
  ) {}

  async execute({ contactId, ctx }: EraseContactCommand): Promise<ErasureResult> {
    requireAdminAgent(ctx.agent);
    const footprint = await contactFootprint(this.executor.store, this.stored, this.records, contactId);
    const command: CommandContext = { ...ctx, expectedRevision: undefined };
    const now = this.executor.now();
    const notices: ConversationDeletedForever[] = [];
    for (const conversationId of footprint.conversationIds) {
      const streamId = streams.conversation(conversationId);
      const events = await this.executor.store.readStream(streamId);
      if (events.length === 0) continue; // deleted forever meanwhile
      const owner = footprint.contactIds.includes(contactOfStream(events) ?? '') ? contactOfStream(events)! : footprint.contactId;
      await this.executor.execute(streamId, conversationDecider, { type: 'ErasePersonalData', data: { contactId: owner, now: now.toISOString() } }, command);
      const notice = channelNotice(conversationId, events);
      if (notice) notices.push(notice);
    }
    for (const id of footprint.contactIds) {
      await this.executor.execute(
        streams.contact(id),
        contactDecider,
        { type: 'EraseContact', data: { at: now.toISOString(), conversationIds: footprint.conversationIds, ticketIds: footprint.ticketIds } },
        command,
      );
    }
    for (const conversationId of footprint.conversationIds) await this.attachments.deleteConversation(conversationId, now);
    for (const notice of notices) {
      await this.jobs.enqueue(
        NOTIFY_CHANNEL_OF_DELETED_CONVERSATION_JOB,
        { ...notice },
        { jobId: `contact-erased:${notice.conversationId}`, attempts: NOTIFY_ATTEMPTS, backoff: NOTIFY_BACKOFF },
      );
    }
    const sealedStreams = [
      ...footprint.contactIds.map((id) => streams.contact(id)),
      ...footprint.conversationIds.map((id) => streams.conversation(id)),
      ...footprint.ticketIds.map((id) => streams.ticket(id)),
    ];
    await this.keys.destroy(sealedStreams);
    // States folded before hold the opened values; from now on the log reads redacted.
    this.executor.forgetStates(sealedStreams);
    return { contactId: footprint.contactId, erased: true, conversations: footprint.conversationIds.length, tickets: footprint.ticketIds.length };
  }
}

function contactOfStream(events: readonly RecordedEvent[]): string | null {
  let contactId: string | null = null;
  for (const event of events) {
    if (event.type === 'ConversationStarted') contactId = (event.data.contact as { id?: string } | undefined)?.id ?? null;
    else if (event.type === 'ContactLinked') contactId = String(event.data.contactId);
  }
  return contactId;
}

/** What the channel is told, as on delete forever; read before the keys go (the thread id is sealed). */
function channelNotice(conversationId: string, events: readonly RecordedEvent[]): ConversationDeletedForever | null {
  const started = events.find((event) => event.type === 'ConversationStarted');
  if (!started) return null;
  const { inboxId, channel, externalThreadId } = started.data as { inboxId: string; channel: string; externalThreadId: string };
  const attachmentIds = new Set<string>();
  for (const event of events) for (const attachment of (event.data.attachments as { id: string }[] | undefined) ?? []) attachmentIds.add(attachment.id);
  return { conversationId, inboxId, channel, externalThreadId, attachmentIds: [...attachmentIds] };
}
