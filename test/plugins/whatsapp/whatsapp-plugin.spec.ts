import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { createOutboundHttp } from '../../../src/infrastructure/outbound/outbound-guard';
import type { ChannelPlugin, InboundMessage, OutboundMessage, PluginAgent } from '../../../src/plugins/channel-plugin';
import { withoutToken } from '../../../src/plugins/meta/graph';
import { FakeHostConnection } from '../../../src/plugins/testing';
import { createWhatsAppPlugin } from '../../../src/plugins/whatsapp/whatsapp-plugin';
import { FakeGraphApi, graphError, type GraphRequest } from '../../support/fake-graph-api';
import {
  signWaDelivery,
  waButtonReply,
  waChange,
  waContacts,
  waDelivery,
  waEntry,
  waLocation,
  waMedia,
  waReaction,
  waStatus,
  waText,
  waUnsupported,
  wamid,
} from '../../support/whatsapp-webhook';

/**
 * The WhatsApp plugin against a fake host and a local stand-in of the Graph API: signed webhook
 * deliveries in Meta's documented shapes in, Graph API requests out (recorded by the stand-in).
 */
const CID = '5a7e0c0a-0000-4000-8000-00000000a001';
const CID2 = '5a7e0c0a-0000-4000-8000-00000000a002';
const INBOX = '5a7e0c0a-0000-4000-8000-00000000b0b0';
const PHONE = '106540352242922';
const PHONE2 = '106540352242999';
const WABA = '102290129340398';
const SECRET = 'whatsapp-app-secret-0123456789abcdef';
const OTHER_SECRET = 'another-meta-app-secret-0123456789';
const TOKEN = 'EAAG-whatsapp-access-token-0123456789';
const ADMIN: PluginAgent = { id: 'a1', name: 'Ada', email: 'ada@example.com', role: 'admin' };
const AGENT: PluginAgent = { id: 'a2', name: 'Bob', email: 'bob@example.com', role: 'agent' };

const graph = new FakeGraphApi();
const http = createOutboundHttp({ allowPrivateNetwork: true });
let clock = Date.parse('2026-12-07T10:00:00.000Z');
let sentCount = 0;

beforeAll(async () => {
  await graph.start();
});
afterAll(() => graph.stop());

const settings = (overrides: Record<string, unknown> = {}) => ({
  phoneNumberId: PHONE,
  businessAccountId: WABA,
  accessToken: TOKEN,
  appSecret: SECRET,
  verifyToken: 'verify-me-please',
  graphApiBaseUrl: graph.baseUrl,
  apiVersion: 'v23.0',
  ...overrides,
});

async function setup(options: { failIngest?: (message: InboundMessage) => Error | null } = {}): Promise<{ host: FakeHostConnection; plugin: ChannelPlugin }> {
  const plugin = createWhatsAppPlugin({ now: () => clock });
  const host = new FakeHostConnection(
    { id: 'whatsapp', channel: 'whatsapp' },
    {},
    {
      http,
      connections: [
        { id: CID, inboxId: INBOX, settings: settings() },
        { id: CID2, inboxId: INBOX, settings: settings({ phoneNumberId: PHONE2, appSecret: OTHER_SECRET }) },
      ],
    },
  );
  const connection = host.connection;
  const refuse = options.failIngest;
  await plugin.connect(
    refuse
      ? {
          ...connection,
          ingest: async (message, ingestOptions) => {
            const error = refuse(message);
            if (error) throw error;
            return connection.ingest(message, ingestOptions);
          },
        }
      : connection,
  );
  host.endConnect();
  return { host, plugin };
}

function post(host: FakeHostConnection, delivery: unknown, secret = SECRET) {
  const signed = signWaDelivery(delivery, secret);
  return host.request('POST', '/channels/whatsapp/webhook', { rawBody: signed.raw, headers: signed.headers });
}

const one = (phone: string, content: Parameters<typeof waChange>[1]) => waDelivery([waEntry(WABA, [waChange(phone, content)])]);

function acceptSends(): void {
  graph.on('POST', /\/messages$/, () => ({
    body: { messaging_product: 'whatsapp', contacts: [{ input: '31612345678', wa_id: '31612345678' }], messages: [{ id: `wamid.sent-${(sentCount += 1)}` }] },
  }));
}

