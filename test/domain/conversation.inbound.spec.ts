import { conversationDecider as decider } from '../../src/domain/conversation/conversation.decider';
import type { ConversationCommand } from '../../src/domain/conversation/conversation.commands';
import { given, stateAfter } from '../support/given-when-then';
import {
  ANA,
  CONTACT_ID,
  CONVERSATION_ID,
  INBOX_ID,
  T0,
  at,
  bare,
  closed,
  filtered,
  inbound,
  received,
  receive,
  replyQueued,
  started,
  trashed,
} from './conversation.fixtures';

/** What receive() stores on an existing thread. */
const secondMessage = received({ messageId: 'msg-2', externalMessageId: '<m2@customer.example>', text: 'Any news?', receivedAt: at(60) });

const deleted = [...inbound(), trashed(), { type: 'ConversationDeleted' as const, data: { reason: 'agent' as const } }];

describe('conversation: existence', () => {
  const someCommands: ConversationCommand[] = [
    { type: 'AssignConversation', data: { assignee: { type: 'agent', id: 'agent-bo' } } },
    { type: 'CloseConversation', data: { closeTicket: false, now: at(1) } },
    { type: 'AddComment', data: { commentId: 'c1', authorId: 'agent-bo', text: 'note', mentions: [], now: at(1) } },
    { type: 'UnassignRemovedAgent', data: { agentId: 'agent-bo' } },
    bare('RestoreConversation'),
  ];

  it.each(someCommands.map((c) => [c.type, c] as const))('%s on a conversation that does not exist is not-found', (_type, command) => {
    given(decider)
      .when(command)
      .thenThrows('not-found', /conversation not found/);
  });

  it.each(someCommands.map((c) => [c.type, c] as const))('%s on a conversation deleted forever is not-found', (_type, command) => {
    given(decider, ...deleted)
      .when(command)
      .thenThrows('not-found', /deleted forever/);
  });

  it('an inbound message for a conversation being deleted asks to retry', () => {
    given(decider, ...deleted)
      .when(receive())
      .thenThrows('invalid-transition', /being deleted; retry/);
  });

  it('deleting forever evolves to status deleted', () => {
    expect(stateAfter(decider, ...deleted)).toEqual({ status: 'deleted', id: CONVERSATION_ID });
  });
});

describe('conversation: ReceiveInboundMessage', () => {
  const first = receive({
    externalMessageId: '<m1@customer.example>',
    messageId: 'msg-1',
    from: { address: '  Ana@Customer.Example ', name: 'Ana Lopez' },
    receivedAt: T0,
    now: at(1),
  });
  const startedEvent = started({ contact: { id: CONTACT_ID, address: 'ana@customer.example', name: 'Ana Lopez' }, startedAt: T0 });
  const receivedEvent = received({
    messageId: 'msg-1',
    externalMessageId: '<m1@customer.example>',
    from: { address: '  Ana@Customer.Example ', name: 'Ana Lopez' },
    text: 'Any news?',
    receivedAt: T0,
  });

  it('starts a new conversation with the normalised contact and stores the message', () => {
    given(decider).when(first).then([startedEvent, receivedEvent]);
  });

  it('keeps html when the channel gave it, and leaves out a missing contact name', () => {
    given(decider)
      .when(receive({ from: { address: 'visitor-7' }, channel: 'chat', html: '<p>hi</p>', receivedAt: T0 }))
      .then([
        started({ channel: 'chat', contact: { id: CONTACT_ID, address: 'visitor-7' } }),
        { ...secondMessage, data: { ...secondMessage.data, from: { address: 'visitor-7' }, html: '<p>hi</p>', receivedAt: T0 } },
      ]);
  });

  it('records which agent posted the message when an agent session handed it in', () => {
    given(decider)
      .when(receive({ from: { address: 'visitor-7' }, receivedAt: T0, postedBy: 'agent-bo' }))
      .then([
        started({ contact: { id: CONTACT_ID, address: 'visitor-7' } }),
        { ...secondMessage, data: { ...secondMessage.data, from: { address: 'visitor-7' }, receivedAt: T0, postedBy: 'agent-bo' } },
      ]);
  });

  it('a role-address sender goes to Spam', () => {
    const from = { address: 'No-Reply@Shop.Example' };
    given(decider)
      .when(receive({ from, receivedAt: T0 }))
      .then([
        started({ contact: { id: CONTACT_ID, address: 'no-reply@shop.example' } }),
        { ...secondMessage, data: { ...secondMessage.data, from, receivedAt: T0 } },
        { type: 'ConversationMarkedAsSpam', data: { reason: 'role-address' } },
      ]);
  });

  it('a blocked sender is filtered, never spam, even from a role address', () => {
    const from = { address: 'Sales@Shop.Example' };
    given(decider)
      .when(receive({ from, senderBlocked: true, receivedAt: T0 }))
      .then([
        started({ contact: { id: CONTACT_ID, address: 'sales@shop.example' } }),
        { ...secondMessage, data: { ...secondMessage.data, from, receivedAt: T0 } },
        filtered('sales@shop.example'),
      ]);
  });

  it('the spam and filtered marks land in the state', () => {
    const spamStart = [started(), received(), { type: 'ConversationMarkedAsSpam' as const, data: { reason: 'role-address' as const } }];
    expect(stateAfter(decider, ...spamStart)).toMatchObject({ status: 'open', spam: 'role-address', filtered: false });
    expect(stateAfter(decider, ...inbound(), filtered())).toMatchObject({ spam: false, filtered: { address: ANA.address } });
  });

  it('a duplicate externalMessageId stores nothing', () => {
    given(decider, ...inbound())
      .when(receive({ externalMessageId: '<m1@customer.example>' }))
      .then([]);
  });

  it('a new message on an open conversation is just stored', () => {
    given(decider, ...inbound())
      .when(receive())
      .then([secondMessage]);
  });

  it('a new message reopens a closed conversation', () => {
    given(decider, ...inbound(), closed())
      .when(receive())
      .then([secondMessage, { type: 'ConversationReopened', data: { reason: 'inbound-message', reopenedAt: at(61) } }]);
  });

  it('a new message restores a trashed conversation', () => {
    given(decider, ...inbound(), trashed())
      .when(receive())
      .then([secondMessage, { type: 'ConversationRestored', data: { reason: 'inbound-message' } }]);
  });

  it('a new message on a closed, trashed conversation restores and reopens it', () => {
    const reaction = [
      secondMessage,
      { type: 'ConversationRestored' as const, data: { reason: 'inbound-message' as const } },
      { type: 'ConversationReopened' as const, data: { reason: 'inbound-message' as const, reopenedAt: at(61) } },
    ];
    given(decider, ...inbound(), closed(), trashed())
      .when(receive())
      .then(reaction);
    expect(stateAfter(decider, ...inbound(), closed(), trashed(), ...reaction)).toMatchObject({ status: 'open', trashed: null });
  });

  it('a message from a sender blocked since the thread started filters the conversation once', () => {
    given(decider, ...inbound())
      .when(receive({ senderBlocked: true }))
      .then([secondMessage, filtered()]);
    given(decider, ...inbound(), filtered())
      .when(receive({ senderBlocked: true }))
      .then([secondMessage]);
  });

  it('a later message from a role address does not re-mark an existing thread as spam', () => {
    const from = { address: 'info@customer.example' };
    given(decider, ...inbound())
      .when(receive({ from }))
      .then([{ ...secondMessage, data: { ...secondMessage.data, from } }]);
  });

  it('refuses a message without externalMessageId or sender, naming the field', () => {
    given(decider)
      .when(receive({ externalMessageId: ' ' }))
      .thenThrows('invalid-input', /externalMessageId/);
    given(decider)
      .when(receive({ from: { address: '' } }))
      .thenThrows('invalid-input', /from\.address/);
    given(decider)
      .when(receive({ receivedAt: 'yesterday' }))
      .thenThrows('invalid-input', /receivedAt must be an ISO-8601 time/);
  });

  it('the contact replying ends awaitingContactReply and moves lastContactActivityAt forward only', () => {
    const outbound = [started({ origin: 'outbound' }), replyQueued({ queuedAt: T0 })];
    expect(stateAfter(decider, ...outbound)).toMatchObject({ awaitingContactReply: true, lastContactActivityAt: T0 });
    const answered = stateAfter(decider, ...outbound, received({ receivedAt: at(90) }));
    expect(answered).toMatchObject({ awaitingContactReply: false, lastContactActivityAt: at(90) });
    const late = stateAfter(decider, ...outbound, received({ receivedAt: at(90) }), received({ externalMessageId: 'old', receivedAt: at(30) }));
    expect(late).toMatchObject({ lastContactActivityAt: at(90) });
  });

  it('an inbound conversation never awaits a contact reply', () => {
    expect(stateAfter(decider, ...inbound(), replyQueued())).toMatchObject({ awaitingContactReply: false });
  });
});

