import { randomUUID } from 'node:crypto';
import { Inject } from '@nestjs/common';
import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { channelConnectionDecider, type ChannelConnectionState } from '../../domain/channel-connection/channel-connection.decider';
import { InvalidRequestError, NotFoundError, requireAdmin } from '../access/inbox-access';
import type { CommandContext } from '../command-handling/command-context';
import { CommandExecutor } from '../command-handling/command-executor';
import { CHANNEL_CONNECTION_SPECS, type ChannelConnectionSpecs, type ConnectionSpec } from '../ports/channel-connection-specs.port';
import { READ_STORE, type ChannelConnectionRecord, type InboxRecord, type ReadStore } from '../ports/read-store.port';
import { streams } from '../streams';
import { decryptSettings, encryptSecrets, mergeSettings, settingsObject, toView, type ChannelConnectionView } from './channel-connection-settings';
import { SettingsCipher } from './settings-cipher';

/**
 * `POST /api/inboxes/:id/channels {type, name?, settings}`: an admin connects a channel plugin
 * (chat …) to an inbox. The plugin checks its own settings; secrets are encrypted before they
 * are stored (rule: never in plain text in the event log).
 */
export class ConnectChannelCommand extends Command<ChannelConnectionView> {
  constructor(
    readonly inboxId: string,
    readonly type: string,
    readonly name: string | undefined,
    readonly settings: unknown,
    /** Parley's origin as browsers reach it, for the answer's embedSnippet. */
    readonly publicUrl: string | null,
    readonly ctx: CommandContext,
  ) {
    super();
  }
}

@CommandHandler(ConnectChannelCommand)
export class ConnectChannelHandler implements ICommandHandler<ConnectChannelCommand> {
  constructor(
    private readonly executor: CommandExecutor,
    private readonly cipher: SettingsCipher,
    @Inject(READ_STORE) private readonly readStore: ReadStore,
    @Inject(CHANNEL_CONNECTION_SPECS) private readonly specs: ChannelConnectionSpecs,
  ) {}

  async execute({ inboxId, type, name, settings, publicUrl, ctx }: ConnectChannelCommand): Promise<ChannelConnectionView> {
    const inbox = await adminInbox(this.readStore, inboxId, ctx);
    const spec = connectable(this.specs, type);
    const validated = await spec.validate(settingsObject(settings), { inboxId: inbox.id });
    const connectionId = randomUUID();
    const stored = encryptSecrets(this.cipher, connectionId, spec, validated);
    await this.executor.execute(
      streams.channelConnection(connectionId),
      channelConnectionDecider,
      { type: 'ConnectChannel', data: { connectionId, inboxId: inbox.id, type: spec.type, name: name ?? spec.displayName, ...stored } },
      ctx,
    );
    return answer(this.readStore, this.specs, this.cipher, connectionId, publicUrl);
  }
}

/** `PATCH /api/inboxes/:id/channels/:connectionId {name?, settings?}`: settings merge over the stored ones; a secret left out or sent as "••••" is kept. */
export class ChangeChannelConnectionCommand extends Command<ChannelConnectionView> {
  constructor(
    readonly inboxId: string,
    readonly connectionId: string,
    readonly changes: { name?: string; settings?: unknown },
    readonly publicUrl: string | null,
    readonly ctx: CommandContext,
  ) {
    super();
  }
}

@CommandHandler(ChangeChannelConnectionCommand)
export class ChangeChannelConnectionHandler implements ICommandHandler<ChangeChannelConnectionCommand> {
  constructor(
    private readonly executor: CommandExecutor,
    private readonly cipher: SettingsCipher,
    @Inject(READ_STORE) private readonly readStore: ReadStore,
    @Inject(CHANNEL_CONNECTION_SPECS) private readonly specs: ChannelConnectionSpecs,
  ) {}

