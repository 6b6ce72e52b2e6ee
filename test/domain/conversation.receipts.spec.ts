import { conversationDecider as decider } from '../../src/domain/conversation/conversation.decider';
import type { ConversationCommand, RecordReplyStatus } from '../../src/domain/conversation/conversation.commands';
import type { ConversationEvent, MessageField, ReplyReceipt } from '../../src/domain/conversation/conversation.events';
import { given, stateAfter } from '../support/given-when-then';
import { ANA, at, inbound, received, receive, replyQueued, started } from './conversation.fixtures';

/** A WhatsApp conversation: the contact is a phone number, their first message has Meta's id. */
const WA = { address: '+31612345678', name: 'Ana Lopez' };
const whatsapp = (): ConversationEvent[] => [
  started({ channel: 'whatsapp', contact: { id: 'contact-ana', ...WA }, externalThreadId: '31612345678', subject: '' }),
  received({ from: WA, externalMessageId: 'wamid.in-1', subject: '' }),
];
const queued = replyQueued({ channel: 'whatsapp', to: [WA], subject: '' });
const delivered: ConversationEvent = { type: 'ReplyDelivered', data: { messageId: 'reply-1', externalMessageId: 'wamid.out-1', deliveredAt: at(6) } };

const status = (value: ReplyReceipt, minutes: number, overrides: Partial<RecordReplyStatus['data']> = {}): ConversationCommand => ({
  type: 'RecordReplyStatus',
  data: { messageId: 'reply-1', status: value, at: at(minutes), now: at(minutes), ...overrides },
});
const reported = (value: ReplyReceipt, minutes: number, reason?: string): ConversationEvent => ({
  type: 'ReplyStatusReported',
  data: { messageId: 'reply-1', status: value, ...(reason === undefined ? {} : { reason }), at: at(minutes) },
});

describe('conversation: RecordReplyStatus (channel receipts)', () => {
  it('records delivered, then read: each moves the reply forward', () => {
    given(decider, ...whatsapp(), queued, delivered)
      .when(status('delivered', 7))
      .then([reported('delivered', 7)]);
    given(decider, ...whatsapp(), queued, delivered, reported('delivered', 7))
      .when(status('read', 8))
      .then([reported('read', 8)]);
  });

  it('a read receipt that arrives before the delivered one: the late delivered records nothing', () => {
    given(decider, ...whatsapp(), queued, delivered, reported('read', 8))
      .when(status('delivered', 7))
      .then([]);
  });

  it('read straight away (no delivered receipt first) is recorded', () => {
    given(decider, ...whatsapp(), queued, delivered)
      .when(status('read', 8))
      .then([reported('read', 8)]);
  });

  it('a failure reported after the reply was delivered or read records nothing', () => {
    given(decider, ...whatsapp(), queued, delivered, reported('delivered', 7))
      .when(status('failed', 9, { reason: 'Message undeliverable' }))
      .then([]);
    given(decider, ...whatsapp(), queued, delivered, reported('read', 8))
      .when(status('failed', 9, { reason: 'Message undeliverable' }))
      .then([]);
  });

  it('a delivered receipt after a reported failure is recorded (Meta retried and got through)', () => {
    given(decider, ...whatsapp(), queued, delivered, reported('failed', 7, 'Message undeliverable'))
      .when(status('delivered', 9))
      .then([reported('delivered', 9)]);
  });

  it('the same receipt twice records it once', () => {
    given(decider, ...whatsapp(), queued, delivered, reported('delivered', 7))
      .when(status('delivered', 7))
      .then([]);
    given(decider, ...whatsapp(), queued, delivered, reported('failed', 7, 'x'))
      .when(status('failed', 8, { reason: 'y' }))
      .then([]);
  });

  it('counts a receipt that beat the delivery job (the reply is still queued)', () => {
    given(decider, ...whatsapp(), queued)
      .when(status('delivered', 6))
      .then([reported('delivered', 6)]);
  });

  it('keeps the state of the receipts: only forward', () => {
    const state = stateAfter(decider, ...whatsapp(), queued, delivered, reported('delivered', 7), reported('read', 8));
    expect(state.status !== 'none' && state.status !== 'deleted' && state.receipts.get('reply-1')).toBe('read');
  });

  it('refuses a receipt for a message that is not a reply of this conversation', () => {
    given(decider, ...whatsapp(), queued, delivered)
      .when(status('read', 8, { messageId: 'reply-unknown' }))
      .thenThrows('invalid-input', /"reply-unknown" is not a reply queued in this conversation/);
    // The contact's own message is not a reply either.
    given(decider, ...whatsapp(), queued, delivered)
      .when(status('read', 8, { messageId: 'msg-1' }))
      .thenThrows('invalid-input', /"msg-1" is not a reply/);
  });

  it('refuses a status that is not a receipt, naming the value', () => {
    given(decider, ...whatsapp(), queued, delivered)
      .when(status('sent' as ReplyReceipt, 8))
      .thenThrows('invalid-input', /status must be one of failed, delivered, read, got "sent"/);
  });

  it("trims the channel's failure reason, keeps at most 1000 characters, and leaves out an empty one", () => {
    given(decider, ...whatsapp(), queued, delivered)
      .when(status('failed', 7, { reason: '  131047: Re-engagement message  ' }))
      .then([reported('failed', 7, '131047: Re-engagement message')]);
    given(decider, ...whatsapp(), queued, delivered)
      .when(status('failed', 7, { reason: 'x'.repeat(1500) }))
      .then([reported('failed', 7, 'x'.repeat(1000))]);
    given(decider, ...whatsapp(), queued, delivered)
      .when(status('failed', 7, { reason: '   ' }))
      .then([reported('failed', 7)]);
  });

  it('a reason with a delivered or read receipt is not kept', () => {
    given(decider, ...whatsapp(), queued, delivered)
      .when(status('read', 8, { reason: 'ignored' }))
      .then([reported('read', 8)]);
  });

  it('refuses a receipt time that is not a time', () => {
    given(decider, ...whatsapp(), queued, delivered)
      .when(status('read', 8, { at: 'yesterday' }))
      .thenThrows('invalid-input', /at/);
  });
});

