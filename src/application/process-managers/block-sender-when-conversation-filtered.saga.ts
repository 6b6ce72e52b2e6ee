import { Injectable } from '@nestjs/common';
import { conversationDecider } from '../../domain/conversation/conversation.decider';
import { senderPolicyDecider } from '../../domain/sender-policy/sender-policy.decider';
import { fold } from '../../domain/shared/decider';
import { systemContext } from '../command-handling/command-context';
import { CommandExecutor } from '../command-handling/command-executor';
import { toDomainEvents } from '../command-handling/handle-command';
import type { RecordedEvent } from '../ports/event-store.port';
import { conversationIdFromStream, streams } from '../streams';
import type { ProcessManager } from './process-manager';

/**
 * An agent blocked a conversation's sender: make sure the inbox's sender policy says so, even
 * when the process died between the two writes of BlockSender. Only while the conversation is
 * still filtered: if the sender was unblocked since, re-blocking on a replay would be wrong.
 */
@Injectable()
export class BlockSenderWhenConversationFiltered implements ProcessManager {
  readonly name = 'block-sender-when-conversation-filtered';
  readonly handles = ['ConversationFiltered'] as const;

  constructor(private readonly executor: CommandExecutor) {}

  async handle(event: RecordedEvent): Promise<void> {
    if (event.metadata.actor.type !== 'agent') return; // filtered on arrival: the policy already blocks
    const conversationId = conversationIdFromStream(event.streamId);
    if (!conversationId) return;
    const state = fold(conversationDecider, toDomainEvents(await this.executor.store.readStream(event.streamId)));
    if ((state.status !== 'open' && state.status !== 'closed') || !state.filtered) return;
    const address = String(event.data.address);
    const policyStream = streams.senderPolicy(state.inboxId, address);
    const [latestPolicy] = await this.executor.store.readStream(policyStream, { direction: 'backwards', maxCount: 1 });
    // The policy changed after this event (e.g. unblocked since): that later decision stands.
    if (latestPolicy && latestPolicy.position > event.position) return;
    await this.executor.execute(
      policyStream,
      senderPolicyDecider,
      { type: 'BlockSenderAddress', data: { inboxId: state.inboxId, address, conversationId } },
      systemContext({ correlationId: event.metadata.correlationId, causationId: event.id }),
    );
  }
}
