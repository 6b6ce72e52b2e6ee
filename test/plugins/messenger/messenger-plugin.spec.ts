import { describe, expect, it } from '@jest/globals';
import { createOutboundHttp } from '../../../src/infrastructure/outbound/outbound-guard';
import type { ChannelPlugin, InboundMessage, OutboundMessage, PluginConversation } from '../../../src/plugins/channel-plugin';
import { MESSENGER_STRINGS } from '../../../src/plugins/messenger/i18n';
import { createMessengerPlugin, splitText } from '../../../src/plugins/messenger/messenger-plugin';
import { metaSignature } from '../../../src/plugins/meta/webhook';
import { FakeHostConnection } from '../../../src/plugins/testing';
import { FakeGraphApi, graphError } from '../../support/fake-graph-api';

/**
 * The Messenger plugin on its own, against the fake host and a local stand-in of the Graph API:
 * settings, what a webhook event becomes, the durable media download, the 24-hour window, and
 * sends that are split, resumed and never repeated.
 */
const PAGE = '20531316728';
const OTHER_PAGE = '20531316999';
const INBOX = '0a1b2c3d-0000-4000-8000-0000000000b0';
const CID = '7d1c0a52-0000-4000-8000-00000000f001';
const OTHER_CID = '7d1c0a52-0000-4000-8000-00000000f002';
const SECRET = 'unit-app-secret-0123456789abcdef';
const OTHER_SECRET = 'other-app-secret-0123456789abcdef';
const HOUR = 3_600_000;
const valid = { pageId: PAGE, pageAccessToken: 'EAA-a-token', appSecret: 'an-app-secret', verifyToken: 'a-verify-token' };

interface Setup {
  host: FakeHostConnection;
  plugin: ChannelPlugin;
  graph: FakeGraphApi;
  advance(ms: number): void;
  now(): number;
  close(): Promise<void>;
}

async function setup(options: { humanAgentTag?: boolean; failIngest?: (message: InboundMessage) => Error | null } = {}): Promise<Setup> {
  let clock = Date.parse('2026-12-07T10:00:00.000Z');
  const graph = await new FakeGraphApi().start();
  let sent = 0;
  graph.on('GET', /^\/v23\.0\/(\d+)$/, (_request, match) => ({ body: { first_name: 'Ann', last_name: `Doe ${match[1]}`, id: match[1] } }));
  graph.on('POST', /\/me\/messages$/, () => ({ body: { recipient_id: '1', message_id: `m_${(sent += 1)}` } }));
  const plugin = createMessengerPlugin({ now: () => clock, mediaAttempts: 3 });
  const settings = (pageId: string, appSecret: string) =>
    plugin.connectionSettings!.validate(
      {
        pageId,
        pageAccessToken: 'EAA-unit-token',
        appSecret,
        verifyToken: 'unit-verify',
        graphApiBaseUrl: graph.baseUrl,
        humanAgentTag: options.humanAgentTag ?? false,
      },
      { inboxId: INBOX },
    );
  const host = new FakeHostConnection(
    { id: 'messenger', channel: 'messenger' },
    {},
    {
      http: createOutboundHttp({ allowPrivateNetwork: true }),
      connections: [
        { id: CID, inboxId: INBOX, settings: await settings(PAGE, SECRET) },
        { id: OTHER_CID, inboxId: INBOX, settings: await settings(OTHER_PAGE, OTHER_SECRET) },
      ],
    },
  );
  const connection = host.connection;
  await plugin.connect(
    options.failIngest
      ? {
          ...connection,
          ingest: async (message, ingestOptions) => {
            const error = options.failIngest!(message);
            if (error) throw error;
            return connection.ingest(message, ingestOptions);
          },
        }
      : connection,
  );
  host.endConnect();
  return { host, plugin, graph, advance: (ms) => (clock += ms), now: () => clock, close: () => graph.stop() };
}

