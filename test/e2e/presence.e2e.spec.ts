import type { AddressInfo } from 'node:net';
import { startTestApp, type TestApp } from '../support/app-harness';
import { eventually } from '../support/ui-harness';

/**
 * Presence over real HTTP (issue 14, rule 11): an agent with Parley open (the live stream
 * GET /events) is online in GET /api/agents and GET /api/me; once the stream is gone (closed, or
 * ended by a logout) they go offline after PARLEY_PRESENCE_GRACE_SECONDS, here 1 s so the real
 * sweeper's timers settle it quickly. Waiting for "offline" polls (bounded); nothing asserts how
 * fast it happens.
 */
describe('presence over HTTP: online while a live stream is open', () => {
  let t: TestApp;
  let baseUrl: string;
  let admin: string;
  let nora: { id: string; token: string };

  beforeAll(async () => {
    t = await startTestApp({ env: { PARLEY_PRESENCE_GRACE_SECONDS: '1' } });
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    baseUrl = `http://127.0.0.1:${(t.app.getHttpServer().address() as AddressInfo).port}`;
    admin = await t.login();
    const created = await t.request('POST', '/api/agents', {
      token: admin,
      body: { name: 'Nora Online', email: 'nora.online@example.com', password: 'nora-password-1', role: 'agent' },
    });
    expect(created.status).toBe(201);
    nora = { id: created.body.id, token: await t.login('nora.online@example.com', 'nora-password-1') };
  });

  afterAll(() => t.close());

  const onlineInDirectory = async (token: string, agentId: string): Promise<boolean> => {
    const res = await t.request('GET', '/api/agents', { token });
    expect(res.status).toBe(200);
    return res.body.agents.find((a: { id: string }) => a.id === agentId).online;
  };

  it('an open stream: online in the directory (for admins and agents) and in GET /api/me; closed: offline after the grace period', async () => {
    expect(await onlineInDirectory(admin, nora.id)).toBe(false);
    expect((await t.request('GET', '/api/me', { token: nora.token })).body.online).toBe(false);

    const stream = await openStream(baseUrl, nora.token);
    try {
      await stream.ready;
      // `ready` comes once the agent is recorded online: no waiting needed.
      expect(await onlineInDirectory(admin, nora.id)).toBe(true);
      expect(await onlineInDirectory(nora.token, nora.id)).toBe(true);
      expect((await t.request('GET', '/api/me', { token: nora.token })).body).toMatchObject({ id: nora.id, online: true, availability: 'available' });
    } finally {
      stream.close();
    }
    await eventually(async () => !(await onlineInDirectory(admin, nora.id)), 15_000, 'Nora offline after her stream closed');
    expect((await t.request('GET', '/api/me', { token: nora.token })).body.online).toBe(false);
  });

  it('being away does not make an agent offline: presence and availability are separate', async () => {
    expect((await t.request('PUT', '/api/me/availability', { token: nora.token, body: { status: 'away' } })).status).toBe(200);
    const stream = await openStream(baseUrl, nora.token);
    try {
      await stream.ready;
      expect((await t.request('GET', '/api/me', { token: nora.token })).body).toMatchObject({ online: true, availability: 'away' });
    } finally {
      stream.close();
      expect((await t.request('PUT', '/api/me/availability', { token: nora.token, body: { status: 'available' } })).status).toBe(200);
    }
    await eventually(async () => !(await onlineInDirectory(admin, nora.id)), 15_000, 'Nora offline again');
  });

  it('a logout ends the stream, and with it the agent goes offline after the grace period', async () => {
    const token = await t.login('nora.online@example.com', 'nora-password-1');
    const stream = await openStream(baseUrl, token);
    try {
      await stream.ready;
      expect(await onlineInDirectory(admin, nora.id)).toBe(true);
      expect((await t.request('POST', '/api/auth/logout', { token })).status).toBe(204);
      await expect(stream.ended).resolves.toBe('ended');
    } finally {
      stream.close();
    }
    await eventually(async () => !(await onlineInDirectory(admin, nora.id)), 15_000, 'Nora offline after logging out');
  });
});

/** Opens `GET /events` with a bearer token: `ready` once the stream is live, `ended` when the server ends it. */
async function openStream(baseUrl: string, token: string) {
  const abort = new AbortController();
  const response = await fetch(`${baseUrl}/events`, { headers: { authorization: `Bearer ${token}` }, signal: abort.signal });
  expect(response.status).toBe(200);
  let markReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => (markReady = resolve));
  const ended = (async () => {
    try {
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        if (Buffer.from(chunk).toString('utf8').includes('event: ready')) markReady();
      }
      return 'ended';
    } catch {
      return 'closed by the client';
    }
  })();
  return { ready, ended, close: () => abort.abort() };
}
