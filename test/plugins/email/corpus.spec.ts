import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEmailPlugin, type EmailPlugin } from '../../../src/plugins/email/email-plugin';
import type { InboundMessage } from '../../../src/plugins/channel-plugin';
import { FakeHost } from './support/fake-host';
import { RawSmtpClient } from './support/raw-smtp';

/**
 * Odd real-world messages (test/fixtures/email/*.eml, written by hand), each delivered over SMTP
 * to the email channel and checked against what an agent must see: stored with the right key
 * fields, or refused with the right SMTP code. Every stored message is then delivered again and
 * must not be stored twice; its original bytes must come back from the channel's storage.
 */
const FIXTURES = join(__dirname, '..', '..', 'fixtures', 'email');
const ENVELOPE_FROM = 'bounces@envelope.example';

interface Stored {
  outcome: 'stored';
  from: { address: string; name?: string };
  subject: string;
  text?: RegExp | string;
  html?: Array<RegExp | string>;
  htmlExcludes?: Array<RegExp | string>;
  noHtml?: true;
  attachments?: Array<[filename: string, contentType: string]>;
  messageId?: RegExp | string;
  threadId?: string;
  to?: string[];
  envelopeFrom?: string;
}
interface Refused {
  outcome: 'refused';
  code: number;
  reply: RegExp;
  envelopeFrom?: string;
}

