import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { AddressObject, Attachment, AttachmentStream, ParsedMail } from 'mailparser';
import { normaliseMessageId, parseMessageIds, splitHeader, synthesiseMessageId } from './message-id';
import { labelUnlabelledEightBit } from './repair-charsets';
import { sanitiseEmailHtml } from './sanitise-html';

/**
 * mailparser (with libmime, iconv-lite's tables and its encoders) is required on the first email,
 * not when the server starts: a server that never receives email never pays for it.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const mailparser = (): typeof import('mailparser') => require('mailparser');

export interface EmailParty {
  address: string;
  name?: string;
}

export interface ParsedAttachment {
  filename: string;
  contentType: string;
  size: number;
  /** sha256 of the decoded content, hex. */
  sha256: string;
  /** The decoded content: in memory, or (a large message) in a file of the caller's scratch folder. */
  body: { bytes: Buffer } | { file: string };
  /** Referenced from the HTML as `cid:<contentId>` (an inline image). */
  contentId?: string;
}

/** One inbound email as the channel needs it; text and HTML decoded, HTML sanitised. */
export interface ParsedEmail {
  /** The Message-ID, or a stable one derived from the content when the message has none. */
  messageId: string;
  messageIdSynthesised: boolean;
  inReplyTo: string[];
  references: string[];
  /** A delivery report (bounce): the Message-ID of the message it reports on, when it says. */
  reportedMessageId: string | null;
  /** From: header; null when it is missing or holds no address (the envelope sender is used then). */
  from: EmailParty | null;
  to: EmailParty[];
  cc: EmailParty[];
  subject: string;
  text: string;
  html?: string;
  attachments: ParsedAttachment[];
  date: Date | null;
}

/** The message cannot be read as an email: answered with a permanent SMTP error. */
export class UnreadableEmailError extends Error {
  constructor(
    message: string,
    readonly responseCode = 554,
  ) {
    super(message);
    this.name = 'UnreadableEmailError';
  }
}

export interface ParseLimits {
  /** Longest text body kept in the conversation (characters); the original keeps the rest. */
  maxTextChars: number;
  /** Longest HTML body kept (characters, before sanitising). */
  maxHtmlChars: number;
  /** Largest header section of one MIME part (bytes). */
  maxHeaderBytes: number;
}

export const DEFAULT_PARSE_LIMITS: ParseLimits = {
  maxTextChars: 512 * 1024,
  maxHtmlChars: 2 * 1024 * 1024,
  maxHeaderBytes: 1024 * 1024,
};

/** Inline images up to this total size become data: URLs in the HTML; larger ones stay cid: links. */
const MAX_INLINED_IMAGES_BYTES = 512 * 1024;

/**
 * Parses a raw message (RFC 5322 / MIME) with mailparser. Lenient on purpose: wrong charsets,
 * unlabelled 8-bit text, broken boundaries and missing headers still give what can be read.
 * Throws UnreadableEmailError only when nothing can be made of it.
 */
export async function parseEmail(raw: Buffer, limits: ParseLimits = DEFAULT_PARSE_LIMITS): Promise<ParsedEmail> {
  if (isBlank(raw)) throw new UnreadableEmailError('the message is empty');
  const labelled = labelUnlabelledEightBit(raw);
  let mail = await parseMime(labelled, limits);
  if (isEmpty(mail)) {
    // A boundary that never occurs hides every part: try the delimiter the body actually uses.
    const repaired = withBoundaryFromBody(labelled);
    if (repaired) mail = await parseMime(repaired, limits);
  }

  const explicitId = normaliseMessageId(mail.messageId);
  const attachments = mail.attachments.map((attachment, index) => toAttachment(attachment, index));
  const reports = mail.attachments.map((a) => ({ contentType: a.contentType, head: a.content }));
  return describe(mail, attachments, reports, limits, {
    messageId: explicitId ?? synthesiseMessageId(raw),
    messageIdSynthesised: explicitId === null,
    // Still nothing: show the body as it stands rather than nothing.
    bodyAsItStands: () => readableBody(raw),
  });
}

/** Messages from this size on are parsed from their file as a stream, attachments going to files as they are decoded. */
export const STREAMED_PARSE_MIN_BYTES = 1024 * 1024;
/** What is kept in memory of a streamed attachment: the start, where a returned message has its headers (bounces). */
const KEPT_HEAD_BYTES = 64 * 1024;

