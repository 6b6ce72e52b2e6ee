import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { ConnectionSettingsError, type ChannelPlugin, type DeliveryResult, type OutboundMessage, type PluginHttp } from '../channel-plugin';
import { CAPABILITY_NAMES, OPTIONAL_CAPABILITY_NAMES, pluginShapeProblems } from '../plugin-shape';
import { FakeHostConnection, type FakeConnectionInput, type FakeHostOptions } from './fake-host-connection';

/** One inbound message the scenario hands to the plugin the way the outside world would. */
export interface ConformanceInbound {
  externalThreadId: string;
  externalMessageId: string;
  from: { address: string; name: string };
  subject: string;
  text: string;
}

/**
 * How to drive one plugin from the outside: the kit knows the interface, the scenario knows the
 * plugin's wire format (its webhook's JSON and signature, its SMTP dialogue …).
 */
export interface ChannelPluginScenario {
  /** Settings the plugin reads through `connection.config` (keys like `OUTBOUND_URL`). A function is called for each test. */
  config?: Record<string, string> | (() => Record<string, string>);
  /**
   * What the plugin's `connection.http` sends through: the host's guard, configured as the test's
   * outside world needs (a local test server needs private targets allowed). Required when the
   * plugin calls out over HTTP.
   */
  http?: PluginHttp;
  /**
   * The plugin's connections to inboxes, for a plugin with `connectionSettings` (chat, Messenger …):
   * settings as the plugin's `validate` answered them. `deliverInbound` may use them.
   */
  connections?: FakeConnectionInput[];
  /** What `activity.agentsAvailable` answers (default true). */
  agentsAvailable?: FakeHostOptions['agentsAvailable'];
  /**
   * Delivers `message` to the plugin as the outside world does: a request to one of its routes
   * (`host.request('POST', '/channels/<id>/…', …)`) or a connection to its listener (listeners
   * are started before each test). Called twice with the same message to check idempotency, so
   * build the same delivery (same ids, same signature) from the same message.
   */
  deliverInbound(host: FakeHostConnection, message: ConformanceInbound): Promise<void>;
  /**
   * Required when the plugin declares `reply`: arranges the outside world (a local HTTP sink,
   * a fake SMTP relay …) so that the next `send` is accepted, fails in a way worth retrying
   * (5xx, network error) or fails for good (4xx, unknown recipient).
   */
  outbound?: {
    /**
     * The thread and contact a reply goes to, for a channel whose thread key names where it goes
     * (WhatsApp's `<phone number id>:<wa_id>`). Default: `conformance-thread` to visitor@example.org.
     */
    thread?: { externalThreadId: string; to: { address: string; name?: string } };
    succeed(): void | Promise<void>;
    failRetryably(): void | Promise<void>;
    failPermanently(): void | Promise<void>;
  };
  beforeAll?(): void | Promise<void>;
  afterAll?(): void | Promise<void>;
}

export interface ChannelPluginConformanceOptions {
  /** A fresh plugin for each test (a package's factory, `() => createChannelPlugin()`). */
  createPlugin: () => ChannelPlugin | Promise<ChannelPlugin>;
  scenario: ChannelPluginScenario;
}

let sequence = 0;
/** A unique inbound message; `overrides` keep the thread, say. */
export function conformanceInbound(overrides: Partial<ConformanceInbound> = {}): ConformanceInbound {
  sequence += 1;
  const unique = `${Date.now().toString(36)}-${sequence}-${Math.random().toString(36).slice(2, 8)}`;
  return {
    externalThreadId: `conformance-thread-${unique}`,
    externalMessageId: `conformance-message-${unique}`,
    from: { address: `visitor-${sequence}@example.org`, name: `Visitor ${sequence}` },
    subject: `Conformance ${sequence}`,
    text: `Hello from the conformance kit (${unique})`,
    ...overrides,
  };
}

