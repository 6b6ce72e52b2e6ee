import { senderPolicyDecider as decider } from '../../src/domain/sender-policy/sender-policy.decider';
import type { SenderPolicyCommand, SenderPolicyEvent } from '../../src/domain/sender-policy/sender-policy.events';
import { given } from '../support/given-when-then';

const block = (address = 'Spammer@Bulk.Example', conversationId: string | null = 'conv-1'): SenderPolicyCommand => ({
  type: 'BlockSenderAddress',
  data: { inboxId: 'inbox-1', address, conversationId },
});
const unblock = (address = 'spammer@bulk.example'): SenderPolicyCommand => ({
  type: 'UnblockSenderAddress',
  data: { inboxId: 'inbox-1', address },
});
const blocked: SenderPolicyEvent = {
  type: 'SenderBlocked',
  data: { inboxId: 'inbox-1', address: 'spammer@bulk.example', conversationId: 'conv-1' },
};
const unblocked: SenderPolicyEvent = { type: 'SenderUnblocked', data: { inboxId: 'inbox-1', address: 'spammer@bulk.example' } };

describe('sender policy (rule 5)', () => {
  it('blocks a sender, normalising the address', () => {
    given(decider).when(block()).then([blocked]);
  });

  it('blocks without a conversation (from the Spam / Filtered view or settings)', () => {
    given(decider)
      .when(block('+31 6 1234', null))
      .then([{ type: 'SenderBlocked', data: { inboxId: 'inbox-1', address: '+31 6 1234', conversationId: null } }]);
  });

  it('blocking a blocked sender is already done', () => {
    given(decider, blocked).when(block()).then([]);
  });

  it('unblocks a blocked sender', () => {
    given(decider, blocked).when(unblock('SPAMMER@bulk.example')).then([unblocked]);
  });

  it('refuses to unblock a sender that is not blocked, naming it', () => {
    given(decider)
      .when(unblock())
      .thenThrows('invalid-transition', /^spammer@bulk\.example is not blocked/);
    given(decider, blocked, unblocked)
      .when(unblock())
      .thenThrows('invalid-transition', /spammer@bulk\.example is not blocked/);
  });

  it('a sender can be blocked again after an unblock', () => {
    given(decider, blocked, unblocked).when(block()).then([blocked]);
  });

  it('refuses an empty address', () => {
    given(decider)
      .when(block('  '))
      .thenThrows('invalid-input', /address must not be empty/);
  });
});