/**
 * As parseEmail, for a message in a file. A large one is parsed as a stream: its bytes are never
 * all in memory and its attachments are written to `scratchDir` as they are decoded, so memory
 * stays flat whatever the size. What needs the whole message at once (unlabelled 8-bit text to
 * repair, a message without Message-ID, or one whose parts cannot be found) takes parseEmail.
 */
export async function parseEmailFile(file: string, scratchDir: string, limits: ParseLimits = DEFAULT_PARSE_LIMITS): Promise<ParsedEmail> {
  const { size } = await stat(file);
  if (size < STREAMED_PARSE_MIN_BYTES || (await fileHasEightBit(file))) return parseEmail(await readFile(file), limits);
  return (await parseStreamed(file, scratchDir, limits)) ?? parseEmail(await readFile(file), limits);
}

async function fileHasEightBit(file: string): Promise<boolean> {
  for await (const chunk of createReadStream(file) as AsyncIterable<Buffer>) {
    for (const byte of chunk) if (byte >= 0x80) return true;
  }
  return false;
}

interface StreamedPart {
  attachment: AttachmentStream;
  file: string;
  head: Buffer;
}

/** The message parsed from its file; null when it needs parseEmail (see parseEmailFile). */
async function parseStreamed(file: string, scratchDir: string, limits: ParseLimits): Promise<ParsedEmail | null> {
  const parser = new (mailparser().MailParser)({
    maxHeadSize: limits.maxHeaderBytes,
    maxHtmlLengthToParse: limits.maxHtmlChars,
    maxInlinedImagesSize: MAX_INLINED_IMAGES_BYTES,
    checksumAlgo: 'sha256',
    skipTextLinks: true,
  });
  const parts: StreamedPart[] = [];
  const content: { text?: string; html?: string | false } = {};
  let headers: ParsedMail['headers'] = new Map();
  await new Promise<void>((resolve, reject) => {
    // The parser refusing the message is the message's fault (5xx); failing to write a part or
    // to read the spool is ours, passed on as it is (the sender is asked to retry).
    const fail = (error: unknown, fault: 'message' | 'storage') => {
      parser.destroy();
      reject(fault === 'message' ? unreadable(error, limits) : error);
    };
    parser.on('headers', (parsed) => (headers = parsed));
    let reading = false;
    const readNext = (): void => {
      reading = true;
      const data = parser.read();
      if (data === null) {
        reading = false;
        return;
      }
      if (data.type === 'text') {
        content.text = data.text;
        content.html = data.html;
        readNext();
        return;
      }
      const part: StreamedPart = { attachment: data, file: join(scratchDir, `part-${parts.length + 1}`), head: Buffer.alloc(0) };
      parts.push(part);
      // An image the HTML shows inline may become a data: URL: kept whole up to what may be inlined.
      const kept = data.cid && /^image\//i.test(data.contentType) ? MAX_INLINED_IMAGES_BYTES : KEPT_HEAD_BYTES;
      const keep = new Transform({
        transform(chunk: Buffer, _encoding, done) {
          if (part.head.length < kept) part.head = Buffer.concat([part.head, chunk.subarray(0, kept - part.head.length)]);
          done(null, chunk);
        },
      });
      pipeline(data.content, keep, createWriteStream(part.file, { mode: 0o600 })).then(
        () => {
          data.release?.();
          readNext();
        },
        (error: unknown) => fail(error, 'storage'),
      );
    };
    parser.on('readable', () => {
      if (!reading) readNext();
    });
    parser.once('end', () => resolve());
    parser.once('error', (error) => fail(error, 'message'));
    const source = createReadStream(file);
    source.once('error', (error) => fail(error, 'storage'));
    source.pipe(parser);
  });

  const html = await new Promise<string | false | undefined>((resolve, reject) =>
    // Inline images small enough to be kept become data: URLs (the total bounded by maxInlinedImagesSize).
    parser.updateImageLinks(
      (attachment, done) => {
        const part = parts.find((p) => p.attachment === attachment);
        const whole = part && (attachment.size ?? Infinity) <= part.head.length;
        done(false, whole ? `data:${attachment.contentType};base64,${part.head.toString('base64')}` : undefined);
      },
      (error, updated) => (error ? reject(error) : resolve(updated === false ? content.html : updated)),
    ),
  );
  const field = <T>(key: string) => (headers.has(key) ? (headers.get(key) as T) : undefined);
  const mail = {
    headers,
    subject: field<string>('subject'),
    references: field<string | string[]>('references'),
    date: field<Date>('date'),
    to: field<AddressObject>('to'),
    from: field<AddressObject>('from'),
    cc: field<AddressObject>('cc'),
    messageId: field<string>('message-id'),
    inReplyTo: field<string>('in-reply-to'),
    text: content.text,
    html: html ?? false,
    attachments: [],
  } as unknown as ParsedMail;
  const explicitId = normaliseMessageId(mail.messageId);
  // The checksum is the blob's id: without one (never expected) the buffered path computes it.
  if (explicitId === null || (isEmpty(mail) && parts.length === 0) || parts.some((p) => !p.attachment.checksum)) return null;
  const attachments = parts.map(({ attachment, file }, index) => described(attachment, index, attachment.size ?? 0, attachment.checksum!, { file }));
  return describe(
    mail,
    attachments,
    parts.map((p) => ({ contentType: p.attachment.contentType, head: p.head })),
    limits,
    {
      messageId: explicitId,
      messageIdSynthesised: false,
      bodyAsItStands: () => '',
    },
  );
}

