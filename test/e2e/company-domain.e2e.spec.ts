import { inbound, startTestApp, type TestApp } from '../support/app-harness';

/**
 * One company per domain (docs/contacts.md): a company made by hand with a domain is the one the
 * domain's contacts join, and a second company cannot take a domain another holds.
 */
describe('a company made by hand holds its domain', () => {
  let t: TestApp;
  let token: string;

  beforeAll(async () => {
    t = await startTestApp();
    token = await t.login();
  });
  afterAll(() => t.close());

  const post = (url: string, body: unknown) => t.request('POST', url, { body, token });
  const patch = (url: string, body: unknown) => t.request('PATCH', url, { body, token });
  const get = (url: string) => t.request('GET', url, { token });

  const contactWhen = async (id: string, ready: (contact: any) => boolean) => {
    const deadline = Date.now() + 10_000;
    let last: unknown;
    while (Date.now() < deadline) {
      const res = await get(`/api/contacts/${id}`);
      last = res.body;
      if (res.status === 200 && ready(res.body)) return res.body;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`contact ${id} never got ready: ${JSON.stringify(last)}`);
  };

  it("the domain's contacts join the company made by hand; no second company is made", async () => {
    const made = await post('/api/companies', { name: 'Initech Ltd', domain: 'initech.test' });
    expect(made.status).toBe(201);
    const res = await post('/api/channels/api/messages', inbound({ from: { address: 'peter@initech.test', name: 'Peter' } }));
    expect(res.status).toBe(201);
    const conversation = await get(`/api/conversations/${res.body.conversationId}`);
    const contact = await contactWhen(conversation.body.contact.id, (c) => c.companyId !== null);
    expect(contact.companyId).toBe(made.body.id);
    const companies = await get('/api/companies?q=initech');
    expect(companies.body.items.map((c: { id: string }) => c.id)).toEqual([made.body.id]);
    expect((await get(`/api/companies/${made.body.id}`)).body.contactCount).toBe(1);
  });

  it('a second company with a domain another holds is refused, made or changed, naming the domain', async () => {
    const first = await post('/api/companies', { name: 'Hooli', domain: 'hooli.test' });
    expect(first.status).toBe(201);
    const twin = await post('/api/companies', { name: 'Hooli again', domain: ' @Hooli.TEST' });
    expect(twin.status).toBe(409);
    expect(twin.body.code).toBe('company-domain-taken');
    expect(twin.body.message).toContain('hooli.test');
    expect((await get('/api/companies?q=hooli')).body.items).toHaveLength(1);

    const other = await post('/api/companies', { name: 'Pied Piper' });
    expect(other.status).toBe(201);
    const moved = await patch(`/api/companies/${other.body.id}`, { domain: 'hooli.test' });
    expect(moved.status).toBe(409);
    expect(moved.body.code).toBe('company-domain-taken');
    expect(moved.body.message).toContain('hooli.test');
    // A company may keep (or be given again) its own domain.
    expect((await patch(`/api/companies/${first.body.id}`, { domain: 'hooli.test', name: 'Hooli Inc' })).status).toBe(200);
    expect((await patch(`/api/companies/${other.body.id}`, { domain: 'piedpiper.test' })).status).toBe(200);
  });

  it('answers the refusal in Dutch for a Dutch reader', async () => {
    await post('/api/companies', { name: 'Globo', domain: 'globo.test' });
    const res = await t.request('POST', '/api/companies', { body: { name: 'Globo 2', domain: 'globo.test' }, token, headers: { 'Accept-Language': 'nl' } });
    expect(res.status).toBe(409);
    expect(res.body.message).toContain('hoort al bij bedrijf');
  });
});