function reply(conversationId: string, overrides: Partial<OutboundMessage> = {}): OutboundMessage {
  sentCount += 1;
  return {
    conversationId,
    messageId: `00000000-0000-4000-8000-${String(sentCount).padStart(12, '0')}`,
    channel: 'whatsapp',
    conversationChannel: 'whatsapp',
    to: [{ address: '+31612345678' }],
    subject: '',
    text: 'Thanks, it ships today.',
    thread: { externalThreadId: `${PHONE}:31612345678`, externalMessageIds: [] },
    kind: 'reply',
    ...overrides,
  };
}

const messagesTo = (phone: string) => graph.requestsTo('POST', new RegExp(`/v23\\.0/${phone}/messages$`));

beforeEach(() => {
  clock = Date.parse('2026-12-07T10:00:00.000Z');
  graph.requests.length = 0;
  acceptSends();
});

describe('whatsapp plugin: connection settings', () => {
  it('fills in the Graph API defaults, names the field it refuses and refuses a number connected twice', async () => {
    const { plugin } = await setup();
    const validate = (input: Record<string, unknown>, previous?: Record<string, unknown>) =>
      plugin.connectionSettings!.validate(input, { inboxId: INBOX, ...(previous ? { previous } : {}) });
    const { graphApiBaseUrl: _url, apiVersion: _version, ...required } = settings({ phoneNumberId: '555000111' });
    expect(await validate(required)).toMatchObject({ graphApiBaseUrl: 'https://graph.facebook.com', apiVersion: 'v23.0', phoneNumberId: '555000111' });
    await expect(validate({ ...required, phoneNumberId: '+31 6 1234' })).rejects.toThrow(/settings\.phoneNumberId: .*digits only.*"\+31 6 1234"/);
    await expect(validate({ ...required, accessToken: undefined })).rejects.toThrow(/settings\.accessToken: is required/);
    await expect(validate({ ...required, apiVersion: '23' })).rejects.toThrow(/settings\.apiVersion: must look like v23\.0 \(got "23"\)/);
    await expect(validate({ ...required, graphApiBaseUrl: 'ftp://x' })).rejects.toThrow(/settings\.graphApiBaseUrl/);
    await expect(validate({ ...required, colour: 'green' })).rejects.toThrow(/settings\.colour: is not a WhatsApp setting/);
    await expect(validate(settings())).rejects.toThrow(/settings\.phoneNumberId: "106540352242922" is already connected/);
    // The connection itself may keep its number on a change.
    expect(await validate(settings({ appSecret: 'a-new-app-secret-0123456789' }), settings())).toMatchObject({ phoneNumberId: PHONE });
    expect(plugin.connectionSettings!.secrets).toEqual(['accessToken', 'appSecret', 'verifyToken']);
    const fields = plugin.connectionSettings!.fields!;
    expect(fields.map((f) => f.key)).toEqual([
      'phoneNumberId',
      'businessAccountId',
      'accessToken',
      'appSecret',
      'verifyToken',
      'graphApiBaseUrl',
      'apiVersion',
    ]);
    for (const field of fields) expect(field.help?.nl).toEqual(expect.any(String));
  });
});

