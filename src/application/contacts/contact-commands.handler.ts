import { randomUUID } from 'node:crypto';
import { Inject } from '@nestjs/common';
import { CommandHandler, QueryBus, type ICommandHandler } from '@nestjs/cqrs';
import { contactDecider, identitiesFromLists, type ContactPropertyChanges, type ContactState } from '../../domain/contact/contact.decider';
import { contactMergesDecider } from '../../domain/contact/contact-merges';
import type { ContactEvent } from '../../domain/contact/contact.events';
import { identityKey, type ContactIdentity } from '../../domain/contact/identity';
import { conversationDecider } from '../../domain/conversation/conversation.decider';
import { fold } from '../../domain/shared/decider';
import { conflict } from '../../domain/shared/domain-error';
import { InboxAccess, InvalidRequestError } from '../access/inbox-access';
import type { CommandContext } from '../command-handling/command-context';
import { CommandExecutor } from '../command-handling/command-executor';
import { toDomainEvents } from '../command-handling/handle-command';
import { inboxGuard, toResult, type ConversationCommandResult } from '../conversations/conversation-result';
import { ConcurrencyError } from '../ports/event-store.port';
import { RECORD_STORE, type RecordStore } from '../ports/record-store.port';
import { streams } from '../streams';
import { contactState, definitionsOf, isVisible, requireAgent, unknownContact, visibleContact } from './contact-access';
import {
  CreateContactCommand,
  GetContactQuery,
  LinkConversationContactCommand,
  MergeContactsCommand,
  SplitContactIdentityCommand,
  UpdateContactCommand,
  type ContactChanges,
  type ContactView,
} from './contact.messages';

/** The command context of a second stream's write in the same request: its own If-Match does not apply there. */
const withoutIfMatch = (ctx: CommandContext): CommandContext => ({ ...ctx, expectedRevision: undefined });

@CommandHandler(CreateContactCommand)
export class CreateContactHandler implements ICommandHandler<CreateContactCommand> {
  constructor(
    private readonly executor: CommandExecutor,
    private readonly access: InboxAccess,
    @Inject(RECORD_STORE) private readonly records: RecordStore,
    private readonly queryBus: QueryBus,
  ) {}

  async execute({ input, ctx }: CreateContactCommand): Promise<ContactView> {
    const agent = requireAgent(ctx);
    const identities = identitiesFromLists(input.emails ?? [], input.phones ?? []);
    await assertIdentitiesFree(this.records, identities, null, await this.access.reachableInboxIds(agent));
    if (input.companyId) await assertCompany(this.records, input.companyId);
    const contactId = randomUUID();
    const create = withoutIfMatch(ctx);
    await this.executor.execute(
      streams.contact(contactId),
      contactDecider,
      {
        type: 'CreateContact',
        data: { contactId, identities, name: input.name, source: 'agent', createdAt: this.executor.now().toISOString() },
      },
      create,
    );
    const rest: ContactPropertyChanges = { jobTitle: input.jobTitle, companyId: input.companyId ?? undefined, custom: input.custom };
    if (rest.jobTitle !== undefined || rest.companyId !== undefined || rest.custom !== undefined) {
      const definitions = await definitionsOf(this.records, 'contact');
      await this.executor.execute(
        streams.contact(contactId),
        contactDecider,
        { type: 'ChangeContactProperties', data: { changes: rest, definitions } },
        create,
      );
    }
    return this.queryBus.execute(new GetContactQuery(agent, contactId));
  }
}

@CommandHandler(UpdateContactCommand)
export class UpdateContactHandler implements ICommandHandler<UpdateContactCommand> {
  constructor(
    private readonly executor: CommandExecutor,
    private readonly access: InboxAccess,
    @Inject(RECORD_STORE) private readonly records: RecordStore,
    private readonly queryBus: QueryBus,
  ) {}

  async execute({ contactId, changes, ctx }: UpdateContactCommand): Promise<ContactView> {
    const agent = requireAgent(ctx);
    const contact = await visibleContact(this.records, this.access, agent, contactId);
    if (contact.id !== contactId) throw unknownContact(contactId); // merged away: the answer names where it went only on reads
    const wanted = identitiesFromLists(changes.emails ?? [], changes.phones ?? []);
    await assertIdentitiesFree(this.records, wanted, contactId, await this.access.reachableInboxIds(agent));
    if (changes.companyId) await assertCompany(this.records, changes.companyId);
    const definitions = await definitionsOf(this.records, 'contact');
    await this.executor.execute(
      streams.contact(contactId),
      contactDecider,
      { type: 'ChangeContactProperties', data: { changes: toDomain(changes), definitions } },
      ctx,
    );
    return this.queryBus.execute(new GetContactQuery(agent, contactId));
  }
}

/**
 * Three streams: the merge ledger (contact-merges.ts) first, so that merges are decided one at a
 * time and never make a cycle; then the contact merged into (it takes the identities and fills
 * its empty properties); then the merged one points there. A crash in between leaves the
 * identities on both; running the same merge again finishes it (the ledger and the target
 * ignore what they hold).
 */
@CommandHandler(MergeContactsCommand)
export class MergeContactsHandler implements ICommandHandler<MergeContactsCommand> {
  constructor(
    private readonly executor: CommandExecutor,
    private readonly access: InboxAccess,
    @Inject(RECORD_STORE) private readonly records: RecordStore,
    private readonly queryBus: QueryBus,
  ) {}

