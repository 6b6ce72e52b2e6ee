import type { Browser, Page } from 'playwright-core';
import { metaSignature } from '../../src/plugins/meta/webhook';
import { SmtpSink } from '../plugins/email/support/smtp-sink';
import { reportSkippedSuite } from '../support/engines';
import { FakeGraphApi } from '../support/fake-graph-api';
import {
  chromiumMissing,
  count,
  eventually,
  launchChromium,
  logIn,
  markPage,
  pageWasNotReloaded,
  screenshot,
  startUiApp,
  textOf,
  waitForText,
  type UiApp,
} from '../support/ui-harness';
import { signWaDelivery, waChange, waDelivery, waEntry, waStatus, waText } from '../support/whatsapp-webhook';

/**
 * Issue 15's "Done when", in Chromium: an admin connects a Facebook page, a WhatsApp number and a
 * support form to an inbox in Inbox settings (through the forms, not the API); Meta's signed
 * webhook deliveries (in Meta's JSON, posted by the test as Meta would) and a visitor's form land
 * live in the Messenger, WhatsApp and Forms views; forged, unsigned and replayed deliveries store
 * nothing; the agent answers each conversation from the reply box — Messenger and WhatsApp through
 * a local stand-in of the Graph API, the form by email through an SMTP sink — and sees the reply's
 * status go Sent → Delivered → Read live as the receipts arrive. A WhatsApp contact who last wrote
 * 30 hours ago can only be sent an approved template, and the template goes out.
 */
const PAGE_ID = '104857600777';
const PSID = '7000000000000001';
const MESSENGER_SECRET = 'ui-messenger-app-secret-0123456789abcdef';
const MESSENGER_VERIFY = 'ui-messenger-verify-4711';
const PAGE_TOKEN = 'EAAui-page-access-token-0001';

const PHONE_ID = '106540352249999';
const WABA_ID = '102290129349999';
const WA_SECRET = 'ui-whatsapp-app-secret-0123456789abcdef';
const WA_VERIFY = 'ui-whatsapp-verify-4711';
const WA_TOKEN = 'EAAui-whatsapp-system-user-token';
const WA_CONTACT = '31611112222';
const WA_LATE_CONTACT = '31633334444';
const HOUR = 3_600_000;