/** The parsed MIME as the channel needs it: bodies decoded and bounded, HTML sanitised. */
function describe(
  mail: ParsedMail,
  attachments: ParsedAttachment[],
  reports: { contentType: string; head: Buffer }[],
  limits: ParseLimits,
  identity: { messageId: string; messageIdSynthesised: boolean; bodyAsItStands(): string },
): ParsedEmail {
  let text = (mail.text ?? '').replace(/\r\n/g, '\n');
  const rawHtml = typeof mail.html === 'string' && mail.html.trim() !== '' ? mail.html : undefined;
  const html = rawHtml === undefined ? undefined : sanitiseEmailHtml(truncate(rawHtml, limits.maxHtmlChars));
  if (text.trim() === '' && html !== undefined) text = htmlToText(html);
  if (text.trim() === '' && html === undefined && attachments.length === 0) text = identity.bodyAsItStands();

  return {
    messageId: identity.messageId,
    messageIdSynthesised: identity.messageIdSynthesised,
    inReplyTo: parseMessageIds(mail.inReplyTo),
    references: parseMessageIds(mail.references),
    reportedMessageId: reportedMessageId(reports),
    from: firstParty(mail.from),
    to: parties(mail.to),
    cc: parties(mail.cc),
    subject: (mail.subject ?? '').replace(/\s+/g, ' ').trim(),
    text: truncate(text.trimEnd(), limits.maxTextChars),
    ...(html === undefined ? {} : { html }),
    attachments,
    date: mail.date && !Number.isNaN(mail.date.getTime()) && mail.headers.has('date') ? mail.date : null,
  };
}

async function parseMime(raw: Buffer, limits: ParseLimits): Promise<ParsedMail> {
  try {
    return await mailparser().simpleParser(raw, {
      maxHeadSize: limits.maxHeaderBytes,
      maxHtmlLengthToParse: limits.maxHtmlChars,
      maxInlinedImagesSize: MAX_INLINED_IMAGES_BYTES,
      checksumAlgo: 'sha256',
      skipTextLinks: true,
    });
  } catch (error) {
    throw unreadable(error, limits);
  }
}

function unreadable(error: unknown, limits: ParseLimits): UnreadableEmailError {
  const reason = error instanceof Error ? error.message : String(error);
  const tooLarge = /header size/i.test(reason);
  return new UnreadableEmailError(
    tooLarge ? `the message's header section is larger than ${limits.maxHeaderBytes} bytes` : `the message could not be parsed as MIME: ${reason}`,
    tooLarge ? 552 : 554,
  );
}

/** Only whitespace (or nothing); scanned as bytes, not turned into a string as large as the message. */
function isBlank(raw: Buffer): boolean {
  for (const byte of raw) if (byte !== 0x20 && byte !== 0x09 && byte !== 0x0a && byte !== 0x0d && byte !== 0x0b && byte !== 0x0c) return false;
  return true;
}

function isEmpty(mail: ParsedMail): boolean {
  return !(mail.text ?? '').trim() && !(typeof mail.html === 'string' && mail.html.trim()) && mail.attachments.length === 0;
}