describe('whatsapp plugin: webhook', () => {
  it("answers Meta's handshake with a connection's verify token, and 403 otherwise", async () => {
    const { host } = await setup();
    const ok = await host.request('GET', '/channels/whatsapp/webhook', {
      query: { 'hub.mode': 'subscribe', 'hub.verify_token': 'verify-me-please', 'hub.challenge': '1158201444' },
    });
    expect(ok).toMatchObject({ status: 200, body: '1158201444' });
    const wrong = await host.request('GET', '/channels/whatsapp/webhook', {
      query: { 'hub.mode': 'subscribe', 'hub.verify_token': 'nope', 'hub.challenge': 'x' },
    });
    expect(wrong.status).toBe(403);
  });

  it('refuses an unsigned, forged or tampered delivery with 401 and stores nothing', async () => {
    const { host } = await setup();
    const delivery = one(PHONE, { messages: [waText('31612345678', 'Hello')] });
    const signed = signWaDelivery(delivery, SECRET);
    const unsigned = await host.request('POST', '/channels/whatsapp/webhook', { rawBody: signed.raw, headers: { 'content-type': 'application/json' } });
    const forged = await post(host, delivery, 'not-the-app-secret-0123456789');
    const tampered = await host.request('POST', '/channels/whatsapp/webhook', { rawBody: signed.raw.replace('Hello', 'Hellx'), headers: signed.headers });
    expect([unsigned.status, forged.status, tampered.status]).toEqual([401, 401, 401]);
    expect(host.stored).toEqual([]);
    expect(host.metricValue('webhook_deliveries_total', { result: 'unsigned' })).toBe(3);
  });

  it('answers 429 with Retry-After to an address that keeps sending refused requests, never counting signed deliveries', async () => {
    const { host } = await setup();
    const flood = { ip: '203.0.113.9' };
    const unsigned = () => host.request('POST', '/channels/whatsapp/webhook', { ...flood, rawBody: '{"object":"whatsapp_business_account","entry":[]}' });
    const wrongToken = () =>
      host.request('GET', '/channels/whatsapp/webhook', { ...flood, query: { 'hub.mode': 'subscribe', 'hub.verify_token': 'guess', 'hub.challenge': 'x' } });
    const answers: number[] = [];
    for (let i = 0; i < 30; i += 1) answers.push((await unsigned()).status, (await wrongToken()).status);
    expect(new Set(answers)).toEqual(new Set([401, 403]));
    const blocked = await unsigned();
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers?.['retry-after'])).toBeGreaterThanOrEqual(1);
    expect((await wrongToken()).status).toBe(429);
    // Meta's signed deliveries from other addresses go on, and any number of them never spends an allowance.
    for (let i = 0; i < 70; i += 1) expect((await post(host, one(PHONE, { messages: [waText('31612345678', `hi ${i}`)] }))).status).toBe(200);
    expect(host.stored).toHaveLength(70);
    // The allowance comes back with time.
    clock += 2_000;
    expect((await unsigned()).status).toBe(401);
  });

  it('takes every entry, change, message and status of a batch, each number to its own connection, once', async () => {
    const { host } = await setup();
    const texts = ['one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight'];
    const delivery = waDelivery([
      waEntry(WABA, [
        waChange(PHONE, { messages: [waText('31611111111', texts[0]!), waText('31622222222', texts[1]!)], contacts: { '31611111111': 'Sheena Nelson' } }),
        waChange(PHONE, { messages: [waText('31611111111', texts[2]!), waText('31633333333', texts[3]!)] }),
      ]),
      waEntry(WABA, [
        waChange(PHONE, { messages: [waText('31644444444', texts[4]!), waText('31655555555', texts[5]!)] }),
        waChange(PHONE, { messages: [waText('31666666666', texts[6]!), waText('31611111111', texts[7]!)], statuses: [waStatus('wamid.unknown', 'read', '1')] }),
      ]),
    ]);
    const answer = await post(host, delivery);
    expect(answer.status).toBe(200);
    expect(host.stored.map((m) => m.text).sort()).toEqual([...texts].sort());
    const sheena = host.stored.filter((m) => m.from.address === '+31611111111');
    expect(sheena.map((m) => m.text)).toEqual(['one', 'three', 'eight']);
    expect(sheena[0]).toMatchObject({ channel: 'whatsapp', connectionId: CID, externalThreadId: `${PHONE}:31611111111`, from: { name: 'Sheena Nelson' } });
    expect(new Set(sheena.map((m) => m.conversationId)).size).toBe(1);
    // Replayed with a valid signature: nothing new.
    expect((await post(host, delivery)).status).toBe(200);
    expect(host.stored).toHaveLength(8);
    // Another number, signed by its own app's secret, lands in its own connection; signed by the wrong app, it is skipped.
    expect((await post(host, one(PHONE2, { messages: [waText('31677777777', 'via two')] }), OTHER_SECRET)).status).toBe(200);
    expect((await post(host, one(PHONE2, { messages: [waText('31677777777', 'wrong app')] }), SECRET)).status).toBe(200);
    expect(host.stored.filter((m) => m.connectionId === CID2).map((m) => m.text)).toEqual(['via two']);
    expect(host.statusReports).toEqual([]);
    expect(host.problems).toEqual([]);
  });

  it('downloads media through its id in a durable job, with the bearer token, and stores the file with the caption', async () => {
    const { host } = await setup();
    const jpeg = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 4]);
    graph.on('GET', /^\/v23\.0\/media-1$/, () => ({
      body: {
        messaging_product: 'whatsapp',
        url: `${graph.baseUrl}/lookaside/media-1?ext=1`,
        mime_type: 'image/jpeg',
        sha256: 'x',
        file_size: jpeg.length,
        id: 'media-1',
      },
    }));
    graph.on('GET', /^\/lookaside\/media-1$/, () => ({ body: jpeg, contentType: 'image/jpeg' }));
    const image = waMedia('31612345678', 'image', { id: 'media-1', mime_type: 'image/jpeg', caption: 'The broken handle' });
    expect((await post(host, one(PHONE, { messages: [image] }))).status).toBe(200);
    expect(host.stored).toEqual([]);
    expect(host.scheduled).toHaveLength(1);
    const [job] = host.scheduled;
    await host.runJob(job!.type, job!.data, { attempt: 1, attempts: 5 });
    expect(host.stored).toHaveLength(1);
    expect(host.stored[0]).toMatchObject({ text: 'The broken handle', files: [{ contentType: 'image/jpeg', filename: expect.stringMatching(/\.jpg$/) }] });
    expect(Buffer.from(host.stored[0]!.files![0]!.content).equals(jpeg)).toBe(true);
    const download = graph.requestsTo('GET', /^\/lookaside\/media-1$/)[0]!;
    expect(download.headers.authorization).toBe(`Bearer ${TOKEN}`);
  });

  it('retries a failing media download, and after the last try stores the message without the file, saying why', async () => {
    const { host } = await setup();
    graph.on('GET', /^\/v23\.0\/media-2$/, () => graphError.temporary());
    const doc = waMedia('31612345678', 'document', { id: 'media-2', mime_type: 'application/pdf', filename: 'invoice.pdf', caption: 'My invoice' });
    await post(host, one(PHONE, { messages: [doc] }));
    const [job] = host.scheduled;
    await expect(host.runJob(job!.type, job!.data, { attempt: 1, attempts: 3 })).rejects.toThrow(/media-2/);
    expect(host.stored).toEqual([]);
    await host.runJob(job!.type, job!.data, { attempt: 3, attempts: 3 });
    expect(host.stored).toHaveLength(1);
    expect(host.stored[0]!.text).toMatch(/^My invoice\n\n\[The document of this WhatsApp message could not be downloaded: .*unexpected error/);
    expect(host.stored[0]!.files).toBeUndefined();
  });

  it('keeps a file whose type Meta names oddly as plain bytes', async () => {
    const { host } = await setup();
    graph.on('GET', /^\/v23\.0\/media-3$/, () => ({ body: { url: `${graph.baseUrl}/lookaside/media-3`, mime_type: 'jpeg', file_size: 3, id: 'media-3' } }));
    graph.on('GET', /^\/lookaside\/media-3$/, () => ({ body: Buffer.from([1, 2, 3]), contentType: 'application/octet-stream' }));
    await post(host, one(PHONE, { messages: [waMedia('31612345678', 'sticker', { id: 'media-3', mime_type: 'jpeg' })] }));
    const [job] = host.scheduled;
    await host.runJob(job!.type, job!.data, { attempt: 1, attempts: 5 });
    expect(host.problems).toEqual([]);
    expect(host.stored).toHaveLength(1);
    expect(host.stored[0]!.files).toEqual([expect.objectContaining({ contentType: 'application/octet-stream', filename: 'sticker-media-3.bin' })]);
  });

  it('stores a location with a map link, contact cards as fields, a reaction on its message, a choice and an unsupported message', async () => {
    const { host } = await setup();
    const from = '31612345678';
    const first = waText(from, 'Where are you?');
    await post(host, one(PHONE, { messages: [first] }));
    const delivery = one(PHONE, {
      messages: [
        waLocation(from, { latitude: 52.37, longitude: 4.89, name: 'Dam Square', address: 'Amsterdam' }),
        waContacts(from, [{ name: { formatted_name: 'Jan de Vries' }, phones: [{ phone: '+31 6 1111 2222', wa_id: '31611112222', type: 'CELL' }] }]),
        waReaction(from, first.id as string, '👍'),
        waButtonReply(from, 'parley-choice:yes', 'Yes please'),
        waButtonReply(from, 'somebody-elses-button', 'Other'),
        waUnsupported(from),
      ],
    });
    const answer = await post(host, delivery);
    expect([answer.status, host.problems]).toEqual([200, []]);
    const [firstStored, location, contacts, choice, other, unsupported] = host.stored;
    expect(location).toMatchObject({
      text: '📍 Dam Square, Amsterdam',
      fields: [
        { key: 'location', value: 'Dam Square — Amsterdam — 52.37, 4.89', url: 'https://www.openstreetmap.org/?mlat=52.37&mlon=4.89#map=17/52.37/4.89' },
      ],
    });
    expect(contacts!.text).toBe('👤 Jan de Vries +31 6 1111 2222');
    expect(contacts!.fields).toEqual(
      expect.arrayContaining([expect.objectContaining({ value: 'Jan de Vries' }), expect.objectContaining({ value: '+31 6 1111 2222' })]),
    );
    expect(host.reactions).toEqual([expect.objectContaining({ messageId: firstStored!.messageId, emoji: '👍', from: '+31612345678' })]);
    expect(choice).toMatchObject({ text: 'Yes please', choiceId: 'yes' });
    expect(other!.text).toBe('Other');
    expect(other!.choiceId).toBeUndefined();
    expect(unsupported!.text).toMatch(
      /WhatsApp could not show this message \(type "unsupported"\): Message type unknown: Message type is currently not supported/,
    );
  });
});

