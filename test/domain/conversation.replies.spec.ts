import { conversationDecider as decider, replySubject } from '../../src/domain/conversation/conversation.decider';
import type { ConversationCommand, QueueReply } from '../../src/domain/conversation/conversation.commands';
import type { ConversationEvent } from '../../src/domain/conversation/conversation.events';
import type { Channel } from '../../src/domain/shared/types';
import { given, stateAfter } from '../support/given-when-then';
import { ANA, at, closed, inbound, replyQueued, started, trashed } from './conversation.fixtures';

const reply = (overrides: Partial<QueueReply['data']> = {}): ConversationCommand => ({
  type: 'QueueReply',
  data: { messageId: 'reply-1', authorId: 'agent-bo', text: 'We are on it.', now: at(5), ...overrides },
});
const delivered = (now = at(6), externalMessageId?: string): ConversationCommand => ({
  type: 'RecordReplyDelivered',
  data: { messageId: 'reply-1', now, ...(externalMessageId ? { externalMessageId } : {}) },
});
const failed = (attempt = 1): ConversationCommand => ({
  type: 'RecordReplyFailed',
  data: { messageId: 'reply-1', reason: 'SMTP 451 try again later', retryable: true, attempt, now: at(7) },
});
const unlinked: ConversationEvent = { type: 'ContactUnlinked', data: { contactId: 'contact-ana' } };

describe('conversation: QueueReply', () => {
  it('queues a reply to the contact on the conversation channel with a "Re:" subject', () => {
    given(decider, ...inbound())
      .when(reply({ html: '<p>We are on it.</p>' }))
      .then([replyQueued({ html: '<p>We are on it.</p>' })]);
  });

  it('does not change the status of a closed conversation', () => {
    const events = [replyQueued()];
    given(decider, ...inbound(), closed())
      .when(reply())
      .then(events);
    expect(stateAfter(decider, ...inbound(), closed(), ...events)).toMatchObject({ status: 'closed' });
  });

  it('the same reply retried after it was stored is already done', () => {
    given(decider, ...inbound(), replyQueued())
      .when(reply())
      .then([]);
  });

  it('refuses a reply in Trash', () => {
    given(decider, ...inbound(), trashed())
      .when(reply())
      .thenThrows('invalid-transition', /in Trash; restore it first/);
  });

  it('refuses a reply when the contact was unlinked', () => {
    given(decider, ...inbound(), unlinked)
      .when(reply())
      .thenThrows('invalid-transition', /has no contact to reply to/);
  });

  it('refuses an empty reply', () => {
    given(decider, ...inbound())
      .when(reply({ text: '   ' }))
      .thenThrows('invalid-input', /text must not be empty/);
  });

  describe('subject', () => {
    it.each([
      ['Invoice question', 'Re: Invoice question'],
      ['Re: Invoice question', 'Re: Invoice question'],
      ['RE: shouting', 'RE: shouting'],
      ['re:lowercase', 're:lowercase'],
      ['', ''],
      ['Renewal', 'Re: Renewal'],
    ])('%j becomes %j', (subject, expected) => {
      expect(replySubject(subject)).toBe(expected);
    });
  });

  describe('switching channel (rule 12)', () => {
    const chatWithEmail = inbound('chat', ANA.address);

    it('a chat conversation can be answered by email', () => {
      given(decider, ...chatWithEmail)
        .when(reply({ channel: 'email' }))
        .then([replyQueued({ channel: 'email' })]);
    });

    it('a Messenger conversation can be answered by email', () => {
      given(decider, ...inbound('messenger', ANA.address))
        .when(reply({ channel: 'email' }))
        .then([replyQueued({ channel: 'email' })]);
    });

    it('naming the conversation channel itself is no switch', () => {
      given(decider, ...inbound('whatsapp', '+31612345678'))
        .when(reply({ channel: 'whatsapp' }))
        .then([replyQueued({ channel: 'whatsapp', to: [{ address: '+31612345678', name: ANA.name }] })]);
    });

    it('a WhatsApp conversation cannot be answered by email', () => {
      given(decider, ...inbound('whatsapp', ANA.address))
        .when(reply({ channel: 'email' }))
        .thenThrows('invalid-input', /"email".*whatsapp conversation: only chat, Messenger and form conversations can be answered by email/);
    });

    it.each<Channel>(['chat', 'messenger', 'whatsapp', 'forms', 'api'])('an email conversation cannot be answered by %s', (channel) => {
      given(decider, ...inbound('email'))
        .when(reply({ channel }))
        .thenThrows('invalid-input', new RegExp(`"${channel}".*only email can replace`));
    });

    it('a chat visitor without an email address cannot be answered by email', () => {
      given(decider, ...inbound('chat', 'visitor-7'))
        .when(reply({ channel: 'email' }))
        .thenThrows('invalid-input', /"email".*chat conversation: the contact.s address "visitor-7" is not an email address/);
    });
  });

  it('an outbound subject already in the thread is kept as it is', () => {
    given(decider, started({ origin: 'outbound', subject: 'Re: your quote' }), replyQueued({ messageId: 'first' }))
      .when(reply())
      .then([replyQueued({ subject: 'Re: your quote' })]);
  });
});

