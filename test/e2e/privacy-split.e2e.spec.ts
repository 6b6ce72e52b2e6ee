import { randomUUID } from 'node:crypto';
import { inbound, startTestApp, type TestApp } from '../support/app-harness';

/**
 * A split moves a contact's conversations of the split identity to the new contact in the read
 * models only (no event on the conversations). A privacy request must follow that: the split-off
 * contact's export and erasure cover the conversations it holds, and the contact it left no longer
 * covers them (docs/privacy.md).
 */
describe('export and erasure after a split', () => {
  let t: TestApp;
  let admin: string;
  const unique = randomUUID().slice(0, 8);
  const phone = `+3161${String(Date.now()).slice(-7)}`;
  const secret = `Splitsecret${unique}`;

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
  const ingest = async (overrides: Record<string, unknown>) => {
    const res = await post('/api/channels/api/messages', inbound(overrides));
    expect(res.status).toBe(201);
    const conversation = await get(`/api/conversations/${res.body.conversationId}`);
    return { conversationId: res.body.conversationId as string, contactId: conversation.body.contact.id as string };
  };

  beforeAll(async () => {
    t = await startTestApp();
    admin = await t.login();
  }, 120_000);
  afterAll(() => t?.close());

  it("covers the split-off contact's conversations, and no longer the contact it left", async () => {
    const ann = await ingest({ from: { address: `ann.${unique}@example.org`, name: 'Ann Example' }, text: 'About my order' });
    const caller = await ingest({ from: { address: phone }, text: `Call me about ${secret}` });
    await contactWhen(ann.contactId, () => true);
    await contactWhen(caller.contactId, () => true);
    expect((await post(`/api/contacts/${caller.contactId}/merge`, { intoContactId: ann.contactId })).status).toBe(200);
    const split = await post(`/api/contacts/${ann.contactId}/split`, { identity: `other:api:${phone}` });
    expect(split.status).toBe(201);
    const splitId = split.body.id as string;
    await contactWhen(splitId, (c) => c.conversations.some((x: { id: string }) => x.id === caller.conversationId));

    const exportIds = async (id: string) => ((await get(`/api/contacts/${id}/export`)).body.conversations as Array<{ id: string }>).map((c) => c.id);
    expect(await exportIds(splitId)).toEqual([caller.conversationId]);
    expect(await exportIds(ann.contactId)).toEqual([ann.conversationId]);

    const erased = await post(`/api/contacts/${splitId}/erase`, { confirm: splitId });
    expect(erased.status).toBe(200);
    expect(erased.body).toMatchObject({ contactId: splitId, erased: true, conversations: 1 });
    expect(JSON.stringify((await get(`/api/conversations/${caller.conversationId}`)).body)).not.toContain(secret);
    expect(JSON.stringify((await get(`/api/conversations/${ann.conversationId}`)).body)).toContain('About my order');
  }, 60_000);
});
