import { createTransport } from 'nodemailer';
import { createEmailPlugin, type EmailPlugin } from '../../../src/plugins/email/email-plugin';
import { MemoryKeyValueStore } from '../../../src/plugins/email/storage/key-value-store';
import { FakeHost } from './support/fake-host';
import { RawSmtpClient } from './support/raw-smtp';

const DAY = 24 * 60 * 60 * 1000;

/** The email channel's SMTP listener with a fake host: real SMTP sessions, from nodemailer and from a raw client. */
describe('email channel: inbound SMTP', () => {
  let host: FakeHost;
  let plugin: EmailPlugin;
  let now: Date;

  async function start(options: Parameters<typeof createEmailPlugin>[0] = {}) {
    host = new FakeHost();
    now = new Date('2026-11-24T10:00:00.000Z');
    plugin = createEmailPlugin({
      smtpPort: 0,
      smtpHost: '127.0.0.1',
      storage: new MemoryKeyValueStore(),
      inboxEmail: 'support@localhost',
      clock: () => now,
      smtpCloseTimeoutMs: 500,
      ...options,
    });
    await plugin.connect(host.connection);
    await host.start();
  }
  afterEach(() => host.stop());

  const mailer = () => createTransport({ host: '127.0.0.1', port: plugin.smtpPort(), secure: false, ignoreTLS: true });
  const send = (mail: Record<string, unknown>) => mailer().sendMail({ from: 'Jane Roe <jane@customer.test>', to: 'support@localhost', ...mail });

  describe('receiving', () => {
    beforeEach(() => start());

    it('stores a message sent by nodemailer, with its text, sanitised HTML and sender', async () => {
      const info = await send({
        subject: 'Hello',
        text: 'Hi there',
        html: '<p onclick="steal()">Hi <script>alert(1)</script>there</p>',
        messageId: '<hello-1@customer.test>',
      });
      expect(info.response).toMatch(/^250 .*stored as <hello-1@customer\.test>/);
      expect(host.messages).toEqual([
        expect.objectContaining({
          channel: 'email',
          externalThreadId: '<hello-1@customer.test>',
          externalMessageId: '<hello-1@customer.test>',
          from: { address: 'jane@customer.test', name: 'Jane Roe' },
          to: [{ address: 'support@localhost' }],
          subject: 'Hello',
          text: 'Hi there',
          html: '<p>Hi there</p>',
          receivedAt: now.toISOString(),
        }),
      ]);
    });

    it('a retried delivery of the same Message-ID is stored once, also when both arrive at the same time', async () => {
      const mail = { subject: 'Twice', text: 'Same message', messageId: '<twice@customer.test>' };
      await send(mail);
      await send(mail);
      const replies = await Promise.all([send({ ...mail, messageId: '<thrice@customer.test>' }), send({ ...mail, messageId: '<thrice@customer.test>' })]);
      expect(replies.map((r) => r.response)).toEqual(expect.arrayContaining([expect.stringMatching(/Ok: stored/), expect.stringMatching(/already stored/)]));
      expect(host.messages.map((m) => m.externalMessageId)).toEqual(['<twice@customer.test>', '<thrice@customer.test>']);
    });

    it('a message without a Message-ID, delivered twice, is stored once', async () => {
      const raw = Buffer.from('From: jane@customer.test\r\nTo: support@localhost\r\nSubject: No id\r\n\r\nNo Message-ID here.\r\n');
      for (const hop of ['mx1', 'mx2']) {
        // Another relay path adds other trace headers: still the same message.
        const withTrace = Buffer.concat([Buffer.from(`Received: from ${hop}.customer.test by parley; Tue, 24 Nov 2026 10:00:00 +0000\r\n`), raw]);
        const { client } = await RawSmtpClient.open(plugin.smtpPort());
        expect((await client.send(withTrace, { from: 'jane@customer.test', to: ['support@localhost'] })).code).toBe(250);
        await client.quit();
      }
      expect(host.messages).toHaveLength(1);
      expect(host.messages[0].externalMessageId).toMatch(/^<sha256\.[0-9a-f]{40}@parley\.invalid>$/);
    });
  });

  describe('threading', () => {
    beforeEach(() => start());

    it('follows a reply chain by In-Reply-To and References, whatever the client keeps of them', async () => {
      await send({ subject: 'Order 1042', text: 'Where is it?', messageId: '<a@customer.test>' });
      await send({ subject: 'Re: Order 1042', text: 'Any news?', messageId: '<b@customer.test>', inReplyTo: '<a@customer.test>' });
      await send({
        subject: 'Re: Order 1042',
        text: 'Still waiting',
        messageId: '<c@customer.test>',
        inReplyTo: '<b@customer.test>',
        references: ['<a@customer.test>', '<b@customer.test>'],
      });
      // A client that keeps only In-Reply-To, pointing at the latest message.
      await send({ subject: 'Re: Order 1042', text: 'Hello?', messageId: '<d@customer.test>', inReplyTo: '<c@customer.test>' });
      // A client that keeps only References, with a parent we never saw in the middle.
      await send({ subject: 'Re: Order 1042', text: 'Ping', messageId: '<e@customer.test>', references: ['<unseen@elsewhere.test>', '<d@customer.test>'] });
      expect(host.messages.map((m) => [m.externalMessageId, m.externalThreadId])).toEqual([
        ['<a@customer.test>', '<a@customer.test>'],
        ['<b@customer.test>', '<a@customer.test>'],
        ['<c@customer.test>', '<a@customer.test>'],
        ['<d@customer.test>', '<a@customer.test>'],
        ['<e@customer.test>', '<a@customer.test>'],
      ]);
      expect(host.conversations().size).toBe(1);
    });

    it('a reply whose parents this channel never saw is threaded under the oldest Reference, and its siblings join it', async () => {
      await send({ subject: 'Re: Project', text: 'cc-ed late', messageId: '<x2@partner.test>', references: ['<x0@partner.test>', '<x1@partner.test>'] });
      await send({ subject: 'Re: Project', text: 'another one', messageId: '<x3@partner.test>', references: ['<x0@partner.test>', '<x2@partner.test>'] });
      expect(host.messages.map((m) => m.externalThreadId)).toEqual(['<x0@partner.test>', '<x0@partner.test>']);
    });

    it('falls back to the subject and sender within 30 days when the headers are gone', async () => {
      await send({ subject: 'Question about billing', text: 'first', messageId: '<q1@customer.test>' });
      now = new Date(now.getTime() + DAY);
      await send({ subject: 'Re: Question about billing', text: 'headers stripped by a webmail', messageId: '<q2@customer.test>' });
      await send({ subject: 'AW: SV: Fwd:  question about   BILLING', text: 'markers in other languages', messageId: '<q3@customer.test>' });
      await send({ subject: 'Re[2]: Question about billing', text: 'with a counter', messageId: '<q4@customer.test>' });
      // Another sender with the same subject: another conversation.
      await send({ from: 'other@customer.test', subject: 'Re: Question about billing', text: 'not the same person', messageId: '<q5@customer.test>' });
      // No reply marker: a new conversation even with the same subject.
      await send({ subject: 'Question about billing', text: 'a new question', messageId: '<q6@customer.test>' });
      // The last message of the thread was more than 30 days ago: a new conversation.
      now = new Date(now.getTime() + 31 * DAY);
      await send({ subject: 'Re: Question about billing', text: 'much later', messageId: '<q7@customer.test>' });

      expect(host.messages.map((m) => [m.externalMessageId, m.externalThreadId])).toEqual([
        ['<q1@customer.test>', '<q1@customer.test>'],
        ['<q2@customer.test>', '<q1@customer.test>'],
        ['<q3@customer.test>', '<q1@customer.test>'],
        ['<q4@customer.test>', '<q1@customer.test>'],
        ['<q5@customer.test>', '<q5@customer.test>'],
        ['<q6@customer.test>', '<q6@customer.test>'],
        ['<q7@customer.test>', '<q7@customer.test>'],
      ]);
    });

    it('a bounce joins the thread of the message it reports on', async () => {
      await send({ subject: 'Order', text: 'original', messageId: '<orig@customer.test>' });
      const bounce = [
        'From: MAILER-DAEMON@mx.customer.test',
        'To: support@localhost',
        'Subject: Undelivered Mail Returned to Sender',
        'Message-ID: <bounce-1@mx.customer.test>',
        'Content-Type: multipart/report; report-type=delivery-status; boundary="R"',
        '',
        '--R',
        'Content-Type: text/plain',
        '',
        'Delivery failed.',
        '--R',
        'Content-Type: text/rfc822-headers',
        '',
        'From: jane@customer.test',
        'Message-ID: <orig@customer.test>',
        '',
        '--R--',
        '',
      ].join('\r\n');
      const { client } = await RawSmtpClient.open(plugin.smtpPort());
      expect((await client.send(Buffer.from(bounce), { from: '', to: ['support@localhost'] })).code).toBe(250);
      await client.quit();
      expect(host.messages.map((m) => m.externalThreadId)).toEqual(['<orig@customer.test>', '<orig@customer.test>']);
    });
  });

  describe('inboxes', () => {
    it('routes by RCPT TO: each inbox gets the message once, unknown addresses go to the default inbox', async () => {
      const inboxes: Record<string, string> = { 'sales@parley.test': 'inbox-sales', 'billing@parley.test': 'inbox-billing' };
      await start({ inboxes: { findByEmailAddress: async (address) => (inboxes[address] ? { id: inboxes[address] } : null) } });
      await send({
        to: ['Sales@Parley.test', 'billing@parley.test', 'nobody@parley.test', 'support@localhost'],
        subject: 'To everyone',
        text: 'hi',
        messageId: '<all@customer.test>',
      });
      expect(host.messages.map((m) => m.inboxId ?? 'default').sort()).toEqual(['default', 'inbox-billing', 'inbox-sales']);
    });
  });

  describe('limits and refusals', () => {
    beforeEach(() => start({ maxMessageBytes: 64 * 1024 }));

    it('refuses a message over the size limit with 552, announced in EHLO and checked on the actual stream', async () => {
      const { client } = await RawSmtpClient.open(plugin.smtpPort());
      const ehlo = await client.command('EHLO test.example');
      expect(ehlo.text).toMatch(/SIZE 65536/);
      // Declared too big: refused before any data.
      expect(await client.command('MAIL FROM:<jane@customer.test> SIZE=100000')).toMatchObject({ code: 552 });
      // Declared small, sent big: refused after the data.
      expect(await client.command('MAIL FROM:<jane@customer.test> SIZE=1000')).toMatchObject({ code: 250 });
      expect(await client.command('RCPT TO:<support@localhost>')).toMatchObject({ code: 250 });
      const big = Buffer.from(`From: jane@customer.test\r\nSubject: big\r\n\r\n${'x'.repeat(998)}\r\n`.repeat(80));
      expect(await client.data(big)).toEqual({ code: 552, text: expect.stringMatching(/5\.3\.4 Message too big/) });
      // The session goes on: a small message on the same connection is stored.
      expect(await client.command('MAIL FROM:<jane@customer.test>')).toMatchObject({ code: 250 });
      expect(await client.command('RCPT TO:<support@localhost>')).toMatchObject({ code: 250 });
      expect(await client.data(Buffer.from('From: jane@customer.test\r\nSubject: small\r\n\r\nsmall\r\n'))).toMatchObject({ code: 250 });
      await client.quit();
      expect(host.messages.map((m) => m.subject)).toEqual(['small']);
    });

    it('nodemailer sees the 552 too', async () => {
      await expect(send({ subject: 'big', text: 'y'.repeat(100 * 1024) })).rejects.toMatchObject({ responseCode: 552 });
      expect(host.messages).toHaveLength(0);
    });

    it('refuses a header section larger than the limit with 552', async () => {
      await host.stop();
      await start({ maxMessageBytes: 2 * 1024 * 1024 });
      const raw = Buffer.from(`From: jane@customer.test\r\nX-Huge: ${'h'.repeat(1100 * 1024)}\r\nSubject: huge header\r\n\r\nbody\r\n`);
      const { client } = await RawSmtpClient.open(plugin.smtpPort());
      expect(await client.send(raw, { from: 'jane@customer.test', to: ['support@localhost'] })).toEqual({
        code: 552,
        text: expect.stringMatching(/header section is larger/),
      });
      await client.quit();
    });
  });

  describe('the server never crashes', () => {
    beforeEach(() => start({ maxMessageBytes: 64 * 1024 }));

    it('answers garbage, bad sequences and bad addresses with SMTP errors and goes on', async () => {
      const { client } = await RawSmtpClient.open(plugin.smtpPort());
      expect((await client.command('\u0000\u0001\u00ff garbage')).code).toBeGreaterThanOrEqual(500);
      expect((await client.command('RCPT TO:<support@localhost>')).code).toBe(503);
      expect((await client.command('DATA')).code).toBe(503);
      expect((await client.command('EHLO test.example')).code).toBe(250);
      expect((await client.command('AUTH PLAIN AGFkbWluAHNlY3JldA==')).code).toBeGreaterThanOrEqual(500);
      expect((await client.command('STARTTLS')).code).toBeGreaterThanOrEqual(500);
      expect((await client.command('MAIL FROM:<not an address>')).code).toBeGreaterThanOrEqual(500);
      expect((await client.command('MAIL FROM:<jane@customer.test>')).code).toBe(250);
      expect((await client.command('RCPT TO:<no-at-sign>')).code).toBeGreaterThanOrEqual(500);
      await client.quit();
      await expectStillWorking();
    });

    it('survives an overlong command line and clients that hang up mid-message', async () => {
      const long = await RawSmtpClient.open(plugin.smtpPort());
      long.client.writeRaw(`EHLO ${'a'.repeat(64 * 1024)}\r\n`);
      await long.client.next();
      long.client.destroy();

      const midData = await RawSmtpClient.open(plugin.smtpPort());
      await midData.client.command('EHLO test.example');
      await midData.client.command('MAIL FROM:<jane@customer.test>');
      await midData.client.command('RCPT TO:<support@localhost>');
      await midData.client.command('DATA');
      midData.client.writeRaw('From: jane@customer.test\r\nSubject: cut\r\n\r\nhalf a mess');
      midData.client.destroy();

      const abrupt = await RawSmtpClient.open(plugin.smtpPort());
      abrupt.client.destroy();

      await new Promise((resolve) => setTimeout(resolve, 50));
      await expectStillWorking();
      expect(host.messages.map((m) => m.subject)).toEqual(['still working']);
    });

    it('answers 451 when the core fails (the sender retries), 550 when the core refuses the message', async () => {
      host.failIngestWith = new Error('database is locked');
      await expect(send({ subject: 'later', text: 'retry me', messageId: '<retry@customer.test>' })).rejects.toMatchObject({ responseCode: 451 });
      host.failIngestWith = Object.assign(new Error('from.address must not be empty'), { statusCode: 400 });
      await expect(send({ subject: 'never', text: 'refused', messageId: '<never@customer.test>' })).rejects.toMatchObject({ responseCode: 550 });
      host.failIngestWith = null;
      // The retried delivery goes through once the core is back.
      await send({ subject: 'later', text: 'retry me', messageId: '<retry@customer.test>' });
      expect(host.messages.map((m) => m.externalMessageId)).toEqual(['<retry@customer.test>']);
    });

    async function expectStillWorking() {
      const info = await send({ subject: 'still working', text: 'yes' });
      expect(info.response).toMatch(/^250/);
    }
  });

  it('stops: open sessions are closed, the port is released', async () => {
    await start();
    const port = plugin.smtpPort();
    const { client } = await RawSmtpClient.open(port);
    await client.command('EHLO test.example');
    const started = Date.now();
    await host.stop();
    expect(Date.now() - started).toBeLessThan(3000);
    await expect(RawSmtpClient.open(port)).rejects.toThrow();
    client.destroy();
    host = new FakeHost(); // afterEach stops a host with nothing started
  });
});
