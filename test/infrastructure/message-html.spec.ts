import { emailDocument, sanitizeEmailHtml } from '../../src/infrastructure/web/email-html';
import { sanitiseMessageHtml } from '../../src/plugins/message-html';
import { EXFIL_HOST, HOSTILE_HTML } from '../fixtures/hostile';

/**
 * Message HTML is cleaned twice: on the way in (every channel that takes HTML) and again when the
 * email-body frame is served (stored HTML is never trusted: it may predate a fix, or come from a
 * plugin that did not clean it). Both walls must stop every payload of the hostile corpus.
 */

/** Elements that run, frame, navigate, submit, or load styles and fonts. */
const DANGEROUS_ELEMENTS = new Set(
  'script style iframe frame frameset object embed applet meta base link form input button textarea select svg math template noscript video audio source animate set portal'.split(
    ' ',
  ),
);
/** Attributes that run script, hold documents, or load things outside CSS. */
const DANGEROUS_ATTRIBUTE = /^(on[a-z]+|srcdoc|background|formaction|action|xlink:href|srcset|poster|ping|lowsrc|dynsrc)$/i;
const URL_ATTRIBUTES = new Set(['href', 'src', 'cite']);
/** Where a kept URL may point: nowhere that runs script, and images only as raster data. */
const SAFE_URL = /^(https?:|mailto:|tel:|cid:|data:image\/(png|gif|jpe?g|webp|bmp);base64,)/i;
/** CSS that can fetch, run or leave the box. */
const DANGEROUS_CSS = /\b(url|image-set|image|var|expression|attr|env|src|cross-fade|element|paint)\s*\(|@import|behavior|-moz-binding|\\/i;

/**
 * What is wrong with sanitised HTML. sanitize-html escapes `<` in text and writes every attribute
 * double-quoted with `"` escaped, so each `<…>` is a real tag and its attributes parse plainly.
 */
function problemsOf(html: string): string[] {
  const problems: string[] = [];
  for (const [tag, name, attributes] of html.matchAll(/<\/?([a-z0-9:-]+)([^>]*)>/gi)) {
    if (DANGEROUS_ELEMENTS.has(name.toLowerCase())) problems.push(`element ${tag}`);
    for (const [, attribute, value = ''] of attributes.matchAll(/\s([^\s"'>/=]+)(?:="([^"]*)")?/g)) {
      const decoded = value
        .replace(/&amp;/g, '&')
        .replace(/&quot;/g, '"')
        .replace(/&lt;/g, '<')
        .replace(/&gt;/g, '>');
      if (DANGEROUS_ATTRIBUTE.test(attribute)) problems.push(`attribute ${attribute} in ${tag}`);
      if (attribute === 'style' && DANGEROUS_CSS.test(decoded)) problems.push(`style in ${tag}`);
      if (URL_ATTRIBUTES.has(attribute)) {
        const url = new URL(decoded, 'http://parley.test/conversations/');
        if (url.host !== 'parley.test' && !SAFE_URL.test(decoded.trim())) problems.push(`URL in ${tag}`);
        if (url.host === EXFIL_HOST) problems.push(`off-machine URL in ${tag}`);
      }
    }
  }
  return problems;
}

const bodyOf = (document: string) => document.slice(document.indexOf('<body>') + '<body>'.length, document.lastIndexOf('</body>'));

describe('message HTML sanitising', () => {
  describe.each([
    ['on the way in (email and API channels)', sanitiseMessageHtml],
    ['in the email-body frame (stored HTML)', (html: string) => bodyOf(emailDocument(html))],
  ])('%s', (_wall, clean) => {
    it.each(HOSTILE_HTML.map((p) => [p.id, p.note, p.html]))('stops %s (%s)', (_id, _note, html) => {
      expect(problemsOf(clean(html))).toEqual([]);
    });

    it('keeps the layout and text of an ordinary email', () => {
      const html =
        '<table width="600" cellpadding="4"><tr><td style="color:#333;padding:8px" bgcolor="#fff" align="center"><b>Order 1042</b> shipped</td></tr></table>' +
        '<p style="font-size:14px">See <a href="https://shop.test/o/1042">your order</a>.</p><img src="https://shop.test/logo.png" alt="Shop">';
      const cleaned = clean(html);
      expect(cleaned).toContain('<td style="color:#333;padding:8px" bgcolor="#fff" align="center"><b>Order 1042</b> shipped</td>');
      expect(cleaned).toContain(
        '<p style="font-size:14px">See <a href="https://shop.test/o/1042" target="_blank" rel="noopener noreferrer nofollow">your order</a>.</p>',
      );
      expect(cleaned).toMatch(/<img (src="https:\/\/shop\.test\/logo\.png" alt="Shop"|alt="Shop" src="https:\/\/shop\.test\/logo\.png") \/>/);
    });

    it('keeps links only to the outside world: a relative one would lead into Parley itself', () => {
      expect(clean('<a href="../../../settings">a</a><a href="/api/conversations">b</a><a href="#top">c</a><a href="mailto:jane@example.org">d</a>')).toBe(
        '<a target="_blank" rel="noopener noreferrer nofollow">a</a><a target="_blank" rel="noopener noreferrer nofollow">b</a>' +
          '<a target="_blank" rel="noopener noreferrer nofollow">c</a><a href="mailto:jane@example.org" target="_blank" rel="noopener noreferrer nofollow">d</a>',
      );
    });

    it('refuses <style> blocks, keeping the text around them', () => {
      expect(clean('<p>before</p><style>p { color: red }</style><p>after</p>')).toBe('<p>before</p><p>after</p>');
    });

    it('drops CSS that can fetch or exfiltrate, keeping the harmless properties beside it', () => {
      const cleaned = clean(
        '<div style="color:red;background-image:url(https://exfil.invalid/a)">a</div>' +
          '<div style="color:blue;background-image:image-set(\'https://exfil.invalid/b\' 1x)">b</div>' +
          '<div style="--x:url(https://exfil.invalid/c);background:var(--x);color:green">c</div>' +
          // A line break once hid what followed it from the check.
          '<div style="color:black;background-color:red\n url(https://exfil.invalid/d)">d</div>',
      );
      expect(cleaned).toBe('<div style="color:red">a</div><div style="color:blue">b</div><div style="color:green">c</div><div style="color:black">d</div>');
    });

    it('drops the background= attribute', () => {
      expect(clean('<table background="https://exfil.invalid/t.png"><tr><td background="https://exfil.invalid/d.png">x</td></tr></table>')).toBe(
        '<table><tr><td>x</td></tr></table>',
      );
    });
  });

  it('the frame document adds only its own fixed style sheet to what the sanitiser kept', () => {
    const document = emailDocument('<p>Hi</p><style>@import url(https://exfil.invalid/x)</style>');
    expect(document.match(/<style>/g)).toHaveLength(1);
    expect(bodyOf(document)).toBe('<p>Hi</p>');
    expect(sanitizeEmailHtml('<p>Hi</p>')).toBe('<p>Hi</p>');
  });
});
