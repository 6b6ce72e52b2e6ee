import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { ChannelHostConnection, ChannelPlugin, ChannelRequest, InboundMessage } from '../../../src/plugins/channel-plugin';
import { BUILT_IN_PLUGINS } from '../../../src/plugins/registry/built-in-plugins';
import { startTestApp, type TestApp } from '../../support/app-harness';

const ICON = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" aria-hidden="true"><circle cx="12" cy="12" r="9"/></svg>';

/** The built-in plugins but Messenger: the test's own plugin speaks for the messenger channel (rule 12 applies to it). */
const WITHOUT_MESSENGER = BUILT_IN_PLUGINS.filter((factory) => !factory.toString().includes('createMessengerPlugin'));

interface WebhookBody {
  thread: string;
  id: string;
  text?: string;
  from?: string;
  files?: { filename?: unknown; contentType?: unknown; base64?: string }[];
  fields?: unknown;
  spam?: unknown;
  contactEmail?: unknown;
  reaction?: unknown;
  continuesConversationId?: string;
}

/**
 * A channel plugin of the test's own, on the messenger channel: its public webhook
 * (`POST /channels/ext-test/messages`) turns a JSON body into an InboundMessage with files (the
 * bytes as base64), fields, spam, a shared email or a reaction and hands it to the host, answering
 * what the host answered (its refusals with their status). Two pages: `/ext-test/hello/:name` with
 * the host's page headers, `/ext-test/embed/:name` with its own frame-ancestors.
 */
function extensionsPlugin(state: { host: ChannelHostConnection | null }): () => ChannelPlugin {
  return () => ({
    id: 'ext-test',
    displayName: 'Extensions test',
    icon: ICON,
    channel: 'messenger',
    capabilities: { reply: true, html: false, attachments: true, transcript: false, switchToEmail: true, forward: false, compose: false },
    connect(host) {
      state.host = host;
      host.routes.post(
        'messages',
        async (request: ChannelRequest) => {
          const body = request.body as WebhookBody;
          const message: InboundMessage = {
            channel: 'messenger',
            externalThreadId: body.thread,
            externalMessageId: body.id,
            from: { address: body.from ?? `psid-${body.thread}`, name: 'Mia' },
            to: [],
            text: body.text ?? '',
            ...(body.files
              ? {
                  files: body.files.map((f) => ({
                    filename: f.filename as string,
                    contentType: f.contentType as string,
                    content: Buffer.from(f.base64 ?? '', 'base64'),
                  })),
                }
              : {}),
            ...(body.fields === undefined ? {} : { fields: body.fields as InboundMessage['fields'] }),
            ...(body.spam === undefined ? {} : { spam: body.spam as boolean }),
            ...(body.contactEmail === undefined ? {} : { contactEmail: body.contactEmail as string }),
            ...(body.reaction === undefined ? {} : { reaction: body.reaction as InboundMessage['reaction'] }),
            ...(body.continuesConversationId === undefined ? {} : { continuesConversationId: body.continuesConversationId }),
          };
          try {
            const result = await host.ingest(message);
            return { status: result.duplicate ? 200 : 201, body: result };
          } catch (error) {
            const status = (error as { statusCode?: number }).statusCode ?? 500;
            return { status, body: { statusCode: status, message: (error as Error).message } };
          }
        },
        { public: true },
      );
      host.routes.get(
        'hello/:name',
        async (request) => ({
          status: 200,
          headers: { 'content-type': 'text/html; charset=utf-8' },
          body: `<!doctype html><p>Hello ${request.params.name}</p>`,
        }),
        { page: true },
      );
      host.routes.get(
        'embed/:name',
        async () => ({
          status: 200,
          headers: {
            'Content-Type': 'text/html; charset=utf-8',
            'Content-Security-Policy': "default-src 'self'; frame-ancestors https://customer.example",
          },
          body: '<!doctype html><p>Embedded</p>',
        }),
        { page: true },
      );
    },
    async send() {
      return { status: 'delivered' as const };
    },
  });
}

