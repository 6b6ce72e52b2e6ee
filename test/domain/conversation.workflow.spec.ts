import { conversationDecider as decider } from '../../src/domain/conversation/conversation.decider';
import type { ConversationCommand } from '../../src/domain/conversation/conversation.commands';
import type { ConversationEvent } from '../../src/domain/conversation/conversation.events';
import type { Assignee } from '../../src/domain/shared/types';
import { given, stateAfter } from '../support/given-when-then';
import { assignedToAgent, assignedToBot, at, closed, inbound, received, ticketCreated, trashed } from './conversation.fixtures';

const assign = (assignee: Assignee): ConversationCommand => ({ type: 'AssignConversation', data: { assignee } });
const close = (now: string, closeTicket = false): ConversationCommand => ({ type: 'CloseConversation', data: { closeTicket, now } });
const reopen = (now = at(20)): ConversationCommand => ({ type: 'ReopenConversation', data: { now } });
const comment = (text: string, mentions: string[] = []): ConversationCommand => ({
  type: 'AddComment',
  data: { commentId: 'comment-1', authorId: 'agent-bo', text, mentions, now: at(15) },
});
const handoff: ConversationCommand = { type: 'RequestBotHandoff', data: { now: at(3) } };

describe('conversation: AssignConversation', () => {
  it('assigns an unassigned conversation to an agent', () => {
    given(decider, ...inbound())
      .when(assign({ type: 'agent', id: 'agent-bo' }))
      .then([{ type: 'ConversationAssigned', data: { assignee: { type: 'agent', id: 'agent-bo' }, previous: null } }]);
  });

  it('reassigns from one agent to another, naming the previous one', () => {
    given(decider, ...inbound(), assignedToAgent('agent-bo'))
      .when(assign({ type: 'agent', id: 'agent-cy' }))
      .then([{ type: 'ConversationAssigned', data: { assignee: { type: 'agent', id: 'agent-cy' }, previous: { type: 'agent', id: 'agent-bo' } } }]);
  });

  it('assigning the current assignee again is already done', () => {
    given(decider, ...inbound(), assignedToAgent('agent-bo'))
      .when(assign({ type: 'agent', id: 'agent-bo' }))
      .then([]);
    given(decider, ...inbound(), assignedToBot)
      .when(assign({ type: 'bot' }))
      .then([]);
  });

  it('assigning nobody unassigns manually', () => {
    given(decider, ...inbound(), assignedToAgent('agent-bo'))
      .when(assign(null))
      .then([{ type: 'ConversationUnassigned', data: { previous: { type: 'agent', id: 'agent-bo' }, reason: 'manual' } }]);
  });

  it('unassigning an unassigned conversation is already done', () => {
    given(decider, ...inbound())
      .when(assign(null))
      .then([]);
  });

  it('a closed conversation can be reassigned', () => {
    given(decider, ...inbound(), assignedToAgent('agent-bo'), closed())
      .when(assign({ type: 'agent', id: 'agent-cy' }))
      .then([{ type: 'ConversationAssigned', data: { assignee: { type: 'agent', id: 'agent-cy' }, previous: { type: 'agent', id: 'agent-bo' } } }]);
  });

  it('a conversation in Trash must be restored first', () => {
    given(decider, ...inbound(), trashed())
      .when(assign({ type: 'agent', id: 'agent-bo' }))
      .thenThrows('invalid-transition', /conversation is in Trash; restore it first/);
  });

  it('refuses an agent assignee without an id', () => {
    given(decider, ...inbound())
      .when(assign({ type: 'agent', id: ' ' }))
      .thenThrows('invalid-input', /assignee\.id/);
  });

  it('remembers that an agent ever held the conversation (Bots view)', () => {
    expect(stateAfter(decider, ...inbound(), assignedToBot)).toMatchObject({ assignee: { type: 'bot' }, everAssignedToAgent: false });
    const handedOver: ConversationEvent = {
      type: 'ConversationAssigned',
      data: { assignee: { type: 'agent', id: 'agent-bo' }, previous: { type: 'bot' } },
    };
    const backToBot: ConversationEvent = {
      type: 'ConversationAssigned',
      data: { assignee: { type: 'bot' }, previous: { type: 'agent', id: 'agent-bo' } },
    };
    expect(stateAfter(decider, ...inbound(), assignedToBot, handedOver, backToBot)).toMatchObject({
      assignee: { type: 'bot' },
      everAssignedToAgent: true,
    });
  });
});

