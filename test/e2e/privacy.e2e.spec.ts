import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { deriveIds } from '../../src/application/streams';
import { inbound, startTestApp, type TestApp } from '../support/app-harness';
import { buildCli, dumpAllTables, runCli, type BuiltCli } from '../cli/cli-process';

/**
 * Privacy requests (docs/privacy.md) against a real app and the built CLI: export everything about
 * a contact, erase it, and then find none of its personal data in any answer or any table of the
 * data file, while `parley audit verify` still passes and `parley replay --check` finds the live
 * read models equal to a rebuild from the (now unreadable) log.
 */
describe('export and erasure of a contact', () => {
  let built: BuiltCli | undefined;
  let t: TestApp;
  let admin: string;
  let agent: string;
  let inboxId: string;

  const unique = randomUUID().slice(0, 8);
  const ada = { address: `ada.${unique}@example.org`, name: `Ada Quillfeather${unique}` };
  const secrets = [ada.address, `Quillfeather${unique}`, `Marzipanwagon${unique}`, `Zebracrossing${unique}`, `Hollowpine${unique}`, `invoice-${unique}.pdf`];
  const contactId = deriveIds.contact(ada.address);
  const ids: string[] = [];
  let otherId: string;

  const get = (url: string, token = admin) => t.request('GET', url, { token });
  const post = (url: string, body: unknown = {}, token = admin) => t.request('POST', url, { token, body });
  const leaks = (text: string) => secrets.filter((secret) => text.toLowerCase().includes(secret.toLowerCase()));

  beforeAll(async () => {
    [built, t] = await Promise.all([buildCli('privacy'), startTestApp()]);
    admin = await t.login();
    inboxId = ((await get('/api/inboxes')).body.inboxes as Array<{ id: string; isDefault: boolean }>).find((inbox) => inbox.isDefault)!.id;
    const email = `agent-${unique}@parley.test`;
    expect((await post('/api/agents', { name: 'Plain Agent', email, password: 'agent-password-1', role: 'agent' })).status).toBe(201);
    agent = await t.login(email, 'agent-password-1');

    const first = await post(
      '/api/channels/api/messages',
      inbound({ from: ada, subject: `Marzipanwagon${unique} order`, text: `My code is Zebracrossing${unique}` }),
    );
    expect(first.status).toBeLessThan(300);
    ids.push(first.body.conversationId);
    const second = await post(
      '/api/channels/api/messages',
      inbound({ from: ada, subject: 'Another question', text: `Second thread Hollowpine${unique}`, attachments: undefined }),
    );
    ids.push(second.body.conversationId);
    expect((await post(`/api/conversations/${ids[0]}/comments`, { text: `Called Ada Quillfeather${unique} back` })).status).toBeLessThan(300);
    expect((await post(`/api/conversations/${ids[1]}/trash`)).status).toBeLessThan(300);
    otherId = (await post('/api/channels/api/messages', inbound({ subject: `Unrelated ${unique}`, text: 'Someone else entirely' }))).body.conversationId;
    // The contact record is made by a process manager, just after the message.
    for (let i = 0; i < 100 && (await get(`/api/contacts/${contactId}`)).status !== 200; i += 1) await new Promise((r) => setTimeout(r, 50));
  }, 240_000);

  afterAll(async () => {
    await t?.close();
    built?.remove();
  });

  it('lets only admins export or erase', async () => {
    expect((await get(`/api/contacts/${contactId}/export`, agent)).status).toBe(403);
    expect((await post(`/api/contacts/${contactId}/erase`, { confirm: contactId }, agent)).status).toBe(403);
    expect((await get(`/api/contacts/${randomUUID()}/export`)).status).toBe(404);
  });

  it("exports the contact's record, conversations (trashed too), messages, comments and timeline as a JSON download", async () => {
    const res = await get(`/api/contacts/${contactId}/export`);
    expect(res.status).toBe(200);
    expect(res.headers['content-disposition']).toBe(`attachment; filename="parley-contact-${contactId}.json"`);
    expect(res.body.contactId).toBe(contactId);
    expect(res.body.conversations.map((c: { id: string }) => c.id).sort()).toEqual([...ids].sort());
    const text = JSON.stringify(res.body);
    expect(text).toContain(`My code is Zebracrossing${unique}`);
    expect(text).toContain(`Second thread Hollowpine${unique}`);
    expect(text).toContain(`Called Ada Quillfeather${unique} back`);
    expect(text).not.toContain('Someone else entirely');
    expect(res.body.timeline.map((e: { type: string }) => e.type)).toEqual(expect.arrayContaining(['ConversationStarted', 'MessageReceived', 'CommentAdded']));
  });

  it('erases nothing without the contact id repeated', async () => {
    const res = await post(`/api/contacts/${contactId}/erase`, { confirm: 'yes' });
    expect(res.status).toBe(400);
    expect(res.body.message).toContain('confirm');
    expect(JSON.stringify((await get(`/api/conversations/${ids[0]}`)).body)).toContain(`Zebracrossing${unique}`);
  });

  describe('after the erasure', () => {
    beforeAll(async () => {
      const res = await post(`/api/contacts/${contactId}/erase`, { confirm: contactId });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ contactId, erased: true, conversations: 2, tickets: 0 });
    });

    it('answers none of its personal data anywhere in the API, and erasing again changes nothing', async () => {
      const urls = [
        `/api/contacts/${contactId}`,
        `/api/contacts/${contactId}/export`,
        `/api/conversations?inboxId=${inboxId}&q=${encodeURIComponent(`Zebracrossing${unique}`)}`,
        `/api/conversations?inboxId=${inboxId}&q=${encodeURIComponent(ada.address)}`,
        `/api/conversations?inboxId=${inboxId}`,
        `/api/views/all/conversations?inboxId=${inboxId}`,
        `/api/contacts?q=${encodeURIComponent(`Quillfeather${unique}`)}`,
        ...ids.flatMap((id) => [`/api/conversations/${id}`, `/api/conversations/${id}/history`, `/api/conversations/${id}?at=2099-01-01T00:00:00Z`]),
      ];
      for (const url of urls) {
        const res = await get(url);
        expect({ url, leaks: leaks(JSON.stringify(res.body ?? '')) }).toEqual({ url, leaks: [] });
      }
      // The conversations are still there, without their words; the unrelated one is untouched.
      const thread = (await get(`/api/conversations/${ids[0]}`)).body;
      expect(thread.messages).toHaveLength(1);
      expect(thread.messages[0].text).toBe('');
      expect(JSON.stringify((await get(`/api/conversations/${otherId}`)).body)).toContain('Someone else entirely');
      const again = await post(`/api/contacts/${contactId}/erase`, { confirm: contactId });
      expect(again.status).toBe(200);
      expect(again.body).toEqual({ contactId, erased: true, conversations: 2, tickets: 0 });
    });

    it('leaves none of it in any table of the data file, the event log included (sealed there)', () => {
      const db = new Database(join(t.dataDir, 'parley.db'), { readonly: true });
      try {
        const found: string[] = [];
        for (const [table, rows] of Object.entries(dumpAllTables(db))) {
          const text = rows.join('\n');
          for (const secret of secrets) {
            const hex = Buffer.from(secret.toLowerCase(), 'utf8').toString('hex');
            if (text.toLowerCase().includes(secret.toLowerCase()) || text.includes(hex)) found.push(`${table}: ${secret}`);
          }
        }
        expect(found).toEqual([]);
        expect(
          db.prepare("SELECT COUNT(*) FROM events WHERE stream_id = ? AND data LIKE '%sealed:v1:%'").pluck().get(`conversation-${ids[0]}`),
        ).toBeGreaterThan(0);
      } finally {
        db.close();
      }
    });

    it('keeps every hash chain intact (parley audit verify) and the read models equal to a rebuild (parley replay --check)', async () => {
      const verify = await runCli(built!.entry, ['--data-dir', t.dataDir, 'audit', 'verify', '--all']);
      expect(verify.stdout).toContain('every chain is intact');
      expect(verify.code).toBe(0);
      const one = await runCli(built!.entry, ['--data-dir', t.dataDir, 'audit', 'verify', '--conversation', ids[0]]);
      expect(one.code).toBe(0);
      expect((await get(`/api/audit/verify?conversationId=${ids[0]}`)).body).toMatchObject({ ok: true });
      const check = await runCli(built!.entry, ['--data-dir', t.dataDir, 'replay', '--check', '--force'], {}, 120_000);
      expect({ code: check.code, out: check.stdout }).toEqual({ code: 0, out: expect.stringContaining('the live read models equal the rebuilt ones') });
    }, 180_000);
  });
});