function webhook(host: FakeHostConnection, entries: { id: string; messaging: unknown[] }[], secret = SECRET) {
  const body = JSON.stringify({ object: 'page', entry: entries.map((entry) => ({ time: 1, ...entry })) });
  return host.request('POST', '/channels/messenger/webhook', {
    rawBody: body,
    headers: { 'content-type': 'application/json', 'x-hub-signature-256': metaSignature(secret, body) },
  });
}

const message = (psid: string, mid: string, extra: Record<string, unknown> = {}, timestamp = Date.parse('2026-12-07T10:00:00.000Z')) => ({
  sender: { id: psid },
  recipient: { id: PAGE },
  timestamp,
  message: { mid, ...extra },
});

const conversationOf = (host: FakeHostConnection, psid: string) => host.stored.find((m) => m.externalThreadId === `${PAGE}:${psid}`)!.conversationId;

function outbound(s: Setup, conversationId: string, overrides: Partial<OutboundMessage> = {}): OutboundMessage {
  return {
    conversationId,
    messageId: `00000000-0000-4000-8000-${String(Math.floor(Math.random() * 1e12)).padStart(12, '0')}`,
    channel: 'messenger',
    conversationChannel: 'messenger',
    to: [{ address: 'psid' }],
    subject: '',
    text: 'Thanks!',
    thread: { externalThreadId: 'ignored', externalMessageIds: [] },
    kind: 'reply',
    ...overrides,
  };
}

describe('messenger plugin: connection settings', () => {
  const plugin = createMessengerPlugin();
  const validate = (settings: Record<string, unknown>) => plugin.connectionSettings!.validate(settings, { inboxId: INBOX });

  it("fills in Meta's Graph API and version, keeps the secrets secret, and names the field it refuses with the value", async () => {
    expect(await validate(valid)).toEqual({ ...valid, graphApiBaseUrl: 'https://graph.facebook.com', apiVersion: 'v23.0', humanAgentTag: false });
    expect(plugin.connectionSettings!.secrets).toEqual(['pageAccessToken', 'appSecret', 'verifyToken']);
    await expect(validate({ ...valid, pageId: 'my-shop' })).rejects.toThrow(/settings\.pageId: .*digits.*"my-shop"/);
    await expect(validate({ ...valid, appSecret: undefined })).rejects.toThrow(/settings\.appSecret: is required/);
    await expect(validate({ ...valid, verifyToken: 'short' })).rejects.toThrow(/settings\.verifyToken: must be 8-200 characters \(got 5\)/);
    await expect(validate({ ...valid, graphApiBaseUrl: 'ftp://graph.example' })).rejects.toThrow(/settings\.graphApiBaseUrl: .*"ftp:\/\/graph\.example"/);
    await expect(validate({ ...valid, apiVersion: '23' })).rejects.toThrow(/settings\.apiVersion: .*v23\.0.*"23"/);
    await expect(validate({ ...valid, humanAgentTag: 'yes' })).rejects.toThrow(/settings\.humanAgentTag: must be true or false \(got "yes"\)/);
    await expect(validate({ ...valid, colour: 'blue' })).rejects.toThrow(/settings\.colour: is not a Messenger setting/);
    // A secret's value never shows in the refusal.
    await expect(validate({ ...valid, pageAccessToken: 'EAA secret with spaces' })).rejects.toThrow(/^settings\.pageAccessToken: must not contain spaces/);
  });

  it('offers the Inbox settings form in English and Dutch, saying where on Meta’s side each value is', () => {
    const fields = plugin.connectionSettings!.fields!;
    expect(fields.map((f) => f.key)).toEqual(['pageId', 'pageAccessToken', 'appSecret', 'verifyToken', 'humanAgentTag', 'graphApiBaseUrl', 'apiVersion']);
    for (const field of fields) {
      expect(field.label.nl).toEqual(expect.any(String));
      expect(field.help?.en).toMatch(/\S/);
      expect(field.help?.nl).toMatch(/\S/);
    }
    expect(Object.keys(MESSENGER_STRINGS.nl).sort()).toEqual(Object.keys(MESSENGER_STRINGS.en).sort());
  });

  it('refuses a second connection of a page already connected, but not the same connection changed', async () => {
    const s = await setup();
    try {
      const stored = (await s.host.connection.connections.list())[0]!.settings;
      await expect(s.plugin.connectionSettings!.validate({ ...valid, pageId: OTHER_PAGE }, { inboxId: INBOX })).rejects.toThrow(
        /settings\.pageId: the page 20531316999 is connected already/,
      );
      expect(await s.plugin.connectionSettings!.validate({ ...stored, humanAgentTag: true }, { inboxId: INBOX, previous: stored })).toMatchObject({
        pageId: PAGE,
        humanAgentTag: true,
      });
    } finally {
      await s.close();
    }
  });
});

