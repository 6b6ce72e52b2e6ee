import { randomUUID } from 'node:crypto';
import { RECORDS_SQL } from '../../src/infrastructure/read-store/sqlite-records';
import { FOLLOW_SQL } from '../../src/projections/sqlite/conversations.projection';
import { RECORDS_PROJECTION_SQL } from '../../src/projections/sqlite/records.projection';
import { recordEvent } from '../contracts/record-store.contract';
import { expectReadModelsEqualRebuilds } from '../support/rebuild-comparison';
import { recordsScenario } from './records-scenario';
import { append, at, cleanUp, cleanUpTempDirs, conversationEvent as e, newDataDir, openLiveSystem, seededRandom } from './fixtures';

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
    const { steps, contacts, conversations, second, split, tickets, company } = recordsScenario();
    const [c0, c1, c2, , c4] = contacts;

    for (const [stream, event] of steps) {
      await append(live.store, stream, event);
      if (random() < 0.3) await live.caughtUp();
    }
    await live.caughtUp();

    const records = live.recordStore;
    // Its own two, contact 1's two, and the one started for and the one linked to contact 1 after the merge.
    expect(await records.getContact(c0.id)).toMatchObject({ conversationCount: 6, emails: [c0.address, c1.address], jobTitle: 'Owner', companyId: company });
    expect(await records.getContact(c2.id)).toMatchObject({ conversationCount: 2, emails: [c2.address] });
    expect(await records.getContact(split)).toMatchObject({ conversationCount: 1, lastActivityAt: at(40), inboxIds: ['inbox-b'] });
    // Its two and contact 3's linked to it: the linked one split off again, one unlinked, one deleted.
    expect(await records.getContact(c4.id)).toMatchObject({ conversationCount: 0 });
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
