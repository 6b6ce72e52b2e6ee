import { Inject, Injectable } from '@nestjs/common';
import { senderPolicyDecider } from '../../domain/sender-policy/sender-policy.decider';
import { fold } from '../../domain/shared/decider';
import { systemContext } from '../command-handling/command-context';
import { CommandExecutor } from '../command-handling/command-executor';
import { toDomainEvents } from '../command-handling/handle-command';
import { unfilterConversationsOf } from '../conversations/unblock-sender.handler';
import type { RecordedEvent } from '../ports/event-store.port';
import { READ_STORE, type ReadStore } from '../ports/read-store.port';
import type { ProcessManager } from './process-manager';

/** A sender was unblocked: their filtered conversations come back (finishes UnblockSender after a crash). */
@Injectable()
export class UnfilterConversationsWhenSenderUnblocked implements ProcessManager {
  readonly name = 'unfilter-conversations-when-sender-unblocked';
  readonly handles = ['SenderUnblocked'] as const;

  constructor(
    private readonly executor: CommandExecutor,
    @Inject(READ_STORE) private readonly readStore: ReadStore,
  ) {}

  async handle(event: RecordedEvent): Promise<void> {
    const policy = fold(senderPolicyDecider, toDomainEvents(await this.executor.store.readStream(event.streamId)));
    if (policy.status === 'blocked') return; // blocked again since: leave them filtered
    await this.executor.settleOrThrow(event.position);
    await unfilterConversationsOf(
      this.executor,
      this.readStore,
      String(event.data.inboxId),
      String(event.data.address),
      systemContext({ correlationId: event.metadata.correlationId, causationId: event.id }),
    );
  }
}
