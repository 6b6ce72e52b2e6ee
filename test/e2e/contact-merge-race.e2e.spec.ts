import { startTestApp, type TestApp } from '../support/app-harness';

/**
 * Two agents merging the same two contacts in opposite directions at the same moment: the merge
 * ledger lets exactly one of them through, so the contacts never point at each other
 * (docs/contacts.md).
 */
describe('opposite merges at once', () => {
  let t: TestApp;
  let token: string;

  beforeAll(async () => {
    t = await startTestApp();
    token = await t.login();
  });
  afterAll(() => t.close());

  const post = (url: string, body?: unknown) => t.request('POST', url, { body: body ?? {}, token });
  const get = (url: string) => t.request('GET', url, { token });

  const newContact = async (email: string) => {
    const res = await post('/api/contacts', { name: email, emails: [email] });
    expect(res.status).toBe(201);
    return res.body.id as string;
  };

  it('A into B and B into A together: one merge, the other refused, both ids answer the one that remains', async () => {
    for (let round = 0; round < 5; round += 1) {
      const a = await newContact(`a${round}@race.test`);
      const b = await newContact(`b${round}@race.test`);
      const [ab, ba] = await Promise.all([post(`/api/contacts/${a}/merge`, { intoContactId: b }), post(`/api/contacts/${b}/merge`, { intoContactId: a })]);
      const statuses = [ab.status, ba.status].sort();
      expect(statuses).toEqual([200, 409]);
      const refused = ab.status === 409 ? ab : ba;
      expect(refused.body.code).toMatch(/^contact-merge-(into|from)-merged$/);
      const kept = ab.status === 200 ? b : a;
      for (const id of [a, b]) {
        const res = await get(`/api/contacts/${id}`);
        expect(res.status).toBe(200);
        expect(res.body.id).toBe(kept);
        expect(res.body.emails.sort()).toEqual([`a${round}@race.test`, `b${round}@race.test`]);
      }
    }
  });

  it('the same merge twice at once is one merge, and both answer the contact merged into', async () => {
    const a = await newContact('twice-a@race.test');
    const b = await newContact('twice-b@race.test');
    const both = await Promise.all([post(`/api/contacts/${a}/merge`, { intoContactId: b }), post(`/api/contacts/${a}/merge`, { intoContactId: b })]);
    for (const res of both) {
      expect(res.status).toBe(200);
      expect(res.body.id).toBe(b);
    }
    const merged = await get(`/api/contacts/${b}`);
    expect(merged.body.emails.sort()).toEqual(['twice-a@race.test', 'twice-b@race.test']);
  });
});