/** The message with its multipart boundary replaced by the first delimiter line of the body, or null. */
function withBoundaryFromBody(raw: Buffer): Buffer | null {
  const { header, body } = splitHeader(raw);
  const headerText = header.toString('latin1');
  if (!/^content-type[ \t]*:[ \t]*multipart\//im.test(headerText)) return null;
  const delimiter = /^--([^\s]{1,70}?)[ \t]*\r?$/m.exec(body.toString('latin1'));
  if (!delimiter) return null;
  const boundary = delimiter[1].replace(/"/g, '');
  const replaced = headerText.replace(/boundary\s*=\s*(?:"[^"\r\n]*"|[^\s;]+)/i, `boundary="${boundary}"`);
  if (replaced === headerText) return null;
  return Buffer.concat([Buffer.from(replaced, 'latin1'), raw.subarray(header.length)]);
}

/** Whether there is anything for an agent to read: a subject, a body or an attachment. */
export function hasReadableContent(email: ParsedEmail): boolean {
  return email.subject !== '' || email.text.trim() !== '' || email.html !== undefined || email.attachments.length > 0;
}

function toAttachment(attachment: Attachment, index: number): ParsedAttachment {
  return described(attachment, index, attachment.size, attachment.checksum || createHash('sha256').update(attachment.content).digest('hex'), {
    bytes: attachment.content,
  });
}

function described(
  attachment: Pick<Attachment, 'filename' | 'contentType' | 'cid'>,
  index: number,
  size: number,
  sha256: string,
  body: ParsedAttachment['body'],
): ParsedAttachment {
  return {
    filename: attachment.filename?.trim() || defaultFilename(attachment.contentType, index),
    contentType: attachment.contentType || 'application/octet-stream',
    size,
    sha256,
    body,
    ...(attachment.cid ? { contentId: attachment.cid } : {}),
  };
}

function defaultFilename(contentType: string, index: number): string {
  if (contentType === 'message/rfc822') return `message-${index + 1}.eml`;
  if (contentType === 'message/delivery-status') return `delivery-status-${index + 1}.txt`;
  if (contentType === 'text/calendar') return `invite-${index + 1}.ics`;
  if (contentType === 'text/rfc822-headers') return `returned-headers-${index + 1}.txt`;
  return `attachment-${index + 1}`;
}

function firstParty(header: AddressObject | undefined): EmailParty | null {
  return parties(header)[0] ?? null;
}

function parties(header: AddressObject | AddressObject[] | undefined): EmailParty[] {
  const objects = header === undefined ? [] : Array.isArray(header) ? header : [header];
  const found: EmailParty[] = [];
  const visit = (entries: AddressObject['value']) => {
    for (const entry of entries) {
      if (entry.group) visit(entry.group);
      const address = entry.address?.trim();
      if (!address || !/^[^\s@]+@[^\s@]+$/.test(address)) continue;
      const name = entry.name?.replace(/\s+/g, ' ').trim();
      found.push(name ? { address, name } : { address });
    }
  };
  for (const object of objects) visit(object.value);
  return found;
}

/** A bounce (multipart/report) names the message it reports on in its returned headers. */
function reportedMessageId(parts: { contentType: string; head: Buffer }[]): string | null {
  for (const part of parts) {
    if (!/^(message\/rfc822|text\/rfc822-headers|message\/global|message\/global-headers)$/i.test(part.contentType)) continue;
    const { header } = splitHeader(part.head);
    const match = /^message-id[ \t]*:[ \t]*((?:[^\r\n]|\r?\n[ \t])*)/im.exec(header.toString('latin1'));
    const id = match ? normaliseMessageId(match[1]) : null;
    if (id) return id;
  }
  return null;
}

/** Sanitised HTML as plain text, for messages that come without a text part (search, previews, quoting). */
function htmlToText(html: string): string {
  return html
    .replace(/<(br|\/p|\/div|\/li|\/tr|\/h[1-6]|\/blockquote)\b[^>]*>/gi, '\n')
    .replace(/<[^>]*>/g, '')
    .replace(/&(#x[0-9a-f]+|#\d+|amp|lt|gt|quot|apos|nbsp|#39);/gi, (_m, entity: string) => decodeEntity(entity))
    .replace(/[ \t]+\n/g, '\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

function decodeEntity(entity: string): string {
  const named: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ', '#39': "'" };
  const lower = entity.toLowerCase();
  if (named[lower] !== undefined) return named[lower];
  const code = lower.startsWith('#x') ? parseInt(lower.slice(2), 16) : parseInt(lower.slice(1), 10);
  return Number.isFinite(code) && code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : '';
}

/** The body of a message whose MIME structure hides it: printable text only. */
function readableBody(raw: Buffer): string {
  const { body } = splitHeader(raw);
  const decoded = new TextDecoder('utf-8').decode(body);
  return decoded
    .replace(/[^\P{Cc}\n\t]/gu, '')
    .replace(/\r\n/g, '\n')
    .trim();
}

function truncate(value: string, max: number): string {
  if (value.length <= max) return value;
  return `${value.slice(0, max)}\n[… shortened: the message is longer; its original is kept in full]`;
}
