import { Inject, Injectable } from '@nestjs/common';
import { companyDecider, companyNameFromDomain } from '../../domain/company/company.decider';
import { contactDecider, type ContactCommand, type ContactState } from '../../domain/contact/contact.decider';
import type { ContactIdentity } from '../../domain/contact/identity';
import { emailDomain, identityOf } from '../../domain/contact/identity';
import { conversationDecider } from '../../domain/conversation/conversation.decider';
import { recordSettingsDecider } from '../../domain/record-settings/record-settings.decider';
import { normalizeAddress } from '../../domain/shared/address';
import { fold } from '../../domain/shared/decider';
import { isDomainError } from '../../domain/shared/domain-error';
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
import { KeyedSequence } from '../process-managers/keyed-sequence';
import { ContactRecordsMemory } from './contact-records.memory';

const CONTACT_STREAM_PREFIX = 'contact-';

/**
 * Keeps the contact records in step with the conversations (docs/contacts.md): a conversation's
 * contact gets its record (with the sender's identity and name), a later message's name fills an
 * empty one, and an email address at a company domain (not a free-mail one) joins the company
 * holding that domain, made first when none does. Runs from the start of the log, so conversations older than the records get theirs
 * too. At least once: every step is a no-op when already done.
 *
 * A new contact is one command: its record and the company its email domain joins it to, in one
 * append of the contact's stream (ContactCreated, then the ContactPropertiesChanged of the
 * association); only the first contact of a domain nobody holds makes the domain's company first.
 * The commands do not wait for the read models: what the manager wrote it remembers until the views
 * lane shows it, the contact of each conversation as it met it in the log (ContactRecordsMemory),
 * and the free-mail list until it meets a change of it in the log. Every write is still decided on
 * the stream it writes (an existing contact is not created again, a company of the domain's derived
 * id is made once), so a restart, which forgets all of it, only makes the manager read more.
 *
 * The runner hands it up to `concurrency` events at once, so that many new contacts wait for the
 * log's commit together instead of one after the other. The events of one contact still run in log
 * order (KeyedSequence, keyed by contact id); what cannot tell its contact before reading, and
 * changes of the free-mail list or of a conversation's link, run alone.
 */
@Injectable()
export class ContactRecords implements ProcessManager {
  readonly name = 'contact-records';
  readonly handles = [
    'ConversationStarted',
    'MessageReceived',
    'ContactLinked',
    'ContactUnlinked',
    'ContactCreated',
    'ContactIdentityAdded',
    'FreeMailDomainsSet',
  ] as const;

  /**
   * Handled events the runner may hand over at once: a new contact's command waits for the log's
   * commit, not for the one before. 64 keeps up with 128 ingest connections (275–283 records/s);
   * 128 did too but took the server's peak RSS to 300–302 MB (bench/README.md, issue 17).
   */
  readonly concurrency = 64;
  private readonly memory: ContactRecordsMemory;
  private readonly sequence = new KeyedSequence();
  /** A domain's company being looked for or made right now: contacts of one new domain at once make it once. */
  private readonly companiesUnderWay = new Map<string, Promise<string>>();
  /** The record settings' free-mail domains; null until read (again) from their stream. */
  private freeMailDomains: Promise<ReadonlySet<string>> | null = null;

  constructor(
    private readonly executor: CommandExecutor,
    private readonly resolver: ContactResolver,
    @Inject(READ_STORE) private readonly readStore: ReadStore,
    @Inject(RECORD_STORE) private readonly records: RecordStore,
  ) {
    this.memory = new ContactRecordsMemory(() => executor.projected());
  }

  /** A new pass may start after events this instance did not see (another held the projector lease): nothing remembered holds. */
  startPass(): void {
    this.memory.clear();
    this.freeMailDomains = null;
    this.companiesUnderWay.clear();
  }