describe('conversation: UnassignRemovedAgent (rule 4)', () => {
  const removed: ConversationCommand = { type: 'UnassignRemovedAgent', data: { agentId: 'agent-bo' } };

  it("unassigns the removed agent's conversation", () => {
    given(decider, ...inbound(), assignedToAgent('agent-bo'))
      .when(removed)
      .then([{ type: 'ConversationUnassigned', data: { previous: { type: 'agent', id: 'agent-bo' }, reason: 'agent-removed' } }]);
  });

  it('works on a conversation in Trash too', () => {
    given(decider, ...inbound(), assignedToAgent('agent-bo'), closed(), trashed())
      .when(removed)
      .then([{ type: 'ConversationUnassigned', data: { previous: { type: 'agent', id: 'agent-bo' }, reason: 'agent-removed' } }]);
  });

  it("leaves someone else's conversation alone", () => {
    given(decider, ...inbound(), assignedToAgent('agent-cy'))
      .when(removed)
      .then([]);
    given(decider, ...inbound(), assignedToBot)
      .when(removed)
      .then([]);
    given(decider, ...inbound())
      .when(removed)
      .then([]);
  });
});

describe('conversation: CloseConversation (rules 8 and 9)', () => {
  it('closes an open conversation', () => {
    given(decider, ...inbound())
      .when(close(at(5)))
      .then([{ type: 'ConversationClosed', data: { closedAt: at(5) } }]);
  });

  it('with a ticket, closes both when asked', () => {
    given(decider, ...inbound(), ticketCreated())
      .when(close(at(5), true))
      .then([
        { type: 'ConversationClosed', data: { closedAt: at(5) } },
        { type: 'TicketClosed', data: { ticketId: 'ticket-1' } },
      ]);
  });

  it('with a ticket, closes only the conversation when asked', () => {
    given(decider, ...inbound(), ticketCreated())
      .when(close(at(5), false))
      .then([{ type: 'ConversationClosed', data: { closedAt: at(5) } }]);
  });

  it('closeTicket without a ticket, or with a ticket already closed, closes the conversation only', () => {
    given(decider, ...inbound())
      .when(close(at(5), true))
      .then([{ type: 'ConversationClosed', data: { closedAt: at(5) } }]);
    const ticketClosedEarlier: ConversationEvent[] = [
      ticketCreated(),
      closed(2),
      { type: 'TicketClosed', data: { ticketId: 'ticket-1' } },
      { type: 'ConversationReopened', data: { reason: 'agent', reopenedAt: at(3) } },
    ];
    given(decider, ...inbound(), ...ticketClosedEarlier)
      .when(close(at(5), true))
      .then([{ type: 'ConversationClosed', data: { closedAt: at(5) } }]);
  });

  it('refuses to close a closed conversation', () => {
    given(decider, ...inbound(), closed())
      .when(close(at(20)))
      .thenThrows('invalid-transition', /already closed/);
  });

  it('refuses to close a conversation in Trash', () => {
    given(decider, ...inbound(), trashed())
      .when(close(at(20)))
      .thenThrows('invalid-transition', /in Trash; restore it first/);
  });

  it('evolves to closed with its time, and keeps the ticket state', () => {
    expect(stateAfter(decider, ...inbound(), ticketCreated(), closed(5), { type: 'TicketClosed', data: { ticketId: 'ticket-1' } })).toMatchObject({
      status: 'closed',
      closedAt: at(5),
      ticket: { id: 'ticket-1', status: 'closed' },
    });
  });

  describe('a bot conversation (rule 9)', () => {
    // The inbox's bot took the chat at its start; the visitor's last message came at minute 10.
    const takenByInboxBot: ConversationEvent = { type: 'ConversationAssigned', data: { assignee: { type: 'bot' }, previous: null, via: 'inbox-bot' } };
    const botChat = [...inbound('chat', 'visitor-7'), takenByInboxBot, received({ externalMessageId: 'chat-2', receivedAt: at(10) })];

    it("cannot be closed within 30 minutes of the visitor's last activity, and says from when it can", () => {
      given(decider, ...botChat)
        .when(close(at(39)))
        .thenThrows('invalid-transition', new RegExp(`after 30 minutes without visitor activity.*${at(40).replace(/\./g, '\\.')}`));
    });

    it("can be closed 30 minutes after the visitor's last activity", () => {
      given(decider, ...botChat)
        .when(close(at(40)))
        .then([{ type: 'ConversationClosed', data: { closedAt: at(40) } }]);
    });

    it('can be closed at once after the visitor asked for a team member', () => {
      given(decider, ...botChat, { type: 'BotHandoffRequested', data: { at: at(11) } })
        .when(close(at(12)))
        .then([{ type: 'ConversationClosed', data: { closedAt: at(12) } }]);
    });

    it('the rule is about bots only: an agent closes at once', () => {
      given(decider, ...botChat, assignedToAgent('agent-bo'))
        .when(close(at(12)))
        .then([{ type: 'ConversationClosed', data: { closedAt: at(12) } }]);
    });

    it('does not hold for a conversation an agent assigned to "Bot" by hand (an email parked in the Bots view)', () => {
      given(decider, ...inbound(), assignedToBot, received({ externalMessageId: 'mail-2', receivedAt: at(10) }))
        .when(close(at(12)))
        .then([{ type: 'ConversationClosed', data: { closedAt: at(12) } }]);
    });
  });

  it('refuses a `now` that is not a time', () => {
    given(decider, ...inbound())
      .when(close('soon'))
      .thenThrows('invalid-input', /now must be an ISO-8601 time/);
  });
});

