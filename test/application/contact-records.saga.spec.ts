import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CommandExecutor } from '../../src/application/command-handling/command-executor';
import { systemContext } from '../../src/application/command-handling/command-context';
import { handleCommand } from '../../src/application/command-handling/handle-command';
import { ContactRecords } from '../../src/application/contacts/contact-records.saga';
import { ContactResolver } from '../../src/application/contacts/contact-resolver';
import { systemClock } from '../../src/application/ports/clock.port';
import type { RecordedEvent } from '../../src/application/ports/event-store.port';
import type { ProjectionProgress, ReadStore } from '../../src/application/ports/read-store.port';
import type { RecordStore } from '../../src/application/ports/record-store.port';
import { deriveIds, streams } from '../../src/application/streams';
import { recordSettingsDecider } from '../../src/domain/record-settings/record-settings.decider';
import { SqliteEventStore } from '../../src/infrastructure/event-store/sqlite-event-store';
import { databaseFile, openDatabase } from '../../src/infrastructure/sqlite/open-database';
import { conversationEvent } from '../projections/fixtures';

/**
 * The contact-records process manager on a real event log, with read models that never move (the
 * views lane stuck at 0): everything it needs to know about what it wrote, it must remember. Each
 * new sender gets one contact, each company domain one company, each contact one association, and
 * it never waits for the read models.
 */
