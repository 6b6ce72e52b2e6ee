import { conversationDecider } from '../../src/domain/conversation/conversation.decider';
import type { ConversationCommand } from '../../src/domain/conversation/conversation.commands';
import type { ConversationEvent } from '../../src/domain/conversation/conversation.events';
import type { PropertyDefinition } from '../../src/domain/record-settings/record-properties';
import { fold } from '../../src/domain/shared/decider';
import { ticketDecider as decider, type TicketCommand } from '../../src/domain/ticket/ticket.decider';
import type { ChangeTicket } from '../../src/domain/ticket/ticket.commands';
import type { TicketEvent } from '../../src/domain/ticket/ticket.events';
import { given, stateAfter } from '../support/given-when-then';
import { at, closed, inbound, ticketCreated, trashed } from './conversation.fixtures';

const NOW = '2026-03-02T10:00:00.000Z';

const openCommand = (overrides: Partial<Extract<TicketCommand, { type: 'OpenTicket' }>['data']> = {}): TicketCommand => ({
  type: 'OpenTicket',
  data: { ticketId: 'ticket-1', conversationId: 'conv-1', inboxId: 'inbox-1', name: 'Refund #42', now: NOW, ...overrides },
});

const opened = (overrides: Partial<Extract<TicketEvent, { type: 'TicketOpened' }>['data']> = {}): TicketEvent => ({
  type: 'TicketOpened',
  data: {
    ticketId: 'ticket-1',
    conversationId: 'conv-1',
    inboxId: 'inbox-1',
    name: 'Refund #42',
    status: 'new',
    priority: null,
    ownerId: null,
    openedAt: NOW,
    ...overrides,
  },
});

const PROPERTIES: PropertyDefinition[] = [
  { object: 'ticket', key: 'order', label: 'Order', type: 'text' },
  { object: 'ticket', key: 'amount', label: 'Amount', type: 'number' },
  { object: 'ticket', key: 'due', label: 'Due', type: 'date' },
  { object: 'ticket', key: 'tier', label: 'Tier', type: 'choice', options: ['gold', 'silver'] },
  { object: 'contact', key: 'vip', label: 'VIP', type: 'text' },
];

const change = (data: Omit<ChangeTicket['data'], 'properties' | 'now'>): TicketCommand => ({
  type: 'ChangeTicket',
  data: { ...data, properties: PROPERTIES, now: NOW },
});
const closeWith: TicketCommand = { type: 'CloseTicketWithConversation', data: { now: NOW } };
const remove = (reason: 'sender-blocked' | 'conversation-deleted'): TicketCommand => ({ type: 'RemoveTicket', data: { reason, now: NOW } });
const removed = (reason: 'sender-blocked' | 'conversation-deleted' = 'conversation-deleted'): TicketEvent => ({
  type: 'TicketRemoved',
  data: { reason, at: NOW },
});

describe('ticket: open', () => {
  it('opens with status new, no priority and no owner by default, the name trimmed', () => {
    given(decider)
      .when(openCommand({ name: '  Refund #42 ' }))
      .then([opened()]);
  });

  it('opens with the status, priority and owner given', () => {
    given(decider)
      .when(openCommand({ status: 'waiting-on-us', priority: 'high', ownerId: 'agent-bo' }))
      .then([opened({ status: 'waiting-on-us', priority: 'high', ownerId: 'agent-bo' })]);
  });

  it('is a no-op once opened (a retry, or the process manager after the command) and after removal', () => {
    given(decider, opened())
      .when(openCommand({ name: 'Other' }))
      .then([]);
    given(decider, opened(), removed()).when(openCommand()).then([]);
  });

  it.each([
    ['an empty name', { name: '  ' }, /^name must not be empty/],
    ['a name over 200 characters', { name: 'x'.repeat(201) }, /^name must be at most 200 characters \(it has 201\)/],
    ['an unknown status', { status: 'done' as never }, /^status must be one of new, waiting-on-contact, waiting-on-us, closed; "done" is not/],
    ['an unknown priority', { priority: 'asap' as never }, /^priority must be one of low, medium, high, urgent or null; "asap" is not/],
  ])('refuses %s', (_label, overrides, message) => {
    given(decider).when(openCommand(overrides)).thenThrows('invalid-input', message);
  });
});

