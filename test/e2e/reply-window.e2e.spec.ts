import { CHANNEL_CONNECTION, type ChannelConnection, type InboundMessage } from '../../src/application/ports/channel.port';
import { SmtpSink } from '../plugins/email/support/smtp-sink';
import { inbound, ManualClock, startTestApp, type TestApp } from '../support/app-harness';
import { apiAndEmail, formsLikePlugin, HOUR, WINDOW_TEMPLATES, windowTestPlugin, type WindowChannelLog } from '../support/reply-window-plugins';

describe('reply windows and templates (e2e over HTTP)', () => {
  const relay = new SmtpSink();
  const log: WindowChannelLog = { sent: [], windowAsked: [] };
  const clock = new ManualClock(new Date('2026-12-01T09:00:00.000Z'));
  let t: TestApp;
  let token: string;
  let channel: ChannelConnection;
  let n = 0;

  beforeAll(async () => {
    await relay.start();
    t = await startTestApp({
      clock,
      env: { SMTP_RELAY_URL: relay.url, PARLEY_INBOX_EMAIL: 'support@parley.test' },
      builtIns: [...apiAndEmail(), () => windowTestPlugin(log), () => formsLikePlugin()],
    });
    token = await t.login();
    channel = t.app.get<ChannelConnection>(CHANNEL_CONNECTION);
  });
  afterAll(async () => {
    await t?.close();
    await relay.stop();
  });

  const get = (url: string, headers: Record<string, string> = {}) => t.request('GET', url, { token, headers });
  const post = (url: string, body: unknown, headers: Record<string, string> = {}) => t.request('POST', url, { token, body, headers });
  const message = (channelId: string, from: InboundMessage['from'], text: string): InboundMessage => ({
    channel: channelId,
    externalThreadId: `thread-${channelId}-${++n}`,
    externalMessageId: `message-${channelId}-${n}`,
    from,
    to: [],
    text,
  });

  async function until<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 10_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await probe();
      if (value) return value;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** A new conversation on the window channel, its contact's message at the clock's now. */
  async function windowConversation(): Promise<string> {
    const { conversationId } = await channel.ingest(message('window-test', { address: '+31612345678', name: 'Ana' }, 'Where is my order?'));
    return conversationId;
  }

  it('answers a free-form reply while the window is open, and tells reply-options when it closes', async () => {
    const id = await windowConversation();
    const options = await get(`/api/conversations/${id}/reply-options`);
    expect(options.status).toBe(200);
    expect(options.body).toEqual({ channel: 'window-test', window: { open: true, closesAt: '2026-12-02T09:00:00.000Z' }, templates: WINDOW_TEMPLATES });
    // The plugin saw the conversation as its contact knows it, with the moment of their last message.
    expect(log.windowAsked.at(-1)).toMatchObject({
      conversation: { conversationId: id, lastContactMessageAt: clock.now().toISOString(), contact: { address: '+31612345678' } },
      now: clock.now().toISOString(),
    });

    const reply = await post(`/api/conversations/${id}/replies`, { text: 'It left our warehouse today.' });
    expect(reply.status).toBe(201);
    const sent = await until('the reply sent', async () => log.sent.find((m) => m.messageId === reply.body.messageId));
    expect(sent.text).toBe('It left our warehouse today.');
    expect(sent.template).toBeUndefined();
  });

  it('refuses a free-form reply once the window closed (409 reply-window-closed, in the reader language) and stores nothing', async () => {
    const id = await windowConversation();
    clock.advance(25 * HOUR);
    try {
      const before = await get(`/api/conversations/${id}`);
      const sentBefore = log.sent.length;

      const en = await post(`/api/conversations/${id}/replies`, { text: 'Are you still there?' });
      expect(en.status).toBe(409);
      expect(en.body).toMatchObject({
        statusCode: 409,
        code: 'reply-window-closed',
        message: 'The 24-hour window closed: only approved templates may be sent until the customer writes again',
      });
      const nl = await post(`/api/conversations/${id}/replies`, { text: 'Ben je er nog?' }, { 'accept-language': 'nl' });
      expect(nl.status).toBe(409);
      expect(nl.body).toMatchObject({
        code: 'reply-window-closed',
        message: 'Het venster van 24 uur is gesloten: alleen goedgekeurde sjablonen mogen worden verstuurd tot de klant weer schrijft',
      });

      const after = await get(`/api/conversations/${id}`);
      expect(after.body.revision).toBe(before.body.revision);
      expect(after.body.messages).toHaveLength(before.body.messages.length);
      const history = await get(`/api/conversations/${id}/history`);
      expect(history.body.events.map((e: { type: string }) => e.type)).not.toContain('ReplyQueued');
      expect(log.sent.length).toBe(sentBefore);

      const options = await get(`/api/conversations/${id}/reply-options`, { 'accept-language': 'nl' });
      expect(options.body).toEqual({
        channel: 'window-test',
        window: {
          open: false,
          closesAt: null,
          closedAt: new Date(Date.parse(before.body.lastReceivedAt) + 24 * HOUR).toISOString(),
          reason: 'Het venster van 24 uur is gesloten: alleen goedgekeurde sjablonen mogen worden verstuurd tot de klant weer schrijft',
        },
        templates: WINDOW_TEMPLATES,
      });
    } finally {
      clock.advance(-25 * HOUR);
    }
  });

  it('sends an approved template while the window is closed: the plugin gets the template and its parameters, the thread the filled text', async () => {
    const id = await windowConversation();
    clock.advance(30 * HOUR);
    try {
      const reply = await post(`/api/conversations/${id}/replies`, { template: { name: 'order_update', language: 'en_US', parameters: ['Ana', 'A-1042'] } });
      expect(reply.status).toBe(201);
      const sent = await until('the template sent', async () => log.sent.find((m) => m.messageId === reply.body.messageId));
      expect(sent.template).toEqual({ name: 'order_update', language: 'en_US', parameters: ['Ana', 'A-1042'] });
      expect(sent.text).toBe('Hello Ana, your order A-1042 has shipped.');

      const detail = await get(`/api/conversations/${id}`);
      const shown = detail.body.messages.find((m: { id: string }) => m.id === reply.body.messageId);
      expect(shown).toMatchObject({ direction: 'out', text: 'Hello Ana, your order A-1042 has shipped.' });
      const history = await get(`/api/conversations/${id}/history`);
      expect(history.body.events.find((e: { type: string }) => e.type === 'ReplyQueued').data.template).toEqual({
        name: 'order_update',
        language: 'en_US',
        parameters: ['Ana', 'A-1042'],
      });

      // The same template in Dutch, and one without parameters.
      const dutch = await post(`/api/conversations/${id}/replies`, { template: { name: 'order_update', language: 'nl', parameters: ['Ana', 'A-7'] } });
      expect(dutch.status).toBe(201);
      const none = await post(`/api/conversations/${id}/replies`, { template: { name: 'follow_up', language: 'en_US', parameters: [] } });
      expect(none.status).toBe(201);
      const texts = await until('both sent', async () => {
        const found = [dutch, none].map((r) => log.sent.find((m) => m.messageId === r.body.messageId)?.text);
        return found.every(Boolean) ? found : undefined;
      });
      expect(texts).toEqual(['Hallo Ana, je bestelling A-7 is verzonden.', 'We are still here for you.']);
    } finally {
      clock.advance(-30 * HOUR);
    }
  });

  it('refuses a template that does not fit with a 400 naming the field and the value, and stores nothing', async () => {
    const id = await windowConversation();
    const before = await get(`/api/conversations/${id}`);
    const refuse = async (body: unknown, code: string, message: string | RegExp) => {
      const res = await post(`/api/conversations/${id}/replies`, body);
      expect({ status: res.status, code: res.body.code }).toEqual({ status: 400, code });
      expect(res.body.message).toEqual(typeof message === 'string' ? message : expect.stringMatching(message));
      return res;
    };
    await refuse(
      { template: { name: 'order_updat', language: 'en_US', parameters: ['Ana', 'A-1'] } },
      'template-unknown',
      `template.name: "order_updat" is not an approved template of this conversation's channel; use one of "order_update", "follow_up"`,
    );
    await refuse(
      { template: { name: 'order_update', language: 'de', parameters: ['Ana', 'A-1'] } },
      'template-language-unknown',
      'template.language: template "order_update" is not approved in "de"; use one of "en_US", "nl"',
    );
    await refuse(
      { template: { name: 'order_update', language: 'en_US', parameters: ['Ana'] } },
      'template-parameter-count',
      'template.parameters: template "order_update" takes 2 parameters (got 1)',
    );
    await refuse(
      { template: { name: 'order_update', language: 'en_US', parameters: ['Ana', '  '] } },
      'template-parameter-empty',
      'template.parameters[1]: must not be empty',
    );
    await refuse(
      { template: { name: 'order_update', language: 'en_US', parameters: ['x'.repeat(1001), 'A-1'] } },
      'template-parameter-too-long',
      'template.parameters[0]: must be at most 1000 characters (got 1001)',
    );
    await refuse(
      { template: { name: 'order_update', language: 'en_US', parameters: ['Ana\nBob', 'A-1'] } },
      'template-parameter-layout',
      'template.parameters[0]: must be one line, without tabs or more than four spaces in a row',
    );
    await refuse(
      { text: 'Hi', template: { name: 'follow_up', language: 'en_US', parameters: [] } },
      'template-with-text',
      /^text: leave text and html out when sending a template/,
    );
    // The request's own shape is checked before: parameters must be texts.
    const shape = await post(`/api/conversations/${id}/replies`, { template: { name: 'follow_up', language: 'en_US', parameters: [1] } });
    expect(shape.status).toBe(400);
    expect(JSON.stringify(shape.body.message)).toContain('template.parameters');
    // Dutch readers get the refusal in Dutch.
    const nl = await post(
      `/api/conversations/${id}/replies`,
      { template: { name: 'order_update', language: 'en_US', parameters: ['Ana'] } },
      { 'accept-language': 'nl' },
    );
    expect(nl.body).toMatchObject({ code: 'template-parameter-count', message: 'template.parameters: sjabloon "order_update" neemt 2 parameters (kreeg 1)' });

    const after = await get(`/api/conversations/${id}`);
    expect(after.body.revision).toBe(before.body.revision);
    expect(after.body.messages).toHaveLength(1);
  });

  it('refuses a template on a channel that does not declare templates (400 naming template)', async () => {
    const { conversationId } = await channel.ingest(message('forms', { address: 'rita@customer.test', name: 'Rita' }, 'My invoice is wrong'));
    const res = await post(`/api/conversations/${conversationId}/replies`, { template: { name: 'order_update', language: 'en_US', parameters: ['a', 'b'] } });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ code: 'template-not-supported', message: 'template: the email channel does not send templates; write the reply instead' });
  });

  it('answers a form-like conversation (reply: false, switchToEmail: true) by email when no channel is named', async () => {
    const { conversationId } = await channel.ingest(message('forms', { address: 'bram@customer.test', name: 'Bram' }, 'Please call me back'));
    const options = await get(`/api/conversations/${conversationId}/reply-options`);
    expect(options.body).toEqual({ channel: 'email', window: { open: true, closesAt: null }, templates: [] });

    const reply = await post(`/api/conversations/${conversationId}/replies`, { text: 'We will call you tomorrow morning.' });
    expect(reply.status).toBe(201);
    const mail = await until('the email at the relay', async () => relay.received.find((m) => m.parsed.text?.includes('We will call you tomorrow morning.')));
    expect(mail.envelope.to).toEqual(['bram@customer.test']);
    const detail = await until('the reply delivered', async () => {
      const d = await get(`/api/conversations/${conversationId}`);
      const shown = d.body.messages.find((m: { id: string }) => m.id === reply.body.messageId);
      return shown?.delivery?.status === 'delivered' ? shown : undefined;
    });
    expect(detail).toMatchObject({ direction: 'out', channel: 'email' });

    // Naming the form's own channel, which cannot send, is refused before anything is recorded.
    const before = (await get(`/api/conversations/${conversationId}`)).body.messages.length;
    const refused = await post(`/api/conversations/${conversationId}/replies`, { text: 'On the form channel', channel: 'forms' });
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({
      code: 'reply-channel-cannot-send',
      message: 'channel: the forms channel cannot send replies; answer on another channel, such as email',
    });
    expect((await get(`/api/conversations/${conversationId}`)).body.messages).toHaveLength(before);
  });

  it('answers reply-options for channels without a window, and 404 for a conversation out of reach', async () => {
    const created = await post('/api/channels/api/messages', inbound());
    expect(created.status).toBe(201);
    const options = await get(`/api/conversations/${created.body.conversationId}/reply-options`);
    expect(options.body).toEqual({ channel: 'api', window: { open: true, closesAt: null }, templates: [] });
    const unknown = await get('/api/conversations/4b3c1a56-6f4f-4a53-9c39-2f7b3c6f0f11/reply-options');
    expect(unknown.status).toBe(404);
    const anonymous = await t.request('GET', `/api/conversations/${await windowConversation()}/reply-options`);
    expect(anonymous.status).toBe(401);
  });
});