const missing = chromiumMissing();
if (missing) {
  reportSkippedSuite('Web UI in Chromium (issue 15 done when: Messenger, WhatsApp and forms)', missing, 'chromium');
  it.skip('Messenger, WhatsApp and forms browser test (Chromium not installed)', () => undefined);
} else {
  describe('Done when (issue 15): a page, a number and a form connected in Inbox settings, answered from the inbox, receipts live', () => {
    const graph = new FakeGraphApi();
    const relay = new SmtpSink();
    let ui: UiApp;
    let browser: Browser;
    let agent: Page;
    let inboxId = '';
    let outgoing = 0;
    /** What the stand-in answered for each send, by the text or template name it carried. */
    const sentIds = new Map<string, string>();
    const conversations = { messenger: '', whatsapp: '', forms: '', lateWhatsapp: '' };

    beforeAll(async () => {
      await graph.start();
      await relay.start();
      // Messenger's profile API and Send API.
      graph.on('GET', /^\/v23\.0\/(\d+)$/, (_request, match) =>
        match[1] === PSID ? { body: { name: 'Ana Lopez', first_name: 'Ana', last_name: 'Lopez', id: PSID } } : { body: { name: 'Someone', id: match[1] } },
      );
      graph.on('POST', /^\/v23\.0\/me\/messages$/, (request) => {
        const id = `m_ui_out_${(outgoing += 1)}`;
        sentIds.set((request.json as { message?: { text?: string } }).message?.text ?? '', id);
        return { body: { recipient_id: PSID, message_id: id } };
      });
      // WhatsApp's messages endpoint and the business account's templates.
      graph.on('POST', new RegExp(`^/v23\\.0/${PHONE_ID}/messages$`), (request) => {
        const id = `wamid.ui-out-${(outgoing += 1)}`;
        const body = request.json as { text?: { body?: string }; template?: { name: string } };
        sentIds.set(body.text?.body ?? body.template?.name ?? '', id);
        return { body: { messaging_product: 'whatsapp', contacts: [{ input: 'x', wa_id: 'x' }], messages: [{ id }] } };
      });
      graph.on('GET', new RegExp(`^/v23\\.0/${WABA_ID}/message_templates$`), () => ({
        body: {
          data: [
            {
              name: 'order_followup',
              language: 'en_US',
              status: 'APPROVED',
              category: 'UTILITY',
              id: 't-order-followup',
              components: [{ type: 'BODY', text: 'Hello {{1}}, we have news about your order.' }],
            },
          ],
          paging: { cursors: { before: 'p1', after: 'p1' } },
        },
      }));
      ui = await startUiApp({
        env: { PARLEY_ALLOW_PRIVATE_NETWORK: 'true', SMTP_RELAY_URL: relay.url, PARLEY_INBOX_EMAIL: 'support@parley.test' },
      });
      inboxId = (await ui.api('GET', '/api/inboxes')).body.inboxes.find((i: { isDefault: boolean }) => i.isDefault).id;
      browser = await launchChromium();
      agent = await (await browser.newContext({ viewport: { width: 1440, height: 900 }, locale: 'en-US' })).newPage();
      await logIn(agent, ui.baseUrl);
    }, 60_000);

    afterAll(async () => {
      await browser?.close();
      await ui?.close();
      await relay.stop();
      await graph.stop();
    });

    // ——— Meta, from outside: the handshake and signed deliveries over real HTTP ———

    async function post(path: string, raw: string, headers: Record<string, string>): Promise<number> {
      const res = await fetch(ui.baseUrl + path, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: raw });
      await res.text();
      return res.status;
    }
    const messengerBatch = (...messaging: Record<string, unknown>[]) =>
      JSON.stringify({ object: 'page', entry: [{ id: PAGE_ID, time: Date.now(), messaging }] });
    const messengerEvent = (extra: Record<string, unknown>) => ({ sender: { id: PSID }, recipient: { id: PAGE_ID }, timestamp: Date.now(), ...extra });
    const deliverMessenger = (raw: string, signature: string | null = metaSignature(MESSENGER_SECRET, raw)) =>
      post('/channels/messenger/webhook', raw, signature === null ? {} : { 'x-hub-signature-256': signature });
    const whatsappOne = (content: Parameters<typeof waChange>[1]) => waDelivery([waEntry(WABA_ID, [waChange(PHONE_ID, content)])]);
    function deliverWhatsapp(delivery: unknown, secret: string | null = WA_SECRET) {
      const signed = signWaDelivery(delivery, secret ?? 'unused-secret');
      return post('/channels/whatsapp/webhook', signed.raw, secret === null ? {} : { 'x-hub-signature-256': signed.headers['x-hub-signature-256']! });
    }
    async function handshake(plugin: string, verifyToken: string, challenge: string) {
      const res = await fetch(
        `${ui.baseUrl}/channels/${plugin}/webhook?hub.mode=subscribe&hub.verify_token=${encodeURIComponent(verifyToken)}&hub.challenge=${challenge}`,
      );
      return { status: res.status, body: await res.text() };
    }

    // ——— What the agent sees ———

    const listRow = (contact: string) => agent.locator('#list li.conv', { has: agent.locator('.conv-contact', { hasText: contact }) });
    const inboundTexts = async () => (await agent.locator('#timeline .msg-in .msg-text').allTextContents()).map((t) => t.trim());
    const messagesOf = async (conversationId: string) =>
      (await ui.api('GET', `/api/conversations/${conversationId}`)).body.messages as {
        id: string;
        direction: string;
        text: string;
        delivery?: { status: string; receipt?: string };
      }[];

    async function openView(view: string): Promise<void> {
      await agent.goto(`${ui.baseUrl}/inbox?view=${view}`);
      await agent.waitForSelector('#app[data-live="on"]');
      await markPage(agent);
    }

    /** Opens a conversation from the list, as the agent clicks it. */
    async function openConversation(contact: string): Promise<string> {
      await listRow(contact).locator('a.conv-link').click();
      await agent.locator('#panel-reply').waitFor();
      return (await listRow(contact).getAttribute('data-id'))!;
    }

    /** Types a reply in the reply box and sends it; answers the id of the message it became in the thread. */
    async function replyFromTheBox(text: string): Promise<string> {
      await agent.fill('#reply-text', text);
      await agent.click('#send-reply');
      const message = agent.locator('#timeline .msg-out', { hasText: text });
      await message.waitFor();
      return ((await message.getAttribute('id')) ?? '').replace(/^msg-/, '');
    }

    const deliveryState = (messageId: string) => agent.locator(`#msg-${messageId} .delivery`).getAttribute('data-delivery');
    async function waitForDelivery(messageId: string, state: string, label: string): Promise<void> {
      await eventually(async () => (await deliveryState(messageId)) === state, 15_000, `the reply shows ${label}`);
      expect(await textOf(agent.locator(`#msg-${messageId} .delivery`))).toBe(label);
    }

    it('the admin connects a Facebook page, a WhatsApp number and a form in Inbox settings, through their forms', async () => {
      await agent.goto(`${ui.baseUrl}/settings?inbox=${inboxId}`);

      const messenger = agent.locator('#connect-messenger');
      await messenger.getByLabel('Name', { exact: true }).fill('Our Facebook page');
      await messenger.getByLabel('Facebook page id').fill(PAGE_ID);
      await messenger.getByLabel('Page access token').fill(PAGE_TOKEN);
      await messenger.getByLabel('App secret').fill(MESSENGER_SECRET);
      await messenger.getByLabel('Verify token').fill(MESSENGER_VERIFY);
      await messenger.getByLabel('Graph API address').fill(graph.baseUrl);
      await Promise.all([agent.waitForURL(/saved=channel-connected/), messenger.getByRole('button', { name: /^Connect/ }).click()]);

      const whatsapp = agent.locator('#connect-whatsapp');
      await whatsapp.getByLabel('Name', { exact: true }).fill('Support number');
      await whatsapp.getByLabel('Phone number ID').fill(PHONE_ID);
      await whatsapp.getByLabel('WhatsApp Business Account ID').fill(WABA_ID);
      await whatsapp.getByLabel('Access token').fill(WA_TOKEN);
      await whatsapp.getByLabel('App secret').fill(WA_SECRET);
      await whatsapp.getByLabel('Verify token').fill(WA_VERIFY);
      await whatsapp.getByLabel('Graph API address').fill(graph.baseUrl);
      await Promise.all([agent.waitForURL(/saved=channel-connected/), whatsapp.getByRole('button', { name: /^Connect/ }).click()]);

      const form = agent.locator('#connect-forms');
      await form.getByLabel('Name', { exact: true }).fill('Contact form');
      await form.getByLabel('Title of the form').fill('Contact support');
      await form.getByLabel('Extra fields').fill('order_number | Order number | text | required');
      await Promise.all([agent.waitForURL(/saved=channel-connected/), form.getByRole('button', { name: /^Connect/ }).click()]);
      await expect(agent.getByRole('status').textContent()).resolves.toContain('Channel connected.');

      // All three on the inbox, secrets masked wherever they are answered or shown.
      const connected = (await ui.api('GET', `/api/inboxes/${inboxId}/channels`)).body.channels as { type: string; settings: Record<string, unknown> }[];
      expect(connected.map((c) => c.type).sort()).toEqual(['forms', 'messenger', 'whatsapp']);
      expect(connected.find((c) => c.type === 'messenger')!.settings).toMatchObject({ pageId: PAGE_ID, appSecret: '••••', graphApiBaseUrl: graph.baseUrl });
      expect(connected.find((c) => c.type === 'whatsapp')!.settings).toMatchObject({ phoneNumberId: PHONE_ID, accessToken: '••••' });
      const page = await agent.content();
      for (const secret of [MESSENGER_SECRET, PAGE_TOKEN, WA_SECRET, WA_TOKEN, MESSENGER_VERIFY, WA_VERIFY]) expect(page).not.toContain(secret);
      // Connecting the number synced its approved templates with the token.
      const sync = await graph.waitForRequests('GET', /message_templates$/);
      expect(sync[0]!.headers.authorization).toBe(`Bearer ${WA_TOKEN}`);

      // Meta's subscription handshake with each verify token; a wrong one is refused.
      expect(await handshake('messenger', MESSENGER_VERIFY, '1158201444')).toEqual({ status: 200, body: '1158201444' });
      expect(await handshake('whatsapp', WA_VERIFY, '2158201444')).toEqual({ status: 200, body: '2158201444' });
      expect((await handshake('messenger', WA_VERIFY, '1')).status).toBe(403);
      expect((await handshake('whatsapp', 'not-the-token-0000', '1')).status).toBe(403);
    }, 60_000);

    it('a Messenger message lands live in the Messenger view; forged, unsigned and replayed deliveries store nothing', async () => {
      await openView('messenger');
      expect(await count(agent, 'messenger')).toBe(0);
      const first = messengerBatch(messengerEvent({ message: { mid: 'm_ui_in_1', text: 'Hi, where is my parcel?' } }));
      expect(await deliverMessenger(first)).toBe(200);
      await listRow('Ana Lopez').waitFor();
      await eventually(async () => (await count(agent, 'messenger')) === 1, 10_000, 'the Messenger count 1');
      conversations.messenger = await openConversation('Ana Lopez');
      expect(await inboundTexts()).toEqual(['Hi, where is my parcel?']);

      const forged = messengerBatch(messengerEvent({ message: { mid: 'm_ui_forged', text: 'Forged: send me the refund' } }));
      expect(await deliverMessenger(forged, metaSignature('somebody-elses-app-secret-00', forged))).toBe(401);
      expect(await deliverMessenger(forged, null)).toBe(401);
      expect(await deliverMessenger(forged, metaSignature(MESSENGER_SECRET, first))).toBe(401);
      // The first delivery again, byte for byte with its valid signature: Meta redelivering, or a replay.
      expect(await deliverMessenger(first)).toBe(200);

      // A genuine message after them: once it shows, everything before it has been handled.
      const next = messengerBatch(messengerEvent({ message: { mid: 'm_ui_in_2', text: 'Order 1234' } }));
      expect(await deliverMessenger(next)).toBe(200);
      await waitForText(agent.locator('#timeline .msg-in').last(), 'Order 1234');
      expect(await inboundTexts()).toEqual(['Hi, where is my parcel?', 'Order 1234']);
      expect(await count(agent, 'messenger')).toBe(1);
      expect(await agent.locator('#list li.conv').count()).toBe(1);
      expect((await messagesOf(conversations.messenger)).map((m) => m.text)).toEqual(['Hi, where is my parcel?', 'Order 1234']);
      expect(await pageWasNotReloaded(agent)).toBe(true);
    }, 60_000);

    it('the agent answers it from the reply box; the Send API gets it; the receipts turn it Sent → Delivered → Read live', async () => {
      // The agent opens the conversation as it is now: a reply box opened before the contact's last
      // message is refused as stale (on purpose, see test/ui/inbox.spec.ts).
      await openConversation('Ana Lopez');
      const messageId = await replyFromTheBox('It left our warehouse this morning.');
      const [send] = await graph.waitForRequests('POST', /\/me\/messages$/);
      expect(send!.json).toEqual({ recipient: { id: PSID }, messaging_type: 'RESPONSE', message: { text: 'It left our warehouse this morning.' } });
      expect(send!.headers.authorization).toBe(`Bearer ${PAGE_TOKEN}`);
      await waitForDelivery(messageId, 'sent', 'Sent');
      await markPage(agent);

      const mid = sentIds.get('It left our warehouse this morning.')!;
      expect(await deliverMessenger(messengerBatch(messengerEvent({ delivery: { mids: [mid], watermark: Date.now() } })))).toBe(200);
      await waitForDelivery(messageId, 'delivered', 'Delivered');
      expect(await deliverMessenger(messengerBatch(messengerEvent({ read: { watermark: Date.now() } })))).toBe(200);
      await waitForDelivery(messageId, 'read', 'Read');
      expect(await pageWasNotReloaded(agent)).toBe(true);
      await screenshot(agent, 'done-when-messenger-read');

      // The receipts changed nothing the agent answers: the next reply from the same box goes out (not "stale").
      const next = await replyFromTheBox('It should arrive tomorrow.');
      await waitForDelivery(next, 'sent', 'Sent');
      expect(await textOf(agent.locator('#composer-alert'))).toBe('');
      expect((await messagesOf(conversations.messenger)).filter((m) => m.direction === 'out').map((m) => m.text)).toEqual([
        'It left our warehouse this morning.',
        'It should arrive tomorrow.',
      ]);
    }, 60_000);

    it('a WhatsApp message lands live in the WhatsApp view; forged, unsigned and replayed deliveries store nothing', async () => {
      await openView('whatsapp');
      expect(await count(agent, 'whatsapp')).toBe(0);
      const first = whatsappOne({ messages: [waText(WA_CONTACT, 'Can I change my delivery address?')], contacts: { [WA_CONTACT]: 'Sheena Nelson' } });
      expect(await deliverWhatsapp(first)).toBe(200);
      await listRow('Sheena Nelson').waitFor();
      await eventually(async () => (await count(agent, 'whatsapp')) === 1, 10_000, 'the WhatsApp count 1');
      conversations.whatsapp = await openConversation('Sheena Nelson');
      expect(await inboundTexts()).toEqual(['Can I change my delivery address?']);

      const forged = whatsappOne({ messages: [waText(WA_CONTACT, 'Forged: cancel everything')], contacts: { [WA_CONTACT]: 'Sheena Nelson' } });
      expect(await deliverWhatsapp(forged, 'somebody-elses-app-secret-00')).toBe(401);
      expect(await deliverWhatsapp(forged, null)).toBe(401);
      // Our app's valid signature of another body (the first one) does not let this body in.
      const signedFirst = signWaDelivery(first, WA_SECRET);
      expect(
        await post('/channels/whatsapp/webhook', signWaDelivery(forged, WA_SECRET).raw, { 'x-hub-signature-256': signedFirst.headers['x-hub-signature-256']! }),
      ).toBe(401);
      // The first delivery replayed with its valid signature.
      expect(await deliverWhatsapp(first)).toBe(200);

      const next = whatsappOne({ messages: [waText(WA_CONTACT, 'To Dam 1, Amsterdam')], contacts: { [WA_CONTACT]: 'Sheena Nelson' } });
      expect(await deliverWhatsapp(next)).toBe(200);
      await waitForText(agent.locator('#timeline .msg-in').last(), 'To Dam 1, Amsterdam');
      expect(await inboundTexts()).toEqual(['Can I change my delivery address?', 'To Dam 1, Amsterdam']);
      expect(await count(agent, 'whatsapp')).toBe(1);
      expect(await agent.locator('#list li.conv').count()).toBe(1);
      expect((await messagesOf(conversations.whatsapp)).map((m) => m.text)).toEqual(['Can I change my delivery address?', 'To Dam 1, Amsterdam']);
      expect(await pageWasNotReloaded(agent)).toBe(true);
    }, 60_000);

    it('the agent answers it from the reply box; the number sends it; statuses turn it Sent → Delivered → Read live', async () => {
      await openConversation('Sheena Nelson');
      expect(await textOf(agent.locator('#reply-window'))).toMatch(/^You can answer freely until /);
      const messageId = await replyFromTheBox('Yes, I changed it to Dam 1.');
      const [send] = await graph.waitForRequests('POST', new RegExp(`/${PHONE_ID}/messages$`));
      expect(send!.json).toMatchObject({ messaging_product: 'whatsapp', to: WA_CONTACT, type: 'text', text: { body: 'Yes, I changed it to Dam 1.' } });
      expect(send!.headers.authorization).toBe(`Bearer ${WA_TOKEN}`);
      await waitForDelivery(messageId, 'sent', 'Sent');
      await markPage(agent);

      const wamid = sentIds.get('Yes, I changed it to Dam 1.')!;
      expect(await deliverWhatsapp(whatsappOne({ statuses: [waStatus(wamid, 'sent', WA_CONTACT)] }))).toBe(200);
      expect(await deliverWhatsapp(whatsappOne({ statuses: [waStatus(wamid, 'delivered', WA_CONTACT)] }))).toBe(200);
      await waitForDelivery(messageId, 'delivered', 'Delivered');
      expect(await deliverWhatsapp(whatsappOne({ statuses: [waStatus(wamid, 'read', WA_CONTACT)] }))).toBe(200);
      await waitForDelivery(messageId, 'read', 'Read');
      // A late "delivered" does not take it back from read.
      expect(await deliverWhatsapp(whatsappOne({ statuses: [waStatus(wamid, 'delivered', WA_CONTACT)] }))).toBe(200);
      expect((await messagesOf(conversations.whatsapp)).find((m) => m.id === messageId)?.delivery?.receipt).toBe('read');
      expect(await deliveryState(messageId)).toBe('read');
      expect(await pageWasNotReloaded(agent)).toBe(true);
      await screenshot(agent, 'done-when-whatsapp-read');
    }, 60_000);

    it('a WhatsApp contact who wrote 30 hours ago can only be sent an approved template, and it goes out', async () => {
      const late = whatsappOne({
        messages: [waText(WA_LATE_CONTACT, 'Any news on my order?', { at: new Date(Date.now() - 30 * HOUR) })],
        contacts: { [WA_LATE_CONTACT]: 'Lotte Late' },
      });
      expect(await deliverWhatsapp(late)).toBe(200);
      await listRow('Lotte Late').waitFor();
      conversations.lateWhatsapp = await openConversation('Lotte Late');
      expect(await textOf(agent.locator('#reply-window'))).toMatch(/^The reply window closed at /);
      expect(await agent.locator('#reply-text').count()).toBe(0);
      expect(await agent.locator('#send-reply').count()).toBe(0);

      const choice = agent.locator('.template-choice[data-template-name="order_followup"]');
      await choice.locator('summary').click();
      await choice.locator('input[data-template-parameter]').first().fill('Lotte');
      await waitForText(choice.locator('.template-preview'), 'Hello Lotte, we have news about your order.');
      await choice.locator('button[data-send-template]').click();
      await waitForText(agent.locator('#timeline .msg-out'), 'Hello Lotte, we have news about your order.');
      const send = await eventually(
        () => graph.requestsTo('POST', new RegExp(`/${PHONE_ID}/messages$`)).find((r) => (r.json as { to?: string }).to === WA_LATE_CONTACT),
        10_000,
        'the template at the Graph API',
      );
      expect(send!.json).toMatchObject({
        to: WA_LATE_CONTACT,
        type: 'template',
        template: { name: 'order_followup', language: { code: 'en_US' }, components: [{ type: 'body', parameters: [{ type: 'text', text: 'Lotte' }] }] },
      });
    }, 60_000);

    it('a visitor sends the hosted form; it lands live in the Forms view with its field; the agent answers by email and it shows Sent', async () => {
      await openView('forms');
      expect(await count(agent, 'forms')).toBe(0);
      const formId = ((await ui.api('GET', `/api/inboxes/${inboxId}/channels`)).body.channels as { id: string; type: string }[]).find(
        (c) => c.type === 'forms',
      )!.id;

      const visitorContext = await browser.newContext({ locale: 'en-US' });
      try {
        const visitor = await visitorContext.newPage();
        expect((await visitor.goto(`${ui.baseUrl}/forms/${formId}`))?.status()).toBe(200);
        await visitor.getByLabel('Name').fill('Cas Customer');
        await visitor.getByLabel('Email').fill('cas@customer.test');
        await visitor.getByLabel('Order number').fill('A-1001');
        await visitor.getByLabel('Message').fill('The kettle leaks from the bottom.');
        await visitor.getByRole('button', { name: 'Send' }).click();
        await visitor.getByRole('heading', { name: 'Thank you' }).waitFor();
      } finally {
        await visitorContext.close();
      }

      await listRow('Cas Customer').waitFor();
      await eventually(async () => (await count(agent, 'forms')) === 1, 10_000, 'the Forms count 1');
      conversations.forms = await openConversation('Cas Customer');
      expect(await inboundTexts()).toEqual(['The kettle leaks from the bottom.']);
      expect(await textOf(agent.locator('.msg-fields [data-key="order_number"] dt'))).toBe('Order number');
      expect(await textOf(agent.locator('.msg-fields [data-key="order_number"] dd'))).toBe('A-1001');
      expect(await pageWasNotReloaded(agent)).toBe(true);

      // Answered by email: the reply box says so and names the address.
      expect(await agent.locator('#reply-channel-fixed').getAttribute('value')).toBe('email');
      expect(await textOf(agent.locator('#panel-reply .composer-row'))).toContain('cas@customer.test');
      const messageId = await replyFromTheBox('We are sending a new kettle today.');
      const mail = await eventually(
        () => relay.received.find((m) => m.parsed.text?.includes('We are sending a new kettle today.')),
        15_000,
        'the answer at the relay',
      );
      expect(mail!.envelope.to).toEqual(['cas@customer.test']);
      await waitForDelivery(messageId, 'sent', 'Sent');
      expect((await messagesOf(conversations.forms)).find((m) => m.id === messageId)).toMatchObject({
        direction: 'out',
        text: 'We are sending a new kettle today.',
      });
    }, 60_000);
  });
}
