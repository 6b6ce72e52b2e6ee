import { conversationDecider as decider } from '../../src/domain/conversation/conversation.decider';
import type { ConversationCommand, SendTranscript } from '../../src/domain/conversation/conversation.commands';
import type { TranscriptSent } from '../../src/domain/conversation/conversation.events';
import { given, stateAfter } from '../support/given-when-then';
import { ANA, at, closed, inbound, trashed } from './conversation.fixtures';

const TEXT = 'Chat with Ana Lopez\n\n09:00 Ana Lopez: Hello, is my order on its way?\n09:01 Bo: It left this morning.';

const send = (overrides: Partial<SendTranscript['data']> = {}): ConversationCommand => ({
  type: 'SendTranscript',
  data: { messageId: 'tr-1', to: ANA, reason: 'closed', subject: 'Your chat with Support', text: TEXT, now: at(20), ...overrides },
});

const sent = (overrides: Partial<TranscriptSent['data']> = {}): TranscriptSent => ({
  type: 'TranscriptSent',
  data: {
    messageId: 'tr-1',
    channel: 'email',
    to: [ANA],
    reason: 'closed',
    subject: 'Your chat with Support',
    text: TEXT,
    sentAt: at(20),
    ...overrides,
  },
});

describe('conversation: SendTranscript (rule 12)', () => {
  it('emails the transcript of a closed chat to the visitor, by the system', () => {
    given(decider, ...inbound('chat'), closed())
      .when(send())
      .then([sent()]);
  });

  it('a copy on request names the agent, keeps the HTML and trims the address', () => {
    given(decider, ...inbound('chat'))
      .when(send({ reason: 'requested', authorId: 'agent-bo', to: { address: ' boss@company.example ' }, html: '<p>Chat</p>' }))
      .then([sent({ reason: 'requested', authorId: 'agent-bo', to: [{ address: 'boss@company.example' }], html: '<p>Chat</p>' })]);
  });

  it('sends one transcript per messageId: the close handled again sends nothing more', () => {
    given(decider, ...inbound('chat'), closed(), sent())
      .when(send())
      .then([]);
  });

  it('does not change the status: a transcript is no reply and reopens nothing', () => {
    expect(stateAfter(decider, ...inbound('chat'), closed(), sent())).toMatchObject({ status: 'closed' });
  });

  it('its delivery is recorded like a reply', () => {
    given(decider, ...inbound('chat'), sent())
      .when({ type: 'RecordReplyDelivered', data: { messageId: 'tr-1', externalMessageId: '<tr-1@parley.example>', now: at(21) } })
      .then([{ type: 'ReplyDelivered', data: { messageId: 'tr-1', externalMessageId: '<tr-1@parley.example>', deliveredAt: at(21) } }]);
  });

  it('refuses an address that is not an email address, naming the value', () => {
    given(decider, ...inbound('chat'))
      .when(send({ to: { address: 'visitor-7f3a' } }))
      .thenThrows('invalid-input', /to must be an email address to send the transcript to, got "visitor-7f3a"/);
  });

  it('refuses an unknown reason and an empty transcript', () => {
    given(decider, ...inbound('chat'))
      .when(send({ reason: 'later' as never }))
      .thenThrows('invalid-input', /reason must be one of closed, requested, got "later"/);
    given(decider, ...inbound('chat'))
      .when(send({ text: '  ' }))
      .thenThrows('invalid-input', /text must not be empty/);
  });

  it('a copy is not sent from Trash', () => {
    given(decider, ...inbound('chat'), trashed())
      .when(send({ reason: 'requested', authorId: 'agent-bo' }))
      .thenThrows('invalid-transition', /in Trash; restore it first, then send its transcript/);
  });

  it('needs an existing conversation', () => {
    given(decider)
      .when(send())
      .thenThrows('not-found', /conversation not found/);
  });
});
