import { Inject, Injectable } from '@nestjs/common';
import { companyDecider, companyNameFromDomain } from '../../domain/company/company.decider';
import { contactDecider } from '../../domain/contact/contact.decider';
import type { ContactIdentity } from '../../domain/contact/identity';
import { emailDomain, identityOf } from '../../domain/contact/identity';
import { conversationDecider } from '../../domain/conversation/conversation.decider';
import { recordSettingsDecider } from '../../domain/record-settings/record-settings.decider';
import { normalizeAddress } from '../../domain/shared/address';
import { fold } from '../../domain/shared/decider';
import { systemContext, type CommandContext } from '../command-handling/command-context';
import { CommandExecutor } from '../command-handling/command-executor';
import { toDomainEvents } from '../command-handling/handle-command';
import type { RecordedEvent } from '../ports/event-store.port';
import { READ_STORE, type ReadStore } from '../ports/read-store.port';
import { RECORD_STORE, type RecordStore } from '../ports/record-store.port';
import type { ProcessManager } from '../process-managers/process-manager';
import { conversationIdFromStream, deriveIds, streams } from '../streams';
import { ContactResolver } from './contact-resolver';
import { contactState } from './contact-access';

const CONTACT_STREAM_PREFIX = 'contact-';

/**
 * Keeps the contact records in step with the conversations (docs/contacts.md): a conversation's
 * contact gets its record (with the sender's identity and name), a later message's name fills an
 * empty one, and an email address at a company domain (not a free-mail one) joins the company
 * holding that domain, made first when none does. Runs from the start of the log, so conversations older than the records get theirs
 * too. At least once: every step is a no-op when already done.
 */
@Injectable()
export class ContactRecords implements ProcessManager {
  readonly name = 'contact-records';
  readonly handles = ['ConversationStarted', 'MessageReceived', 'ContactLinked', 'ContactCreated', 'ContactIdentityAdded'] as const;

  constructor(
    private readonly executor: CommandExecutor,
    private readonly resolver: ContactResolver,
    @Inject(READ_STORE) private readonly readStore: ReadStore,
    @Inject(RECORD_STORE) private readonly records: RecordStore,
  ) {}

  async handle(event: RecordedEvent): Promise<void> {
    const ctx = systemContext({ correlationId: event.metadata.correlationId, causationId: event.id });
    switch (event.type) {
      case 'ConversationStarted': {
        const data = event.data as { channel: string; contact: { id: string; address: string; name?: string } };
        await this.ensureContact(data.contact.id, data.channel, data.contact.address, data.contact.name, event, ctx);
        return;
      }
      case 'ContactLinked': {
        const conversationId = conversationIdFromStream(event.streamId);
        if (!conversationId) return;
        const data = event.data as { contactId: string; address: string; name?: string };
        const channel = await this.channelOf(conversationId);
        if (channel) await this.ensureContact(data.contactId, channel, data.address, data.name, event, ctx);
        return;
      }
      case 'MessageReceived':
        return this.fillNameFromMessage(event, ctx);
      case 'ContactCreated':
      case 'ContactIdentityAdded': {
        if (!event.streamId.startsWith(CONTACT_STREAM_PREFIX)) return;
        const contactId = event.streamId.slice(CONTACT_STREAM_PREFIX.length);
        const identities = event.type === 'ContactCreated' ? (event.data.identities as ContactIdentity[]) : [event.data.identity as ContactIdentity];
        return this.joinCompanyByDomain(contactId, identities ?? [], ctx);
      }
    }
  }

  /** The record exists (made now if not); a name it lacks is filled from the conversation's. */
  private async ensureContact(
    contactId: string,
    channel: string,
    address: string,
    name: string | undefined,
    event: RecordedEvent,
    ctx: CommandContext,
  ): Promise<void> {
    const createdAt = event.metadata.occurredAt;
    const outcome = await this.executor.execute(
      streams.contact(contactId),
      contactDecider,
      {
        type: 'CreateContact',
        data: { contactId, identities: [identityOf(channel, address)], ...(name?.trim() ? { name: name.trim() } : {}), source: 'inbound', createdAt },
      },
      ctx,
    );
    if (outcome.events.length === 0 && name?.trim()) await this.fillName(contactId, name, ctx);
  }

  /** Only a message from the conversation's contact names the contact. */
  private async fillNameFromMessage(event: RecordedEvent, ctx: CommandContext): Promise<void> {
    const from = event.data.from as { address?: string; name?: string } | undefined;
    if (!from?.name?.trim() || !from.address) return;
    const conversationId = conversationIdFromStream(event.streamId);
    if (!conversationId) return;
    const summary = await this.readStore.getConversationSummary(conversationId);
    let contact = summary?.contact ?? null;
    if (!contact) {
      const state = fold(conversationDecider, toDomainEvents(await this.executor.store.readStream(event.streamId)));
      contact =
        (state.status === 'open' || state.status === 'closed') && state.contact ? { id: state.contact.id, name: null, address: state.contact.address } : null;
    }
    if (!contact || normalizeAddress(contact.address) !== normalizeAddress(from.address)) return;
    await this.fillName(contact.id, from.name, ctx);
  }

  private async fillName(contactId: string, name: string, ctx: CommandContext): Promise<void> {
    // Nearly every message comes from a contact named already: the record says so without reading
    // its history. A record behind (or missing) is no answer: then the stream decides.
    let record = await this.records.getContact(contactId);
    if (record?.mergedInto) record = await this.records.getContact(record.mergedInto);
    if (record && !record.mergedInto && record.name?.trim()) return;
    const id = await this.resolver.follow(contactId);
    await this.executor.execute(streams.contact(id), contactDecider, { type: 'FillContactName', data: { name } }, ctx);
  }

  private async joinCompanyByDomain(contactId: string, identities: readonly ContactIdentity[], ctx: CommandContext): Promise<void> {
    const emails = identities.filter((identity) => identity.kind === 'email');
    if (emails.length === 0) return;
    const contact = await contactState(this.executor.store, contactId);
    if (contact.status !== 'active' || contact.companyId) return;
    const settings = fold(recordSettingsDecider, toDomainEvents(await this.executor.store.readStream(streams.recordSettings())));
    const domain = emails.map((identity) => emailDomain(identity.value)).find((d): d is string => d !== null && !settings.freeMailDomains.includes(d));
    if (!domain) return;
    // A company that holds the domain (one made by hand, or renamed to it) is the one its contacts
    // join; only when none does is the domain's own company made, under its derived id.
    const existing = await this.records.findCompanyIdByDomain(domain);
    if (existing) {
      await this.executor.execute(streams.contact(contactId), contactDecider, { type: 'AssociateCompany', data: { companyId: existing } }, ctx);
      return;
    }
    const companyId = deriveIds.company(domain);
    await this.executor.execute(
      streams.company(companyId),
      companyDecider,
      {
        type: 'CreateCompany',
        data: { companyId, name: companyNameFromDomain(domain), domain, source: 'email-domain', createdAt: this.executor.now().toISOString() },
      },
      ctx,
    );
    await this.executor.execute(streams.contact(contactId), contactDecider, { type: 'AssociateCompany', data: { companyId } }, ctx);
  }

  private async channelOf(conversationId: string): Promise<string | null> {
    const summary = await this.readStore.getConversationSummary(conversationId);
    if (summary) return summary.channel;
    const [first] = await this.executor.store.readStream(streams.conversation(conversationId), { maxCount: 1 });
    return first?.type === 'ConversationStarted' ? String(first.data.channel) : null;
  }
}
