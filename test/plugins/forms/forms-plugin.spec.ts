import { describe, expect, it } from '@jest/globals';
import type { ChannelResponse } from '../../../src/plugins/channel-plugin';
import { CSRF_TOKEN_TTL_MS, issueCsrfToken } from '../../../src/plugins/forms/csrf-token';
import { createFormsPlugin, type FormLimits } from '../../../src/plugins/forms/forms-plugin';
import { FORMS_STRINGS, formsLanguage } from '../../../src/plugins/forms/i18n';
import { FakeHostConnection } from '../../../src/plugins/testing';

const FORM = '5f0a11c0-0000-4000-8000-00000000f0f0';
const INBOX = '0a1b2c3d-0000-4000-8000-0000000000b0';
const SHOP = 'https://shop.example';
const SETTINGS = {
  title: 'Contact support',
  intro: 'We answer within a day.',
  customFields: [
    'order_number | Order number | text | required',
    'size | Size | select(Small; Large)',
    'delivered_on | Delivered on | date',
    'quantity | Quantity | number',
    'agree | I agree to the terms | checkbox | required',
  ],
  allowedOrigins: [SHOP],
};
const submissions = `/channels/forms/${FORM}/submissions`;

async function setup(settingsInput: Record<string, unknown> = SETTINGS, limits: Partial<FormLimits> = {}) {
  let clock = Date.parse('2026-12-07T10:00:00.000Z');
  const plugin = createFormsPlugin({ now: () => clock, limits });
  const settings = await plugin.connectionSettings!.validate(settingsInput, { inboxId: INBOX });
  const host = new FakeHostConnection({ id: 'forms', channel: 'forms' }, {}, { connections: [{ id: FORM, inboxId: INBOX, name: 'Support form', settings }] });
  await plugin.connect(host.connection);
  host.endConnect();
  const pageRoute = host.routes.find((r) => r.method === 'GET' && r.path === ':formId')!;
  const pageUrl = (formId = FORM) => pageRoute.url.replace(':formId', formId);
  return { plugin, host, settings, pageUrl, advance: (ms: number) => (clock += ms), now: () => clock };
}

const html = (response: ChannelResponse) => String(response.body);
const hidden = (page: string, name: string) => new RegExp(`name="${name}" value="([^"]*)"`).exec(page)?.[1] ?? '';

/** The hosted page's post: its hidden fields plus what the visitor typed, form-encoded. */
async function postFromPage(s: Awaited<ReturnType<typeof setup>>, typed: Record<string, string>, headers: Record<string, string> = {}) {
  const page = html(await s.host.request('GET', s.pageUrl()));
  const form = new URLSearchParams({ csrf: hidden(page, 'csrf'), submissionId: hidden(page, 'submissionId'), website: '', ...typed });
  return s.host.request('POST', submissions, {
    rawBody: form.toString(),
    headers: { 'content-type': 'application/x-www-form-urlencoded', host: 'parley.test', origin: 'http://parley.test', ...headers },
  });
}

const valid = {
  name: 'Cas Customer',
  email: 'cas@customer.test',
  subject: 'Broken kettle',
  message: 'The kettle leaks.',
  'fields.order_number': 'A-1001',
  'fields.size': 'Large',
  'fields.agree': 'yes',
};

