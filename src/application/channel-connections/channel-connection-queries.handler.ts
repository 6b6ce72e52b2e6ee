import { Inject } from '@nestjs/common';
import { Query, QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { InboxAccess } from '../access/inbox-access';
import type { AuthenticatedAgent } from '../command-handling/command-context';
import { CHANNEL_CONNECTION_SPECS, type ChannelConnectionSpecs } from '../ports/channel-connection-specs.port';
import { READ_STORE, type ReadStore } from '../ports/read-store.port';
import { decryptSettings, toView, type ChannelConnectionView } from './channel-connection-settings';
import { SettingsCipher } from './settings-cipher';

/** `GET /api/inboxes/:id/channels`: every member of the inbox may see its connections (secrets masked); admins change them. */
export class ListChannelConnectionsQuery extends Query<ChannelConnectionView[]> {
  constructor(
    readonly agent: AuthenticatedAgent,
    readonly inboxId: string,
    readonly publicUrl: string | null,
  ) {
    super();
  }
}

@QueryHandler(ListChannelConnectionsQuery)
export class ListChannelConnectionsHandler implements IQueryHandler<ListChannelConnectionsQuery> {
  constructor(
    private readonly access: InboxAccess,
    private readonly cipher: SettingsCipher,
    @Inject(READ_STORE) private readonly readStore: ReadStore,
    @Inject(CHANNEL_CONNECTION_SPECS) private readonly specs: ChannelConnectionSpecs,
  ) {}

  async execute({ agent, inboxId, publicUrl }: ListChannelConnectionsQuery): Promise<ChannelConnectionView[]> {
    const inbox = await this.access.resolveInbox(agent, inboxId);
    const records = await this.readStore.listChannelConnections({ inboxId: inbox.id });
    return records.map((record) => toView(record, this.specs.connectionSpec(record.type), decryptSettings(this.cipher, record).settings, publicUrl));
  }
}
