import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createTransport } from 'nodemailer';
import { SmtpSink } from '../email/support/smtp-sink';
import { startTestApp, type TestApp } from '../../support/app-harness';

/**
 * Support forms in a whole Parley (issue 15, "Support forms"): an admin connects a form to an inbox
 * over the API, the hosted page renders in English and Dutch with the custom fields, a submission
 * posted with the page's token lands in the inbox's Forms view with the custom fields on the
 * message, the refusals (400 naming the field, 403 cross-site, 429) hold in the real HTTP stack, a
 * filled honeypot lands in Spam with the same answer, a resubmission stores nothing new, and an
 * agent answers by email through the relay (an SMTP sink here).
 */
const SHOP = 'https://shop.example';
const SETTINGS = {
  title: 'Contact support',
  intro: 'We answer within a day.',
  customFields: ['order_number | Order number | text | required', 'size | Size | select(Small; Large)'],
  allowedOrigins: [SHOP],
};

describe('support forms (e2e)', () => {
  const relay = new SmtpSink();
  let t: TestApp;
  let admin: string;
  let inboxId: string;
  let formId: string;
  let ipCounter = 0;

  beforeAll(async () => {
    await relay.start();
    t = await startTestApp({ backgroundWork: true, env: { SMTP_RELAY_URL: relay.url, PARLEY_INBOX_EMAIL: 'support@parley.test' } });
    admin = await t.login();
    inboxId = (await t.request('POST', '/api/inboxes', { token: admin, body: { name: 'Support forms', agentIds: [], emailAddress: 'forms@parley.test' } })).body
      .id;
    const created = await t.request('POST', `/api/inboxes/${inboxId}/channels`, {
      token: admin,
      body: { type: 'forms', name: 'Contact form', settings: SETTINGS },
    });
    if (created.status !== 201) throw new Error(`connecting the form failed: ${created.status} ${JSON.stringify(created.body)}`);
    formId = created.body.id;
  }, 60_000);

  afterAll(async () => {
    await t?.close();
    await relay.stop();
  });

  /** Every test from an address of its own, so the rate limit test counts alone. */
  const nextIp = () => `192.0.2.${++ipCounter}`;

  async function inject(method: 'GET' | 'POST', url: string, options: { headers?: Record<string, string>; payload?: string; ip?: string } = {}) {
    const res = await t.app.inject({ method, url, headers: options.headers ?? {}, payload: options.payload, remoteAddress: options.ip ?? nextIp() });
    let body: any = res.body;
    try {
      body = JSON.parse(res.body);
    } catch {
      /* a page */
    }
    return { status: res.statusCode, headers: res.headers, body, text: res.body };
  }

  const hidden = (page: string, name: string) => new RegExp(`name="${name}" value="([^"]*)"`).exec(page)?.[1] ?? '';

  /** Opens the hosted page and posts it as a browser would (same origin, form-encoded). */
  async function submitPage(typed: Record<string, string>, ip = nextIp()) {
    const page = await inject('GET', `/forms/${formId}`, { ip });
    expect(page.status).toBe(200);
    const payload = new URLSearchParams({ csrf: hidden(page.text, 'csrf'), submissionId: hidden(page.text, 'submissionId'), website: '', ...typed }).toString();
    const post = () =>
      inject('POST', `/channels/forms/${formId}/submissions`, {
        ip,
        payload,
        headers: { 'content-type': 'application/x-www-form-urlencoded', host: 'parley.test', origin: 'http://parley.test' },
      });
    return { response: await post(), submissionId: hidden(page.text, 'submissionId'), again: post };
  }

  async function until<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 10_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await probe();
      if (value) return value;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  const viewItems = async (view: string) =>
    (await t.request('GET', `/api/views/${view}/conversations?inboxId=${inboxId}&limit=200`, { token: admin })).body.items as {
      id: string;
      contact: { address: string } | null;
    }[];
  const conversationFrom = (view: string, address: string) =>
    until(`a conversation from ${address} in ${view}`, async () => (await viewItems(view)).find((c) => c.contact?.address === address));

  it('lists the form with its iframe snippet and never answers its secret', async () => {
    const list = await t.request('GET', `/api/inboxes/${inboxId}/channels`, { token: admin });
    const form = list.body.channels.find((c: { id: string }) => c.id === formId);
    expect(form.embedSnippet).toContain(`/forms/${formId}" title="Contact support" data-parley-form="${formId}"`);
    // The generated secret is kept encrypted and shown masked, as every connection secret is.
    expect(form.settings.csrfSecret).toBe('••••');
    expect(form.secrets).toEqual({ csrfSecret: { hasSecret: true } });
  });

  it('renders the hosted page in English and Dutch with the custom fields, framed only by the allowed website', async () => {
    const en = await inject('GET', `/forms/${formId}`, { headers: { 'accept-language': 'en-US,en;q=0.9' } });
    expect(en.status).toBe(200);
    expect(en.headers['content-type']).toContain('text/html');
    expect(en.text).toContain('<html lang="en"');
    expect(en.text).toContain('Order number <span class="hint">(required)</span>');
    expect(en.text).toContain('<option>Large</option>');
    expect(en.text).toContain('>Send</button>');
    expect(String(en.headers['content-security-policy'])).toContain(`frame-ancestors ${SHOP}`);
    expect(en.headers['x-frame-options']).toBeUndefined();
    const nl = await inject('GET', `/forms/${formId}`, { headers: { 'accept-language': 'nl-NL,nl;q=0.9' } });
    expect(nl.text).toContain('<html lang="nl"');
    expect(nl.text).toContain('>Versturen</button>');
    expect(nl.text).toContain('Order number <span class="hint">(verplicht)</span>');
    expect((await inject('GET', '/forms/00000000-0000-4000-8000-000000000000')).status).toBe(404);
  });

  it("puts a submission in the inbox's Forms view, from the email given, with the custom fields on the message; a resubmission stores nothing new", async () => {
    const { response, again } = await submitPage({
      name: 'Cas Customer',
      email: 'cas@customer.test',
      message: 'The kettle leaks.',
      'fields.order_number': 'A-1001',
      'fields.size': 'Large',
    });
    expect(response.status).toBe(303);
    expect(response.headers.location).toBe(`/forms/${formId}?sent=1`);
    const thanks = await inject('GET', `/forms/${formId}?sent=1`);
    expect(thanks.text).toContain('We received your message');

    const item = await conversationFrom('forms', 'cas@customer.test');
    const detail = (await t.request('GET', `/api/conversations/${item.id}`, { token: admin })).body;
    expect(detail).toMatchObject({ channel: 'forms', inboxId, subject: 'Contact support', contact: { address: 'cas@customer.test', name: 'Cas Customer' } });
    expect(detail.messages).toHaveLength(1);
    expect(detail.messages[0].text).toBe('The kettle leaks.');
    expect(detail.messages[0].fields).toEqual([
      { key: 'order_number', label: { en: 'Order number' }, value: 'A-1001' },
      { key: 'size', label: { en: 'Size' }, value: 'Large' },
    ]);

    // A double click, or the back button and Send again: the same submission id, the same answer, one message.
    const resubmitted = await again();
    expect(resubmitted.status).toBe(303);
    const history = (await t.request('GET', `/api/conversations/${item.id}/history`, { token: admin })).body.events as { type: string }[];
    expect(history.filter((e) => e.type === 'MessageReceived')).toHaveLength(1);
    expect((await viewItems('forms')).filter((c) => c.contact?.address === 'cas@customer.test')).toHaveLength(1);
  });

  it('refuses a missing required field, a bad email and an unknown field with 400 naming it, and stores nothing', async () => {
    const json = { email: 'ann@customer.test', message: 'Hello', fields: { order_number: 'A-2' } };
    const post = (body: unknown) =>
      inject('POST', `/channels/forms/${formId}/submissions`, { payload: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
    const missing = await post({ ...json, fields: {} });
    expect(missing.status).toBe(400);
    expect(missing.body.message).toBe('fields.order_number: is required (got nothing)');
    const badEmail = await post({ ...json, email: 'ann-at-customer' });
    expect(badEmail.status).toBe(400);
    expect(badEmail.body.message).toContain('email: must be an email address like "ann@example.com" (got "ann-at-customer")');
    const unknown = await post({ ...json, fields: { ...json.fields, colour: 'red' } });
    expect(unknown.status).toBe(400);
    expect(unknown.body.message).toMatch(/^fields\.colour: is not a field of this form/);
    // The hosted page shows the form again with the error beside the field, keeping what was typed.
    const { response } = await submitPage({ email: 'ann@customer.test', message: 'Kept text', 'fields.order_number': '' });
    expect(response.status).toBe(400);
    expect(response.text).toContain('<p class="error" id="f-fields-order_number-error">Please fill this in.</p>');
    expect(response.text).toContain('>Kept text</textarea>');
    expect((await viewItems('forms')).some((c) => c.contact?.address === 'ann@customer.test')).toBe(false);
  });

  it('answers a filled honeypot like a success and puts it in Spam, not in Forms', async () => {
    const { response } = await submitPage({ email: 'bot@spam.test', message: 'Cheap watches', 'fields.order_number': '1', website: 'http://spam.example' });
    expect(response.status).toBe(303);
    expect(response.headers.location).toBe(`/forms/${formId}?sent=1`);
    await conversationFrom('spam', 'bot@spam.test');
    expect((await viewItems('forms')).some((c) => c.contact?.address === 'bot@spam.test')).toBe(false);
  });

  it('refuses a cross-site post without the token, and JSON from a foreign Origin (403); takes JSON from the allowed website with CORS', async () => {
    const form = new URLSearchParams({ email: 'x@customer.test', message: 'Hi', 'fields.order_number': '1' }).toString();
    const crossSite = await inject('POST', `/channels/forms/${formId}/submissions`, {
      payload: form,
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'https://evil.example' },
    });
    expect(crossSite.status).toBe(403);
    const json = JSON.stringify({ email: 'x@customer.test', message: 'Hi', fields: { order_number: '1' } });
    const foreign = await inject('POST', `/channels/forms/${formId}/submissions`, {
      payload: json,
      headers: { 'content-type': 'application/json', origin: 'https://evil.example' },
    });
    expect(foreign.status).toBe(403);
    expect((await viewItems('forms')).some((c) => c.contact?.address === 'x@customer.test')).toBe(false);
    const allowed = await inject('POST', `/channels/forms/${formId}/submissions`, {
      payload: json,
      headers: { 'content-type': 'text/plain;charset=UTF-8', origin: SHOP },
    });
    expect(allowed.status).toBe(201);
    expect(allowed.body.submissionId).toEqual(expect.any(String));
    expect(allowed.headers['access-control-allow-origin']).toBe(SHOP);
    await conversationFrom('forms', 'x@customer.test');
  });

  it('answers 429 with Retry-After once an address sent its allowance', async () => {
    const ip = '198.51.100.7';
    const json = JSON.stringify({ email: 'flood@customer.test', message: 'Again', fields: { order_number: '1' } });
    const statuses: number[] = [];
    let refused: Awaited<ReturnType<typeof inject>> | undefined;
    for (let i = 0; i < 12 && !refused; i += 1) {
      const response = await inject('POST', `/channels/forms/${formId}/submissions`, { ip, payload: json, headers: { 'content-type': 'application/json' } });
      statuses.push(response.status);
      if (response.status === 429) refused = response;
    }
    expect(statuses.slice(0, 10)).toEqual(Array(10).fill(201));
    expect(refused?.status).toBe(429);
    expect(Number(refused?.headers['retry-after'])).toBeGreaterThan(0);
    // Another address is not held up.
    expect((await inject('POST', `/channels/forms/${formId}/submissions`, { payload: json, headers: { 'content-type': 'application/json' } })).status).toBe(
      201,
    );
  });

  it('is answered by an agent by email, which reaches the address the form gave, and the answer to that email joins the conversation', async () => {
    await submitPage({ email: 'dora@customer.test', name: 'Dora', message: 'Where is my order?', 'fields.order_number': 'A-3003' });
    const item = await conversationFrom('forms', 'dora@customer.test');
    const reply = await t.request('POST', `/api/conversations/${item.id}/replies`, { token: admin, body: { text: 'It ships tomorrow.', channel: 'email' } });
    expect(reply.status).toBe(201);
    const sent = await until('the reply at the relay', async () => relay.received.find((m) => m.parsed.text?.includes('It ships tomorrow.')));
    expect(sent.envelope.to).toEqual(['dora@customer.test']);
    // From the inbox's own address, where the contact's answer goes.
    expect(sent.parsed.from?.value[0].address).toBe('forms@parley.test');
    await until('the reply delivered', async () => {
      const detail = await t.request('GET', `/api/conversations/${item.id}`, { token: admin });
      return detail.body.messages.find((m: { id: string }) => m.id === reply.body.messageId)?.delivery?.status === 'delivered';
    });

    // The contact answers the email: the answer joins the form's conversation.
    const ourMessageId = sent.parsed.messageId!;
    const mail = createTransport({ host: '127.0.0.1', port: t.smtpPort, secure: false, ignoreTLS: true });
    await mail.sendMail({
      from: 'Dora <dora@customer.test>',
      to: 'forms@parley.test',
      subject: `Re: ${sent.parsed.subject ?? ''}`,
      text: 'Thank you, see you tomorrow.',
      inReplyTo: ourMessageId,
      references: [ourMessageId],
      messageId: '<dora-answer-1@customer.test>',
    });
    const continued = await until('the answer in the form conversation', async () => {
      const detail = await t.request('GET', `/api/conversations/${item.id}`, { token: admin });
      return detail.body.messages.some((m: { text: string }) => m.text.includes('Thank you, see you tomorrow.')) ? detail.body : undefined;
    });
    expect(continued.channel).toBe('forms');
    expect(continued.messages.map((m: { direction: string; channel: string }) => `${m.direction}:${m.channel}`)).toEqual(['in:forms', 'out:email', 'in:forms']);
  });
});
