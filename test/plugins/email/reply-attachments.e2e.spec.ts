import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { createTransport } from 'nodemailer';
import { inbound, startTestApp, type TestApp } from '../../support/app-harness';
import { SmtpSink } from './support/smtp-sink';

/**
 * Replies carrying files (issue 12 §5.2): uploaded to the conversation, named in the reply, sent
 * by the email channel as MIME attachments, shown on the reply and downloadable, only ever as a
 * download. Refused where the channel takes no files, over the size limit, or for someone else's
 * conversation.
 */
describe('replies with attachments', () => {
  const relay = new SmtpSink();
  let t: TestApp;
  let token: string;

  beforeAll(async () => {
    await relay.start();
    t = await startTestApp({ env: { SMTP_RELAY_URL: relay.url, PARLEY_INBOX_EMAIL: 'support@parley.test' } });
    token = await t.login();
  });
  afterAll(async () => {
    await t?.close();
    await relay.stop();
  });

  const get = (url: string) => t.request('GET', url, { token });
  async function until<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 10_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await probe();
      if (value) return value;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  const upload = (conversationId: string, filename: string, content: Buffer, type = 'application/pdf', auth = token) =>
    t.app.inject({
      method: 'POST',
      url: `/api/conversations/${conversationId}/attachments?filename=${encodeURIComponent(filename)}`,
      headers: { authorization: `Bearer ${auth}`, 'content-type': type },
      payload: content,
    });

  async function emailConversation(subject: string): Promise<string> {
    await createTransport({ host: '127.0.0.1', port: t.smtpPort, secure: false, ignoreTLS: true }).sendMail({
      from: 'Jane Roe <jane@customer.test>',
      to: 'support@parley.test',
      subject,
      text: 'Can you send me the invoice?',
    });
    return until(`conversation ${subject}`, async () => {
      const list = await get('/api/views/all-open/conversations?limit=200');
      return list.body.items.find((c: { subject: string }) => c.subject === subject)?.id as string | undefined;
    });
  }

  it('uploads a file, sends it with the reply as a MIME attachment, and shows it on the reply as a download', async () => {
    const id = await emailConversation('Invoice please');
    const pdf = Buffer.concat([Buffer.from('%PDF-1.4\n'), Buffer.alloc(3_000_000, 7)]); // over the JSON body limit (1 MiB)
    const uploaded = await upload(id, 'invoice 1042.pdf', pdf);
    expect(uploaded.statusCode).toBe(201);
    const { attachment } = uploaded.json();
    expect(attachment).toEqual({ id: expect.any(String), filename: 'invoice 1042.pdf', contentType: 'application/pdf', size: pdf.length });

    const reply = await t.request('POST', `/api/conversations/${id}/replies`, { token, body: { text: 'Here it is.', attachmentIds: [attachment.id] } });
    expect(reply.status).toBe(201);
    const sent = await until('the reply at the relay', async () => relay.received.find((m) => m.parsed.messageId === `<${reply.body.messageId}@parley.test>`));
    expect(sent.parsed.text).toContain('Here it is.');
    expect(sent.parsed.attachments).toHaveLength(1);
    expect(sent.parsed.attachments[0]).toMatchObject({ filename: 'invoice 1042.pdf', contentType: 'application/pdf', size: pdf.length });
    expect(Buffer.compare(sent.parsed.attachments[0].content, pdf)).toBe(0);

    const detail = await get(`/api/conversations/${id}`);
    const out = detail.body.messages.find((m: { id: string }) => m.id === reply.body.messageId);
    expect(out.attachments).toEqual([attachment]);

    const download = await t.app.inject({
      method: 'GET',
      url: `/api/conversations/${id}/attachments/${attachment.id}`,
      headers: { authorization: `Bearer ${token}` },
    });
    expect(download.statusCode).toBe(200);
    expect(download.headers['content-disposition']).toMatch(/^attachment; filename="invoice 1042.pdf"/);
    expect(download.headers['x-content-type-options']).toBe('nosniff');
    expect(Buffer.compare(download.rawPayload, pdf)).toBe(0);
  });

  it('delete forever removes the files of the conversation from the data folder', async () => {
    const id = await emailConversation('Delete me');
    const { attachment } = (await upload(id, 'secret.pdf', Buffer.from('%PDF secret'))).json();
    const folder = join(t.dataDir, 'attachments', id);
    expect(readdirSync(folder).sort()).toEqual([attachment.id, `${attachment.id}.json`].sort());
    expect((await t.request('POST', `/api/conversations/${id}/trash`, { token, body: {} })).status).toBe(200);
    expect((await t.request('DELETE', `/api/conversations/${id}`, { token })).status).toBeLessThan(300);
    await until('the files to go', async () => !existsSync(folder));
  });

  it('never serves an uploaded page as a page of our origin', async () => {
    const id = await emailConversation('Page upload');
    const uploaded = await upload(id, 'evil.html', Buffer.from('<script>alert(1)</script>'), 'text/html');
    expect(uploaded.statusCode).toBe(201);
    const download = await t.app.inject({
      method: 'GET',
      url: `/api/conversations/${id}/attachments/${uploaded.json().attachment.id}`,
      headers: { authorization: `Bearer ${token}` },
    });
    expect(download.headers['content-type']).toBe('application/octet-stream');
    expect(download.headers['content-disposition']).toMatch(/^attachment;/);
    expect(download.headers['content-security-policy']).toContain('sandbox');
  });

  it('refuses a file over 10 MiB with 413 naming the limit', async () => {
    const id = await emailConversation('Too big');
    const res = await upload(id, 'huge.bin', Buffer.alloc(10 * 1024 * 1024 + 1), 'application/octet-stream');
    expect(res.statusCode).toBe(413);
    expect(res.json()).toMatchObject({ code: 'attachment-too-large', message: expect.stringContaining('10485760 bytes (10 MiB)') });
  });

  it('refuses files on a channel that does not send them, an id from another conversation, and a conversation out of reach', async () => {
    const api = await t.request('POST', '/api/channels/api/messages', { token, body: inbound() });
    const refused = await upload(api.body.conversationId, 'a.pdf', Buffer.from('x'));
    expect(refused.statusCode).toBe(400);
    expect(refused.json().message).toMatch(/the api channel does not send attachments/);

    const first = await emailConversation('First');
    const second = await emailConversation('Second');
    const other = (await upload(first, 'a.pdf', Buffer.from('x'))).json().attachment;
    const reply = await t.request('POST', `/api/conversations/${second}/replies`, { token, body: { text: 'x', attachmentIds: [other.id] } });
    expect(reply.status).toBe(400);
    expect(reply.body.message).toMatch(new RegExp(`attachmentIds: ${other.id} is not a file uploaded to this conversation`));

    // An agent outside the inbox: the conversation answers as unknown, for upload and download alike.
    const created = await t.request('POST', '/api/agents', {
      token,
      body: { name: 'Outsider', email: 'out@example.com', password: 'outsider-password', role: 'agent' },
    });
    expect(created.status).toBe(201);
    const listed = await get('/api/inboxes');
    for (const inbox of (listed.body.inboxes ?? listed.body) as { id: string; memberIds: string[] }[]) {
      const members = inbox.memberIds.filter((m) => m !== created.body.id);
      expect((await t.request('PUT', `/api/inboxes/${inbox.id}/members`, { token, body: { agentIds: members } })).status).toBe(200);
    }
    const outsider = await t.login('out@example.com', 'outsider-password');
    expect((await upload(first, 'b.pdf', Buffer.from('x'), 'application/pdf', outsider)).statusCode).toBe(404);
    const peek = await t.app.inject({
      method: 'GET',
      url: `/api/conversations/${first}/attachments/${other.id}`,
      headers: { authorization: `Bearer ${outsider}` },
    });
    expect(peek.statusCode).toBe(404);
  });
});
