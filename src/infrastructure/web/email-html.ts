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

/** The frame's document: the cleaned body with a readable default look. */
export function emailDocument(html: string): string {
  return `<!doctype html><html><head><meta charset="utf-8"><meta name="referrer" content="no-referrer"><style>
body{margin:12px 14px;font:14px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1f2328;overflow-wrap:anywhere}
img{max-width:100%;height:auto}table{max-width:100%}blockquote{margin:0 0 0 .6em;padding-left:.8em;border-left:3px solid #d0d7de;color:#57606a}
</style></head><body>${sanitizeEmailHtml(html)}</body></html>`;
}
