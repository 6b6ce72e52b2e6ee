import type { NewEvent } from '../../src/application/ports/event-store.port';
import { evolveConversationDoc, normalizeTime, singleLine, type ConversationDoc } from '../../src/projections/conversation-summary';
import { at, conversationEvent as e, recorded, type StartOptions } from './fixtures';

const ID = '11111111-1111-4111-8111-111111111111';
const INBOX = 'inbox-1';
const STREAM = `conversation-${ID}`;

/** Folds events as the projection does: revision and position follow the list order. */
function fold(events: NewEvent[], start: ConversationDoc | null = null): ConversationDoc | null {
  return events.reduce<ConversationDoc | null>((doc, event, i) => evolveConversationDoc(doc, recorded(event, STREAM, i, i + 1)), start);
}

const started = (o: Partial<StartOptions> = {}) =>
  e.started({ conversationId: ID, inboxId: INBOX, contact: { id: 'contact-1', address: 'ana@example.com', name: 'Ana' }, startedAt: at(0), ...o });

describe('evolveConversationDoc', () => {
  it('starts an inbound conversation open, unassigned, sorted by its start time', () => {
    const doc = fold([started({ channel: 'chat', subject: 'Hello' })]);
    expect(doc).toMatchObject({
      id: ID,
      inboxId: INBOX,
      channel: 'chat',
      status: 'open',
      origin: 'inbound',
      assignee: null,
      contact: { id: 'contact-1', name: 'Ana', address: 'ana@example.com' },
      participants: [{ address: 'ana@example.com', name: 'Ana' }],
      subject: 'Hello',
      preview: '',
      lastReceivedAt: at(0),
      awaitingReply: false,
      awaitingContactReply: false,
      revision: 0,
    });
  });

  it('a received message sets the preview, the sort key and the reply indicator', () => {
    const doc = fold([started(), e.received({ receivedAt: at(7), text: 'Where\n\nis   my order?' })]);
    expect(doc).toMatchObject({ preview: 'Where is my order?', lastReceivedAt: at(7), awaitingReply: true, revision: 1 });
  });

  it('a reply clears the reply indicator but keeps the sort key (it is the last RECEIVED time)', () => {
    const doc = fold([started(), e.received({ receivedAt: at(7) }), e.replied({ authorId: 'a1', text: 'Shipped', queuedAt: at(9) })]);
    expect(doc).toMatchObject({ preview: 'Shipped', lastReceivedAt: at(7), awaitingReply: false });
  });

  it('an outbound conversation awaits the contact until they answer (rule 3)', () => {
    const sent = fold([started({ origin: 'outbound' }), e.replied({ authorId: 'a1' })]);
    expect(sent).toMatchObject({ origin: 'outbound', awaitingContactReply: true, awaitingReply: false, lastReceivedAt: at(0) });
    const answered = fold([e.received({ receivedAt: at(30) })], sent);
    expect(answered).toMatchObject({ awaitingContactReply: false, awaitingReply: true, lastReceivedAt: at(30) });
  });

  it('collects distinct participants: contact, other senders, reply recipients', () => {
    const doc = fold([
      started(),
      e.received({ receivedAt: at(1), from: { address: 'ANA@example.com' } }),
      e.received({ receivedAt: at(2), from: { address: 'bob@example.com', name: 'Bob' } }),
      e.replied({ authorId: 'a1', to: [{ address: 'ana@example.com' }, { address: 'carol@example.com' }] }),
    ]);
    expect(doc?.participants).toEqual([
      { address: 'ana@example.com', name: 'Ana' },
      { address: 'bob@example.com', name: 'Bob' },
      { address: 'carol@example.com' },
    ]);
  });

  it('tracks the assignee and whether an agent ever held it', () => {
    const bot = fold([started(), e.assigned({ type: 'bot' })]);
    expect(bot).toMatchObject({ assignee: { type: 'bot' }, everAssignedToAgent: false });
    const agent = fold([e.assigned({ type: 'agent', id: 'a1' })], bot);
    expect(agent).toMatchObject({ assignee: { type: 'agent', id: 'a1' }, everAssignedToAgent: true });
    const backToBot = fold([e.unassigned({ type: 'agent', id: 'a1' }), e.assigned({ type: 'bot' })], agent);
    expect(backToBot).toMatchObject({ assignee: { type: 'bot' }, everAssignedToAgent: true });
  });

  it('close and reopen', () => {
    const closed = fold([started(), e.closed()]);
    expect(closed?.status).toBe('closed');
    expect(fold([e.reopened()], closed)?.status).toBe('open');
  });

  it('keeps the latest comment as a one-line preview', () => {
    const doc = fold([started(), e.commented('a1', 'first'), e.commented('a1', 'second\nline')]);
    expect(doc?.commentPreview).toBe('second line');
  });

  it('spam, not spam', () => {
    const spam = fold([started(), e.spam()]);
    expect(spam?.spam).toBe(true);
    expect(fold([e.notSpam()], spam)?.spam).toBe(false);
  });

  it('filtered remembers the blocked address (normalised) until unfiltered', () => {
    const filtered = fold([started(), e.filtered(' Ana@Example.com ')]);
    expect(filtered).toMatchObject({ filtered: true, blockedAddress: 'ana@example.com' });
    expect(fold([e.unfiltered('ana@example.com')], filtered)).toMatchObject({ filtered: false, blockedAddress: null });
  });

  it('trash keeps trashedAt and purgeAfter; restore clears them', () => {
    const trashed = fold([started(), e.trashed(at(10), at(100))]);
    expect(trashed).toMatchObject({ trashed: true, trashedAt: at(10), purgeAfter: at(100) });
    expect(fold([e.restored()], trashed)).toMatchObject({ trashed: false, trashedAt: null, purgeAfter: null });
  });

  it('delete forever ends the document; later events without a new start are ignored', () => {
    expect(fold([started(), e.trashed(), e.deleted()])).toBeNull();
    expect(fold([started(), e.deleted(), e.received({ receivedAt: at(3) })])).toBeNull();
  });

  it('a stream started again after deletion begins a fresh document', () => {
    const doc = fold([started(), e.spam(), e.deleted(), started({ subject: 'Again' })]);
    expect(doc).toMatchObject({ subject: 'Again', spam: false });
  });

  it('ticket created, closed, deleted', () => {
    const created = fold([started(), e.ticketCreated('t1', 'Refund')]);
    expect(created?.ticket).toEqual({ id: 't1', name: 'Refund', status: 'open' });
    const closed = fold([e.ticketClosed('t1')], created);
    expect(closed?.ticket).toEqual({ id: 't1', name: 'Refund', status: 'closed' });
    expect(fold([e.ticketDeleted('t1')], closed)?.ticket).toBeNull();
  });

  it('unlinking the contact keeps the participants', () => {
    const doc = fold([started(), e.contactUnlinked('contact-1')]);
    expect(doc?.contact).toBeNull();
    expect(doc?.participants).toEqual([{ address: 'ana@example.com', name: 'Ana' }]);
  });

  it('every event moves the revision, even those that change nothing else', () => {
    const doc = fold([started(), e.replied({ authorId: 'a1', messageId: 'm1' }), e.delivered('m1'), e.botHandoff()]);
    expect(doc?.revision).toBe(3);
  });

  it('ignores event types it does not know', () => {
    const doc = fold([started()]);
    const unknown = recorded({ ...e.closed(), type: 'SomethingElse' }, STREAM, 1, 2);
    expect(evolveConversationDoc(doc, unknown)).toBe(doc);
  });

  it('is pure: the input document is not changed', () => {
    const doc = fold([started()]);
    const copy = structuredClone(doc);
    fold([e.received({ receivedAt: at(1) }), e.assigned({ type: 'agent', id: 'a1' }), e.trashed()], doc);
    expect(doc).toEqual(copy);
  });
});

describe('singleLine', () => {
  it('collapses whitespace and cuts long text to the limit with an ellipsis', () => {
    expect(singleLine('  a \n b\t c ', 160)).toBe('a b c');
    const long = singleLine('x'.repeat(500), 160);
    expect(long).toHaveLength(160);
    expect(long.endsWith('…')).toBe(true);
  });
});

describe('normalizeTime', () => {
  it('writes zoned times in toISOString form so that text order is time order', () => {
    expect(normalizeTime('2025-03-01T09:00:00Z')).toBe('2025-03-01T09:00:00.000Z');
    expect(normalizeTime('2025-03-01T10:00:00+01:00')).toBe('2025-03-01T09:00:00.000Z');
  });

  it('leaves zone-less or unparsable values alone', () => {
    expect(normalizeTime('2025-03-01T09:00:00')).toBe('2025-03-01T09:00:00');
    expect(normalizeTime('garbage Z')).toBe('garbage Z');
  });
});