describe('conversation: ReopenConversation', () => {
  it('reopens a closed conversation', () => {
    given(decider, ...inbound(), closed())
      .when(reopen(at(20)))
      .then([{ type: 'ConversationReopened', data: { reason: 'agent', reopenedAt: at(20) } }]);
    expect(stateAfter(decider, ...inbound(), closed(), { type: 'ConversationReopened', data: { reason: 'agent', reopenedAt: at(20) } })).not.toHaveProperty(
      'closedAt',
    );
  });

  it('refuses to reopen an open conversation', () => {
    given(decider, ...inbound())
      .when(reopen())
      .thenThrows('invalid-transition', /already open/);
  });

  it('refuses to reopen a conversation in Trash', () => {
    given(decider, ...inbound(), closed(), trashed())
      .when(reopen())
      .thenThrows('invalid-transition', /in Trash; restore it first/);
  });
});

describe('conversation: AddComment (rule 14)', () => {
  it('adds an internal note with the mentioned agents', () => {
    given(decider, ...inbound())
      .when(comment('@bo can you check?', ['agent-bo']))
      .then([
        {
          type: 'CommentAdded',
          data: { commentId: 'comment-1', authorId: 'agent-bo', text: '@bo can you check?', mentions: ['agent-bo'], at: at(15) },
        },
      ]);
  });

  it('is allowed on a closed conversation', () => {
    given(decider, ...inbound(), closed())
      .when(comment('closing note'))
      .then([{ type: 'CommentAdded', data: { commentId: 'comment-1', authorId: 'agent-bo', text: 'closing note', mentions: [], at: at(15) } }]);
  });

  it('the same comment retried after it was stored is already done', () => {
    const added: ConversationEvent = {
      type: 'CommentAdded',
      data: { commentId: 'comment-1', authorId: 'agent-bo', text: 'note', mentions: [], at: at(15) },
    };
    given(decider, ...inbound(), added)
      .when(comment('note'))
      .then([]);
  });

  it('refuses an empty or blank note', () => {
    given(decider, ...inbound())
      .when(comment(''))
      .thenThrows('invalid-input', /text must not be empty/);
    given(decider, ...inbound())
      .when(comment(' \n\t '))
      .thenThrows('invalid-input', /text must not be empty/);
  });

  it('refuses a comment on a conversation in Trash', () => {
    given(decider, ...inbound(), trashed())
      .when(comment('note'))
      .thenThrows('invalid-transition', /in Trash; restore it first/);
  });
});

describe('conversation: RequestBotHandoff', () => {
  it('records that the visitor asked for a team member', () => {
    given(decider, ...inbound('chat', 'visitor-7'), assignedToBot)
      .when(handoff)
      .then([
        { type: 'BotHandoffRequested', data: { at: at(3) } },
        // The bot lets go: the conversation waits for an agent (auto-assignment, or Unassigned).
        { type: 'ConversationUnassigned', data: { previous: { type: 'bot' }, reason: 'bot-handoff' } },
      ]);
  });

  it('asking again is already done', () => {
    given(decider, ...inbound('chat', 'visitor-7'), assignedToBot, { type: 'BotHandoffRequested', data: { at: at(2) } })
      .when(handoff)
      .then([]);
  });
});
