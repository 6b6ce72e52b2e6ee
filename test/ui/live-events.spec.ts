import { startUiApp, type UiApp } from '../support/ui-harness';

/**
 * The live notices the page listens to (`GET /events`, server-sent events), over real HTTP
 * without a browser: what a notice holds, that it comes after the read models show the change,
 * and that an agent only hears about inboxes they can reach.
 */
describe('web UI live notices (server-sent events)', () => {
  let ui: UiApp;
  let sales: { id: string };
  let agentToken: string;

  beforeAll(async () => {
    ui = await startUiApp();
    sales = (await ui.api('POST', '/api/inboxes', { name: 'Sales' })).body;
    const agent = (await ui.api('POST', '/api/agents', { name: 'Bo', email: 'bo@example.com', password: 'bo-password-1', role: 'agent' })).body;
    const support = (await ui.api('GET', '/api/inboxes')).body.inboxes.find((i: { isDefault: boolean }) => i.isDefault);
    await ui.api('PUT', `/api/inboxes/${support.id}/members`, { agentIds: [agent.id] });
    agentToken = (await ui.api('POST', '/api/auth/login', { email: 'bo@example.com', password: 'bo-password-1' })).body.token;
  });
  afterAll(() => ui.close());

  /** Opens a stream and collects its events until closed. */
  async function listen(path: string, token: string) {
    const abort = new AbortController();
    const response = await fetch(ui.baseUrl + path, { headers: { authorization: `Bearer ${token}` }, signal: abort.signal });
    const events: Array<{ event: string; data: any }> = [];
    if (response.ok && response.body) {
      void (async () => {
        const decoder = new TextDecoder();
        let buffer = '';
        try {
          for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
            buffer += decoder.decode(chunk, { stream: true });
            for (let end = buffer.indexOf('\n\n'); end !== -1; end = buffer.indexOf('\n\n')) {
              const block = buffer.slice(0, end);
              buffer = buffer.slice(end + 2);
              const event = /^event: (.*)$/m.exec(block)?.[1];
              const data = /^data: (.*)$/m.exec(block)?.[1];
              if (event && data) events.push({ event, data: JSON.parse(data) });
            }
          }
        } catch {
          /* aborted */
        }
      })();
    }
    const waitFor = async (predicate: (e: { event: string; data: any }) => boolean, timeoutMs = 5000) => {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        const found = events.find(predicate);
        if (found) return found;
        await new Promise((r) => setTimeout(r, 20));
      }
      throw new Error(`no such event; got ${JSON.stringify(events)}`);
    };
    return { response, events, waitFor, close: () => abort.abort() };
  }

  it('announces a new message in the inbox, without content, once a refetch shows it', async () => {
    const stream = await listen('/events', ui.token);
    expect(stream.response.headers.get('content-type')).toContain('text/event-stream');
    await stream.waitFor((e) => e.event === 'ready');
    const { conversationId } = await ui.receive({ subject: 'Secret subject', text: 'secret body' });
    const notice = await stream.waitFor((e) => e.event === 'change' && e.data.type === 'MessageReceived');
    expect(notice.data).toEqual({ type: 'MessageReceived', conversationId, inboxId: expect.any(String) });
    expect(JSON.stringify(stream.events)).not.toContain('secret');
    // Announced after projection: the refetch the page makes already has it.
    const items = (await ui.api('GET', '/api/views/unassigned/conversations')).body.items.map((c: { id: string }) => c.id);
    expect(items).toContain(conversationId);
    stream.close();
  });

  it('tells an agent only about the inboxes they can reach', async () => {
    const forbidden = await listen(`/events?inboxId=${sales.id}`, agentToken);
    // Answered as an unknown inbox would be.
    expect(forbidden.response.status).toBe(404);
    const mine = await listen('/events', agentToken);
    await mine.waitFor((e) => e.event === 'ready');
    await ui.receive({ subject: 'For Sales', inboxId: sales.id });
    const { conversationId } = await ui.receive({ subject: 'For Support' });
    await mine.waitFor((e) => e.event === 'change' && e.data.conversationId === conversationId);
    expect(mine.events.filter((e) => e.event === 'change').every((e) => e.data.inboxId !== sales.id)).toBe(true);
    mine.close();
  });

  it('refuses without a session', async () => {
    const anonymous = await fetch(`${ui.baseUrl}/events`);
    expect(anonymous.status).toBe(401);
  });
});
