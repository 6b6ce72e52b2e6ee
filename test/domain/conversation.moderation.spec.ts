import { conversationDecider as decider } from '../../src/domain/conversation/conversation.decider';
import type { ConversationCommand } from '../../src/domain/conversation/conversation.commands';
import type { ConversationEvent } from '../../src/domain/conversation/conversation.events';
import { given, stateAfter } from '../support/given-when-then';
import { ANA, at, bare, closed, filtered, inbound, ticketCreated, trashed } from './conversation.fixtures';

const markedSpam: ConversationEvent = { type: 'ConversationMarkedAsSpam', data: { reason: 'agent' } };
const unlinked: ConversationEvent = { type: 'ContactUnlinked', data: { contactId: 'contact-ana' } };
const trash = (now = at(10)): ConversationCommand => ({ type: 'TrashConversation', data: { now } });
const deleteForever = (reason: 'agent' | 'trash-retention', now: string): ConversationCommand => ({
  type: 'DeleteConversation',
  data: { reason, now },
});
const createTicket = (name: string, ticketId = 'ticket-1'): ConversationCommand => ({ type: 'CreateTicket', data: { ticketId, name } });
const unfilter = (address: string): ConversationCommand => ({ type: 'UnfilterConversation', data: { address } });
const DAY = 24 * 60;

describe('conversation: spam (rule 6)', () => {
  it('an agent marks a conversation as spam', () => {
    given(decider, ...inbound())
      .when(bare('MarkAsSpam'))
      .then([markedSpam]);
  });

  it('refuses to mark spam twice, or in Trash', () => {
    given(decider, ...inbound(), markedSpam)
      .when(bare('MarkAsSpam'))
      .thenThrows('invalid-transition', /already marked as spam/);
    given(decider, ...inbound(), trashed())
      .when(bare('MarkAsSpam'))
      .thenThrows('invalid-transition', /in Trash; restore it first/);
  });

  it('not spam brings it back, whoever marked it', () => {
    given(decider, ...inbound(), markedSpam)
      .when(bare('MarkAsNotSpam'))
      .then([{ type: 'ConversationMarkedAsNotSpam', data: {} }]);
    given(decider, ...inbound(), { type: 'ConversationMarkedAsSpam', data: { reason: 'role-address' } })
      .when(bare('MarkAsNotSpam'))
      .then([{ type: 'ConversationMarkedAsNotSpam', data: {} }]);
    expect(stateAfter(decider, ...inbound(), markedSpam, { type: 'ConversationMarkedAsNotSpam', data: {} })).toMatchObject({ spam: false });
  });

  it('refuses not spam on a conversation that is not spam', () => {
    given(decider, ...inbound())
      .when(bare('MarkAsNotSpam'))
      .thenThrows('invalid-transition', /not marked as spam/);
  });
});

describe('conversation: BlockSender (rule 5)', () => {
  it('filters the conversation by its sender address', () => {
    given(decider, ...inbound())
      .when(bare('BlockSender'))
      .then([filtered(ANA.address)]);
  });

  it('deletes the ticket for good, then filters', () => {
    given(decider, ...inbound(), ticketCreated())
      .when(bare('BlockSender'))
      .then([{ type: 'TicketDeleted', data: { ticketId: 'ticket-1', reason: 'sender-blocked' } }, filtered(ANA.address)]);
    expect(
      stateAfter(decider, ...inbound(), ticketCreated(), { type: 'TicketDeleted', data: { ticketId: 'ticket-1', reason: 'sender-blocked' } }),
    ).toMatchObject({ ticket: null });
  });

  it('still knows the sender after the contact was unlinked', () => {
    given(decider, ...inbound(), unlinked)
      .when(bare('BlockSender'))
      .then([filtered(ANA.address)]);
  });

  it('refuses when already filtered, or in Trash', () => {
    given(decider, ...inbound(), filtered())
      .when(bare('BlockSender'))
      .thenThrows('invalid-transition', /already blocked.*Filtered/);
    given(decider, ...inbound(), trashed())
      .when(bare('BlockSender'))
      .thenThrows('invalid-transition', /in Trash; restore it first/);
  });
});

describe('conversation: UnfilterConversation', () => {
  it('brings a filtered conversation back when its sender is unblocked', () => {
    given(decider, ...inbound(), filtered())
      .when(unfilter('ANA@customer.example'))
      .then([{ type: 'ConversationUnfiltered', data: { address: ANA.address } }]);
    expect(stateAfter(decider, ...inbound(), filtered(), { type: 'ConversationUnfiltered', data: { address: ANA.address } })).toMatchObject({
      filtered: false,
    });
  });

  it('a conversation that is not filtered, or filtered for another address, is left alone', () => {
    given(decider, ...inbound())
      .when(unfilter(ANA.address))
      .then([]);
    given(decider, ...inbound(), filtered())
      .when(unfilter('someone@else.example'))
      .then([]);
  });
});

