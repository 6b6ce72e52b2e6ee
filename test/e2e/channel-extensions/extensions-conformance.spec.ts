import type { ChannelHostConnection, ChannelPlugin, ChannelRequest, MessageTemplate, PluginConversation } from '../../../src/plugins/channel-plugin';
import { pluginShapeProblems } from '../../../src/plugins/plugin-shape';
import { channelPluginConformance, FakeHostConnection, replyWindowProblems, templateProblems } from '../../../src/plugins/testing';

const ICON = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1"></svg>';
const DAY = 24 * 3600_000;
const TEMPLATES: MessageTemplate[] = [
  { name: 'order_shipped', language: 'en_US', category: 'UTILITY', body: 'Hello {{1}}, your order {{2}} has shipped.', parameterCount: 2 },
  { name: 'welcome', language: 'nl', category: 'MARKETING', body: 'Welkom!', parameterCount: 0 },
];

/**
 * A plugin with everything issue 15 added to the interface: a 24-hour reply window from the
 * contact's last message, approved templates, its own attachment download, a page, and a webhook
 * that hands over files and fields. Its sends fail or succeed as the scenario says.
 */
function windowedPlugin(): ChannelPlugin {
  let host: ChannelHostConnection | null = null;
  let next: 'ok' | 'retry' | 'fail' = 'ok';
  const plugin: ChannelPlugin & { setNext(outcome: 'ok' | 'retry' | 'fail'): void } = {
    id: 'windowed',
    displayName: 'Windowed',
    icon: ICON,
    channel: 'windowed',
    capabilities: { reply: true, html: false, attachments: false, transcript: false, switchToEmail: false, forward: false, compose: false, templates: true },
    setNext(outcome) {
      next = outcome;
    },
    connect(connection) {
      host = connection;
      connection.routes.post(
        'hook',
        async (request: ChannelRequest) => {
          const body = request.body as { thread?: unknown; id?: unknown; from?: unknown; text?: unknown } | undefined;
          if (typeof body?.thread !== 'string' || typeof body.id !== 'string' || typeof body.from !== 'string' || typeof body.text !== 'string') {
            return { status: 400, body: { statusCode: 400, message: 'thread, id, from and text are required' } };
          }
          const result = await host!.ingest({
            channel: 'windowed',
            externalThreadId: body.thread,
            externalMessageId: body.id,
            from: { address: body.from },
            to: [],
            text: body.text,
            files: [{ filename: 'note.txt', contentType: 'text/plain', content: Buffer.from(body.text) }],
            fields: [{ key: 'source', label: { en: 'Source' }, value: 'test' }],
          });
          return { status: result.duplicate ? 200 : 201, body: result };
        },
        { public: true },
      );
      connection.routes.get('welcome', async () => ({ status: 200, headers: { 'content-type': 'text/html' }, body: '<p>Welcome</p>' }), { page: true });
    },
    replyWindow(conversation: PluginConversation, now: Date) {
      const closesAt = Date.parse(conversation.lastContactMessageAt) + DAY;
      return closesAt > now.getTime()
        ? { open: true, closesAt: new Date(closesAt).toISOString() }
        : { open: false, closedAt: new Date(closesAt).toISOString(), reason: { en: 'Only templates after 24 hours.', nl: 'Na 24 uur alleen sjablonen.' } };
    },
    async templates() {
      return TEMPLATES;
    },
    attachmentUrl: (_conversationId, attachment) => `/api/channels/windowed/files/${encodeURIComponent(attachment.id)}`,
    async send() {
      if (next === 'retry') return { status: 'failed', retryable: true, reason: 'busy' };
      if (next === 'fail') return { status: 'failed', retryable: false, reason: 'refused' };
      return { status: 'delivered' };
    },
  };
  return plugin;
}

let current: (ChannelPlugin & { setNext?(outcome: string): void }) | null = null;

channelPluginConformance('a plugin with a reply window, templates, its own files and a page', {
  createPlugin: () => (current = windowedPlugin()),
  scenario: {
    deliverInbound: async (host, m) => {
      await host.request('POST', '/channels/windowed/hook', {
        body: { thread: m.externalThreadId, id: m.externalMessageId, from: m.from.address, text: m.text },
      });
    },
    outbound: {
      succeed: () => current!.setNext!('ok'),
      failRetryably: () => current!.setNext!('retry'),
      failPermanently: () => current!.setNext!('fail'),
    },
  },
});

