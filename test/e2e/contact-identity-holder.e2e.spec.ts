import { inbound, startTestApp, type TestApp } from '../support/app-harness';

/**
 * An address another contact holds is refused (that is a merge); the refusal names the holder only
 * to an agent who may see it, so it cannot be used to find out who writes to inboxes out of reach.
 */
describe('the contact holding an identity, in a refusal', () => {
  let t: TestApp;
  let token: string;

  beforeAll(async () => {
    t = await startTestApp();
    token = await t.login();
  });
  afterAll(() => t.close());

  const post = (url: string, body: unknown, as = token) => t.request('POST', url, { body, token: as });
  const get = (url: string, as = token) => t.request('GET', url, { token: as });
  const patch = (url: string, body: unknown, as = token) => t.request('PATCH', url, { body, token: as });

  const newAgent = async (name: string) => {
    const email = `${name.toLowerCase()}-${Math.random().toString(36).slice(2)}@example.com`;
    const created = await post('/api/agents', { name, email, password: 'password-123', role: 'agent' });
    expect(created.status).toBe(201);
    return t.login(email, 'password-123');
  };

  /** A contact made by a message to a new inbox only admins reach. */
  const hiddenContact = async (address: string) => {
    const inbox = await post('/api/inboxes', { name: `Private ${Math.random().toString(36).slice(2)}` });
    expect(inbox.status).toBe(201);
    const res = await post('/api/channels/api/messages', inbound({ inboxId: inbox.body.id, from: { address, name: 'Hidden Person' } }));
    expect(res.status).toBe(201);
    const contactId = (await get(`/api/conversations/${res.body.conversationId}`)).body.contact.id as string;
    const deadline = Date.now() + 10_000;
    while ((await get(`/api/contacts/${contactId}`)).status !== 200) {
      if (Date.now() > deadline) throw new Error(`contact ${contactId} never appeared`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return contactId;
  };

  it('an agent who cannot see the holder gets the refusal without its id; an admin gets the id', async () => {
    const holder = await hiddenContact('secret-holder@hidden.test');
    const outsider = await newAgent('Outsider');

    const created = await post('/api/contacts', { name: 'Probe', emails: ['secret-holder@hidden.test'] }, outsider);
    expect(created.status).toBe(409);
    expect(created.body.code).toBe('contact-identity-taken-unseen');
    expect(created.body.message).toBe('secret-holder@hidden.test belongs to another contact');
    expect(JSON.stringify(created.body)).not.toContain(holder);

    const own = await post('/api/contacts', { name: 'Own' }, outsider);
    expect(own.status).toBe(201);
    const edited = await patch(`/api/contacts/${own.body.id}`, { emails: ['secret-holder@hidden.test'] }, outsider);
    expect(edited.status).toBe(409);
    expect(edited.body.code).toBe('contact-identity-taken-unseen');
    expect(JSON.stringify(edited.body)).not.toContain(holder);

    const byAdmin = await post('/api/contacts', { name: 'Probe', emails: ['secret-holder@hidden.test'] });
    expect(byAdmin.status).toBe(409);
    expect(byAdmin.body.code).toBe('contact-identity-taken');
    expect(byAdmin.body.message).toContain(holder);
  });

  it('in Dutch too', async () => {
    await hiddenContact('geheim@hidden.test');
    const outsider = await newAgent('Buitenstaander');
    const res = await t.request('POST', '/api/contacts', { body: { emails: ['geheim@hidden.test'] }, token: outsider, headers: { 'accept-language': 'nl' } });
    expect(res.status).toBe(409);
    expect(res.body.message).toBe('geheim@hidden.test hoort al bij een ander contact');
  });
});
