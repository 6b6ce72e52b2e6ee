import { EVENT_STORE, type EventStore } from '../../src/application/ports/event-store.port';
import { streams } from '../../src/application/streams';
import { inbound, startTestApp, until, type TestApp } from '../support/app-harness';

/**
 * A later message's sender name fills a contact's empty name (docs/contacts.md). A contact named
 * already is left alone without its history being read: the contact-records process manager asks
 * the record first.
 */
describe('names from later messages', () => {
  let t: TestApp;
  let token: string;

  beforeAll(async () => {
    t = await startTestApp();
    token = await t.login();
  });
  afterAll(() => t.close());

  const post = (url: string, body: unknown) => t.request('POST', url, { body, token });
  const get = (url: string) => t.request('GET', url, { token });
  const contactOf = async (conversationId: string) => (await get(`/api/conversations/${conversationId}`)).body.contact.id as string;
  const contactWhen = (id: string, ready: (body: any) => boolean) =>
    until(`contact ${id}`, async () => {
      const res = await get(`/api/contacts/${id}`);
      return res.status === 200 && ready(res.body) ? res.body : null;
    });

  it('a contact named already: a reply with a name reads nothing of its history, and the name stays', async () => {
    const first = await post(
      '/api/channels/api/messages',
      inbound({ externalThreadId: 'named-thread', from: { address: 'named@fill.test', name: 'Nora Named' } }),
    );
    expect(first.status).toBe(201);
    const contactId = await contactOf(first.body.conversationId);
    // Its company too: joining the domain's company reads the contact's history once.
    await contactWhen(contactId, (c) => c.name === 'Nora Named' && c.companyId !== null);

    const store = t.app.get<EventStore>(EVENT_STORE);
    const reads = jest.spyOn(store, 'readStream');
    try {
      const second = await post(
        '/api/channels/api/messages',
        inbound({ externalThreadId: 'named-thread', from: { address: 'named@fill.test', name: 'Nora Other' } }),
      );
      expect(second.body.conversationId).toBe(first.body.conversationId);
      // The process manager takes events in order: once a later conversation's contact is there, the reply was handled.
      const later = await post('/api/channels/api/messages', inbound({ from: { address: 'later@fill.test', name: 'Larry Later' } }));
      await contactWhen(await contactOf(later.body.conversationId), (c) => c.name === 'Larry Later');
      expect(reads.mock.calls.filter(([streamId]) => streamId === streams.contact(contactId))).toEqual([]);
    } finally {
      reads.mockRestore();
    }
    expect((await get(`/api/contacts/${contactId}`)).body.name).toBe('Nora Named');
  });

  it('a contact without a name gets the one a later message carries', async () => {
    const first = await post('/api/channels/api/messages', inbound({ externalThreadId: 'nameless-thread', from: { address: 'nameless@fill.test' } }));
    const contactId = await contactOf(first.body.conversationId);
    await contactWhen(contactId, () => true);
    await post('/api/channels/api/messages', inbound({ externalThreadId: 'nameless-thread', from: { address: 'nameless@fill.test', name: 'Nils Nameless' } }));
    await contactWhen(contactId, (c) => c.name === 'Nils Nameless');
  });
});
