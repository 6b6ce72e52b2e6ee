import { QueryBus } from '@nestjs/cqrs';
import { GetCompaniesQuery } from '../../src/application/contacts/contact.messages';
import { startTestApp, type TestApp } from '../support/app-harness';

/**
 * The contacts list names each contact's company; it asks for the companies' records only, in one
 * query (GetCompaniesQuery), not for each company's contacts and conversations.
 */
describe('companies by id', () => {
  let t: TestApp;
  let token: string;

  beforeAll(async () => {
    t = await startTestApp();
    token = await t.login();
  });
  afterAll(() => t.close());

  const post = (url: string, body: unknown) => t.request('POST', url, { body, token });

  it('answers the records of the known ids, once each, without contacts or conversations', async () => {
    const acme = await post('/api/companies', { name: 'Acme Widgets' });
    const globex = await post('/api/companies', { name: 'Globex' });
    expect([acme.status, globex.status]).toEqual([201, 201]);
    const contact = await post('/api/contacts', { name: 'Wanda Worker', emails: ['wanda@acme-widgets.test'], companyId: acme.body.id });
    expect(contact.status).toBe(201);

    const me = { id: 'agent-reader', name: 'Reader', email: 'reader@example.com', role: 'agent' as const };
    const unknown = '00000000-0000-4000-8000-000000000000';
    const found = await t.app.get(QueryBus).execute(new GetCompaniesQuery(me, [acme.body.id, unknown, globex.body.id, acme.body.id]));
    expect(found.map((c) => c.name).sort()).toEqual(['Acme Widgets', 'Globex']);
    for (const company of found) expect(company).not.toHaveProperty('contacts');
  });

  it('the contacts list shows the company by name', async () => {
    const company = await post('/api/companies', { name: 'Initech Records' });
    await post('/api/contacts', { name: 'Peter Gibbons', emails: ['peter@initech-records.test'], companyId: company.body.id });
    const page = await t.request('GET', '/ui/contacts?q=peter', { token });
    expect(page.status).toBe(200);
    expect(String(page.body)).toContain('Initech Records');
  });
});