  /**
   * Called for the events of a run one right after the other (`concurrency`): what decides the order
   * is taken here, before anything is awaited. Work on one contact runs in log order (its key);
   * work whose contact is not known yet, and changes of the settings and links it relies on, run
   * alone, after everything before them.
   */
  handle(event: RecordedEvent): Promise<void> {
    const ctx = systemContext({ correlationId: event.metadata.correlationId, causationId: event.id });
    switch (event.type) {
      case 'ConversationStarted': {
        const data = event.data as { channel: string; contact: { id: string; address: string; name?: string } };
        const conversationId = conversationIdFromStream(event.streamId);
        if (conversationId)
          this.memory.rememberConversation(conversationId, { contactId: data.contact.id, address: data.contact.address, channel: data.channel });
        return this.sequence.run([data.contact.id], () =>
          this.ensureContact(data.contact.id, data.channel, data.contact.address, data.contact.name, event, ctx),
        );
      }
      case 'ContactLinked': {
        const conversationId = conversationIdFromStream(event.streamId);
        if (!conversationId) return Promise.resolve();
        const data = event.data as { contactId: string; address: string; name?: string };
        const known = this.memory.conversation(conversationId);
        if (known) {
          this.memory.rememberConversation(conversationId, { contactId: data.contactId, address: data.address, channel: known.channel });
          return this.sequence.run([data.contactId], () => this.ensureContact(data.contactId, known.channel, data.address, data.name, event, ctx));
        }
        return this.sequence.alone(async () => {
          const channel = await this.channelOf(conversationId);
          if (!channel) return;
          this.memory.rememberConversation(conversationId, { contactId: data.contactId, address: data.address, channel });
          await this.ensureContact(data.contactId, channel, data.address, data.name, event, ctx);
        });
      }
      case 'ContactUnlinked': {
        const conversationId = conversationIdFromStream(event.streamId);
        if (!conversationId) return Promise.resolve();
        return this.sequence.alone(async () => this.memory.forgetConversation(conversationId));
      }
      case 'FreeMailDomainsSet':
        if (event.streamId !== streams.recordSettings()) return Promise.resolve();
        // Read again when next needed: a change applies to the addresses the manager meets after it.
        return this.sequence.alone(async () => {
          this.freeMailDomains = null;
        });
      case 'MessageReceived': {
        const from = event.data.from as { address?: string; name?: string } | undefined;
        const conversationId = conversationIdFromStream(event.streamId);
        if (!from?.name?.trim() || !from.address || !conversationId) return Promise.resolve();
        const { name, address } = from;
        const known = this.memory.conversation(conversationId);
        if (known) return this.sequence.run([known.contactId], () => this.fillNameFromMessage(known, address, name, ctx));
        return this.sequence.alone(async () => {
          const contact = await this.contactOfConversation(conversationId, event.streamId);
          if (contact) await this.fillNameFromMessage(contact, address, name, ctx);
        });
      }
      case 'ContactCreated':
      case 'ContactIdentityAdded': {
        if (!event.streamId.startsWith(CONTACT_STREAM_PREFIX)) return Promise.resolve();
        const contactId = event.streamId.slice(CONTACT_STREAM_PREFIX.length);
        const identities = event.type === 'ContactCreated' ? (event.data.identities as ContactIdentity[]) : [event.data.identity as ContactIdentity];
        return this.sequence.run([contactId], () => this.joinCompanyByDomain(contactId, identities ?? [], ctx));
      }
      default:
        return Promise.resolve();
    }
  }

  /**
   * The record exists (made now if not, with its company when its email domain has one); a name it
   * lacks is filled from the conversation's.
   */
  private async ensureContact(
    contactId: string,
    channel: string,
    address: string,
    name: string | undefined,
    event: RecordedEvent,
    ctx: CommandContext,
  ): Promise<void> {
    const remembered = this.memory.contact(contactId);
    if (remembered && remembered.status !== 'none') {
      if (name?.trim()) await this.fillName(contactId, name, ctx, remembered);
      return;
    }
    const identity = identityOf(channel, address);
    const createdAt = event.metadata.occurredAt;
    const outcome = await this.executor.executeUnsettled(
      streams.contact(contactId),
      contactDecider,
      // The company is looked for only when the contact is new: an existing one joined (or did not) when it was made.
      async (state): Promise<ContactCommand> => ({
        type: 'CreateContact',
        data: {
          contactId,
          identities: [identity],
          ...(name?.trim() ? { name: name.trim() } : {}),
          source: 'inbound',
          createdAt,
          ...(state.status === 'none' ? await this.companyOnCreation(identity, ctx) : {}),
        },
      }),
      ctx,
    );
    this.memory.rememberContact(contactId, outcome.state, outcome.position);
    if (outcome.events.length === 0 && name?.trim()) await this.fillName(contactId, name, ctx, outcome.state);
  }

  /**
   * The company a new contact joins as it is made. A company the rules refuse to make is not made
   * here: the contact is created without one, and its ContactCreated tries again (joinCompanyByDomain),
   * where the refusal is logged and passed over, as it always was.
   */
  private async companyOnCreation(identity: ContactIdentity, ctx: CommandContext): Promise<{ joinCompanyId?: string }> {
    if (identity.kind !== 'email') return {};
    try {
      const domain = await this.companyDomain([identity]);
      return domain ? { joinCompanyId: await this.companyOf(domain, ctx) } : {};
    } catch (error) {
      if (isDomainError(error)) return {};
      throw error;
    }
  }

  /** The conversation's contact when the manager has not met it in this pass: the read model's, else its stream's. */
  private async contactOfConversation(conversationId: string, streamId: string): Promise<{ contactId: string; address: string } | null> {
    const known = this.memory.conversation(conversationId);
    if (known) return known;
    const summary = await this.readStore.getConversationSummary(conversationId);
    if (summary?.contact) return { contactId: summary.contact.id, address: summary.contact.address };
    const state = fold(conversationDecider, toDomainEvents(await this.executor.store.readStream(streamId)));
    return (state.status === 'open' || state.status === 'closed') && state.contact ? { contactId: state.contact.id, address: state.contact.address } : null;
  }