describe('conversation: delivery results', () => {
  it('records a delivered reply with the channel message id', () => {
    given(decider, ...inbound(), replyQueued())
      .when(delivered(at(6), '<r1@parley.example>'))
      .then([{ type: 'ReplyDelivered', data: { messageId: 'reply-1', externalMessageId: '<r1@parley.example>', deliveredAt: at(6) } }]);
  });

  it('records a delivery after a failed attempt', () => {
    const failure: ConversationEvent = {
      type: 'ReplyDeliveryFailed',
      data: { messageId: 'reply-1', reason: 'timeout', retryable: true, attempt: 1, failedAt: at(6) },
    };
    given(decider, ...inbound(), replyQueued(), failure)
      .when(delivered(at(8)))
      .then([{ type: 'ReplyDelivered', data: { messageId: 'reply-1', deliveredAt: at(8) } }]);
  });

  it('a second delivery report is already done', () => {
    given(decider, ...inbound(), replyQueued(), { type: 'ReplyDelivered', data: { messageId: 'reply-1', deliveredAt: at(6) } })
      .when(delivered(at(9)))
      .then([]);
  });

  it('refuses a delivery report for a message that is not a queued reply', () => {
    given(decider, ...inbound())
      .when(delivered())
      .thenThrows('invalid-input', /"reply-1" is not a reply queued/);
    given(decider, ...inbound())
      .when(failed())
      .thenThrows('invalid-input', /"reply-1" is not a reply queued/);
  });

  it('records a failed attempt', () => {
    given(decider, ...inbound(), replyQueued())
      .when(failed(2))
      .then([
        { type: 'ReplyDeliveryFailed', data: { messageId: 'reply-1', reason: 'SMTP 451 try again later', retryable: true, attempt: 2, failedAt: at(7) } },
      ]);
  });

  it('a failure reported after the delivery is ignored', () => {
    given(decider, ...inbound(), replyQueued(), { type: 'ReplyDelivered', data: { messageId: 'reply-1', deliveredAt: at(6) } })
      .when(failed())
      .then([]);
  });

  it('our own delivered reply coming back through the inbox is not stored as a contact message', () => {
    const history = [
      ...inbound(),
      replyQueued(),
      { type: 'ReplyDelivered' as const, data: { messageId: 'reply-1', externalMessageId: '<r1@parley.example>', deliveredAt: at(6) } },
    ];
    expect(stateAfter(decider, ...history)).toMatchObject({ replies: new Map([['reply-1', 'delivered']]) });
    given(decider, ...history)
      .when({
        type: 'ReceiveInboundMessage',
        data: {
          conversationId: 'conv-1',
          inboxId: 'inbox-1',
          channel: 'email',
          externalThreadId: '<thread-1@customer.example>',
          externalMessageId: '<r1@parley.example>',
          messageId: 'msg-9',
          contactId: 'contact-ana',
          from: { address: 'support@parley.example' },
          to: [ANA],
          subject: 'Re: Invoice question',
          text: 'We are on it.',
          attachments: [],
          receivedAt: at(6),
          senderBlocked: false,
          now: at(6),
        },
      })
      .then([]);
  });
});
