import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createTransport } from 'nodemailer';
import { emailStorageDir } from '../../src/plugins/email/email-plugin';
import { startTestApp, type TestApp } from '../support/app-harness';

/**
 * The email channel's stored blobs (each message's original bytes and its attachments) follow
 * the conversations that reference them: only an agent who may read such a conversation gets
 * one, and "delete forever" removes the blobs nothing else references, from the API and the disk.
 */
describe('email blobs: inbox access and delete forever', () => {
  let t: TestApp;
  let admin: string;
  let ann: { id: string; token: string };
  let salesInbox: string;
  let defaultInbox: string;

  beforeAll(async () => {
    t = await startTestApp({ env: { PARLEY_INBOX_EMAIL: 'support@parley.test' } });
    admin = await t.login();
    const created = await t.request('POST', '/api/agents', {
      token: admin,
      body: { name: 'Ann', email: 'ann@parley.test', password: 'password-123', role: 'agent' },
    });
    expect(created.status).toBe(201);
    ann = { id: created.body.id, token: await t.login('ann@parley.test', 'password-123') };
    const sales = await t.request('POST', '/api/inboxes', { token: admin, body: { name: 'Sales', emailAddress: 'sales@parley.test' } });
    expect(sales.status).toBe(201);
    salesInbox = sales.body.id;
    const inboxes = await t.request('GET', '/api/inboxes', { token: admin });
    defaultInbox = inboxes.body.inboxes.find((i: { id: string }) => i.id !== salesInbox).id;
    // Ann works the default inbox only.
    expect((await t.request('PUT', `/api/inboxes/${defaultInbox}/members`, { token: admin, body: { agentIds: [ann.id] } })).status).toBe(200);
    expect((await t.request('PUT', `/api/inboxes/${salesInbox}/members`, { token: admin, body: { agentIds: [] } })).status).toBe(200);
  });
  afterAll(() => t?.close());

  const blob = (id: string, token: string) => t.request('GET', `/api/channels/email/blobs/${id}`, { token });
  const blobFile = (id: string) => {
    const name = createHash('sha256').update(`blob\u0000${id}`, 'utf8').digest('hex');
    return join(emailStorageDir(t.dataDir), name.slice(0, 2), name.slice(2));
  };
  const send = (to: string, subject: string, attachments: { filename: string; content: string }[]) =>
    createTransport({ host: '127.0.0.1', port: t.smtpPort, secure: false, ignoreTLS: true }).sendMail({
      from: 'jane@customer.test',
      to,
      subject,
      text: `About ${subject}`,
      attachments,
    });

  async function conversation(inboxId: string, subject: string) {
    const list = await t.request('GET', `/api/views/all-open/conversations?inboxId=${inboxId}&limit=200`, { token: admin });
    const summary = list.body.items.find((c: { subject: string }) => c.subject === subject);
    expect(summary).toBeDefined();
    const detail = await t.request('GET', `/api/conversations/${summary.id}`, { token: admin });
    const attachments = detail.body.messages.flatMap((m: { attachments: { id: string; filename: string }[] }) => m.attachments);
    const idOf = (filename: string) => attachments.find((a: { filename: string }) => a.filename === filename)!.id as string;
    return { id: summary.id as string, original: idOf('original.eml'), idOf };
  }

  async function deleteForever(id: string) {
    expect((await t.request('POST', `/api/conversations/${id}/trash`, { token: admin })).status).toBeLessThan(300);
    expect((await t.request('DELETE', `/api/conversations/${id}`, { token: admin })).status).toBe(200);
  }

  async function until(what: string, probe: () => Promise<boolean> | boolean, timeoutMs = 10_000) {
    const deadline = Date.now() + timeoutMs;
    while (!(await probe())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  it('an agent reads the blobs of the inboxes they work in, and gets 404 for another inbox, as for an unknown blob', async () => {
    await send('sales@parley.test', 'Price list', [{ filename: 'prices.txt', content: 'secret discount: 40%' }]);
    const sales = await conversation(salesInbox, 'Price list');
    await send('support@parley.test', 'Broken kettle', [{ filename: 'photo.txt', content: 'a photo of a kettle' }]);
    const support = await conversation(defaultInbox, 'Broken kettle');

    expect((await blob(support.original, ann.token)).status).toBe(200);
    expect((await blob(support.idOf('photo.txt'), ann.token)).status).toBe(200);

    const denied = await blob(sales.original, ann.token);
    const unknown = await blob(`sha256:${'0'.repeat(64)}`, ann.token);
    expect(denied.status).toBe(404);
    expect(unknown.status).toBe(404);
    expect(JSON.stringify(denied.body)).not.toContain('discount');
    expect((await blob(sales.idOf('prices.txt'), ann.token)).status).toBe(404);
    // An admin reaches every inbox.
    expect((await blob(sales.original, admin)).status).toBe(200);
  });

  it('delete forever removes the originals and attachments nothing else references, from the API and the disk', async () => {
    const shared = { filename: 'terms.txt', content: 'our terms and conditions, version 7' };
    await send('sales@parley.test', 'Contract A', [shared, { filename: 'only-a.txt', content: 'only in contract A' }]);
    await send('support@parley.test', 'Contract B', [shared]);
    const a = await conversation(salesInbox, 'Contract A');
    const b = await conversation(defaultInbox, 'Contract B');
    const terms = a.idOf('terms.txt');
    expect(b.idOf('terms.txt')).toBe(terms); // content-addressed: one blob for both
    for (const id of [a.original, a.idOf('only-a.txt'), terms, b.original]) expect(existsSync(blobFile(id))).toBe(true);

    await deleteForever(a.id);
    await until('the blobs of conversation A are gone', () => !existsSync(blobFile(a.original)) && !existsSync(blobFile(a.idOf('only-a.txt'))));
    expect((await blob(a.original, admin)).status).toBe(404);
    expect((await blob(a.idOf('only-a.txt'), admin)).status).toBe(404);
    // Still referenced by conversation B: kept, and readable through it.
    expect(existsSync(blobFile(terms))).toBe(true);
    expect((await blob(terms, ann.token)).status).toBe(200);

    await deleteForever(b.id);
    await until('the blobs of conversation B are gone', () => !existsSync(blobFile(terms)) && !existsSync(blobFile(b.original)));
    expect((await blob(terms, admin)).status).toBe(404);
    expect((await blob(b.original, admin)).status).toBe(404);
  });
});