describe('conversation: Trash (rule 7)', () => {
  it('trashes with a purge date 30 days later', () => {
    given(decider, ...inbound())
      .when(trash(at(10)))
      .then([{ type: 'ConversationTrashed', data: { trashedAt: at(10), purgeAfter: at(10 + 30 * DAY) } }]);
  });

  it('a closed conversation can be trashed too', () => {
    given(decider, ...inbound(), closed(5))
      .when(trash(at(10)))
      .then([{ type: 'ConversationTrashed', data: { trashedAt: at(10), purgeAfter: at(10 + 30 * DAY) } }]);
  });

  it('refuses to trash twice', () => {
    given(decider, ...inbound(), trashed())
      .when(trash(at(11)))
      .thenThrows('invalid-transition', /already in Trash/);
  });

  it('restores from Trash', () => {
    given(decider, ...inbound(), trashed())
      .when(bare('RestoreConversation'))
      .then([{ type: 'ConversationRestored', data: { reason: 'agent' } }]);
    expect(stateAfter(decider, ...inbound(), trashed(10))).toMatchObject({ trashed: { trashedAt: at(10), purgeAfter: at(10 + 30 * DAY) } });
  });

  it('refuses to restore a conversation that is not in Trash', () => {
    given(decider, ...inbound())
      .when(bare('RestoreConversation'))
      .thenThrows('invalid-transition', /not in Trash/);
  });
});

describe('conversation: DeleteConversation (rule 7)', () => {
  it('an agent deletes forever from Trash', () => {
    given(decider, ...inbound(), trashed())
      .when(deleteForever('agent', at(20)))
      .then([{ type: 'ConversationDeleted', data: { reason: 'agent' } }]);
  });

  it('deletes the ticket with the conversation', () => {
    given(decider, ...inbound(), ticketCreated(), trashed())
      .when(deleteForever('agent', at(20)))
      .then([
        { type: 'TicketDeleted', data: { ticketId: 'ticket-1', reason: 'conversation-deleted' } },
        { type: 'ConversationDeleted', data: { reason: 'agent' } },
      ]);
  });

  it('only from Trash', () => {
    given(decider, ...inbound())
      .when(deleteForever('agent', at(20)))
      .thenThrows('invalid-transition', /only conversations in Trash can be deleted forever; move it to Trash first/);
  });

  it('retention purges only once the 30 days are over', () => {
    given(decider, ...inbound(), trashed(10))
      .when(deleteForever('trash-retention', at(10 + 30 * DAY - 1)))
      .thenThrows('invalid-transition', new RegExp(`stays in Trash until ${at(10 + 30 * DAY).replace(/\./g, '\\.')}`));
    given(decider, ...inbound(), trashed(10))
      .when(deleteForever('trash-retention', at(10 + 30 * DAY)))
      .then([{ type: 'ConversationDeleted', data: { reason: 'trash-retention' } }]);
  });

  it('a restored conversation is out of reach of the purge', () => {
    given(decider, ...inbound(), trashed(10), { type: 'ConversationRestored', data: { reason: 'agent' } })
      .when(deleteForever('trash-retention', at(10 + 31 * DAY)))
      .thenThrows('invalid-transition', /only conversations in Trash/);
  });
});

describe('conversation: tickets and contact (rule 10)', () => {
  it('creates a ticket with a trimmed name', () => {
    given(decider, ...inbound())
      .when(createTicket('  Refund #42 '))
      .then([{ type: 'TicketCreated', data: { ticketId: 'ticket-1', name: 'Refund #42' } }]);
    expect(stateAfter(decider, ...inbound(), ticketCreated())).toMatchObject({ ticket: { id: 'ticket-1', name: 'Refund #42', status: 'open' } });
  });

  it('accepts a name of exactly 200 characters and refuses 201', () => {
    given(decider, ...inbound())
      .when(createTicket('x'.repeat(200)))
      .then([{ type: 'TicketCreated', data: { ticketId: 'ticket-1', name: 'x'.repeat(200) } }]);
    given(decider, ...inbound())
      .when(createTicket('x'.repeat(201)))
      .thenThrows('invalid-input', /name must be at most 200 characters/);
  });

  it('refuses an empty name', () => {
    given(decider, ...inbound())
      .when(createTicket('   '))
      .thenThrows('invalid-input', /name must not be empty/);
  });

  it('refuses a ticket in Trash', () => {
    given(decider, ...inbound(), trashed())
      .when(createTicket('Refund'))
      .thenThrows('invalid-transition', /in Trash; restore it first/);
  });

  it('one ticket per conversation, and it stays linked', () => {
    given(decider, ...inbound(), ticketCreated('Refund #42'))
      .when(createTicket('Another', 'ticket-2'))
      .thenThrows('conflict', /already has the ticket "Refund #42"/);
  });

  it('the same ticket retried after it was stored is already done', () => {
    given(decider, ...inbound(), ticketCreated('Refund #42'))
      .when(createTicket('Refund #42'))
      .then([]);
  });

  it('unlinks the contact', () => {
    given(decider, ...inbound())
      .when(bare('UnlinkContact'))
      .then([unlinked]);
    expect(stateAfter(decider, ...inbound(), unlinked)).toMatchObject({ contact: null, senderAddress: ANA.address });
  });

  it('refuses to unlink a contact twice', () => {
    given(decider, ...inbound(), unlinked)
      .when(bare('UnlinkContact'))
      .thenThrows('invalid-transition', /no contact to unlink/);
  });
});
