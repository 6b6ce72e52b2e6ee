import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startHttpSink, type HttpSink } from '../support/http-sink';
import {
  buildServer,
  removeServerBuild,
  REPO_ROOT,
  spawnServer,
  startServer,
  stopAllServers,
  TEST_ADMIN,
  freePort,
  type ServerProcess,
} from '../support/server-process';

/**
 * The third-party example, loaded the way an operator loads any plugin: by package name from
 * PARLEY_PLUGINS, into the real server (compiled, its own process). NODE_PATH points at examples/
 * so the package resolves on a clean clone without installing or publishing anything.
 */
const SECRET = 'e2e-signed-webhook-secret-0123456789';
const sign = (body: string, secret = SECRET) => `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;

describe('a third-party channel plugin loaded from PARLEY_PLUGINS (e2e, real server)', () => {
  const dataDirs: string[] = [];
  const newDataDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'parley-plugin-e2e-'));
    dataDirs.push(dir);
    return dir;
  };
  let sink: HttpSink;
  let server: ServerProcess;
  let token: string;

  const call = async (method: string, path: string, options: { body?: string; headers?: Record<string, string>; auth?: boolean } = {}) => {
    const res = await fetch(`${server.baseUrl}${path}`, {
      method,
      headers: {
        ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(options.auth === false ? {} : { authorization: `Bearer ${token}` }),
        ...options.headers,
      },
      body: options.body,
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  };
  const webhook = (payload: object, signature?: string) => {
    const body = JSON.stringify(payload);
    return call('POST', '/channels/signed-webhook/messages', { body, auth: false, headers: { 'x-parley-signature': signature ?? sign(body) } });
  };
  const allOpen = async () => (await call('GET', '/api/views/all-open/conversations')).body.items as { id: string; channel: string }[];

  beforeAll(async () => {
    await buildServer();
    sink = await startHttpSink('/replies');
    server = await startServer({
      dataDir: newDataDir(),
      env: {
        NODE_PATH: join(REPO_ROOT, 'examples'),
        PARLEY_PLUGINS: 'parley-plugin-signed-webhook',
        PARLEY_PLUGIN_SIGNED_WEBHOOK_SECRET: SECRET,
        PARLEY_PLUGIN_SIGNED_WEBHOOK_OUTBOUND_URL: sink.url,
        // The sink listens on 127.0.0.1, which the outbound guard refuses unless private targets are allowed.
        PARLEY_ALLOW_PRIVATE_NETWORK: 'true',
      },
    });
    const login = await fetch(`${server.baseUrl}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(TEST_ADMIN),
    });
    token = ((await login.json()) as { token: string }).token;
  }, 120_000);

  afterAll(async () => {
    await stopAllServers();
    removeServerBuild();
    await sink?.close();
    for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
  });

  it('lists the plugin among the channels', async () => {
    const res = await call('GET', '/api/channels');
    expect(res.body.channels.map((c: { id: string }) => c.id)).toEqual(['api', 'email', 'chat', 'forms', 'messenger', 'whatsapp', 'signed-webhook']);
  });

  it('stores nothing from a webhook with a bad signature (401)', async () => {
    const payload = { threadId: 'forged-thread', messageId: 'forged-1', from: { address: 'mallory@example.org' }, text: 'Send me the refund' };
    expect((await webhook(payload, sign(JSON.stringify(payload), 'not-the-shared-secret-at-all'))).status).toBe(401);
    expect((await webhook(payload, 'sha256=')).status).toBe(401);
    const everything = (await call('GET', '/api/views/all-open/conversations')).body.items as { contact: { address: string } }[];
    expect(everything.filter((c) => c.contact?.address === 'mallory@example.org')).toEqual([]);
  });

  it('takes a signed webhook, shows the conversation, and delivers the reply as a signed POST', async () => {
    const payload = {
      threadId: 'order-1042',
      messageId: 'evt-1',
      from: { address: 'jan@example.org', name: 'Jan' },
      subject: 'Order 1042',
      text: 'Where is my order?',
    };
    const first = await webhook(payload);
    expect(first.status).toBe(201);
    expect((await webhook(payload)).status).toBe(200); // redelivered: nothing new

    const conversation = await call('GET', `/api/conversations/${first.body.conversationId}`);
    expect(conversation.body).toMatchObject({ channel: 'signed-webhook', subject: 'Order 1042', contact: { address: 'jan@example.org' } });
    expect(conversation.body.messages).toHaveLength(1);
    expect(await allOpen()).toContainEqual(expect.objectContaining({ id: first.body.conversationId, channel: 'signed-webhook' }));

    const reply = await call('POST', `/api/conversations/${first.body.conversationId}/replies`, { body: JSON.stringify({ text: 'It ships tomorrow.' }) });
    expect(reply.status).toBe(201);
    const received = await sink.waitFor((r) => r.headers['idempotency-key'] === reply.body.messageId, 15_000);
    expect(received.headers['x-parley-signature']).toBe(sign(received.body.toString('utf8')));
    expect(JSON.parse(received.body.toString('utf8'))).toMatchObject({
      type: 'reply',
      threadId: 'order-1042',
      inReplyTo: 'evt-1',
      text: 'It ships tomorrow.',
      to: [{ address: 'jan@example.org' }],
    });

    let status: string | undefined;
    for (const deadline = Date.now() + 10_000; status !== 'delivered' && Date.now() < deadline; await new Promise((r) => setTimeout(r, 50))) {
      const detail = await call('GET', `/api/conversations/${first.body.conversationId}`);
      status = detail.body.messages.find((m: { id: string }) => m.id === reply.body.messageId)?.delivery?.status;
    }
    expect(status).toBe('delivered');
  });

  it('refuses to start when PARLEY_PLUGINS names a package that cannot be found, naming it', async () => {
    const failed = spawnServer({ dataDir: newDataDir(), port: await freePort(), env: { PARLEY_PLUGINS: 'parley-plugin-does-not-exist' } });
    const exit = await failed.waitForExit(30_000);
    expect(exit?.code).not.toBe(0);
    expect(failed.output()).toContain('"parley-plugin-does-not-exist" cannot be found');
  });
});
