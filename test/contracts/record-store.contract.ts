import { randomUUID } from 'node:crypto';
import type { NewEvent, RecordedEvent } from '../../src/application/ports/event-store.port';
import { InvalidCursorError, type ReadStore } from '../../src/application/ports/read-store.port';
import type { ContactRecord, RecordStore } from '../../src/application/ports/record-store.port';
import { orThrow, parseSearchParameters } from '../../src/application/search/conversation-filters';
import { identityKey, type ContactIdentity } from '../../src/domain/contact/identity';
import { DEFAULT_FREE_MAIL_DOMAINS } from '../../src/domain/record-settings/record-properties';
import type { Channel } from '../../src/domain/shared/types';
import { at, conversationEvent as e, newEvent } from '../projections/fixtures';
import { ContractLog } from './read-store.contract';

/**
 * The record-store contract: every RecordStore adapter (SQLite, MongoDB) runs ALL of it. The
 * factory gives empty read models and a way to feed recorded events through that engine's own
 * projections (as the read-store contract does: `feed` resolves once every event it was given is
 * applied). Contacts, companies and tickets are checked through the RecordStore port; that the
 * conversations follow their contact and ticket, through the ReadStore port. Nothing below the
 * ports is looked at.
 */
export interface RecordStoreUnderTest {
  recordStore: RecordStore;
  readStore: ReadStore;
  feed(events: RecordedEvent[]): Promise<void>;
  teardown(): Promise<void>;
}

export type RecordStoreFactory = () => Promise<RecordStoreUnderTest>;

const email = (value: string): ContactIdentity => ({ kind: 'email', value });
const phone = (value: string): ContactIdentity => ({ kind: 'phone', value });

export const recordEvent = {
  contactCreated: (contactId: string, identities: ContactIdentity[], name?: string, createdAt = at(0), more: Record<string, unknown> = {}) =>
    newEvent(
      'ContactCreated',
      { contactId, identities, ...(name !== undefined ? { name } : {}), source: 'inbound', createdAt, ...more },
      { occurredAt: createdAt },
    ),
  identityAdded: (identity: ContactIdentity) => newEvent('ContactIdentityAdded', { identity }, { occurredAt: at(30) }),
  identityRemoved: (identity: ContactIdentity, splitTo?: string) =>
    newEvent('ContactIdentityRemoved', { identity, ...(splitTo ? { splitTo } : {}) }, { occurredAt: at(31) }),
  propertiesChanged: (data: Record<string, unknown>) => newEvent('ContactPropertiesChanged', data, { occurredAt: at(32) }),
  merged: (intoContactId: string) => newEvent('ContactMerged', { intoContactId, at: at(40) }),
  mergedIn: (fromContactId: string, identities: ContactIdentity[], filled: Record<string, unknown> = {}) =>
    newEvent('ContactMergedIn', { fromContactId, identities, filled, at: at(40) }),
  erased: (conversationIds: string[], ticketIds: string[]) => newEvent('ContactErased', { at: at(50), conversationIds, ticketIds }),
  companyCreated: (companyId: string, name: string, domain: string | null) =>
    newEvent('CompanyCreated', { companyId, name, domain, source: 'agent', createdAt: at(0) }),
  companyChanged: (data: Record<string, unknown>) => newEvent('CompanyChanged', data, { occurredAt: at(33) }),
  ticketOpened: (ticketId: string, conversationId: string, inboxId: string, name: string, more: Record<string, unknown> = {}) =>
    newEvent('TicketOpened', { ticketId, conversationId, inboxId, name, status: 'new', priority: null, ownerId: null, openedAt: at(0), ...more }),
  ticketChanged: (data: Record<string, unknown>, changedAt = at(20)) => newEvent('TicketChanged', { ...data, at: changedAt }),
  ticketRemoved: () => newEvent('TicketRemoved', { reason: 'conversation-deleted', at: at(60) }),
  linked: (contactId: string, address: string, name?: string) => newEvent('ContactLinked', { contactId, address, ...(name ? { name } : {}) }),
};

const streams = {
  conversation: (id: string) => `conversation-${id}`,
  contact: (id: string) => `contact-${id}`,
  company: (id: string) => `company-${id}`,
  ticket: (id: string) => `ticket-${id}`,
};

