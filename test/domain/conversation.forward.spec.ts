import { conversationDecider as decider, FORWARD_NOTE_MAX_LENGTH } from '../../src/domain/conversation/conversation.decider';
import type { ConversationCommand, ForwardConversation } from '../../src/domain/conversation/conversation.commands';
import type { ConversationEvent, ConversationForwarded } from '../../src/domain/conversation/conversation.events';
import { given, stateAfter } from '../support/given-when-then';
import { at, closed, inbound, trashed } from './conversation.fixtures';

const BOB = { address: 'bob@partner.example', name: 'Bob' };

const forward = (overrides: Partial<ForwardConversation['data']> = {}): ConversationCommand => ({
  type: 'ForwardConversation',
  data: {
    messageId: 'fwd-1',
    authorId: 'agent-bo',
    to: BOB,
    note: 'Bob, can you check this invoice?',
    subject: 'Fwd: Invoice question',
    text: 'Bob, can you check this invoice?\n\n---------- Forwarded conversation ----------\nHello, my invoice is wrong.',
    now: at(5),
    ...overrides,
  },
});

const forwarded = (overrides: Partial<ConversationForwarded['data']> = {}): ConversationForwarded => ({
  type: 'ConversationForwarded',
  data: {
    messageId: 'fwd-1',
    authorId: 'agent-bo',
    channel: 'email',
    to: [BOB],
    note: 'Bob, can you check this invoice?',
    subject: 'Fwd: Invoice question',
    text: 'Bob, can you check this invoice?\n\n---------- Forwarded conversation ----------\nHello, my invoice is wrong.',
    forwardedAt: at(5),
    ...overrides,
  },
});

describe('conversation: ForwardConversation (rule 13)', () => {
  it('forwards an email conversation to an outside address with a note', () => {
    given(decider, ...inbound())
      .when(forward())
      .then([forwarded()]);
  });

  it('keeps HTML and trims the address', () => {
    given(decider, ...inbound())
      .when(forward({ to: { address: '  bob@partner.example ' }, html: '<p>see below</p>' }))
      .then([forwarded({ to: [{ address: 'bob@partner.example' }], html: '<p>see below</p>' })]);
  });

  it('a forward without a note records none', () => {
    given(decider, ...inbound())
      .when(forward({ note: '   ', text: 'Hello, my invoice is wrong.' }))
      .then([forwarded({ note: undefined, text: 'Hello, my invoice is wrong.' })].map(withoutUndefined));
  });

  it('forwards a closed conversation without reopening it', () => {
    const events = [forwarded()];
    given(decider, ...inbound(), closed())
      .when(forward())
      .then(events);
    expect(stateAfter(decider, ...inbound(), closed(), ...events)).toMatchObject({ status: 'closed' });
  });

  it('is no reply: the contact still awaits one, and a retried forward is already done', () => {
    const state = stateAfter(decider, ...inbound(), forwarded());
    expect(state).toMatchObject({ status: 'open' });
    given(decider, ...inbound(), forwarded())
      .when(forward())
      .then([]);
  });

  it('its delivery is recorded like a reply', () => {
    given(decider, ...inbound(), forwarded())
      .when({ type: 'RecordReplyDelivered', data: { messageId: 'fwd-1', externalMessageId: '<fwd-1@parley.example>', now: at(6) } })
      .then([{ type: 'ReplyDelivered', data: { messageId: 'fwd-1', externalMessageId: '<fwd-1@parley.example>', deliveredAt: at(6) } }]);
    given(decider, ...inbound(), forwarded())
      .when({ type: 'RecordReplyFailed', data: { messageId: 'fwd-1', reason: 'relay down', retryable: true, attempt: 1, now: at(6) } })
      .then([{ type: 'ReplyDeliveryFailed', data: { messageId: 'fwd-1', reason: 'relay down', retryable: true, attempt: 1, failedAt: at(6) } }]);
  });

  it('refuses a conversation in Trash', () => {
    given(decider, ...inbound(), trashed())
      .when(forward())
      .thenThrows('invalid-transition', /in Trash; restore it first, then forward it/);
  });

  it.each(['chat', 'whatsapp', 'api'] as const)('refuses a %s conversation: only email conversations are forwarded', (channel) => {
    given(decider, ...inbound(channel, 'visitor-1'))
      .when(forward())
      .thenThrows('invalid-transition', new RegExp(`only email conversations can be forwarded.*${channel}`));
  });

  it.each(['', 'bob', 'bob@', 'two words@example.com'])('refuses %j as the address', (address) => {
    given(decider, ...inbound())
      .when(forward({ to: { address } }))
      .thenThrows('invalid-input', /to must be an email address/);
  });

  it('refuses a note that is too long', () => {
    const note = 'x'.repeat(FORWARD_NOTE_MAX_LENGTH + 1);
    given(decider, ...inbound())
      .when(forward({ note }))
      .thenThrows('invalid-input', /note must be at most/);
  });

  it('refuses a conversation that does not exist', () => {
    given(decider).when(forward()).thenThrows('not-found');
  });
});

function withoutUndefined(event: ConversationEvent): ConversationEvent {
  return JSON.parse(JSON.stringify(event)) as ConversationEvent;
}
