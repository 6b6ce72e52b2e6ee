import { Injectable } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { randomUUID } from 'node:crypto';
import type { ChannelConnection, InboundMessage, IngestOptions, IngestResult } from '../../application/ports/channel.port';
import { ReceiveInboundMessageCommand } from '../../application/conversations/receive-inbound-message.handler';

/** The host side of the plugin connection: a channel hands over messages, the core decides. */
@Injectable()
export class CommandBusChannelConnection implements ChannelConnection {
  constructor(private readonly commandBus: CommandBus) {}

  ingest(message: InboundMessage, options: IngestOptions = {}): Promise<IngestResult> {
    const correlationId = options.correlationId ?? randomUUID();
    return this.commandBus.execute(
      new ReceiveInboundMessageCommand(message, {
        actor: { type: 'contact', address: message.from.address },
        agent: options.onBehalfOf ?? null,
        correlationId,
        causationId: correlationId,
      }),
    );
  }
}
