import { createHash } from 'node:crypto';
import { sanitiseMessageHtml } from '../../plugins/message-html';

/**
 * Stored message HTML is hostile whatever cleaned it on the way in (it may predate a fix, or come
 * from a plugin that stored it raw): it is cleaned again here with the rules every channel uses,
 * then shown in a sandboxed frame under EMAIL_BODY_CSP (no script can run there even if something
 * slipped through). No `<style>` blocks and no CSS that loads anything: in a frame that allows
 * remote images, an attribute selector with `url()` reads the message out one request at a time.
 */
export function sanitizeEmailHtml(html: string): string {
  return sanitiseMessageHtml(html);
}

/** The frame's own look: the one style sheet its CSP lets apply. */
const FRAME_STYLE = `
body{margin:12px 14px;font:14px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1f2328;overflow-wrap:anywhere}
img{max-width:100%;height:auto}table{max-width:100%}blockquote{margin:0 0 0 .6em;padding-left:.8em;border-left:3px solid #d0d7de;color:#57606a}
`;

/**
 * The frame's style directives: its own sheet (by hash) and inline `style` attributes, which the
 * sanitiser keeps to harmless properties; a `<style>` that got past the sanitiser does not apply.
 * `style-src` is for browsers without the -elem/-attr directives (they get inline styles, as before).
 */
export const EMAIL_FRAME_STYLE_DIRECTIVES = [
  "style-src 'unsafe-inline'",
  `style-src-elem 'sha256-${createHash('sha256').update(FRAME_STYLE).digest('base64')}'`,
  "style-src-attr 'unsafe-inline'",
];

/** The frame's document: the cleaned body with a readable default look. */
export function emailDocument(html: string): string {
  return `<!doctype html><html><head><meta charset="utf-8"><meta name="referrer" content="no-referrer"><style>${FRAME_STYLE}</style></head><body>${sanitizeEmailHtml(html)}</body></html>`;
}
