import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ContactResolver } from '../../src/application/contacts/contact-resolver';
import { inbound, startTestApp, type TestApp } from '../support/app-harness';

/**
 * Contacts, companies and record settings over HTTP, end to end on the embedded store
 * (docs/contacts.md): matching by identity across channels, merge and split, names and companies
 * filled by the contact-records process manager, custom properties, visibility.
 */
describe('contacts over HTTP', () => {
  let t: TestApp;
  let token: string;
  const password = 'password-123';

  beforeAll(async () => {
    t = await startTestApp();
    token = await t.login();
  });
  afterAll(() => t.close());

  const post = (url: string, body?: unknown, as = token) => t.request('POST', url, { body: body ?? {}, token: as });
  const put = (url: string, body: unknown, as = token) => t.request('PUT', url, { body, token: as });
  const patch = (url: string, body: unknown, as = token, headers: Record<string, string> = {}) => t.request('PATCH', url, { body, token: as, headers });
  const get = (url: string, as = token) => t.request('GET', url, { token: as });

  /** Posts a message on the API channel; answers the conversation's contact id. */
  const ingest = async (overrides: Record<string, unknown>) => {
    const res = await post('/api/channels/api/messages', inbound(overrides));
    expect(res.status).toBe(201);
    const conversation = await get(`/api/conversations/${res.body.conversationId}`);
    expect(conversation.status).toBe(200);
    return { conversationId: res.body.conversationId as string, contactId: conversation.body.contact.id as string };
  };

  /** The contact once the process manager has made it and the read model shows `ready`. */
  const contactWhen = async (id: string, ready: (contact: any) => boolean = () => true, as = token) => {
    const deadline = Date.now() + 10_000;
    let last: unknown;
    while (Date.now() < deadline) {
      const res = await get(`/api/contacts/${id}`, as);
      last = res.body;
      if (res.status === 200 && ready(res.body)) return res.body;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`contact ${id} never got ready: ${JSON.stringify(last)}`);
  };

  const conversationIdsOf = async (contactId: string) => {
    const res = await get(`/api/conversations?contactId=${contactId}`);
    expect(res.status).toBe(200);
    return (res.body.items as Array<{ id: string }>).map((item) => item.id).sort();
  };

  const newAgent = async (name: string) => {
    const email = `${name.toLowerCase()}-${Math.random().toString(36).slice(2)}@example.com`;
    const created = await post('/api/agents', { name, email, password, role: 'agent' });
    expect(created.status).toBe(201);
    return { id: created.body.id as string, token: await t.login(email, password) };
  };

  describe('identities across channels, merge and split', () => {
    const phone = '+31612345678';
    let ann: { conversationId: string; contactId: string };
    let caller: { conversationId: string; contactId: string };

    beforeAll(async () => {
      ann = await ingest({ from: { address: 'Ann@Acme.test', name: 'Ann Example' } });
      caller = await ingest({ from: { address: phone } });
    });

    it('an email address and a phone number land on two contacts, each with its identity', async () => {
      expect(caller.contactId).not.toBe(ann.contactId);
      const annContact = await contactWhen(ann.contactId);
      expect(annContact).toMatchObject({ id: ann.contactId, name: 'Ann Example', emails: ['ann@acme.test'], mergedInto: null });
      expect(annContact.conversations.map((c: { id: string }) => c.id)).toEqual([ann.conversationId]);
      const callerContact = await contactWhen(caller.contactId);
      expect(callerContact).toMatchObject({ name: null, identities: [{ kind: 'other', channel: 'api', value: phone }] });
      // A second message from the same address, in a new thread, finds the same contact.
      expect((await ingest({ from: { address: 'ann@acme.test' } })).contactId).toBe(ann.contactId);
    });

    it('merging makes one contact with both identities and both conversations; the merged id answers the one that remains', async () => {
      const annBefore = await contactWhen(ann.contactId);
      const merged = await post(`/api/contacts/${caller.contactId}/merge`, { intoContactId: ann.contactId });
      expect(merged.status).toBe(200);
      expect(merged.body.id).toBe(ann.contactId);
      expect(merged.body.identities.map((i: { value: string }) => i.value).sort()).toEqual([phone, 'ann@acme.test'].sort());
      expect(merged.body.revision).toBeGreaterThan(annBefore.revision);

      const contact = await contactWhen(ann.contactId, (c) => c.conversations.length >= 3);
      expect(contact.conversations.map((c: { id: string }) => c.id)).toEqual(expect.arrayContaining([ann.conversationId, caller.conversationId]));
      expect(await conversationIdsOf(ann.contactId)).toEqual(expect.arrayContaining([ann.conversationId, caller.conversationId]));
      const followed = await get(`/api/contacts/${caller.contactId}`);
      expect(followed.status).toBe(200);
      expect(followed.body.id).toBe(ann.contactId);

      // Merged twice, or into itself: refused with the reason.
      const again = await post(`/api/contacts/${ann.contactId}/merge`, { intoContactId: ann.contactId });
      expect(again.status).toBe(400);
      expect(again.body.code).toBe('contact-merge-self');
    });

    it('a later message from either identity lands on the merged contact', async () => {
      expect((await ingest({ from: { address: phone } })).contactId).toBe(ann.contactId);
      expect((await ingest({ from: { address: 'ann@acme.test' } })).contactId).toBe(ann.contactId);
      // Where the identity index has no answer yet (a read model behind), the merged contact's own stream points the way.
      expect(await t.app.get(ContactResolver).follow(caller.contactId)).toBe(ann.contactId);
    });

    it('split gives the identity a contact of its own, for its existing and its new conversations', async () => {
      const split = await post(`/api/contacts/${ann.contactId}/split`, { identity: `other:api:${phone}` });
      expect(split.status).toBe(201);
      const splitId = split.body.id as string;
      expect(splitId).not.toBe(ann.contactId);
      expect(split.body.identities).toEqual([{ kind: 'other', channel: 'api', value: phone }]);

      const remaining = await contactWhen(ann.contactId);
      expect(remaining.identities.map((i: { value: string }) => i.value)).toEqual(['ann@acme.test']);
      const newer = await ingest({ from: { address: phone } });
      expect(newer.contactId).toBe(splitId);
      const splitContact = await contactWhen(splitId, (c) => c.conversations.some((x: { id: string }) => x.id === caller.conversationId));
      expect(splitContact.conversations.map((c: { id: string }) => c.id)).toEqual(expect.arrayContaining([caller.conversationId, newer.conversationId]));
      expect(await conversationIdsOf(ann.contactId)).not.toContain(caller.conversationId);

      const last = await post(`/api/contacts/${splitId}/split`, { identity: `other:api:${phone}` });
      expect(last.status).toBe(409);
      expect(last.body.code).toBe('contact-split-last-identity');
      const unknown = await post(`/api/contacts/${ann.contactId}/split`, { identity: 'email:nobody@acme.test' });
      expect(unknown.status).toBe(400);
      expect(unknown.body.message).toContain('"email:nobody@acme.test"');
    });

    it('a conversation is linked to another contact with PUT /api/conversations/:id/contact', async () => {
      const other = await post('/api/contacts', { name: 'Other Person' });
      expect(other.status).toBe(201);
      const linked = await put(`/api/conversations/${ann.conversationId}/contact`, { contactId: other.body.id });
      expect(linked.status).toBe(200);
      expect(linked.body.events).toEqual(['ContactLinked']);
      expect((await get(`/api/conversations/${ann.conversationId}`)).body.contact.id).toBe(other.body.id);
      const unknown = await put(`/api/conversations/${ann.conversationId}/contact`, { contactId: '00000000-0000-4000-8000-000000000000' });
      expect(unknown.status).toBe(404);
    });

    it('the timeline lists what happened to the record and its conversations, with who did it', async () => {
      const res = await get(`/api/contacts/${ann.contactId}/timeline`);
      expect(res.status).toBe(200);
      const types = (res.body as Array<{ type: string }>).map((entry) => entry.type);
      expect(types).toEqual(expect.arrayContaining(['ContactCreated', 'ContactMergedIn', 'ContactIdentityRemoved', 'ConversationStarted']));
      const mergedIn = (res.body as Array<{ type: string; actor: { type: string; name?: string } }>).find((entry) => entry.type === 'ContactMergedIn');
      expect(mergedIn?.actor).toMatchObject({ type: 'agent', name: 'Admin' });
    });
  });

  describe('names and companies', () => {
    it('a later message with a name fills an empty name, never a set one', async () => {
      const first = await ingest({ from: { address: 'bob@gmail.com' } });
      expect((await contactWhen(first.contactId)).name).toBeNull();
      await ingest({ from: { address: 'bob@gmail.com', name: 'Bob Jones' } });
      await contactWhen(first.contactId, (c) => c.name === 'Bob Jones');

      const edited = await patch(`/api/contacts/${first.contactId}`, { name: 'Robert' });
      expect(edited.status).toBe(200);
      expect(edited.body.name).toBe('Robert');
      await ingest({ from: { address: 'bob@gmail.com', name: 'Bobby' } });
      await ingest({ from: { address: 'marker@example.net' } }).then(({ contactId }) => contactWhen(contactId)); // the manager has passed Bobby's message
      expect((await contactWhen(first.contactId)).name).toBe('Robert');
      // A gmail.com address makes no company.
      expect((await contactWhen(first.contactId)).companyId).toBeNull();
    });

    it('an address at a company domain makes the company and joins it; the free-mail list is configurable', async () => {
      const ceo = await ingest({ from: { address: 'ceo@globex-corp.test', name: 'Hank' } });
      const contact = await contactWhen(ceo.contactId, (c) => c.companyId !== null);
      expect(contact.company).toMatchObject({ name: 'Globex Corp', domain: 'globex-corp.test' });
      const cfo = await ingest({ from: { address: 'cfo@globex-corp.test' } });
      expect((await contactWhen(cfo.contactId, (c) => c.companyId !== null)).companyId).toBe(contact.companyId);
      const company = await get(`/api/companies/${contact.companyId}`);
      expect(company.status).toBe(200);
      expect(company.body.contacts.map((c: { id: string }) => c.id).sort()).toEqual([ceo.contactId, cfo.contactId].sort());
      expect((await get('/api/companies?q=globex')).body.items.map((c: { id: string }) => c.id)).toContain(contact.companyId);

      const set = await put('/api/record-settings/free-mail-domains', { domains: ['Initech.test', 'gmail.com'] });
      expect(set.status).toBe(200);
      expect(set.body.freeMailDomains).toEqual(['initech.test', 'gmail.com']);
      const initech = await ingest({ from: { address: 'peter@initech.test' } });
      const outlook = await ingest({ from: { address: 'sam@outlook.com' } });
      expect((await contactWhen(outlook.contactId, (c) => c.companyId !== null)).company.name).toBe('Outlook');
      expect((await contactWhen(initech.contactId)).companyId).toBeNull();
      const bad = await put('/api/record-settings/free-mail-domains', { domains: ['gmail.com', 'not a domain'] });
      expect(bad.status).toBe(400);
      expect(bad.body.message).toBe('domains[1] is not an email domain like gmail.com (got "not a domain")');
    });
  });

  describe('properties', () => {
    let contactId: string;

    beforeAll(async () => {
      for (const definition of [
        { object: 'contact', key: 'plan', label: 'Plan', type: 'choice', options: ['Free', 'Pro'] },
        { object: 'contact', key: 'seats', label: 'Seats', type: 'number' },
        { object: 'contact', key: 'renewal', label: 'Renewal', type: 'date' },
        { object: 'contact', key: 'notes', label: 'Notes', type: 'text' },
      ]) {
        expect((await post('/api/record-settings/properties', definition)).status).toBe(201);
      }
      const created = await post('/api/contacts', { name: 'Dana', emails: ['dana@example.org'], phones: ['+31 6 1111 2222'] });
      expect(created.status).toBe(201);
      contactId = created.body.id;
    });

    it('takes a value of each type and clears one with null', async () => {
      const res = await patch(`/api/contacts/${contactId}`, {
        custom: { plan: 'Pro', seats: 12, renewal: '2027-03-01', notes: 'Key account' },
        jobTitle: 'CTO',
      });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ jobTitle: 'CTO', custom: { plan: 'Pro', seats: 12, renewal: '2027-03-01', notes: 'Key account' } });
      expect(res.headers.etag).toBe(`"${res.body.revision}"`);
      const cleared = await patch(`/api/contacts/${contactId}`, { custom: { notes: null } });
      expect(cleared.body.custom).toEqual({ plan: 'Pro', seats: 12, renewal: '2027-03-01' });
    });

    it.each([
      [{ custom: { seats: 'many' } }, 'custom.seats must be a number (got "many")'],
      [{ custom: { renewal: '01-03-2027' } }, 'custom.renewal must be a date as YYYY-MM-DD (got "01-03-2027")'],
      [{ custom: { plan: 'Gold' } }, 'custom.plan must be one of Free, Pro (got "Gold")'],
      [{ custom: { colour: 'red' } }, 'custom.colour is not a property of contacts; an admin defines properties in the record settings'],
      [{ emails: ['dana@example.org', 'nope'] }, 'emails[1] is not an email address (got "nope")'],
      [{ phones: ['12'] }, 'phones[0] is not a phone number like +31612345678 (got "12")'],
    ])('refuses %j with a 400 naming the field and the value', async (body, message) => {
      const res = await patch(`/api/contacts/${contactId}`, body);
      expect({ status: res.status, message: res.body.message }).toEqual({ status: 400, message });
    });

    it('answers the refusal in Dutch for a Dutch reader', async () => {
      const res = await t.request('PATCH', `/api/contacts/${contactId}`, { body: { custom: { seats: 'veel' } }, token, headers: { 'accept-language': 'nl' } });
      expect(res.status).toBe(400);
      expect(res.body.message).toBe('custom.seats moet een getal zijn (kreeg "veel")');
    });

    it('a stale If-Match is a 409 and writes nothing', async () => {
      const current = await get(`/api/contacts/${contactId}`);
      const stale = await patch(`/api/contacts/${contactId}`, { jobTitle: 'CEO' }, token, { 'if-match': `"${current.body.revision - 1}"` });
      expect(stale.status).toBe(409);
      expect((await get(`/api/contacts/${contactId}`)).body.jobTitle).toBe('CTO');
    });

    it('an identity another contact holds is refused: that is a merge', async () => {
      const res = await post('/api/contacts', { emails: ['dana@example.org'] });
      expect(res.status).toBe(409);
      expect(res.body.code).toBe('contact-identity-taken');
    });

    it('record settings: every agent reads them, only admins change them', async () => {
      const agent = await newAgent('Reader');
      const settings = await get('/api/record-settings', agent.token);
      expect(settings.status).toBe(200);
      expect(settings.body.properties.map((p: { key: string }) => p.key)).toEqual(expect.arrayContaining(['plan', 'seats', 'renewal', 'notes']));
      expect((await post('/api/record-settings/properties', { object: 'contact', key: 'x', label: 'X', type: 'text' }, agent.token)).status).toBe(403);
      const card = await put('/api/record-settings/card-properties/contact', { keys: ['emails', 'plan'] });
      expect(card.status).toBe(200);
      expect(card.body.cardProperties.contact).toEqual(['emails', 'plan']);
      const archived = await t.request('DELETE', '/api/record-settings/properties/contact/notes', { token });
      expect(archived.status).toBe(200);
      expect(archived.body.properties.map((p: { key: string }) => p.key)).not.toContain('notes');
      const reused = await post('/api/record-settings/properties', { object: 'contact', key: 'notes', label: 'Notes', type: 'text' });
      expect(reused.status).toBe(400);
      expect(reused.body.code).toBe('property-key-taken');
    });
  });

  describe('visibility', () => {
    it('a contact of an inbox the agent cannot reach answers 404 like an unknown one; admins see it', async () => {
      const inbox = await post('/api/inboxes', { name: `Private ${Math.random().toString(36).slice(2)}` });
      expect(inbox.status).toBe(201);
      const secret = await ingest({ inboxId: inbox.body.id, from: { address: 'secret@hidden.test', name: 'Hidden Person' } });
      await contactWhen(secret.contactId);
      const outsider = await newAgent('Outsider');
      const res = await get(`/api/contacts/${secret.contactId}`, outsider.token);
      expect(res.status).toBe(404);
      expect(res.body.message).toBe(`contact ${secret.contactId} not found`);
      expect((await get(`/api/contacts/00000000-0000-4000-8000-000000000000`, outsider.token)).status).toBe(404);
      expect((await get(`/api/contacts/${secret.contactId}/timeline`, outsider.token)).status).toBe(404);
      expect((await patch(`/api/contacts/${secret.contactId}`, { name: 'X' }, outsider.token)).status).toBe(404);
      const found = await get('/api/contacts?q=hidden', outsider.token);
      expect(found.status).toBe(200);
      expect(found.body.items.map((c: { id: string }) => c.id)).not.toContain(secret.contactId);
      expect((await get('/api/contacts?q=hidden')).body.items.map((c: { id: string }) => c.id)).toContain(secret.contactId);
    });
  });
});