/** A reply as the delivery job hands it to `send`. */
export function conformanceOutbound(plugin: ChannelPlugin, overrides: Partial<OutboundMessage> = {}): OutboundMessage {
  sequence += 1;
  return {
    conversationId: '00000000-0000-4000-8000-00000000c0de',
    messageId: `00000000-0000-4000-8000-${String(sequence).padStart(12, '0')}`,
    channel: plugin.channel,
    conversationChannel: plugin.channel,
    to: [{ address: 'visitor@example.org', name: 'Visitor' }],
    from: { address: 'support@example.com', name: 'Support' },
    subject: 'Re: Conformance',
    text: 'Thanks for writing; here is our answer.',
    ...(plugin.capabilities.html ? { html: '<p>Thanks for writing; here is our answer.</p>' } : {}),
    thread: { externalThreadId: 'conformance-thread', externalMessageIds: ['conformance-message-1'] },
    kind: 'reply',
    ...overrides,
  };
}

/**
 * The plugin contract suite (CONTRIBUTING.md "Plugins"): every channel plugin, built in or third party,
 * runs all of it against a FakeHostConnection. Call it at the top level of a jest test file:
 *
 *   channelPluginConformance('signed webhook', { createPlugin: () => createChannelPlugin(), scenario });
 *
 * It checks that the plugin declares a valid shape and capabilities it honours, uses nothing
 * outside the connection, ingests a redelivered message once, classifies send failures, and
 * connects and disconnects cleanly.
 */
