import { CommandExecutor } from '../../src/application/command-handling/command-executor';
import { EVENT_STORE, type EventStore, type RecordedEvent } from '../../src/application/ports/event-store.port';
import { deriveIds, streams } from '../../src/application/streams';
import { inbound, startTestApp, until, type TestApp } from '../support/app-harness';

/**
 * Many messages from new senders at once (issue 17): the contact-records process manager makes each
 * contact exactly once, joined to its domain's company in the same append, each company once, and
 * none of its commands waits for the read models.
 */
describe('contact records under fast ingest', () => {
  let t: TestApp;
  let token: string;

  beforeAll(async () => {
    t = await startTestApp();
    token = await t.login();
  });
  afterAll(() => t.close());

  const DOMAINS = ['acme-ingest.test', 'globex-ingest.test', 'initech-ingest.test', 'umbrella-ingest.test', 'gmail.com'];
  const senders = Array.from({ length: 40 }, (_, i) => ({ address: `sender${i}@${DOMAINS[i % DOMAINS.length]}`, name: `Sender ${i}` }));
  const post = (body: unknown) => t.request('POST', '/api/channels/api/messages', { body, token });

  it('every new sender gets one contact with its company, every domain one company, and the manager never waits', async () => {
    const executor = t.app.get(CommandExecutor);
    const settled = jest.spyOn(executor, 'execute');
    try {
      // Two new threads per sender and a reply in the first, all at once.
      const threads = senders.map((_, i) => `ingest-thread-${i}`);
      const first = await Promise.all(senders.map((from, i) => post(inbound({ externalThreadId: threads[i], from }))));
      const second = await Promise.all(senders.map((from) => post(inbound({ from }))));
      const replies = await Promise.all(senders.map((from, i) => post(inbound({ externalThreadId: threads[i], from }))));
      expect([...first, ...second, ...replies].map((res) => res.status)).toEqual(Array(senders.length * 3).fill(201));

      const contactIds = senders.map((sender) => deriveIds.contact(sender.address));
      for (const [i, contactId] of contactIds.entries()) {
        const companyDomain = DOMAINS[i % DOMAINS.length] !== 'gmail.com';
        await until(`contact ${contactId}`, async () => {
          const res = await t.request('GET', `/api/contacts/${contactId}`, { token });
          return res.status === 200 && (!companyDomain || res.body.companyId !== null);
        });
      }
      // The manager takes events in order: once a later sender's contact is there, the ones above were handled.
      const marker = await post(inbound({ from: { address: 'marker@gmail.com' } }));
      expect(marker.status).toBe(201);
      await until(
        'the marker contact',
        async () => (await t.request('GET', `/api/contacts/${deriveIds.contact('marker@gmail.com')}`, { token })).status === 200,
      );

      const store = t.app.get<EventStore>(EVENT_STORE);
      const log: RecordedEvent[] = [];
      for (
        let page = await store.readAll({ after: 0, maxCount: 1000 });
        page.length > 0;
        page = await store.readAll({ after: log.at(-1)!.position, maxCount: 1000 })
      ) {
        log.push(...page);
      }
      for (const [i, sender] of senders.entries()) {
        const domain = DOMAINS[i % DOMAINS.length];
        const contact = log.filter((event) => event.streamId === streams.contact(contactIds[i]));
        if (domain === 'gmail.com') {
          expect(contact.map((event) => event.type)).toEqual(['ContactCreated']);
        } else {
          expect(contact.map((event) => [event.type, event.position - contact[0].position])).toEqual([
            ['ContactCreated', 0],
            ['ContactPropertiesChanged', 1],
          ]);
          expect(contact[1].data).toEqual({ companyId: deriveIds.company(domain), via: 'email-domain' });
        }
        expect(contact[0].data).toMatchObject({ name: sender.name, identities: [{ kind: 'email', value: sender.address }] });
      }
      const companies = log.filter((event) => event.type === 'CompanyCreated').map((event) => event.data.domain);
      expect(companies.sort()).toEqual(DOMAINS.filter((domain) => domain !== 'gmail.com').sort());
      const company = await t.request('GET', `/api/companies/${deriveIds.company('acme-ingest.test')}`, { token });
      expect(company.body.contacts.map((c: { id: string }) => c.id).sort()).toEqual(contactIds.filter((_, i) => i % DOMAINS.length === 0).sort());

      // No command on a contact or a company waited for the read models (read-your-writes): the manager remembers instead.
      expect(settled.mock.calls.filter(([streamId]) => streamId.startsWith('contact-') || streamId.startsWith('company-'))).toEqual([]);
    } finally {
      settled.mockRestore();
    }
  });
});