describe('ticket: change', () => {
  it('writes only what really changed', () => {
    given(decider, opened({ priority: 'low' }))
      .when(change({ name: 'Refund #42', status: 'waiting-on-contact', priority: 'low', ownerId: 'agent-bo' }))
      .then([{ type: 'TicketChanged', data: { status: 'waiting-on-contact', ownerId: 'agent-bo', at: NOW } }]);
  });

  it('writes nothing when nothing differs', () => {
    given(decider, opened())
      .when(change({ name: ' Refund #42 ', status: 'new', priority: null, ownerId: null, custom: { order: null } }))
      .then([]);
  });

  it('sets, replaces and clears priority and owner', () => {
    given(decider, opened())
      .when(change({ priority: 'urgent' }))
      .then([{ type: 'TicketChanged', data: { priority: 'urgent', at: NOW } }]);
    given(decider, opened({ priority: 'urgent', ownerId: 'agent-bo' }))
      .when(change({ priority: null, ownerId: null }))
      .then([{ type: 'TicketChanged', data: { priority: null, ownerId: null, at: NOW } }]);
  });

  it('checks custom values against the ticket properties and writes only the changed ones', () => {
    const withOrder: TicketEvent = { type: 'TicketChanged', data: { custom: { order: 'A-1' }, at: NOW } };
    given(decider, opened(), withOrder)
      .when(change({ custom: { order: 'A-1', amount: 12.5, due: '2026-04-30', tier: 'gold' } }))
      .then([{ type: 'TicketChanged', data: { custom: { amount: 12.5, due: '2026-04-30', tier: 'gold' }, at: NOW } }]);
    given(decider, opened(), withOrder)
      .when(change({ custom: { order: '' } }))
      .then([{ type: 'TicketChanged', data: { custom: { order: null }, at: NOW } }]);
    expect(stateAfter(decider, opened(), withOrder, { type: 'TicketChanged', data: { custom: { order: null, amount: 3 }, at: NOW } })).toMatchObject({
      custom: { amount: 3 },
    });
  });

  it.each([
    ['an empty name', { name: '' }, /^name must not be empty/],
    ['an unknown status', { status: 'open' as never }, /^status must be one of .*; "open" is not/],
    ['an unknown priority', { priority: 'p1' as never }, /^priority must be one of .*; "p1" is not/],
    ['an owner that is not an id', { ownerId: 42 as never }, /^ownerId must be the id of an agent, or null for no owner; "42" is not/],
    ['a property of another object', { custom: { vip: 'yes' } }, /^custom.vip is not a ticket property/],
    ['an unknown property', { custom: { colour: 'red' } }, /^custom.colour is not a ticket property/],
    ['text that is not text', { custom: { order: 5 } }, /^custom.order must be text; "5" is not/],
    ['a number that is not a number', { custom: { amount: '12' } }, /^custom.amount must be a number; "12" is not/],
    ['a date that does not exist', { custom: { due: '2026-02-30' } }, /^custom.due must be a date as YYYY-MM-DD; "2026-02-30" is not/],
    ['a choice outside its options', { custom: { tier: 'bronze' } }, /^custom.tier must be one of gold, silver; "bronze" is not/],
    ['custom that is not an object', { custom: ['x'] as never }, /^custom must be an object/],
  ])('refuses %s', (_label, data, message) => {
    given(decider, opened()).when(change(data)).thenThrows('invalid-input', message);
  });

  it('refuses changes to a ticket that does not exist or was removed, as not found', () => {
    given(decider)
      .when(change({ name: 'x' }))
      .thenThrows('not-found', /^ticket not found/);
    given(decider, opened(), removed())
      .when(change({ status: 'closed' }))
      .thenThrows('not-found', /^ticket not found/);
  });

  it('closing the ticket by hand is an ordinary change (the conversation is another stream)', () => {
    given(decider, opened())
      .when(change({ status: 'closed' }))
      .then([{ type: 'TicketChanged', data: { status: 'closed', at: NOW } }]);
  });
});

