import { isUtf8 } from 'node:buffer';
import { splitHeader } from './message-id';

/**
 * Mail that carries 8-bit text without saying its charset is common (old clients, scripts, some
 * gateways). A decoder that assumes UTF-8 turns "café" into "caf\uFFFD". The de facto rule — what
 * Thunderbird and most webmail do — is: bytes that are valid UTF-8 are UTF-8, anything else is
 * Windows-1252 (a superset of ISO-8859-1). This pass labels such parts before parsing. It only
 * ever adds a charset that was missing; the original message is stored untouched.
 */
export function labelUnlabelledEightBit(raw: Buffer): Buffer {
  if (!hasEightBit(raw)) return raw;
  const { header, body } = splitHeader(raw);
  const fixedHeader = isUtf8(header) ? header : Buffer.from(new TextDecoder('windows-1252').decode(header), 'utf8');
  const topType = headerField(fixedHeader.toString('latin1'), 'content-type');
  let message: Buffer = Buffer.concat([labelPartHeader(fixedHeader, body), raw.subarray(header.length, raw.length - body.length), body]);
  if (topType && /^\s*multipart\//i.test(topType)) message = labelMultipartParts(message);
  return message;
}

function hasEightBit(buffer: Buffer): boolean {
  for (const byte of buffer) if (byte >= 0x80) return true;
  return false;
}

/** The header with `charset=windows-1252` added when its part is unlabelled 8-bit text that is not UTF-8. */
function labelPartHeader(header: Buffer, body: Buffer): Buffer {
  const text = header.toString('latin1');
  const type = headerField(text, 'content-type');
  const encoding = (headerField(text, 'content-transfer-encoding') ?? '').trim().toLowerCase();
  const isText = type === null || /^\s*text\//i.test(type);
  if (!isText || (type !== null && /charset\s*=/i.test(type))) return header;
  if (encoding === 'base64' || encoding === 'quoted-printable') return header; // decoded later; left to the parser
  if (!hasEightBit(body) || isUtf8(body)) return header;
  if (type === null) {
    const newline = text.includes('\r\n') ? '\r\n' : '\n';
    return Buffer.concat([Buffer.from(`Content-Type: text/plain; charset=windows-1252${newline}`, 'latin1'), header]);
  }
  return Buffer.from(text.replace(/^(content-type[ \t]*:[^\r\n]*(?:\r?\n[ \t][^\r\n]*)*)/im, '$1; charset=windows-1252'), 'latin1');
}

/** The same, for every part of a multipart message (nested ones included). */
function labelMultipartParts(raw: Buffer): Buffer {
  const text = raw.toString('latin1');
  const boundaries = [...text.matchAll(/boundary\s*=\s*(?:"([^"\r\n]+)"|([^\s;"]+))/gi)].map((m) => m[1] ?? m[2]);
  if (boundaries.length === 0) return raw;
  const escaped = [...new Set(boundaries)].map((b) => b.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  const delimiter = new RegExp(`(^--(?:${escaped.join('|')})(?:--)?[ \\t]*\\r?\\n)`, 'm');
  const pieces = text.split(delimiter);
  for (let i = 2; i < pieces.length; i += 2) {
    if (/--[ \t]*\r?\n$/.test(pieces[i - 1].replace(/^--/, ''))) continue; // after a closing delimiter: epilogue
    const segment = Buffer.from(pieces[i], 'latin1');
    const { header, body } = splitHeader(segment);
    if (header.length === segment.length) continue;
    const labelled = labelPartHeader(header, body);
    if (labelled !== header) pieces[i] = Buffer.concat([labelled, segment.subarray(header.length)]).toString('latin1');
  }
  return Buffer.from(pieces.join(''), 'latin1');
}

/** The value of a header field (continuation lines included), or null. */
function headerField(header: string, name: string): string | null {
  const match = new RegExp(`^${name}[ \\t]*:([^\\r\\n]*(?:\\r?\\n[ \\t][^\\r\\n]*)*)`, 'im').exec(header);
  return match ? match[1] : null;
}