describe('whatsapp plugin: what the inbox refuses', () => {
  it('keeps a message the inbox refuses in part: handed over again without the refused parts, with a note; dropped only when refused whole', async () => {
    const refusal = (status: number, text: string) => Object.assign(new Error(text), { statusCode: status });
    const { host } = await setup({
      failIngest: (m) =>
        m.from.address === '+31699999999'
          ? refusal(404, 'no connection of the channel whatsapp')
          : m.fields
            ? refusal(400, 'fields[0].value must be text of at most 10,000 characters')
            : null,
    });
    const location = waLocation('31612345678', { latitude: 52.37, longitude: 4.89, name: 'Dam Square' });
    // A reaction to a message Parley never had (sent before the number was connected): the host answers 404.
    const reaction = waReaction('31622222222', wamid(), '🙏');
    const removed = waReaction('31622222222', wamid(), '');
    const lost = waText('31699999999', 'to a removed connection');
    const delivery = one(PHONE, { messages: [location, reaction, removed, lost] });
    expect((await post(host, delivery)).status).toBe(200);
    const byId = Object.fromEntries(host.stored.map((m) => [m.externalMessageId, m]));
    expect(Object.keys(byId).sort()).toEqual([location.id, reaction.id].sort());
    expect(byId[location.id as string]!.fields).toBeUndefined();
    expect(byId[location.id as string]!.text).toMatch(
      /^📍 Dam Square\n\n\[This WhatsApp message is kept without details \(Location: Dam Square — 52\.37, 4\.89\): the inbox refused it \(fields\[0\]/,
    );
    expect(byId[reaction.id as string]!.text).toMatch(/^\[This WhatsApp message is kept without a reaction 🙏 to a message this inbox does not have/);
    expect(host.reactions).toEqual([]);
    // Only the message refused whole is dropped, said at error level with its wamid; a reaction taken back is no loss.
    const errors = host.logs.filter((l) => l.level === 'error');
    expect(errors.map((l) => (l.fields as { externalMessageId?: string }).externalMessageId)).toEqual([lost.id]);
    expect(host.problems).toEqual([]);
    // Meta's redelivery stores nothing twice.
    expect((await post(host, delivery)).status).toBe(200);
    expect(host.stored).toHaveLength(2);
  });
});

describe('whatsapp plugin: a 409 from the inbox', () => {
  it('is "not now" (a conversation being deleted: retry shortly): 500, and the redelivery stores the message whole', async () => {
    let refuseNext = true;
    const { host } = await setup({
      failIngest: () =>
        refuseNext ? ((refuseNext = false), Object.assign(new Error('conversation is being deleted; retry shortly'), { statusCode: 409 })) : null,
    });
    const delivery = one(PHONE, { messages: [waLocation('31612345678', { latitude: 1, longitude: 2, name: 'Here' })] });
    expect((await post(host, delivery)).status).toBe(500);
    expect(host.stored).toEqual([]);
    expect((await post(host, delivery)).status).toBe(200);
    expect(host.stored).toEqual([expect.objectContaining({ text: '📍 Here', fields: [expect.objectContaining({ key: 'location' })] })]);
  });
});

describe('whatsapp plugin: sending and statuses', () => {
  async function conversation(host: FakeHostConnection, from = '31612345678'): Promise<string> {
    await post(host, one(PHONE, { messages: [waText(from, 'Hi', { at: new Date(clock) })] }));
    return host.stored.find((m) => m.from.address === `+${from}`)!.conversationId;
  }

  it('sends text with the bearer token in the documented JSON, split over 4,096 characters, once per messageId', async () => {
    const { host, plugin } = await setup();
    const conversationId = await conversation(host);
    const long = `${'a'.repeat(4000)} ${'b'.repeat(200)}`;
    const outbound = reply(conversationId, { text: long });
    const result = await plugin.send!(outbound);
    expect(result).toEqual({ status: 'delivered', externalMessageId: expect.stringMatching(/^wamid\.sent-/) });
    const sent = messagesTo(PHONE);
    expect(sent).toHaveLength(2);
    expect(sent[0]!.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(sent[0]!.json).toEqual({
      messaging_product: 'whatsapp',
      recipient_type: 'individual',
      to: '31612345678',
      type: 'text',
      text: { body: 'a'.repeat(4000), preview_url: false },
    });
    expect((sent[1]!.json as { text: { body: string } }).text.body).toBe('b'.repeat(200));
    expect(await plugin.send!(outbound)).toEqual(result);
    expect(messagesTo(PHONE)).toHaveLength(2);
  });

  it('turns statuses into receipts on the reply, in any order, also one that beat the send', async () => {
    const { host, plugin } = await setup();
    const conversationId = await conversation(host);
    const outbound = reply(conversationId);
    const early = 'wamid.sent-early';
    graph.once('POST', /\/messages$/, () => ({ body: { messaging_product: 'whatsapp', messages: [{ id: early }] } }));
    // Meta's "delivered" arrives before the send's answer was recorded.
    await post(host, one(PHONE, { statuses: [waStatus(early, 'delivered', '31612345678')] }));
    expect(host.statusReports).toEqual([]);
    expect(await plugin.send!(outbound)).toEqual({ status: 'delivered', externalMessageId: early });
    await post(host, one(PHONE, { statuses: [waStatus(early, 'sent', '31612345678'), waStatus(early, 'read', '31612345678')] }));
    await post(host, one(PHONE, { statuses: [waStatus(early, 'delivered', '31612345678')] }));
    expect(host.statusReports.map((r) => [r.messageId, r.status])).toEqual([
      [outbound.messageId, 'delivered'],
      [outbound.messageId, 'read'],
      [outbound.messageId, 'delivered'],
    ]);
    // A status of a message Parley never sent changes nothing.
    await post(host, one(PHONE, { statuses: [waStatus(wamid(), 'read', '31612345678')] }));
    expect(host.statusReports).toHaveLength(3);
  });

  it("reports a failed status with Meta's title, code and details", async () => {
    const { host, plugin } = await setup();
    const conversationId = await conversation(host);
    const outbound = reply(conversationId);
    const result = await plugin.send!(outbound);
    const id = result.status === 'delivered' ? result.externalMessageId! : '';
    await post(
      host,
      one(PHONE, {
        statuses: [
          waStatus(id, 'failed', '31612345678', { error: { code: 131026, title: 'Message undeliverable', details: 'The recipient is not on WhatsApp' } }),
        ],
      }),
    );
    expect(host.statusReports).toEqual([
      expect.objectContaining({ messageId: outbound.messageId, status: 'failed', reason: 'Message undeliverable — The recipient is not on WhatsApp (131026)' }),
    ]);
  });

  it('refuses a free-form reply after the 24-hour window, naming it, and sends a template with its parameters', async () => {
    const { host, plugin } = await setup();
    const conversationId = await conversation(host);
    const stored = await host.connection.conversations.get(conversationId);
    expect(plugin.replyWindow!(stored!, new Date(clock + 60_000))).toEqual({ open: true, closesAt: '2026-12-08T10:00:00.000Z' });
    clock += 25 * 60 * 60 * 1000;
    const closed = plugin.replyWindow!(stored!, new Date(clock));
    expect(closed).toMatchObject({ open: false, reason: { en: expect.stringMatching(/More than 24 hours/), nl: expect.stringMatching(/meer dan 24 uur/) } });
    expect(await plugin.send!(reply(conversationId))).toEqual({
      status: 'failed',
      retryable: false,
      reason: expect.stringMatching(/More than 24 hours have passed/),
    });
    expect(messagesTo(PHONE)).toHaveLength(0);
    const template = { name: 'order_update', language: 'en_US', parameters: ['Sheena', 'A-1234'] };
    expect(await plugin.send!(reply(conversationId, { template, text: 'Hello Sheena, your order A-1234 has shipped.' }))).toMatchObject({
      status: 'delivered',
    });
    expect(messagesTo(PHONE)[0]!.json).toEqual({
      messaging_product: 'whatsapp',
      recipient_type: 'individual',
      to: '31612345678',
      type: 'template',
      template: {
        name: 'order_update',
        language: { code: 'en_US' },
        components: [
          {
            type: 'body',
            parameters: [
              { type: 'text', text: 'Sheena' },
              { type: 'text', text: 'A-1234' },
            ],
          },
        ],
      },
    });
  });

  it('offers choices as reply buttons (or a list), and uploads attachments before sending them by media id', async () => {
    const { host, plugin } = await setup();
    const conversationId = await conversation(host);
    graph.on('POST', /\/media$/, () => ({ body: { id: 'uploaded-media-1' } }));
    await plugin.send!(
      reply(conversationId, {
        text: 'Did that help?',
        choices: [
          { id: 'yes', label: 'Yes' },
          { id: 'no', label: 'No' },
        ],
        attachments: [{ id: 'f1', filename: 'manual.pdf', contentType: 'application/pdf', size: 5, content: Buffer.from('%PDF-') }],
      }),
    );
    const [buttons, media] = messagesTo(PHONE).map((r: GraphRequest) => r.json as Record<string, any>);
    expect(buttons).toMatchObject({
      type: 'interactive',
      interactive: {
        type: 'button',
        body: { text: 'Did that help?' },
        action: {
          buttons: [
            { type: 'reply', reply: { id: 'parley-choice:yes', title: 'Yes' } },
            { type: 'reply', reply: { id: 'parley-choice:no', title: 'No' } },
          ],
        },
      },
    });
    expect(media).toEqual({
      messaging_product: 'whatsapp',
      recipient_type: 'individual',
      to: '31612345678',
      type: 'document',
      document: { id: 'uploaded-media-1', filename: 'manual.pdf' },
    });
    const upload = graph.requestsTo('POST', /\/media$/)[0]!;
    expect(upload.path).toBe(`/v23.0/${PHONE}/media`);
    expect(String(upload.headers['content-type'])).toMatch(/^multipart\/form-data; boundary=/);
    expect(upload.body.toString('utf8')).toContain('name="messaging_product"\r\n\r\nwhatsapp');
    expect(upload.body.toString('utf8')).toContain('filename="manual.pdf"');
    await plugin.send!(reply(conversationId, { text: 'Pick one', choices: ['One', 'Two', 'Three', 'Four'].map((label, i) => ({ id: `c${i}`, label })) }));
    expect((messagesTo(PHONE).at(-1)!.json as Record<string, any>).interactive).toMatchObject({
      type: 'list',
      action: { button: 'Choose', sections: [{ rows: expect.any(Array) }] },
    });
  });

  it('classifies Meta errors: an expired token and a closed window are permanent, throttling retryable', async () => {
    const { host, plugin } = await setup();
    const conversationId = await conversation(host);
    graph.once('POST', /\/messages$/, () => graphError.expiredToken());
    expect(await plugin.send!(reply(conversationId))).toEqual({
      status: 'failed',
      retryable: false,
      reason: expect.stringMatching(/Session has expired.*code 190.*new access token/),
    });
    graph.once('POST', /\/messages$/, () => graphError.rateLimited());
    expect(await plugin.send!(reply(conversationId))).toEqual({ status: 'failed', retryable: true, reason: expect.stringMatching(/130429/) });
    graph.once('POST', /\/messages$/, () => graphError.whatsappWindowClosed());
    expect(await plugin.send!(reply(conversationId))).toEqual({ status: 'failed', retryable: false, reason: expect.stringMatching(/24 hours.*131047/) });
    // Meta repeats a token it cannot parse in its message: the reason (kept on the reply, shown to agents) never has it.
    graph.once('POST', /\/messages$/, () => ({
      status: 400,
      body: { error: { message: `Malformed access token ${TOKEN}`, type: 'OAuthException', code: 190, fbtrace_id: 'AbC' } },
    }));
    const malformed = await plugin.send!(reply(conversationId));
    expect(malformed).toEqual({ status: 'failed', retryable: false, reason: expect.stringMatching(/^Malformed access token \[token\] \(code 190\)/) });
    expect(JSON.stringify(malformed)).not.toContain(TOKEN);
    expect(withoutToken('Malformed access token EAAJZCx0aBcDeFgHiJkLmNoPqRsTuV and more')).toBe('Malformed access token [token] and more');
  });
});

describe('whatsapp plugin: templates', () => {
  it('syncs the approved templates with paging, offers them on the conversation, and keeps the last list when a sync fails', async () => {
    const { host, plugin } = await setup();
    const template = (name: string, status: string, body: string) => ({
      name,
      language: 'en_US',
      status,
      category: 'UTILITY',
      id: name,
      components: [
        { type: 'HEADER', format: 'TEXT', text: 'Hi' },
        { type: 'BODY', text: body },
      ],
    });
    graph.on('GET', new RegExp(`/v23\\.0/${WABA}/message_templates$`), (request) =>
      request.query.after === 'page2'
        ? {
            body: {
              data: [template('order_update', 'APPROVED', 'Hello {{1}}, your order {{2}} has shipped.')],
              paging: { cursors: { before: 'x', after: 'y' } },
            },
          }
        : {
            body: {
              data: [template('welcome', 'APPROVED', 'Welcome!'), template('promo', 'REJECTED', 'Buy {{1}}')],
              paging: { cursors: { before: 'a', after: 'page2' }, next: `${graph.baseUrl}/v23.0/${WABA}/message_templates?limit=100&after=page2` },
            },
          },
    );
    const forbidden = await host.request('POST', `/api/channels/whatsapp/connections/${CID}/templates/sync`, { agent: AGENT });
    expect(forbidden.status).toBe(403);
    expect((await host.request('POST', `/api/channels/whatsapp/connections/nope/templates/sync`, { agent: ADMIN })).status).toBe(404);
    const synced = await host.request('POST', `/api/channels/whatsapp/connections/${CID}/templates/sync`, { agent: ADMIN });
    expect(synced.status).toBe(200);
    const requests = graph.requestsTo('GET', /message_templates$/);
    expect(requests).toHaveLength(2);
    expect(requests[0]!.query).toMatchObject({ fields: 'name,language,status,category,components', limit: '100' });
    expect(requests[1]!.headers.authorization).toBe(`Bearer ${TOKEN}`);
    await post(host, one(PHONE, { messages: [waText('31612345678', 'Hi')] }));
    const conversation = await host.connection.conversations.get(host.stored[0]!.conversationId);
    const expected = [
      { name: 'welcome', language: 'en_US', category: 'UTILITY', body: 'Welcome!', parameterCount: 0 },
      { name: 'order_update', language: 'en_US', category: 'UTILITY', body: 'Hello {{1}}, your order {{2}} has shipped.', parameterCount: 2 },
    ];
    expect(await plugin.templates!(conversation!)).toEqual(expected);
    graph.on('GET', /message_templates$/, () => graphError.expiredToken());
    const failed = await host.request('POST', `/api/channels/whatsapp/connections/${CID}/templates/sync`, { agent: ADMIN });
    expect(failed.status).toBe(502);
    expect(JSON.stringify(failed.body)).toMatch(/code 190/);
    expect(await plugin.templates!(conversation!)).toEqual(expected);
  });

  it('schedules a sync when a connection is created or changed, and the six-hourly sync of every connection', async () => {
    const { host } = await setup();
    await host.startListeners();
    expect(host.scheduled.map((s) => s.type)).toContain('sync-all-templates');
    host.changeConnection(CID, { name: 'Renamed' });
    await new Promise((resolve) => setImmediate(resolve));
    expect(host.scheduled.filter((s) => s.type === 'sync-templates').map((s) => s.data)).toEqual([{ connectionId: CID }]);
    await host.stopListeners();
  });
});
