import { randomUUID } from 'node:crypto';
import { Inject } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { companyDecider } from '../../domain/company/company.decider';
import { conflict } from '../../domain/shared/domain-error';
import { recordSettingsDecider, type RecordSettingsCommand } from '../../domain/record-settings/record-settings.decider';
import { InboxAccess, requireAdmin } from '../access/inbox-access';
import type { CommandContext } from '../command-handling/command-context';
import { CommandExecutor } from '../command-handling/command-executor';
import { RECORD_STORE, type RecordSettingsRecord, type RecordStore } from '../ports/record-store.port';
import { streams } from '../streams';
import { definitionsOf, requireAgent, unknownCompany } from './contact-access';
import { companyView } from './contact-queries.handler';
import {
  ArchivePropertyCommand,
  ChangePropertyCommand,
  ChooseCardPropertiesCommand,
  CreateCompanyCommand,
  DefinePropertyCommand,
  SetFreeMailDomainsCommand,
  UpdateCompanyCommand,
  type CompanyView,
} from './contact.messages';

@CommandHandler(CreateCompanyCommand)
export class CreateCompanyHandler implements ICommandHandler<CreateCompanyCommand> {
  constructor(
    private readonly executor: CommandExecutor,
    private readonly access: InboxAccess,
    @Inject(RECORD_STORE) private readonly records: RecordStore,
  ) {}

  async execute({ input, ctx }: CreateCompanyCommand): Promise<CompanyView> {
    const agent = requireAgent(ctx);
    const companyId = randomUUID();
    await refuseTakenDomain(this.records, input.domain, companyId);
    const plain = { ...ctx, expectedRevision: undefined };
    await this.executor.execute(
      streams.company(companyId),
      companyDecider,
      {
        type: 'CreateCompany',
        data: { companyId, name: input.name ?? '', domain: input.domain, source: 'agent', createdAt: this.executor.now().toISOString() },
      },
      plain,
    );
    if (input.custom !== undefined) {
      const definitions = await definitionsOf(this.records, 'company');
      await this.executor.execute(streams.company(companyId), companyDecider, { type: 'ChangeCompany', data: { custom: input.custom, definitions } }, plain);
    }
    const company = await this.records.getCompany(companyId);
    if (!company) throw unknownCompany(companyId);
    return companyView(this.records, company, await this.access.reachableInboxIds(agent));
  }
}

@CommandHandler(UpdateCompanyCommand)
export class UpdateCompanyHandler implements ICommandHandler<UpdateCompanyCommand> {
  constructor(
    private readonly executor: CommandExecutor,
    private readonly access: InboxAccess,
    @Inject(RECORD_STORE) private readonly records: RecordStore,
  ) {}

  async execute({ companyId, changes, ctx }: UpdateCompanyCommand): Promise<CompanyView> {
    const agent = requireAgent(ctx);
    if (!(await this.records.getCompany(companyId))) throw unknownCompany(companyId);
    await refuseTakenDomain(this.records, changes.domain, companyId);
    const definitions = await definitionsOf(this.records, 'company');
    await this.executor.execute(
      streams.company(companyId),
      companyDecider,
      { type: 'ChangeCompany', data: { name: changes.name, domain: changes.domain, custom: changes.custom, definitions } },
      ctx,
      (state) => {
        if (state.status !== 'active') throw unknownCompany(companyId);
      },
    );
    const company = await this.records.getCompany(companyId);
    if (!company) throw unknownCompany(companyId);
    return companyView(this.records, company, await this.access.reachableInboxIds(agent));
  }
}

/**
 * One company per domain: it is the one the domain's contacts join (contact-records.saga.ts), so a
 * second company made or changed to a domain another holds would never get them. The domain is
 * compared as the company decider stores it (trimmed, lower case, no leading @).
 */
async function refuseTakenDomain(records: RecordStore, domain: unknown, companyId: string): Promise<void> {
  if (typeof domain !== 'string') return;
  const wanted = domain.trim().toLowerCase().replace(/^@/, '');
  if (wanted === '') return;
  const holder = await records.findCompanyIdByDomain(wanted);
  if (holder && holder !== companyId)
    throw conflict('company-domain-taken', 'domain {{domain}} belongs to company {{companyId}} already; change that company instead', {
      domain: wanted,
      companyId: holder,
    });
}

/** Every record settings change: admins only, one stream, answered with the settings as they are now. */
abstract class RecordSettingsChange {
  constructor(
    protected readonly executor: CommandExecutor,
    protected readonly records: RecordStore,
  ) {}

  protected async change(command: RecordSettingsCommand, ctx: CommandContext): Promise<RecordSettingsRecord> {
    requireAdmin(ctx, 'record settings');
    await this.executor.execute(streams.recordSettings(), recordSettingsDecider, command, ctx);
    return this.records.getRecordSettings();
  }
}

@CommandHandler(DefinePropertyCommand)
export class DefinePropertyHandler extends RecordSettingsChange implements ICommandHandler<DefinePropertyCommand> {
  constructor(executor: CommandExecutor, @Inject(RECORD_STORE) records: RecordStore) {
    super(executor, records);
  }

  execute({ definition, ctx }: DefinePropertyCommand): Promise<RecordSettingsRecord> {
    return this.change({ type: 'DefineProperty', data: definition }, ctx);
  }
}

@CommandHandler(ChangePropertyCommand)
export class ChangePropertyHandler extends RecordSettingsChange implements ICommandHandler<ChangePropertyCommand> {
  constructor(executor: CommandExecutor, @Inject(RECORD_STORE) records: RecordStore) {
    super(executor, records);
  }

  execute({ object, key, changes, ctx }: ChangePropertyCommand): Promise<RecordSettingsRecord> {
    return this.change({ type: 'ChangeProperty', data: { object, key, ...changes } }, ctx);
  }
}

@CommandHandler(ArchivePropertyCommand)
export class ArchivePropertyHandler extends RecordSettingsChange implements ICommandHandler<ArchivePropertyCommand> {
  constructor(executor: CommandExecutor, @Inject(RECORD_STORE) records: RecordStore) {
    super(executor, records);
  }

  execute({ object, key, ctx }: ArchivePropertyCommand): Promise<RecordSettingsRecord> {
    return this.change({ type: 'ArchiveProperty', data: { object, key } }, ctx);
  }
}

@CommandHandler(ChooseCardPropertiesCommand)
export class ChooseCardPropertiesHandler extends RecordSettingsChange implements ICommandHandler<ChooseCardPropertiesCommand> {
  constructor(executor: CommandExecutor, @Inject(RECORD_STORE) records: RecordStore) {
    super(executor, records);
  }

  execute({ object, keys, ctx }: ChooseCardPropertiesCommand): Promise<RecordSettingsRecord> {
    return this.change({ type: 'ChooseCardProperties', data: { object, keys } }, ctx);
  }
}

@CommandHandler(SetFreeMailDomainsCommand)
export class SetFreeMailDomainsHandler extends RecordSettingsChange implements ICommandHandler<SetFreeMailDomainsCommand> {
  constructor(executor: CommandExecutor, @Inject(RECORD_STORE) records: RecordStore) {
    super(executor, records);
  }

  execute({ domains, ctx }: SetFreeMailDomainsCommand): Promise<RecordSettingsRecord> {
    return this.change({ type: 'SetFreeMailDomains', data: { domains } }, ctx);
  }
}
