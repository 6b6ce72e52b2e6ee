import sanitizeHtml from 'sanitize-html';

/**
 * Stored email HTML is hostile whatever sanitised it on the way in: it is cleaned again here, then
 * shown in a sandboxed frame under EMAIL_BODY_CSP (no script can run there even if something
 * slipped through). Layout survives (tables, inline styles, <style>); scripts, event handlers,
 * forms, frames, SVG and `javascript:` URLs do not. Links open in a new tab without a referrer.
 */
const OPTIONS: sanitizeHtml.IOptions = {
  allowedTags: [
    ...sanitizeHtml.defaults.allowedTags.filter((t) => t !== 'svg'),
    'img',
    'style',
    'font',
    'center',
    'big',
    'del',
    'ins',
  ],
  // <style> is needed for email layouts; inside the sandboxed, script-less frame CSS cannot run code.
  allowVulnerableTags: true,
  allowedAttributes: {
    '*': ['style', 'class', 'id', 'align', 'valign', 'width', 'height', 'bgcolor', 'color', 'border', 'dir', 'lang', 'title'],
    a: ['href', 'name', 'target', 'rel'],
    img: ['src', 'alt', 'width', 'height'],
    table: ['cellpadding', 'cellspacing', 'background'],
    td: ['colspan', 'rowspan', 'background'],
    th: ['colspan', 'rowspan'],
    font: ['face', 'size', 'color'],
    ol: ['start', 'type'],
  },
  allowedSchemes: ['http', 'https', 'mailto', 'tel'],
  allowedSchemesByTag: { img: ['http', 'https', 'data'] },
  allowProtocolRelative: false,
  // Markup inside a <style> is the trace of a namespace-confusion (mXSS) attempt, never CSS: drop it.
  exclusiveFilter: (frame) => frame.tag === 'style' && /<|-->/.test(frame.text),
  transformTags: {
    a: (tagName, attribs) => ({ tagName, attribs: { ...attribs, target: '_blank', rel: 'noopener noreferrer' } }),
  },
};

export function sanitizeEmailHtml(html: string): string {
  return sanitizeHtml(html, OPTIONS);
}

/** The frame's document: the cleaned body with a readable default look. */
export function emailDocument(html: string): string {
  return `<!doctype html><html><head><meta charset="utf-8"><meta name="referrer" content="no-referrer"><style>
body{margin:12px 14px;font:14px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1f2328;overflow-wrap:anywhere}
img{max-width:100%;height:auto}table{max-width:100%}blockquote{margin:0 0 0 .6em;padding-left:.8em;border-left:3px solid #d0d7de;color:#57606a}
</style></head><body>${sanitizeEmailHtml(html)}</body></html>`;
}
