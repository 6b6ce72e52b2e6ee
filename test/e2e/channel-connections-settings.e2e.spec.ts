import { BUILT_IN_PLUGINS } from '../../src/plugins/registry/built-in-plugins';
import { startTestApp, type TestApp } from '../support/app-harness';
import { connectTestPlugin, newConnectTestPluginState, type ConnectTestPluginState } from '../support/connect-test-plugin';

/**
 * The "Channels" section of Inbox settings, over HTTP as the browser's forms send it: the form is
 * derived from the fields the plugin declares, secrets never appear in the page, the embed code
 * is shown with a copy button, and only admins get the forms. In both languages.
 */
describe('Inbox settings: channels (e2e, forms)', () => {
  const TOKEN = 'form-api-token-never-in-a-page-5d1c0a';
  let t: TestApp;
  let state: ConnectTestPluginState;
  let adminCookie: string;
  let agentCookie: string;
  let inboxId: string;

  const sessionOf = (res: { headers: Record<string, unknown> }) =>
    ([] as string[])
      .concat((res.headers['set-cookie'] as string | string[] | undefined) ?? [])
      .find((c) => c.startsWith('parley_session='))
      ?.split(';')[0];
  const page = async (cookie: string, language = 'en', query = '') => {
    const res = await t.request('GET', `/settings?inbox=${inboxId}${query}`, { headers: { cookie, host: 'parley.test', 'accept-language': language } });
    expect(res.status).toBe(200);
    return String(res.body);
  };
  const form = (url: string, cookie: string, fields: Record<string, string | string[]>, language = 'en') => {
    const body = new URLSearchParams();
    for (const [key, value] of Object.entries(fields)) for (const v of ([] as string[]).concat(value)) body.append(key, v);
    return t.app.inject({
      method: 'POST',
      url,
      headers: { cookie, origin: 'http://parley.test', host: 'parley.test', 'content-type': 'application/x-www-form-urlencoded', 'accept-language': language },
      payload: body.toString(),
    });
  };
  const connections = async () => (await t.request('GET', `/api/inboxes/${inboxId}/channels`, { headers: { cookie: adminCookie } })).body.channels;

  beforeAll(async () => {
    state = newConnectTestPluginState();
    t = await startTestApp({ builtIns: [...BUILT_IN_PLUGINS, () => connectTestPlugin(state)] });
    const token = await t.login();
    const agent = await t.request('POST', '/api/agents', { token, body: { name: 'Mia', email: 'mia@example.com', password: 'password-123', role: 'agent' } });
    const inbox = await t.request('POST', '/api/inboxes', { token, body: { name: 'Website', agentIds: [agent.body.id] } });
    inboxId = inbox.body.id;
    adminCookie = sessionOf(await t.request('POST', '/api/auth/login', { body: { email: 'admin@example.com', password: 'admin-password-1' } }))!;
    agentCookie = sessionOf(await t.request('POST', '/api/auth/login', { body: { email: 'mia@example.com', password: 'password-123' } }))!;
  }, 60_000);

  afterAll(async () => {
    await t?.close();
  });

  it('shows admins a connect form built from the fields the channel declares', async () => {
    const html = await page(adminCookie);
    expect(html).toContain('<h2 id="channels-title">Channels</h2>');
    expect(html).toContain('No channel is connected to this inbox yet.');
    const connect = /<form[^>]*id="connect-connect-test"[\s\S]*?<\/form>/.exec(html)?.[0] ?? '';
    expect(connect).toContain('action="/settings/channels?inbox=' + inboxId + '"');
    expect(connect).toMatch(/<textarea name="setting\.allowedOrigins"/);
    expect(connect).toMatch(/<input type="text" name="setting\.greeting"/);
    expect(connect).toMatch(/<input type="checkbox" name="setting\.preChat"/);
    expect(connect).toMatch(/<input type="number" name="setting\.inactivityMinutes"/);
    expect(connect).toMatch(/<input type="password" name="setting\.apiToken"[^>]*autocomplete="new-password"/);
    expect(connect).toContain('data-generate-secret="#channel-new-connect-test-apiToken"');
    expect(connect).toContain('Connect Connect test');
    // The channels that need no connection (email, the API) are not offered.
    expect(html).not.toContain('id="connect-email"');
  });

  it("offers the chat channel its own form, in the admin's language (the session secret is the plugin's, never a field)", async () => {
    const chatForm = (html: string) => /<form[^>]*id="connect-chat"[\s\S]*?<\/form>/.exec(html)?.[0] ?? '';
    const english = chatForm(await page(adminCookie));
    expect(english).toMatch(/<textarea name="setting\.allowedOrigins"/);
    expect(english).toMatch(/<input type="checkbox" name="setting\.preChatForm"/);
    expect(english).toMatch(/<input type="checkbox" name="setting\.requireVerifiedIdentity"/);
    expect(english).toMatch(/<input type="password" name="setting\.identityVerificationSecret"/);
    expect(english).toMatch(/<input type="number" name="setting\.inactivityMinutes"/);
    expect(english).toContain('Websites allowed to show the chat');
    expect(english).not.toContain('sessionSecret');
    expect(chatForm(await page(adminCookie, 'nl'))).toContain('Websites die de chat mogen tonen');
  });

  it('connects a channel from the form: lines become a list, the checkbox a boolean, the secret stored and never shown', async () => {
    const res = await form(`/settings/channels?inbox=${inboxId}`, adminCookie, {
      type: 'connect-test',
      name: 'Shop chat',
      'setting.allowedOrigins': 'https://shop.example\r\n\r\n  https://www.shop.example  \r\n',
      'setting.greeting': 'Hi there!',
      'setting.preChat': 'on',
      'setting.inactivityMinutes': '45',
      'setting.apiToken': TOKEN,
    });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe(`/settings?inbox=${inboxId}&saved=channel-connected`);
    const [connection] = await connections();
    expect(connection).toMatchObject({
      name: 'Shop chat',
      settings: {
        allowedOrigins: ['https://shop.example', 'https://www.shop.example'],
        greeting: 'Hi there!',
        preChat: true,
        inactivityMinutes: 45,
        apiToken: '••••',
      },
    });
    expect((await state.host!.connections.get(connection.id))?.settings.apiToken).toBe(TOKEN);

    const html = await page(adminCookie);
    expect(html).not.toContain(TOKEN);
    expect(html).not.toContain('generated-session-secret');
    const row = new RegExp(`<li class="channel-connection" data-connection-id="${connection.id}">[\\s\\S]*?</li>`).exec(html)?.[0] ?? '';
    expect(row).toContain('Shop chat');
    expect(row).toContain('&lt;script src&#x3D;&quot;http://parley.test/channels/connect-test/widget.js&quot;');
    expect(row).toContain(`data-copy="#embed-${connection.id}"`);
    expect(row).toContain('https://shop.example\nhttps://www.shop.example</textarea>');
    expect(row).toMatch(/name="setting\.preChat"[^>]*checked/);
    expect(row).toContain('placeholder="A secret is stored; leave empty to keep it"');
    expect(row).toContain('data-confirm="Remove the channel &quot;Shop chat&quot;?');
  });

  it('saves changes from the form; an empty secret keeps the stored one, an unchecked box is false', async () => {
    const [connection] = await connections();
    const res = await form(`/settings/channels/${connection.id}?inbox=${inboxId}`, adminCookie, {
      name: 'Shop chat (NL)',
      'setting.allowedOrigins': 'https://shop.example',
      'setting.greeting': 'Hallo!',
      'setting.inactivityMinutes': '',
      'setting.apiToken': '',
    });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe(`/settings?inbox=${inboxId}&saved=channel-saved`);
    const settings = (await state.host!.connections.get(connection.id))?.settings;
    expect(settings).toMatchObject({ allowedOrigins: ['https://shop.example'], greeting: 'Hallo!', preChat: false, inactivityMinutes: 45, apiToken: TOKEN });
    expect((await connections())[0].name).toBe('Shop chat (NL)');
  });

  it("a refused setting re-renders the page with the reason naming it, in the reader's language for the form's own checks", async () => {
    const [connection] = await connections();
    const bad = await form(`/settings/channels/${connection.id}?inbox=${inboxId}`, adminCookie, { name: 'X', 'setting.allowedOrigins': 'shop.example' });
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('settings.allowedOrigins[0]');
    const notNumber = await form(`/settings/channels/${connection.id}?inbox=${inboxId}`, adminCookie, { name: 'X', 'setting.inactivityMinutes': 'soon' }, 'nl');
    expect(notNumber.statusCode).toBe(400);
    expect(notNumber.body).toContain('Sluiten na minuten stilte moet een heel getal zijn (niet &quot;soon&quot;).');
  });

  it('members see the channels and the embed code, but no forms; their posts are refused', async () => {
    const [connection] = await connections();
    const html = await page(agentCookie, 'nl');
    expect(html).toContain('<h2 id="channels-title">Kanalen</h2>');
    expect(html).toContain('Insluitcode');
    expect(html).toContain('Alleen beheerders koppelen, wijzigen en verwijderen kanalen.');
    expect(html).not.toContain(`action="/settings/channels/${connection.id}`);
    expect(html).not.toContain('id="connect-connect-test"');
    const refused = await form(`/settings/channels/${connection.id}/remove?inbox=${inboxId}`, agentCookie, {});
    expect(refused.statusCode).toBe(403);
    expect(await connections()).toHaveLength(1);
  });

  it('a form from another origin is refused (CSRF); the remove form removes the connection', async () => {
    const [connection] = await connections();
    const forged = await t.app.inject({
      method: 'POST',
      url: `/settings/channels/${connection.id}/remove?inbox=${inboxId}`,
      headers: { cookie: adminCookie, origin: 'https://evil.example', host: 'parley.test', 'content-type': 'application/x-www-form-urlencoded' },
      payload: '',
    });
    expect(forged.statusCode).toBe(403);
    expect(await connections()).toHaveLength(1);

    const removed = await form(`/settings/channels/${connection.id}/remove?inbox=${inboxId}`, adminCookie, {});
    expect(removed.statusCode).toBe(303);
    expect(removed.headers.location).toBe(`/settings?inbox=${inboxId}&saved=channel-removed`);
    expect(await connections()).toEqual([]);
    const after = await t.request('GET', removed.headers.location as string, { headers: { cookie: adminCookie, 'accept-language': 'en' } });
    expect(String(after.body)).toContain('Channel removed; its conversations stay in the inbox.');
    expect(String(after.body)).toContain('No channel is connected to this inbox yet.');
  });
});