describe('conversation: StartOutboundConversation', () => {
  const start: ConversationCommand = {
    type: 'StartOutboundConversation',
    data: {
      conversationId: CONVERSATION_ID,
      inboxId: INBOX_ID,
      channel: 'email',
      externalThreadId: '<out-1@parley.example>',
      messageId: 'reply-1',
      contactId: CONTACT_ID,
      authorId: 'agent-bo',
      to: { address: 'Ana@Customer.Example', name: 'Ana Lopez' },
      subject: 'Your renewal',
      text: 'Hi Ana, your plan renews next week.',
      now: T0,
    },
  };

  it('starts an outbound conversation and queues its first message', () => {
    given(decider)
      .when(start)
      .then([
        started({
          origin: 'outbound',
          externalThreadId: '<out-1@parley.example>',
          contact: { id: CONTACT_ID, address: 'ana@customer.example', name: 'Ana Lopez' },
          subject: 'Your renewal',
        }),
        replyQueued({
          queuedAt: T0,
          to: [{ address: 'Ana@Customer.Example', name: 'Ana Lopez' }],
          subject: 'Your renewal',
          text: 'Hi Ana, your plan renews next week.',
        }),
      ]);
  });

  const outboundHistory = [
    started({ origin: 'outbound', contact: { id: CONTACT_ID, address: 'ana@customer.example', name: 'Ana Lopez' } }),
    replyQueued({ queuedAt: T0 }),
  ];

  it('the outbound conversation awaits the contact reply', () => {
    expect(stateAfter(decider, ...outboundHistory)).toMatchObject({ status: 'open', origin: 'outbound', awaitingContactReply: true });
  });

  it('the same start retried after it was stored is already done', () => {
    given(decider, ...outboundHistory)
      .when(start)
      .then([]);
  });

  it('refuses an id that is already a conversation', () => {
    given(decider, ...inbound())
      .when(start)
      .thenThrows('conflict', /already exists; .*new id/);
    given(decider, ...deleted)
      .when(start)
      .thenThrows('conflict', /deleted forever/);
  });

  it('refuses an empty text or recipient', () => {
    given(decider)
      .when({ ...start, data: { ...start.data, text: '  ' } } as ConversationCommand)
      .thenThrows('invalid-input', /text must not be empty/);
    given(decider)
      .when({ ...start, data: { ...start.data, to: { address: '' } } } as ConversationCommand)
      .thenThrows('invalid-input', /to\.address must not be empty/);
  });
});