const corpus: Record<string, Stored | Refused> = {
  '01-plain-text.eml': {
    outcome: 'stored',
    from: { address: 'ana@customer.example', name: 'Ana Lopez' },
    subject: 'Where is my order?',
    text: 'order 1042 has not arrived yet',
    noHtml: true,
    messageId: '<plain-1@customer.example>',
    threadId: '<plain-1@customer.example>',
    to: ['support@localhost'],
  },
  '02-multipart-alternative.eml': {
    outcome: 'stored',
    from: { address: 'bo@customer.example', name: 'Bo Berg' },
    subject: 'Invoice 2026-11',
    text: 'it should be 100 EUR',
    html: ['<b>wrong</b>'],
    htmlExcludes: ['<style', 'color: red', '<title'],
  },
  '03-html-only.eml': {
    outcome: 'stored',
    from: { address: 'shop@customer.example' },
    subject: 'HTML only',
    text: /Only HTML here\./,
    html: ['<strong>HTML</strong>', 'rel="noopener noreferrer nofollow"', 'target="_blank"'],
  },
  '04-inline-image-cid.eml': {
    outcome: 'stored',
    from: { address: 'cleo@customer.example', name: 'Cleo' },
    subject: 'Screenshot of the error',
    text: 'See the screenshot:',
    html: ['src="data:image/png;base64,'],
    htmlExcludes: ['cid:'],
    attachments: [['screenshot.png', 'image/png']],
  },
  '05-winmail-dat.eml': {
    outcome: 'stored',
    from: { address: 'dirk@outlook-user.example', name: 'Dirk' },
    subject: 'Contract attached',
    text: 'Please find the contract attached.',
    attachments: [['winmail.dat', 'application/ms-tnef']],
  },
  '06-iso-8859-1.eml': {
    outcome: 'stored',
    from: { address: 'juergen@kunde.example', name: 'Jürgen Müller' },
    subject: 'Grüße aus München',
    text: 'Viele Grüße aus München, die Lieferung ist schön angekommen.',
  },
  '07-windows-1252.eml': {
    outcome: 'stored',
    from: { address: 'erin@customer.example', name: 'Erin' },
    subject: 'Smart quotes',
    text: 'The “premium” plan costs 20 € – that’s too much.',
  },
  '08-shift-jis.eml': {
    outcome: 'stored',
    from: { address: 'yamada@kaisha.example', name: '山田' },
    subject: 'こんにちは',
    text: 'こんにちは。注文の状況を教えてください。',
  },
  '09-koi8-r.eml': {
    outcome: 'stored',
    from: { address: 'ivan@klient.example', name: 'Ivan' },
    subject: 'Привет',
    text: 'Привет, мир! Где мой заказ?',
  },
  '10-quoted-printable.eml': {
    outcome: 'stored',
    from: { address: 'fleur@client.example', name: 'Fleur' },
    subject: 'Quoted-printable',
    text: /^Résumé of the café meeting: (très bien, ){12}à bientôt\.$/m,
  },
  '11-base64-body.eml': {
    outcome: 'stored',
    from: { address: 'gus@customer.example', name: 'Gus' },
    subject: 'Base64 body',
    text: 'Base64 encoded text, with ünïcödé and 😀 inside.',
  },
  '12-very-long-lines.eml': {
    outcome: 'stored',
    from: { address: 'hal@customer.example', name: 'Hal' },
    subject: 'One very long line',
    text: /^START (lorem ipsum dolor sit amet ){800}END$/m,
  },
  '13-missing-from.eml': {
    outcome: 'stored',
    envelopeFrom: 'script@robots.example',
    from: { address: 'script@robots.example' },
    subject: 'No From header',
    text: 'Sent by a script that forgot the From header.',
  },
  '14-missing-from-null-sender.eml': { outcome: 'refused', envelopeFrom: '', code: 550, reply: /no sender/i },
  '15-missing-message-id.eml': {
    outcome: 'stored',
    from: { address: 'ines@customer.example', name: 'Ines' },
    subject: 'No Message-ID',
    text: 'My client does not set a Message-ID.',
    messageId: /^<sha256\.[0-9a-f]{40}@parley\.invalid>$/,
  },
  '16-huge-headers.eml': {
    outcome: 'stored',
    from: { address: 'jo@customer.example', name: 'Jo' },
    subject: 'Many hops',
    text: 'This message went through fifteen hundred relays.',
  },
  '17-nested-rfc822.eml': {
    outcome: 'stored',
    from: { address: 'kim@customer.example', name: 'Kim' },
    subject: 'Fwd: Your receipt',
    text: 'Forwarding the receipt I got, the amount is wrong.',
    attachments: [['receipt.eml', 'message/rfc822']],
  },
  '18-calendar-invite.eml': {
    outcome: 'stored',
    from: { address: 'lea@partner.example', name: 'Lea' },
    subject: 'Invitation: Onboarding call',
    text: 'You are invited to the onboarding call on 1 December at 10:00.',
    attachments: [
      ['invite-1.ics', 'text/calendar'],
      ['invite.ics', 'application/ics'],
    ],
  },
  '19-bounce-dsn.eml': {
    outcome: 'stored',
    from: { address: 'MAILER-DAEMON@mx.customer.example', name: 'Mail Delivery System' },
    subject: 'Undelivered Mail Returned to Sender',
    text: /user unknown[\s\S]*Status: 5\.1\.1/,
    attachments: [['returned-headers-1.txt', 'text/rfc822-headers']],
  },
  '20-malformed-boundary.eml': {
    outcome: 'stored',
    from: { address: 'max@customer.example', name: 'Max' },
    subject: 'Broken boundary',
    text: 'The generator of this mail wrote the wrong boundary.',
    attachments: [],
  },
  '21-missing-closing-boundary.eml': {
    outcome: 'stored',
    from: { address: 'nia@customer.example', name: 'Nia' },
    subject: 'Truncated multipart',
    text: 'The closing boundary of this message never comes.',
    html: ['<p>The closing boundary of this message never comes.</p>'],
  },
  '22-8bit-no-charset.eml': {
    outcome: 'stored',
    from: { address: 'odile@client.example', name: 'Odile' },
    subject: 'Commande',
    text: "Un café crème et une tarte à la crème, s'il vous plaît.",
  },
  '23-emoji-subject-rfc2047.eml': {
    outcome: 'stored',
    from: { address: 'paul@customer.example', name: 'Paul 😀' },
    subject: '🎉 Party time 🎂 — join us',
    text: 'Cake 🎂 and balloons 🎈.',
  },
  '24-rfc822-no-mime.eml': {
    outcome: 'stored',
    from: { address: 'quinn@oldschool.example' },
    subject: 'Plain old RFC 822',
    text: 'No MIME headers at all, just text.',
  },
  '25-hostile-html.eml': {
    outcome: 'stored',
    from: { address: 'rita@attacker.example', name: 'Rita' },
    subject: 'Totally safe HTML',
    text: /Hello\s+agent/,
    html: [
      '<p>Hello agent</p>',
      'src="https://tracker.example/pixel.gif"',
      'src="data:image/png;base64,',
      'href="https://example.com/ok"',
      'style="color:red"',
      'style="font-weight:bold"',
    ],
    htmlExcludes: [
      /<script/i,
      /alert/i,
      /onerror|onload|onclick/i,
      /javascript:/i,
      /data:text/i,
      /<svg|image\/svg/i,
      /<iframe|<form|<input|<button|<object|<embed|<math|<link|<meta|<base|<style/i,
      /url\(/i,
      /expression/i,
      /position/i,
      /src="x"/,
      /evil\.example/,
      /<!--/,
    ],
  },
  '26-reply-with-references.eml': {
    outcome: 'stored',
    from: { address: 'ana@customer.example', name: 'Ana Lopez' },
    subject: 'Re: Where is my order?',
    text: 'Thanks, it arrived!',
    messageId: '<plain-3@customer.example>',
    // Neither parent was seen by this channel: the thread is the oldest Reference.
    threadId: '<plain-1@customer.example>',
  },
  '27-utf8-8bit-headers.eml': {
    outcome: 'stored',
    from: { address: 'soren@kunde.example', name: 'Søren Ærø' },
    subject: 'Spørgsmål om fakturaen',
    text: 'Hej, jeg har et spørgsmål om fakturaen.',
  },
  '28-latin1-8bit-headers.eml': {
    outcome: 'stored',
    from: { address: 'rene@client.example', name: 'René' },
    subject: 'Réunion de décembre',
    text: 'La réunion est déplacée.',
  },
  '29-subject-only.eml': {
    outcome: 'stored',
    from: { address: 'sam@customer.example', name: 'Sam' },
    subject: 'Please call me back',
    text: '',
  },
  '30-nothing-readable.eml': { outcome: 'refused', code: 554, reply: /nothing to store/ },
  '31-binary-garbage.eml': { outcome: 'refused', code: 554, reply: /nothing to store/ },
  '32-unknown-charset.eml': {
    outcome: 'stored',
    from: { address: 'uma@customer.example', name: 'Uma' },
    subject: 'Unknown charset',
    text: 'Plain ASCII text under a charset nobody knows.',
  },
  '33-undisclosed-recipients.eml': {
    outcome: 'stored',
    from: { address: 'vera@customer.example', name: 'Vera' },
    subject: 'Bcc only',
    text: 'Sent to the support address as Bcc.',
    // No usable To: header: the recipients of the envelope.
    to: ['support@localhost'],
  },
  '34-rfc2231-filename.eml': {
    outcome: 'stored',
    from: { address: 'wes@kunde.example', name: 'Wes' },
    subject: 'Rechnung',
    text: 'Die Rechnung hängt an.',
    attachments: [['€ Rechnung März.pdf', 'application/pdf']],
  },
  '35-role-address-newsletter.eml': {
    outcome: 'stored',
    from: { address: 'newsletter@brand.example', name: 'Newsletter' },
    subject: 'Our November deals',
    text: 'Fifty percent off everything.',
  },
  '36-iso-2022-jp.eml': {
    outcome: 'stored',
    from: { address: 'suzuki@kaisha.example', name: '山田' },
    subject: 'こんにちは',
    text: 'お世話になっております。',
  },
  '37-apple-nested-alternative-related.eml': {
    outcome: 'stored',
    from: { address: 'xia@mac.example', name: 'Xia' },
    subject: 'Logo on the invoice',
    text: 'Our logo is missing on the invoice, see below.',
    html: ['<img alt="logo" src="data:image/png;base64,'],
    attachments: [['logo.png', 'image/png']],
  },
  '38-multipart-8bit-parts-no-charset.eml': {
    outcome: 'stored',
    from: { address: 'yann@client.example', name: 'Yann' },
    subject: 'Pièce jointe',
    text: "Voilà la pièce jointe, merci d'avance.",
    attachments: [['notes.txt', 'text/plain']],
  },
};

describe('email corpus over SMTP', () => {
  const host = new FakeHost();
  const storageDir = mkdtempSync(join(tmpdir(), 'parley-email-corpus-'));
  let plugin: EmailPlugin;

  beforeAll(async () => {
    plugin = createEmailPlugin({ smtpPort: 0, smtpHost: '127.0.0.1', storageDir, inboxEmail: 'support@localhost' });
    await plugin.connect(host.connection);
    await host.start();
  });
  afterAll(async () => {
    await host.stop();
    rmSync(storageDir, { recursive: true, force: true });
  });

  it('has at least 30 messages, and an expectation for each', () => {
    const files = readdirSync(FIXTURES)
      .filter((f) => f.endsWith('.eml'))
      .sort();
    expect(files.length).toBeGreaterThanOrEqual(30);
    expect(Object.keys(corpus).sort()).toEqual(files);
  });

  const deliver = async (raw: Buffer, envelopeFrom: string) => {
    const { client } = await RawSmtpClient.open(plugin.smtpPort());
    try {
      return await client.send(raw, { from: envelopeFrom, to: ['support@localhost'] });
    } finally {
      await client.quit();
    }
  };

  it.each(Object.entries(corpus))('%s', async (file, expected) => {
    const raw = readFileSync(join(FIXTURES, file));
    const before = host.messages.length;
    const reply = await deliver(raw, expected.envelopeFrom ?? ENVELOPE_FROM);

    if (expected.outcome === 'refused') {
      expect(reply).toEqual({ code: expected.code, text: expect.stringMatching(expected.reply) });
      expect(host.messages.length).toBe(before);
      return;
    }

    expect(reply).toEqual({ code: 250, text: expect.stringMatching(/Ok: stored/) });
    expect(host.messages.length).toBe(before + 1);
    const message = host.messages[host.messages.length - 1];
    expect(message.channel).toBe('email');
    expect(message.from).toEqual(expected.from);
    expect(message.subject).toBe(expected.subject);
    if (expected.text instanceof RegExp) expect(message.text).toMatch(expected.text);
    else if (expected.text === '') expect(message.text).toBe('');
    else if (expected.text !== undefined) expect(message.text).toContain(expected.text);
    if (expected.noHtml) expect(message.html).toBeUndefined();
    for (const part of expected.html ?? []) expect(message.html).toEqual(part instanceof RegExp ? expect.stringMatching(part) : expect.stringContaining(part));
    for (const part of expected.htmlExcludes ?? []) expect(message.html ?? '').not.toMatch(part instanceof RegExp ? part : new RegExp(escape(part)));
    if (expected.messageId instanceof RegExp) expect(message.externalMessageId).toMatch(expected.messageId);
    else if (expected.messageId) expect(message.externalMessageId).toBe(expected.messageId);
    expect(message.externalThreadId).toBe(expected.threadId ?? message.externalMessageId);
    if (expected.to) expect(message.to.map((p) => p.address)).toEqual(expected.to);

    // Attachments, then the original: kept byte for byte, referenced by its SHA-256.
    const attachments = message.attachments ?? [];
    if (expected.attachments) expect(attachments.slice(0, -1).map((a) => [a.filename, a.contentType])).toEqual(expected.attachments);
    const original = attachments[attachments.length - 1];
    expect(original).toMatchObject({
      filename: 'original.eml',
      contentType: 'message/rfc822',
      size: raw.length,
      id: expect.stringMatching(/^sha256:[0-9a-f]{64}$/),
    });
    const fetched = await host.call('GET', 'blobs/:id', {
      params: { id: original.id },
      agent: { id: 'agent-1', name: 'Ann', email: 'ann@parley.test', role: 'agent' },
    });
    expect(Buffer.isBuffer(fetched.body) && (fetched.body as Buffer).equals(raw)).toBe(true);

    // The same message again (a retried delivery): accepted, nothing new stored.
    const again = await deliver(raw, expected.envelopeFrom ?? ENVELOPE_FROM);
    expect(again).toEqual({ code: 250, text: expect.stringMatching(/Ok: already stored/) });
    expect(host.messages.length).toBe(before + 1);
  });

  it('every stored message is a valid inbound message for the core', () => {
    for (const message of host.messages) expect(problems(message)).toEqual([]);
  });
});

function problems(message: InboundMessage): string[] {
  const found: string[] = [];
  if (!message.externalMessageId.trim()) found.push('externalMessageId empty');
  if (!message.externalThreadId.trim()) found.push('externalThreadId empty');
  if (!/^[^\s@]+@[^\s@]+$/.test(message.from.address)) found.push(`from ${message.from.address}`);
  if (Number.isNaN(Date.parse(message.receivedAt ?? ''))) found.push('receivedAt');
  return found;
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