  async execute({ contactId, intoContactId, ctx }: MergeContactsCommand): Promise<ContactView> {
    const agent = requireAgent(ctx);
    await visibleContact(this.records, this.access, agent, contactId);
    await visibleContact(this.records, this.access, agent, intoContactId);
    const at = this.executor.now().toISOString();
    const recorded = await this.executor.store.readStream(streams.contact(contactId));
    const source = fold(contactDecider, toDomainEvents<ContactEvent>(recorded));
    const mergeSource = { type: 'MergeContactInto' as const, data: { contactId, intoContactId, at } };
    // The source's refusals (merged already, erased, into itself) come before anything is written.
    const already = contactDecider.decide(mergeSource, source).length === 0;
    const revision = recorded.at(-1)?.revision ?? -1;
    if (ctx.expectedRevision !== undefined && ctx.expectedRevision !== revision) {
      throw new ConcurrencyError(streams.contact(contactId), ctx.expectedRevision, revision === -1 ? 'no-stream' : revision);
    }
    if (!already && source.status === 'active') {
      const accept = {
        type: 'AcceptMergedContact' as const,
        data: {
          contactId: intoContactId,
          fromContactId: contactId,
          from: { identities: [...source.identities], name: source.name, jobTitle: source.jobTitle, companyId: source.companyId, custom: source.custom },
          at,
        },
      };
      // The target's refusals too, so that the ledger does not hold a merge its contacts cannot finish.
      contactDecider.decide(accept, await contactState(this.executor.store, intoContactId));
      // The ledger decides first, one merge at a time: of two opposite merges only one gets here.
      await this.executor.execute(
        streams.contactMerges(),
        contactMergesDecider,
        { type: 'RecordContactMerge', data: { contactId, intoContactId, at } },
        withoutIfMatch(ctx),
      );
      await this.executor.execute(streams.contact(intoContactId), contactDecider, accept, withoutIfMatch(ctx));
    }
    await this.executor.execute(streams.contact(contactId), contactDecider, mergeSource, ctx);
    return this.queryBus.execute(new GetContactQuery(agent, intoContactId));
  }
}

/** The identity becomes a contact of its own (source `split`), made before the identity leaves the old one. */
@CommandHandler(SplitContactIdentityCommand)
export class SplitContactIdentityHandler implements ICommandHandler<SplitContactIdentityCommand> {
  constructor(
    private readonly executor: CommandExecutor,
    private readonly access: InboxAccess,
    @Inject(RECORD_STORE) private readonly records: RecordStore,
    private readonly queryBus: QueryBus,
  ) {}

  async execute({ contactId, identityKey: key, ctx }: SplitContactIdentityCommand): Promise<ContactView> {
    const agent = requireAgent(ctx);
    const contact = await visibleContact(this.records, this.access, agent, contactId);
    if (contact.id !== contactId) throw unknownContact(contactId);
    const splitTo = randomUUID();
    const state: ContactState = await contactState(this.executor.store, contactId);
    const split = { type: 'SplitContactIdentity' as const, data: { identityKey: typeof key === 'string' ? key.trim() : '', splitTo } };
    const [removed] = contactDecider.decide(split, state); // refusals first, nothing written yet
    const identity = (removed.data as { identity: ContactIdentity }).identity;
    await this.executor.execute(
      streams.contact(splitTo),
      contactDecider,
      {
        type: 'CreateContact',
        data: { contactId: splitTo, identities: [identity], source: 'split', splitFrom: contactId, createdAt: this.executor.now().toISOString() },
      },
      withoutIfMatch(ctx),
    );
    await this.executor.execute(streams.contact(contactId), contactDecider, split, ctx);
    return this.queryBus.execute(new GetContactQuery(agent, splitTo));
  }
}

/** Rule 10: a conversation's contact can be changed (its ticket cannot). */
@CommandHandler(LinkConversationContactCommand)
export class LinkConversationContactHandler implements ICommandHandler<LinkConversationContactCommand> {
  constructor(
    private readonly executor: CommandExecutor,
    private readonly access: InboxAccess,
    @Inject(RECORD_STORE) private readonly records: RecordStore,
  ) {}

  async execute({ conversationId, contactId, ctx }: LinkConversationContactCommand): Promise<ConversationCommandResult> {
    const agent = requireAgent(ctx);
    const contact = await visibleContact(this.records, this.access, agent, contactId);
    const outcome = await this.executor.execute(
      streams.conversation(conversationId),
      conversationDecider,
      { type: 'LinkContact', data: { contactId: contact.id, ...(contact.name ? { name: contact.name } : {}) } },
      ctx,
      inboxGuard(this.access, ctx),
    );
    return toResult(conversationId, outcome);
  }
}

function toDomain(changes: ContactChanges): ContactPropertyChanges {
  return { ...changes };
}

/**
 * One identity belongs to one live contact: taking it from another is a merge, not an edit. The
 * holder is named only to an agent who may see it (`inboxIds` as reachableInboxIds answers), so
 * the refusal does not tell who is written to in inboxes out of the agent's reach.
 */
async function assertIdentitiesFree(
  records: RecordStore,
  identities: readonly ContactIdentity[],
  contactId: string | null,
  inboxIds: readonly string[] | undefined,
): Promise<void> {
  for (const identity of identities) {
    const holder = await records.findContactIdByIdentity(identityKey(identity));
    if (holder && holder !== contactId) {
      const record = await records.getContact(holder);
      if (!record || !isVisible(record, inboxIds)) {
        throw conflict('contact-identity-taken-unseen', '{{identity}} belongs to another contact', { identity: identity.value });
      }
      throw conflict('contact-identity-taken', '{{identity}} belongs to another contact ({{contactId}}); merge the two contacts instead', {
        identity: identity.value,
        contactId: holder,
      });
    }
  }
}

async function assertCompany(records: RecordStore, companyId: string): Promise<void> {
  if (!(await records.getCompany(companyId)))
    throw new InvalidRequestError(`companyId: no company ${JSON.stringify(companyId)}; create it first or leave it out`);
}
