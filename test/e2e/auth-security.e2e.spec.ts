import crypto from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ADMIN, startTestApp, type TestApp } from '../support/app-harness';
import { HASHING_CONCURRENCY } from '../../src/application/agents/password-hasher';

/**
 * The authentication findings of a security test of the running server: the first-run setup
 * race, the login throttle under concurrency, logins starving mail, sessions that outlived a
 * logout, the web "add teammate" form, tokens with extra segments and the agent directory.
 */

const WEB_ORIGIN = { host: 'parley.test', origin: 'http://parley.test' };

interface Answer {
  status: number;
  body: any;
  headers: Record<string, string | string[] | number | undefined>;
}

async function send(
  t: TestApp,
  method: string,
  url: string,
  options: { json?: unknown; form?: Record<string, string>; token?: string; cookie?: string; client?: string; headers?: Record<string, string> } = {},
): Promise<Answer> {
  const headers: Record<string, string> = { ...(options.headers ?? {}) };
  let payload: string | undefined;
  if (options.json !== undefined) {
    headers['content-type'] = 'application/json';
    payload = JSON.stringify(options.json);
  } else if (options.form) {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    Object.assign(headers, WEB_ORIGIN);
    payload = new URLSearchParams(options.form).toString();
  }
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  if (options.cookie) headers.cookie = `parley_session=${options.cookie}`;
  const res = await t.app.inject({ method: method as 'GET', url, headers, payload, remoteAddress: options.client ?? '127.0.0.1' });
  let body: unknown = res.body;
  try {
    body = res.body ? JSON.parse(res.body) : undefined;
  } catch {
    /* HTML or empty */
  }
  return { status: res.statusCode, body, headers: res.headers };
}

const count = (answers: Answer[], status: number) => answers.filter((a) => a.status === status).length;
const NO_ENV_ADMIN = { PARLEY_ADMIN_EMAIL: '', PARLEY_ADMIN_PASSWORD: '' };

