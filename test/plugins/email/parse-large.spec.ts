import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import MailComposer from 'nodemailer/lib/mail-composer';
import type Mail from 'nodemailer/lib/mailer';
import { parseEmail, parseEmailFile, STREAMED_PARSE_MIN_BYTES, UnreadableEmailError, type ParsedEmail } from '../../../src/plugins/email/inbound/parse-email';

/**
 * A large message is parsed from its file as a stream, its attachments written to files as they
 * are decoded: the result must be exactly what parsing it in memory gives.
 */
describe('parsing a large message from its file', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'parley-parse-large-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  async function both(options: Mail.Options): Promise<{ streamed: ParsedEmail; buffered: ParsedEmail; raw: Buffer }> {
    const raw = await new MailComposer(options).compile().build();
    expect(raw.length).toBeGreaterThanOrEqual(STREAMED_PARSE_MIN_BYTES);
    const file = join(dir, 'message.eml');
    writeFileSync(file, raw);
    const scratch = mkdtempSync(join(dir, 'parts-'));
    return { streamed: await parseEmailFile(file, scratch), buffered: await parseEmail(raw), raw };
  }

  /** Each attachment's bytes (as a hash: comparing megabytes byte by byte in expect is slow), wherever they are kept. */
  const contents = (email: ParsedEmail) =>
    email.attachments.map(({ body }) =>
      createHash('sha256')
        .update('bytes' in body ? body.bytes : readFileSync(body.file))
        .digest('hex'),
    );
  const withoutBodies = (email: ParsedEmail) => ({ ...email, attachments: email.attachments.map(({ body: _body, ...rest }) => rest) });

  it('gives what parsing in memory gives: headers, text, sanitised HTML with a small inline image, attachments', async () => {
    const big = randomBytes(2 * 1024 * 1024);
    const { streamed, buffered } = await both({
      from: 'Jane Roe <jane@customer.test>',
      to: 'support@parley.test',
      cc: 'bob@customer.test',
      subject: 'Scans of the broken kettle',
      messageId: '<large-1@customer.test>',
      inReplyTo: '<parent@parley.test>',
      references: ['<root@parley.test>', '<parent@parley.test>'],
      text: 'Here are the scans.',
      html: '<p>Here are the <b>scans</b>.<img src="cid:logo@customer.test"><script>alert(1)</script></p>',
      attachments: [
        { filename: 'logo.png', content: randomBytes(2000), contentType: 'image/png', cid: 'logo@customer.test' },
        { filename: 'scan.bin', content: big },
        { filename: 'notes.txt', content: 'plain notes' },
      ],
    });
    expect(withoutBodies(streamed)).toEqual(withoutBodies(buffered));
    expect(contents(streamed)).toEqual(contents(buffered));
    expect(streamed.attachments.some(({ body }) => 'file' in body)).toBe(true);
    expect(streamed.html).toContain('src="data:image/png;base64,');
    expect(streamed.html).not.toContain('<script');
  });

  it('streams a message that is only attachments too, with an inline image of 100 KB as in memory', async () => {
    const { streamed, buffered } = await both({
      from: 'scanner@customer.test',
      to: 'support@parley.test',
      messageId: '<scan-only@customer.test>',
      html: '<img src="cid:page@customer.test">',
      attachments: [
        { filename: 'page.png', content: randomBytes(100 * 1024), contentType: 'image/png', cid: 'page@customer.test' },
        { filename: 'scan.pdf', content: randomBytes(STREAMED_PARSE_MIN_BYTES), contentType: 'application/pdf' },
      ],
    });
    expect(streamed.attachments.some(({ body }) => 'file' in body)).toBe(true);
    expect(streamed.html).toContain('src="data:image/png;base64,');
    expect(withoutBodies(streamed)).toEqual(withoutBodies(buffered));
    expect(contents(streamed)).toEqual(contents(buffered));
  });

  it('finds the reported message of a large bounce in its returned message', async () => {
    const { streamed, buffered } = await both({
      from: 'MAILER-DAEMON@mx.customer.test',
      to: 'support@parley.test',
      subject: 'Undelivered Mail Returned to Sender',
      messageId: '<bounce-1@mx.customer.test>',
      text: 'The mail system could not deliver your message.',
      attachments: [
        { filename: 'scan.bin', content: randomBytes(STREAMED_PARSE_MIN_BYTES) },
        {
          filename: 'returned-headers.txt',
          content: 'Message-ID: <sent-by-us@parley.test>\r\nSubject: Your order\r\n',
          contentType: 'text/rfc822-headers',
          contentDisposition: 'attachment',
        },
      ],
    });
    expect(buffered.reportedMessageId).toBe('<sent-by-us@parley.test>');
    expect(streamed.reportedMessageId).toBe('<sent-by-us@parley.test>');
    expect(withoutBodies(streamed)).toEqual(withoutBodies(buffered));
  });

  it('a part that cannot be written is our failure (retry later), not an unreadable message', async () => {
    const raw = await new MailComposer({
      from: 'jane@customer.test',
      to: 'support@parley.test',
      subject: 'Disk full',
      messageId: '<disk@customer.test>',
      text: 'hi',
      attachments: [{ filename: 'big.bin', content: randomBytes(STREAMED_PARSE_MIN_BYTES) }],
    })
      .compile()
      .build();
    const file = join(dir, 'message.eml');
    writeFileSync(file, raw);
    const failure = await parseEmailFile(file, join(dir, 'no-such-folder')).then(
      () => null,
      (error: unknown) => error,
    );
    expect(failure).toMatchObject({ code: 'ENOENT' });
    expect(failure).not.toBeInstanceOf(UnreadableEmailError);
  });

  it('takes the in-memory path for what needs the whole message: no Message-ID, or unlabelled 8-bit text', async () => {
    const filler = { filename: 'filler.bin', content: randomBytes(STREAMED_PARSE_MIN_BYTES) };
    const noId = await both({
      from: 'jane@customer.test',
      to: 'support@parley.test',
      subject: 'No id',
      text: 'hello',
      attachments: [filler],
      headers: { 'Message-ID': '' },
    });
    expect(noId.streamed.messageIdSynthesised).toBe(noId.buffered.messageIdSynthesised);
    expect(noId.streamed.messageId).toBe(noId.buffered.messageId);
    expect(withoutBodies(noId.streamed)).toEqual(withoutBodies(noId.buffered));
  });
});