describe('contacts for conversations older than the records', () => {
  it('the process manager starts at the beginning of the log: existing conversations get their contacts and companies', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'parley-contacts-old-'));
    try {
      // Without background work no process manager runs: the conversations are stored, their records are not.
      const before = await startTestApp({ dataDir, backgroundWork: false });
      const token = await before.login();
      const res = await before.request('POST', '/api/channels/api/messages', {
        token,
        body: inbound({ from: { address: 'old@umbrella.test', name: 'Old Timer' } }),
      });
      expect(res.status).toBe(201);
      const contactId = (await before.request('GET', `/api/conversations/${res.body.conversationId}`, { token })).body.contact.id as string;
      expect((await before.request('GET', `/api/contacts/${contactId}`, { token })).status).toBe(404);
      await before.close();

      const after = await startTestApp({ dataDir });
      try {
        const again = await after.login();
        const deadline = Date.now() + 10_000;
        let contact: any;
        while (Date.now() < deadline) {
          contact = (await after.request('GET', `/api/contacts/${contactId}`, { token: again })).body;
          if (contact?.companyId) break;
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
        expect(contact).toMatchObject({
          id: contactId,
          name: 'Old Timer',
          emails: ['old@umbrella.test'],
          company: { name: 'Umbrella', domain: 'umbrella.test' },
        });
        expect(contact.conversations.map((c: { id: string }) => c.id)).toEqual([res.body.conversationId]);
      } finally {
        await after.close();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 60_000);
});