describe('auth security', () => {
  describe('first-run setup is decided once, in the event store', () => {
    it('20 concurrent setups over the API and the web page: exactly one admin, every other answer 409', async () => {
      const t = await startTestApp({ env: NO_ENV_ADMIN });
      try {
        const answers = await Promise.all(
          Array.from({ length: 20 }, (_, i) => {
            const who = { name: `Boss ${i}`, email: `boss${i}@example.com`, password: `password-${i}-long` };
            return i % 2 === 0 ? send(t, 'POST', '/api/setup', { json: who }) : send(t, 'POST', '/setup', { form: { ...who, confirm: who.password } });
          }),
        );
        const won = answers.filter((a) => a.status === 201 || (a.status === 303 && a.headers.location === '/inbox'));
        expect(won).toHaveLength(1);
        expect(answers.filter((a) => !won.includes(a)).map((a) => a.status)).toEqual(Array(19).fill(409));
        const winner = answers.indexOf(won[0]);
        const token = await t.login(`boss${winner}@example.com`, `password-${winner}-long`);
        const { agents } = (await send(t, 'GET', '/api/agents', { token })).body;
        expect(agents.map((a: { email: string; role: string }) => [a.email, a.role])).toEqual([[`boss${winner}@example.com`, 'admin']]);
      } finally {
        await t.close();
      }
    });

    it('two instances on one data folder: one setup succeeds, the other is refused', async () => {
      const dataDir = mkdtempSync(join(tmpdir(), 'parley-setup-race-'));
      const first = await startTestApp({ env: NO_ENV_ADMIN, dataDir });
      const second = await startTestApp({ env: NO_ENV_ADMIN, dataDir });
      try {
        const answers = await Promise.all(
          Array.from({ length: 20 }, (_, i) =>
            send(i % 2 === 0 ? first : second, 'POST', '/api/setup', {
              json: { name: `Twin ${i}`, email: `twin${i}@example.com`, password: 'password-twins' },
            }),
          ),
        );
        expect(count(answers, 201)).toBe(1);
        expect(count(answers, 409)).toBe(19);
      } finally {
        await second.close();
        await first.close();
        rmSync(dataDir, { recursive: true, force: true });
      }
    });
  });

  describe('login throttle', () => {
    let t: TestApp;
    let adminToken: string;
    beforeAll(async () => {
      t = await startTestApp();
      adminToken = await t.login();
    });
    afterAll(() => t.close());

    const newAgent = async (role: 'agent' | 'admin' = 'agent') => {
      const email = `agent${Date.now()}${Math.floor(Math.random() * 1e6)}@example.com`;
      const password = 'correct-horse-1';
      const res = await send(t, 'POST', '/api/agents', { token: adminToken, json: { name: 'Target Agent', email, password, role } });
      expect(res.status).toBe(201);
      return { id: res.body.id as string, email, password };
    };
    const login = (email: string, password: string, client = '10.0.0.1') => send(t, 'POST', '/api/auth/login', { json: { email, password }, client });

    it('40 parallel wrong passwords for one email from one client: at most 10 are checked, the rest get 429', async () => {
      const { email } = await newAgent();
      const answers = await Promise.all(Array.from({ length: 40 }, (_, i) => login(email, `wrong-guess-${i}`)));
      expect(count(answers, 401)).toBe(10);
      expect(count(answers, 429)).toBe(30);
      for (const blocked of answers.filter((a) => a.status === 429)) expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
    });

    it('a correct password hidden among 30 parallel guesses is checked only if it is among the first 10', async () => {
      const { email, password } = await newAgent();
      const answers = await Promise.all(Array.from({ length: 30 }, (_, i) => login(email, i === 29 ? password : `wrong-guess-${i}`)));
      expect(count(answers, 401) + count(answers, 200)).toBe(10);
      expect(count(answers, 429)).toBe(20);
    });

    it("an attacker's failures from one client do not lock the agent out on another client", async () => {
      const { email, password } = await newAgent();
      for (let i = 0; i < 12; i += 1) await login(email, `wrong-guess-${i}`, '10.6.6.6');
      expect((await login(email, password, '10.6.6.6')).status).toBe(429);
      expect((await login(email, password, '10.1.2.3')).status).toBe(200);
    });

    it('strangers on ten clients cannot lock the agent out of the browser they logged in with before', async () => {
      const { email, password } = await newAgent();
      const first = await login(email, password, '10.7.0.1');
      expect(first.status).toBe(200);
      const setCookies = ([] as string[]).concat((first.headers['set-cookie'] as string | string[] | undefined) ?? []);
      const device = setCookies.find((c) => c.startsWith('parley_device='))?.split(';')[0];
      expect(device).toMatch(/^parley_device=d1\./);
      for (let client = 0; client < 10; client += 1) {
        await Promise.all(Array.from({ length: 10 }, (_, i) => login(email, `wrong-guess-${i}`, `10.66.${client}.1`)));
      }
      // A browser the agent never used is held back by the per-email limit…
      expect((await login(email, password, '10.7.0.2')).status).toBe(429);
      // …the known one is not, even from another address.
      const known = await send(t, 'POST', '/api/auth/login', { json: { email, password }, client: '10.7.0.3', headers: { cookie: device! } });
      expect(known.status).toBe(200);
    });
  });

  describe("the current password, asked when changing one's own", () => {
    let t: TestApp;
    let adminToken: string;
    beforeAll(async () => {
      t = await startTestApp();
      adminToken = await t.login();
    });
    afterAll(() => t.close());

    it('cannot be guessed at hashing speed with a stolen session: 5 wrong tries, then 429, also for the right one', async () => {
      const email = `self${Date.now()}@example.com`;
      const created = await send(t, 'POST', '/api/agents', { token: adminToken, json: { name: 'Self', email, password: 'correct-horse-1', role: 'agent' } });
      const token = await t.login(email, 'correct-horse-1');
      const change = (currentPassword: string) =>
        send(t, 'PATCH', `/api/agents/${created.body.id}`, { token, json: { password: 'a-new-password-2', currentPassword } });
      const guesses = await Promise.all(Array.from({ length: 12 }, (_, i) => change(`guess-${i}`)));
      expect(count(guesses, 403)).toBe(5);
      expect(count(guesses, 429)).toBe(7);
      const right = await change('correct-horse-1');
      expect(right.status).toBe(429);
      expect(Number(right.headers['retry-after'])).toBeGreaterThan(0);
    });
  });

  describe('password hashing is bounded, so a login flood cannot starve mail', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await startTestApp();
    });
    afterAll(() => t.close());

    it('300 bogus logins from distinct clients: never more than the bound hash at once, health and SMTP answer meanwhile', async () => {
      let running = 0;
      let peak = 0;
      const realScrypt = crypto.scrypt;
      const spy = jest.spyOn(crypto, 'scrypt').mockImplementation(((...args: unknown[]) => {
        const callback = args.pop() as (error: Error | null, key: Buffer) => void;
        running += 1;
        peak = Math.max(peak, running);
        (realScrypt as (...a: unknown[]) => void)(...args, (error: Error | null, key: Buffer) => {
          running -= 1;
          callback(error, key);
        });
      }) as never);
      try {
        let settled = 0;
        const flood = Array.from({ length: 300 }, (_, i) =>
          send(t, 'POST', '/api/auth/login', {
            json: { email: `nobody${i}@example.com`, password: 'not-a-password' },
            client: `10.50.${i >> 8}.${i & 255}`,
          }).then((a) => {
            settled += 1;
            return a;
          }),
        );
        const health = await send(t, 'GET', '/health');
        const greeting = await smtpGreeting(t.smtpPort);
        const settledMeanwhile = settled;
        const answers = await Promise.all(flood);

        expect(health.status).toBe(200);
        expect(greeting).toMatch(/^220 /);
        expect(settledMeanwhile).toBeLessThan(answers.length);
        expect(peak).toBeLessThanOrEqual(HASHING_CONCURRENCY);
        expect(count(answers, 401) + count(answers, 429)).toBe(300);
        for (const busy of answers.filter((a) => a.status === 429)) expect(Number(busy.headers['retry-after'])).toBeGreaterThan(0);
      } finally {
        spy.mockRestore();
      }
      // The queue drained: a real login goes through.
      expect((await send(t, 'POST', '/api/auth/login', { json: ADMIN })).status).toBe(200);
    });
  });

  describe('sessions end on logout and password change, everywhere', () => {
    let t: TestApp;
    let adminToken: string;
    let baseUrl: string;
    beforeAll(async () => {
      t = await startTestApp();
      adminToken = await t.login();
      await t.app.listen({ port: 0, host: '127.0.0.1' });
      baseUrl = `http://127.0.0.1:${(t.app.getHttpServer().address() as AddressInfo).port}`;
    });
    afterAll(() => t.close());

    const newAgent = async () => {
      const email = `session${Date.now()}${Math.floor(Math.random() * 1e6)}@example.com`;
      const password = 'session-password-1';
      const res = await send(t, 'POST', '/api/agents', { token: adminToken, json: { name: 'Sam Session', email, password, role: 'agent' } });
      expect(res.status).toBe(201);
      return { id: res.body.id as string, email, password };
    };

    it('after logout the token works neither as bearer nor as cookie', async () => {
      const { email, password } = await newAgent();
      const token = await t.login(email, password);
      const other = await t.login(email, password);
      expect((await send(t, 'GET', '/api/me', { token })).status).toBe(200);
      expect((await send(t, 'POST', '/api/auth/logout', { token })).status).toBe(204);
      expect((await send(t, 'GET', '/api/me', { token })).status).toBe(401);
      expect((await send(t, 'GET', '/api/me', { cookie: token })).status).toBe(401);
      // Another session of the same agent (another device) goes on.
      expect((await send(t, 'GET', '/api/me', { token: other })).status).toBe(200);
    });

    it('the web logout ends the cookie session', async () => {
      const { email, password } = await newAgent();
      const token = await t.login(email, password);
      expect((await send(t, 'GET', '/api/me', { cookie: token })).status).toBe(200);
      const out = await send(t, 'POST', '/logout', { cookie: token, form: {} });
      expect(out.status).toBe(303);
      expect((await send(t, 'GET', '/api/me', { cookie: token })).status).toBe(401);
      expect((await send(t, 'GET', '/api/me', { token })).status).toBe(401);
    });

    it('a live-event stream ends when its session logs out', async () => {
      const { email, password } = await newAgent();
      const token = await t.login(email, password);
      const stream = await openStream(baseUrl, token);
      await stream.ready;
      expect((await send(t, 'POST', '/api/auth/logout', { token })).status).toBe(204);
      await expect(stream.ended).resolves.toBe('ended');
    });

    it('a live-event stream ends when the password changes', async () => {
      const { id, email, password } = await newAgent();
      const token = await t.login(email, password);
      const stream = await openStream(baseUrl, token);
      await stream.ready;
      const changed = await send(t, 'PATCH', `/api/agents/${id}`, { token, json: { password: 'a-new-password-2', currentPassword: password } });
      expect(changed.status).toBe(200);
      await expect(stream.ended).resolves.toBe('ended');
      expect((await send(t, 'GET', '/api/me', { token })).status).toBe(401);
    });

    it('refuses tokens with extra segments', async () => {
      expect((await send(t, 'GET', '/api/me', { token: adminToken })).status).toBe(200);
      expect((await send(t, 'GET', '/api/me', { token: `${adminToken}.extra` })).status).toBe(401);
      expect((await send(t, 'GET', '/api/me', { cookie: `${adminToken}.extra` })).status).toBe(401);
    });
  });

  describe('sessions across two instances on one data folder', () => {
    it('a logout on one instance ends the session, and its event stream, on the other', async () => {
      const dataDir = mkdtempSync(join(tmpdir(), 'parley-two-instances-'));
      const first = await startTestApp({ dataDir });
      const second = await startTestApp({ dataDir });
      try {
        await second.app.listen({ port: 0, host: '127.0.0.1' });
        const secondUrl = `http://127.0.0.1:${(second.app.getHttpServer().address() as AddressInfo).port}`;
        const token = await first.login();
        expect((await send(second, 'GET', '/api/me', { token })).status).toBe(200);
        const stream = await openStream(secondUrl, token);
        await stream.ready;
        expect((await send(first, 'POST', '/api/auth/logout', { token })).status).toBe(204);
        expect((await send(second, 'GET', '/api/me', { token })).status).toBe(401);
        await expect(stream.ended).resolves.toBe('ended');
      } finally {
        await second.close();
        await first.close();
        rmSync(dataDir, { recursive: true, force: true });
      }
    });
  });

  describe('the web "add teammate" form', () => {
    let t: TestApp;
    let adminToken: string;
    beforeAll(async () => {
      t = await startTestApp();
      adminToken = await t.login();
    });
    afterAll(() => t.close());

    it('grants only the inbox it was added from', async () => {
      const sales = (await send(t, 'POST', '/api/inboxes', { token: adminToken, json: { name: `Sales ${Date.now()}` } })).body;
      const added = await send(t, 'POST', `/settings/agents?inbox=${sales.id}`, {
        cookie: adminToken,
        form: { name: 'Sally Sales', email: 'sally@example.com', password: 'sally-password-1', role: 'agent' },
      });
      expect(added.status).toBe(303);
      const sally = await t.login('sally@example.com', 'sally-password-1');
      const { inboxes } = (await send(t, 'GET', '/api/inboxes', { token: sally })).body;
      expect(inboxes.map((i: { id: string }) => i.id)).toEqual([sales.id]);
    });

    it('refuses a password shorter than 8 characters, as the API does', async () => {
      const refused = await send(t, 'POST', '/settings/agents', {
        cookie: adminToken,
        form: { name: 'Shorty', email: 'shorty@example.com', password: 'x', role: 'agent' },
      });
      expect(refused.status).toBe(400);
      expect(String(refused.body)).toMatch(/password must be at least 8 characters/);
      expect((await send(t, 'POST', '/api/auth/login', { json: { email: 'shorty@example.com', password: 'x' } })).status).toBe(401);
      const api = await send(t, 'POST', '/api/agents', {
        token: adminToken,
        json: { name: 'Shorty', email: 'shorty@example.com', password: 'x', role: 'agent' },
      });
      expect(api.status).toBe(400);
      expect(JSON.stringify(api.body.message)).toMatch(/password.*at least 8 characters/);
    });
  });

  describe('the agent directory', () => {
    let t: TestApp;
    let adminToken: string;
    beforeAll(async () => {
      t = await startTestApp();
      adminToken = await t.login();
    });
    afterAll(() => t.close());

    it('shows agents what assigning and mentions need, and admins what administering needs', async () => {
      const created = await send(t, 'POST', '/api/agents', {
        token: adminToken,
        json: { name: 'Nora Normal', email: 'nora@example.com', password: 'nora-password-1', role: 'agent' },
      });
      expect(created.status).toBe(201);
      const nora = await t.login('nora@example.com', 'nora-password-1');
      const seenByAgent = (await send(t, 'GET', '/api/agents', { token: nora })).body.agents;
      expect(seenByAgent).toHaveLength(2);
      for (const agent of seenByAgent) {
        expect(Object.keys(agent).sort()).toEqual(['availability', 'id', 'mention', 'name', 'online']);
      }
      expect(seenByAgent.find((a: { id: string }) => a.id === created.body.id)).toMatchObject({ name: 'Nora Normal', mention: 'nora.normal' });
      expect(JSON.stringify(seenByAgent)).not.toContain('@example.com');
      const seenByAdmin = (await send(t, 'GET', '/api/agents', { token: adminToken })).body.agents;
      expect(seenByAdmin.find((a: { id: string }) => a.id === created.body.id)).toMatchObject({
        email: 'nora@example.com',
        role: 'agent',
        availability: 'available',
      });
      // An agent still sees their own email and role.
      expect((await send(t, 'GET', '/api/me', { token: nora })).body).toMatchObject({ email: 'nora@example.com', role: 'agent' });
    });

    it('the comment box offers teammates to @mention by name and handle, without their addresses', async () => {
      const created = await send(t, 'POST', '/api/agents', {
        token: adminToken,
        json: { name: 'Pia Peer', email: 'pia.p@example.com', password: 'pia-password-1', role: 'agent' },
      });
      expect(created.status).toBe(201);
      const pia = await t.login('pia.p@example.com', 'pia-password-1');
      const message = await send(t, 'POST', '/api/channels/api/messages', {
        token: adminToken,
        json: { externalThreadId: 'mention-1', externalMessageId: 'mention-1', from: { address: 'customer@outside.test' }, subject: 'Hi', text: 'Hello' },
      });
      const page = await send(t, 'GET', `/inbox?conversation=${message.body.conversationId}`, { cookie: pia });
      expect(page.status).toBe(200);
      const mentionables = JSON.parse(
        /data-mentions="([^"]*)"/
          .exec(String(page.body))![1]
          .replace(/&quot;/g, '"')
          .replace(/&#x27;/g, "'")
          .replace(/&amp;/g, '&'),
      );
      expect(mentionables).toContainEqual({ name: 'Pia Peer', handle: 'pia.peer', local: 'pia.p' });
      expect(JSON.stringify(mentionables)).not.toContain('@');
    });

    it("the settings page shows an agent the team without other agents' addresses; an admin sees them", async () => {
      const created = await send(t, 'POST', '/api/agents', {
        token: adminToken,
        json: { name: 'Olle Other', email: 'olle@example.com', password: 'olle-password-1', role: 'agent' },
      });
      expect(created.status).toBe(201);
      const olle = await t.login('olle@example.com', 'olle-password-1');
      const seenByAgent = await send(t, 'GET', '/settings', { cookie: olle });
      expect(seenByAgent.status).toBe(200);
      expect(String(seenByAgent.body)).toContain('Olle Other');
      expect(String(seenByAgent.body)).not.toContain(ADMIN.email);
      const seenByAdmin = await send(t, 'GET', '/settings', { cookie: adminToken });
      expect(String(seenByAdmin.body)).toContain('olle@example.com');
    });
  });
});

/** The SMTP listener's greeting line. */
function smtpGreeting(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let data = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk) => {
      data += chunk;
      if (data.includes('\n')) {
        socket.end('QUIT\r\n');
        resolve(data.split('\n')[0]);
      }
    });
    socket.on('error', reject);
  });
}

/** Opens `GET /events` with a bearer token: `ready` once the stream is live, `ended` when the server ends it. */
async function openStream(baseUrl: string, token: string) {
  const abort = new AbortController();
  const response = await fetch(`${baseUrl}/events`, { headers: { authorization: `Bearer ${token}` }, signal: abort.signal });
  expect(response.status).toBe(200);
  let markReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => (markReady = resolve));
  const ended = (async () => {
    const timer = setTimeout(() => abort.abort(), 15_000);
    try {
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        if (Buffer.from(chunk).toString('utf8').includes('event: ready')) markReady();
      }
      return 'ended';
    } catch {
      return 'still open after 15 s';
    } finally {
      clearTimeout(timer);
    }
  })();
  return { ready, ended };
}
