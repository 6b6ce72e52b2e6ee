import sanitizeHtml from 'sanitize-html';

/**
 * Message HTML from the outside world, made safe to show an agent (no script from a message ever
 * runs in an agent's browser). Every channel that takes HTML cleans it with this on the way in
 * (email, the API channel; a plugin may too), and the web UI cleans stored HTML with it again
 * before serving it in a sandboxed, script-less frame: stored HTML is never trusted, since it may
 * predate a fix or come from a plugin that did not clean it.
 *
 * Kept: text formatting, tables, lists, links (absolute http, https, mailto, tel; opened in a new
 * tab without a referrer), images from http(s), `cid:` (inline parts not turned into data URLs) and
 * raster `data:` images, inline styles from a list of layout and typography properties.
 * Removed: scripts, event handlers, `javascript:`/`vbscript:`/`data:` links, SVG, MathML, forms
 * and their fields, iframes, objects and embeds, `<style>` (attribute selectors, `@import` and
 * `@font-face` can read a page out through requests), `<link>`, `<meta>`, `<base>`, comments,
 * classes and ids, the `background` attribute, and any style value that can load something
 * (`url(`, `image-set(`, `src(`, `var(`, `expression(`, `@import`) or leave the message's box
 * (`position`, `z-index`).
 *
 * Remote images stay (emails are made of them), so a sender can tell when a message is shown
 * (tracking pixels); the frame sends no referrer. The email channel keeps the original with every
 * byte apart.
 */
export function sanitiseMessageHtml(html: string): string {
  return sanitizeHtml(html, OPTIONS);
}

/** A style value that loads nothing, escapes nothing and stays short (`s`: a line break must not end the look-ahead). */
const SAFE_STYLE_VALUE = /^(?!.*(?:url|src|image|image-set|cross-fade|element|expression|env|var|attr|paint)\s*\()(?!.*[\\<>@;{}]).{0,200}$/is;

const STYLE_PROPERTIES = [
  'color',
  'background-color',
  'font',
  'font-family',
  'font-size',
  'font-style',
  'font-weight',
  'font-variant',
  'text-align',
  'text-decoration',
  'text-indent',
  'text-transform',
  'line-height',
  'letter-spacing',
  'word-spacing',
  'white-space',
  'word-break',
  'overflow-wrap',
  'vertical-align',
  'direction',
  'display',
  'width',
  'min-width',
  'max-width',
  'height',
  'min-height',
  'max-height',
  'margin',
  'margin-top',
  'margin-right',
  'margin-bottom',
  'margin-left',
  'padding',
  'padding-top',
  'padding-right',
  'padding-bottom',
  'padding-left',
  'border',
  'border-top',
  'border-right',
  'border-bottom',
  'border-left',
  'border-color',
  'border-style',
  'border-width',
  'border-radius',
  'border-collapse',
  'border-spacing',
  'list-style-type',
  'table-layout',
];

/** Raster images only: an SVG can carry script, and other data URLs are no images at all. */
const SAFE_DATA_IMAGE = /^data:image\/(?:png|gif|jpe?g|webp|bmp);base64,[a-z0-9+/=\s]*$/i;

const PRESENTATION = ['align', 'valign', 'width', 'height', 'bgcolor', 'border', 'cellpadding', 'cellspacing', 'dir', 'lang', 'title', 'style'];

const OPTIONS: sanitizeHtml.IOptions = {
  allowedTags: [
    'a',
    'abbr',
    'address',
    'b',
    'bdi',
    'bdo',
    'big',
    'blockquote',
    'br',
    'caption',
    'center',
    'cite',
    'code',
    'col',
    'colgroup',
    'dd',
    'del',
    'dfn',
    'div',
    'dl',
    'dt',
    'em',
    'figcaption',
    'figure',
    'font',
    'h1',
    'h2',
    'h3',
    'h4',
    'h5',
    'h6',
    'hr',
    'i',
    'img',
    'ins',
    'kbd',
    'li',
    'mark',
    'ol',
    'p',
    'pre',
    'q',
    's',
    'samp',
    'small',
    'span',
    'strike',
    'strong',
    'sub',
    'sup',
    'table',
    'tbody',
    'td',
    'tfoot',
    'th',
    'thead',
    'tr',
    'tt',
    'u',
    'ul',
    'var',
    'wbr',
  ],
  allowedAttributes: {
    '*': PRESENTATION,
    a: ['href', 'target', 'rel'],
    img: ['src', 'alt'],
    font: ['color', 'face', 'size'],
    td: ['colspan', 'rowspan', 'nowrap'],
    th: ['colspan', 'rowspan', 'nowrap', 'scope'],
    col: ['span'],
    colgroup: ['span'],
    ol: ['start', 'type'],
    ul: ['type'],
    blockquote: ['cite', 'type'],
  },
  allowedSchemes: ['http', 'https', 'mailto', 'tel'],
  allowedSchemesByTag: { img: ['http', 'https', 'cid', 'data'] },
  allowedSchemesAppliedToAttributes: ['href', 'src', 'cite'],
  allowProtocolRelative: false,
  allowedStyles: { '*': Object.fromEntries(STYLE_PROPERTIES.map((property) => [property, [SAFE_STYLE_VALUE]])) },
  parseStyleAttributes: true,
  // Their content is not text to show either: dropped with the tag.
  nonTextTags: [
    'script',
    'style',
    'textarea',
    'option',
    'noscript',
    'title',
    'head',
    'svg',
    'math',
    'template',
    'iframe',
    'object',
    'embed',
    'frameset',
    'noembed',
    'noframes',
    'xmp',
    'select',
  ],
  disallowedTagsMode: 'discard',
  enforceHtmlBoundary: false,
  nestingLimit: 100,
  transformTags: {
    a: (tagName, attribs) => {
      const { href, ...rest } = attribs;
      // Shown under Parley's own address, a relative link would lead into Parley itself.
      const keep = href !== undefined && /^\s*(https?:|mailto:|tel:)/i.test(href);
      return { tagName, attribs: { ...rest, ...(keep ? { href } : {}), target: '_blank', rel: 'noopener noreferrer nofollow' } };
    },
    img: (tagName, attribs) => {
      const { src, ...rest } = attribs;
      // A relative URL means nothing in an email (there is no base to resolve it against).
      const keep = src !== undefined && /^\s*(https?:|cid:|data:)/i.test(src) && (!/^\s*data:/i.test(src) || SAFE_DATA_IMAGE.test(src.trim()));
      return { tagName, attribs: keep ? { ...rest, src } : rest };
    },
  },
};
