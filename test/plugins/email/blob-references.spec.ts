import { createTransport } from 'nodemailer';
import { createEmailPlugin, type EmailPlugin } from '../../../src/plugins/email/email-plugin';
import { MemoryKeyValueStore } from '../../../src/plugins/email/storage/key-value-store';
import { FakeHost } from './support/fake-host';

const AGENT = { id: 'agent-1', name: 'Ann', email: 'ann@parley.test', role: 'agent' as const };

/** The email plugin alone: blobs follow the conversations holding them (access, delete forever). */
describe('email blobs and the conversations holding them', () => {
  let host: FakeHost;
  let plugin: EmailPlugin;
  let storage: MemoryKeyValueStore;

  beforeEach(async () => {
    host = new FakeHost();
    storage = new MemoryKeyValueStore();
    plugin = createEmailPlugin({ smtpPort: 0, smtpHost: '127.0.0.1', storage, smtpCloseTimeoutMs: 300 });
    await plugin.connect(host.connection);
    await host.start();
  });
  afterEach(async () => {
    await host.stop();
    await plugin.disconnect?.();
  });

  const send = (subject: string, attachments: { filename: string; content: string }[]) =>
    createTransport({ host: '127.0.0.1', port: plugin.smtpPort(), secure: false, ignoreTLS: true }).sendMail({
      from: 'jane@customer.test',
      to: 'support@parley.test',
      subject,
      text: subject,
      attachments,
    });
  const conversationOf = (subject: string) => {
    const message = host.messages.find((m) => m.subject === subject)!;
    return { id: `default|${message.externalThreadId}`, ids: message.attachments!.map((a) => a.id) };
  };
  const fetch = (id: string) => host.call('GET', 'blobs/:id', { params: { id }, agent: AGENT });

  it('answers a blob only to an agent who may read a conversation holding it; otherwise 404, like an unknown id', async () => {
    await send('Invoice', [{ filename: 'invoice.txt', content: 'invoice 7' }]);
    const [attachment, original] = conversationOf('Invoice').ids;
    expect((await fetch(attachment)).status).toBe(200);
    expect((await fetch(original)).status).toBe(200);
    host.agentsWithoutAccess.add(AGENT.id);
    const unknownId = `sha256:${'1'.repeat(64)}`;
    const [denied, unknown] = [await fetch(original), await fetch(unknownId)];
    expect(denied.status).toBe(404);
    expect(JSON.stringify(denied).replace(original, unknownId)).toBe(JSON.stringify(unknown));
  });

  it('delete forever removes the blobs only that conversation held; a blob two conversations hold stays until both are gone', async () => {
    const shared = { filename: 'terms.txt', content: 'terms v7' };
    await send('First', [shared, { filename: 'first.txt', content: 'only the first' }]);
    await send('Second', [shared]);
    const first = conversationOf('First');
    const second = conversationOf('Second');
    const [terms, onlyFirst, firstOriginal] = first.ids;
    expect(second.ids[0]).toBe(terms);
    const sizeBefore = storage.size;

    await host.deleteForever(first.id);
    expect((await fetch(onlyFirst)).status).toBe(404);
    expect((await fetch(firstOriginal)).status).toBe(404);
    expect((await fetch(terms)).status).toBe(200);
    // Told again (a job retried after a crash): nothing more changes.
    await host.deletedForeverHandlers[0]({ conversationId: first.id, inboxId: 'default', externalThreadId: 'x', attachmentIds: first.ids });
    expect((await fetch(terms)).status).toBe(200);

    await host.deleteForever(second.id);
    expect((await fetch(terms)).status).toBe(404);
    // Four blobs (terms, first.txt, two originals) and their four holder records are gone; the thread index stays.
    expect(storage.size).toBe(sizeBefore - 8);
  });

  it('delete forever also drops what the thread index kept of the text (the excerpt quoted in replies)', async () => {
    await send('Medical question', [{ filename: 'x.txt', content: 'x' }]);
    const { id } = conversationOf('Medical question');
    // The thread index is in the host's plugin storage; the blobs' store keeps no words of it.
    const stored = async () => JSON.stringify(await host.storage.list(''));
    expect(await stored()).toContain('"excerpt":"Medical question"'); // send() uses the subject as the text
    await host.deleteForever(id);
    expect(await stored()).not.toContain('"excerpt"');
    expect(JSON.stringify(storage.entries().map(([, value]) => value.toString('utf8')))).not.toContain('excerpt');
  });

  it('a notice that arrives late keeps what a conversation recreated under the same id holds again', async () => {
    const attachment = { filename: 'receipt.txt', content: 'receipt 12' };
    await send('Receipt', [attachment]);
    const before = conversationOf('Receipt');
    const original = host.messages.find((m) => m.subject === 'Receipt')!;
    // Deleted forever, but the job that tells the plugin has not run yet (it is retried later).
    const handlers = host.deletedForeverHandlers.splice(0);
    await host.deleteForever(before.id);
    host.deletedForeverHandlers.push(...handlers);
    // Meanwhile the customer answers in the same thread with the same attachment: the conversation is back.
    await createTransport({ host: '127.0.0.1', port: plugin.smtpPort(), secure: false, ignoreTLS: true }).sendMail({
      from: 'jane@customer.test',
      to: 'support@parley.test',
      subject: 'Re: Receipt',
      text: 'Again',
      inReplyTo: original.externalMessageId,
      references: [original.externalMessageId],
      attachments: [attachment],
    });
    const again = host.messages.find((m) => m.subject === 'Re: Receipt')!;
    expect(`default|${again.externalThreadId}`).toBe(before.id);
    const [receipt] = before.ids;
    expect(again.attachments!.map((a) => a.id)).toContain(receipt);

    // Now the late notice of the first deletion.
    for (const handler of host.deletedForeverHandlers) {
      await handler({ conversationId: before.id, inboxId: 'default', externalThreadId: original.externalThreadId, attachmentIds: before.ids });
    }
    expect((await fetch(receipt)).status).toBe(200);
    expect((await fetch(before.ids[1])).status).toBe(404); // the first message's original, which nothing holds now
  });
});