  /** Only a message from the conversation's contact names the contact. */
  private async fillNameFromMessage(contact: { contactId: string; address: string }, from: string, name: string, ctx: CommandContext): Promise<void> {
    if (normalizeAddress(contact.address) !== normalizeAddress(from)) return;
    await this.fillName(contact.contactId, name, ctx);
  }

  /** `known`: the contact's state from its stream, when the caller has just read it. */
  private async fillName(contactId: string, name: string, ctx: CommandContext, known?: ContactState): Promise<void> {
    const state = known ?? this.memory.contact(contactId);
    let id = contactId;
    if (state?.status === 'active') {
      if (state.name?.trim()) return;
    } else {
      // Nearly every message comes from a contact named already: the record says so without reading
      // its history. A record behind (or missing) is no answer: then the stream decides.
      let record = await this.records.getContact(contactId);
      if (record?.mergedInto) record = await this.records.getContact(record.mergedInto);
      if (record && !record.mergedInto && record.name?.trim()) return;
      id = await this.resolver.follow(contactId);
    }
    let outcome = await this.executor.executeUnsettled(streams.contact(id), contactDecider, { type: 'FillContactName', data: { name } }, ctx);
    if (outcome.state.status === 'merged') {
      // Merged since the state the manager knew: the name goes where the contact went.
      id = await this.resolver.follow(id);
      outcome = await this.executor.executeUnsettled(streams.contact(id), contactDecider, { type: 'FillContactName', data: { name } }, ctx);
    }
    this.memory.rememberContact(id, outcome.state, outcome.position);
  }

  private async joinCompanyByDomain(contactId: string, identities: readonly ContactIdentity[], ctx: CommandContext): Promise<void> {
    const domain = await this.companyDomain(identities);
    if (!domain) return;
    // A contact the manager made with its company (nearly every one) is known to have it.
    const remembered = this.memory.contact(contactId);
    if (remembered && (remembered.status !== 'active' || remembered.companyId)) return;
    const contact = await contactState(this.executor.store, contactId);
    if (contact.status !== 'active' || contact.companyId) return;
    const companyId = await this.companyOf(domain, ctx);
    const outcome = await this.executor.executeUnsettled(streams.contact(contactId), contactDecider, { type: 'AssociateCompany', data: { companyId } }, ctx);
    this.memory.rememberContact(contactId, outcome.state, outcome.position);
  }

  /** The first domain of the identities' email addresses that is not a free-mail one; null when none is. */
  private async companyDomain(identities: readonly ContactIdentity[]): Promise<string | null> {
    const emails = identities.filter((identity) => identity.kind === 'email');
    if (emails.length === 0) return null;
    const freeMail = await this.freeMail();
    return emails.map((identity) => emailDomain(identity.value)).find((d): d is string => d !== null && !freeMail.has(d)) ?? null;
  }

  /** Read once for all the events handled at once; read again after a failed read. */
  private freeMail(): Promise<ReadonlySet<string>> {
    if (!this.freeMailDomains) {
      const reading = this.executor.store
        .readStream(streams.recordSettings())
        .then((events) => new Set(fold(recordSettingsDecider, toDomainEvents(events)).freeMailDomains) as ReadonlySet<string>);
      this.freeMailDomains = reading;
      reading.catch(() => {
        if (this.freeMailDomains === reading) this.freeMailDomains = null;
      });
    }
    return this.freeMailDomains;
  }

  /**
   * The company a domain's contacts join. A company that holds the domain (one made by hand, or
   * renamed to it) is the one; only when none does is the domain's own company made, under its
   * derived id, so that it is made once however often this runs.
   */
  private companyOf(domain: string, ctx: CommandContext): Promise<string> {
    const remembered = this.memory.companyOfDomain(domain);
    if (remembered) return Promise.resolve(remembered);
    let underWay = this.companiesUnderWay.get(domain);
    if (!underWay) {
      underWay = this.findOrMakeCompany(domain, ctx).finally(() => this.companiesUnderWay.delete(domain));
      this.companiesUnderWay.set(domain, underWay);
    }
    return underWay;
  }

  private async findOrMakeCompany(domain: string, ctx: CommandContext): Promise<string> {
    const existing = await this.records.findCompanyIdByDomain(domain);
    if (existing) return existing;
    const companyId = deriveIds.company(domain);
    const outcome = await this.executor.executeUnsettled(
      streams.company(companyId),
      companyDecider,
      {
        type: 'CreateCompany',
        data: { companyId, name: companyNameFromDomain(domain), domain, source: 'email-domain', createdAt: this.executor.now().toISOString() },
      },
      ctx,
    );
    this.memory.rememberCompany(domain, companyId, outcome.position);
    return companyId;
  }

  private async channelOf(conversationId: string): Promise<string | null> {
    const summary = await this.readStore.getConversationSummary(conversationId);
    if (summary) return summary.channel;
    const [first] = await this.executor.store.readStream(streams.conversation(conversationId), { maxCount: 1 });
    return first?.type === 'ConversationStarted' ? String(first.data.channel) : null;
  }
}
