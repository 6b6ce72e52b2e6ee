import { createHash } from 'node:crypto';
import { simpleParser, type AddressObject, type Attachment, type ParsedMail } from 'mailparser';
import { normaliseMessageId, parseMessageIds, splitHeader, synthesiseMessageId } from './message-id';
import { labelUnlabelledEightBit } from './repair-charsets';
import { sanitiseEmailHtml } from './sanitise-html';

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
  content: Buffer;
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
  if (raw.length === 0 || raw.toString('latin1').trim() === '') throw new UnreadableEmailError('the message is empty');
  const labelled = labelUnlabelledEightBit(raw);
  let mail = await parseMime(labelled, limits);
  if (isEmpty(mail)) {
    // A boundary that never occurs hides every part: try the delimiter the body actually uses.
    const repaired = withBoundaryFromBody(labelled);
    if (repaired) mail = await parseMime(repaired, limits);
  }

  const explicitId = normaliseMessageId(mail.messageId);
  const attachments = mail.attachments.map(toAttachment);
  let text = (mail.text ?? '').replace(/\r\n/g, '\n');
  const rawHtml = typeof mail.html === 'string' && mail.html.trim() !== '' ? mail.html : undefined;
  const html = rawHtml === undefined ? undefined : sanitiseEmailHtml(truncate(rawHtml, limits.maxHtmlChars));
  if (text.trim() === '' && html !== undefined) text = htmlToText(html);
  if (text.trim() === '' && html === undefined && attachments.length === 0) {
    // Still nothing: show the body as it stands rather than nothing.
    text = readableBody(raw);
  }

  return {
    messageId: explicitId ?? synthesiseMessageId(raw),
    messageIdSynthesised: explicitId === null,
    inReplyTo: parseMessageIds(mail.inReplyTo),
    references: parseMessageIds(mail.references),
    reportedMessageId: reportedMessageId(mail),
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
    return await simpleParser(raw, {
      maxHeadSize: limits.maxHeaderBytes,
      maxHtmlLengthToParse: limits.maxHtmlChars,
      maxInlinedImagesSize: MAX_INLINED_IMAGES_BYTES,
      checksumAlgo: 'sha256',
      skipTextLinks: true,
    });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    const tooLarge = /header size/i.test(reason);
    throw new UnreadableEmailError(
      tooLarge ? `the message's header section is larger than ${limits.maxHeaderBytes} bytes` : `the message could not be parsed as MIME: ${reason}`,
      tooLarge ? 552 : 554,
    );
  }
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
  return {
    filename: attachment.filename?.trim() || defaultFilename(attachment.contentType, index),
    contentType: attachment.contentType || 'application/octet-stream',
    size: attachment.size,
    sha256: attachment.checksum || createHash('sha256').update(attachment.content).digest('hex'),
    content: attachment.content,
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
function reportedMessageId(mail: ParsedMail): string | null {
  for (const attachment of mail.attachments) {
    if (!/^(message\/rfc822|text\/rfc822-headers|message\/global|message\/global-headers)$/i.test(attachment.contentType)) continue;
    const { header } = splitHeader(attachment.content);
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
  return decoded.replace(/[^\P{Cc}\n\t]/gu, '').replace(/\r\n/g, '\n').trim();
}

function truncate(value: string, max: number): string {
  if (value.length <= max) return value;
  return `${value.slice(0, max)}\n[… shortened: the message is longer; its original is kept in full]`;
}
