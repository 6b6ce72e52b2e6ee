import { InboxAccess } from '../../src/application/access/inbox-access';
import type { QueryBus } from '@nestjs/cqrs';
import { NotFoundError } from '../../src/application/access/inbox-access';
import Fastify, { type FastifyInstance } from 'fastify';
import type { ChannelConnection, InboundMessage } from '../../src/application/ports/channel.port';
import type { EnqueueOptions, JobData, JobHandlerFn, JobQueue } from '../../src/application/ports/job-queue.port';
import { PermanentJobError } from '../../src/application/ports/job-queue.port';
import type { ReadStore } from '../../src/application/ports/read-store.port';
import { ConfigError, loadConfig } from '../../src/infrastructure/config/config';
import { SessionTokens } from '../../src/infrastructure/http/auth/session-tokens';
import { createLogger } from '../../src/infrastructure/logging/logger';
import { PermanentPluginError, type ChannelHostConnection, type ChannelPlugin, type OutboundMessage } from '../../src/plugins/channel-plugin';
import { PluginRegistry } from '../../src/plugins/registry/plugin-registry';
import { conformanceOutbound } from '../../src/plugins/testing';

const ICON = '<svg viewBox="0 0 1 1"></svg>';
const NO_CAPABILITIES = { reply: false, html: false, attachments: false, transcript: false, switchToEmail: false, forward: false, compose: false };

function testPlugin(overrides: Partial<ChannelPlugin> & { id: string }): ChannelPlugin {
  return { displayName: overrides.id, icon: ICON, channel: overrides.id, capabilities: NO_CAPABILITIES, connect() {}, ...overrides };
}

class FakeQueue {
  readonly handlers = new Map<string, JobHandlerFn>();
  readonly enqueued: { type: string; data: JobData; options?: EnqueueOptions }[] = [];
  register(type: string, handler: JobHandlerFn) {
    this.handlers.set(type, handler);
  }
  async enqueue(type: string, data: JobData, options?: EnqueueOptions) {
    this.enqueued.push({ type, data, options });
    return { jobId: options?.jobId ?? 'generated', duplicate: false };
  }
}

const TOKENS = new SessionTokens('registry-test-secret-0123456789abcdef', 3600);

