import { VIEW_IDS } from '../../application/ports/read-store.port';

/**
 * What the inbox page shows, kept in its URL so that a reload, a link or the back button shows
 * the same thing: `/inbox?inbox=&view=&sort=&conversation=` plus, while searching,
 * `search=1&q=&status=&channel=&contactId=&assignee=&from=&to=&hideFiltered=&hideTrash=`.
 * Fragments (`/ui/...`) take the same parameters, so they render for the same context.
 */
export interface InboxState {
  inboxId: string | null;
  view: string;
  /** relevance: only while searching with a text. */
  sort: 'newest' | 'oldest' | 'relevance';
  conversationId: string | null;
  search: SearchInput | null;
}

/** The search form as the agent filled it in (strings, as docs/api.md's query parameters). */
export interface SearchInput {
  q: string;
  status: string;
  channel: string;
  contactId: string;
  assignee: string;
  from: string;
  to: string;
  hideFiltered: boolean;
  hideTrash: boolean;
}

export const DEFAULT_VIEW = 'unassigned';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const SEARCH_TEXT_FIELDS = ['q', 'status', 'channel', 'contactId', 'assignee', 'from', 'to'] as const;

const one = (value: unknown): string => (typeof value === 'string' ? value : Array.isArray(value) && typeof value[0] === 'string' ? value[0] : '');

/** Lenient: an unknown view or malformed id falls back to the default instead of failing the page. */
export function parseInboxState(query: Record<string, unknown>): InboxState {
  const inbox = one(query.inbox);
  const view = one(query.view);
  const conversation = one(query.conversation);
  const searching = one(query.search) === '1';
  return {
    inboxId: UUID.test(inbox) ? inbox.toLowerCase() : null,
    view: (VIEW_IDS as readonly string[]).includes(view) || UUID.test(view) ? view.toLowerCase() : DEFAULT_VIEW,
    sort: one(query.sort) === 'oldest' ? 'oldest' : one(query.sort) === 'relevance' && searching ? 'relevance' : 'newest',
    conversationId: UUID.test(conversation) ? conversation.toLowerCase() : null,
    search: searching
      ? {
          ...(Object.fromEntries(SEARCH_TEXT_FIELDS.map((name) => [name, one(query[name]).trim().slice(0, 500)])) as Record<
            (typeof SEARCH_TEXT_FIELDS)[number],
            string
          >),
          // Checkboxes: the form always sends a hidden "false" before the box, so the last value wins.
          hideFiltered: lastFlag(query.hideFiltered, false),
          hideTrash: lastFlag(query.hideTrash, true),
        }
      : null,
  };
}

function lastFlag(value: unknown, fallback: boolean): boolean {
  const last = Array.isArray(value) ? value[value.length - 1] : value;
  return last === 'true' ? true : last === 'false' ? false : fallback;
}

/** The state as query parameters, with changes; null/empty values are left out. */
export function stateParams(state: InboxState, changes: Partial<InboxState> = {}): URLSearchParams {
  const s = { ...state, ...changes };
  const params = new URLSearchParams();
  if (s.inboxId) params.set('inbox', s.inboxId);
  if (s.search) {
    params.set('search', '1');
    for (const name of SEARCH_TEXT_FIELDS) if (s.search[name]) params.set(name, s.search[name]);
    params.set('hideFiltered', String(s.search.hideFiltered));
    params.set('hideTrash', String(s.search.hideTrash));
  } else {
    params.set('view', s.view);
  }
  if (s.sort !== 'newest') params.set('sort', s.sort);
  if (s.conversationId) params.set('conversation', s.conversationId);
  return params;
}

export function stateQuery(state: InboxState, changes: Partial<InboxState> = {}): string {
  return stateParams(state, changes).toString();
}

/** The search as docs/api.md's `GET /api/conversations` parameters (what SearchConversationsQuery takes). */
export function searchParameters(state: InboxState & { search: SearchInput }, inboxId: string, cursor?: string): Record<string, unknown> {
  const sort = state.sort === 'relevance' && !state.search.q ? 'newest' : state.sort;
  const params: Record<string, unknown> = {
    inboxId,
    hideFiltered: String(state.search.hideFiltered),
    hideTrash: String(state.search.hideTrash),
    sort,
    limit: '50',
  };
  for (const name of SEARCH_TEXT_FIELDS) if (state.search[name]) params[name] = state.search[name];
  if (cursor) params.cursor = cursor;
  return params;
}
