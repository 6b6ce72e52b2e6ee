import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ManualClock, type TestApp } from '../../support/app-harness';
import { startAppWithInbox, until, viewConversations } from '../../support/meta-e2e';
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
} from '../../support/whatsapp-webhook';

/**
 * WhatsApp against a running Parley: an admin connects a business number to an inbox over the
 * API, Meta's webhook deliveries (signed, in Meta's documented JSON) land in the WhatsApp view, and
 * agents' replies go to a local stand-in of the Graph API through the outbound guard (private
 * targets allowed). Parley's clock is a ManualClock: the 24-hour window and retries are moved by
 * hand, never waited for.
 */
const PHONE = '106540352242922';
const WABA = '102290129340398';
const APP_SECRET = 'e2e-whatsapp-app-secret-0123456789abcdef';
const TOKEN = 'EAAG-e2e-whatsapp-system-user-token';
const VERIFY_TOKEN = 'e2e-whatsapp-verify-4711';
const JPEG = Buffer.from('ffd8ffe000104a46494600010100000100010000ffd9', 'hex');
const HOUR = 3_600_000;

describe('WhatsApp channel against a running Parley (e2e)', () => {
  const clock = new ManualClock(new Date('2026-12-07T09:00:00.000Z'));
  const graph = new FakeGraphApi();
  let t: TestApp;
  let admin: string;
  let inboxId: string;
  let connectionId: string;
  let outgoing = 0;
  /** The wamid the stand-in gave each text it accepted. */
  const wamidOfText = new Map<string, string>();

  const template = (name: string, status: string, body: string) => ({
    name,
    language: 'en_US',
    status,
    category: 'UTILITY',
    id: `t-${name}`,
    components: [{ type: 'BODY', text: body }],
  });

  beforeAll(async () => {
    await graph.start();
    graph.on('POST', new RegExp(`^/v23\\.0/${PHONE}/messages$`), (request) => {
      const id = `wamid.out-${(outgoing += 1)}`;
      const body = request.json as { text?: { body?: string }; template?: { name: string } };
      wamidOfText.set(body.text?.body ?? body.template?.name ?? '', id);
      return { body: { messaging_product: 'whatsapp', contacts: [{ input: 'x', wa_id: 'x' }], messages: [{ id }] } };
    });
    // The business account's templates, over two pages.
    graph.on('GET', new RegExp(`^/v23\\.0/${WABA}/message_templates$`), (request) =>
      request.query.after === 'p2'
        ? {
            body: {
              data: [template('order_shipped', 'APPROVED', 'Hello {{1}}, order {{2}} has shipped.')],
              paging: { cursors: { before: 'p2', after: 'end' } },
            },
          }
        : {
            body: {
              data: [template('welcome_back', 'APPROVED', 'Welcome back!'), template('spring_sale', 'PENDING', 'Sale {{1}}')],
              paging: { cursors: { before: 'p1', after: 'p2' }, next: `${graph.baseUrl}/v23.0/${WABA}/message_templates?limit=100&after=p2` },
            },
          },
    );
    // Media: the Graph API names the download URL; the file comes from there with the same token.
    graph.on('GET', /^\/v23\.0\/media-photo$/, () => ({
      body: {
        messaging_product: 'whatsapp',
        url: `${graph.baseUrl}/whatsapp_business/attachments/?mid=media-photo`,
        mime_type: 'image/jpeg',
        file_size: JPEG.length,
        id: 'media-photo',
      },
    }));
    graph.on('GET', /^\/whatsapp_business\/attachments\/$/, (request) =>
      request.headers.authorization === `Bearer ${TOKEN}` ? { body: JPEG, contentType: 'image/jpeg' } : graphError.expiredToken(),
    );
    ({ t, admin, inboxId } = await startAppWithInbox(clock, 'WhatsApp support'));
  }, 60_000);

  afterAll(async () => {
    await t?.close();
    await graph.stop();
  });

  const get = (url: string) => t.request('GET', url, { token: admin });
  const post = (url: string, body?: unknown) => t.request('POST', url, { token: admin, ...(body === undefined ? {} : { body }) });
  const at = (minutes = 0) => new Date(clock.now().getTime() + minutes * 60_000);
  const one = (content: Parameters<typeof waChange>[1]) => waDelivery([waEntry(WABA, [waChange(PHONE, content)])]);
  function deliver(delivery: unknown, secret: string | null = APP_SECRET) {
    const signed = signWaDelivery(delivery, secret ?? 'unused');
    return t.request('POST', '/channels/whatsapp/webhook', {
      raw: signed.raw,
      headers: secret === null ? {} : { 'x-hub-signature-256': signed.headers['x-hub-signature-256']! },
    });
  }

  const whatsappConversations = () => viewConversations(t, admin, 'whatsapp', inboxId);
  const conversationOf = (waId: string) =>
    until(`the conversation of +${waId}`, async () => (await whatsappConversations()).find((c) => c.contact?.address === `+${waId}`)?.id);
  const detail = async (conversationId: string) => (await get(`/api/conversations/${conversationId}`)).body;
  const texts = async (conversationId: string) => (await detail(conversationId)).messages.map((m: { text: string }) => m.text);
  const messageCount = async () => {
    let total = 0;
    for (const c of await whatsappConversations()) total += (await detail(c.id)).messages.length;
    return total;
  };
  async function deliveryOf(conversationId: string, messageId: string, wanted: (d: { status: string; receipt?: string; reason?: string }) => boolean) {
    return until(`the delivery of ${messageId}`, async () => {
      const message = (await detail(conversationId)).messages.find((m: { id: string }) => m.id === messageId);
      return message?.delivery && wanted(message.delivery) ? (message.delivery as { status: string; receipt?: string; reason?: string }) : undefined;
    });
  }
  const sendsTo = (waId: string): GraphRequest[] => graph.requestsTo('POST', /\/messages$/).filter((r) => (r.json as { to?: string } | undefined)?.to === waId);

  it('an admin connects a number: secrets masked, templates synced; the same number twice is refused naming phoneNumberId', async () => {
    const settings = {
      phoneNumberId: PHONE,
      businessAccountId: WABA,
      accessToken: TOKEN,
      appSecret: APP_SECRET,
      verifyToken: VERIFY_TOKEN,
      graphApiBaseUrl: graph.baseUrl,
    };
    const created = await post(`/api/inboxes/${inboxId}/channels`, { type: 'whatsapp', name: 'Support number', settings });
    expect(created.status).toBe(201);
    connectionId = created.body.id;
    expect(created.body.settings).toMatchObject({
      phoneNumberId: PHONE,
      businessAccountId: WABA,
      accessToken: '••••',
      appSecret: '••••',
      verifyToken: '••••',
      apiVersion: 'v23.0',
    });
    expect(JSON.stringify(created.body)).not.toContain(APP_SECRET);
    expect(JSON.stringify(created.body)).not.toContain(TOKEN);
    const again = await post(`/api/inboxes/${inboxId}/channels`, { type: 'whatsapp', settings });
    expect(again.status).toBe(400);
    expect(again.body.message).toMatch(/settings\.phoneNumberId: "106540352242922" is already connected/);
    const bad = await post(`/api/inboxes/${inboxId}/channels`, { type: 'whatsapp', settings: { ...settings, phoneNumberId: '+31 6 12' } });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toMatch(/settings\.phoneNumberId: .*"\+31 6 12"/);
    // Connecting synced the approved templates, following Meta's paging with the token.
    const pages = await until(
      'the template sync',
      async () => graph.requestsTo('GET', /message_templates$/).length >= 2 && graph.requestsTo('GET', /message_templates$/),
    );
    expect(pages[0]!.query).toMatchObject({ fields: 'name,language,status,category,components', limit: '100' });
    expect(pages[1]!.query.after).toBe('p2');
    expect(pages.every((p) => p.headers.authorization === `Bearer ${TOKEN}`)).toBe(true);
  });

  it("answers Meta's handshake with the challenge for the verify token, 403 otherwise", async () => {
    const ok = await t.request('GET', `/channels/whatsapp/webhook?hub.mode=subscribe&hub.verify_token=${VERIFY_TOKEN}&hub.challenge=1158201444`);
    expect(ok.status).toBe(200);
    expect(String(ok.body)).toBe('1158201444');
    expect((await t.request('GET', '/channels/whatsapp/webhook?hub.mode=subscribe&hub.verify_token=wrong-token-00&hub.challenge=1')).status).toBe(403);
  });

  it('stores every message of a signed batch (2 entries × 2 changes), with profile names, once each when Meta delivers it again', async () => {
    const delivery = waDelivery([
      waEntry(WABA, [
        waChange(PHONE, {
          messages: [waText('31611110001', 'Is my order shipped?'), waText('31611110002', 'Do you sell gift cards?')],
          contacts: { '31611110001': 'Sheena Nelson' },
        }),
        waChange(PHONE, { messages: [waText('31611110001', 'Order A-1234')], statuses: [waStatus('wamid.never-ours', 'read', '31611110009')] }),
      ]),
      waEntry(WABA, [
        waChange(PHONE, { messages: [waText('31611110003', 'Opening hours?')] }),
        waChange(PHONE, { messages: [waText('31611110003', 'On Sunday?'), waText('31611110004', 'Hello')] }),
      ]),
    ]);
    expect((await deliver(delivery)).status).toBe(200);
    const sheena = await conversationOf('31611110001');
    expect(await texts(sheena)).toEqual(['Is my order shipped?', 'Order A-1234']);
    expect((await detail(sheena)).contact).toMatchObject({ address: '+31611110001', name: 'Sheena Nelson' });
    expect(await texts(await conversationOf('31611110003'))).toEqual(['Opening hours?', 'On Sunday?']);
    await conversationOf('31611110002');
    await conversationOf('31611110004');
    expect(await messageCount()).toBe(6);
    expect((await deliver(delivery)).status).toBe(200);
    expect(await messageCount()).toBe(6);
  });

  it('refuses an unsigned, a forged and a tampered delivery with 401 and stores nothing', async () => {
    const before = await messageCount();
    const delivery = one({ messages: [waText('31611110009', 'Let me in')] });
    expect((await deliver(delivery, null)).status).toBe(401);
    expect((await deliver(delivery, 'another-apps-secret-0000000000')).status).toBe(401);
    const signed = signWaDelivery(delivery, APP_SECRET);
    const tampered = await t.request('POST', '/channels/whatsapp/webhook', {
      raw: signed.raw.replace('Let me in', 'Let me out'),
      headers: { 'x-hub-signature-256': signed.headers['x-hub-signature-256']! },
    });
    expect(tampered.status).toBe(401);
    expect(await messageCount()).toBe(before);
    expect((await whatsappConversations()).some((c) => c.contact?.address === '+31611110009')).toBe(false);
  });

  it('keeps an image downloaded through its media id and serves it to the agent; a location with a map link, contacts, a reaction and a button reply', async () => {
    const from = '31611110005';
    const hello = waText(from, 'Look at this');
    expect((await deliver(one({ messages: [hello] }))).status).toBe(200);
    const conversationId = await conversationOf(from);
    const delivery = one({
      messages: [
        waMedia(from, 'image', { id: 'media-photo', mime_type: 'image/jpeg', caption: 'The broken handle' }),
        waLocation(from, { latitude: 52.3731, longitude: 4.8926, name: 'Dam Square', address: 'Amsterdam' }),
        waContacts(from, [{ name: { formatted_name: 'Jan de Vries' }, phones: [{ phone: '+31 6 1111 2222', wa_id: '31611112222', type: 'CELL' }] }]),
        waReaction(from, hello.id as string, '👍'),
        waButtonReply(from, 'somebody-elses-button', 'Yes please'),
      ],
    });
    expect((await deliver(delivery)).status).toBe(200);
    const image = await until('the image message', async () =>
      (await detail(conversationId)).messages.find((m: { attachments: unknown[] }) => m.attachments?.length === 1),
    );
    expect(image.text).toBe('The broken handle');
    expect(image.attachments[0]).toMatchObject({ contentType: 'image/jpeg', size: JPEG.length });
    const download = await t.app.inject({
      method: 'GET',
      url: `/api/conversations/${conversationId}/attachments/${image.attachments[0].id}`,
      headers: { authorization: `Bearer ${admin}` },
    });
    expect(download.statusCode).toBe(200);
    expect(download.rawPayload.equals(JPEG)).toBe(true);

    const messages = (await detail(conversationId)).messages as {
      text: string;
      fields?: { key: string; value: string; url?: string }[];
      reactions?: { emoji: string }[];
    }[];
    const location = messages.find((m) => m.text.startsWith('📍'))!;
    expect(location.fields).toEqual([
      expect.objectContaining({ key: 'location', url: 'https://www.openstreetmap.org/?mlat=52.3731&mlon=4.8926#map=17/52.3731/4.8926' }),
    ]);
    const card = messages.find((m) => m.text.startsWith('👤'))!;
    expect(card.text).toBe('👤 Jan de Vries +31 6 1111 2222');
    expect(card.fields?.map((f) => f.value)).toEqual(['Jan de Vries', '+31 6 1111 2222']);
    expect(messages.find((m) => m.text === 'Look at this')!.reactions).toEqual([expect.objectContaining({ emoji: '👍' })]);
    expect(messages.map((m) => m.text)).toContain('Yes please');
    // The reaction is on the message, not a message of its own.
    expect(messages).toHaveLength(5);
  });

  it('keeps what Parley refuses in part: a location whose details are too long and a reaction to a message it never had are stored as text with a note, once', async () => {
    const from = '31611110006';
    const longName = `Warehouse ${'x'.repeat(10_050)}`;
    const location = waLocation(from, { latitude: 52.1, longitude: 5.1, name: longName });
    const reaction = waReaction(from, 'wamid.sent-before-parley', '🙏');
    const delivery = one({ messages: [location, reaction] });
    expect((await deliver(delivery)).status).toBe(200);
    const conversationId = await conversationOf(from);
    const messages = (await detail(conversationId)).messages as { text: string; fields?: unknown[] }[];
    expect(messages).toHaveLength(2);
    expect(messages[0]!.fields ?? []).toEqual([]);
    expect(messages[0]!.text).toContain('📍 Warehouse xxx');
    expect(messages[0]!.text).toMatch(/\[This WhatsApp message is kept without details \(Location: Warehouse x+.*: the inbox refused it \(fields\[0\]\.value/s);
    expect(messages[1]!.text).toMatch(/^\[This WhatsApp message is kept without a reaction 🙏 to a message this inbox does not have: the inbox refused it/);
    // Meta's redelivery adds nothing.
    expect((await deliver(delivery)).status).toBe(200);
    expect((await detail(conversationId)).messages).toHaveLength(2);
  });

  it("sends an agent's reply with the bearer token and Meta's JSON; delivered → read → a late delivered keeps it read", async () => {
    const conversationId = await conversationOf('31611110001');
    const reply = await post(`/api/conversations/${conversationId}/replies`, { text: 'Yes, it left today.' });
    expect(reply.status).toBe(201);
    await deliveryOf(conversationId, reply.body.messageId, (d) => d.status === 'delivered');
    const [sent] = sendsTo('31611110001');
    expect(sent!.path).toBe(`/v23.0/${PHONE}/messages`);
    expect(sent!.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(sent!.json).toEqual({
      messaging_product: 'whatsapp',
      recipient_type: 'individual',
      to: '31611110001',
      type: 'text',
      text: { body: 'Yes, it left today.', preview_url: false },
    });
    const wamid = wamidOfText.get('Yes, it left today.')!;
    expect((await deliver(one({ statuses: [waStatus(wamid, 'sent', '31611110001', { at: at(0) })] }))).status).toBe(200);
    expect((await deliver(one({ statuses: [waStatus(wamid, 'delivered', '31611110001', { at: at(1) })] }))).status).toBe(200);
    await deliveryOf(conversationId, reply.body.messageId, (d) => d.receipt === 'delivered');
    expect((await deliver(one({ statuses: [waStatus(wamid, 'read', '31611110001', { at: at(2) })] }))).status).toBe(200);
    await deliveryOf(conversationId, reply.body.messageId, (d) => d.receipt === 'read');
    expect((await deliver(one({ statuses: [waStatus(wamid, 'delivered', '31611110001', { at: at(1) })] }))).status).toBe(200);
    expect((await deliveryOf(conversationId, reply.body.messageId, () => true)).receipt).toBe('read');
  });

  it("a failed status shows Meta's reason on the reply", async () => {
    const conversationId = await conversationOf('31611110002');
    const reply = await post(`/api/conversations/${conversationId}/replies`, { text: 'We do, from 10 euros.' });
    expect(reply.status).toBe(201);
    await deliveryOf(conversationId, reply.body.messageId, (d) => d.status === 'delivered');
    const wamid = wamidOfText.get('We do, from 10 euros.')!;
    const failed = waStatus(wamid, 'failed', '31611110002', {
      error: { code: 131026, title: 'Message undeliverable', details: 'The recipient is not on WhatsApp' },
    });
    expect((await deliver(one({ statuses: [failed] }))).status).toBe(200);
    const delivery = await deliveryOf(conversationId, reply.body.messageId, (d) => d.status === 'failed');
    expect(delivery.reason).toBe('Message undeliverable — The recipient is not on WhatsApp (131026)');
  });

  it('an expired token fails the reply with the reason; a rate limit (130429) is retried, then delivered', async () => {
    const conversationId = await conversationOf('31611110003');
    graph.once('POST', /\/messages$/, () => graphError.expiredToken());
    const failing = await post(`/api/conversations/${conversationId}/replies`, { text: 'We open at nine.' });
    expect(failing.status).toBe(201);
    const failed = await deliveryOf(conversationId, failing.body.messageId, (d) => d.status === 'failed');
    expect(failed.reason).toMatch(/Session has expired.*code 190.*new access token/);

    graph.once('POST', /\/messages$/, () => graphError.rateLimited(130429));
    const retried = await post(`/api/conversations/${conversationId}/replies`, { text: 'We open at nine, really.' });
    expect(retried.status).toBe(201);
    const attempts = () => sendsTo('31611110003').filter((r) => JSON.stringify(r.json).includes('really'));
    await until('the rate-limited send', async () => attempts().length === 1);
    await deliveryOf(conversationId, retried.body.messageId, (d) => d.status === 'retrying');
    // The delivery job tries again 30 s later by Parley's clock (moved on until the queue has taken the failure in).
    await until('the retried send', async () => {
      if (attempts().length < 2) clock.advance(31_000);
      const message = (await detail(conversationId)).messages.find((m: { id: string }) => m.id === retried.body.messageId);
      return message?.delivery?.status === 'delivered';
    });
    expect(attempts()).toHaveLength(2);
  });

  it('an admin syncs the templates on demand (agents may not); after 24 hours a free-form reply is refused (409) and a template goes out with its parameters', async () => {
    const agent = await t.request('POST', '/api/agents', {
      token: admin,
      body: { name: 'Agent Bob', email: 'bob-wa@example.com', password: 'bob-password-1', role: 'agent' },
    });
    expect(agent.status).toBe(201);
    const bob = await t.login('bob-wa@example.com', 'bob-password-1');
    const syncUrl = `/api/channels/whatsapp/connections/${connectionId}/templates/sync`;
    expect((await t.request('POST', syncUrl, { token: bob })).status).toBe(403);
    expect((await t.request('POST', syncUrl)).status).toBe(401);
    const synced = await post(syncUrl);
    expect(synced.status).toBe(200);
    expect(synced.body.templates.map((x: { name: string }) => x.name)).toEqual(['welcome_back', 'order_shipped']);

    const conversationId = await conversationOf('31611110004');
    clock.advance(25 * HOUR);
    const sendsBefore = graph.requestsTo('POST', /\/messages$/).length;
    const refused = await post(`/api/conversations/${conversationId}/replies`, { text: 'Still there?' });
    expect(refused.status).toBe(409);
    expect(refused.body.message).toMatch(/More than 24 hours have passed since the customer's last message/);
    expect(graph.requestsTo('POST', /\/messages$/)).toHaveLength(sendsBefore);

    const options = await get(`/api/conversations/${conversationId}/reply-options`);
    expect(options.status).toBe(200);
    expect(options.body.window).toMatchObject({ open: false });
    expect(options.body.templates).toEqual([
      { name: 'welcome_back', language: 'en_US', category: 'UTILITY', body: 'Welcome back!', parameterCount: 0 },
      { name: 'order_shipped', language: 'en_US', category: 'UTILITY', body: 'Hello {{1}}, order {{2}} has shipped.', parameterCount: 2 },
    ]);
    const templated = await post(`/api/conversations/${conversationId}/replies`, {
      template: { name: 'order_shipped', language: 'en_US', parameters: ['Sam', 'B-77'] },
    });
    expect(templated.status).toBe(201);
    await deliveryOf(conversationId, templated.body.messageId, (d) => d.status === 'delivered');
    expect(sendsTo('31611110004').at(-1)!.json).toEqual({
      messaging_product: 'whatsapp',
      recipient_type: 'individual',
      to: '31611110004',
      type: 'template',
      template: {
        name: 'order_shipped',
        language: { code: 'en_US' },
        components: [
          {
            type: 'body',
            parameters: [
              { type: 'text', text: 'Sam' },
              { type: 'text', text: 'B-77' },
            ],
          },
        ],
      },
    });
    expect(await texts(conversationId)).toContain('Hello Sam, order B-77 has shipped.');
  });
});