describe('messenger plugin: webhook', () => {
  it('routes each entry to the connection of its page, only when that connection’s app secret signed it', async () => {
    const s = await setup();
    try {
      // Signed with the first page's secret, but one entry names the other page: that entry is skipped.
      const answer = await webhook(s.host, [
        { id: PAGE, messaging: [message('111', 'm_a', { text: 'for page one' })] },
        { id: OTHER_PAGE, messaging: [message('222', 'm_b', { text: 'claims page two' })] },
      ]);
      expect(answer.status).toBe(200);
      expect(s.host.stored.map((m) => [m.connectionId, m.text])).toEqual([[CID, 'for page one']]);
      expect(s.host.metricValue('webhook_events_total', { kind: 'unknown_page' })).toBe(1);
      expect((await webhook(s.host, [{ id: OTHER_PAGE, messaging: [message('222', 'm_b', { text: 'page two' })] }], OTHER_SECRET)).status).toBe(200);
      expect(s.host.stored.map((m) => [m.connectionId, m.externalThreadId])).toEqual([
        [CID, `${PAGE}:111`],
        [OTHER_CID, `${OTHER_PAGE}:222`],
      ]);
      const unsigned = await s.host.request('POST', '/channels/messenger/webhook', { rawBody: '{"object":"page","entry":[]}' });
      expect(unsigned.status).toBe(401);
      expect(s.host.metricValue('webhook_signature_failures_total')).toBe(1);
    } finally {
      await s.close();
    }
  });

  it('answers 429 with Retry-After to an address that keeps sending refused requests, never counting signed deliveries', async () => {
    const s = await setup();
    try {
      const flood = { ip: '203.0.113.7' };
      const forged = () =>
        s.host.request('POST', '/channels/messenger/webhook', {
          ...flood,
          rawBody: '{"object":"page","entry":[]}',
          headers: { 'x-hub-signature-256': metaSignature('not-the-app-secret', '{"object":"page","entry":[]}') },
        });
      const wrongToken = () =>
        s.host.request('GET', '/channels/messenger/webhook', {
          ...flood,
          query: { 'hub.mode': 'subscribe', 'hub.verify_token': 'guess', 'hub.challenge': 'x' },
        });
      const answers: number[] = [];
      for (let i = 0; i < 30; i += 1) answers.push((await forged()).status, (await wrongToken()).status);
      expect(new Set(answers)).toEqual(new Set([401, 403]));
      const blocked = await forged();
      expect(blocked.status).toBe(429);
      expect(Number(blocked.headers?.['retry-after'])).toBeGreaterThanOrEqual(1);
      expect((await wrongToken()).status).toBe(429);
      // Meta's signed deliveries go on, and any number of them never spends an allowance.
      for (let i = 0; i < 70; i += 1)
        expect((await webhook(s.host, [{ id: PAGE, messaging: [message('111', `m_${i}`, { text: `hi ${i}` })] }])).status).toBe(200);
      expect(s.host.stored).toHaveLength(70);
      s.advance(2_000);
      expect((await forged()).status).toBe(401);
    } finally {
      await s.close();
    }
  });

  it('answers 500 when an event could not be handed over, after storing the rest; the redelivery stores what was missing, once', async () => {
    let failNext = true;
    const s = await setup({ failIngest: () => (failNext ? ((failNext = false), new Error('event store unavailable')) : null) });
    try {
      const entries = [{ id: PAGE, messaging: [message('111', 'm_1', { text: 'one' }), message('111', 'm_2', { text: 'two' })] }];
      expect((await webhook(s.host, entries)).status).toBe(500);
      expect(s.host.stored.map((m) => m.text)).toEqual(['two']);
      expect((await webhook(s.host, entries)).status).toBe(200);
      expect(s.host.stored.map((m) => m.text).sort()).toEqual(['one', 'two']);
    } finally {
      await s.close();
    }
  });

  it('keeps a message the inbox refuses in part: handed over again without the refused parts, with a note; dropped only when refused whole', async () => {
    const refusal = (status: number, text: string) => Object.assign(new Error(text), { statusCode: status });
    const s = await setup({
      failIngest: (m) =>
        m.externalThreadId === `${PAGE}:999`
          ? refusal(404, 'no connection of the channel messenger')
          : m.fields
            ? refusal(400, 'fields[0].value must be text of at most 10,000 characters')
            : null,
    });
    try {
      const reactTo = (psid: string, mid: string, action: 'react' | 'unreact', timestamp: number) => ({
        sender: { id: psid },
        recipient: { id: PAGE },
        timestamp,
        reaction: { mid, action, ...(action === 'react' ? { reaction: 'love', emoji: '❤️' } : {}) },
      });
      const entries = [
        {
          id: PAGE,
          messaging: [
            message('111', 'm_loc', { text: 'I am here', attachments: [{ type: 'location', payload: { coordinates: { lat: 52.37, long: 4.89 } } }] }),
            // A reaction to a message Parley never had (sent before the page was connected): the host answers 404.
            reactTo('222', 'm_before_parley', 'react', 1765101600000),
            reactTo('222', 'm_before_parley', 'unreact', 1765101600001),
            message('999', 'm_lost', { text: 'to a removed connection' }),
          ],
        },
      ];
      expect((await webhook(s.host, entries)).status).toBe(200);
      const byMid = Object.fromEntries(s.host.stored.map((m) => [m.externalMessageId, m]));
      expect(Object.keys(byMid).sort()).toEqual(['m_loc', 'reaction:m_before_parley:react:1765101600000']);
      expect(byMid.m_loc!.fields).toBeUndefined();
      expect(byMid.m_loc!.text).toMatch(
        /^I am here\n\n\[This Messenger message is kept without details \(Location: 52\.37, 4\.89\): the inbox refused it \(fields\[0\]\.value/,
      );
      const reaction = byMid['reaction:m_before_parley:react:1765101600000']!;
      expect(reaction.text).toMatch(/^\[This Messenger message is kept without a reaction ❤️ to a message this inbox does not have/);
      expect(s.host.reactions).toEqual([]);
      // Only the message refused whole is dropped, said at error level with its mid; taking back a reaction is no loss.
      const errors = s.host.logs.filter((l) => l.level === 'error');
      expect(errors.map((l) => (l.fields as { mid?: string }).mid)).toEqual(['m_lost']);
      expect(s.host.problems).toEqual([]);
      // Meta's redelivery of the same batch stores nothing twice.
      expect((await webhook(s.host, entries)).status).toBe(200);
      expect(s.host.stored).toHaveLength(2);
    } finally {
      await s.close();
    }
  });

  it('takes a 409 from the inbox (a conversation being deleted: retry shortly) as "not now": 500, and the redelivery stores the message whole', async () => {
    let refuseNext = true;
    const s = await setup({
      failIngest: () =>
        refuseNext ? ((refuseNext = false), Object.assign(new Error('conversation is being deleted; retry shortly'), { statusCode: 409 })) : null,
    });
    try {
      const entries = [
        {
          id: PAGE,
          messaging: [message('111', 'm_here', { text: 'Here', attachments: [{ type: 'location', payload: { coordinates: { lat: 1, long: 2 } } }] })],
        },
      ];
      expect((await webhook(s.host, entries)).status).toBe(500);
      expect(s.host.stored).toEqual([]);
      expect((await webhook(s.host, entries)).status).toBe(200);
      expect(s.host.stored).toEqual([expect.objectContaining({ text: 'Here', fields: [expect.objectContaining({ key: 'location', value: '1, 2' })] })]);
    } finally {
      await s.close();
    }
  });

  it('turns quick replies, postbacks, locations and links into choices and fields; the email quick reply shares the address', async () => {
    const s = await setup();
    try {
      await webhook(s.host, [
        {
          id: PAGE,
          messaging: [
            message('111', 'm_qr', { text: 'Yes please', quick_reply: { payload: 'parley:choice:yes' } }),
            message('111', 'm_other', { text: 'Red', quick_reply: { payload: 'SOMEONE_ELSES_PAYLOAD' } }),
            message('111', 'm_mail', { text: 'ann@example.org', quick_reply: { payload: 'ann@example.org' } }),
            {
              sender: { id: '111' },
              recipient: { id: PAGE },
              timestamp: 1765101600000,
              postback: { mid: 'm_pb', title: 'Track my order', payload: 'parley:choice:track' },
            },
            message('111', 'm_loc', { attachments: [{ type: 'location', payload: { coordinates: { lat: 52.37, long: 4.89 } } }] }),
            message('111', 'm_link', { attachments: [{ type: 'fallback', payload: { url: 'https://shop.example/p/1', title: 'Blue mug' } }] }),
          ],
        },
      ]);
      const byMid = Object.fromEntries(s.host.stored.map((m) => [m.externalMessageId, m]));
      expect(byMid.m_qr).toMatchObject({ text: 'Yes please', choiceId: 'yes' });
      expect(byMid.m_other!.choiceId).toBeUndefined();
      expect(byMid.m_mail).toMatchObject({ contactEmail: 'ann@example.org' });
      expect(byMid.m_pb).toMatchObject({ text: 'Track my order', choiceId: 'track' });
      expect(byMid.m_loc!.fields).toEqual([
        { key: 'location', label: { en: 'Location', nl: 'Locatie' }, value: '52.37, 4.89', url: 'https://www.openstreetmap.org/?mlat=52.37&mlon=4.89' },
      ]);
      expect(byMid.m_link!.fields).toEqual([{ key: 'link', label: { en: 'Link', nl: 'Link' }, value: 'Blue mug', url: 'https://shop.example/p/1' }]);
      // The name from the profile API: first and last name when Meta gives no `name`; asked once, then cached.
      expect(byMid.m_qr!.from).toEqual({ address: '111', name: 'Ann Doe 111' });
      expect(s.graph.requestsTo('GET', /\/111$/)).toHaveLength(1);
    } finally {
      await s.close();
    }
  });

  it('stores a message without a name when the profile API fails, and asks again only after an hour', async () => {
    const s = await setup();
    try {
      s.graph.on('GET', /\/333$/, () => graphError.temporary());
      await webhook(s.host, [{ id: PAGE, messaging: [message('333', 'm_x', { text: 'hi' })] }]);
      await webhook(s.host, [{ id: PAGE, messaging: [message('333', 'm_y', { text: 'hi again' })] }]);
      expect(s.host.stored.map((m) => m.from)).toEqual([{ address: '333' }, { address: '333' }]);
      expect(s.graph.requestsTo('GET', /\/333$/)).toHaveLength(1);
      s.graph.on('GET', /\/333$/, () => ({ body: { name: 'Bea Jansen', id: '333' } }));
      s.advance(HOUR + 1);
      await webhook(s.host, [{ id: PAGE, messaging: [message('333', 'm_z', { text: 'still here' })] }]);
      expect(s.host.stored.at(-1)!.from).toEqual({ address: '333', name: 'Bea Jansen' });
    } finally {
      await s.close();
    }
  });

  it('downloads media in a durable job: retried while it fails, stored with a note after the last try', async () => {
    const s = await setup();
    try {
      s.graph.on('GET', /^\/cdn\/broken\.jpg$/, () => ({ status: 404, body: { error: 'gone' } }));
      s.graph.on('GET', /^\/cdn\/ok\.jpg$/, () => ({ body: Buffer.from('jpeg bytes'), contentType: 'image/jpeg' }));
      const answer = await webhook(s.host, [
        { id: PAGE, messaging: [message('111', 'm_img', { attachments: [{ type: 'image', payload: { url: `${s.graph.baseUrl}/cdn/broken.jpg` } }] })] },
        { id: PAGE, messaging: [message('111', 'm_ok', { text: 'see', attachments: [{ type: 'image', payload: { url: `${s.graph.baseUrl}/cdn/ok.jpg` } }] })] },
      ]);
      // Answered before any download: the jobs are scheduled durably, nothing stored yet.
      expect(answer.status).toBe(200);
      expect(s.host.stored).toEqual([]);
      expect(s.host.scheduled.map((j) => [j.type, j.options.jobId, j.options.attempts])).toEqual([
        ['media', 'media:m_img', 3],
        ['media', 'media:m_ok', 3],
      ]);
      const [broken, ok] = s.host.scheduled;
      await s.host.runJob('media', ok!.data, { attempt: 1, attempts: 3 });
      expect(s.host.stored[0]).toMatchObject({ externalMessageId: 'm_ok', text: 'see' });
      expect(s.host.stored[0]!.files).toEqual([{ filename: 'ok.jpg', contentType: 'image/jpeg', content: Buffer.from('jpeg bytes') }]);

      await expect(s.host.runJob('media', broken!.data, { attempt: 1, attempts: 3 })).rejects.toThrow(/could not fetch a image.*404.*trying again/);
      expect(s.host.stored).toHaveLength(1);
      await s.host.runJob('media', broken!.data, { attempt: 3, attempts: 3 });
      expect(s.host.stored[1]).toMatchObject({
        externalMessageId: 'm_img',
        fields: [
          { key: 'attachment-missing', label: { en: 'Attachment that could not be fetched', nl: 'Bijlage die niet opgehaald kon worden' }, value: 'image' },
        ],
      });
      expect(s.host.stored[1]!.files).toBeUndefined();

      // An empty answer is no file: tried again, then the message is stored with the note.
      s.graph.on('GET', /^\/cdn\/empty\.jpg$/, () => ({ body: Buffer.alloc(0), contentType: 'image/jpeg' }));
      await webhook(s.host, [
        { id: PAGE, messaging: [message('111', 'm_empty', { attachments: [{ type: 'video', payload: { url: `${s.graph.baseUrl}/cdn/empty.jpg` } }] })] },
      ]);
      const empty = s.host.scheduled.find((j) => j.options.jobId === 'media:m_empty')!;
      await expect(s.host.runJob('media', empty.data, { attempt: 2, attempts: 3 })).rejects.toThrow(/no bytes/);
      await s.host.runJob('media', empty.data, { attempt: 3, attempts: 3 });
      expect(s.host.stored.at(-1)).toMatchObject({ externalMessageId: 'm_empty', fields: [{ key: 'attachment-missing', value: 'video' }] });

      // A file whose type the CDN does not name properly is kept as bytes of no stated type.
      s.graph.on('GET', /^\/cdn\/odd\.bin$/, () => ({ body: Buffer.from('odd'), contentType: 'not a type' }));
      await webhook(s.host, [
        {
          id: PAGE,
          messaging: [message('111', 'm_odd', { text: 'odd file', attachments: [{ type: 'file', payload: { url: `${s.graph.baseUrl}/cdn/odd.bin` } }] })],
        },
      ]);
      const odd = s.host.scheduled.find((j) => j.options.jobId === 'media:m_odd')!;
      await s.host.runJob('media', odd.data, { attempt: 1, attempts: 3 });
      expect(s.host.stored.at(-1)).toMatchObject({
        externalMessageId: 'm_odd',
        text: 'odd file',
        files: [{ filename: 'odd.bin', contentType: 'application/octet-stream', content: Buffer.from('odd') }],
      });
    } finally {
      await s.close();
    }
  });

  it('reports receipts: delivery mids and watermarks mark our replies, each status once; echoes are not stored', async () => {
    const s = await setup();
    try {
      await webhook(s.host, [{ id: PAGE, messaging: [message('111', 'm_in', { text: 'hello' }, s.now())] }]);
      const conversationId = conversationOf(s.host, '111');
      const replyId = s.host.recordReply(conversationId, { text: 'Hi Ann', at: new Date(s.now()).toISOString(), status: 'queued' });
      expect(await s.plugin.send!(outbound(s, conversationId, { messageId: replyId, text: 'Hi Ann' }))).toEqual({
        status: 'delivered',
        externalMessageId: 'm_1',
      });
      s.advance(1000);
      await webhook(s.host, [
        {
          id: PAGE,
          messaging: [
            { sender: { id: PAGE }, recipient: { id: '111' }, timestamp: s.now(), message: { mid: 'm_1', text: 'Hi Ann', is_echo: true } },
            { sender: { id: '111' }, recipient: { id: PAGE }, timestamp: s.now(), delivery: { mids: ['m_1'], watermark: s.now() } },
            { sender: { id: '111' }, recipient: { id: PAGE }, timestamp: s.now(), delivery: { watermark: s.now() } },
            { sender: { id: '111' }, recipient: { id: PAGE }, timestamp: s.now(), read: { watermark: s.now() } },
            { sender: { id: '111' }, recipient: { id: PAGE }, timestamp: s.now(), read: { watermark: s.now() } },
          ],
        },
      ]);
      expect(s.host.stored).toHaveLength(1);
      expect(s.host.statusReports.map((r) => [r.messageId, r.status])).toEqual([
        [replyId, 'delivered'],
        [replyId, 'read'],
      ]);
      expect(s.host.metricValue('webhook_events_total', { kind: 'echo' })).toBe(1);

      // Deleted forever: what the plugin kept for it (the thread, the reply's mids, the contact's name) goes too.
      expect((await s.host.storage.list('')).length).toBeGreaterThan(0);
      await s.host.deleteForever(conversationId, { deliveries: 2 });
      expect(await s.host.storage.list('')).toEqual([]);
    } finally {
      await s.close();
    }
  });
});

describe('messenger plugin: sending', () => {
  async function conversation(s: Setup, psid = '111'): Promise<string> {
    await webhook(s.host, [{ id: PAGE, messaging: [message(psid, `m_in_${psid}_${s.now()}`, { text: 'question' }, s.now())] }]);
    return conversationOf(s.host, psid);
  }

  it('splits text over 2,000 characters into several messages and puts the quick replies (at most 13, titles cut to 20) on the last', async () => {
    const s = await setup();
    try {
      const conversationId = await conversation(s);
      const text = `${'a'.repeat(1500)} ${'b'.repeat(1500)}`;
      const choices = Array.from({ length: 15 }, (_, i) => ({ id: `c${i}`, label: `A rather long label number ${i}` }));
      expect(await s.plugin.send!(outbound(s, conversationId, { text, choices }))).toEqual({ status: 'delivered', externalMessageId: 'm_1' });
      const bodies = s.graph
        .requestsTo('POST', /\/me\/messages$/)
        .map((r) => r.json as { message: { text: string; quick_replies?: { title: string; payload: string }[] } });
      expect(bodies.map((b) => b.message.text)).toEqual(['a'.repeat(1500), 'b'.repeat(1500)]);
      expect(bodies[0]!.message.quick_replies).toBeUndefined();
      const quick = bodies[1]!.message.quick_replies!;
      expect(quick).toHaveLength(13);
      expect(quick[0]).toEqual({ content_type: 'text', title: 'A rather long label…', payload: 'parley:choice:c0' });
      expect(splitText('x'.repeat(4001), 2000).map((c) => c.length)).toEqual([2000, 2000, 1]);
    } finally {
      await s.close();
    }
  });

  it('sends a messageId once: a second send answers the recorded mid; a retry after a partial failure sends only what is missing', async () => {
    const s = await setup();
    try {
      const conversationId = await conversation(s);
      const first = outbound(s, conversationId);
      expect(await s.plugin.send!(first)).toEqual({ status: 'delivered', externalMessageId: 'm_1' });
      expect(await s.plugin.send!(first)).toEqual({ status: 'delivered', externalMessageId: 'm_1' });
      expect(s.graph.requestsTo('POST', /\/me\/messages$/)).toHaveLength(1);
      expect(s.host.metricValue('sends_total', { outcome: 'duplicate' })).toBe(1);

      const long = outbound(s, conversationId, { text: `${'c'.repeat(1999)} ${'d'.repeat(10)}` });
      let calls = 0;
      s.graph.on('POST', /\/me\/messages$/, () =>
        (calls += 1) === 2 ? graphError.rateLimited(613 as 4) : { body: { recipient_id: '1', message_id: `m_long_${calls}` } },
      );
      expect(await s.plugin.send!(long)).toMatchObject({ status: 'failed', retryable: true });
      expect(await s.plugin.send!(long)).toEqual({ status: 'delivered', externalMessageId: 'm_long_1' });
      const texts = s.graph.requestsTo('POST', /\/me\/messages$/).map((r) => (r.json as { message: { text: string } }).message.text);
      expect(texts.slice(1)).toEqual(['c'.repeat(1999), 'd'.repeat(10), 'd'.repeat(10)]);
    } finally {
      await s.close();
    }
  });

  it('keeps to the window: RESPONSE within 24 hours, HUMAN_AGENT to 7 days when enabled, refused after with the reason by language', async () => {
    const plain = await setup();
    const tagged = await setup({ humanAgentTag: true });
    try {
      for (const s of [plain, tagged]) {
        const conversationId = await conversation(s);
        const get = async () => (await s.host.connection.conversations.get(conversationId)) as PluginConversation;
        expect(await s.plugin.replyWindow!(await get(), new Date(s.now()))).toEqual({
          open: true,
          closesAt: s === plain ? '2026-12-08T10:00:00.000Z' : '2026-12-14T10:00:00.000Z',
        });
        s.advance(25 * HOUR);
        const answer = await s.plugin.send!(outbound(s, conversationId, { language: 'nl' }));
        const window = await s.plugin.replyWindow!(await get(), new Date(s.now()));
        if (s === plain) {
          expect(answer).toEqual({ status: 'failed', retryable: false, reason: MESSENGER_STRINGS.nl.windowClosed });
          expect(window).toEqual({
            open: false,
            closedAt: '2026-12-08T10:00:00.000Z',
            reason: { en: MESSENGER_STRINGS.en.windowClosed, nl: MESSENGER_STRINGS.nl.windowClosed },
          });
          expect(s.graph.requestsTo('POST', /\/me\/messages$/)).toHaveLength(0);
        } else {
          expect(answer).toMatchObject({ status: 'delivered' });
          expect(s.graph.requestsTo('POST', /\/me\/messages$/)[0]!.json).toMatchObject({ messaging_type: 'MESSAGE_TAG', tag: 'HUMAN_AGENT' });
          s.advance(7 * 24 * HOUR);
          expect(await s.plugin.send!(outbound(s, conversationId))).toEqual({
            status: 'failed',
            retryable: false,
            reason: MESSENGER_STRINGS.en.windowClosedTagged,
          });
        }
      }
    } finally {
      await plain.close();
      await tagged.close();
    }
  });

  it('says why when Meta itself refuses for the window, and fails for good on a conversation it cannot reach', async () => {
    const s = await setup();
    try {
      const conversationId = await conversation(s);
      s.graph.once('POST', /\/me\/messages$/, () => graphError.messengerWindowClosed());
      expect(await s.plugin.send!(outbound(s, conversationId))).toEqual({
        status: 'failed',
        retryable: false,
        reason: expect.stringMatching(/^More than 24 hours .* \(Meta: \(#10\) This message is sent outside of allowed window\. \(code 10\/2018278\)\)$/),
      });
      expect(await s.plugin.send!(outbound(s, '00000000-0000-4000-8000-0000000000ff'))).toMatchObject({ status: 'failed', retryable: false });
      s.host.removeConnection(CID);
      expect(await s.plugin.send!(outbound(s, conversationId))).toEqual({
        status: 'failed',
        retryable: false,
        reason: `no Messenger connection for the page ${PAGE} (removed?); its contacts cannot be reached`,
      });
    } finally {
      await s.close();
    }
  });
});
