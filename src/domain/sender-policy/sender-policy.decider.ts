import { normalizeAddress } from '../shared/address';
import type { Decider } from '../shared/decider';
import { invalidInput, invalidTransition } from '../shared/domain-error';
import type { SenderPolicyCommand, SenderPolicyEvent } from './sender-policy.events';

/** Whether one sender address is blocked in one inbox (rule 5). */
export type SenderPolicyState =
  { readonly status: 'allowed' } | { readonly status: 'blocked'; readonly inboxId: string; readonly address: string; readonly conversationId: string | null };

export const senderPolicyDecider: Decider<SenderPolicyCommand, SenderPolicyEvent, SenderPolicyState> = {
  initialState: () => ({ status: 'allowed' }),

  evolve: (state, event) => {
    switch (event.type) {
      case 'SenderBlocked':
        return { status: 'blocked', ...event.data };
      case 'SenderUnblocked':
        return { status: 'allowed' };
      default:
        return state;
    }
  },

  decide: (command, state) => {
    const address = normalizeAddress(command.data.address ?? '');
    if (address === '') throw invalidInput('sender-address-empty', 'address must not be empty: give the sender address to block or unblock');
    switch (command.type) {
      case 'BlockSenderAddress':
        if (state.status === 'blocked') return [];
        return [{ type: 'SenderBlocked', data: { inboxId: command.data.inboxId, address, conversationId: command.data.conversationId } }];
      case 'UnblockSenderAddress':
        if (state.status !== 'blocked')
          throw invalidTransition('sender-not-blocked', '{{address}} is not blocked, so there is nothing to unblock', { address });
        return [{ type: 'SenderUnblocked', data: { inboxId: command.data.inboxId, address } }];
      default: {
        const unknown: never = command;
        throw invalidInput('unknown-command', 'unknown {{aggregate}} command {{type}}', {
          aggregate: 'sender policy',
          type: JSON.stringify((unknown as { type?: unknown }).type),
        });
      }
    }
  },
};
