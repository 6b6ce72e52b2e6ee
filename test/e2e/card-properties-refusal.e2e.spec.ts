import { startTestApp, type TestApp } from '../support/app-harness';

/** An agent who is no admin choosing the card properties from the sidebar is refused in their language. */
describe('card properties from the sidebar, by an agent', () => {
  let t: TestApp;
  let agent: string;

  beforeAll(async () => {
    t = await startTestApp();
    const admin = await t.login();
    const email = `carder-${Math.random().toString(36).slice(2)}@example.com`;
    const created = await t.request('POST', '/api/agents', { body: { name: 'Carder', email, password: 'password-123', role: 'agent' }, token: admin });
    expect(created.status).toBe(201);
    agent = await t.login(email, 'password-123');
  });
  afterAll(() => t.close());

  const choose = (language: string) =>
    t.request('POST', '/ui/card-properties?object=contact', {
      token: agent,
      raw: 'keys=emails',
      headers: { 'hx-request': 'true', 'content-type': 'application/x-www-form-urlencoded', 'accept-language': language },
    });

  it('is refused with 403, in English and in Dutch', async () => {
    const en = await choose('en');
    expect(en.status).toBe(403);
    expect(JSON.stringify(en.body)).toContain('only admins choose the card properties');
    const nl = await choose('nl');
    expect(nl.status).toBe(403);
    expect(JSON.stringify(nl.body)).toContain('alleen beheerders kiezen de kaarteigenschappen');
  });
});
