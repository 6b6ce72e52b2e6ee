import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTransport } from 'nodemailer';
import { createEmailPlugin, type EmailPlugin } from '../../../src/plugins/email/email-plugin';
import { FileKeyValueStore } from '../../../src/plugins/email/storage/file-key-value-store';
import { LEGACY_MIGRATION_KEY } from '../../../src/plugins/email/threading/thread-index';
import { MemoryPluginStorage } from '../../../src/plugins/testing/memory-plugin-storage';
import { FakeHost } from './support/fake-host';

/** How the thread index looked in its files before it moved into plugin storage (one file per key, named by its hash). */
const old = {
  message: (id: string) => `thread-index\u0000message\u0000${id}`,
  thread: (root: string) => `thread-index\u0000thread\u0000${root}`,
  subject: (counterpart: string, subject: string) => `thread-index\u0000subject\u0000${counterpart}\u0000${subject}`,
};
const json = (value: unknown) => Buffer.from(JSON.stringify(value), 'utf8');

/**
 * An instance upgraded from the file-based thread index keeps threading: at the listener's start
 * the old thread records and their messages are copied into the host's plugin storage once, and
 * what cannot be listed from the files (subject entries) is copied when first asked for.
 */
describe('email channel: the thread index moves from files into plugin storage', () => {
  const now = new Date('2026-12-07T05:00:00.000Z');
  const earlier = '2026-12-06T09:00:00.000Z';
  let dir: string;
  let storage: MemoryPluginStorage;
  let host: FakeHost | undefined;
  let plugin: EmailPlugin | undefined;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'parley-email-migration-'));
    storage = new MemoryPluginStorage();
    // What an older Parley left in the channel's folder: a thread of two messages, a subject entry,
    // a blob's holders record and an original message (neither is a thread record).
    const files = new FileKeyValueStore(dir);
    await files.set(
      old.thread('<root@customer.test>'),
      json({
        root: '<root@customer.test>',
        messages: [
          { id: '<root@customer.test>', direction: 'in', at: earlier, from: { address: 'jane@customer.test' }, excerpt: 'My order 1042 is late' },
          { id: '<reply@parley.test>', direction: 'out', at: earlier },
        ],
      }),
    );
    await files.set(old.message('<root@customer.test>'), json({ root: '<root@customer.test>', direction: 'in', at: earlier }));
    await files.set(old.message('<reply@parley.test>'), json({ root: '<root@customer.test>', direction: 'out', at: earlier }));
    await files.set(old.subject('jane@customer.test', 'order 1042'), json({ root: '<root@customer.test>', at: earlier }));
    await files.set('blob-holders\u0000sha256:abc', json(['default|<root@customer.test>']));
    await files.set('blob\u0000sha256:def', Buffer.from('Received: from mx\r\nSubject: Order 1042\r\n\r\n{not json'));
  });

  afterEach(async () => {
    await host?.stop();
    await plugin?.disconnect?.();
    host = undefined;
    plugin = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  async function start(): Promise<{ host: FakeHost; plugin: EmailPlugin }> {
    host = new FakeHost({}, { storage });
    plugin = createEmailPlugin({ smtpPort: 0, smtpHost: '127.0.0.1', storageDir: dir, inboxEmail: 'support@parley.test', clock: () => now });
    await plugin.connect(host.connection);
    await host.start();
    return { host, plugin };
  }

  const send = (mail: Record<string, unknown>) =>
    createTransport({ host: '127.0.0.1', port: plugin!.smtpPort(), secure: false, ignoreTLS: true }).sendMail({
      from: 'Jane Roe <jane@customer.test>',
      to: 'support@parley.test',
      ...mail,
    });

  it('copies the thread records and their messages at start, once, and an answer to an old reply joins its thread', async () => {
    const first = await start();
    expect(await storage.get('email-thread/thread/<root@customer.test>')).toMatchObject({ root: '<root@customer.test>', messages: [{}, {}] });
    expect(await storage.get('email-thread/message/<reply@parley.test>')).toEqual({ root: '<root@customer.test>', direction: 'out', at: earlier });
    expect(await storage.get(LEGACY_MIGRATION_KEY)).toEqual({ at: expect.any(String), threads: 1, messages: 2 });
    expect(first.host.logs).toContainEqual(expect.objectContaining({ message: 'email thread index copied from files into plugin storage' }));

    await send({ subject: 'Re: Order 1042', text: 'Any news?', messageId: '<answer@customer.test>', inReplyTo: '<reply@parley.test>' });
    expect(first.host.messages.map((m) => m.externalThreadId)).toEqual(['<root@customer.test>']);

    // A restart (the same storage, another plugin): nothing is copied again, the thread goes on.
    await first.host.stop();
    await first.plugin.disconnect?.();
    const documents = storage.size;
    const second = await start();
    expect(second.host.logs.map((l) => l.message)).not.toContain('email thread index copied from files into plugin storage');
    expect(storage.size).toBe(documents);
    await send({
      subject: 'Re: Order 1042',
      text: 'Still waiting',
      messageId: '<again@customer.test>',
      references: ['<root@customer.test>', '<answer@customer.test>'],
    });
    expect(second.host.messages.map((m) => m.externalThreadId)).toEqual(['<root@customer.test>']);
  });

  it('finds an old subject entry when first asked (it cannot be listed from its file) and keeps it in storage', async () => {
    const { host } = await start();
    const before = storage.size;
    // No headers to follow: only the subject and the sender lead to the old thread.
    await send({ subject: 'RE: Order 1042', text: 'Me again', messageId: '<subject-only@customer.test>', inReplyTo: '<lost@customer.test>' });
    expect(host.messages.map((m) => m.externalThreadId)).toEqual(['<root@customer.test>']);
    const subjects = (await storage.list('email-thread/subject#')).map((d) => d.value);
    expect(subjects).toEqual([{ root: '<root@customer.test>', at: now.toISOString() }]);
    expect(storage.size).toBeGreaterThan(before);
  });

  it('is idempotent: a copy cut short and run again, or a newer entry written meanwhile, is not overwritten', async () => {
    await storage.set('email-thread/message/<reply@parley.test>', { root: '<newer@customer.test>', direction: 'out', at: now.toISOString() });
    await start();
    expect(await storage.get('email-thread/message/<reply@parley.test>')).toEqual({ root: '<newer@customer.test>', direction: 'out', at: now.toISOString() });
    expect(await storage.get(LEGACY_MIGRATION_KEY)).toMatchObject({ threads: 1, messages: 1 });
  });
});