describe('ticket: rule 8, closed with its conversation', () => {
  it('closes the ticket, saying it came from the conversation', () => {
    given(decider, opened({ status: 'waiting-on-us' }))
      .when(closeWith)
      .then([{ type: 'TicketChanged', data: { status: 'closed', via: 'conversation-closed', at: NOW } }]);
  });

  it('does nothing when already closed, removed or unknown', () => {
    given(decider, opened({ status: 'closed' }))
      .when(closeWith)
      .then([]);
    given(decider, opened(), removed()).when(closeWith).then([]);
    given(decider).when(closeWith).then([]);
  });
});

describe('ticket: rules 5 and 7, removed for good', () => {
  it.each(['sender-blocked', 'conversation-deleted'] as const)('removes the ticket with the reason %s', (reason) => {
    given(decider, opened())
      .when(remove(reason))
      .then([removed(reason)]);
    expect(stateAfter(decider, opened(), removed(reason))).toEqual({ kind: 'removed' });
  });

  it('removing twice, or a ticket never opened, is a no-op', () => {
    given(decider, opened(), removed()).when(remove('sender-blocked')).then([]);
    given(decider).when(remove('sender-blocked')).then([]);
  });
});

describe('ticket: the conversation side (rules 5, 7, 8, 10)', () => {
  const conversationAfter = (...events: ConversationEvent[]) => fold(conversationDecider, events);
  const decide = (command: ConversationCommand, ...events: ConversationEvent[]) => conversationDecider.decide(command, conversationAfter(...events));

  it('rule 10: a ticket cannot be unlinked; the conversation keeps its first ticket and refuses a second, through close, reopen and unlinking its contact', () => {
    const history: ConversationEvent[] = [...inbound(), ticketCreated()];
    const second: ConversationCommand = { type: 'CreateTicket', data: { ticketId: 'ticket-2', name: 'Another' } };
    expect(() => decide(second, ...history)).toThrow(/already has the ticket "Refund #42"/);

    const closedEvents = decide({ type: 'CloseConversation', data: { closeTicket: false, now: at(10) } }, ...history);
    history.push(...closedEvents);
    expect(() => decide(second, ...history)).toThrow(/already has the ticket/);

    history.push(...decide({ type: 'ReopenConversation', data: { now: at(20) } }, ...history));
    expect(() => decide(second, ...history)).toThrow(/already has the ticket/);

    history.push(...decide({ type: 'UnlinkContact', data: {} }, ...history));
    expect(history.at(-1)).toMatchObject({ type: 'ContactUnlinked' });
    expect(() => decide(second, ...history)).toThrow(/already has the ticket/);

    expect(conversationAfter(...history)).toMatchObject({ ticket: { id: 'ticket-1', name: 'Refund #42' } });
    // The same ticket asked for again (a retry) is already done.
    expect(decide({ type: 'CreateTicket', data: { ticketId: 'ticket-1', name: 'Refund #42' } }, ...history)).toEqual([]);
  });

  it('rule 8: closing with closeTicket records TicketClosed; without it the ticket stays open', () => {
    expect(decide({ type: 'CloseConversation', data: { closeTicket: true, now: at(10) } }, ...inbound(), ticketCreated())).toEqual([
      closed(10),
      { type: 'TicketClosed', data: { ticketId: 'ticket-1' } },
    ]);
    expect(decide({ type: 'CloseConversation', data: { closeTicket: false, now: at(10) } }, ...inbound(), ticketCreated())).toEqual([closed(10)]);
  });

  it('rule 5: blocking the sender deletes the ticket, saying why', () => {
    expect(decide({ type: 'BlockSender', data: {} }, ...inbound(), ticketCreated())[0]).toEqual({
      type: 'TicketDeleted',
      data: { ticketId: 'ticket-1', reason: 'sender-blocked' },
    });
  });

  it('rule 7: deleting forever deletes the ticket, saying why', () => {
    expect(decide({ type: 'DeleteConversation', data: { reason: 'agent', now: at(20) } }, ...inbound(), ticketCreated(), trashed(10))[0]).toEqual({
      type: 'TicketDeleted',
      data: { ticketId: 'ticket-1', reason: 'conversation-deleted' },
    });
  });
});
