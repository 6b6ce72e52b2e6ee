import { randomUUID } from 'node:crypto';
import { EVENT_STORE, type EventStore } from '../../src/application/ports/event-store.port';
import { streams } from '../../src/application/streams';
import { inbound, startTestApp, type Response, type TestApp } from '../support/app-harness';
import { until } from '../support/meta-e2e';

interface Ticket {
  id: string;
  conversationId: string;
  inboxId: string;
  contactId: string | null;
  name: string;
  status: string;
  priority: string | null;
  ownerId: string | null;
  custom: Record<string, string | number>;
  closedAt: string | null;
  revision: number;
  owner?: { id: string; name: string } | null;
  conversation?: { id: string; ticket: { id: string } | null };
  otherTickets?: Ticket[];
}

/** Tickets as records over HTTP (docs/tickets.md): made from a conversation, changed, listed, and what rules 5, 7, 8 and 10 do to them. */
describe('tickets over HTTP', () => {
  let t: TestApp;
  let admin: string;
  let mia: string;
  let miaId: string;
  let beaId: string;
  let otto: string;
  let inboxId: string;

  const api = <T = any>(method: string, url: string, token: string, body?: unknown, headers?: Record<string, string>): Promise<Response<T>> =>
    t.request<T>(method, url, { token, body, headers });
  const ingest = async (overrides: Record<string, unknown> = {}) => {
    const res = await api('POST', '/api/channels/api/messages', admin, inbound({ inboxId, ...overrides }));
    expect(res.status).toBe(201);
    return res.body.conversationId as string;
  };
  const createTicket = async (conversationId: string, body: Record<string, unknown>, token = mia) => {
    const res = await api<{ id: string; revision: number; ticketId: string; ticket: Ticket }>(
      'POST',
      `/api/conversations/${conversationId}/ticket`,
      token,
      body,
    );
    expect(res.status).toBe(201);
    return res.body.ticket;
  };
  const list = async (query: string, token = mia) => {
    const res = await api<{ items: Ticket[]; nextCursor: string | null }>('GET', `/api/tickets?${query}`, token);
    expect(res.status).toBe(200);
    return res.body.items.map((ticket) => ticket.id);
  };
  const patch = (ticketId: string, body: unknown, revision?: number) =>
    api('PATCH', `/api/tickets/${ticketId}`, mia, body, revision === undefined ? undefined : { 'if-match': `"${revision}"` });

  beforeAll(async () => {
    t = await startTestApp();
    admin = await t.login();
    const agent = async (name: string, email: string) => {
      const res = await api('POST', '/api/agents', admin, { name, email, password: 'password-123', role: 'agent' });
      expect(res.status).toBe(201);
      return res.body.id as string;
    };
    miaId = await agent('Mia Member', 'mia@example.com');
    beaId = await agent('Bea Elsewhere', 'bea@example.com');
    await agent('Otto Outsider', 'otto@example.com');
    const inbox = await api('POST', '/api/inboxes', admin, { name: 'Support tickets' });
    expect(inbox.status).toBe(201);
    inboxId = inbox.body.id;
    expect((await api('PUT', `/api/inboxes/${inboxId}/members`, admin, { agentIds: [miaId] })).status).toBe(200);
    mia = await t.login('mia@example.com', 'password-123');
    otto = await t.login('otto@example.com', 'password-123');
    const property = await api('POST', '/api/record-settings/properties', admin, {
      object: 'ticket',
      key: 'tier',
      label: 'Tier',
      type: 'choice',
      options: ['gold', 'silver'],
    });
    expect(property.status).toBe(201);
  });
  afterAll(() => t.close());

  it('makes a ticket from a conversation: the conversation keeps id and revision, the answer carries the ticket with its page data', async () => {
    const conversationId = await ingest({ from: { address: 'ana@acme.example', name: 'Ana' } });
    const res = await api('POST', `/api/conversations/${conversationId}/ticket`, mia, {
      name: '  Refund order 1107 ',
      priority: 'high',
      ownerId: miaId,
      custom: { tier: 'gold' },
    });
    expect(res.status).toBe(201);
    const { id, revision, ticketId, ticket } = res.body;
    expect(id).toBe(conversationId);
    const conversation = await api('GET', `/api/conversations/${conversationId}`, mia);
    expect(revision).toBe(conversation.body.revision);
    expect(conversation.body.ticket).toMatchObject({ id: ticketId, name: 'Refund order 1107', status: 'open' });
    expect(ticket).toMatchObject({
      id: ticketId,
      conversationId,
      inboxId,
      name: 'Refund order 1107',
      status: 'new',
      priority: 'high',
      ownerId: miaId,
      owner: { id: miaId, name: 'Mia Member' },
      custom: { tier: 'gold' },
      closedAt: null,
      conversation: { id: conversationId },
    });
    expect(ticket.contactId).toBe(conversation.body.contact.id);

    const read = await api<Ticket>('GET', `/api/tickets/${ticketId}`, mia);
    expect(read.status).toBe(200);
    expect(read.headers.etag).toBe(`"${read.body.revision}"`);
    expect(read.body).toMatchObject({ id: ticketId, name: 'Refund order 1107', priority: 'high', owner: { id: miaId }, otherTickets: [] });

    // Rule 10: one ticket per conversation, linked for good.
    const second = await api('POST', `/api/conversations/${conversationId}/ticket`, mia, { name: 'Another' });
    expect(second.status).toBe(409);
    expect(second.body.message).toContain('already has the ticket "Refund order 1107"');
  });

  it('refuses a bad ticket before the conversation gets it: nothing half made', async () => {
    const conversationId = await ingest();
    for (const [body, words] of [
      [{ name: '' }, 'name'],
      [{ name: 'x', status: 'done' }, '"done"'],
      [{ name: 'x', priority: 'asap' }, '"asap"'],
      [{ name: 'x', ownerId: beaId }, 'Bea Elsewhere'],
      [{ name: 'x', custom: { tier: 'bronze' } }, 'custom.tier'],
    ] as const) {
      const res = await api('POST', `/api/conversations/${conversationId}/ticket`, mia, body);
      expect({ status: res.status, message: String(res.body.message) }).toEqual({ status: 400, message: expect.stringContaining(words) });
    }
    expect((await api('GET', `/api/conversations/${conversationId}`, mia)).body.ticket).toBeNull();
    expect((await api('POST', `/api/conversations/${conversationId}/ticket`, mia, { name: 'Now right' })).status).toBe(201);
  });

  it('changes each property, names field and value in a 400, answers 409 to a stale If-Match, and writes nothing for no change', async () => {
    const ticket = await createTicket(await ingest(), { name: 'Broken kettle' });
    let revision = ticket.revision;
    const steps: Array<[Record<string, unknown>, Partial<Ticket>]> = [
      [{ name: 'Broken kettle, model K2' }, { name: 'Broken kettle, model K2' }],
      [{ status: 'waiting-on-contact' }, { status: 'waiting-on-contact' }],
      [{ priority: 'urgent' }, { priority: 'urgent' }],
      [{ ownerId: miaId }, { ownerId: miaId, owner: { id: miaId, name: 'Mia Member' } }],
      [{ custom: { tier: 'silver' } }, { custom: { tier: 'silver' } }],
      [
        { priority: null, ownerId: null, custom: { tier: null } },
        { priority: null, ownerId: null, owner: null, custom: {} },
      ],
    ];
    for (const [body, expected] of steps) {
      const res = await patch(ticket.id, body, revision);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject(expected);
      expect(res.body.revision).toBe(revision + 1);
      expect(res.headers.etag).toBe(`"${res.body.revision}"`);
      revision = res.body.revision;
    }

    const same = await patch(ticket.id, { name: 'Broken kettle, model K2', status: 'waiting-on-contact' }, revision);
    expect(same.status).toBe(200);
    expect(same.body.revision).toBe(revision);

    const stale = await patch(ticket.id, { priority: 'low' }, revision - 1);
    expect(stale.status).toBe(409);
    expect((await api<Ticket>('GET', `/api/tickets/${ticket.id}`, mia)).body.priority).toBeNull();

    for (const [body, words] of [
      [{ name: '   ' }, ['name']],
      [{ name: 'y'.repeat(201) }, ['name', '201']],
      [{ status: 'done' }, ['status', '"done"']],
      [{ priority: 'p1' }, ['priority', '"p1"']],
      [{ ownerId: 'nobody' }, ['ownerId', '"nobody"']],
      [{ ownerId: beaId }, ['Bea Elsewhere', beaId]],
      [{ custom: { colour: 'red' } }, ['custom.colour']],
      [{ custom: { tier: 'bronze' } }, ['custom.tier', '"bronze"']],
      [{ unknownField: 1 }, ['unknownField']],
    ] as const) {
      const res = await patch(ticket.id, body);
      expect(res.status).toBe(400);
      for (const word of words) expect(JSON.stringify(res.body.message)).toContain(word.replace(/"/g, '\\"'));
    }
    expect((await api<Ticket>('GET', `/api/tickets/${ticket.id}`, mia)).body.revision).toBe(revision);
  });

  it('lists tickets by status, owner, no owner, priority, contact and words; bad parameters are a 400 naming each', async () => {
    const address = `list-${Date.now()}@acme.example`;
    const a = await createTicket(await ingest({ from: { address } }), { name: 'Alpha invoice', priority: 'low', ownerId: miaId });
    const b = await createTicket(await ingest({ from: { address } }), { name: 'Beta shipping', status: 'waiting-on-us', priority: 'urgent' });
    const c = await createTicket(await ingest(), { name: 'Gamma invoice', priority: 'low' });
    const contactId = a.contactId;
    expect(contactId).toEqual(b.contactId);

    expect(await list(`inboxId=${inboxId}&limit=100`)).toEqual(expect.arrayContaining([a.id, b.id, c.id]));
    const byStatus = await list('status=waiting-on-us&limit=100');
    expect(byStatus).toContain(b.id);
    expect(byStatus).not.toContain(a.id);
    const byOwner = await list(`ownerId=${miaId}&limit=100`);
    expect(byOwner).toContain(a.id);
    expect(byOwner).not.toContain(b.id);
    const noOwner = await list('ownerId=none&limit=100');
    expect(noOwner).toEqual(expect.arrayContaining([b.id, c.id]));
    expect(noOwner).not.toContain(a.id);
    const low = await list('priority=low&limit=100');
    expect(low).toEqual(expect.arrayContaining([a.id, c.id]));
    expect(low).not.toContain(b.id);
    expect((await list(`contactId=${contactId}`)).sort()).toEqual([a.id, b.id].sort());
    const words = await list('q=invoice&limit=100');
    expect(words).toEqual(expect.arrayContaining([a.id, c.id]));
    expect(words).not.toContain(b.id);

    // The contact's other tickets show on each.
    expect((await api<Ticket>('GET', `/api/tickets/${a.id}`, mia)).body.otherTickets!.map((o) => o.id)).toEqual([b.id]);

    const bad = await api('GET', '/api/tickets?status=done&ownerId=someone&priority=p0&contactId=x&limit=500', mia);
    expect(bad.status).toBe(400);
    const message = JSON.stringify(bad.body.message);
    for (const word of ['status', 'done', 'ownerId', 'someone', 'priority', 'p0', 'contactId', 'limit', '500']) expect(message).toContain(word);
    expect((await api('GET', '/api/tickets?limit=0', mia)).status).toBe(400);
  });

  it('rule 8: closing the conversation with its ticket closes the ticket record; closing only the conversation leaves it', async () => {
    const both = await ingest();
    const bothTicket = await createTicket(both, { name: 'Close both' });
    const only = await ingest();
    const onlyTicket = await createTicket(only, { name: 'Close conversation only', status: 'waiting-on-us' });

    expect((await api('POST', `/api/conversations/${both}/close`, mia, { closeTicket: true })).status).toBe(200);
    expect((await api('POST', `/api/conversations/${only}/close`, mia, { closeTicket: false })).status).toBe(200);

    const closed = await until('the ticket record to close with its conversation', async () => {
      const res = await api<Ticket>('GET', `/api/tickets/${bothTicket.id}`, mia);
      return res.body.status === 'closed' ? res.body : null;
    });
    expect(closed.closedAt).toEqual(expect.any(String));
    expect(await list('status=closed&limit=100')).toContain(bothTicket.id);
    expect((await api<Ticket>('GET', `/api/tickets/${onlyTicket.id}`, mia)).body.status).toBe('waiting-on-us');

    // Closing the ticket by hand leaves its conversation as it is.
    await api('POST', `/api/conversations/${only}/reopen`, mia);
    expect((await patch(onlyTicket.id, { status: 'closed' })).body.status).toBe('closed');
    expect((await api('GET', `/api/conversations/${only}`, mia)).body.status).toBe('open');
  });

  it('rule 5: blocking the sender removes the ticket record for good; the conversation history says why', async () => {
    const address = `blocked-${Date.now()}@acme.example`;
    const conversationId = await ingest({ from: { address } });
    const ticket = await createTicket(conversationId, { name: 'From a sender to block' });
    expect((await api('POST', `/api/conversations/${conversationId}/block-sender`, mia)).status).toBe(200);

    await until('the ticket record to be removed', async () => !(await list('limit=100')).includes(ticket.id));
    expect((await api('GET', `/api/tickets/${ticket.id}`, mia)).status).toBe(404);
    expect((await patch(ticket.id, { name: 'Back?' })).status).toBe(404);
    // The ticket's own stream is deleted for good once its TicketRemoved was projected.
    const store = t.app.get<EventStore>(EVENT_STORE);
    await until('the ticket stream to be deleted', async () => (await store.readStream(streams.ticket(ticket.id))).length === 0);
    const history = await api('GET', `/api/conversations/${conversationId}/history`, admin);
    expect(history.body.events).toEqual(
      expect.arrayContaining([expect.objectContaining({ type: 'TicketDeleted', data: { ticketId: ticket.id, reason: 'sender-blocked' } })]),
    );
    expect((await api('GET', `/api/conversations/${conversationId}`, mia)).body.ticket).toBeNull();
  });

  it('rule 7: deleting the conversation forever removes its ticket record for good', async () => {
    const conversationId = await ingest();
    const ticket = await createTicket(conversationId, { name: 'Deleted with its conversation' });
    const trashed = await api('POST', `/api/conversations/${conversationId}/trash`, mia);
    expect(trashed.status).toBe(200);
    // Trash alone keeps the ticket.
    expect((await api('GET', `/api/tickets/${ticket.id}`, mia)).status).toBe(200);
    const history = await api('GET', `/api/conversations/${conversationId}/history`, admin);
    expect(history.status).toBe(200);
    expect((await api('DELETE', `/api/conversations/${conversationId}`, mia)).status).toBe(200);

    // The record leaves the lists once the ticket's own stream says TicketRemoved (a moment after the conversation is gone).
    await until('the ticket record to be removed', async () => !(await list('limit=100')).includes(ticket.id));
    expect((await api('GET', `/api/tickets/${ticket.id}`, mia)).status).toBe(404);
    expect((await api('GET', `/api/tickets/${ticket.id}`, admin)).status).toBe(404);
    const store = t.app.get<EventStore>(EVENT_STORE);
    await until('the ticket stream to be deleted', async () => (await store.readStream(streams.ticket(ticket.id))).length === 0);
  });

  it('a ticket its conversation recorded before tickets were records gets its record from the process manager', async () => {
    const conversationId = await ingest();
    const store = t.app.get<EventStore>(EVENT_STORE);
    const streamId = streams.conversation(conversationId);
    const [last] = await store.readStream(streamId, { direction: 'backwards', maxCount: 1 });
    const ticketId = randomUUID();
    const metadata = { actor: { type: 'system' as const }, occurredAt: new Date().toISOString(), correlationId: randomUUID(), causationId: randomUUID() };
    // Only the conversation's event, as Parley wrote it before tickets had streams of their own.
    await store.append(streamId, [{ id: randomUUID(), type: 'TicketCreated', data: { ticketId, name: 'Made long ago' }, metadata }], {
      expectedRevision: last.revision,
    });

    const ticket = await until('the ticket record', async () => {
      const res = await api<Ticket>('GET', `/api/tickets/${ticketId}`, mia);
      return res.status === 200 ? res.body : null;
    });
    expect(ticket).toMatchObject({ id: ticketId, conversationId, inboxId, name: 'Made long ago', status: 'new', priority: null, ownerId: null, revision: 0 });
    expect((await patch(ticketId, { priority: 'medium' }, 0)).body).toMatchObject({ priority: 'medium', revision: 1 });
  });

  it('an agent outside the inbox gets 404 for its tickets, as for an unknown id, and never sees them listed', async () => {
    const ticket = await createTicket(await ingest(), { name: 'Private to the team' });
    for (const res of [
      await api('GET', `/api/tickets/${ticket.id}`, otto),
      await api('PATCH', `/api/tickets/${ticket.id}`, otto, { priority: 'high' }),
      await api('PATCH', `/api/tickets/${ticket.id}`, otto, { priority: 'high' }, { 'if-match': '"0"' }),
      await api('GET', `/api/tickets?inboxId=${inboxId}`, otto),
    ]) {
      expect(res.status).toBe(404);
    }
    const unknown = await api('GET', `/api/tickets/${'0'.repeat(8)}-0000-4000-8000-${'0'.repeat(12)}`, otto);
    expect(unknown.status).toBe(404);
    expect(await list('limit=100', otto)).not.toContain(ticket.id);
    expect((await api('GET', `/api/tickets/${ticket.id}`, admin)).status).toBe(200);
    expect((await api('POST', `/api/conversations/${ticket.conversationId}/ticket`, otto, { name: 'x' })).status).toBe(404);
  });
});