describe('conversation: ReceiveReaction', () => {
  const react = (emoji: string, overrides: Partial<Extract<ConversationCommand, { type: 'ReceiveReaction' }>['data']> = {}): ConversationCommand => ({
    type: 'ReceiveReaction',
    data: {
      externalMessageId: 'wamid.reaction-1',
      targetExternalMessageId: 'wamid.out-1',
      from: WA,
      emoji,
      receivedAt: at(9),
      now: at(9),
      ...overrides,
    },
  });
  const reaction = (emoji: string, messageId = 'reply-1', externalMessageId = 'wamid.reaction-1'): ConversationEvent => ({
    type: 'ReactionReceived',
    data: { externalMessageId, messageId, from: WA, emoji, receivedAt: at(9) },
  });

  it('records a reaction to a delivered reply, named by its channel id', () => {
    given(decider, ...whatsapp(), queued, delivered)
      .when(react('👍'))
      .then([reaction('👍')]);
  });

  it("records a reaction to the contact's own message", () => {
    given(decider, ...whatsapp())
      .when(react('❤️', { targetExternalMessageId: 'wamid.in-1' }))
      .then([reaction('❤️', 'msg-1')]);
  });

  it('a new reaction replaces the old one; an empty emoji takes it away (both recorded)', () => {
    given(decider, ...whatsapp(), queued, delivered, reaction('👍'))
      .when(react('😂', { externalMessageId: 'wamid.reaction-2' }))
      .then([reaction('😂', 'reply-1', 'wamid.reaction-2')]);
    given(decider, ...whatsapp(), queued, delivered, reaction('👍'))
      .when(react('', { externalMessageId: 'wamid.reaction-3' }))
      .then([reaction('', 'reply-1', 'wamid.reaction-3')]);
  });

  it('the same reaction delivered again (same channel id) records nothing', () => {
    given(decider, ...whatsapp(), queued, delivered, reaction('👍'))
      .when(react('👍'))
      .then([]);
  });

  it('refuses a reaction to a message the conversation does not know (not found, naming it)', () => {
    given(decider, ...whatsapp(), queued, delivered)
      .when(react('👍', { targetExternalMessageId: 'wamid.elsewhere' }))
      .thenThrows('not-found', /the message "wamid.elsewhere" that the reaction is for is not in this conversation/);
    // A reply the channel has not taken yet has no channel id to react to.
    given(decider, ...whatsapp(), queued)
      .when(react('👍'))
      .thenThrows('not-found', /"wamid.out-1"/);
  });

  it('refuses an emoji longer than 32 characters, naming the length', () => {
    given(decider, ...whatsapp(), queued, delivered)
      .when(react('👍'.repeat(20)))
      .thenThrows('invalid-input', /at most 32 characters\), got 40 characters/);
  });

  it('trims the emoji and keeps the sender normalised', () => {
    given(decider, ...whatsapp(), queued, delivered)
      .when(react(' 🙏 '))
      .then([reaction('🙏')]);
  });
});