describe('forms plugin: settings', () => {
  const plugin = createFormsPlugin();
  const validate = async (settings: Record<string, unknown>, previous?: Record<string, unknown>) =>
    plugin.connectionSettings!.validate(settings, { inboxId: INBOX, ...(previous ? { previous } : {}) });

  it('normalises the fields, generates the CSRF secret and keeps it on a change', async () => {
    const created = (await validate({
      ...SETTINGS,
      customFields: ['order_number|Order number|text|required', '', 'size | Size | select( Small ;Large )'],
    })) as Record<string, any>;
    expect(created).toMatchObject({
      title: 'Contact support',
      hideName: false,
      requireName: false,
      customFields: ['order_number | Order number | text | required', 'size | Size | select(Small; Large) | optional'],
      allowedOrigins: [SHOP],
    });
    expect(created.csrfSecret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const changed = (await validate({ ...created, csrfSecret: undefined, title: 'Help' }, created)) as Record<string, any>;
    expect(changed.csrfSecret).toBe(created.csrfSecret);
    expect(plugin.connectionSettings!.secrets).toEqual(['csrfSecret']);
  });

  it('names the setting and the value it refuses', async () => {
    await expect(validate({})).rejects.toThrow(/settings\.title: is required/);
    await expect(validate({ title: 'x', customFields: ['Order | Order number'] })).rejects.toThrow(/settings\.customFields\[0\]: the key .*"Order"/);
    await expect(validate({ title: 'x', customFields: ['a | A | colour'] })).rejects.toThrow(/settings\.customFields\[0\]: the type .*"colour"/);
    await expect(validate({ title: 'x', customFields: ['a | A | select()'] })).rejects.toThrow(/settings\.customFields\[0\]: a select needs/);
    await expect(validate({ title: 'x', customFields: ['a | A', 'a | B'] })).rejects.toThrow(/settings\.customFields\[1\]: the key "a" is used twice/);
    await expect(validate({ title: 'x', customFields: ['a | A | text | maybe'] })).rejects.toThrow(/"required" or "optional" \(got "maybe"\)/);
    await expect(validate({ title: 'x', allowedOrigins: ['shop.example/path'] })).rejects.toThrow(/settings\.allowedOrigins\[0\]: .*"shop\.example\/path"/);
    await expect(validate({ title: 'x', csrfSecret: 'short' })).rejects.toThrow(/settings\.csrfSecret: must be 32-1000 characters/);
    await expect(validate({ title: 'x', hideName: true, requireName: true })).rejects.toThrow(/settings\.requireName/);
    await expect(validate({ title: 'x', colour: 'red' })).rejects.toThrow(/settings\.colour: is not a form setting/);
  });

  it('offers an iframe snippet of the hosted page', async () => {
    const s = await setup();
    const [connection] = await s.host.connection.connections.list();
    const snippet = s.plugin.connectionSettings!.embedSnippet!(connection, { publicUrl: 'https://support.example/' });
    expect(snippet).toContain(`<iframe src="https://support.example/forms/${FORM}" title="Contact support" data-parley-form="${FORM}"`);
    expect(snippet).toContain('e.origin!=="https://support.example"');
  });

  it('has every word in English and Dutch', () => {
    expect(Object.keys(FORMS_STRINGS.nl).sort()).toEqual(Object.keys(FORMS_STRINGS.en).sort());
    for (const value of Object.values(FORMS_STRINGS.nl)) expect(value.trim()).not.toBe('');
    expect(formsLanguage(undefined, 'de-DE,nl;q=0.8,en;q=0.5')).toBe('nl');
    expect(formsLanguage('en', 'nl')).toBe('en');
  });
});

describe('forms plugin: the hosted page', () => {
  it('renders the form in English with its custom fields, a CSRF token, a submission id and a hidden honeypot', async () => {
    const s = await setup();
    const response = await s.host.request('GET', s.pageUrl(), { headers: { 'accept-language': 'en-GB,en;q=0.9' } });
    expect(response.status).toBe(200);
    const page = html(response);
    expect(page).toContain('<html lang="en"');
    expect(page).toContain('<h1>Contact support</h1>');
    expect(page).toContain('We answer within a day.');
    expect(page).toContain('<label for="f-fields-order_number">Order number <span class="hint">(required)</span></label>');
    expect(page).toMatch(
      /<select id="f-fields-size" name="fields.size"><option value="">Choose…<\/option><option>Small<\/option><option>Large<\/option><\/select>/,
    );
    expect(page).toContain('type="date" id="f-fields-delivered_on"');
    expect(page).toContain('>Send</button>');
    expect(page).toContain(`action="/channels/forms/${FORM}/submissions"`);
    expect(hidden(page, 'csrf')).toMatch(/^\d+\.[A-Za-z0-9_-]{43}$/);
    expect(hidden(page, 'submissionId')).toMatch(/^[0-9a-f-]{36}$/);
    expect(page).toMatch(
      /<div class="hp" aria-hidden="true">.*<input type="text" id="f-website" name="website" tabindex="-1" autocomplete="off" value=""><\/div>/,
    );
    const csp = response.headers!['Content-Security-Policy'];
    expect(csp).toContain(`frame-ancestors ${SHOP}`);
    expect(csp).toContain("form-action 'self'");
    expect(csp).not.toContain('unsafe-inline');
  });

  it("speaks Dutch to a Dutch browser in Parley's own words and keeps the admin's labels", async () => {
    const s = await setup();
    const page = html(await s.host.request('GET', s.pageUrl(), { headers: { 'accept-language': 'nl-NL,nl;q=0.9,en;q=0.5' } }));
    expect(page).toContain('<html lang="nl"');
    expect(page).toContain('>Versturen</button>');
    expect(page).toContain('Order number <span class="hint">(verplicht)</span>');
    expect(page).toContain('E-mailadres');
  });

  it('keeps a language chosen with ?lang through the post, its errors and the thank-you page', async () => {
    const s = await setup();
    const page = html(await s.host.request('GET', `${s.pageUrl()}?lang=nl`, { headers: { 'accept-language': 'en' } }));
    expect(page).toContain(`action="/channels/forms/${FORM}/submissions?lang=nl"`);
    const form = new URLSearchParams({ ...valid, csrf: hidden(page, 'csrf'), submissionId: hidden(page, 'submissionId') }).toString();
    const post = (body: string) =>
      s.host.request('POST', `${submissions}?lang=nl`, {
        rawBody: body,
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'accept-language': 'en' },
      });
    const refused = await post(form.replace('email=cas%40customer.test', 'email=cas'));
    expect(html(refused)).toContain('Vul een e-mailadres in');
    expect(html(refused)).toContain('?lang=nl"');
    expect((await post(form)).headers!.Location).toBe(`/forms/${FORM}?sent=1&lang=nl`);
  });

  it('answers a page of its own for an unknown form (404)', async () => {
    const s = await setup();
    const response = await s.host.request('GET', s.pageUrl('00000000-0000-4000-8000-000000000000'), { headers: { 'accept-language': 'nl' } });
    expect(response.status).toBe(404);
    expect(html(response)).toContain('Formulier niet gevonden');
  });
});

