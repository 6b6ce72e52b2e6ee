import { randomUUID } from 'node:crypto';
import { inbound, startTestApp, type TestApp } from '../support/app-harness';

/**
 * A conversation unlinked from its contact is no longer the contact's in the read models, but its
 * messages are still that person's: the contact's export and erasure cover it, until it is linked to
 * another contact (docs/privacy.md).
 */
describe('export and erasure after an unlink', () => {
  let t: TestApp;
  let admin: string;
  const unique = randomUUID().slice(0, 8);
  const address = `una.${unique}@example.org`;
  const kept = `Keptsecret${unique}`;

  const get = (url: string) => t.request('GET', url, { token: admin });
  const post = (url: string, body: unknown = {}) => t.request('POST', url, { token: admin, body });
  const contactWhen = async (id: string, ready: (contact: any) => boolean) => {
    for (let i = 0; i < 200; i += 1) {
      const res = await get(`/api/contacts/${id}`);
      if (res.status === 200 && ready(res.body)) return res.body;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`contact ${id} never got ready`);
  };
  const ingest = async (text: string) => {
    const res = await post('/api/channels/api/messages', inbound({ from: { address, name: 'Una Linked' }, text }));
    expect(res.status).toBe(201);
    const conversation = await get(`/api/conversations/${res.body.conversationId}`);
    return { conversationId: res.body.conversationId as string, contactId: conversation.body.contact.id as string };
  };

  beforeAll(async () => {
    t = await startTestApp();
    admin = await t.login();
  }, 120_000);
  afterAll(() => t?.close());

  it('covers the unlinked conversation in the export and the erasure', async () => {
    const linked = await ingest('About my order');
    const unlinked = await ingest(`Not mine: ${kept}`);
    expect(unlinked.contactId).toBe(linked.contactId);
    const contactId = linked.contactId;
    await contactWhen(contactId, (c) => c.conversations.length === 2);

    expect((await post(`/api/conversations/${unlinked.conversationId}/unlink-contact`)).status).toBe(200);
    await contactWhen(contactId, (c) => c.conversations.map((x: { id: string }) => x.id).join() === linked.conversationId);

    const exported = (await get(`/api/contacts/${contactId}/export`)).body;
    expect((exported.conversations as Array<{ id: string }>).map((c) => c.id).sort()).toEqual([linked.conversationId, unlinked.conversationId].sort());
    expect(JSON.stringify(exported)).toContain(kept);

    const erased = await post(`/api/contacts/${contactId}/erase`, { confirm: contactId });
    expect(erased.status).toBe(200);
    expect(erased.body).toMatchObject({ contactId, erased: true, conversations: 2 });
    expect(JSON.stringify((await get(`/api/conversations/${unlinked.conversationId}`)).body)).not.toContain(kept);
  }, 60_000);

  it('leaves a conversation linked to another contact out', async () => {
    const first = await ingest('Mine');
    const moved = await ingest(`Someone else's: ${kept}`);
    const other = await post('/api/contacts', { name: 'Other Person', emails: [`other.${unique}@example.org`] });
    expect(other.status).toBe(201);
    expect((await t.request('PUT', `/api/conversations/${moved.conversationId}/contact`, { token: admin, body: { contactId: other.body.id } })).status).toBe(
      200,
    );
    await contactWhen(first.contactId, (c) => !c.conversations.some((x: { id: string }) => x.id === moved.conversationId));
    const exported = (await get(`/api/contacts/${first.contactId}/export`)).body;
    expect((exported.conversations as Array<{ id: string }>).map((c) => c.id)).not.toContain(moved.conversationId);
  }, 60_000);
});