describe('conversation: fields, channel spam and a shared email on ReceiveInboundMessage', () => {
  const fields: MessageField[] = [
    { key: 'order', label: { en: 'Order number', nl: 'Bestelnummer' }, value: 'A-1001' },
    { key: 'location', label: { en: 'Location' }, value: 'Dam 1, Amsterdam', url: 'https://maps.example/?q=52.37,4.89' },
  ];
  const formReceive = (overrides: Parameters<typeof receive>[0] = {}) =>
    receive({
      channel: 'forms',
      externalThreadId: 'form-sub-1',
      externalMessageId: 'form-sub-1',
      messageId: 'msg-1',
      receivedAt: at(0),
      now: at(0),
      ...overrides,
    });

  it('keeps the fields on MessageReceived (and leaves an empty list out)', () => {
    const events = decider.decide(formReceive({ fields }), decider.initialState());
    expect(events.find((e) => e.type === 'MessageReceived')!.data).toMatchObject({ fields });
    const none = decider.decide(formReceive({ fields: [] }), decider.initialState());
    expect(none.find((e) => e.type === 'MessageReceived')!.data).not.toHaveProperty('fields');
  });

  it('a new conversation the channel judged spam starts in Spam with reason channel', () => {
    const events = decider.decide(formReceive({ spam: true }), decider.initialState());
    expect(events.map((e) => e.type)).toEqual(['ConversationStarted', 'MessageReceived', 'ConversationMarkedAsSpam']);
    expect(events[2]).toEqual({ type: 'ConversationMarkedAsSpam', data: { reason: 'channel' } });
    expect(stateAfter(decider, ...events)).toMatchObject({ spam: 'channel' });
  });

  it('a blocked sender is filtered, not spam, even when the channel says spam', () => {
    const events = decider.decide(formReceive({ spam: true, senderBlocked: true }), decider.initialState());
    expect(events.map((e) => e.type)).toEqual(['ConversationStarted', 'MessageReceived', 'ConversationFiltered']);
  });

  it('spam on an existing conversation moves it to Spam once', () => {
    given(decider, ...inbound())
      .when(receive({ spam: true }))
      .then([expect.objectContaining({ type: 'MessageReceived' }) as ConversationEvent, { type: 'ConversationMarkedAsSpam', data: { reason: 'channel' } }]);
    const inSpam: ConversationEvent = { type: 'ConversationMarkedAsSpam', data: { reason: 'channel' } };
    const events = decider.decide(receive({ spam: true }), stateAfter(decider, ...inbound(), inSpam));
    expect(events.map((e) => e.type)).toEqual(['MessageReceived']);
  });

  it('a shared email on a new conversation is recorded for rule 12 (normalised)', () => {
    const events = decider.decide(
      receive({ channel: 'messenger', from: { address: 'psid-123', name: 'Ana' }, contactEmail: ' Ana@Customer.example ' }),
      decider.initialState(),
    );
    expect(events.at(-1)).toEqual({ type: 'ContactEmailProvided', data: { address: 'ana@customer.example' } });
  });

  it('a shared email on an existing conversation is recorded once; a repeat or a non-address records nothing', () => {
    const messenger = inbound('messenger', 'psid-123');
    given(decider, ...messenger)
      .when(receive({ channel: 'messenger', from: { address: 'psid-123' }, contactEmail: 'ana@customer.example' }))
      .then([
        expect.objectContaining({ type: 'MessageReceived' }) as ConversationEvent,
        { type: 'ContactEmailProvided', data: { address: 'ana@customer.example' } },
      ]);
    const known: ConversationEvent = { type: 'ContactEmailProvided', data: { address: 'ana@customer.example' } };
    expect(
      decider
        .decide(
          receive({ channel: 'messenger', from: { address: 'psid-123' }, contactEmail: 'ana@customer.example' }),
          stateAfter(decider, ...messenger, known),
        )
        .map((e) => e.type),
    ).toEqual(['MessageReceived']);
    expect(
      decider
        .decide(receive({ channel: 'messenger', from: { address: 'psid-123' }, contactEmail: 'not an address' }), stateAfter(decider, ...messenger))
        .map((e) => e.type),
    ).toEqual(['MessageReceived']);
  });

  it("ignores a shared email when the contact's own address is an email address", () => {
    expect(decider.decide(receive({ contactEmail: 'other@customer.example' }), stateAfter(decider, ...inbound())).map((e) => e.type)).toEqual([
      'MessageReceived',
    ]);
    expect(decider.decide(receive({ contactEmail: 'other@customer.example', from: ANA }), decider.initialState()).map((e) => e.type)).toEqual([
      'ConversationStarted',
      'MessageReceived',
    ]);
  });
});
