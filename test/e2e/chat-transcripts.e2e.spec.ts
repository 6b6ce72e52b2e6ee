import { randomUUID } from 'node:crypto';
import { CHANNEL_CONNECTION, type ChannelConnection, type InboundMessage } from '../../src/application/ports/channel.port';
import { EVENT_STORE, type EventStore } from '../../src/application/ports/event-store.port';
import { SendTranscriptWhenChatClosed } from '../../src/application/process-managers/send-transcript-when-chat-closed.saga';
import type { ChannelPlugin } from '../../src/plugins/channel-plugin';
import { BUILT_IN_PLUGINS } from '../../src/plugins/registry/built-in-plugins';
import { SmtpSink } from '../plugins/email/support/smtp-sink';
import { startTestApp, type TestApp } from '../support/app-harness';

const ICON = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" aria-hidden="true"><circle cx="12" cy="12" r="9"/></svg>';

/**
 * A chat-like channel of the test's own: it declares exactly the capabilities it is given, so the
 * transcript rules (rule 12) are seen to follow a plugin's declaration, not a channel's name.
 * Its replies "arrive" at once; its messages come in through the host's channel connection.
 */
function testChannel(channel: string, capabilities: Partial<ChannelPlugin['capabilities']>): () => ChannelPlugin {
  return () => ({
    id: channel,
    displayName: `Test ${channel}`,
    icon: ICON,
    channel,
    capabilities: { reply: true, html: false, attachments: false, transcript: false, switchToEmail: false, forward: false, compose: false, ...capabilities },
    connect() {},
    async send() {
      return { status: 'delivered' as const };
    },
  });
}

/**
 * Rule 12's transcripts end to end: closing a chat emails its transcript to the visitor (through
 * the relay, an SMTP sink here) exactly once, "Send transcript" emails a copy to an address the
 * agent enters, both are rows of the thread and events of the audit history, and internal
 * comments never leave. A channel without the transcript capability gets none and a 400.
 */