describe('forms plugin: submissions from the hosted page', () => {
  it('ingests a submission as a forms conversation from the email given, with the custom fields, and answers 303 to the thank-you page', async () => {
    const s = await setup();
    const response = await postFromPage(s, valid);
    expect(response.status).toBe(303);
    expect(response.headers!.Location).toBe(`/forms/${FORM}?sent=1`);
    expect(s.host.stored).toHaveLength(1);
    const [stored] = s.host.stored;
    expect(stored).toMatchObject({
      channel: 'forms',
      connectionId: FORM,
      inboxId: INBOX,
      from: { address: 'cas@customer.test', name: 'Cas Customer' },
      subject: 'Broken kettle',
      text: 'The kettle leaks.',
      fields: [
        { key: 'order_number', label: { en: 'Order number' }, value: 'A-1001' },
        { key: 'size', label: { en: 'Size' }, value: 'Large' },
        { key: 'agree', label: { en: 'I agree to the terms' }, value: 'yes' },
      ],
    });
    expect(stored.spam).toBeUndefined();
    expect(stored.externalThreadId).toBe(`form:${FORM}:${stored.externalMessageId}`);
    expect(s.host.metricValue('submissions_total', { outcome: 'accepted' })).toBe(1);
    const thanks = await s.host.request('GET', `${s.pageUrl()}?sent=1`);
    expect(html(thanks)).toContain('We received your message and will answer you by email.');
  });

  it("takes the form's title as the subject when none is given", async () => {
    const s = await setup();
    const { subject: _subject, ...withoutSubject } = valid;
    expect((await postFromPage(s, withoutSubject)).status).toBe(303);
    expect(s.host.stored[0].subject).toBe('Contact support');
  });

  it('shows the form again with the errors beside the fields and what was typed (400), storing nothing', async () => {
    const s = await setup();
    const response = await postFromPage(s, { ...valid, email: 'not-an-email', 'fields.order_number': '', 'fields.agree': '' }, { 'accept-language': 'nl' });
    expect(response.status).toBe(400);
    const page = html(response);
    expect(page).toContain('role="alert"');
    expect(page).toContain('Vul een e-mailadres in');
    expect(page).toContain('<p class="error" id="f-fields-order_number-error">Vul dit in.</p>');
    expect(page).toContain('Vink dit vakje aan.');
    expect(page).toContain('aria-invalid="true" aria-describedby="f-email-error"');
    expect(page).toContain('value="not-an-email"');
    expect(page).toContain('>The kettle leaks.</textarea>');
    expect(s.host.stored).toEqual([]);
  });

  it("refuses a post without the page's token, with a forged or an expired one (403), storing nothing", async () => {
    const s = await setup();
    const post = (csrf: string) =>
      s.host.request('POST', submissions, {
        rawBody: new URLSearchParams({ ...valid, csrf, submissionId: 'sub-00000001' }).toString(),
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      });
    expect((await post('')).status).toBe(403);
    expect((await post(issueCsrfToken(FORM, 'another-secret-that-is-long-enough-0123', s.now()))).status).toBe(403);
    expect((await post(issueCsrfToken('another-form', String(s.settings.csrfSecret), s.now()))).status).toBe(403);
    const token = issueCsrfToken(FORM, String(s.settings.csrfSecret), s.now());
    s.advance(CSRF_TOKEN_TTL_MS + 1000);
    const expired = await post(token);
    expect(expired.status).toBe(403);
    expect(html(expired)).toContain('This form has expired');
    expect(s.host.stored).toEqual([]);
  });

  it("refuses the page's post from a foreign Origin (403) even with a token", async () => {
    const s = await setup();
    const response = await postFromPage(s, valid, { origin: 'https://evil.example' });
    expect(response.status).toBe(403);
    expect(s.host.stored).toEqual([]);
  });

  it('answers a filled honeypot exactly like a success and ingests it as spam', async () => {
    const s = await setup();
    const response = await postFromPage(s, { ...valid, website: 'http://buy-cheap.example' });
    expect(response.status).toBe(303);
    expect(response.headers!.Location).toBe(`/forms/${FORM}?sent=1`);
    expect(s.host.stored).toHaveLength(1);
    expect(s.host.stored[0].spam).toBe(true);
    expect(s.host.metricValue('submissions_total', { outcome: 'spam' })).toBe(1);
  });

  it('stores a resubmitted page (the same submission id) once', async () => {
    const s = await setup();
    const page = html(await s.host.request('GET', s.pageUrl()));
    const body = new URLSearchParams({ ...valid, csrf: hidden(page, 'csrf'), submissionId: hidden(page, 'submissionId') }).toString();
    const post = () => s.host.request('POST', submissions, { rawBody: body, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect((await post()).status).toBe(303);
    expect((await post()).status).toBe(303);
    expect(s.host.stored).toHaveLength(1);
    expect(s.host.ingestCalls.map((c) => c.result.duplicate)).toEqual([false, true]);
  });
});

describe('forms plugin: JSON submissions', () => {
  const json = { email: 'ann@customer.test', message: 'Hello', fields: { order_number: 'A-7', agree: true, quantity: 3 } };
  const postJson = (s: Awaited<ReturnType<typeof setup>>, body: unknown, headers: Record<string, string> = {}) =>
    s.host.request('POST', submissions, { body, headers });

  it('takes a JSON submission without Origin (an API caller): 201 with the submission id', async () => {
    const s = await setup();
    const response = await postJson(s, { ...json, submissionId: 'api-sub-0001' });
    expect(response.status).toBe(201);
    expect(response.body).toEqual({ submissionId: 'api-sub-0001' });
    expect(s.host.stored[0]).toMatchObject({ externalMessageId: 'api-sub-0001', from: { address: 'ann@customer.test' } });
    expect(s.host.stored[0].fields).toEqual([
      { key: 'order_number', label: { en: 'Order number' }, value: 'A-7' },
      { key: 'quantity', label: { en: 'Quantity' }, value: '3' },
      { key: 'agree', label: { en: 'I agree to the terms' }, value: 'yes' },
    ]);
    expect((await postJson(s, { ...json, submissionId: 'api-sub-0001' })).body).toEqual({ submissionId: 'api-sub-0001' });
    expect(s.host.stored).toHaveLength(1);
  });

  it('makes the submission id from an Idempotency-Key, so a retried request is stored once', async () => {
    const s = await setup();
    const first = await postJson(s, json, { 'idempotency-key': 'retry-me-42' });
    const second = await postJson(s, json, { 'idempotency-key': 'retry-me-42' });
    expect(first.status).toBe(201);
    expect(second.body).toEqual(first.body);
    expect(s.host.stored).toHaveLength(1);
  });

  it('answers an allowed website with CORS, also for JSON sent as text/plain (no preflight), and refuses a foreign one (403)', async () => {
    const s = await setup();
    const allowed = await s.host.request('POST', submissions, {
      rawBody: JSON.stringify(json),
      headers: { 'content-type': 'text/plain;charset=UTF-8', origin: SHOP },
    });
    expect(allowed.status).toBe(201);
    expect(allowed.headers).toMatchObject({ 'Access-Control-Allow-Origin': SHOP, Vary: 'Origin' });
    const foreign = await postJson(s, json, { origin: 'https://evil.example' });
    expect(foreign.status).toBe(403);
    expect((foreign.body as { message: string }).message).toContain('"https://evil.example"');
    expect(s.host.stored).toHaveLength(1);
  });

  it('names the field and the value it refuses (400), and unknown fields too', async () => {
    const s = await setup();
    const bad = await postJson(s, { ...json, email: 'nope', fields: { ...json.fields, size: 'Huge', delivered_on: '2026-02-30', quantity: 'many' } });
    expect(bad.status).toBe(400);
    const message = (bad.body as { message: string }).message;
    expect(message).toContain('email: must be an email address like "ann@example.com" (got "nope")');
    expect(message).toContain('fields.size: must be one of "Small", "Large" (got "Huge")');
    expect(message).toContain('fields.delivered_on: must be a date as YYYY-MM-DD');
    expect(message).toContain('fields.quantity: must be a number');
    expect((bad.body as { errors: { field: string }[] }).errors.map((e) => e.field)).toEqual([
      'email',
      'fields.size',
      'fields.delivered_on',
      'fields.quantity',
    ]);
    const types = await postJson(s, { ...json, name: ['Ann', 'Bob'], fields: { ...json.fields, agree: 'maybe' } });
    expect((types.body as { message: string }).message).toBe(
      'name: must be text (got ["Ann","Bob"]); fields.agree: must be true or false ("yes" or "no") (got "maybe")',
    );
    const missing = await postJson(s, { email: 'ann@customer.test', message: 'Hi', fields: { agree: true } });
    expect((missing.body as { message: string }).message).toBe('fields.order_number: is required (got nothing)');
    const unknown = await postJson(s, { ...json, fields: { ...json.fields, colour: 'red' }, phone: '123' });
    expect(unknown.status).toBe(400);
    expect((unknown.body as { message: string }).message).toMatch(/fields\.colour: is not a field of this form .*\(got "red"\)/);
    expect((unknown.body as { message: string }).message).toMatch(/phone: is not a field of this form/);
    expect(s.host.stored).toEqual([]);
    expect(s.host.problems).toEqual([]);
  });

  it('limits the body (413), the message (20,000) and the other fields (1,000)', async () => {
    const s = await setup();
    expect((await postJson(s, { ...json, message: 'x'.repeat(70_000) })).status).toBe(413);
    const long = await postJson(s, { ...json, message: 'x'.repeat(20_001) });
    expect((long.body as { message: string }).message).toBe('message: must be at most 20000 characters (got 20001)');
    const longField = await postJson(s, { ...json, fields: { ...json.fields, order_number: 'y'.repeat(1001) } });
    expect((longField.body as { message: string }).message).toBe('fields.order_number: must be at most 1000 characters (got 1001)');
    expect((await postJson(s, { ...json, message: 'x'.repeat(20_000) })).status).toBe(201);
  });

  it('refuses the submissions of one address beyond its allowance with 429 and Retry-After', async () => {
    const s = await setup(SETTINGS, { submissionsPerIp: { capacity: 2, perSecond: 0.1 } });
    expect((await postJson(s, json)).status).toBe(201);
    expect((await postJson(s, json)).status).toBe(201);
    const refused = await postJson(s, json);
    expect(refused.status).toBe(429);
    expect(refused.headers!['Retry-After']).toBe('10');
    expect((await s.host.request('POST', submissions, { body: json, ip: '10.0.0.2' })).status).toBe(201);
    s.advance(10_000);
    expect((await postJson(s, json)).status).toBe(201);
    expect(s.host.metricValue('submissions_total', { outcome: 'rate_limited' })).toBe(1);
  });

  it('adds a follow-up (followUpOf) to an earlier submission of the same email, and refuses it for another email', async () => {
    const s = await setup();
    await postJson(s, { ...json, submissionId: 'first-0001' });
    expect((await postJson(s, { ...json, message: 'One more thing', submissionId: 'second-0002', followUpOf: 'first-0001' })).status).toBe(201);
    expect(new Set(s.host.stored.map((m) => m.conversationId)).size).toBe(1);
    const other = await postJson(s, { ...json, email: 'eve@evil.test', submissionId: 'third-0003', followUpOf: 'first-0001' });
    expect(other.status).toBe(400);
    expect((other.body as { message: string }).message).toContain('followUpOf: the submission "first-0001" came from another email address');
    expect((await postJson(s, { ...json, followUpOf: 'never-00000' })).status).toBe(400);
    expect(s.host.stored).toHaveLength(2);
  });

  it('answers an unknown form 404 and an unreadable body 400 or 415', async () => {
    const s = await setup();
    expect((await s.host.request('POST', '/channels/forms/nope/submissions', { body: json })).status).toBe(404);
    expect((await s.host.request('POST', submissions, { rawBody: '{oops', headers: { 'content-type': 'text/plain' } })).status).toBe(400);
    expect((await s.host.request('POST', submissions, { rawBody: 'x', headers: { 'content-type': 'application/xml' } })).status).toBe(415);
    expect(s.host.problems).toEqual([]);
  });
});