/** A plugin whose connect declares `routes`; its id is `id`. */
const declaring =
  (id: string, declare: (host: ChannelHostConnection) => void): (() => ChannelPlugin) =>
  () => ({
    id,
    displayName: id,
    icon: ICON,
    channel: id,
    capabilities: { reply: false, html: false, attachments: false, transcript: false, switchToEmail: false, forward: false, compose: false },
    connect: declare,
  });

const page = async () => ({ status: 200, body: 'page' });

describe('channel plugins hand over files, fields, spam, a shared email and reactions; pages (e2e)', () => {
  const state: { host: ChannelHostConnection | null } = { host: null };
  let t: TestApp;
  let admin: string;
  let n = 0;

  beforeAll(async () => {
    expect(WITHOUT_MESSENGER).toHaveLength(BUILT_IN_PLUGINS.length - 1);
    t = await startTestApp({ builtIns: [...WITHOUT_MESSENGER, extensionsPlugin(state)] });
    admin = await t.login();
  });
  afterAll(async () => {
    await t?.close();
  });

  const webhook = (body: WebhookBody) => t.request('POST', '/channels/ext-test/messages', { body });
  const get = (url: string, token = admin) => t.request('GET', url, { token });
  const nextThread = () => `thread-${++n}`;
  /** The files the host keeps for a conversation, as they lie on disk (bytes, not their refs). */
  const filesOnDisk = (conversationId: string): string[] => {
    try {
      return readdirSync(join(t.dataDir, 'attachments', conversationId)).filter((name) => !name.endsWith('.json') && !name.startsWith('.'));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
  };
  const allFilesOnDisk = (): string[] => {
    let dirs: string[] = [];
    try {
      dirs = readdirSync(join(t.dataDir, 'attachments'));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    return dirs.flatMap((dir) => filesOnDisk(dir).map((f) => `${dir}/${f}`)).sort();
  };
  const pdf = Buffer.from('%PDF-1.4 the invoice');
  const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3]);

  it('keeps the files that came with a message: an agent with access downloads them, one without gets 404', async () => {
    const thread = nextThread();
    const res = await webhook({
      thread,
      id: `${thread}-1`,
      text: 'Here is the invoice',
      files: [
        { filename: '../../etc/invoice\u0007.pdf', contentType: 'application/pdf; name=x', base64: pdf.toString('base64') },
        { contentType: 'image/png', base64: png.toString('base64') },
      ],
    });
    expect(res.status).toBe(201);
    const { conversationId, messageId } = res.body as { conversationId: string; messageId: string };

    const detail = await get(`/api/conversations/${conversationId}`);
    const message = (detail.body.messages as { id: string; attachments: { id: string; filename: string; contentType: string; size: number }[] }[]).find(
      (m) => m.id === messageId,
    )!;
    // The name cleaned (last path segment, no control characters), a nameless file named by its place, the type without parameters.
    expect(message.attachments).toEqual([
      { id: expect.any(String), filename: 'invoice.pdf', contentType: 'application/pdf', size: pdf.length },
      { id: expect.any(String), filename: 'file-2', contentType: 'image/png', size: png.length },
    ]);
    expect(filesOnDisk(conversationId)).toHaveLength(2);

    const download = await t.app.inject({
      method: 'GET',
      url: `/api/conversations/${conversationId}/attachments/${message.attachments[0].id}`,
      headers: { authorization: `Bearer ${admin}` },
    });
    expect(download.statusCode).toBe(200);
    expect(download.rawPayload.equals(pdf)).toBe(true);
    expect(download.headers['content-disposition']).toMatch(/^attachment;/);

    // An agent outside every inbox: the conversation and its files answer as unknown.
    const created = await t.request('POST', '/api/agents', {
      token: admin,
      body: { name: 'Outsider', email: 'outsider@example.com', password: 'outsider-password', role: 'agent' },
    });
    expect(created.status).toBe(201);
    const listed = await get('/api/inboxes');
    for (const inbox of (listed.body.inboxes ?? listed.body) as { id: string; memberIds: string[] }[]) {
      const members = inbox.memberIds.filter((m) => m !== created.body.id);
      expect((await t.request('PUT', `/api/inboxes/${inbox.id}/members`, { token: admin, body: { agentIds: members } })).status).toBe(200);
    }
    const outsider = await t.login('outsider@example.com', 'outsider-password');
    const refused = await t.app.inject({
      method: 'GET',
      url: `/api/conversations/${conversationId}/attachments/${message.attachments[0].id}`,
      headers: { authorization: `Bearer ${outsider}` },
    });
    expect(refused.statusCode).toBe(404);

    // The inbox UI links the file to the host's download (the channel keeps no files of its own).
    const fragment = await t.app.inject({ method: 'GET', url: `/ui/conversations/${conversationId}`, headers: { authorization: `Bearer ${admin}` } });
    expect(fragment.statusCode).toBe(200);
    expect(fragment.body).toContain(`/api/conversations/${conversationId}/attachments/${message.attachments[0].id}`);
  });

  it('a redelivered message with files stores them once: the duplicate leaves no second file on disk', async () => {
    const thread = nextThread();
    const body = { thread, id: `${thread}-1`, text: 'Photo', files: [{ filename: 'photo.png', contentType: 'image/png', base64: png.toString('base64') }] };
    const first = await webhook(body);
    expect(first.status).toBe(201);
    const again = await webhook(body);
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ conversationId: first.body.conversationId, messageId: first.body.messageId, duplicate: true });
    expect(filesOnDisk(first.body.conversationId)).toHaveLength(1);
    const detail = await get(`/api/conversations/${first.body.conversationId}`);
    expect(detail.body.messages).toHaveLength(1);
  });

  it('a message the core refuses after its files were kept takes them away again', async () => {
    // Continuing a conversation that does not exist is refused by the decider, after the files were put under its id.
    const missing = '0b9a4a52-3c1e-4d3f-9f55-7d1f0e2a0c11';
    const res = await webhook({
      thread: nextThread(),
      id: `refused-${n}`,
      text: 'Late answer',
      continuesConversationId: missing,
      files: [{ filename: 'late.pdf', contentType: 'application/pdf', base64: pdf.toString('base64') }],
    });
    expect(res.status).toBe(400);
    expect(res.body.message).toMatch(/continuesConversationId/);
    expect(filesOnDisk(missing)).toEqual([]);
  });

  it('delete forever takes the files of the conversation too', async () => {
    const thread = nextThread();
    const res = await webhook({
      thread,
      id: `${thread}-1`,
      text: 'Scan',
      files: [{ filename: 'scan.pdf', contentType: 'application/pdf', base64: pdf.toString('base64') }],
    });
    expect(res.status).toBe(201);
    const { conversationId } = res.body as { conversationId: string };
    expect(filesOnDisk(conversationId)).toHaveLength(1);
    expect((await t.request('POST', `/api/conversations/${conversationId}/trash`, { token: admin })).status).toBeLessThan(300);
    expect((await t.request('DELETE', `/api/conversations/${conversationId}`, { token: admin })).status).toBe(200);
    const deadline = Date.now() + 10_000;
    while (filesOnDisk(conversationId).length > 0) {
      if (Date.now() > deadline) throw new Error('timed out waiting until the files of the deleted conversation were removed');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(filesOnDisk(conversationId)).toEqual([]);
  });

  it('refuses bad files and fields with a 400 naming the member and the value, storing nothing', async () => {
    const thread = nextThread();
    const before = allFilesOnDisk();
    const cases: [Partial<WebhookBody>, RegExp][] = [
      [
        { files: [{ filename: 'a.txt', contentType: 'text plain', base64: 'eA==' }] },
        /^files\[0\]\.contentType: must be a media type like image\/jpeg \(got "text plain"\)$/,
      ],
      [{ files: [{ filename: 'empty.txt', contentType: 'text/plain', base64: '' }] }, /^files\[0\]\.content: must be the file's bytes/],
      [
        { files: Array.from({ length: 11 }, () => ({ filename: 'x', contentType: 'text/plain', base64: 'eA==' })) },
        /^files: at most 10 files per message \(got 11\)$/,
      ],
      [{ fields: [{ key: '', label: { en: 'Order' }, value: '1' }] }, /^fields\[0\]\.key: must be 1 to 64 characters \(got ""\)$/],
      [{ fields: [{ key: 'order', label: { nl: 'Bestelling' }, value: '1' }] }, /^fields\[0\]\.label: .*non-empty English one/],
      [{ fields: [{ key: 'order', label: { en: 'Order' }, value: 'x'.repeat(10_001) }] }, /^fields\[0\]\.value: must be text of at most 10000 characters/],
      [
        { fields: [{ key: 'map', label: { en: 'Map' }, value: 'here', url: 'javascript:alert(1)' }] },
        /^fields\[0\]\.url: must be an http\(s\) URL .*\(got "javascript:alert\(1\)"\)$/,
      ],
      [
        { fields: Array.from({ length: 51 }, (_, i) => ({ key: `k${i}`, label: { en: 'K' }, value: 'v' })) },
        /^fields: must be a list of at most 50 fields \(got 51 fields\)$/,
      ],
      [{ spam: 'yes' }, /^spam: must be true or false \(got "yes"\)$/],
    ];
    for (const [extra, message] of cases) {
      const res = await webhook({ thread, id: `${thread}-${Math.random()}`, text: 'x', ...extra });
      expect({ status: res.status, message: res.body.message }).toEqual({ status: 400, message: expect.stringMatching(message) });
    }
    // Nothing was stored: the thread has no conversation (a reaction in it is a 404), and no file lies anywhere.
    const reaction = await webhook({ thread, id: `${thread}-r`, reaction: { toExternalMessageId: 'nothing', emoji: '👍' } });
    expect(reaction.status).toBe(404);
    expect(allFilesOnDisk()).toEqual(before);
  });

  it("shows a message's fields on it", async () => {
    const thread = nextThread();
    const fields = [
      { key: 'order', label: { en: 'Order number', nl: 'Bestelnummer' }, value: 'A-1234' },
      { key: 'location', label: { en: 'Location' }, value: 'Dam 1, Amsterdam', url: 'https://maps.example/?q=52.37,4.89' },
    ];
    const res = await webhook({ thread, id: `${thread}-1`, text: 'Where is my order?', fields });
    expect(res.status).toBe(201);
    const detail = await get(`/api/conversations/${res.body.conversationId}`);
    const [message] = detail.body.messages as { fields?: unknown }[];
    expect(message.fields).toEqual(fields);
  });

  it("a message the channel judged spam lands in Spam, not in its channel's view", async () => {
    const thread = nextThread();
    const res = await webhook({ thread, id: `${thread}-1`, text: 'Cheap watches', spam: true });
    expect(res.status).toBe(201);
    const { conversationId } = res.body as { conversationId: string };
    const spam = await get('/api/views/spam/conversations?limit=200');
    expect(spam.status).toBe(200);
    expect(JSON.stringify(spam.body)).toContain(conversationId);
    const channelView = await get('/api/views/messenger/conversations?limit=200');
    expect(channelView.status).toBe(200);
    expect(JSON.stringify(channelView.body)).not.toContain(conversationId);

    // A message that is not spam does land in the channel's view (the check above can fail).
    const clean = await webhook({ thread: nextThread(), id: `clean-${n}`, text: 'Hello' });
    expect(JSON.stringify((await get('/api/views/messenger/conversations?limit=200')).body)).toContain(clean.body.conversationId);
  });

  it('an email address the contact shared lets agents answer by email (rule 12)', async () => {
    const thread = nextThread();
    const first = await webhook({ thread, id: `${thread}-1`, text: 'Hi' });
    const { conversationId } = first.body as { conversationId: string };
    const refused = await t.request('POST', `/api/conversations/${conversationId}/replies`, { token: admin, body: { text: 'By mail?', channel: 'email' } });
    expect(refused.status).toBe(400);
    expect((await webhook({ thread, id: `${thread}-2`, text: 'mia@customer.test', contactEmail: 'Mia@Customer.test' })).status).toBe(201);
    const detail = await get(`/api/conversations/${conversationId}`);
    expect(detail.body.contact).toMatchObject({ email: 'mia@customer.test' });
    const reply = await t.request('POST', `/api/conversations/${conversationId}/replies`, { token: admin, body: { text: 'Sent by mail.', channel: 'email' } });
    expect(reply.status).toBe(201);
  });

  it('records a reaction on the message it names; a reaction to an unknown message or thread is a 404 the plugin sees', async () => {
    const thread = nextThread();
    const first = await webhook({ thread, id: `${thread}-1`, text: 'Thanks!' });
    const { conversationId, messageId } = first.body as { conversationId: string; messageId: string };

    const reacted = await webhook({ thread, id: `${thread}-r1`, reaction: { toExternalMessageId: `${thread}-1`, emoji: '👍' } });
    expect(reacted.status).toBe(201);
    expect(reacted.body).toEqual({ conversationId, messageId, duplicate: false });
    const again = await webhook({ thread, id: `${thread}-r1`, reaction: { toExternalMessageId: `${thread}-1`, emoji: '👍' } });
    expect(again.status).toBe(200);
    expect(again.body).toEqual({ conversationId, messageId, duplicate: true });

    const history = await get(`/api/conversations/${conversationId}/history`);
    const reactions = (history.body.events as { type: string; data: { messageId: string; emoji: string } }[]).filter((e) => e.type === 'ReactionReceived');
    expect(reactions.map((e) => ({ messageId: e.data.messageId, emoji: e.data.emoji }))).toEqual([{ messageId, emoji: '👍' }]);
    const detail = await get(`/api/conversations/${conversationId}`);
    expect(detail.body.messages).toHaveLength(1);

    const unknownMessage = await webhook({ thread, id: `${thread}-r2`, reaction: { toExternalMessageId: 'never-sent', emoji: '❤' } });
    expect(unknownMessage.status).toBe(404);
    expect(unknownMessage.body.message).toMatch(/never-sent/);
    const unknownThread = await webhook({ thread: 'no-such-thread', id: 'r3', reaction: { toExternalMessageId: 'x', emoji: '❤' } });
    expect(unknownThread.status).toBe(404);
    expect(unknownThread.body.message).toMatch(/thread "no-such-thread" of the messenger channel not found/);
    const malformed = await webhook({ thread, id: `${thread}-r4`, reaction: { emoji: '❤' } });
    expect(malformed.status).toBe(400);
    expect(malformed.body.message).toMatch(/^reaction: must be \{ toExternalMessageId, emoji \}/);
  });

  it("serves a page at /<plugin id>/<path> with the host's strict headers, or the page's own where it sets them", async () => {
    const hello = await t.app.inject({ method: 'GET', url: '/ext-test/hello/world' });
    expect(hello.statusCode).toBe(200);
    expect(hello.body).toContain('Hello world');
    expect(hello.headers['content-security-policy']).toBe("default-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'");
    expect(hello.headers['x-content-type-options']).toBe('nosniff');
    expect(hello.headers['referrer-policy']).toBe('no-referrer');
    // Not under /channels/: a page is where people open it.
    expect((await t.app.inject({ method: 'GET', url: '/channels/ext-test/hello/world' })).statusCode).toBe(404);

    const embed = await t.app.inject({ method: 'GET', url: '/ext-test/embed/x' });
    expect(embed.statusCode).toBe(200);
    expect(embed.headers['content-security-policy']).toBe("default-src 'self'; frame-ancestors https://customer.example");
    expect(embed.headers['x-frame-options']).toBeUndefined();
    expect(embed.headers['referrer-policy']).toBe('no-referrer');
  });
});

describe('page routes refused at start-up (e2e)', () => {
  it('refuses a page on a post, naming the plugin', async () => {
    const started = startTestApp({
      builtIns: [...BUILT_IN_PLUGINS, declaring('bad-page', (host) => host.routes.post('submit', page, { page: true } as never))],
    });
    await expect(started).rejects.toThrow(/plugin "bad-page": POST submit cannot be a page/);
  });

  it("refuses pages of a plugin whose id is one of Parley's own paths", async () => {
    const started = startTestApp({ builtIns: [...BUILT_IN_PLUGINS, declaring('settings', (host) => host.routes.get('x', page, { page: true }))] });
    await expect(started).rejects.toThrow(/plugin "settings": its pages would be mounted at \/settings\//);
  });
});
