import type { QueryBus } from '@nestjs/cqrs';
import Fastify, { type FastifyInstance } from 'fastify';
import { InboxAccess } from '../../../src/application/access/inbox-access';
import type { ChannelConnection } from '../../../src/application/ports/channel.port';
import type { JobQueue } from '../../../src/application/ports/job-queue.port';
import type { ReadStore } from '../../../src/application/ports/read-store.port';
import { loadConfig } from '../../../src/infrastructure/config/config';
import { SessionTokens } from '../../../src/infrastructure/http/auth/session-tokens';
import { createLogger } from '../../../src/infrastructure/logging/logger';
import type { ChannelPlugin, PluginConversation } from '../../../src/plugins/channel-plugin';
import { pluginShapeProblems } from '../../../src/plugins/plugin-shape';
import type { HostConversationsService } from '../../../src/plugins/registry/host-conversations';
import { PluginRegistry } from '../../../src/plugins/registry/plugin-registry';

const ICON = '<svg viewBox="0 0 1 1"></svg>';
const CAPABILITIES = { reply: true, html: false, attachments: false, transcript: false, switchToEmail: false, forward: false, compose: false };
const CONVERSATION: PluginConversation = {
  conversationId: 'c-1',
  inboxId: 'i-1',
  externalThreadId: '+31600000001',
  status: 'open',
  hidden: false,
  contact: { address: '+31600000001', name: 'Ana' },
  lastContactMessageAt: '2026-12-01T09:00:00.000Z',
};

/**
 * The channel catalog's reply window and templates, as the registry hands a plugin's answers to the
 * application: what the plugin said, in the application's shape, and never a broken answer taken as open.
 */
describe('PluginRegistry: reply windows and templates of a channel', () => {
  let http: FastifyInstance;
  const asked: { conversation: PluginConversation; now: string }[] = [];
  // The conversation as the host knows it: only c-1 on the `window` channel.
  const hostConversations = {
    get: async (conversationId: string, channel: string) => (conversationId === 'c-1' && channel === 'window' ? CONVERSATION : null),
  } as unknown as HostConversationsService;

  async function registryWith(plugin: ChannelPlugin): Promise<PluginRegistry> {
    const registry = new PluginRegistry(
      {} as ChannelConnection,
      {} as JobQueue,
      new SessionTokens('catalog-test-secret-0123456789abcdef', 3600),
      {} as QueryBus,
      {} as ReadStore,
      { now: () => new Date() },
      new InboxAccess({} as ReadStore),
      hostConversations,
    );
    await registry.connectAll({ config: loadConfig({}), env: {}, logger: createLogger({ level: 'silent' }), http, builtIns: [() => plugin] });
    return registry;
  }
  const plugin = (overrides: Partial<ChannelPlugin>): ChannelPlugin => ({
    id: 'window',
    displayName: 'Window',
    icon: ICON,
    channel: 'window',
    capabilities: CAPABILITIES,
    connect() {},
    send: async () => ({ status: 'delivered' }),
    ...overrides,
  });

  beforeEach(() => {
    http = Fastify();
    asked.length = 0;
  });
  afterEach(() => http.close());

  it('asks the plugin with the conversation and now, and keeps its reason in every language it gave', async () => {
    const registry = await registryWith(
      plugin({
        replyWindow: (conversation, now) => {
          asked.push({ conversation, now: now.toISOString() });
          return { open: false, closedAt: '2026-12-02T09:00:00.000Z', reason: { en: ' Closed. ', nl: 'Gesloten.', de: 7 as unknown as string } };
        },
      }),
    );
    const now = new Date('2026-12-03T10:00:00.000Z');
    expect(await registry.replyWindowOf('c-1', 'window', now)).toEqual({
      open: false,
      closedAt: '2026-12-02T09:00:00.000Z',
      reason: { en: 'Closed.', nl: 'Gesloten.' },
    });
    expect(asked).toEqual([{ conversation: CONVERSATION, now: '2026-12-03T10:00:00.000Z' }]);
    // Not this channel's conversation, or a channel without a window: nothing to ask.
    expect(await registry.replyWindowOf('c-2', 'window', now)).toBeNull();
    expect(await registry.replyWindowOf('c-1', 'email', now)).toBeNull();
  });

  it('a closed window without words gets English ones; an open one keeps its end', async () => {
    let answer: unknown = { open: false };
    const registry = await registryWith(plugin({ replyWindow: () => answer as never }));
    const now = new Date('2026-12-03T10:00:00.000Z');
    expect(await registry.replyWindowOf('c-1', 'window', now)).toEqual({
      open: false,
      closedAt: '2026-12-03T10:00:00.000Z',
      reason: { en: 'the Window channel does not allow a free-form reply now' },
    });
    answer = { open: true, closesAt: '2026-12-04T09:00:00.000Z' };
    expect(await registry.replyWindowOf('c-1', 'window', now)).toEqual({ open: true, closesAt: '2026-12-04T09:00:00.000Z' });
    answer = { open: true };
    expect(await registry.replyWindowOf('c-1', 'window', now)).toEqual({ open: true, closesAt: null });
  });

  it('an answer that is not a window is refused, never taken as open', async () => {
    const registry = await registryWith(plugin({ replyWindow: () => ({ open: 'yes' }) as never }));
    await expect(registry.replyWindowOf('c-1', 'window', new Date())).rejects.toThrow(/channel plugin "window" gave an invalid reply window/);
  });

  it('lists the templates the plugin describes fully, and none without the capability', async () => {
    const templates = async () =>
      [
        { name: 'order_update', language: 'en_US', category: 'UTILITY', body: 'Hello {{1}}', parameterCount: 1 },
        { name: 'no_category', language: 'nl', body: 'Hallo', parameterCount: 0 },
        { name: '', language: 'en_US', category: 'UTILITY', body: 'x', parameterCount: 0 },
        { name: 'bad_count', language: 'en_US', category: 'UTILITY', body: 'x', parameterCount: 1.5 },
        null,
      ] as never;
    const withCapability = await registryWith(plugin({ capabilities: { ...CAPABILITIES, templates: true }, templates }));
    expect(await withCapability.templatesOf('c-1', 'window')).toEqual([
      { name: 'order_update', language: 'en_US', category: 'UTILITY', body: 'Hello {{1}}', parameterCount: 1 },
      { name: 'no_category', language: 'nl', category: '', body: 'Hallo', parameterCount: 0 },
    ]);
    expect(await withCapability.templatesOf('c-2', 'window')).toEqual([]);
    await http.close();
    http = Fastify();
    const without = await registryWith(plugin({ templates }));
    expect(await without.templatesOf('c-1', 'window')).toEqual([]);
  });

  it('a plugin declaring templates needs templates(); replyWindow must be a function', () => {
    expect(pluginShapeProblems(plugin({ capabilities: { ...CAPABILITIES, templates: true } }))).toEqual([
      'capabilities.templates is true, so templates(conversation) must be a function',
    ]);
    expect(pluginShapeProblems(plugin({ replyWindow: 'open' as never }))).toContain('replyWindow, when present, must be a function (conversation, now)');
    expect(pluginShapeProblems(plugin({ capabilities: { ...CAPABILITIES, templates: false } }))).toEqual([]);
  });
});
