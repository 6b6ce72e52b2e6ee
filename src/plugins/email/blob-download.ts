/**
 * Headers for handing a stored email blob to a browser as a download. The name and type come from
 * the link (the message's attachment list); both are the sender's words, so nothing here lets the
 * browser render the bytes as a page of Parley's origin: always `attachment`, never sniffed, and a
 * type a browser could run as a document is sent as plain bytes.
 */
const MIME_TYPE = /^[a-z0-9][a-z0-9!#$&^_.+-]{0,63}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$/i;
// Types a browser renders as a document (scripts, markup, styles) even when only linked to.
const ACTIVE_TYPE = /html|xml|javascript|ecmascript|css|svg|^multipart\//i;

export function downloadHeaders(id: string, query: Record<string, string | string[] | undefined>): Record<string, string> {
  const type = first(query.type)?.trim().toLowerCase() ?? '';
  const contentType = MIME_TYPE.test(type) && !ACTIVE_TYPE.test(type) ? type : 'application/octet-stream';
  const name = fileName(first(query.name)) ?? id.replace(/^sha256:/, '').slice(0, 16);
  return {
    'content-type': contentType,
    'content-disposition': `attachment; filename="${asciiFallback(name)}"; filename*=UTF-8''${encodeRfc5987(name)}`,
    'x-content-type-options': 'nosniff',
    // Should a browser show it after all, it runs nothing and reaches nothing of ours.
    'content-security-policy': "default-src 'none'; sandbox",
    'cache-control': 'private, no-store',
  };
}

function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

// Control characters are what is removed from file names.
// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/g;

/** The last path segment, without control characters; null when nothing usable is left. */
function fileName(value: string | undefined): string | null {
  const name = (value ?? '').split(/[/\\]/).pop()?.replace(CONTROL_CHARACTERS, '').trim().slice(0, 200) ?? '';
  return name === '' || name === '.' || name === '..' ? null : name;
}

/** For browsers that ignore filename*: ASCII only, no quote or backslash. */
function asciiFallback(name: string): string {
  return name.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_');
}

function encodeRfc5987(name: string): string {
  return encodeURIComponent(name).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}
