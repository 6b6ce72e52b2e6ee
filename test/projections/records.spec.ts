import { randomUUID } from 'node:crypto';
import type { NewEvent } from '../../src/application/ports/event-store.port';
import { RECORDS_SQL } from '../../src/infrastructure/read-store/sqlite-records';
import { FOLLOW_SQL } from '../../src/projections/sqlite/conversations.projection';
import { RECORDS_PROJECTION_SQL } from '../../src/projections/sqlite/records.projection';
import { recordEvent } from '../contracts/record-store.contract';
import { expectReadModelsEqualRebuilds } from '../support/rebuild-comparison';
import { append, at, cleanUp, cleanUpTempDirs, conversationEvent as e, newDataDir, newEvent, openLiveSystem, seededRandom } from './fixtures';

afterEach(cleanUp);
afterAll(cleanUpTempDirs);

const email = (value: string) => ({ kind: 'email' as const, value });

/**
 * The records read model on SQLite: followed live in small batches (the projections catching up
 * now and then), then rebuilt from the log in the server's batches and in batches of 7: every
 * table, the records' and the conversations' that follow them, equals the live one row by row.
 */
describe('records projection (SQLite)', () => {
  it('a rebuild from the log equals the live read models after merges, splits, links, tickets, erasure and deletes', async () => {
    const live = openLiveSystem({ batchSize: 3 });
    const random = seededRandom(16);
    const inboxes = ['inbox-a', 'inbox-b'];
    const contacts = Array.from({ length: 6 }, (_, i) => ({ id: randomUUID(), address: `person${i}@example.com` }));
    const steps: Array<[string, NewEvent]> = [];
    const conversations: Array<{ id: string; contact: (typeof contacts)[number] }> = [];
    const company = randomUUID();
    steps.push([`company-${company}`, recordEvent.companyCreated(company, 'Acme', 'example.com')]);
    contacts.forEach((c, i) => {
      // Some conversations come before their contact's record, as on an install older than the records.
      for (let n = 0; n < 2; n++) {
        const id = randomUUID();
        conversations.push({ id, contact: c });
        steps.push([
          `conversation-${id}`,
          e.started({ conversationId: id, inboxId: inboxes[(i + n) % 2], contact: { id: c.id, address: c.address }, startedAt: at(i) }),
        ]);
        steps.push([`conversation-${id}`, e.received({ receivedAt: at(i * 3 + n), from: { address: c.address } })]);
      }
      steps.push([`contact-${c.id}`, recordEvent.contactCreated(c.id, [email(c.address)], `Person ${i}`, at(i))]);
      if (i % 2 === 0) steps.push([`contact-${c.id}`, recordEvent.propertiesChanged({ companyId: company, custom: { tier: `t${i}` } })]);
    });
    const tickets = conversations.slice(0, 4).map(({ id }, i) => {
      const ticketId = randomUUID();
      steps.push([`conversation-${id}`, e.ticketCreated(ticketId, `Ticket ${i}`)]);
      steps.push([`ticket-${ticketId}`, recordEvent.ticketOpened(ticketId, id, 'inbox-a', `Ticket ${i}`, { openedAt: at(20 + i) })]);
      return ticketId;
    });
    steps.push([`ticket-${tickets[0]}`, recordEvent.ticketChanged({ status: 'closed', ownerId: 'agent-bo' })]);
    steps.push([`ticket-${tickets[1]}`, recordEvent.ticketChanged({ name: 'Renamed', priority: 'high', custom: { reason: 'x' } })]);
    // Contact 1 merged into contact 0; contact 2 gets a second address, whose conversation is then split off to a new contact.
    const [c0, c1, c2, c3, c4] = contacts;
    steps.push([`contact-${c1.id}`, recordEvent.merged(c0.id)]);
    steps.push([`contact-${c0.id}`, recordEvent.mergedIn(c1.id, [email(c1.address)], { jobTitle: 'Owner' })]);
    steps.push([`contact-${c2.id}`, recordEvent.identityAdded(email('second@example.com'))]);
    const second = randomUUID();
    steps.push([`conversation-${second}`, e.started({ conversationId: second, inboxId: 'inbox-b', contact: { id: c2.id, address: 'second@example.com' } })]);
    steps.push([`conversation-${second}`, e.replied({ authorId: 'agent-bo', queuedAt: at(40) })]);
    const split = randomUUID();
    steps.push([`contact-${c2.id}`, recordEvent.identityRemoved(email('second@example.com'), split)]);
    steps.push([
      `contact-${split}`,
      recordEvent.contactCreated(split, [email('second@example.com')], undefined, at(41), { source: 'split', splitFrom: c2.id }),
    ]);
    // A conversation of contact 3 linked to contact 4, one of contact 4 unlinked, one deleted forever.
    const ofC3 = conversations.find((c) => c.contact === c3)!.id;
    const ofC4 = conversations.filter((c) => c.contact === c4).map((c) => c.id);
    steps.push([`conversation-${ofC3}`, recordEvent.linked(c4.id, c3.address)]);
    steps.push([`conversation-${ofC4[0]}`, e.contactUnlinked(c4.id)]);
    steps.push([`conversation-${ofC4[1]}`, e.deleted()]);
    steps.push([`contact-${contacts[5].id}`, recordEvent.erased([], [])]);
    steps.push(['record-settings', newEvent('PropertyDefined', { object: 'contact', key: 'tier', label: 'Tier', type: 'text' })]);
    steps.push(['record-settings', newEvent('CardPropertiesChosen', { object: 'contact', keys: ['tier'] })]);

    for (const [stream, event] of steps) {
      await append(live.store, stream, event);
      if (random() < 0.3) await live.caughtUp();
    }
    await live.caughtUp();

    const records = live.recordStore;
    expect(await records.getContact(c0.id)).toMatchObject({ conversationCount: 4, emails: [c0.address, c1.address], jobTitle: 'Owner', companyId: company });
    expect(await records.getContact(c2.id)).toMatchObject({ conversationCount: 2, emails: [c2.address] });
    expect(await records.getContact(split)).toMatchObject({ conversationCount: 1, lastActivityAt: at(40), inboxIds: ['inbox-b'] });
    expect(await records.getContact(c4.id)).toMatchObject({ conversationCount: 1 });
    expect((await live.readStore.getConversationSummary(second))?.contactId).toBe(split);
    expect((await records.getTicket(tickets[2]))?.contactId).toBe(c0.id);
    expect((await live.readStore.getConversationSummary(conversations[0].id))?.ticket).toMatchObject({ status: 'closed' });

    await live.runner.stop();
    const compared = await expectReadModelsEqualRebuilds(live.db, live.store, newDataDir());
    expect(compared).toEqual(
      expect.arrayContaining([
        'rec_contacts',
        'rec_conversations',
        'rec_identities',
        'rec_contact_inboxes',
        'rec_companies',
        'rec_tickets',
        'rec_properties',
        'rec_settings',
      ]),
    );
  });

  it("an erasure scrubs its tickets' custom values as well as their names (sealed alike, so a rebuild reads them empty)", async () => {
    const live = openLiveSystem();
    const contactId = randomUUID();
    const conversationId = randomUUID();
    const ticketId = randomUUID();
    await append(
      live.store,
      `conversation-${conversationId}`,
      e.started({ conversationId, inboxId: 'inbox-a', contact: { id: contactId, address: 'ann@example.com' }, startedAt: at(1) }),
      e.ticketCreated(ticketId, 'Ann wants a refund'),
    );
    await append(live.store, `contact-${contactId}`, recordEvent.contactCreated(contactId, [email('ann@example.com')], 'Ann', at(1)));
    await append(
      live.store,
      `ticket-${ticketId}`,
      recordEvent.ticketOpened(ticketId, conversationId, 'inbox-a', 'Ann wants a refund', { openedAt: at(2) }),
      recordEvent.ticketChanged({ custom: { order: 'Ann Smith, 12 Elm Street' } }),
    );
    await live.caughtUp();
    expect((await live.recordStore.getTicket(ticketId))?.custom).toEqual({ order: 'Ann Smith, 12 Elm Street' });
    await append(live.store, `contact-${contactId}`, recordEvent.erased([conversationId], [ticketId]));
    await live.caughtUp();
    const erased = await live.recordStore.getTicket(ticketId);
    expect({ name: erased?.name, custom: erased?.custom }).toEqual({ name: '', custom: {} });
  });

  it('no statement of the projection, of the conversations following the records, or of the store scans a table', () => {
    const live = openLiveSystem();
    // The record settings are read whole on purpose: a few dozen rows at most.
    const { properties: _properties, settings: _settings, ...storeQueries } = RECORDS_SQL;
    const statements = { ...RECORDS_PROJECTION_SQL, ...FOLLOW_SQL, ...storeQueries };
    for (const [name, sql] of Object.entries(statements)) {
      const parameters = (sql.match(/\?/g) ?? []).map(() => 'x');
      const plan = (live.db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...parameters) as Array<{ detail: string }>).map((row) => row.detail);
      expect({ name, scans: plan.filter((detail) => /^SCAN /.test(detail) && !/USING (COVERING )?INDEX/.test(detail)) }).toEqual({ name, scans: [] });
    }
  });
});