describe('PluginRegistry (the host side)', () => {
  let http: FastifyInstance;
  let queue: FakeQueue;
  let ingested: InboundMessage[];
  let registry: PluginRegistry;

  const ingest: ChannelConnection = {
    async ingest(message) {
      ingested.push(message);
      if (message.externalMessageId === 'unknown-inbox') throw new NotFoundError('inbox x not found');
      return { conversationId: 'c-1', messageId: 'm-1', duplicate: false };
    },
  };
  // The session check resolves agents through the query bus; one known agent.
  const queryBus = {
    execute: async () => ({
      agent: { id: 'a-1', name: 'Ada', email: 'ada@example.com', role: 'admin' },
      credentialFingerprint: 'cf',
      sessionEnded: false,
      preferences: { language: null, timeZone: null },
    }),
  } as unknown as QueryBus;

  beforeEach(() => {
    http = Fastify();
    queue = new FakeQueue();
    ingested = [];
    registry = newRegistry();
  });
  afterEach(() => http.close());

  const readStore = {
    getInboxByEmailAddress: async (address: string) => (address === 'sales@acme.test' ? { id: 'inbox-sales' } : null),
  } as unknown as ReadStore;
  const newRegistry = () =>
    new PluginRegistry(ingest, queue as unknown as JobQueue, TOKENS, queryBus, readStore, { now: () => new Date() }, new InboxAccess(readStore));
  const config = (plugins: string[] = []) => ({ ...loadConfig({}), plugins });
  const connect = (builtIns: ChannelPlugin[], env: NodeJS.ProcessEnv = {}) =>
    registry.connectAll({ config: config(), env, logger: createLogger({ level: 'silent' }), http, builtIns: builtIns.map((p) => () => p) });

  describe('start-up checks', () => {
    it('refuses two plugins with one id, or two plugins feeding one channel', async () => {
      await expect(connect([testPlugin({ id: 'a' }), testPlugin({ id: 'a' })])).rejects.toThrow(/two channel plugins have the id "a"/);
      registry = newRegistry();
      await expect(connect([testPlugin({ id: 'a', channel: 'chat' }), testPlugin({ id: 'b', channel: 'chat' })])).rejects.toThrow(
        /both feed the channel "chat"/,
      );
    });

    it('stops the start with a ConfigError naming the plugin whose connect throws', async () => {
      const failing = connect([testPlugin({ id: 'smtp-ish', connect: (host) => void host.config.require('PORT') })]);
      await expect(failing).rejects.toBeInstanceOf(ConfigError);
      await expect(failing).rejects.toThrow(/"smtp-ish" could not connect.*PARLEY_PLUGIN_SMTP_ISH_PORT/);
    });

    it('names a package in PARLEY_PLUGINS that cannot be found', async () => {
      const failing = registry.connectAll({
        config: config(['parley-plugin-missing']),
        env: {},
        logger: createLogger({ level: 'silent' }),
        http,
        builtIns: [],
      });
      await expect(failing).rejects.toThrow(/"parley-plugin-missing" cannot be found/);
    });

    it("hands built-in factories Parley's configuration and the inbox lookup", async () => {
      let seen: { smtpPort: number; inbox: unknown } | undefined;
      await registry.connectAll({
        config: config(),
        env: {},
        logger: createLogger({ level: 'silent' }),
        http,
        builtIns: [
          (context) => {
            void context.inboxes.findByEmailAddress('sales@acme.test').then((inbox) => (seen = { smtpPort: context.config.smtpPort, inbox }));
            return testPlugin({ id: 'mail-ish' });
          },
        ],
      });
      await new Promise((resolve) => setImmediate(resolve));
      expect(seen).toEqual({ smtpPort: 2525, inbox: { id: 'inbox-sales' } });
    });

    it('reads settings from PARLEY_PLUGIN_<ID>_<KEY> and accepts declarations only during connect', async () => {
      let host: ChannelHostConnection | undefined;
      await connect([testPlugin({ id: 'my-chat', connect: (h) => void (host = h) })], {
        PARLEY_PLUGIN_MY_CHAT_TOKEN: 't0k3n',
        PARLEY_PLUGIN_MY_CHAT_EMPTY: '',
      });
      expect(host!.config.get('TOKEN')).toBe('t0k3n');
      expect(host!.config.get('EMPTY')).toBeUndefined();
      expect(() => host!.routes.post('late', () => ({ status: 200 }))).toThrow('only be declared in connect()');
    });
  });

  describe('routes', () => {
    const routes = testPlugin({
      id: 'hooks',
      connect(host) {
        host.routes.post(
          'events/:kind',
          (request) => ({
            status: 202,
            body: { kind: request.params.kind, body: request.body, raw: request.rawBody?.toString(), agent: request.agent?.id ?? null },
            headers: { 'x-hook': 'yes' },
          }),
          { public: true, rawBody: true },
        );
        host.routes.post('private', (request) => ({ status: 200, body: { agent: request.agent?.email, body: request.body } }));
        host.routes.get(
          'ingest-bad-inbox',
          async () => {
            await host.ingest({
              channel: 'hooks',
              externalThreadId: 't',
              externalMessageId: 'unknown-inbox',
              from: { address: 'x@example.org' },
              to: [],
              text: 'x',
            });
            return { status: 200 };
          },
          { public: true },
        );
        host.routes.get(
          'crash',
          () => {
            throw new Error('secret internals');
          },
          { public: true },
        );
      },
    });

    it('mounts public routes under /channels/<id>/ with params, headers, parsed JSON and the exact raw bytes', async () => {
      await connect([routes]);
      const res = await http.inject({
        method: 'POST',
        url: '/channels/hooks/events/paid',
        headers: { 'content-type': 'application/json' },
        payload: '{"a": 1}',
      });
      expect(res.statusCode).toBe(202);
      expect(res.headers['x-hook']).toBe('yes');
      expect(res.json()).toEqual({ kind: 'paid', body: { a: 1 }, raw: '{"a": 1}', agent: null });
    });

    it('takes any content type on a rawBody route, and parses form posts', async () => {
      await connect([routes]);
      const text = await http.inject({ method: 'POST', url: '/channels/hooks/events/x', headers: { 'content-type': 'text/plain' }, payload: 'hello' });
      expect(text.json()).toMatchObject({ raw: 'hello' });
      const form = await http.inject({
        method: 'POST',
        url: '/channels/hooks/events/x',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: 'a=1&b=2&b=3',
      });
      expect(form.json()).toMatchObject({ body: { a: '1', b: ['2', '3'] } });
    });

    it('answers 401 on /api/channels/<id>/ routes without a session, before the body is read, and hands the agent with one', async () => {
      await connect([routes]);
      const anonymous = await http.inject({
        method: 'POST',
        url: '/api/channels/hooks/private',
        headers: { 'content-type': 'application/json' },
        payload: '{}',
      });
      expect(anonymous.statusCode).toBe(401);
      expect(anonymous.json()).toMatchObject({ statusCode: 401, error: 'Unauthorized' });
      const { token } = TOKENS.issue('a-1', 'cf');
      const signedIn = await http.inject({
        method: 'POST',
        url: '/api/channels/hooks/private',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        payload: '{"x":1}',
      });
      expect(signedIn.json()).toEqual({ agent: 'ada@example.com', body: { x: 1 } });
      const wrongType = await http.inject({
        method: 'POST',
        url: '/api/channels/hooks/private',
        headers: { 'content-type': 'text/plain', authorization: `Bearer ${token}` },
        payload: 'x',
      });
      expect(wrongType.statusCode).toBe(415);
      const badJson = await http.inject({
        method: 'POST',
        url: '/api/channels/hooks/private',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        payload: '{"x":',
      });
      expect(badJson.statusCode).toBe(400);
    });

    it('answers an ingest refusal with its status, and any other error with a 500 that reveals nothing', async () => {
      await connect([routes]);
      expect((await http.inject({ method: 'GET', url: '/channels/hooks/ingest-bad-inbox' })).statusCode).toBe(404);
      const crash = await http.inject({ method: 'GET', url: '/channels/hooks/crash' });
      expect(crash.statusCode).toBe(500);
      expect(crash.body).not.toContain('secret internals');
    });
  });

  describe('listeners and shutdown', () => {
    it('starts listeners in order, stops them in reverse, then disconnects', async () => {
      const steps: string[] = [];
      const listening = (id: string) =>
        testPlugin({
          id,
          connect: (host) => host.listen({ name: `${id}-server`, start: () => void steps.push(`start ${id}`), stop: () => void steps.push(`stop ${id}`) }),
          disconnect: () => void steps.push(`disconnect ${id}`),
        });
      await connect([listening('one'), listening('two')]);
      await registry.startListeners();
      await registry.stopListeners();
      await registry.disconnectAll();
      await registry.disconnectAll();
      expect(steps).toEqual(['start one', 'start two', 'stop two', 'stop one', 'disconnect two', 'disconnect one']);
    });

    it('names the plugin and listener that could not start', async () => {
      await connect([
        testPlugin({ id: 'smtp', connect: (host) => host.listen({ name: 'smtp-server', start: () => Promise.reject(new Error('EADDRINUSE')), stop() {} }) }),
      ]);
      await expect(registry.startListeners()).rejects.toThrow('channel plugin "smtp": listener "smtp-server" could not start: EADDRINUSE');
    });
  });

  describe('jobs', () => {
    it('namespaces job types and ids per plugin, and turns a permanent error into PermanentJobError', async () => {
      let host: ChannelHostConnection | undefined;
      const seen: unknown[] = [];
      await connect([
        testPlugin({
          id: 'poller',
          connect(h) {
            host = h;
            h.jobs.register('poll', async (data, job) => {
              seen.push([data, job.jobId]);
              if (data.fail) throw new PermanentPluginError('account closed');
            });
          },
        }),
      ]);
      await host!.jobs.schedule('poll', { page: 1 }, { jobId: 'page-1', delayMs: 1000 });
      expect(queue.enqueued).toEqual([{ type: 'plugin.poller.poll', data: { page: 1 }, options: { jobId: 'plugin.poller.page-1', delayMs: 1000 } }]);
      const handler = queue.handlers.get('plugin.poller.poll')!;
      await handler({ page: 1 }, { jobId: 'plugin.poller.page-1', type: 'plugin.poller.poll', attempt: 1, attempts: 3 });
      expect(seen).toEqual([[{ page: 1 }, 'page-1']]);
      await expect(handler({ fail: true }, { jobId: 'x', type: 'plugin.poller.poll', attempt: 1, attempts: 3 })).rejects.toBeInstanceOf(PermanentJobError);
    });
  });

  describe('delivery (the ChannelDelivery port)', () => {
    const outbound = (channel: string): OutboundMessage => ({ ...conformanceOutbound(testPlugin({ id: channel })), html: '<p>hi</p>' });

    it('sends through the plugin of the message channel, without html when it has no html capability', async () => {
      const sent: OutboundMessage[] = [];
      await connect([
        testPlugin({
          id: 'texty',
          capabilities: { ...NO_CAPABILITIES, reply: true },
          send: async (m) => (sent.push(m), { status: 'delivered', externalMessageId: 'ext-1' }),
        }),
      ]);
      expect(await registry.send(outbound('texty'))).toEqual({ status: 'delivered', externalMessageId: 'ext-1' });
      expect(sent[0].html).toBeUndefined();
    });

    it('fails permanently when no plugin sends on the channel, or the plugin cannot reply', async () => {
      await connect([testPlugin({ id: 'inbound-only' })]);
      expect(await registry.send(outbound('nowhere'))).toEqual({
        status: 'failed',
        retryable: false,
        reason: expect.stringContaining('no channel plugin sends "nowhere"'),
      });
      expect(await registry.send(outbound('inbound-only'))).toEqual({
        status: 'failed',
        retryable: false,
        reason: expect.stringContaining('cannot send replies'),
      });
    });

    it('counts a send that throws as retryable, and an answer that is not a DeliveryResult as permanent', async () => {
      let answer: () => Promise<unknown> = async () => {
        throw new Error('socket hang up');
      };
      await connect([testPlugin({ id: 'flaky', capabilities: { ...NO_CAPABILITIES, reply: true }, send: () => answer() as never })]);
      expect(await registry.send(outbound('flaky'))).toEqual({ status: 'failed', retryable: true, reason: 'socket hang up' });
      answer = async () => ({ status: 'ok' });
      expect(await registry.send(outbound('flaky'))).toEqual({ status: 'failed', retryable: false, reason: expect.stringContaining('invalid answer') });
    });
  });
});
