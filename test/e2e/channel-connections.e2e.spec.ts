import { readdirSync, readFileSync, statSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { BUILT_IN_PLUGINS } from '../../src/plugins/registry/built-in-plugins';
import { EVENT_STORE, type EventStore } from '../../src/application/ports/event-store.port';
import { startTestApp, type TestApp } from '../support/app-harness';
import { connectTestPlugin, newConnectTestPluginState, type ConnectTestPluginState } from '../support/connect-test-plugin';

/**
 * Channel connections per inbox (issue 13 §1) over HTTP, with a small connectable test plugin in
 * place of chat: the plugin checks its settings and names the field, secrets are encrypted at rest
 * and never answered or logged, the plugin reads its connections (decrypted) and hears of changes,
 * and a message ingested through a connection lands in that connection's inbox.
 */
const SECRET_TOKEN = 'plain-api-token-that-must-never-leak-7f3a9c';
const NEW_TOKEN = 'second-api-token-that-must-never-leak-91be2';
const INSTANCE_SECRET = 'channel-connections-instance-secret-0123456789';

/** Every file under the data folder (the SQLite file, its WAL, the email channel's files). */
function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

const until = async (check: () => boolean, what: string, timeoutMs = 5_000) => {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
};

describe('channel connections per inbox (e2e)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'parley-connections-'));
  const logLines: string[] = [];
  const logger = pino(
    { level: 'trace' },
    new Writable({
      write(chunk, _encoding, done) {
        logLines.push(String(chunk));
        done();
      },
    }),
  );
  let state: ConnectTestPluginState;
  let t: TestApp;
  let admin: string;
  let agent: string;
  let outsider: string;
  let inboxId: string;
  let otherInboxId: string;
  let connectionId: string;

  const start = async (env: Record<string, string> = {}) => {
    state = newConnectTestPluginState();
    t = await startTestApp({
      dataDir,
      logger,
      env: { PARLEY_SECRET: INSTANCE_SECRET, LOG_LEVEL: 'trace', ...env },
      builtIns: [...BUILT_IN_PLUGINS, () => connectTestPlugin(state)],
    });
  };
  const api = (method: string, url: string, token: string | undefined, body?: unknown, headers: Record<string, string> = {}) =>
    t.request(method, url, { token, body, headers: { host: 'parley.test', ...headers } });

  beforeAll(async () => {
    await start();
    admin = await t.login();
    const create = async (name: string, email: string) => {
      const res = await api('POST', '/api/agents', admin, { name, email, password: 'password-123', role: 'agent' });
      expect(res.status).toBe(201);
      return res.body.id as string;
    };
    const memberId = await create('Mia Member', 'mia@example.com');
    await create('Otto Outsider', 'otto@example.com');
    agent = await t.login('mia@example.com', 'password-123');
    outsider = await t.login('otto@example.com', 'password-123');
    const inbox = await api('POST', '/api/inboxes', admin, { name: 'Website', agentIds: [memberId] });
    expect(inbox.status).toBe(201);
    inboxId = inbox.body.id;
    otherInboxId = (await api('POST', '/api/inboxes', admin, { name: 'Elsewhere', agentIds: [] })).body.id;
  }, 60_000);

  afterAll(async () => {
    await t?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('GET /api/channels says which channels admins can connect', async () => {
    const res = await api('GET', '/api/channels', agent);
    expect(res.status).toBe(200);
    const byId = Object.fromEntries((res.body.channels as { id: string; connectable: boolean }[]).map((c) => [c.id, c.connectable]));
    expect(byId).toMatchObject({ 'connect-test': true, email: false, api: false });
  });

  it('refuses bad settings with 400 naming the setting, and channels that do not connect naming type', async () => {
    const bad = await api('POST', `/api/inboxes/${inboxId}/channels`, admin, {
      type: 'connect-test',
      settings: { allowedOrigins: ['https://ok.example', 'not an origin'] },
    });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body.message)).toContain('settings.allowedOrigins[1]');
    expect(JSON.stringify(bad.body.message)).toContain('not an origin');

    const huge = await api('POST', `/api/inboxes/${inboxId}/channels`, admin, { type: 'connect-test', settings: { greeting: 'x'.repeat(70_000) } });
    expect(huge.status).toBe(400);
    expect(String(huge.body.message)).toMatch(/^settings must be at most 65536 bytes of JSON \(it has 700\d\d\)/);

    const notAnObject = await api('POST', `/api/inboxes/${inboxId}/channels`, admin, { type: 'connect-test', settings: ['x'] });
    expect(notAnObject.status).toBe(400);
    expect(JSON.stringify(notAnObject.body.message)).toContain('settings');

    for (const type of ['email', 'no-such-channel']) {
      const res = await api('POST', `/api/inboxes/${inboxId}/channels`, admin, { type, settings: {} });
      expect({ type, status: res.status }).toEqual({ type, status: 400 });
      expect(String(res.body.message)).toContain(`type: "${type}" is not a channel that connects to inboxes`);
      expect(String(res.body.message)).toContain('"connect-test"');
    }
    expect((await api('GET', `/api/inboxes/${inboxId}/channels`, admin)).body.channels).toEqual([]);
  });

  it('an admin connects a channel: 201 with secrets masked, hasSecret per secret, status and the embed snippet', async () => {
    const res = await api('POST', `/api/inboxes/${inboxId}/channels`, admin, {
      type: 'connect-test',
      settings: { allowedOrigins: ['https://shop.example'], apiToken: SECRET_TOKEN, greeting: 'Hi!' },
    });
    expect(res.status).toBe(201);
    connectionId = res.body.id;
    expect(res.body).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      inboxId,
      type: 'connect-test',
      name: 'Connect test',
      settings: { allowedOrigins: ['https://shop.example'], apiToken: '••••', sessionSecret: '••••', greeting: 'Hi!' },
      secrets: { apiToken: { hasSecret: true }, sessionSecret: { hasSecret: true } },
      status: 'active',
      embedSnippet: `<script src="http://parley.test/channels/connect-test/widget.js" data-connection="${connectionId}" async></script>`,
      createdBy: expect.any(String),
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
    });
    expect(JSON.stringify(res.body)).not.toContain(SECRET_TOKEN);

    const list = await api('GET', `/api/inboxes/${inboxId}/channels`, agent);
    expect(list.status).toBe(200);
    expect(list.body.channels).toEqual([res.body]);
    expect(JSON.stringify(list.body)).not.toContain(SECRET_TOKEN);
    expect(JSON.stringify(list.body)).not.toContain('generated-session-secret');
  });

  it('the plugin reads its connections with secrets decrypted, and hears that one was created', async () => {
    const host = state.host!;
    const connection = await host.connections.get(connectionId);
    expect(connection).toMatchObject({
      id: connectionId,
      inboxId,
      type: 'connect-test',
      settings: { apiToken: SECRET_TOKEN, sessionSecret: `generated-session-secret-${inboxId}`, allowedOrigins: ['https://shop.example'] },
    });
    expect((await host.connections.list()).map((c) => c.id)).toEqual([connectionId]);
    expect(await host.connections.get('00000000-0000-4000-8000-000000000000')).toBeNull();
    await until(() => state.changes.some((c) => c.type === 'created' && c.connectionId === connectionId), 'the created notice');
  });

  it('only admins change connections (403); members list them; an inbox out of reach or unknown answers 404', async () => {
    const base = `/api/inboxes/${inboxId}/channels`;
    expect((await api('POST', base, agent, { type: 'connect-test', settings: {} })).status).toBe(403);
    expect((await api('PATCH', `${base}/${connectionId}`, agent, { name: 'Mine now' })).status).toBe(403);
    expect((await api('DELETE', `${base}/${connectionId}`, agent)).status).toBe(403);
    expect((await api('GET', base, outsider)).status).toBe(404);
    // Admin work is refused to every non-admin alike, whether or not the inbox exists for them.
    expect((await api('POST', base, outsider, { type: 'connect-test', settings: {} })).status).toBe(403);
    const unknownInbox = '3b0c6a53-0d9f-4c55-9a4e-2b7f1f8c1e11';
    expect((await api('GET', `/api/inboxes/${unknownInbox}/channels`, admin)).status).toBe(404);
    expect((await api('POST', `/api/inboxes/${unknownInbox}/channels`, admin, { type: 'connect-test', settings: {} })).status).toBe(404);
    // A connection asked for under another inbox is unknown there.
    expect((await api('PATCH', `/api/inboxes/${otherInboxId}/channels/${connectionId}`, admin, { name: 'Moved?' })).status).toBe(404);
    expect((await api('DELETE', `/api/inboxes/${otherInboxId}/channels/${connectionId}`, admin)).status).toBe(404);
    expect((await api('GET', `/api/inboxes/not-a-uuid/channels`, admin)).status).toBe(400);
    expect((await api('GET', base, '')).status).toBe(401);
  });

  it('PATCH renames and merges settings; a secret left out or sent back as "••••" keeps its value, a new one replaces it', async () => {
    const url = `/api/inboxes/${inboxId}/channels/${connectionId}`;
    const renamed = await api('PATCH', url, admin, { name: 'Shop chat', settings: { greeting: 'Hello!', apiToken: '••••' } });
    expect(renamed.status).toBe(200);
    expect(renamed.body).toMatchObject({ name: 'Shop chat', settings: { greeting: 'Hello!', apiToken: '••••' }, secrets: { apiToken: { hasSecret: true } } });
    // The plugin checked the merged settings, with the stored ones (decrypted) as `previous`.
    expect(state.validated.at(-1)).toEqual({
      settings: expect.objectContaining({ apiToken: SECRET_TOKEN, greeting: 'Hello!', allowedOrigins: ['https://shop.example'] }),
      previous: expect.objectContaining({ apiToken: SECRET_TOKEN, greeting: 'Hi!' }),
    });
    expect((await state.host!.connections.get(connectionId))?.settings).toMatchObject({ apiToken: SECRET_TOKEN, greeting: 'Hello!' });

    expect((await api('PATCH', url, admin, { settings: { allowedOrigins: ['https://shop.example', 'https://www.shop.example'] } })).status).toBe(200);
    expect((await state.host!.connections.get(connectionId))?.settings).toMatchObject({ apiToken: SECRET_TOKEN });

    const bad = await api('PATCH', url, admin, { settings: { allowedOrigins: ['ftp://x'] } });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body.message)).toContain('settings.allowedOrigins[0]');

    const replaced = await api('PATCH', url, admin, { settings: { apiToken: NEW_TOKEN } });
    expect(replaced.status).toBe(200);
    expect(JSON.stringify(replaced.body)).not.toContain(NEW_TOKEN);
    expect((await state.host!.connections.get(connectionId))?.settings.apiToken).toBe(NEW_TOKEN);
    await until(() => state.changes.filter((c) => c.type === 'changed' && c.connectionId === connectionId).length >= 3, 'the changed notices');

    const empty = await api('PATCH', url, admin, { name: '   ' });
    expect(empty.status).toBe(400);
    expect(JSON.stringify(empty.body.message)).toContain('name');
  });

  it('a message ingested through a connection goes to its inbox; an unknown connection is 404, another inbox 400', async () => {
    const host = state.host!;
    const message = (overrides: Record<string, unknown> = {}) => ({
      channel: 'connect-test',
      connectionId,
      externalThreadId: `visitor-${Math.random().toString(36).slice(2)}`,
      externalMessageId: `m-${Math.random().toString(36).slice(2)}`,
      from: { address: 'visitor-1@connect-test.invalid', name: 'Visitor' },
      to: [],
      text: 'Hello from the website',
      ...overrides,
    });
    const result = await host.ingest(message());
    const conversation = await api('GET', `/api/conversations/${result.conversationId}`, admin);
    expect(conversation.status).toBe(200);
    expect(conversation.body).toMatchObject({ inboxId, channel: 'connect-test' });

    await expect(host.ingest(message({ connectionId: '00000000-0000-4000-8000-000000000000' }))).rejects.toMatchObject({ statusCode: 404 });
    await expect(host.ingest(message({ inboxId: otherInboxId }))).rejects.toMatchObject({ statusCode: 400, message: expect.stringContaining('inboxId') });
    expect((await host.ingest(message({ inboxId }))).duplicate).toBe(false);
  });

  it('secrets are never in plain text in the data folder (event log, read models) nor in the logs', async () => {
    for (const file of filesUnder(dataDir)) {
      const bytes = readFileSync(file);
      expect({ file, leaks: bytes.includes(SECRET_TOKEN) || bytes.includes(NEW_TOKEN) }).toEqual({ file, leaks: false });
    }
    expect(logLines.length).toBeGreaterThan(0);
    const leaking = logLines.filter((line) => line.includes(SECRET_TOKEN) || line.includes(NEW_TOKEN));
    expect(leaking).toEqual([]);
    // The plugin logged its decrypted connections: the host's logger blanked the secrets it declared.
    const logged = logLines.filter((line) => line.includes('connect-test connection changed') && line.includes('"current":{'));
    expect(logged.length).toBeGreaterThan(0);
    expect(logged.every((line) => line.includes('"apiToken":"[Redacted]"') && line.includes('"sessionSecret":"[Redacted]"'))).toBe(true);
  });

  it('after a restart with the same instance key the secrets still decrypt; PARLEY_PUBLIC_URL makes the snippet', async () => {
    await t.close();
    await start({ PARLEY_PUBLIC_URL: 'https://support.example.test/' });
    admin = await t.login();
    const list = await api('GET', `/api/inboxes/${inboxId}/channels`, admin);
    expect(list.status).toBe(200);
    expect(list.body.channels).toEqual([
      expect.objectContaining({
        id: connectionId,
        name: 'Shop chat',
        secrets: { apiToken: { hasSecret: true }, sessionSecret: { hasSecret: true } },
        embedSnippet: `<script src="https://support.example.test/channels/connect-test/widget.js" data-connection="${connectionId}" async></script>`,
      }),
    ]);
    expect((await state.host!.connections.get(connectionId))?.settings.apiToken).toBe(NEW_TOKEN);
  });

  it('DELETE removes the connection (204): gone from the list and for the plugin, ingest through it is 404', async () => {
    const url = `/api/inboxes/${inboxId}/channels/${connectionId}`;
    const res = await api('DELETE', url, admin);
    expect(res.status).toBe(204);
    expect((await api('GET', `/api/inboxes/${inboxId}/channels`, admin)).body.channels).toEqual([]);
    expect(await state.host!.connections.get(connectionId)).toBeNull();
    expect(await state.host!.connections.list()).toEqual([]);
    await until(() => state.changes.some((c) => c.type === 'removed' && c.connectionId === connectionId), 'the removed notice');
    await expect(
      state.host!.ingest({
        channel: 'connect-test',
        connectionId,
        externalThreadId: 'after-removal',
        externalMessageId: 'after-removal-1',
        from: { address: 'visitor-2@connect-test.invalid' },
        to: [],
        text: 'Anyone?',
      }),
    ).rejects.toMatchObject({ statusCode: 404 });
    expect((await api('DELETE', url, admin)).status).toBe(404);
    expect((await api('PATCH', url, admin, { name: 'Back?' })).status).toBe(404);
  });

  it('the event log records who connected, changed and removed it, with the secrets as ciphertext', async () => {
    const me = (await api('GET', '/api/me', admin)).body;
    const events = await t.app.get<EventStore>(EVENT_STORE).readStream(`channel-connection-${connectionId}`);
    expect(events.map((e) => e.type)).toEqual([
      'ChannelConnected',
      'ChannelConnectionChanged',
      'ChannelConnectionChanged',
      'ChannelConnectionChanged',
      'ChannelDisconnected',
    ]);
    expect(events.map((e) => e.metadata.actor)).toEqual(events.map(() => ({ type: 'agent', id: me.id ?? me.agent?.id })));
    const connected = events[0].data as { settings: Record<string, unknown>; secretKeys: string[] };
    expect(connected.secretKeys.sort()).toEqual(['apiToken', 'sessionSecret']);
    expect(connected.settings.apiToken).toMatch(/^v1:[\w-]+:[\w-]+:[\w-]+$/);
    expect(connected.settings.greeting).toBe('Hi!');
  });
});
