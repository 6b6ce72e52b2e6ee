import { sanitizeEmailHtml } from '../../src/infrastructure/web/email-html';
import { parseInboxState, searchParameters, stateQuery } from '../../src/infrastructure/web/inbox-state';
import { withMentions } from '../../src/infrastructure/web/templates';
import { safeNext } from '../../src/infrastructure/web/web-http';

/** The web UI's pure helpers (no browser): URL state, mention markup, the email sanitiser, redirects. */
describe('web UI helpers', () => {
  const inbox = '11111111-2222-4333-8444-555555555555';
  const conversation = 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee';

  describe('the inbox URL state', () => {
    it('falls back to Unassigned, newest first, for unknown or malformed values', () => {
      expect(parseInboxState({ view: 'nope', sort: 'sideways', inbox: 'not-a-uuid', conversation: '../x' })).toEqual({
        inboxId: null,
        view: 'unassigned',
        sort: 'newest',
        conversationId: null,
        search: null,
      });
    });

    it('round-trips a view and a search through the query string', () => {
      const view = parseInboxState({ inbox, view: 'trash', sort: 'oldest', conversation });
      expect(parseInboxState(Object.fromEntries(new URLSearchParams(stateQuery(view))))).toEqual(view);
      const search = parseInboxState({
        inbox,
        search: '1',
        q: ' refund ',
        status: 'closed',
        hideTrash: ['false'],
        hideFiltered: ['false', 'true'],
        sort: 'relevance',
      });
      expect(search.search).toEqual({
        q: 'refund',
        status: 'closed',
        channel: '',
        contactId: '',
        assignee: '',
        from: '',
        to: '',
        hideFiltered: true,
        hideTrash: false,
      });
      expect(parseInboxState(Object.fromEntries(new URLSearchParams(stateQuery(search))))).toEqual(search);
    });

    it('only sorts by relevance when there is a text to rank by', () => {
      expect(parseInboxState({ view: 'all-open', sort: 'relevance' }).sort).toBe('newest');
      const noText = parseInboxState({ search: '1', status: 'open', sort: 'relevance' });
      expect(searchParameters(noText as Parameters<typeof searchParameters>[0], inbox).sort).toBe('newest');
    });
  });

  describe('mentions in comments', () => {
    it('escapes the text, then marks the @handles', () => {
      expect(withMentions('Hi @grace.hopper, see <b>this</b> & that')).toBe(
        'Hi <strong class="mention">@grace.hopper</strong>, see &lt;b&gt;this&lt;/b&gt; &amp; that',
      );
      expect(withMentions('mail me at ada@example.com')).toBe('mail me at ada@example.com');
      expect(withMentions('<img src=x onerror=alert(1)>@x')).not.toContain('<img');
    });
  });

  describe('the email sanitiser (second layer; the sandboxed frame is the third)', () => {
    it('keeps the layout and text of an ordinary email, links open in a new tab without referrer', () => {
      const clean = sanitizeEmailHtml('<table><tr><td style="color:red" bgcolor="#fff">Hi</td></tr></table><a href="https://shop.test/o/1">order</a>');
      expect(clean).toContain('<td style="color:red" bgcolor="#fff">Hi</td>');
      expect(clean).toContain('<a href="https://shop.test/o/1" target="_blank" rel="noopener noreferrer nofollow">order</a>');
    });

    it.each([
      ['<script>alert(1)</script>ok', /<script|alert/],
      ['<img src=x onerror="alert(1)">', /onerror/],
      ['<a href="javascript:alert(1)">x</a>', /javascript:/],
      ['<a href="  JaVaScRiPt:alert(1)">x</a>', /javascript:/i],
      ['<svg onload="alert(1)"><script>alert(2)</script></svg>', /<svg|onload|<script/],
      ['<iframe src="https://evil.test"></iframe><object data="x"></object><embed src="x">', /<iframe|<object|<embed/],
      ['<form action="https://evil.test"><input name=a></form>', /<form|<input/],
      ['<meta http-equiv="refresh" content="0;url=https://evil.test"><base href="https://evil.test/">', /<meta|<base/],
      ['<math><mtext><table><mglyph><style><img src=x onerror=alert(1)></style></mglyph></table></mtext></math>', /<img|onerror|<math/],
      ['<img src="//evil.test/track.gif">', /evil\.test/],
    ])('removes what could run or leave: %s', (html, forbidden) => {
      expect(sanitizeEmailHtml(html)).not.toMatch(forbidden);
    });
  });

  it('only redirects to local paths after login', () => {
    expect(safeNext('/inbox?view=trash')).toBe('/inbox?view=trash');
    for (const bad of ['https://evil.test/', '//evil.test/x', '/\\evil.test', 'javascript:alert(1)', undefined, 42]) expect(safeNext(bad)).toBe('/inbox');
  });
});