describe('the shape and conformance checks of reply windows, templates, attachment URLs and pages', () => {
  const valid = windowedPlugin();

  it('refuses templates: true without a templates function, and non-functions for replyWindow, templates and attachmentUrl', () => {
    expect(pluginShapeProblems(valid)).toEqual([]);
    expect(pluginShapeProblems({ ...valid, templates: undefined })).toEqual(['capabilities.templates is true, so templates(conversation) must be a function']);
    expect(pluginShapeProblems({ ...valid, capabilities: { ...valid.capabilities, templates: 'yes' } })).toEqual([
      'capabilities.templates must be true or false, or left out (got "yes")',
    ]);
    const wrong = pluginShapeProblems({ ...valid, replyWindow: { open: true }, templates: [], attachmentUrl: '/x' });
    expect(wrong).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^replyWindow, when present, must be a function/),
        expect.stringMatching(/^templates, when present, must be a function/),
        expect.stringMatching(/^attachmentUrl, when present, must be a function/),
      ]),
    );
  });

  it('tells a well-formed reply window and template from a wrong one', () => {
    expect(replyWindowProblems({ open: true, closesAt: null })).toEqual([]);
    expect(replyWindowProblems({ open: false, closedAt: '2026-12-07T10:00:00Z', reason: { en: 'closed' } })).toEqual([]);
    expect(replyWindowProblems({ open: true, closesAt: 'tomorrow' })).toEqual(['closesAt must be an ISO time or null (got "tomorrow")']);
    expect(replyWindowProblems({ open: false, closedAt: '2026-12-07T10:00:00Z', reason: { nl: 'dicht' } })).toEqual([
      'reason must say why in English at least: { en: "…" }',
    ]);
    expect(replyWindowProblems({ open: 'no' })).toEqual(['open must be true or false (got "no")']);
    expect(TEMPLATES.flatMap(templateProblems)).toEqual([]);
    expect(templateProblems({ ...TEMPLATES[0], parameterCount: 1 })).toEqual(["parameterCount is 1 but the body's parameters go up to {{2}}"]);
    expect(templateProblems({ name: '', language: 'en', category: 'UTILITY', body: 'x', parameterCount: 0 })).toEqual([
      'name must be a non-empty string (got "")',
    ]);
  });

  it('the fake host mounts a page at /<id>/ with the page headers, and keeps the files and fields a message carries', async () => {
    const plugin = windowedPlugin();
    const host = new FakeHostConnection(plugin);
    await plugin.connect(host.connection);
    host.endConnect();
    const page = await host.request('GET', '/windowed/welcome');
    expect(page.status).toBe(200);
    expect(page.headers).toMatchObject({ 'content-security-policy': expect.stringContaining("frame-ancestors 'none'"), 'referrer-policy': 'no-referrer' });
    await host.request('POST', '/channels/windowed/hook', { body: { thread: 't', id: 'm1', from: '+31600000000', text: 'hi' } });
    expect(host.problems).toEqual([]);
    expect(host.stored[0].attachments).toEqual([{ id: expect.any(String), filename: 'note.txt', contentType: 'text/plain', size: 2 }]);
    expect(host.stored[0].fields).toEqual([{ key: 'source', label: { en: 'Source' }, value: 'test' }]);
    // A reaction to a message the host knows is recorded on it; to an unknown one it is a 404.
    const reacted = await host.connection.ingest({
      channel: 'windowed',
      externalThreadId: 't',
      externalMessageId: 'r1',
      from: { address: '+31600000000' },
      to: [],
      text: '',
      reaction: { toExternalMessageId: 'm1', emoji: '👍' },
    });
    expect(reacted).toEqual({ conversationId: host.stored[0].conversationId, messageId: host.stored[0].messageId, duplicate: false });
    expect(host.reactions).toEqual([expect.objectContaining({ messageId: host.stored[0].messageId, emoji: '👍' })]);
    await expect(
      host.connection.ingest({
        channel: 'windowed',
        externalThreadId: 't',
        externalMessageId: 'r2',
        from: { address: 'x' },
        to: [],
        text: '',
        reaction: { toExternalMessageId: 'nope', emoji: '👍' },
      }),
    ).rejects.toMatchObject({ statusCode: 404 });
  });

  it('the fake host refuses a page on a post, as the host does at start-up', async () => {
    const plugin: ChannelPlugin = {
      ...windowedPlugin(),
      connect: (connection) => connection.routes.post('form', async () => ({ status: 200 }), { page: true }),
    };
    const host = new FakeHostConnection(plugin);
    expect(() => plugin.connect(host.connection)).toThrow(/cannot be a page/);
  });
});
