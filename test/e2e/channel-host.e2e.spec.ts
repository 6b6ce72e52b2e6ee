import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ChannelActivity, TYPING_THROTTLE_MS, type AgentActivityNotice } from '../../src/application/live/channel-activity';
import { HostConversationsService } from '../../src/plugins/registry/host-conversations';
import { inbound, ManualClock, startTestApp, type TestApp } from '../support/app-harness';

/**
 * The host's side of conversations and live activity that a real-time channel (chat) builds on,
 * in a complete app: the contact's view of a thread, closing on the channel's behalf, status
 * changes from the event log, typing and "seen" both ways, and whether anyone is available.
 * Conversations come in through the API channel, the one channel every app has.
 */
describe('the host side of a channel: conversations and live activity (e2e)', () => {
  let t: TestApp;
  let token: string;
  let conversations: HostConversationsService;
  let activity: ChannelActivity;
  const clock = new ManualClock(new Date());

  beforeAll(async () => {
    t = await startTestApp({ clock });
    token = await t.login();
    conversations = t.app.get(HostConversationsService);
    activity = t.app.get(ChannelActivity);
  });
  afterAll(() => t.close());

  const send = (method: string, url: string, body?: unknown) => t.request(method, url, { token, body });

  async function newConversation(overrides: Record<string, unknown> = {}): Promise<string> {
    const res = await send('POST', '/api/channels/api/messages', inbound(overrides));
    expect(res.status).toBe(201);
    return res.body.conversationId as string;
  }

  it("gives the contact's view: their messages and the replies with author, oldest first; never comments or forwards", async () => {
    const id = await newConversation({ from: { address: 'visitor@example.org', name: 'Vera' }, text: 'Is the shop open?' });
    expect((await send('POST', `/api/conversations/${id}/comments`, { text: 'internal: check the hours' })).status).toBe(201);
    expect((await send('POST', `/api/conversations/${id}/replies`, { text: 'Yes, until six.' })).status).toBe(201);

    const conversation = await conversations.get(id, 'api');
    expect(conversation).toMatchObject({ conversationId: id, status: 'open', hidden: false, contact: { address: 'visitor@example.org', name: 'Vera' } });
    expect(typeof conversation?.externalThreadId).toBe('string');
    expect(conversation?.inboxId).toMatch(/^[0-9a-f-]{36}$/);

    const messages = await conversations.messages(id, 'api');
    expect(messages?.map((m) => [m.direction, m.text, m.authorName])).toEqual([
      ['inbound', 'Is the shop open?', 'Vera'],
      ['outbound', 'Yes, until six.', 'Admin'],
    ]);
    expect(messages?.[1].status).toMatch(/^(queued|delivered|failed)$/);
    expect(JSON.stringify(messages)).not.toContain('internal');

    // Another channel's plugin learns nothing about it.
    expect(await conversations.get(id, 'email')).toBeNull();
    expect(await conversations.messages(id, 'email')).toBeNull();
    expect(await conversations.get('00000000-0000-4000-8000-000000000000', 'api')).toBeNull();
  });

  it('says a conversation in Spam or Trash is hidden', async () => {
    const id = await newConversation();
    expect((await send('POST', `/api/conversations/${id}/spam`)).status).toBe(200);
    expect((await conversations.get(id, 'api'))?.hidden).toBe(true);
  });

  it("closes on the channel's behalf as the system, tells the status handlers, and does nothing the second time", async () => {
    const changes: Array<{ conversationId: string; status: string }> = [];
    conversations.onStatusChange('api', (change) => changes.push({ conversationId: change.conversationId, status: change.status }));
    const id = await newConversation();

    await conversations.close(id, 'api', 'inactivity');
    expect((await send('GET', `/api/conversations/${id}`)).body.status).toBe('closed');
    await waitUntil(() => changes.some((c) => c.conversationId === id && c.status === 'closed'));
    const history = await send('GET', `/api/conversations/${id}/history`);
    const closed = (history.body.events ?? history.body.items ?? history.body).find((e: { type: string }) => e.type === 'ConversationClosed');
    expect(closed).toMatchObject({ actor: { type: 'system' }, causationId: 'channel:api:inactivity' });

    // Already closed: nothing new is recorded. Another channel cannot close it.
    const revision = (await send('GET', `/api/conversations/${id}`)).body.revision;
    await conversations.close(id, 'api', 'inactivity');
    expect((await send('GET', `/api/conversations/${id}`)).body.revision).toBe(revision);
    expect((await send('POST', `/api/conversations/${id}/reopen`)).status).toBe(200);
    await waitUntil(() => changes.some((c) => c.conversationId === id && c.status === 'open'));
    await conversations.close(id, 'email', 'inactivity');
    expect((await send('GET', `/api/conversations/${id}`)).body.status).toBe('open');
  });

  it("hands agents' typing (at most once per 2 s) and 'seen' to the plugin of the conversation's channel only", async () => {
    const toApi: AgentActivityNotice[] = [];
    const toEmail: AgentActivityNotice[] = [];
    activity.onAgentActivity('api', (notice) => toApi.push(notice));
    activity.onAgentActivity('email', (notice) => toEmail.push(notice));
    const id = await newConversation();

    await activity.agentTyping(id);
    await activity.agentTyping(id);
    expect(toApi.filter((n) => n.conversationId === id).map((n) => n.type)).toEqual(['typing']);
    clock.advance(TYPING_THROTTLE_MS);
    await activity.agentTyping(id, { name: 'Ada' });
    await activity.agentSeen(id);
    expect(toApi.filter((n) => n.conversationId === id).map((n) => n.type)).toEqual(['typing', 'typing', 'seen']);
    // The agent's name, when the caller gives it, so the widget can say who is typing.
    expect(toApi.filter((n) => n.conversationId === id).map((n) => n.authorName ?? null)).toEqual([null, 'Ada', null]);
    expect(toEmail).toEqual([]);
  });

  it("sends a contact's typing to the agents' event stream of the inbox as an activity event", async () => {
    const id = await newConversation();
    await t.app.listen(0, '127.0.0.1');
    const port = (t.app.getHttpServer().address() as AddressInfo).port;
    const chunks: string[] = [];
    const request = http.get({ host: '127.0.0.1', port, path: '/events', headers: { authorization: `Bearer ${token}` } }, (response) => {
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => chunks.push(chunk));
    });
    request.on('error', () => undefined);
    try {
      await waitUntil(() => chunks.join('').includes('event: ready'));
      clock.advance(TYPING_THROTTLE_MS);
      activity.contactTyping(id, 'email'); // not this conversation's channel: ignored
      activity.contactTyping(id, 'api');
      await waitUntil(() => chunks.join('').includes('ContactTyping'));
      const event = chunks
        .join('')
        .split('\n\n')
        .find((block) => block.includes('ContactTyping'))!;
      expect(event.split('\n')[0]).toBe('event: activity');
      expect(JSON.parse(event.split('\n')[1].slice('data: '.length))).toEqual({ type: 'ContactTyping', conversationId: id, inboxId: expect.any(String) });
    } finally {
      request.destroy();
    }
  });

  it('carries no activity either way on a hidden conversation (a blocked visitor typing never reaches the inbox, rule 5)', async () => {
    const id = await newConversation();
    expect((await send('POST', `/api/conversations/${id}/block-sender`)).status).toBe(200);
    const toAgents: string[] = [];
    const toPlugin: string[] = [];
    const stop = activity.subscribeContactActivity((notice) => toAgents.push(notice.conversationId));
    activity.onAgentActivity('api', (notice) => toPlugin.push(notice.conversationId));
    try {
      clock.advance(TYPING_THROTTLE_MS);
      activity.contactTyping(id, 'api');
      await activity.agentTyping(id);
      await activity.agentSeen(id);
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(toAgents).not.toContain(id);
      expect(toPlugin).not.toContain(id);
    } finally {
      stop();
    }
  });

  it('tells whether an agent who can answer in the inbox is set to Available and online (Parley open)', async () => {
    const inboxId = (await conversations.get(await newConversation(), 'api'))!.inboxId;
    expect((await send('PUT', '/api/me/availability', { status: 'available' })).status).toBe(200);
    // An open live stream is an open Parley tab: `ready` comes once the agent is recorded online.
    if (!t.app.getHttpServer().listening) await t.app.listen(0, '127.0.0.1');
    const port = (t.app.getHttpServer().address() as AddressInfo).port;
    const chunks: string[] = [];
    const request = http.get({ host: '127.0.0.1', port, path: '/events', headers: { authorization: `Bearer ${token}` } }, (response) => {
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => chunks.push(chunk));
    });
    request.on('error', () => undefined);
    try {
      await waitUntil(() => chunks.join('').includes('event: ready'));
      expect(await activity.agentsAvailable(inboxId)).toBe(true);
      expect((await send('PUT', '/api/me/availability', { status: 'away' })).status).toBe(200);
      expect(await activity.agentsAvailable(inboxId)).toBe(false);
      expect(await activity.agentsAvailable('00000000-0000-4000-8000-000000000000')).toBe(false);
    } finally {
      request.destroy();
    }
  });
});

async function waitUntil(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > until) throw new Error('timed out waiting for the condition');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
