import {
  FILTER_DEFAULTS,
  InvalidFiltersError,
  orThrow,
  parseConversationFilters,
  parseInstant,
  parseSearchParameters,
  searchTerms,
  type ConversationFilters,
} from '../../src/application/search/conversation-filters';

const AGENT = '6f0c1d2e-3a4b-4c5d-8e9f-0a1b2c3d4e5f';
const CONTACT = '0b7e4c8a-1d2f-5e3a-9b4c-6d7e8f9a0b1c';
const INBOX = '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d';

const filters = (input: Record<string, unknown>): ConversationFilters => orThrow(parseConversationFilters(input)).filters;
const errorsOf = (parsed: { ok: boolean; errors?: string[] }): string[] => (parsed.ok ? [] : (parsed.errors ?? []));
const searchErrors = (input: Record<string, unknown>) => errorsOf(parseSearchParameters(input));

describe('conversation filters: defaults', () => {
  it('without parameters: hide trash, show filtered, newest first, 50 per page', () => {
    expect(orThrow(parseSearchParameters({}))).toEqual({ filters: { hideFiltered: false, hideTrash: true }, sort: 'newest', limit: 50 });
    expect(FILTER_DEFAULTS).toEqual({ hideFiltered: false, hideTrash: true });
  });

  it('empty values count as not given (an HTML form sends status= for "any")', () => {
    expect(
      orThrow(
        parseSearchParameters({ q: '', status: '', channel: '', assignee: '', from: '', to: '', hideTrash: '', sort: '', limit: '', cursor: '', inboxId: '' }),
      ),
    ).toEqual(orThrow(parseSearchParameters({})));
  });

  it('undefined and null values count as not given', () => {
    expect(filters({ status: undefined, channel: null })).toEqual({ hideFiltered: false, hideTrash: true });
  });
});

describe('conversation filters: q', () => {
  it('splits q into lower-cased words, each a prefix, and defaults the order to relevance', () => {
    const parsed = orThrow(parseSearchParameters({ q: '  Refund ORDER 1042 ' }));
    expect(parsed.filters.terms).toEqual(['refund', 'order', '1042']);
    expect(parsed.sort).toBe('relevance');
  });

  it('a blank q is no q at all', () => {
    expect(filters({ q: '   ' }).terms).toBeUndefined();
    expect(orThrow(parseSearchParameters({ q: ' ' })).sort).toBe('newest');
  });

  it('a q without letters or digits matches nothing (no words), and still allows relevance', () => {
    expect(filters({ q: '*** "" ()' }).terms).toEqual([]);
    expect(orThrow(parseSearchParameters({ q: '***', sort: 'relevance' })).sort).toBe('relevance');
  });

  it.each([
    ['"quoted phrase"', ['quoted', 'phrase']],
    ['refund*', ['refund']],
    ['a NEAR b', ['a', 'near', 'b']],
    ['x AND y OR NOT z', ['x', 'and', 'y', 'or', 'not', 'z']],
    ['NEAR(a b, 2)', ['near', 'a', 'b', '2']],
    ['subject:invoice', ['subject', 'invoice']],
    ['(unbalanced', ['unbalanced']],
    ['^start', ['start']],
    ['-minus', ['minus']],
    ['jane.doe@customer.test', ['jane', 'doe', 'customer', 'test']],
    ["don't", ['don', 't']],
    ['café Crème', ['café', 'crème']],
    ['東京 注文', ['東京', '注文']],
    ['🙂smile', ['🙂smile']],
    ['ord order orders', ['orders']],
    ['a', ['a']],
  ])('treats %j as plain words %j', (q, expected) => {
    expect(searchTerms(q)).toEqual(expected);
    expect(parseConversationFilters({ q }).ok).toBe(true);
  });

  it('drops repeated words and words that start a longer word (it implies them)', () => {
    expect(searchTerms('Refund refund ref REFUNDS')).toEqual(['refunds']);
  });

  it('saves q trimmed', () => {
    expect(orThrow(parseConversationFilters({ q: '  late delivery ' })).saved).toEqual({ q: 'late delivery' });
  });

  it('refuses an overlong q or too many words, naming q', () => {
    expect(errorsOf(parseConversationFilters({ q: 'x'.repeat(501) }))).toEqual(['q: must be at most 500 characters (got 501)']);
    expect(errorsOf(parseConversationFilters({ q: Array.from({ length: 17 }, (_, i) => `word${String.fromCharCode(97 + i)}x`).join(' ') }))).toEqual([
      'q: must have at most 16 words (got 17)',
    ]);
  });

  it('refuses a repeated q parameter', () => {
    expect(searchErrors({ q: ['a', 'b'] })).toEqual(['q: give it once (got ["a","b"])']);
  });
});