describe('ContactRecords (process manager)', () => {
  let dir: string;
  let store: SqliteEventStore;
  let close: () => Promise<void>;
  let projected: number;
  let waits: number;
  const handMade = new Map<string, string>();

  const progress: ProjectionProgress = {
    position: () => projected,
    waitFor: async () => {
      waits += 1;
      return false;
    },
  };
  // Read models behind everything: no conversation, no contact, no company made by the manager.
  const readStore = { getConversationSummary: async () => null } as unknown as ReadStore;
  const records = {
    getContact: async () => null,
    findContactIdByIdentity: async () => null,
    findCompanyIdByDomain: async (domain: string) => handMade.get(domain) ?? null,
  } as unknown as RecordStore;

  const newManager = () => {
    const executor = new CommandExecutor(store, systemClock, progress, 1_000);
    return new ContactRecords(executor, new ContactResolver(records, store), readStore, records);
  };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'parley-contact-records-'));
    const db = openDatabase(databaseFile(dir), { synchronous: 'FULL' });
    store = new SqliteEventStore(db, { pollIntervalMs: 20 });
    close = async () => {
      await store.close();
      db.close();
    };
    projected = 0;
    waits = 0;
    handMade.clear();
  });

  afterEach(async () => {
    await close();
    rmSync(dir, { recursive: true, force: true });
  });

  /**
   * Feeds the manager the log after `after`, including what it writes meanwhile, as the runner does:
   * runs of up to `concurrency` handled events, each call right after the other, then the next run
   * once all are done; up to `until` when given.
   */
  const drain = async (manager: ContactRecords, after = 0, until = Infinity): Promise<number> => {
    let cursor = after;
    for (;;) {
      const page = (await store.readAll({ after: cursor, maxCount: 1000 })).filter((event) => event.position <= until);
      if (page.length === 0) return cursor;
      const handled = page.filter((event) => (manager.handles as readonly string[]).includes(event.type));
      for (let i = 0; i < handled.length; i += manager.concurrency)
        await Promise.all(handled.slice(i, i + manager.concurrency).map((event) => manager.handle(event)));
      cursor = page[page.length - 1].position;
    }
  };

  const wholeLog = async (): Promise<RecordedEvent[]> => store.readAll({ after: 0, maxCount: 100_000 });

  /** A message starting a conversation from `address`, as the receive command stores it (the contact id the address derives). */
  const startConversation = async (address: string, name?: string) => {
    const conversationId = randomUUID();
    const from = { address, ...(name ? { name } : {}) };
    await store.append(
      streams.conversation(conversationId),
      [
        conversationEvent.started({ conversationId, inboxId: 'inbox-1', contact: { id: deriveIds.contact(address), address, name } }),
        conversationEvent.received({ receivedAt: new Date().toISOString(), from }),
      ],
      { expectedRevision: 'no-stream' },
    );
    return conversationId;
  };

  const reply = (conversationId: string, address: string, name: string, revision: number) =>
    store.append(streams.conversation(conversationId), [conversationEvent.received({ receivedAt: new Date().toISOString(), from: { address, name } })], {
      expectedRevision: revision,
    });

  const setFreeMail = (domains: string[]) =>
    handleCommand(store, streams.recordSettings(), recordSettingsDecider, { type: 'SetFreeMailDomains', data: { domains } }, systemContext(), {
      now: new Date(),
    });

  const DOMAINS = ['acme.test', 'globex.test', 'initech.test', 'gmail.com'];
  const senders = Array.from({ length: 24 }, (_, i) => ({ address: `person${i}@${DOMAINS[i % DOMAINS.length]}`, name: `Person ${i}` }));

  /** Every sender starts two conversations and replies once, interleaved as fast ingest would store them. */
  const ingest = async () => {
    const first: string[] = [];
    for (const sender of senders) first.push(await startConversation(sender.address, sender.name));
    for (const sender of senders) await startConversation(sender.address, sender.name);
    for (const [i, sender] of senders.entries()) await reply(first[i], sender.address, sender.name, 1);
  };

  /** The contact and company streams of the log: each contact once, joined once to its domain's company, each company once. */
  const expectOneRecordEach = async () => {
    const log = await wholeLog();
    const byStream = new Map<string, RecordedEvent[]>();
    for (const event of log) byStream.set(event.streamId, [...(byStream.get(event.streamId) ?? []), event]);
    for (const [i, sender] of senders.entries()) {
      const domain = DOMAINS[i % DOMAINS.length];
      const contact = byStream.get(streams.contact(deriveIds.contact(sender.address))) ?? [];
      const types = contact.map((event) => event.type);
      if (domain === 'gmail.com') {
        expect(types).toEqual(['ContactCreated']);
      } else {
        expect(types).toEqual(['ContactCreated', 'ContactPropertiesChanged']);
        expect(contact[1].data).toEqual({ companyId: handMade.get(domain) ?? deriveIds.company(domain), via: 'email-domain' });
        // One append, one command: the association follows the creation directly, for the same cause.
        expect(contact[1].position).toBe(contact[0].position + 1);
        expect(contact[1].metadata.causationId).toBe(contact[0].metadata.causationId);
      }
      expect(contact[0].data).toMatchObject({ identities: [{ kind: 'email', value: sender.address }], name: sender.name, source: 'inbound' });
    }
    const companies = log.filter((event) => event.type === 'CompanyCreated');
    const made = DOMAINS.filter((domain) => domain !== 'gmail.com' && !handMade.has(domain));
    expect(companies.map((event) => event.data.domain).sort()).toEqual(made.sort());
    expect(companies.map((event) => event.streamId).sort()).toEqual(made.map((domain) => streams.company(deriveIds.company(domain))).sort());
    expect(log.filter((event) => event.type === 'ContactCreated')).toHaveLength(senders.length);
  };

  it('many new senders at once: each contact once, with its company in the same append, without waiting for the read models', async () => {
    await ingest();
    const appends = jest.spyOn(store, 'append');
    const reads = jest.spyOn(store, 'readStream');
    await drain(newManager());
    await expectOneRecordEach();
    expect(waits).toBe(0);
    // One append per new contact; one per company made; the free-mail list read once.
    const appended = appends.mock.calls.map(([streamId]) => streamId);
    expect(appended.filter((streamId) => streamId.startsWith('contact-'))).toHaveLength(senders.length);
    expect(appended.filter((streamId) => streamId.startsWith('company-'))).toHaveLength(3);
    expect(reads.mock.calls.filter(([streamId]) => streamId === streams.recordSettings())).toHaveLength(1);
    // A contact's stream is read once, to create it: its later conversations and messages are answered from memory.
    expect(reads.mock.calls.filter(([streamId]) => streamId.startsWith('contact-'))).toHaveLength(senders.length);
  });

  it('handled again from the start by a fresh manager (a restart: nothing remembered, read models still behind), it writes nothing more', async () => {
    await ingest();
    await drain(newManager());
    const head = await store.headPosition();
    const again = newManager();
    await drain(again);
    await drain(again);
    expect(await store.headPosition()).toBe(head);
    await expectOneRecordEach();
  });

  it('a crash half-way: the next process handles the log again from its checkpoint, and the outcome is the same', async () => {
    await ingest();
    const half = Math.floor((await store.headPosition()) / 2);
    // The first process handled up to `half` (and wrote what that caused), then died; its checkpoint was older still.
    await drain(newManager(), 0, half);
    await drain(newManager(), Math.floor(half / 2));
    await expectOneRecordEach();
    expect(waits).toBe(0);
  });

  it('a company made by hand holds its domain: the domain contacts join it and no company of the domain is made', async () => {
    handMade.set('globex.test', 'hand-made-globex');
    await ingest();
    await drain(newManager());
    await expectOneRecordEach();
  });

  it('a change of the free-mail list applies from where the manager meets it in the log; a new pass reads the list again', async () => {
    const manager = newManager();
    await startConversation('a@newco.test', 'A');
    let cursor = await drain(manager);
    await setFreeMail(['gmail.com', 'newco.test']);
    await startConversation('b@newco.test', 'B');
    cursor = await drain(manager, cursor);
    const companyOf = async (address: string) => {
      const events = await store.readStream(streams.contact(deriveIds.contact(address)));
      return events.find((event) => event.type === 'ContactPropertiesChanged')?.data.companyId ?? null;
    };
    expect(await companyOf('a@newco.test')).toBe(deriveIds.company('newco.test'));
    expect(await companyOf('b@newco.test')).toBeNull();

    // Changed again where this manager did not see it (another instance held the lease meanwhile): a new pass starts afresh.
    await startConversation('c@other.test', 'C');
    cursor = await drain(manager, cursor);
    await setFreeMail(['gmail.com']);
    const skipped = await store.headPosition();
    await startConversation('d@newco.test', 'D');
    manager.startPass();
    await drain(manager, skipped);
    expect(await companyOf('d@newco.test')).toBe(deriveIds.company('newco.test'));
    expect(cursor).toBeLessThan(skipped);
  });

  it('handed many events at once, one contact sees them in log order: the earlier name fills it', async () => {
    const conversationId = await startConversation('order@gmail.com');
    await reply(conversationId, 'order@gmail.com', 'First', 1);
    await startConversation('order@gmail.com', 'Second');
    const manager = newManager();
    expect(manager.concurrency).toBeGreaterThan(4);
    await drain(manager);
    const contact = await store.readStream(streams.contact(deriveIds.contact('order@gmail.com')));
    expect(contact.map((event) => event.type)).toEqual(['ContactCreated', 'ContactPropertiesChanged']);
    expect(contact[1].data).toEqual({ name: 'First', via: 'message' });
  });

  it('a later message with a name fills the name of a contact made without one, from memory of the conversation', async () => {
    const conversationId = await startConversation('nameless@gmail.com');
    await reply(conversationId, 'nameless@gmail.com', 'Nina', 1);
    await reply(conversationId, 'nameless@gmail.com', 'Other Name', 2);
    await drain(newManager());
    const contact = await store.readStream(streams.contact(deriveIds.contact('nameless@gmail.com')));
    expect(contact.map((event) => [event.type, event.data])).toEqual([
      ['ContactCreated', expect.objectContaining({ identities: [{ kind: 'email', value: 'nameless@gmail.com' }] })],
      ['ContactPropertiesChanged', { name: 'Nina', via: 'message' }],
    ]);
    expect(waits).toBe(0);
  });
});