  async execute({ inboxId, connectionId, changes, publicUrl, ctx }: ChangeChannelConnectionCommand): Promise<ChannelConnectionView> {
    const inbox = await adminInbox(this.readStore, inboxId, ctx);
    const record = await connectionOf(this.readStore, inbox, connectionId);
    let stored: { settings: Record<string, unknown>; secretKeys: string[] } | undefined;
    if (changes.settings !== undefined) {
      const spec = this.specs.connectionSpec(record.type);
      if (spec === null)
        throw new InvalidRequestError(
          `settings: the ${record.type} channel is not loaded any more, so its settings cannot be checked; remove the connection or load the plugin again`,
        );
      const { settings: previous, undecryptable } = decryptSettings(this.cipher, record);
      const merged = mergeSettings(settingsObject(changes.settings), previous, spec, undecryptable);
      const validated = await spec.validate(merged, { inboxId: inbox.id, previous });
      stored = encryptSecrets(this.cipher, record.id, spec, validated, { stored: record, decrypted: previous });
    }
    await this.executor.execute(
      streams.channelConnection(record.id),
      channelConnectionDecider,
      { type: 'ChangeChannelConnection', data: { ...(changes.name === undefined ? {} : { name: changes.name }), ...(stored ?? {}) } },
      ctx,
      (state) => sameConnection(state, inbox, connectionId),
    );
    return answer(this.readStore, this.specs, this.cipher, record.id, publicUrl);
  }
}

/** `DELETE /api/inboxes/:id/channels/:connectionId`: the channel stops delivering to the inbox; its conversations stay. */
export class DisconnectChannelCommand extends Command<void> {
  constructor(
    readonly inboxId: string,
    readonly connectionId: string,
    readonly ctx: CommandContext,
  ) {
    super();
  }
}

@CommandHandler(DisconnectChannelCommand)
export class DisconnectChannelHandler implements ICommandHandler<DisconnectChannelCommand> {
  constructor(
    private readonly executor: CommandExecutor,
    @Inject(READ_STORE) private readonly readStore: ReadStore,
  ) {}

  async execute({ inboxId, connectionId, ctx }: DisconnectChannelCommand): Promise<void> {
    const inbox = await adminInbox(this.readStore, inboxId, ctx);
    const record = await connectionOf(this.readStore, inbox, connectionId);
    await this.executor.execute(streams.channelConnection(record.id), channelConnectionDecider, { type: 'DisconnectChannel', data: {} }, ctx, (state) =>
      sameConnection(state, inbox, connectionId),
    );
  }
}

/**
 * The caller an admin (else 403, whatever the inbox: refusing reveals nothing), then the inbox
 * (admins reach every inbox; an unknown one is 404).
 */
export async function adminInbox(readStore: ReadStore, inboxId: string, ctx: CommandContext): Promise<InboxRecord> {
  requireAdmin(ctx, 'channel connections');
  const inbox = await readStore.getInbox(inboxId);
  if (!inbox) throw new NotFoundError(`inbox ${inboxId} not found`);
  return inbox;
}

/** A connection of this inbox; one of another inbox answers as unknown. */
export async function connectionOf(readStore: ReadStore, inbox: InboxRecord, connectionId: string): Promise<ChannelConnectionRecord> {
  const record = await readStore.getChannelConnection(connectionId.toLowerCase());
  if (!record || record.inboxId !== inbox.id) throw new NotFoundError(`channel connection ${connectionId} not found in inbox ${inbox.id}`);
  return record;
}

function connectable(specs: ChannelConnectionSpecs, type: unknown): ConnectionSpec {
  const spec = typeof type === 'string' ? specs.connectionSpec(type) : null;
  if (spec === null) {
    const known = specs.connectableTypes();
    throw new InvalidRequestError(
      `type: ${JSON.stringify(type)} is not a channel that connects to inboxes; ` +
        (known.length > 0 ? `use one of ${known.map((t) => `"${t}"`).join(', ')}` : 'no loaded channel plugin has per-inbox connections'),
    );
  }
  return spec;
}

/** Checked on the connection's own history: it still exists and belongs to this inbox. */
function sameConnection(state: ChannelConnectionState, inbox: InboxRecord, connectionId: string): void {
  if (state.status !== 'active' || state.inboxId !== inbox.id) throw new NotFoundError(`channel connection ${connectionId} not found in inbox ${inbox.id}`);
}

async function answer(
  readStore: ReadStore,
  specs: ChannelConnectionSpecs,
  cipher: SettingsCipher,
  connectionId: string,
  publicUrl: string | null,
): Promise<ChannelConnectionView> {
  const record = await readStore.getChannelConnection(connectionId);
  if (!record) throw new Error(`channel connection ${connectionId} was stored but is not visible in the read models yet`);
  return toView(record, specs.connectionSpec(record.type), decryptSettings(cipher, record).settings, publicUrl);
}
