import { conversationDecider as decider } from '../../src/domain/conversation/conversation.decider';
import type { ConversationCommand, QueueReply } from '../../src/domain/conversation/conversation.commands';
import { MAX_REPLY_RECIPIENTS, replyAllRecipients } from '../../src/domain/conversation/participants';
import { DomainError } from '../../src/domain/shared/domain-error';
import { given, stateAfter } from '../support/given-when-then';
import { ANA, at, inbound, receive, received, replyQueued } from './conversation.fixtures';

const BEA = { address: 'bea@customer.example', name: 'Bea Smit' };
const CAS = { address: 'cas@partner.example' };
const reply = (overrides: Partial<QueueReply['data']> = {}): ConversationCommand => ({
  type: 'QueueReply',
  data: { messageId: 'reply-1', authorId: 'agent-bo', text: 'We are on it.', now: at(5), ...overrides },
});

describe('conversation: Cc of an inbound message', () => {
  it('records the Cc recipients on MessageReceived', () => {
    given(decider, ...inbound())
      .when(receive({ cc: [BEA, CAS] }))
      .then([
        {
          ...received(),
          data: { ...received().data, messageId: 'msg-2', externalMessageId: '<m2@customer.example>', text: 'Any news?', receivedAt: at(60), cc: [BEA, CAS] },
        },
      ]);
  });

  it('leaves the sender, repeated addresses and empty entries out of cc', () => {
    const events = decider.decide(
      {
        type: 'ReceiveInboundMessage',
        data: { ...receive().data, cc: [{ address: 'ANA@customer.example' }, BEA, { address: 'BEA@customer.example' }, { address: ' ' }] },
      },
      stateAfter(decider, ...inbound()),
    );
    expect(events).toEqual([expect.objectContaining({ type: 'MessageReceived', data: expect.objectContaining({ cc: [BEA] }) })]);
  });

  it('records no cc field when nobody was copied, as messages always were', () => {
    const events = decider.decide(receive({ cc: [] }), stateAfter(decider, ...inbound()));
    expect(events[0]!.data).not.toHaveProperty('cc');
  });
});

describe('conversation: a reply with To and Cc', () => {
  it('goes to the contact alone unless the agent names others, as always', () => {
    given(decider, ...inbound())
      .when(reply())
      .then([replyQueued()]);
  });

  it('reply-all: To the contact, Cc the others, recorded on ReplyQueued', () => {
    given(decider, ...inbound())
      .when(reply({ to: [ANA], cc: [BEA, CAS] }))
      .then([{ ...replyQueued(), data: { ...replyQueued().data, to: [ANA], cc: [BEA, CAS] } }]);
  });

  it('normalises the addresses, keeps each once and never copies someone who is in To', () => {
    given(decider, ...inbound())
      .when(
        reply({
          to: [{ address: ' Ana@Customer.example ', name: 'Ana Lopez' }],
          cc: [{ address: 'ANA@customer.example' }, BEA, { address: 'bea@customer.EXAMPLE' }],
        }),
      )
      .then([{ ...replyQueued(), data: { ...replyQueued().data, to: [ANA], cc: [BEA] } }]);
  });

  it('refuses a Cc entry that is not an email address, naming cc[i] and the value', () => {
    given(decider, ...inbound())
      .when(reply({ cc: [BEA, { address: 'not-an-address' }] }))
      .thenThrows('invalid-input', /^cc\[1\] must be an email address, got "not-an-address"$/);
  });

  it('refuses a To entry that is not an email address, naming to[i] and the value', () => {
    given(decider, ...inbound())
      .when(reply({ to: [{ address: 42 as unknown as string }] }))
      .thenThrows('invalid-input', /^to\[0\] must be an email address, got 42$/);
  });

  it('refuses an empty To', () => {
    given(decider, ...inbound())
      .when(reply({ to: [] }))
      .thenThrows('invalid-input', /^to must name at least one email address/);
  });

  it(`refuses more than ${MAX_REPLY_RECIPIENTS} Cc addresses`, () => {
    const many = Array.from({ length: MAX_REPLY_RECIPIENTS + 1 }, (_, i) => ({ address: `p${i}@example.org` }));
    given(decider, ...inbound())
      .when(reply({ cc: many }))
      .thenThrows('invalid-input', /^cc may name at most 50 addresses \(it names 51\)$/);
    expect(() => decider.decide(reply({ cc: many.slice(0, MAX_REPLY_RECIPIENTS) }), stateAfter(decider, ...inbound()))).not.toThrow();
  });

  it('gives the refusal its reason id and parameters for translation', () => {
    try {
      decider.decide(reply({ cc: [{ address: 'nope' }] }), stateAfter(decider, ...inbound()));
      throw new Error('expected a refusal');
    } catch (error) {
      expect(error).toBeInstanceOf(DomainError);
      expect(error).toMatchObject({ reason: 'reply-recipient-invalid', params: { field: 'cc[0]', value: '"nope"' } });
    }
  });
});

describe('replyAllRecipients', () => {
  const participants = [
    ANA,
    { address: 'support@parley.example', name: 'Support' },
    BEA,
    { address: 'bo@parley.example', name: 'Bo (agent)' },
    CAS,
    { address: 'chat-visitor-1' },
  ];

  it('To the contact, Cc every other participant except the inbox, the agents and what is not an email address', () => {
    expect(replyAllRecipients(ANA, participants, ['Support@parley.example', 'bo@parley.example'])).toEqual({ to: [ANA], cc: [BEA, CAS] });
  });

  it('copies nobody when the contact was alone', () => {
    expect(replyAllRecipients(ANA, [ANA, { address: 'support@parley.example' }], ['support@parley.example'])).toEqual({ to: [ANA], cc: [] });
  });
});