export function channelPluginConformance(name: string, { createPlugin, scenario }: ChannelPluginConformanceOptions): void {
  describe(`channel plugin conformance: ${name}`, () => {
    let plugin: ChannelPlugin;
    let host: FakeHostConnection;
    let disconnected: boolean;
    const hostOptions = (): FakeHostOptions => ({
      http: scenario.http,
      ...(scenario.connections ? { connections: scenario.connections } : {}),
      ...(scenario.agentsAvailable === undefined ? {} : { agentsAvailable: scenario.agentsAvailable }),
    });

    if (scenario.beforeAll) beforeAll(() => scenario.beforeAll!());
    if (scenario.afterAll) afterAll(() => scenario.afterAll!());

    beforeEach(async () => {
      plugin = await createPlugin();
      const config = typeof scenario.config === 'function' ? scenario.config() : (scenario.config ?? {});
      host = new FakeHostConnection({ id: String(plugin.id), channel: String(plugin.channel) }, config, hostOptions());
      await plugin.connect(host.connection);
      host.endConnect();
      await host.startListeners();
      disconnected = false;
    });

    afterEach(async () => {
      // Guarded: when beforeEach failed, its error is the one worth reading.
      await host?.stopListeners();
      if (!disconnected) await plugin?.disconnect?.();
    });

    describe('declaration', () => {
      it('has a valid id, display name, inline SVG icon, channel and every capability as true or false', () => {
        expect(pluginShapeProblems(plugin)).toEqual([]);
        const required = Object.keys(plugin.capabilities).filter((name) => !(OPTIONAL_CAPABILITY_NAMES as readonly string[]).includes(name));
        expect(required.sort()).toEqual([...CAPABILITY_NAMES].sort());
      });

      it('has send exactly when it declares the reply capability', () => {
        expect(typeof plugin.send === 'function').toBe(plugin.capabilities.reply);
      });

      it('gives the scenario a way to make send succeed and fail when it declares reply', () => {
        expect(Boolean(scenario.outbound)).toBe(plugin.capabilities.reply);
      });

      it('checks connection settings itself when it has connections: garbage is a ConnectionSettingsError naming the field, never a crash', async () => {
        const spec = plugin.connectionSettings;
        if (!spec) return expect(plugin.connectionSettings).toBeUndefined();
        expect(Array.isArray(spec.secrets) && spec.secrets.every((key) => typeof key === 'string')).toBe(true);
        const garbage: Record<string, unknown>[] = [
          { unexpected: true },
          Object.fromEntries(['allowedOrigins', 'name', 'secret', ...spec.secrets].map((key) => [key, { nested: [42] }])),
          Object.fromEntries(['allowedOrigins', 'name', 'secret', ...spec.secrets].map((key) => [key, 'x'.repeat(100_000)])),
        ];
        const crashes: string[] = [];
        for (const settings of garbage) {
          try {
            const stored = await spec.validate(structuredClone(settings), { inboxId: '00000000-0000-4000-8000-0000000000a1' });
            if (typeof stored !== 'object' || stored === null || Array.isArray(stored))
              crashes.push(`validate answered ${JSON.stringify(stored)}, not settings`);
          } catch (error) {
            if (!(error instanceof ConnectionSettingsError) || typeof error.field !== 'string' || error.field === '') {
              crashes.push(`validate threw ${(error as Error)?.name}: ${(error as Error)?.message} (not a ConnectionSettingsError naming the field)`);
            }
          }
        }
        expect(crashes).toEqual([]);
      });

      it("gives an embed snippet of its scenario's connections as an HTML string, when it offers one", async () => {
        const embed = plugin.connectionSettings?.embedSnippet;
        if (!embed) return expect(embed).toBeUndefined();
        const [connection] = await host.connection.connections.list();
        if (!connection) return expect(scenario.connections ?? []).toEqual([]);
        const snippet = embed.call(plugin.connectionSettings, connection, { publicUrl: 'https://parley.example' });
        expect(snippet).toEqual(expect.stringMatching(/^\s*</));
        expect(snippet).toContain('https://parley.example');
      });
    });

    describe('connection', () => {
      it('connects using only the plugin interface and declares something to receive messages through', () => {
        expect(host.problems).toEqual([]);
        expect(host.routes.length + host.listeners.length).toBeGreaterThan(0);
      });

      it('mounts its routes under /channels/<id>/ (public) or /api/channels/<id>/ (authenticated), its pages under /<id>/', () => {
        for (const route of host.routes) {
          if (route.page) expect(route.url).toBe(`/${plugin.id}/${route.path}`);
          else expect(route.url).toBe(`${route.public ? '' : '/api'}/channels/${plugin.id}/${route.path}`);
        }
        expect(host.routes.filter((route) => route.page && route.method !== 'GET')).toEqual([]);
      });

      it('refuses garbage on every POST route with a 4xx, never a 5xx, and ingests nothing', async () => {
        const not4xx: string[] = [];
        for (const route of host.routes.filter((r) => r.method === 'POST')) {
          const url = route.url.replace(/:[A-Za-z][A-Za-z0-9_]*/g, 'x');
          for (const rawBody of ['{"unexpected": true}', '[]', '"text"', '{}']) {
            const response = await host.request('POST', url, { rawBody, headers: { 'content-type': 'application/json' } });
            if (response.status < 400 || response.status >= 500) not4xx.push(`POST ${url} ${rawBody} -> ${response.status}`);
          }
        }
        expect(not4xx).toEqual([]);
        expect(host.stored).toEqual([]);
        expect(host.problems).toEqual([]);
      });

      it('disconnects cleanly, and a second plugin connects afterwards', async () => {
        await host.stopListeners();
        await plugin.disconnect?.();
        disconnected = true;
        const again = await createPlugin();
        const config = typeof scenario.config === 'function' ? scenario.config() : (scenario.config ?? {});
        const second = new FakeHostConnection({ id: String(again.id), channel: String(again.channel) }, config, hostOptions());
        await again.connect(second.connection);
        second.endConnect();
        await second.startListeners();
        await second.stopListeners();
        await again.disconnect?.();
        expect(second.problems).toEqual([]);
      });
    });

    describe('inbound', () => {
      it('ingests a message on its own channel with the text and sender it was given', async () => {
        const message = conformanceInbound();
        await scenario.deliverInbound(host, message);
        expect(host.problems).toEqual([]);
        expect(host.stored).toHaveLength(1);
        const [stored] = host.stored;
        expect(stored.channel).toBe(plugin.channel);
        expect(stored.text).toContain(message.text);
        expect(stored.from.address.toLowerCase()).toBe(message.from.address.toLowerCase());
      });

      it('stores a message delivered twice only once (the same externalMessageId both times)', async () => {
        const message = conformanceInbound();
        await scenario.deliverInbound(host, message);
        await scenario.deliverInbound(host, message);
        expect(host.problems).toEqual([]);
        expect(host.stored).toHaveLength(1);
        const ids = new Set(host.ingestCalls.map((call) => call.message.externalMessageId));
        expect(ids.size).toBe(1);
      });

      it('keeps two messages of one thread in one thread', async () => {
        const first = conformanceInbound();
        const second = conformanceInbound({ externalThreadId: first.externalThreadId });
        await scenario.deliverInbound(host, first);
        await scenario.deliverInbound(host, second);
        expect(host.stored).toHaveLength(2);
        expect(new Set(host.stored.map((m) => m.conversationId)).size).toBe(1);
        expect(host.problems).toEqual([]);
      });

      it('takes a conversation deleted forever, told twice (the host runs it at least once), without failing', async () => {
        await scenario.deliverInbound(host, conformanceInbound());
        const [stored] = host.stored;
        await host.deleteForever(stored.conversationId, { deliveries: 2 });
        expect(host.problems).toEqual([]);
        expect(
          await host.connection.conversations.canRead({ id: 'any-agent', name: 'Any', email: 'any@example.com', role: 'admin' }, stored.conversationId),
        ).toBe(false);
      });
    });

    describe('reply options', () => {
      const storedConversation = async () => {
        await scenario.deliverInbound(host, conformanceInbound());
        const [stored] = host.stored;
        const conversation = await host.connection.conversations.get(stored!.conversationId);
        expect(conversation).not.toBeNull();
        return conversation!;
      };

      it('answers a well-formed reply window for a conversation, now and two days on, when it declares replyWindow', async () => {
        if (!plugin.replyWindow) return expect(plugin.replyWindow).toBeUndefined();
        const conversation = await storedConversation();
        for (const now of [new Date(), new Date(Date.now() + 48 * 3600_000)]) {
          const window = await plugin.replyWindow(conversation, now);
          expect(replyWindowProblems(window)).toEqual([]);
        }
        expect(host.problems).toEqual([]);
      });

      it('answers a list of well-formed templates for a conversation when it declares the templates capability', async () => {
        if (!plugin.capabilities.templates) return expect(plugin.capabilities.templates ?? false).toBe(false);
        const conversation = await storedConversation();
        const templates = await plugin.templates!(conversation);
        expect(Array.isArray(templates)).toBe(true);
        expect(templates.flatMap((template, i) => templateProblems(template).map((p) => `templates[${i}]: ${p}`))).toEqual([]);
        expect(host.problems).toEqual([]);
      });

      it('names a path on Parley for an attachment when it declares attachmentUrl', () => {
        if (!plugin.attachmentUrl) return expect(plugin.attachmentUrl).toBeUndefined();
        const url = plugin.attachmentUrl('00000000-0000-4000-8000-0000000000c1', { id: 'a1', filename: 'scan 1.pdf', contentType: 'application/pdf', size: 3 });
        expect(url).toMatch(/^\/(?![/\\])\S+$/);
      });
    });

    describe('outbound', () => {
      const send = (outbound: OutboundMessage): Promise<DeliveryResult> => plugin.send!(outbound);
      const target = scenario.outbound?.thread;
      const conformanceReply = () =>
        conformanceOutbound(
          plugin,
          target ? { to: [target.to], thread: { externalThreadId: target.externalThreadId, externalMessageIds: ['conformance-message-1'] } } : {},
        );

      it('reports an accepted message as delivered', async () => {
        if (!plugin.capabilities.reply) return expect(plugin.send).toBeUndefined();
        await scenario.outbound!.succeed();
        const result = await send(conformanceReply());
        expect(result).toMatchObject({ status: 'delivered' });
        if (result.status === 'delivered' && result.externalMessageId !== undefined) expect(result.externalMessageId).toEqual(expect.any(String));
      });

      it('classifies a passing failure as retryable, with a reason, without throwing', async () => {
        if (!plugin.capabilities.reply) return expect(plugin.send).toBeUndefined();
        await scenario.outbound!.failRetryably();
        const result = await send(conformanceReply());
        expect(result).toEqual({ status: 'failed', retryable: true, reason: expect.stringMatching(/\S/) });
      });

      it('classifies a refusal as permanent, with a reason, without throwing', async () => {
        if (!plugin.capabilities.reply) return expect(plugin.send).toBeUndefined();
        await scenario.outbound!.failPermanently();
        const result = await send(conformanceReply());
        expect(result).toEqual({ status: 'failed', retryable: false, reason: expect.stringMatching(/\S/) });
      });

      it('sends a reply with Cc when it declares the cc capability', async () => {
        if (!plugin.capabilities.cc) return expect(plugin.capabilities.cc ?? false).toBe(false);
        if (!plugin.capabilities.reply) return expect(plugin.send).toBeUndefined();
        await scenario.outbound!.succeed();
        const result = await send({ ...conformanceReply(), cc: [{ address: 'colleague@example.org', name: 'Colleague' }] });
        expect(result).toMatchObject({ status: 'delivered' });
        expect(host.problems).toEqual([]);
      });

      it('sends text-only messages (no html) as well', async () => {
        if (!plugin.capabilities.reply) return expect(plugin.send).toBeUndefined();
        await scenario.outbound!.succeed();
        const { html: _html, ...textOnly } = conformanceReply();
        expect(await send(textOnly)).toMatchObject({ status: 'delivered' });
        expect(host.problems).toEqual([]);
      });
    });
  });
}

