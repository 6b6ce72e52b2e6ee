import { metaSignature } from '../../../src/plugins/meta/webhook';
import { ManualClock, type TestApp } from '../../support/app-harness';
import { startAppWithInbox, until, viewConversations } from '../../support/meta-e2e';
import { FakeGraphApi, graphError, type GraphRequest } from '../../support/fake-graph-api';

/**
 * Messenger against a running Parley: an admin connects a page to an inbox over the API, Meta's
 * webhook deliveries (signed batches in Meta's documented JSON) land in the Messenger view, and
 * agents' replies go to a local stand-in of the Graph API through the outbound guard (private
 * targets allowed). Parley's clock is a ManualClock, so the 24-hour window and retries are moved
 * by hand, never waited for.
 */
const PAGE = '104857600123';
const APP_SECRET = 'e2e-messenger-app-secret-0123456789abcdef';
const VERIFY_TOKEN = 'e2e-verify-token-4711';
const PNG = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000', 'hex');
const HOUR = 3_600_000;

describe('Messenger channel against a running Parley (e2e)', () => {
  const clock = new ManualClock(new Date('2026-12-07T09:00:00.000Z'));
  const graph = new FakeGraphApi();
  let t: TestApp;
  let admin: string;
  let inboxId: string;
  let connectionId: string;
  let outgoing = 0;

  beforeAll(async () => {
    await graph.start();
    // The profile API: GET /{psid}?fields=name,first_name,last_name with the page token.
    graph.on('GET', /^\/v23\.0\/(\d+)$/, (_request, match) => ({
      body: { name: `Contact ${match[1]}`, first_name: 'Contact', last_name: match[1], id: match[1] },
    }));
    // The Send API accepts by default.
    graph.on('POST', /^\/v23\.0\/me\/messages$/, () => ({ body: { recipient_id: 'psid', message_id: `m_out_${(outgoing += 1)}` } }));
    // Meta's CDN, where attachments of the contacts' messages are fetched from.
    graph.on('GET', /^\/cdn\/photo\.png$/, () => ({ body: PNG, contentType: 'image/png' }));
    ({ t, admin, inboxId } = await startAppWithInbox(clock, 'Facebook page'));
  });
  afterAll(async () => {
    await t?.close();
    await graph.stop();
  });

  const get = (url: string) => t.request('GET', url, { token: admin });
  const post = (url: string, body: unknown) => t.request('POST', url, { token: admin, body });
  const nowMs = () => clock.now().getTime();

  const event = (psid: string, extra: Record<string, unknown>) => ({ sender: { id: psid }, recipient: { id: PAGE }, timestamp: nowMs(), ...extra });
  const textEvent = (psid: string, mid: string, text: string, extra: Record<string, unknown> = {}) => event(psid, { message: { mid, text, ...extra } });
  const batch = (...entries: unknown[][]) => JSON.stringify({ object: 'page', entry: entries.map((messaging) => ({ id: PAGE, time: nowMs(), messaging })) });
  const deliver = (body: string, signature: string | null = metaSignature(APP_SECRET, body)) =>
    t.request('POST', '/channels/messenger/webhook', { raw: body, headers: signature === null ? {} : { 'x-hub-signature-256': signature } });

  const messengerConversations = () => viewConversations(t, admin, 'messenger', inboxId);

  /** The conversation of one contact (PSID), once the view shows it. */
  async function conversationOf(psid: string): Promise<string> {
    return until(`the conversation of ${psid}`, async () => (await messengerConversations()).find((c) => c.contact?.address === psid)?.id);
  }

  const detail = async (conversationId: string) => (await get(`/api/conversations/${conversationId}`)).body;
  const messageCount = async () => {
    let total = 0;
    for (const c of await messengerConversations()) total += (await detail(c.id)).messages.length;
    return total;
  };

  async function deliveryOf(conversationId: string, messageId: string, wanted: (d: { status: string; receipt?: string; reason?: string }) => boolean) {
    return until(`the delivery of ${messageId}`, async () => {
      const message = (await detail(conversationId)).messages.find((m: { id: string }) => m.id === messageId);
      return message?.delivery && wanted(message.delivery) ? (message.delivery as { status: string; receipt?: string; reason?: string }) : undefined;
    });
  }

  const sendsTo = (psid: string): GraphRequest[] =>
    graph.requestsTo('POST', /\/me\/messages$/).filter((r) => (r.json as { recipient?: { id?: string } } | undefined)?.recipient?.id === psid);

  it('an admin connects a page: secrets masked in the answer; the same page twice is refused naming pageId', async () => {
    const settings = {
      pageId: PAGE,
      pageAccessToken: 'EAAe2e-page-access-token',
      appSecret: APP_SECRET,
      verifyToken: VERIFY_TOKEN,
      graphApiBaseUrl: graph.baseUrl,
    };
    const created = await post(`/api/inboxes/${inboxId}/channels`, { type: 'messenger', name: 'Our page', settings });
    expect(created.status).toBe(201);
    connectionId = created.body.id;
    expect(created.body.settings).toMatchObject({
      pageId: PAGE,
      pageAccessToken: '••••',
      appSecret: '••••',
      verifyToken: '••••',
      apiVersion: 'v23.0',
      humanAgentTag: false,
    });
    expect(JSON.stringify(created.body)).not.toContain(APP_SECRET);

    const again = await post(`/api/inboxes/${inboxId}/channels`, { type: 'messenger', settings });
    expect(again.status).toBe(400);
    expect(again.body.message).toMatch(/settings\.pageId: .*104857600123.*connected already/);
    const bad = await post(`/api/inboxes/${inboxId}/channels`, { type: 'messenger', settings: { ...settings, pageId: 'my-page' } });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toMatch(/settings\.pageId: .*"my-page"/);
  });

  it("answers Meta's handshake with the challenge for the verify token, 403 otherwise", async () => {
    const ok = await t.request('GET', `/channels/messenger/webhook?hub.mode=subscribe&hub.verify_token=${VERIFY_TOKEN}&hub.challenge=1158201444`);
    expect(ok.status).toBe(200);
    expect(String(ok.body)).toBe('1158201444');
    expect((await t.request('GET', '/channels/messenger/webhook?hub.mode=subscribe&hub.verify_token=wrong-token&hub.challenge=1')).status).toBe(403);
    expect((await t.request('GET', `/channels/messenger/webhook?hub.mode=unsubscribe&hub.verify_token=${VERIFY_TOKEN}&hub.challenge=1`)).status).toBe(403);
  });

  it('stores every event of a signed batch (2 entries × 2 messages), once each when Meta delivers it again, and ignores echoes', async () => {
    const body = batch(
      [textEvent('9000000001', 'm_in_1a', 'Hello, is my order shipped?'), textEvent('9000000002', 'm_in_2a', 'Do you sell gift cards?')],
      [
        textEvent('9000000001', 'm_in_1b', 'Order 1234'),
        textEvent('9000000003', 'm_in_3a', 'Opening hours?'),
        // Our own send, echoed back: the page is the sender.
        {
          sender: { id: PAGE },
          recipient: { id: '9000000001' },
          timestamp: nowMs(),
          message: { mid: 'm_echo_1', text: 'an echo', is_echo: true, app_id: 1517776481860111 },
        },
      ],
    );
    const answer = await deliver(body);
    expect(answer.status).toBe(200);
    const first = await conversationOf('9000000001');
    expect((await detail(first)).messages.map((m: { text: string }) => m.text)).toEqual(['Hello, is my order shipped?', 'Order 1234']);
    expect((await detail(await conversationOf('9000000002'))).messages).toHaveLength(1);
    expect((await detail(await conversationOf('9000000003'))).messages).toHaveLength(1);
    expect(await messageCount()).toBe(4);
    // The contact's name comes from the profile API, asked with the page token as a bearer token.
    expect((await detail(first)).contact).toMatchObject({ address: '9000000001', name: 'Contact 9000000001' });
    const profile = graph.requestsTo('GET', /\/9000000001$/)[0]!;
    expect(profile.query.fields).toBe('name,first_name,last_name');
    expect(profile.headers.authorization).toBe('Bearer EAAe2e-page-access-token');

    // Replayed, with its valid signature: nothing new.
    expect((await deliver(body)).status).toBe(200);
    expect(await messageCount()).toBe(4);
  });

  it('refuses an unsigned, a forged and a wrongly signed delivery with 401 and stores nothing', async () => {
    const before = await messageCount();
    const body = batch([textEvent('9000000009', 'm_forged_1', 'Let me in')]);
    expect((await deliver(body, null)).status).toBe(401);
    expect((await deliver(body, metaSignature('another-apps-secret-000000', body))).status).toBe(401);
    expect((await deliver(body, metaSignature(APP_SECRET, body.replace('Let me in', 'Something else')))).status).toBe(401);
    expect((await deliver(body, 'sha256=not-hex')).status).toBe(401);
    // The signature is checked over the bytes before anything is parsed: a body that is not JSON, unsigned, is a 401 too;
    // signed, it is the plugin's 400.
    const broken = '{"object":"page","entry":[{"id":';
    expect((await deliver(broken, null)).status).toBe(401);
    expect((await deliver('{"a":'.repeat(100) + '1' + '}'.repeat(100), null)).status).toBe(401);
    const signedBroken = await deliver(broken);
    expect(signedBroken.status).toBe(400);
    expect(signedBroken.body.message).toBe('the body is not JSON');
    expect(await messageCount()).toBe(before);
    expect((await messengerConversations()).some((c) => c.contact?.address === '9000000009')).toBe(false);
  });

  it("sends an agent's reply inside the 24-hour window with RESPONSE; delivery and read watermarks show on the reply", async () => {
    const conversationId = await conversationOf('9000000001');
    const reply = await post(`/api/conversations/${conversationId}/replies`, { text: 'Yes, it left today.' });
    expect(reply.status).toBe(201);
    await deliveryOf(conversationId, reply.body.messageId, (d) => d.status === 'delivered');
    const [sent] = sendsTo('9000000001');
    expect(sent!.json).toEqual({ recipient: { id: '9000000001' }, messaging_type: 'RESPONSE', message: { text: 'Yes, it left today.' } });
    expect(sent!.headers.authorization).toBe('Bearer EAAe2e-page-access-token');

    clock.advance(60_000);
    const delivery = batch([event('9000000001', { delivery: { mids: [], watermark: nowMs() } })]);
    expect((await deliver(delivery)).status).toBe(200);
    await deliveryOf(conversationId, reply.body.messageId, (d) => d.receipt === 'delivered');
    const read = batch([event('9000000001', { read: { watermark: nowMs() } })]);
    expect((await deliver(read)).status).toBe(200);
    await deliveryOf(conversationId, reply.body.messageId, (d) => d.receipt === 'read');
    // A late delivery receipt does not take it back.
    expect((await deliver(delivery)).status).toBe(200);
    expect((await deliveryOf(conversationId, reply.body.messageId, () => true)).receipt).toBe('read');
  });

  it('a delivery receipt naming the mid marks that reply delivered', async () => {
    const conversationId = await conversationOf('9000000002');
    const reply = await post(`/api/conversations/${conversationId}/replies`, { text: 'We do, from 10 euros.' });
    expect(reply.status).toBe(201);
    await deliveryOf(conversationId, reply.body.messageId, (d) => d.status === 'delivered');
    // The Send API's answer for it: the latest message_id the stand-in gave.
    expect(sendsTo('9000000002')).toHaveLength(1);
    const midSent = `m_out_${outgoing}`;
    // A watermark before the send covers nothing; the mid names the reply.
    expect((await deliver(batch([event('9000000002', { delivery: { mids: [midSent], watermark: nowMs() - HOUR } })]))).status).toBe(200);
    await deliveryOf(conversationId, reply.body.messageId, (d) => d.receipt === 'delivered');
  });

  it('an expired token fails the reply with the reason; a rate limit is retried, then delivered', async () => {
    const conversationId = await conversationOf('9000000003');
    graph.once('POST', /\/me\/messages$/, () => graphError.expiredToken());
    const failing = await post(`/api/conversations/${conversationId}/replies`, { text: 'We open at nine.' });
    expect(failing.status).toBe(201);
    const failed = await deliveryOf(conversationId, failing.body.messageId, (d) => d.status === 'failed');
    expect(failed.reason).toMatch(/Session has expired.*code 190.*new access token/);

    graph.once('POST', /\/me\/messages$/, () => graphError.rateLimited(4));
    const retried = await post(`/api/conversations/${conversationId}/replies`, { text: 'We open at nine, really.' });
    expect(retried.status).toBe(201);
    await until('the rate-limited send', async () => sendsTo('9000000003').filter((r) => JSON.stringify(r.json).includes('really')).length === 1);
    await deliveryOf(conversationId, retried.body.messageId, (d) => d.status === 'retrying');
    // The delivery job tries again 30 s later by Parley's clock.
    clock.advance(31_000);
    await deliveryOf(conversationId, retried.body.messageId, (d) => d.status === 'delivered');
    expect(sendsTo('9000000003').filter((r) => JSON.stringify(r.json).includes('really'))).toHaveLength(2);
  });

  it('fetches an image a contact sends and serves it to the agent; sends an agent’s file as a multipart upload', async () => {
    const body = batch([textEvent('9000000004', 'm_in_4a', '', { attachments: [{ type: 'image', payload: { url: `${graph.baseUrl}/cdn/photo.png` } }] })]);
    expect((await deliver(body)).status).toBe(200);
    const conversationId = await conversationOf('9000000004');
    const message = await until('the image message', async () =>
      (await detail(conversationId)).messages.find((m: { attachments: unknown[] }) => m.attachments.length === 1),
    );
    expect(message.attachments[0]).toMatchObject({ filename: 'photo.png', contentType: 'image/png', size: PNG.length });
    const download = await t.app.inject({
      method: 'GET',
      url: `/api/conversations/${conversationId}/attachments/${message.attachments[0].id}`,
      headers: { authorization: `Bearer ${admin}` },
    });
    expect(download.statusCode).toBe(200);
    expect(download.rawPayload.equals(PNG)).toBe(true);

    const upload = await t.app.inject({
      method: 'POST',
      url: `/api/conversations/${conversationId}/attachments?filename=price-list.pdf`,
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/pdf' },
      payload: Buffer.from('%PDF-1.4 price list'),
    });
    expect(upload.statusCode).toBe(201);
    const attachmentId = JSON.parse(upload.body).attachment.id as string;
    const reply = await post(`/api/conversations/${conversationId}/replies`, { text: 'Here is our price list.', attachmentIds: [attachmentId] });
    expect(reply.status).toBe(201);
    await deliveryOf(conversationId, reply.body.messageId, (d) => d.status === 'delivered');
    const multipart = graph.requestsTo('POST', /\/me\/messages$/).find((r) => String(r.headers['content-type']).startsWith('multipart/form-data'));
    expect(multipart).toBeDefined();
    const raw = multipart!.body.toString('utf8');
    expect(raw).toContain('name="recipient"\r\n\r\n{"id":"9000000004"}');
    expect(raw).toContain('name="message"\r\n\r\n{"attachment":{"type":"file","payload":{"is_reusable":false}}}');
    expect(raw).toMatch(/name="filedata"; filename="price-list\.pdf"\r\nContent-Type: application\/pdf\r\n\r\n%PDF-1\.4 price list/);
  });

  it("shows a contact's reaction on the message it reacts to, and takes it away on unreact", async () => {
    const conversationId = await conversationOf('9000000001');
    const react = batch([event('9000000001', { reaction: { mid: 'm_in_1b', action: 'react', reaction: 'love', emoji: '❤' } })]);
    expect((await deliver(react)).status).toBe(200);
    const reacted = await until('the reaction', async () =>
      (await detail(conversationId)).messages.find((m: { text: string; reactions?: unknown[] }) => m.text === 'Order 1234' && m.reactions?.length),
    );
    expect(reacted.reactions).toEqual([expect.objectContaining({ emoji: '❤', from: expect.objectContaining({ address: '9000000001' }) })]);
    expect((await detail(conversationId)).messages).toHaveLength(3);
    clock.advance(1000);
    expect((await deliver(batch([event('9000000001', { reaction: { mid: 'm_in_1b', action: 'unreact' } })]))).status).toBe(200);
    await until('the reaction removed', async () =>
      (await detail(conversationId)).messages.find((m: { text: string; reactions?: unknown[] }) => m.text === 'Order 1234' && !m.reactions?.length),
    );
  });

  it('the email quick reply lets agents answer the conversation by email (rule 12)', async () => {
    const conversationId = await conversationOf('9000000002');
    expect((await post(`/api/conversations/${conversationId}/replies`, { text: 'By mail?', channel: 'email' })).status).toBe(400);
    const body = batch([textEvent('9000000002', 'm_in_2b', 'gift@customer.test', { quick_reply: { payload: 'gift@customer.test' } })]);
    expect((await deliver(body)).status).toBe(200);
    await until('the email on the contact', async () => (await detail(conversationId)).contact?.email === 'gift@customer.test');
    expect((await post(`/api/conversations/${conversationId}/replies`, { text: 'Sent you the voucher by mail.', channel: 'email' })).status).toBe(201);
  });

  it('after 24 hours a reply is refused before sending (409, saying why); with the human agent tag it goes out as HUMAN_AGENT until 7 days', async () => {
    const conversationId = await conversationOf('9000000003');
    clock.advance(25 * HOUR);
    const sendsBefore = graph.requestsTo('POST', /\/me\/messages$/).length;
    const refused = await post(`/api/conversations/${conversationId}/replies`, { text: 'Still there?' });
    expect(refused.status).toBe(409);
    expect(refused.body.message).toMatch(/24 hours/);
    expect(graph.requestsTo('POST', /\/me\/messages$/)).toHaveLength(sendsBefore);

    const changed = await t.request('PATCH', `/api/inboxes/${inboxId}/channels/${connectionId}`, { token: admin, body: { settings: { humanAgentTag: true } } });
    expect(changed.status).toBe(200);
    const tagged = await post(`/api/conversations/${conversationId}/replies`, { text: 'Still there?' });
    expect(tagged.status).toBe(201);
    await deliveryOf(conversationId, tagged.body.messageId, (d) => d.status === 'delivered');
    const last = sendsTo('9000000003').at(-1)!;
    expect(last.json).toMatchObject({ messaging_type: 'MESSAGE_TAG', tag: 'HUMAN_AGENT', message: { text: 'Still there?' } });

    clock.advance(7 * 24 * HOUR);
    const late = await post(`/api/conversations/${conversationId}/replies`, { text: 'Hello again?' });
    expect(late.status).toBe(409);
    expect(late.body.message).toMatch(/7 days/);
  });
});