export function recordStoreContract(name: string, factory: RecordStoreFactory): void {
  describe(`${name} (record-store contract)`, () => {
    let store: RecordStoreUnderTest;
    let records: RecordStore;
    let log: ContractLog;

    beforeEach(async () => {
      store = await factory();
      records = store.recordStore;
      log = new ContractLog();
    });

    afterEach(async () => {
      await store.teardown();
    });

    /** Records events on their streams, in this order, and feeds them with a barrier behind. */
    async function feed(...batches: Array<[string, NewEvent[]]>): Promise<void> {
      const events = batches.flatMap(([streamId, list]) => log.record(streamId, ...list));
      await store.feed([...events, log.barrier()]);
    }

    /** A conversation from `address` held by `contactId`, with one inbound message at `minute`. */
    async function conversation(o: { inboxId: string; contactId: string; address: string; minute: number; channel?: Channel; name?: string }): Promise<string> {
      const conversationId = randomUUID();
      await feed([
        streams.conversation(conversationId),
        [
          e.started({
            conversationId,
            inboxId: o.inboxId,
            channel: o.channel ?? 'email',
            contact: { id: o.contactId, address: o.address, ...(o.name ? { name: o.name } : {}) },
            startedAt: at(o.minute),
          }),
          e.received({ receivedAt: at(o.minute), from: { address: o.address } }),
        ],
      ]);
      return conversationId;
    }

    async function contact(id: string): Promise<ContactRecord> {
      const found = await records.getContact(id);
      if (!found) throw new Error(`contact ${id} not found`);
      return found;
    }

    async function searchIds(query: Parameters<RecordStore['searchContacts']>[0]): Promise<string[]> {
      return (await records.searchContacts(query)).items.map((c) => c.id);
    }

    async function conversationsOfContact(inboxId: string, contactId: string): Promise<string[]> {
      const { filters, sort, limit } = orThrow(parseSearchParameters({ contactId, limit: '50' }));
      return (await store.readStore.searchConversations({ inboxId, filters, sort, limit })).items.map((c) => c.id).sort();
    }

    it('finds a contact by identity and reads the record: identities oldest first, emails and phones, revision', async () => {
      const ann = randomUUID();
      await feed([
        streams.contact(ann),
        [recordEvent.contactCreated(ann, [email('ann@example.com'), phone('+31612345678')], 'Ann Smith'), recordEvent.identityAdded(email('ann@work.example'))],
      ]);

      expect(await records.findContactIdByIdentity('email:ann@example.com')).toBe(ann);
      expect(await records.findContactIdByIdentity(identityKey(phone('+31612345678')))).toBe(ann);
      expect(await records.findContactIdByIdentity('email:nobody@example.com')).toBeNull();
      expect(await records.getContact(randomUUID())).toBeNull();
      expect(await contact(ann)).toEqual({
        id: ann,
        name: 'Ann Smith',
        emails: ['ann@example.com', 'ann@work.example'],
        phones: ['+31612345678'],
        identities: [email('ann@example.com'), phone('+31612345678'), email('ann@work.example')],
        companyId: null,
        jobTitle: null,
        custom: {},
        inboxIds: [],
        conversationCount: 0,
        lastActivityAt: null,
        createdAt: at(0),
        updatedAt: at(30),
        mergedInto: null,
        erased: false,
        revision: 1,
      });
    });

    it('changes properties: name, job title, company, custom values set and cleared', async () => {
      const ann = randomUUID();
      const company = randomUUID();
      await feed([
        streams.contact(ann),
        [
          recordEvent.contactCreated(ann, [email('ann@example.com')]),
          recordEvent.propertiesChanged({ name: 'Ann', jobTitle: 'Buyer', companyId: company, custom: { tier: 'gold', seats: 5 } }),
          recordEvent.propertiesChanged({ custom: { seats: null }, jobTitle: 'Lead buyer' }),
        ],
      ]);
      expect(await contact(ann)).toMatchObject({
        name: 'Ann',
        jobTitle: 'Lead buyer',
        companyId: company,
        custom: { tier: 'gold' },
        revision: 2,
        updatedAt: at(32),
      });
      await feed([streams.contact(ann), [recordEvent.propertiesChanged({ companyId: null })]]);
      expect((await contact(ann)).companyId).toBeNull();
    });

    it('counts conversations that were projected before the contact was created (records are made later)', async () => {
      const ann = randomUUID();
      await conversation({ inboxId: 'inbox-b', contactId: ann, address: 'ann@example.com', minute: 5 });
      await conversation({ inboxId: 'inbox-a', contactId: ann, address: 'ann@example.com', minute: 9 });
      expect(await records.getContact(ann)).toBeNull();
      expect(await searchIds({ q: '', limit: 10 })).toEqual([]);

      await feed([streams.contact(ann), [recordEvent.contactCreated(ann, [email('ann@example.com')], 'Ann', at(10))]]);
      expect(await contact(ann)).toMatchObject({ inboxIds: ['inbox-a', 'inbox-b'], conversationCount: 2, lastActivityAt: at(9), createdAt: at(10) });

      // A reply is activity too; an older message arriving late does not move it back.
      const third = await conversation({ inboxId: 'inbox-a', contactId: ann, address: 'ann@example.com', minute: 12 });
      await feed([streams.conversation(third), [e.replied({ authorId: 'agent-bo', queuedAt: at(15) }), e.received({ receivedAt: at(11) })]]);
      expect(await contact(ann)).toMatchObject({ conversationCount: 3, lastActivityAt: at(15) });

      // Deleted forever: no longer counted, the latest activity is the remaining conversations' (the inbox stays: it had them).
      await feed([streams.conversation(third), [e.deleted()]]);
      expect(await contact(ann)).toMatchObject({ conversationCount: 2, lastActivityAt: at(9), inboxIds: ['inbox-a', 'inbox-b'] });
    });

    it('searches contacts by name words, email and phone parts; newest activity first; all when q is empty', async () => {
      const ann = randomUUID();
      const bob = randomUUID();
      const cleo = randomUUID();
      await feed(
        [streams.contact(ann), [recordEvent.contactCreated(ann, [email('ann@example.com')], 'Ann Smith')]],
        [streams.contact(bob), [recordEvent.contactCreated(bob, [email('bob@acme.test'), phone('+31612345678')], 'Bob Jones')]],
        [streams.contact(cleo), [recordEvent.contactCreated(cleo, [email('cleo@acme.test')])]],
      );
      await conversation({ inboxId: 'inbox-a', contactId: bob, address: 'bob@acme.test', minute: 5 });
      await conversation({ inboxId: 'inbox-a', contactId: ann, address: 'ann@example.com', minute: 8 });

      expect(await searchIds({ q: '', limit: 10 })).toEqual([ann, bob, cleo]);
      expect(await searchIds({ q: 'smith', limit: 10 })).toEqual([ann]);
      expect(await searchIds({ q: 'SMITH ann', limit: 10 })).toEqual([ann]);
      expect(await searchIds({ q: 'ann jones', limit: 10 })).toEqual([]);
      expect(await searchIds({ q: 'acme.test', limit: 10 })).toEqual([bob, cleo]);
      expect(await searchIds({ q: 'cleo@acme', limit: 10 })).toEqual([cleo]);
      expect(await searchIds({ q: '06 1234 5678', limit: 10 })).toEqual([]);
      expect(await searchIds({ q: '612 345', limit: 10 })).toEqual([bob]);
      expect(await searchIds({ q: '+31612345678', limit: 10 })).toEqual([bob]);
    });

    it('pages contacts with a keyset cursor and refuses a cursor it did not make', async () => {
      const ids: string[] = [];
      for (let i = 0; i < 7; i++) {
        const id = randomUUID();
        ids.push(id);
        await feed([streams.contact(id), [recordEvent.contactCreated(id, [email(`c${i}@example.com`)], `Contact ${i}`)]]);
        if (i % 2 === 0) await conversation({ inboxId: 'inbox-a', contactId: id, address: `c${i}@example.com`, minute: i });
      }
      const seen: string[] = [];
      let cursor: string | undefined;
      for (let pages = 0; pages < 10; pages++) {
        const page = await records.searchContacts({ q: '', limit: 3, cursor });
        seen.push(...page.items.map((c) => c.id));
        if (!page.nextCursor) break;
        cursor = page.nextCursor;
      }
      const withActivity = [ids[6], ids[4], ids[2], ids[0]];
      expect(seen.slice(0, 4)).toEqual(withActivity);
      expect([...seen].sort()).toEqual([...ids].sort());
      await expect(records.searchContacts({ q: '', limit: 3, cursor: 'not-a-cursor' })).rejects.toBeInstanceOf(InvalidCursorError);
    });

    it('shows an agent the contacts of the inboxes they reach, and contacts without conversations to everyone', async () => {
      const ann = randomUUID();
      const bob = randomUUID();
      const manual = randomUUID();
      await feed(
        [streams.contact(ann), [recordEvent.contactCreated(ann, [email('ann@example.com')], 'Ann')]],
        [streams.contact(bob), [recordEvent.contactCreated(bob, [email('bob@example.com')], 'Bob')]],
        [streams.contact(manual), [recordEvent.contactCreated(manual, [email('manual@example.com')], 'Manual', at(0), { source: 'agent' })]],
      );
      await conversation({ inboxId: 'inbox-a', contactId: ann, address: 'ann@example.com', minute: 3 });
      await conversation({ inboxId: 'inbox-b', contactId: bob, address: 'bob@example.com', minute: 2 });

      expect(await searchIds({ q: '', limit: 10, inboxIds: ['inbox-a'] })).toEqual([ann, manual]);
      expect(await searchIds({ q: '', limit: 10, inboxIds: ['inbox-b', 'inbox-c'] })).toEqual([bob, manual]);
      expect(await searchIds({ q: '', limit: 10, inboxIds: [] })).toEqual([manual]);
      expect(await searchIds({ q: '', limit: 10 })).toEqual([ann, bob, manual]);
    });

    it('merges: identities, conversations, inboxes, counts and tickets move to the contact merged into; the summaries and the contactId filter follow', async () => {
      const ann = randomUUID();
      const annToo = randomUUID();
      await feed(
        [streams.contact(ann), [recordEvent.contactCreated(ann, [email('ann@example.com')], 'Ann')]],
        [streams.contact(annToo), [recordEvent.contactCreated(annToo, [phone('+31611111111')], undefined)]],
      );
      const byEmail = await conversation({ inboxId: 'inbox-a', contactId: ann, address: 'ann@example.com', minute: 1 });
      const byPhone = await conversation({ inboxId: 'inbox-b', contactId: annToo, address: '+31611111111', channel: 'whatsapp', minute: 7 });
      const ticketId = randomUUID();
      await feed(
        [streams.conversation(byPhone), [e.ticketCreated(ticketId, 'Broken phone')]],
        [streams.ticket(ticketId), [recordEvent.ticketOpened(ticketId, byPhone, 'inbox-b', 'Broken phone')]],
      );
      expect((await records.getTicket(ticketId))?.contactId).toBe(annToo);

      await feed(
        [streams.contact(annToo), [recordEvent.merged(ann)]],
        [streams.contact(ann), [recordEvent.mergedIn(annToo, [phone('+31611111111')], { jobTitle: 'Owner' })]],
      );

      expect(await contact(ann)).toMatchObject({
        identities: [email('ann@example.com'), phone('+31611111111')],
        phones: ['+31611111111'],
        jobTitle: 'Owner',
        inboxIds: ['inbox-a', 'inbox-b'],
        conversationCount: 2,
        lastActivityAt: at(7),
        mergedInto: null,
      });
      expect(await contact(annToo)).toMatchObject({ mergedInto: ann, conversationCount: 0 });
      expect(await records.findContactIdByIdentity('phone:+31611111111')).toBe(ann);
      expect(await searchIds({ q: '', limit: 10 })).toEqual([ann]);
      expect((await records.getTicket(ticketId))?.contactId).toBe(ann);
      expect((await records.searchTickets({ contactId: ann, limit: 10 })).items.map((t) => t.id)).toEqual([ticketId]);

      const summary = await store.readStore.getConversationSummary(byPhone);
      expect(summary).toMatchObject({ contactId: ann, contact: { id: ann, address: '+31611111111' }, ticketId });
      expect(await conversationsOfContact('inbox-b', ann)).toEqual([byPhone]);
      expect(await conversationsOfContact('inbox-b', annToo)).toEqual([]);
      expect((await records.listContactConversations(ann, undefined, 10)).map((c) => c.id)).toEqual([byPhone, byEmail]);
      expect((await records.listContactConversations(ann, ['inbox-a'], 10)).map((c) => c.id)).toEqual([byEmail]);
      expect((await records.listContactConversations(ann, undefined, 1)).map((c) => c.id)).toEqual([byPhone]);
      expect(await records.listContactConversations(ann, [], 10)).toEqual([]);
      expect(await records.listContactConversations(annToo, undefined, 10)).toEqual([]);

      // Later messages of the merged contact's conversation count for the contact it was merged into.
      await feed([streams.conversation(byPhone), [e.received({ receivedAt: at(20), from: { address: '+31611111111' } })]]);
      expect((await contact(ann)).lastActivityAt).toBe(at(20));
    });

    it('gives a conversation started for, or linked to, a contact already merged away to the contact merged into', async () => {
      const ann = randomUUID();
      const old = randomUUID();
      const older = randomUUID();
      await feed(
        [streams.contact(ann), [recordEvent.contactCreated(ann, [email('ann@example.com')], 'Ann')]],
        [streams.contact(old), [recordEvent.contactCreated(old, [email('old@example.com')]), recordEvent.merged(ann)]],
        [streams.contact(older), [recordEvent.contactCreated(older, [email('older@example.com')]), recordEvent.merged(old)]],
      );
      const late = await conversation({ inboxId: 'inbox-a', contactId: older, address: 'older@example.com', minute: 5 });
      const other = await conversation({ inboxId: 'inbox-b', contactId: randomUUID(), address: 'someone@example.com', minute: 6 });
      await feed([streams.conversation(other), [recordEvent.linked(old, 'someone@example.com')]]);

      expect(await contact(ann)).toMatchObject({ conversationCount: 2, inboxIds: ['inbox-a', 'inbox-b'], lastActivityAt: at(6) });
      expect(await contact(older)).toMatchObject({ mergedInto: ann, conversationCount: 0 });
      expect((await store.readStore.getConversationSummary(late))?.contactId).toBe(ann);
      expect((await store.readStore.getConversationSummary(other))?.contactId).toBe(ann);
      expect(await conversationsOfContact('inbox-a', ann)).toEqual([late]);
      expect(await conversationsOfContact('inbox-b', ann)).toEqual([other]);
      expect((await records.listContactConversations(ann, undefined, 10)).map((c) => c.id)).toEqual([other, late]);
    });

    it('splits: the conversations of the identity split off move to the new contact, the others stay', async () => {
      const ann = randomUUID();
      const split = randomUUID();
      await feed([streams.contact(ann), [recordEvent.contactCreated(ann, [email('ann@example.com'), email('shared@example.com')], 'Ann')]]);
      const own = await conversation({ inboxId: 'inbox-a', contactId: ann, address: 'Ann@Example.com', minute: 1 });
      const shared = await conversation({ inboxId: 'inbox-b', contactId: ann, address: 'shared@example.com', minute: 4 });
      const ticketId = randomUUID();
      await feed(
        [streams.conversation(shared), [e.ticketCreated(ticketId, 'Invoice')]],
        [streams.ticket(ticketId), [recordEvent.ticketOpened(ticketId, shared, 'inbox-b', 'Invoice')]],
      );

      await feed(
        [streams.contact(ann), [recordEvent.identityRemoved(email('shared@example.com'), split)]],
        [streams.contact(split), [recordEvent.contactCreated(split, [email('shared@example.com')], undefined, at(31), { source: 'split', splitFrom: ann })]],
      );

      expect(await contact(ann)).toMatchObject({ emails: ['ann@example.com'], conversationCount: 1, lastActivityAt: at(1) });
      expect(await contact(split)).toMatchObject({ emails: ['shared@example.com'], conversationCount: 1, lastActivityAt: at(4), inboxIds: ['inbox-b'] });
      expect(await records.findContactIdByIdentity('email:shared@example.com')).toBe(split);
      expect((await store.readStore.getConversationSummary(shared))?.contactId).toBe(split);
      expect((await store.readStore.getConversationSummary(own))?.contactId).toBe(ann);
      expect(await conversationsOfContact('inbox-b', split)).toEqual([shared]);
      expect(await conversationsOfContact('inbox-b', ann)).toEqual([]);
      expect((await records.getTicket(ticketId))?.contactId).toBe(split);
      expect((await records.listContactConversations(split, undefined, 10)).map((c) => c.id)).toEqual([shared]);
    });

    it('splits the same when the new contact is recorded before the identity leaves the old one', async () => {
      const ann = randomUUID();
      const split = randomUUID();
      await feed([streams.contact(ann), [recordEvent.contactCreated(ann, [email('ann@example.com'), phone('+31622222222')], 'Ann')]]);
      const own = await conversation({ inboxId: 'inbox-a', contactId: ann, address: 'ann@example.com', minute: 1 });
      const byPhone = await conversation({ inboxId: 'inbox-b', contactId: ann, address: '+31 6 2222 2222', channel: 'whatsapp', minute: 4 });

      await feed(
        [streams.contact(split), [recordEvent.contactCreated(split, [phone('+31622222222')], undefined, at(31), { source: 'split', splitFrom: ann })]],
        [streams.contact(ann), [recordEvent.identityRemoved(phone('+31622222222'), split)]],
      );

      expect(await contact(ann)).toMatchObject({ phones: [], conversationCount: 1 });
      expect(await contact(split)).toMatchObject({ phones: ['+31622222222'], conversationCount: 1, inboxIds: ['inbox-b'] });
      expect(await records.findContactIdByIdentity('phone:+31622222222')).toBe(split);
      expect((await store.readStore.getConversationSummary(byPhone))?.contactId).toBe(split);
      expect((await store.readStore.getConversationSummary(own))?.contactId).toBe(ann);
      expect(await conversationsOfContact('inbox-b', split)).toEqual([byPhone]);
    });

    it('links and unlinks a conversation: its contact, the counts and its ticket follow', async () => {
      const ann = randomUUID();
      const bob = randomUUID();
      await feed(
        [streams.contact(ann), [recordEvent.contactCreated(ann, [email('ann@example.com')], 'Ann')]],
        [streams.contact(bob), [recordEvent.contactCreated(bob, [email('bob@example.com')], 'Bob')]],
      );
      const id = await conversation({ inboxId: 'inbox-a', contactId: ann, address: 'ann@example.com', minute: 2 });
      const ticketId = randomUUID();
      await feed(
        [streams.conversation(id), [e.ticketCreated(ticketId, 'Question')]],
        [streams.ticket(ticketId), [recordEvent.ticketOpened(ticketId, id, 'inbox-a', 'Question')]],
      );

      await feed([streams.conversation(id), [recordEvent.linked(bob, 'ann@example.com', 'Bob')]]);
      expect(await contact(ann)).toMatchObject({ conversationCount: 0, lastActivityAt: null });
      expect(await contact(bob)).toMatchObject({ conversationCount: 1, lastActivityAt: at(2), inboxIds: ['inbox-a'] });
      expect((await store.readStore.getConversationSummary(id))?.contactId).toBe(bob);
      expect(await conversationsOfContact('inbox-a', bob)).toEqual([id]);
      expect(await conversationsOfContact('inbox-a', ann)).toEqual([]);
      expect((await records.getTicket(ticketId))?.contactId).toBe(bob);

      await feed([streams.conversation(id), [e.contactUnlinked(bob)]]);
      expect(await contact(bob)).toMatchObject({ conversationCount: 0 });
      expect((await store.readStore.getConversationSummary(id))?.contactId).toBeNull();
      expect(await conversationsOfContact('inbox-a', bob)).toEqual([]);
      expect((await records.getTicket(ticketId))?.contactId).toBeNull();
    });

    it('erases a contact: an empty shell, no identity, out of the search; its tickets lose their names', async () => {
      const ann = randomUUID();
      await feed([
        streams.contact(ann),
        [recordEvent.contactCreated(ann, [email('ann@example.com')], 'Ann'), recordEvent.propertiesChanged({ jobTitle: 'Buyer', custom: { tier: 'gold' } })],
      ]);
      const id = await conversation({ inboxId: 'inbox-a', contactId: ann, address: 'ann@example.com', minute: 2 });
      const ticketId = randomUUID();
      await feed([streams.ticket(ticketId), [recordEvent.ticketOpened(ticketId, id, 'inbox-a', 'Ann wants a refund')]]);

      await feed([streams.contact(ann), [recordEvent.erased([id], [ticketId])]]);
      expect(await contact(ann)).toMatchObject({
        id: ann,
        name: null,
        emails: [],
        phones: [],
        identities: [],
        jobTitle: null,
        companyId: null,
        custom: {},
        erased: true,
        createdAt: at(0),
      });
      expect(await records.findContactIdByIdentity('email:ann@example.com')).toBeNull();
      expect(await searchIds({ q: '', limit: 10 })).toEqual([]);
      expect((await records.getTicket(ticketId))?.name).toBe('');
    });

    it('keeps companies: changes, contact count from the live contacts holding them, search by name or domain with a cursor', async () => {
      const acme = randomUUID();
      const globex = randomUUID();
      const ann = randomUUID();
      const bob = randomUUID();
      const gone = randomUUID();
      await feed(
        [streams.company(acme), [recordEvent.companyCreated(acme, 'Acme', 'acme.test'), recordEvent.companyChanged({ custom: { size: 'large' } })]],
        [
          streams.company(globex),
          [recordEvent.companyCreated(globex, 'Globex Corporation', null), recordEvent.companyChanged({ name: 'Globex', domain: 'globex.test' })],
        ],
        [streams.contact(ann), [recordEvent.contactCreated(ann, [email('ann@acme.test')], 'Ann'), recordEvent.propertiesChanged({ companyId: acme })]],
        [streams.contact(bob), [recordEvent.contactCreated(bob, [email('bob@acme.test')], 'Bob'), recordEvent.propertiesChanged({ companyId: acme })]],
        [streams.contact(gone), [recordEvent.contactCreated(gone, [email('gone@acme.test')], 'Gone'), recordEvent.propertiesChanged({ companyId: acme })]],
      );
      await feed([streams.contact(gone), [recordEvent.merged(ann)]]);

      expect(await records.getCompany(acme)).toEqual({
        id: acme,
        name: 'Acme',
        domain: 'acme.test',
        custom: { size: 'large' },
        contactCount: 2,
        createdAt: at(0),
        updatedAt: at(33),
        revision: 1,
      });
      expect(await records.getCompany(randomUUID())).toBeNull();
      expect(await records.getCompany(globex)).toMatchObject({ name: 'Globex', domain: 'globex.test', contactCount: 0 });
      expect((await records.searchContacts({ q: '', limit: 10, companyId: acme })).items.map((c) => c.id).sort()).toEqual([ann, bob].sort());

      expect((await records.searchCompanies({ q: 'glob', limit: 10 })).items.map((c) => c.id)).toEqual([globex]);
      expect((await records.searchCompanies({ q: 'acme.test', limit: 10 })).items.map((c) => c.id)).toEqual([acme]);
      const first = await records.searchCompanies({ q: '', limit: 1 });
      expect(first.items.map((c) => c.name)).toEqual(['Acme']);
      const second = await records.searchCompanies({ q: '', limit: 1, cursor: first.nextCursor ?? undefined });
      expect(second).toMatchObject({ items: [{ name: 'Globex' }], nextCursor: null });
      await expect(records.searchCompanies({ q: '', limit: 1, cursor: '%%%' })).rejects.toBeInstanceOf(InvalidCursorError);
    });

    it('finds the company holding a domain, following a changed domain; none for a domain nobody holds', async () => {
      const hand = randomUUID();
      const moved = randomUUID();
      await feed(
        [streams.company(hand), [recordEvent.companyCreated(hand, 'Initech', 'initech.test')]],
        [streams.company(moved), [recordEvent.companyCreated(moved, 'Umbrella', 'umbrella-old.test'), recordEvent.companyChanged({ domain: 'umbrella.test' })]],
      );
      expect(await records.findCompanyIdByDomain('initech.test')).toBe(hand);
      expect(await records.findCompanyIdByDomain('umbrella.test')).toBe(moved);
      expect(await records.findCompanyIdByDomain('umbrella-old.test')).toBeNull();
      expect(await records.findCompanyIdByDomain('nobody.test')).toBeNull();
    });

    it('keeps tickets: changes, closedAt, the conversation summary following status and name, removal', async () => {
      const ann = randomUUID();
      await feed([streams.contact(ann), [recordEvent.contactCreated(ann, [email('ann@example.com')], 'Ann')]]);
      const id = await conversation({ inboxId: 'inbox-a', contactId: ann, address: 'ann@example.com', minute: 2 });
      const ticketId = randomUUID();
      await feed(
        [streams.conversation(id), [e.ticketCreated(ticketId, 'Refund')]],
        [
          streams.ticket(ticketId),
          [
            recordEvent.ticketOpened(ticketId, id, 'inbox-a', 'Refund'),
            recordEvent.ticketChanged({ priority: 'high', ownerId: 'agent-bo', custom: { reason: 'late' } }, at(3)),
            recordEvent.ticketChanged({ status: 'closed', name: 'Refund order 1234' }, at(4)),
          ],
        ],
      );
      expect(await records.getTicket(ticketId)).toEqual({
        id: ticketId,
        conversationId: id,
        inboxId: 'inbox-a',
        contactId: ann,
        name: 'Refund order 1234',
        status: 'closed',
        priority: 'high',
        ownerId: 'agent-bo',
        custom: { reason: 'late' },
        createdAt: at(0),
        updatedAt: at(4),
        closedAt: at(4),
        revision: 2,
      });
      expect(await records.getTicketOfConversation(id)).toMatchObject({ id: ticketId });
      expect(await records.getTicketOfConversation(randomUUID())).toBeNull();
      expect(await store.readStore.getConversationSummary(id)).toMatchObject({
        ticketId,
        ticket: { id: ticketId, name: 'Refund order 1234', status: 'closed' },
      });

      await feed([streams.ticket(ticketId), [recordEvent.ticketChanged({ status: 'waiting-on-us' }, at(6))]]);
      expect(await records.getTicket(ticketId)).toMatchObject({ status: 'waiting-on-us', closedAt: null });
      expect((await store.readStore.getConversationSummary(id))?.ticket?.status).toBe('open');

      await feed([streams.ticket(ticketId), [recordEvent.ticketRemoved()]], [streams.conversation(id), [e.ticketDeleted(ticketId)]]);
      expect(await records.getTicket(ticketId)).toBeNull();
      expect(await records.getTicketOfConversation(id)).toBeNull();
      expect(await store.readStore.getConversationSummary(id)).toMatchObject({ ticketId: null, ticket: null });
    });

    it('searches tickets with every filter, newest first, with a cursor', async () => {
      const acme = randomUUID();
      const ann = randomUUID();
      const bob = randomUUID();
      await feed(
        [streams.company(acme), [recordEvent.companyCreated(acme, 'Acme', 'acme.test')]],
        [streams.contact(ann), [recordEvent.contactCreated(ann, [email('ann@acme.test')], 'Ann'), recordEvent.propertiesChanged({ companyId: acme })]],
        [streams.contact(bob), [recordEvent.contactCreated(bob, [email('bob@example.com')], 'Bob')]],
      );
      const annConversation = await conversation({ inboxId: 'inbox-a', contactId: ann, address: 'ann@acme.test', minute: 1 });
      const bobConversation = await conversation({ inboxId: 'inbox-b', contactId: bob, address: 'bob@example.com', minute: 2 });
      const otherConversation = await conversation({ inboxId: 'inbox-a', contactId: bob, address: 'bob@example.com', minute: 3 });
      const [t1, t2, t3] = [randomUUID(), randomUUID(), randomUUID()];
      await feed(
        [
          streams.ticket(t1),
          [recordEvent.ticketOpened(t1, annConversation, 'inbox-a', 'Refund for Ann', { openedAt: at(1), priority: 'urgent', ownerId: 'agent-bo' })],
        ],
        [streams.ticket(t2), [recordEvent.ticketOpened(t2, bobConversation, 'inbox-b', 'Broken hinge', { openedAt: at(2), status: 'waiting-on-contact' })]],
        [streams.ticket(t3), [recordEvent.ticketOpened(t3, otherConversation, 'inbox-a', 'Refund for Bob', { openedAt: at(3), priority: 'low' })]],
      );
      const ids = async (query: Partial<Parameters<RecordStore['searchTickets']>[0]>) =>
        (await records.searchTickets({ limit: 10, ...query })).items.map((t) => t.id);

      expect(await ids({})).toEqual([t3, t2, t1]);
      expect(await ids({ inboxIds: ['inbox-a'] })).toEqual([t3, t1]);
      expect(await ids({ inboxIds: [] })).toEqual([]);
      expect(await ids({ status: 'waiting-on-contact' })).toEqual([t2]);
      expect(await ids({ ownerId: 'agent-bo' })).toEqual([t1]);
      expect(await ids({ ownerId: 'none' })).toEqual([t3, t2]);
      expect(await ids({ priority: 'low' })).toEqual([t3]);
      expect(await ids({ contactId: bob })).toEqual([t3, t2]);
      expect(await ids({ companyId: acme })).toEqual([t1]);
      expect(await ids({ q: 'refund' })).toEqual([t3, t1]);
      expect(await ids({ q: 'refund bob', inboxIds: ['inbox-a', 'inbox-b'] })).toEqual([t3]);

      const first = await records.searchTickets({ limit: 2 });
      expect(first.items.map((t) => t.id)).toEqual([t3, t2]);
      const second = await records.searchTickets({ limit: 2, cursor: first.nextCursor ?? undefined });
      expect(second).toMatchObject({ items: [{ id: t1 }], nextCursor: null });
      await expect(records.searchTickets({ limit: 2, cursor: 'nope' })).rejects.toBeInstanceOf(InvalidCursorError);
    });

    it('reads the record settings: defaults until chosen, properties without the archived ones', async () => {
      expect(await records.getRecordSettings()).toEqual({
        properties: [],
        cardProperties: { contact: ['emails', 'phones', 'company', 'jobTitle'], ticket: ['status', 'priority', 'owner'] },
        freeMailDomains: [...DEFAULT_FREE_MAIL_DOMAINS],
      });
      await feed([
        'record-settings',
        [
          newEvent('PropertyDefined', { object: 'contact', key: 'tier', label: 'Tier', type: 'choice', options: ['gold', 'silver'] }),
          newEvent('PropertyDefined', { object: 'ticket', key: 'reason', label: 'Reason', type: 'text' }),
          newEvent('PropertyDefined', { object: 'company', key: 'size', label: 'Size', type: 'number' }),
          newEvent('PropertyChanged', { object: 'contact', key: 'tier', label: 'Level', options: ['gold', 'silver', 'bronze'] }),
          newEvent('PropertyArchived', { object: 'company', key: 'size' }),
          newEvent('CardPropertiesChosen', { object: 'ticket', keys: ['reason', 'status'] }),
          newEvent('FreeMailDomainsSet', { domains: ['gmail.com', 'example.org'] }),
        ],
      ]);
      expect(await records.getRecordSettings()).toEqual({
        properties: [
          { object: 'contact', key: 'tier', label: 'Level', type: 'choice', options: ['gold', 'silver', 'bronze'] },
          { object: 'ticket', key: 'reason', label: 'Reason', type: 'text' },
        ],
        cardProperties: { contact: ['emails', 'phones', 'company', 'jobTitle'], ticket: ['reason', 'status'] },
        freeMailDomains: ['gmail.com', 'example.org'],
      });
    });

    it('takes the same events again without change (at-least-once delivery)', async () => {
      const ann = randomUUID();
      const conversationId = randomUUID();
      const events = [
        ...log.record(streams.contact(ann), recordEvent.contactCreated(ann, [email('ann@example.com')], 'Ann')),
        ...log.record(
          streams.conversation(conversationId),
          e.started({ conversationId, inboxId: 'inbox-a', contact: { id: ann, address: 'ann@example.com' } }),
        ),
        ...log.record(streams.conversation(conversationId), e.received({ receivedAt: at(3) })),
      ];
      await store.feed([...events, log.barrier()]);
      const before = await contact(ann);
      await store.feed([...events, log.barrier()]);
      expect(await contact(ann)).toEqual(before);
      expect(before).toMatchObject({ conversationCount: 1, lastActivityAt: at(3) });
    });
  });
}
