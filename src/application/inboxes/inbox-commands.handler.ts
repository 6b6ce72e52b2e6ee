import { randomUUID } from 'node:crypto';
import { Inject } from '@nestjs/common';
import { CommandHandler, type ICommandHandler, Command } from '@nestjs/cqrs';
import { inboxDecider } from '../../domain/inbox/inbox.decider';
import { InvalidRequestError, NotFoundError, requireAdmin } from '../access/inbox-access';
import type { CommandContext } from '../command-handling/command-context';
import { CommandExecutor } from '../command-handling/command-executor';
import { READ_STORE, type InboxRecord, type ReadStore } from '../ports/read-store.port';
import { streams, uuidV5 } from '../streams';

/** The default inbox has a fixed id, so every instance that starts creates the same one. */
export const DEFAULT_INBOX_ID = uuidV5('parley default inbox');

/** Start-up: the default inbox exists (idempotent); its address follows PARLEY_INBOX_EMAIL. */
export class EnsureDefaultInboxCommand extends Command<InboxRecord> {
  constructor(
    readonly emailAddress: string,
    readonly ctx: CommandContext,
  ) {
    super();
  }
}

@CommandHandler(EnsureDefaultInboxCommand)
export class EnsureDefaultInboxHandler implements ICommandHandler<EnsureDefaultInboxCommand> {
  constructor(
    private readonly executor: CommandExecutor,
    @Inject(READ_STORE) private readonly readStore: ReadStore,
  ) {}

  async execute({ emailAddress, ctx }: EnsureDefaultInboxCommand): Promise<InboxRecord> {
    const stream = streams.inbox(DEFAULT_INBOX_ID);
    const agents = await this.readStore.listAgents();
    await this.executor.execute(
      stream,
      inboxDecider,
      (state) =>
        state.status === 'none'
          ? {
              type: 'CreateInbox' as const,
              data: { inboxId: DEFAULT_INBOX_ID, name: 'Support', emailAddress, isDefault: true, memberIds: agents.map((a) => a.id) },
            }
          : { type: 'UpdateInbox' as const, data: { emailAddress } },
      ctx,
    );
    const inbox = await this.readStore.getInbox(DEFAULT_INBOX_ID);
    if (!inbox) throw new Error('the default inbox was created but is not visible in the read models yet');
    return inbox;
  }
}

export class CreateInboxCommand extends Command<InboxRecord> {
  constructor(
    readonly name: string,
    readonly emailAddress: string | null,
    readonly memberIds: string[],
    readonly ctx: CommandContext,
  ) {
    super();
  }
}

@CommandHandler(CreateInboxCommand)
export class CreateInboxHandler implements ICommandHandler<CreateInboxCommand> {
  constructor(
    private readonly executor: CommandExecutor,
    @Inject(READ_STORE) private readonly readStore: ReadStore,
  ) {}

  async execute({ name, emailAddress, memberIds, ctx }: CreateInboxCommand): Promise<InboxRecord> {
    requireAdmin(ctx, 'inboxes');
    if (emailAddress) await assertAddressFree(this.readStore, emailAddress, null);
    await assertAgentsExist(this.readStore, memberIds);
    const inboxId = randomUUID();
    await this.executor.execute(
      streams.inbox(inboxId),
      inboxDecider,
      { type: 'CreateInbox', data: { inboxId, name, emailAddress, isDefault: false, memberIds } },
      ctx,
    );
    const inbox = await this.readStore.getInbox(inboxId);
    if (!inbox) throw new Error(`inbox ${inboxId} was created but is not visible yet`);
    return inbox;
  }
}

export class UpdateInboxCommand extends Command<InboxRecord> {
  constructor(
    readonly inboxId: string,
    readonly changes: { name?: string; emailAddress?: string | null },
    readonly ctx: CommandContext,
  ) {
    super();
  }
}

@CommandHandler(UpdateInboxCommand)
export class UpdateInboxHandler implements ICommandHandler<UpdateInboxCommand> {
  constructor(
    private readonly executor: CommandExecutor,
    @Inject(READ_STORE) private readonly readStore: ReadStore,
  ) {}

  async execute({ inboxId, changes, ctx }: UpdateInboxCommand): Promise<InboxRecord> {
    requireAdmin(ctx, 'inboxes');
    if (changes.emailAddress) await assertAddressFree(this.readStore, changes.emailAddress, inboxId);
    await this.executor.execute(streams.inbox(inboxId), inboxDecider, { type: 'UpdateInbox', data: changes }, ctx);
    const inbox = await this.readStore.getInbox(inboxId);
    if (!inbox) throw new NotFoundError(`inbox ${inboxId} not found`);
    return inbox;
  }
}

export class SetInboxMembersCommand extends Command<InboxRecord> {
  constructor(
    readonly inboxId: string,
    readonly agentIds: string[],
    readonly ctx: CommandContext,
  ) {
    super();
  }
}

@CommandHandler(SetInboxMembersCommand)
export class SetInboxMembersHandler implements ICommandHandler<SetInboxMembersCommand> {
  constructor(
    private readonly executor: CommandExecutor,
    @Inject(READ_STORE) private readonly readStore: ReadStore,
  ) {}

  async execute({ inboxId, agentIds, ctx }: SetInboxMembersCommand): Promise<InboxRecord> {
    requireAdmin(ctx, 'inboxes');
    await assertAgentsExist(this.readStore, agentIds);
    await this.executor.execute(streams.inbox(inboxId), inboxDecider, { type: 'SetInboxMembers', data: { agentIds } }, ctx);
    const inbox = await this.readStore.getInbox(inboxId);
    if (!inbox) throw new NotFoundError(`inbox ${inboxId} not found`);
    return inbox;
  }
}

async function assertAgentsExist(readStore: ReadStore, agentIds: string[]): Promise<void> {
  const known = new Set((await readStore.listAgents()).map((a) => a.id));
  const unknown = agentIds.filter((id) => !known.has(id));
  if (unknown.length > 0) throw new InvalidRequestError(`agentIds: unknown agent id(s) ${unknown.join(', ')}`);
}

async function assertAddressFree(readStore: ReadStore, address: string, inboxId: string | null): Promise<void> {
  const owner = await readStore.getInboxByEmailAddress(address);
  if (owner && owner.id !== inboxId) throw new InvalidRequestError(`emailAddress: ${address} already belongs to inbox "${owner.name}"`);
}