describe('conversation filters: each parameter', () => {
  it.each([
    [{ status: 'open' }, { status: 'open' }],
    [{ status: 'closed' }, { status: 'closed' }],
    [{ channel: 'whatsapp' }, { channel: 'whatsapp' }],
    [{ channel: 'api' }, { channel: 'api' }],
    [{ channel: 'signed-webhook' }, { channel: 'signed-webhook' }], // a plugin's channel
    [{ contactId: CONTACT.toUpperCase() }, { contactId: CONTACT }],
    [{ assignee: AGENT.toUpperCase() }, { assignee: { type: 'agent', id: AGENT } }],
    [{ assignee: 'bot' }, { assignee: { type: 'bot' } }],
    [{ assignee: 'none' }, { assignee: { type: 'none' } }],
    [{ from: '2025-03-01' }, { receivedFrom: '2025-03-01T00:00:00.000Z' }],
    [{ to: '2025-03-01' }, { receivedTo: '2025-03-01T23:59:59.999Z' }],
    [{ from: '2025-03-01T09:30:00Z' }, { receivedFrom: '2025-03-01T09:30:00.000Z' }],
    [{ to: '2025-03-01T09:30:00+02:00' }, { receivedTo: '2025-03-01T07:30:00.000Z' }],
    [{ hideFiltered: 'true' }, { hideFiltered: true }],
    [{ hideFiltered: true }, { hideFiltered: true }],
    [{ hideTrash: 'false' }, { hideTrash: false }],
    [{ hideTrash: false }, { hideTrash: false }],
  ])('accepts %j', (input, expected) => {
    expect(filters(input)).toEqual({ ...FILTER_DEFAULTS, ...expected });
  });

  it.each([
    [{ status: 'opne' }, 'status: must be one of open, closed (got "opne")'],
    [{ status: 'OPEN' }, 'status: must be one of open, closed (got "OPEN")'],
    [
      { channel: 'Tele gram!' },
      'channel: must be a channel id such as email, chat, messenger, whatsapp, forms, api or a plugin\'s channel (lower-case letters, digits, dashes) (got "Tele gram!")',
    ],
    [{ contactId: 'c-1' }, 'contactId: must be a contact id (UUID) (got "c-1")'],
    [{ assignee: 'me' }, 'assignee: must be an agent id (UUID), "bot" or "none" (got "me")'],
    [{ assignee: 'null' }, 'assignee: must be an agent id (UUID), "bot" or "none" (got "null")'],
    [{ from: 'yesterday' }, 'from: must be an ISO date or date-time, e.g. 2025-03-01 or 2025-03-01T09:30:00Z (got "yesterday")'],
    [{ to: '2025-02-30' }, 'to: must be an ISO date or date-time, e.g. 2025-03-31 or 2025-03-31T18:00:00Z (got "2025-02-30")'],
    [{ from: '2025-03-01T25:00Z' }, 'from: must be an ISO date or date-time, e.g. 2025-03-01 or 2025-03-01T09:30:00Z (got "2025-03-01T25:00Z")'],
    [{ hideTrash: 'maybe' }, 'hideTrash: must be true or false (got "maybe")'],
    [{ hideFiltered: '1' }, 'hideFiltered: must be true or false (got "1")'],
    [{ hideFiltered: 1 }, 'hideFiltered: must be true or false (got 1)'],
    [{ status: 3 }, 'status: must be a string (got 3)'],
    [{ status: ['open', 'closed'] }, 'status: give it once (got ["open","closed"])'],
    [{ colour: 'red' }, 'colour: is not a filter; the filters are q, status, channel, contactId, assignee, from, to, hideFiltered, hideTrash'],
  ])('refuses %j naming the parameter', (input, message) => {
    expect(errorsOf(parseConversationFilters(input))).toEqual([message]);
  });

  it('refuses a filters value that is not an object', () => {
    expect(errorsOf(parseConversationFilters('status=open', 'filters.'))).toEqual([
      'filters: must be an object of filter names and values (got "status=open")',
    ]);
    expect(errorsOf(parseConversationFilters(['open']))).toEqual(['filters: must be an object of filter names and values (got ["open"])']);
  });

  it('prefixes the names with a path (custom view bodies)', () => {
    expect(errorsOf(parseConversationFilters({ status: 'x', sort: 'newest' }, 'filters.'))).toEqual([
      'filters.sort: is not a filter; the filters are q, status, channel, contactId, assignee, from, to, hideFiltered, hideTrash',
      'filters.status: must be one of open, closed (got "x")',
    ]);
  });
});

