import { startTestApp, inbound, type TestApp } from '../support/app-harness';

/** The API answers refusals in the reader's language: the agent's saved one, else Accept-Language. */
describe('API errors in Dutch and English', () => {
  let t: TestApp;
  let token: string;
  let conversationId: string;

  beforeAll(async () => {
    t = await startTestApp();
    token = await t.login();
    const first = await t.request('POST', '/api/channels/api/messages', { token, body: inbound() });
    expect(first.status).toBe(201);
    conversationId = first.body.conversationId;
    expect((await t.request('POST', `/api/conversations/${conversationId}/close`, { token, body: {} })).status).toBeLessThan(300);
  });
  afterAll(() => t.close());

  const setLanguage = async (language: 'nl' | 'en' | null) =>
    expect((await t.request('PUT', '/api/me/preferences', { token, body: { language } })).status).toBe(200);

  it('answers an English reader exactly as before, with a code', async () => {
    await setLanguage(null);
    const res = await t.request('POST', `/api/conversations/${conversationId}/close`, { token, body: {} });
    expect(res.status).toBe(409);
    expect(res.body).toEqual({ statusCode: 409, error: 'Conflict', code: 'conversation-already-closed', message: 'conversation is already closed' });
  });

  it('answers an agent who chose Dutch in Dutch, whatever the browser asks for', async () => {
    await setLanguage('nl');
    try {
      const closed = await t.request('POST', `/api/conversations/${conversationId}/close`, { token, body: {}, headers: { 'accept-language': 'en' } });
      expect(closed.body).toMatchObject({ statusCode: 409, code: 'conversation-already-closed', message: 'het gesprek is al gesloten' });

      const unknown = '00000000-0000-4000-8000-000000000000';
      const missing = await t.request('GET', `/api/conversations/${unknown}`, { token });
      expect(missing.body).toMatchObject({ statusCode: 404, code: 'conversation-unknown', message: `gesprek ${unknown} niet gevonden` });

      // class-validator's refusals: per check, naming the field and the value.
      const invalid = await t.request('POST', `/api/conversations/${conversationId}/comments`, { token, body: { text: 5, extra: true } });
      expect(invalid.status).toBe(400);
      expect(invalid.body.code).toBe('validation-failed');
      expect(invalid.body.message).toEqual(
        expect.arrayContaining(['text: moet een tekst zijn (kreeg 5)', 'extra: is geen veld van dit verzoek; haal het weg (kreeg true)']),
      );

      const tooLong = await t.request('POST', '/api/inboxes', { token, body: { name: 'x'.repeat(500) } });
      expect(tooLong.status).toBe(400);
      expect(JSON.stringify(tooLong.body.message)).toMatch(/name:? mag hoogstens [\d.]+ tekens lang zijn/);
    } finally {
      await setLanguage(null);
    }
  });

  it("words the web UI's refusals in the reader's language too", async () => {
    const dutch = await t.request('GET', '/ui/conversations/not-an-id', { token, headers: { 'accept-language': 'nl' } });
    expect(dutch.status).toBe(400);
    expect(String(dutch.body)).toContain('id: moet een UUID zijn (kreeg &quot;not-an-id&quot;)');
    const english = await t.request('GET', '/ui/conversations/not-an-id', { token, headers: { 'accept-language': 'en' } });
    expect(String(english.body)).toContain('id: must be a UUID (got &quot;not-an-id&quot;)');
  });

  it('answers an anonymous Dutch browser in Dutch', async () => {
    const res = await t.request('GET', '/api/views', { headers: { 'accept-language': 'nl-NL,nl;q=0.9' } });
    expect(res.status).toBe(401);
    expect(res.body).toMatchObject({
      code: 'login-required',
      message: 'aanmelden vereist: stuur "Authorization: Bearer <token>" van POST /api/auth/login mee',
    });
    const english = await t.request('GET', '/api/views', { headers: { 'accept-language': 'en' } });
    expect(english.body).toMatchObject({
      code: 'login-required',
      message: 'authentication required: send "Authorization: Bearer <token>" from POST /api/auth/login',
    });
  });
});