describe('chat transcripts (rule 12, e2e)', () => {
  const relay = new SmtpSink();
  let t: TestApp;
  let token: string;
  let channel: ChannelConnection;
  let n = 0;

  beforeAll(async () => {
    await relay.start();
    t = await startTestApp({
      env: { SMTP_RELAY_URL: relay.url, PARLEY_INBOX_EMAIL: 'support@parley.test' },
      builtIns: [...BUILT_IN_PLUGINS, testChannel('talk', { transcript: true, switchToEmail: true }), testChannel('pager', {})],
    });
    token = await t.login();
    channel = t.app.get<ChannelConnection>(CHANNEL_CONNECTION);
  });
  afterAll(async () => {
    await t?.close();
    await relay.stop();
  });

  const get = (url: string) => t.request('GET', url, { token });
  const post = (url: string, body: unknown = {}) => t.request('POST', url, { token, body });
  const message = (on: string, session: string, from: InboundMessage['from'], text: string): InboundMessage => ({
    channel: on,
    externalThreadId: session,
    externalMessageId: `${session}-${++n}`,
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

  /** A chat with one visitor message, one agent reply (delivered) and one internal comment. */
  async function chat(on: string, from: InboundMessage['from']) {
    const session = `session-${on}-${Date.now()}-${n}`;
    const started = await channel.ingest(message(on, session, from, 'Hello, is my order 4711 on its way?'));
    const id = started.conversationId;
    const reply = await post(`/api/conversations/${id}/replies`, { text: 'It left our warehouse this morning.' });
    expect(reply.status).toBe(201);
    await until('the reply delivered', async () => {
      const detail = await get(`/api/conversations/${id}`);
      return detail.body.messages.find((m: { id: string }) => m.id === reply.body.messageId)?.delivery?.status === 'delivered';
    });
    expect((await post(`/api/conversations/${id}/comments`, { text: 'SECRET-NOTE: refund if it is late' })).status).toBe(201);
    return id as string;
  }

  const mailsTo = (address: string) => relay.received.filter((m) => m.envelope.to.includes(address));

  it('emails the transcript to the visitor when the chat is closed: both sides with times, no comments, once', async () => {
    const id = await chat('talk', { address: 'ana@customer.test', name: 'Ana' });
    expect((await post(`/api/conversations/${id}/close`)).status).toBe(200);

    const mail = await until('the transcript at the relay', async () => mailsTo('ana@customer.test')[0]);
    expect(mail.parsed.subject).toBe('Transcript of your chat with Support');
    expect(mail.parsed.text).toContain('Ana:');
    expect(mail.parsed.text).toContain('Hello, is my order 4711 on its way?');
    expect(mail.parsed.text).toContain('It left our warehouse this morning.');
    expect(mail.parsed.text).toMatch(/\d{2}:\d{2}/);
    expect(mail.parsed.text).not.toContain('SECRET-NOTE');
    expect(String(mail.parsed.html)).not.toContain('SECRET-NOTE');
    expect(mail.parsed.headers.get('auto-submitted')).toBe('auto-generated');

    // A row of the thread (sent by the system), delivered; and an event of the audit history.
    const row = await until('the transcript delivered', async () => {
      const detail = await get(`/api/conversations/${id}`);
      const found = detail.body.messages.find((m: { kind: string }) => m.kind === 'transcript');
      return found?.delivery?.status === 'delivered' && found;
    });
    expect(row).toMatchObject({ direction: 'out', channel: 'email', authorId: null, to: [{ address: 'ana@customer.test', name: 'Ana' }] });
    const history = await get(`/api/conversations/${id}/history`);
    const sent = history.body.events.filter((e: { type: string }) => e.type === 'TranscriptSent');
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ actor: { type: 'system' }, data: { reason: 'closed', to: [{ address: 'ana@customer.test' }] } });
    expect(JSON.stringify(sent[0].data)).not.toContain('SECRET-NOTE');

    // Handled again (after a restart the process manager may see the close once more): still one transcript.
    const stream = await t.app.get<EventStore>(EVENT_STORE).readStream(`conversation-${id}`);
    const closedEvent = stream.find((e) => e.type === 'ConversationClosed')!;
    await t.app.get(SendTranscriptWhenChatClosed).handle(closedEvent);
    // A close from long ago (this manager is new on an upgraded install and reads the log from the start): none.
    const fourDaysAgo = new Date(Date.now() - 4 * 24 * 3600_000).toISOString();
    await t.app.get(SendTranscriptWhenChatClosed).handle({ ...closedEvent, id: randomUUID(), metadata: { ...closedEvent.metadata, occurredAt: fourDaysAgo } });
    const again = await get(`/api/conversations/${id}/history`);
    expect(again.body.events.filter((e: { type: string }) => e.type === 'TranscriptSent')).toHaveLength(1);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(mailsTo('ana@customer.test')).toHaveLength(1);

    // The conversation as it was after the close (?at=) holds the transcript row too.
    const at = await get(`/api/conversations/${id}?at=${encodeURIComponent(new Date().toISOString())}`);
    expect(at.body.messages.find((m: { kind: string }) => m.kind === 'transcript')).toMatchObject({ authorId: null, channel: 'email' });
  });

  it('sends a new transcript for a new close after the chat was reopened', async () => {
    const id = await chat('talk', { address: 'ben@customer.test', name: 'Ben' });
    expect((await post(`/api/conversations/${id}/close`)).status).toBe(200);
    await until('the first transcript', async () => mailsTo('ben@customer.test').length === 1);
    expect((await post(`/api/conversations/${id}/reopen`)).status).toBe(200);
    expect((await post(`/api/conversations/${id}/close`)).status).toBe(200);
    await until('the second transcript', async () => mailsTo('ben@customer.test').length === 2);
  });

  it('sends none when the visitor left no email address', async () => {
    const id = await chat('talk', { address: 'visitor-7f3a', name: 'Anonymous' });
    expect((await post(`/api/conversations/${id}/close`)).status).toBe(200);
    // The close is handled (its own delivery rows are the proof the process managers ran past it).
    await new Promise((resolve) => setTimeout(resolve, 500));
    const history = await get(`/api/conversations/${id}/history`);
    expect(history.body.events.map((e: { type: string }) => e.type)).not.toContain('TranscriptSent');
  });

  it('"Send transcript": a copy to the address the agent enters, 202, recorded with the agent', async () => {
    const id = await chat('talk', { address: 'visitor-9c1d', name: 'Cleo' });
    const res = await post(`/api/conversations/${id}/transcript`, { to: 'boss@company.test' });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ id, messageId: expect.any(String), revision: expect.any(Number) });
    const mail = await until('the copy at the relay', async () => mailsTo('boss@company.test')[0]);
    expect(mail.parsed.text).toContain('Cleo:');
    expect(mail.parsed.text).not.toContain('SECRET-NOTE');
    const history = await get(`/api/conversations/${id}/history`);
    const sent = history.body.events.find((e: { type: string }) => e.type === 'TranscriptSent');
    expect(sent).toMatchObject({ actor: { type: 'agent' }, data: { reason: 'requested', authorId: expect.any(String), messageId: res.body.messageId } });
  });

  it("the transcript on close is written in the visitor's language when their channel said it", async () => {
    const session = `session-nl-${Date.now()}`;
    const started = await channel.ingest({
      ...message('talk', session, { address: 'noor@customer.test', name: 'Noor' }, 'Is mijn bestelling al onderweg?'),
      language: 'nl-NL',
    });
    const id = started.conversationId;
    expect((await get(`/api/conversations/${id}`)).body.contact).toMatchObject({ language: 'nl' });
    expect((await post(`/api/conversations/${id}/close`)).status).toBe(200);
    const mail = await until('the Dutch transcript at the relay', async () => mailsTo('noor@customer.test')[0]);
    expect(mail.parsed.subject).toBe('Transcript van je chat met Support');
    expect(mail.parsed.text).toContain('Noor:');
  });

  it('"Send transcript" is written in the language of the agent who asks for the copy', async () => {
    expect((await t.request('PUT', '/api/me/preferences', { token, body: { language: 'nl' } })).status).toBe(200);
    try {
      const id = await chat('talk', { address: 'visitor-2b7e', name: 'Daan' });
      expect((await post(`/api/conversations/${id}/transcript`, { to: 'chef@company.test' })).status).toBe(202);
      const mail = await until('the Dutch copy at the relay', async () => mailsTo('chef@company.test')[0]);
      expect(mail.parsed.subject).toMatch(/^Transcript van je chat met /);
      expect(mail.parsed.text).toContain('Tijden staan in de tijdzone');
    } finally {
      await t.request('PUT', '/api/me/preferences', { token, body: { language: null } });
    }
  });

  it('refuses a bad address naming it, and a channel without the transcript capability naming the channel', async () => {
    const id = await chat('talk', { address: 'dan@customer.test' });
    const bad = await post(`/api/conversations/${id}/transcript`, { to: 'not-an-address' });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toMatch(/to:? must be an email address/);

    const pager = await chat('pager', { address: 'eve@customer.test', name: 'Eve' });
    const refused = await post(`/api/conversations/${pager}/transcript`, { to: 'eve@customer.test' });
    expect(refused.status).toBe(400);
    expect(JSON.stringify(refused.body)).toContain('the pager channel keeps no transcripts');
    // Closing it sends nothing either.
    expect((await post(`/api/conversations/${pager}/close`)).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(mailsTo('eve@customer.test')).toHaveLength(0);
  });

  it('answers 404 for an unknown conversation, and 204 for a typing ping on a known one', async () => {
    const unknown = '00000000-0000-4000-8000-000000000000';
    expect((await post(`/api/conversations/${unknown}/transcript`, { to: 'a@b.test' })).status).toBe(404);
    expect((await post(`/api/conversations/${unknown}/typing`)).status).toBe(404);
    const id = await chat('talk', { address: 'fay@customer.test' });
    expect((await post(`/api/conversations/${id}/typing`)).status).toBe(204);
  });

  it('offers in the thread exactly what the channel declares', async () => {
    const login = await t.request('POST', '/api/auth/login', { body: { email: 'admin@example.com', password: 'admin-password-1' } });
    const cookie = ([] as string[])
      .concat((login.headers['set-cookie'] as string | string[] | undefined) ?? [])
      .find((c) => c.startsWith('parley_session='))!
      .split(';')[0];
    const page = async (id: string) => {
      const res = await t.request('GET', `/ui/conversations/${id}?view=all-open`, { headers: { cookie, 'hx-request': 'true', 'accept-language': 'en' } });
      expect(res.status).toBe(200);
      return String(res.body);
    };
    const talk = await chat('talk', { address: 'gus@customer.test', name: 'Gus' });
    const talkPage = await page(talk);
    expect(talkPage).toContain('id="transcript-btn"');
    expect(talkPage).toContain('id="transcript-dialog"');
    expect(talkPage).toMatch(/<select name="channel" id="reply-channel"><option value="talk">talk<\/option><option value="email">Email<\/option>/);
    expect(talkPage).not.toContain('id="forward-btn"');

    const pager = await chat('pager', { address: 'hal@customer.test', name: 'Hal' });
    const pagerPage = await page(pager);
    expect(pagerPage).not.toContain('id="transcript-btn"');
    expect(pagerPage).not.toContain('id="forward-btn"');
    expect(pagerPage).not.toContain('id="reply-channel"');
  });
});