describe('conversation filters: from / to', () => {
  it('a date-only to covers the whole day; from and to are inclusive', () => {
    expect(filters({ from: '2025-03-01', to: '2025-03-01' })).toMatchObject({
      receivedFrom: '2025-03-01T00:00:00.000Z',
      receivedTo: '2025-03-01T23:59:59.999Z',
    });
  });

  it('refuses from after to, naming both', () => {
    expect(errorsOf(parseConversationFilters({ from: '2025-03-02', to: '2025-03-01' }))).toEqual([
      'from: must not be after to (got from "2025-03-02", to "2025-03-01")',
    ]);
    expect(errorsOf(parseConversationFilters({ from: '2025-03-01T12:00Z', to: '2025-03-01T11:59Z' }))).toHaveLength(1);
  });

  it.each([
    ['2025-03-01T09:30', 'start', '2025-03-01T09:30:00.000Z'],
    ['2025-03-01T09:30:15.5Z', 'start', '2025-03-01T09:30:15.500Z'],
    ['2025-03-01T09:30:15.123456789Z', 'start', '2025-03-01T09:30:15.123Z'],
    ['2025-03-01T00:30:00-0130', 'start', '2025-03-01T02:00:00.000Z'],
    ['2025-03-01T09:30:00 02:00', 'start', '2025-03-01T07:30:00.000Z'],
    ['2024-02-29', 'end', '2024-02-29T23:59:59.999Z'],
    ['2025-12-31', 'end', '2025-12-31T23:59:59.999Z'],
  ] as const)('reads %s (%s) as %s', (value, bound, expected) => {
    expect(parseInstant(value, bound)).toBe(expected);
  });

  it.each([
    '2025-3-1',
    '2023-02-29',
    '2025-13-01',
    '2025-03-01T24:00',
    '2025-03-01T10:60',
    '2025-03-01T10:00:00+25:00',
    '2025-03-01 10:00',
    '1741000000',
    'today',
  ])('refuses %j', (value) => {
    expect(parseInstant(value, 'start')).toBeNull();
  });
});

