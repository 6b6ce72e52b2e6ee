import { conversationDecider as decider } from '../../src/domain/conversation/conversation.decider';
import type { ConversationCommand, QueueReply } from '../../src/domain/conversation/conversation.commands';
import { given } from '../support/given-when-then';
import { at, inbound, replyQueued } from './conversation.fixtures';

const invoice = { id: '6f1c1d3e-4b0a-4e53-9a61-1d2e3f405162', filename: 'invoice.pdf', contentType: 'application/pdf', size: 1234 };
const reply = (overrides: Partial<QueueReply['data']> = {}): ConversationCommand => ({
  type: 'QueueReply',
  data: { messageId: 'reply-1', authorId: 'agent-bo', text: 'We are on it.', now: at(5), ...overrides },
});

describe('conversation: a reply with attachments', () => {
  it('carries the files on ReplyQueued', () => {
    given(decider, ...inbound())
      .when(reply({ attachments: [invoice] }))
      .then([{ ...replyQueued(), data: { ...replyQueued().data, attachments: [invoice] } }]);
  });

  it('a reply without files records no attachments field, as replies always did', () => {
    given(decider, ...inbound())
      .when(reply({ attachments: [] }))
      .then([replyQueued()]);
  });
});
