import { conversationDecider as decider } from '../../src/domain/conversation/conversation.decider';
import type { ConversationCommand, QueueReply } from '../../src/domain/conversation/conversation.commands';
import type { ConversationEvent } from '../../src/domain/conversation/conversation.events';
import { given, stateAfter } from '../support/given-when-then';
import { ANA, at, closed, inbound, receive, received, replyQueued } from './conversation.fixtures';

/** Rule 12: a chat answered by email, the visitor's email given later, and the answer by email joining the chat. */
const VISITOR = 'visitor-7f3a';
const chat = () => inbound('chat', VISITOR);
const fromVisitorEmail = { address: ANA.address, name: ANA.name };
const emailProvided: ConversationEvent = { type: 'ContactEmailProvided', data: { address: ANA.address } };
const answeredByEmail = replyQueued({ channel: 'email', to: [fromVisitorEmail] });
const decide = (command: ConversationCommand, ...history: ConversationEvent[]) => decider.decide(command, stateAfter(decider, ...history));
const reply = (overrides: Partial<QueueReply['data']> = {}): ConversationCommand => ({
  type: 'QueueReply',
  data: { messageId: 'reply-1', authorId: 'agent-bo', text: 'We will write to you.', channel: 'email', now: at(5), ...overrides },
});
/** The visitor's answer by email to the reply sent by email. */
const emailAnswer = (overrides: Parameters<typeof receive>[0] = {}) =>
  receive({ channel: 'email', externalThreadId: '<reply-1@parley.example>', externalMessageId: '<answer-1@customer.example>', continues: true, ...overrides });

describe('chat to email (rule 12)', () => {
  describe('the visitor gives an email address later', () => {
    it('a chat message from an email address records it once', () => {
      given(decider, ...chat())
        .when(receive({ channel: 'chat', from: fromVisitorEmail }))
        .then([
          received({ messageId: 'msg-2', externalMessageId: '<m2@customer.example>', from: fromVisitorEmail, text: 'Any news?', receivedAt: at(60) }),
          emailProvided,
        ]);
      given(decider, ...chat(), emailProvided)
        .when(receive({ channel: 'chat', from: fromVisitorEmail }))
        .then([received({ messageId: 'msg-2', externalMessageId: '<m2@customer.example>', from: fromVisitorEmail, text: 'Any news?', receivedAt: at(60) })]);
    });

    it('is nothing new for a contact who has an email address already', () => {
      const events = decide(receive({ channel: 'chat', from: { address: 'other@customer.example' } }), ...inbound('chat', ANA.address));
      expect(events.map((e) => e.type)).toEqual(['MessageReceived']);
    });

    it('lets the chat be answered by email, to that address', () => {
      given(decider, ...chat())
        .when(reply())
        .thenThrows('invalid-input', /is not an email address/);
      given(decider, ...chat(), emailProvided)
        .when(reply())
        .then([
          {
            type: 'ReplyQueued',
            data: {
              messageId: 'reply-1',
              authorId: 'agent-bo',
              channel: 'email',
              to: [{ address: ANA.address, name: ANA.name }],
              subject: 'Re: Invoice question',
              text: 'We will write to you.',
              queuedAt: at(5),
            },
          },
        ]);
    });

    it('remembers the address and the channels the conversation was answered on', () => {
      const state = stateAfter(decider, ...chat(), emailProvided, answeredByEmail);
      expect(state.status === 'open' && state.contactEmail).toBe(ANA.address);
      expect(state.status === 'open' && [...state.answeredOn]).toEqual(['email']);
    });
  });

  describe('an email answering a reply sent by email continues the chat', () => {
    it('joins the conversation (and reopens it when closed)', () => {
      const events = decide(emailAnswer({ from: fromVisitorEmail }), ...chat(), emailProvided, answeredByEmail, closed(20));
      expect(events.map((e) => e.type)).toEqual(['MessageReceived', 'ConversationReopened']);
      expect(events[0].data).toMatchObject({ externalMessageId: '<answer-1@customer.example>', from: fromVisitorEmail });
    });

    it('is idempotent by externalMessageId', () => {
      given(
        decider,
        ...chat(),
        emailProvided,
        answeredByEmail,
        received({ messageId: 'msg-2', externalMessageId: '<answer-1@customer.example>', from: fromVisitorEmail }),
      )
        .when(emailAnswer({ from: fromVisitorEmail }))
        .then([]);
    });

    it('is refused when the conversation was never answered on that channel', () => {
      given(decider, ...chat(), emailProvided, replyQueued({ channel: 'chat', to: [{ address: VISITOR }] }))
        .when(emailAnswer())
        .thenThrows('invalid-input', /was never answered on email/);
    });

    it('is refused for a conversation of another inbox', () => {
      given(decider, ...chat(), emailProvided, answeredByEmail)
        .when(emailAnswer({ inboxId: 'inbox-2' }))
        .thenThrows('invalid-input', /another inbox than inbox-2/);
    });

    it('is refused when there is no such conversation, or it was deleted forever', () => {
      given(decider)
        .when(emailAnswer())
        .thenThrows('invalid-input', /names no conversation/);
      given(decider, ...chat(), answeredByEmail, { type: 'ConversationDeleted', data: { reason: 'agent' } })
        .when(emailAnswer())
        .thenThrows('invalid-input', /names no conversation/);
    });

    it('a message without it starts its own conversation as always', () => {
      expect(decide(emailAnswer({ continues: undefined })).map((e) => e.type)).toEqual(['ConversationStarted', 'MessageReceived']);
    });
  });
});
