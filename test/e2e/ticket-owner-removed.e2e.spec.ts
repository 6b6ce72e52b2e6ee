import { inbound, startTestApp, type TestApp } from '../support/app-harness';
import { until } from '../support/meta-e2e';

/** A ticket whose owner is removed from the account gets no owner, as rule 4 does for conversations (docs/tickets.md). */
describe('tickets of an agent removed from the account', () => {
  let t: TestApp;
  let admin: string;

  beforeAll(async () => {
    t = await startTestApp();
    admin = await t.login();
  });
  afterAll(() => t.close());

  const api = (method: string, url: string, body?: unknown) => t.request(method, url, { token: admin, body });

  it("every ticket the agent owned, open or closed, loses its owner; others' tickets keep theirs", async () => {
    const agent = async (name: string, email: string) => {
      const res = await api('POST', '/api/agents', { name, email, password: 'password-123', role: 'agent' });
      expect(res.status).toBe(201);
      return res.body.id as string;
    };
    const leaverId = await agent('Lea Leaving', 'lea@example.com');
    const stayerId = await agent('Sam Staying', 'sam@example.com');
    const inbox = await api('POST', '/api/inboxes', { name: 'Owners' });
    const inboxId = inbox.body.id as string;
    expect((await api('PUT', `/api/inboxes/${inboxId}/members`, { agentIds: [leaverId, stayerId] })).status).toBe(200);

    const ticketFor = async (name: string, ownerId: string, status?: string) => {
      const conversation = await api('POST', '/api/channels/api/messages', inbound({ inboxId }));
      expect(conversation.status).toBe(201);
      const res = await api('POST', `/api/conversations/${conversation.body.conversationId}/ticket`, { name, ownerId, ...(status ? { status } : {}) });
      expect(res.status).toBe(201);
      return res.body.ticket.id as string;
    };
    const open = await ticketFor('Open one', leaverId);
    const closed = await ticketFor('Closed one', leaverId, 'closed');
    const kept = await ticketFor('Someone else', stayerId);
    expect((await api('GET', `/api/tickets/${open}`)).body.ownerId).toBe(leaverId);

    expect((await api('DELETE', `/api/agents/${leaverId}`)).status).toBe(200);

    await until('the removed agent owns no ticket', async () => (await api('GET', `/api/tickets?ownerId=${leaverId}`)).body.items.length === 0);
    for (const id of [open, closed]) {
      const ticket = await api('GET', `/api/tickets/${id}`);
      expect(ticket.body).toMatchObject({ id, ownerId: null, owner: null });
    }
    expect((await api('GET', `/api/tickets/${closed}`)).body.status).toBe('closed');
    expect((await api('GET', `/api/tickets/${kept}`)).body.ownerId).toBe(stayerId);
  });
});