describe('search parameters: sort, limit, cursor, inboxId', () => {
  it('accepts every sort, relevance only with q', () => {
    expect(orThrow(parseSearchParameters({ sort: 'oldest' })).sort).toBe('oldest');
    expect(orThrow(parseSearchParameters({ q: 'x', sort: 'newest' })).sort).toBe('newest');
    expect(orThrow(parseSearchParameters({ q: 'x', sort: 'relevance' })).sort).toBe('relevance');
    expect(searchErrors({ sort: 'relevance' })).toEqual([
      'sort: relevance needs a text to rank by; give q, or sort by newest or oldest (got "relevance" without q)',
    ]);
    expect(searchErrors({ sort: 'sideways' })).toEqual(['sort: must be one of newest, oldest, relevance (got "sideways")']);
  });

  it.each([
    ['1', 1],
    ['200', 200],
    ['50', 50],
  ])('accepts limit=%s', (limit, expected) => {
    expect(orThrow(parseSearchParameters({ limit })).limit).toBe(expected);
  });

  it.each(['0', '201', '-1', '1.5', 'abc', '1e2', '00000007'])('refuses limit=%s', (limit) => {
    expect(searchErrors({ limit })).toEqual([`limit: must be a whole number from 1 to 200 (got ${JSON.stringify(limit)})`]);
  });

  it('takes a cursor that looks like one; the store decides whether it is one of its own', () => {
    expect(orThrow(parseSearchParameters({ cursor: 'WyJ0IiwiMjAyNSIsMV0' })).cursor).toBe('WyJ0IiwiMjAyNSIsMV0');
    expect(searchErrors({ cursor: 'not a cursor!' })).toEqual(['cursor: must be the nextCursor of a previous page, unchanged (got "not a cursor!")']);
  });

  it('takes an inbox id (UUID), lower-cased', () => {
    expect(orThrow(parseSearchParameters({ inboxId: INBOX.toUpperCase() })).inboxId).toBe(INBOX);
    expect(searchErrors({ inboxId: 'support' })).toEqual(['inboxId: must be an inbox id (UUID) (got "support")']);
  });
});

describe('combinations', () => {
  it('combines every filter', () => {
    const parsed = orThrow(
      parseSearchParameters({
        q: 'refund',
        status: 'open',
        channel: 'email',
        contactId: CONTACT,
        assignee: AGENT,
        from: '2025-03-01',
        to: '2025-03-31',
        hideFiltered: 'true',
        hideTrash: 'false',
        sort: 'oldest',
        limit: '10',
        inboxId: INBOX,
      }),
    );
    expect(parsed).toEqual({
      inboxId: INBOX,
      sort: 'oldest',
      limit: 10,
      filters: {
        terms: ['refund'],
        status: 'open',
        channel: 'email',
        contactId: CONTACT,
        assignee: { type: 'agent', id: AGENT },
        receivedFrom: '2025-03-01T00:00:00.000Z',
        receivedTo: '2025-03-31T23:59:59.999Z',
        hideFiltered: true,
        hideTrash: false,
      },
    });
  });

  it('reports every problem at once', () => {
    expect(searchErrors({ status: 'x', channel: 'Y!', hideTrash: 'maybe', sort: 'relevance', limit: '0', from: '2025-03-02', to: '2025-03-01' })).toEqual([
      'status: must be one of open, closed (got "x")',
      'channel: must be a channel id such as email, chat, messenger, whatsapp, forms, api or a plugin\'s channel (lower-case letters, digits, dashes) (got "Y!")',
      'from: must not be after to (got from "2025-03-02", to "2025-03-01")',
      'hideTrash: must be true or false (got "maybe")',
      'sort: relevance needs a text to rank by; give q, or sort by newest or oldest (got "relevance" without q)',
      'limit: must be a whole number from 1 to 200 (got "0")',
    ]);
  });

  it('saves exactly the filters that were given, normalised', () => {
    expect(
      orThrow(
        parseConversationFilters({
          q: ' Jane ',
          status: 'open',
          assignee: AGENT.toUpperCase(),
          contactId: CONTACT,
          to: '2025-03-01',
          hideTrash: 'false',
          hideFiltered: true,
        }),
      ).saved,
    ).toEqual({ q: 'Jane', status: 'open', assignee: AGENT, contactId: CONTACT, to: '2025-03-01', hideTrash: false, hideFiltered: true });
  });

  it('the saved form parses back to the same filters', () => {
    const first = orThrow(parseConversationFilters({ q: 'x y', channel: 'chat', from: '2025-01-01T10:00+01:00', hideTrash: 'false' }));
    expect(orThrow(parseConversationFilters(first.saved)).filters).toEqual(first.filters);
  });

  it('orThrow raises InvalidFiltersError with every message', () => {
    expect(() => orThrow(parseConversationFilters({ status: 'x', channel: 'y' }))).toThrow(InvalidFiltersError);
    try {
      orThrow(parseConversationFilters({ status: 'x', channel: 'Y!' }));
    } catch (error) {
      expect((error as InvalidFiltersError).errors).toHaveLength(2);
    }
  });
});