/** What is wrong with a ReplyWindow (ChannelPlugin.replyWindow's answer); [] when it is well-formed. */
export function replyWindowProblems(window: unknown): string[] {
  const w = window as Partial<{ open: unknown; closesAt: unknown; closedAt: unknown; reason: { en?: unknown } }> | null;
  if (typeof w !== 'object' || w === null) return [`a reply window is an object, got ${JSON.stringify(window)}`];
  const isTime = (value: unknown) => typeof value === 'string' && !Number.isNaN(Date.parse(value));
  if (w.open === true) return w.closesAt === null || isTime(w.closesAt) ? [] : [`closesAt must be an ISO time or null (got ${JSON.stringify(w.closesAt)})`];
  if (w.open !== false) return [`open must be true or false (got ${JSON.stringify(w.open)})`];
  const problems: string[] = [];
  if (!isTime(w.closedAt)) problems.push(`closedAt must be an ISO time (got ${JSON.stringify(w.closedAt)})`);
  if (typeof w.reason?.en !== 'string' || w.reason.en.trim() === '') problems.push('reason must say why in English at least: { en: "…" }');
  return problems;
}

/** What is wrong with a MessageTemplate (ChannelPlugin.templates' answer); [] when it is well-formed. */
export function templateProblems(template: unknown): string[] {
  const t = template as Partial<Record<'name' | 'language' | 'category' | 'body' | 'parameterCount', unknown>> | null;
  if (typeof t !== 'object' || t === null) return [`a template is an object, got ${JSON.stringify(template)}`];
  const problems: string[] = [];
  for (const key of ['name', 'language', 'category', 'body'] as const) {
    if (typeof t[key] !== 'string' || (t[key] as string).trim() === '') problems.push(`${key} must be a non-empty string (got ${JSON.stringify(t[key])})`);
  }
  if (!Number.isInteger(t.parameterCount) || (t.parameterCount as number) < 0) {
    problems.push(`parameterCount must be a whole number, 0 or more (got ${JSON.stringify(t.parameterCount)})`);
  } else if (typeof t.body === 'string') {
    const numbers = [...t.body.matchAll(/\{\{(\d+)\}\}/g)].map((m) => Number(m[1]));
    const highest = numbers.length === 0 ? 0 : Math.max(...numbers);
    if (highest !== t.parameterCount) problems.push(`parameterCount is ${t.parameterCount as number} but the body's parameters go up to {{${highest}}}`);
  }
  return problems;
}
