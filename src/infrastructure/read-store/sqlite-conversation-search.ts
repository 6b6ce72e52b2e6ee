import type { Database, Statement } from 'better-sqlite3';
import { InvalidCursorError, type ConversationSearch } from '../../application/ports/read-store.port';
import type { ConversationFilters } from '../../application/search/conversation-filters';
import { ftsWords } from '../../projections/sqlite/fts-tokenizer';
import {
  BM25_WEIGHTS,
  PREFIX_INDEXED,
  SEARCH_CONVERSATIONS_TABLE as CONVERSATIONS,
  SEARCH_TEXT_TABLE as TEXT,
  SEARCH_WORDS_TABLE as WORDS,
  SEQ_BITS,
} from '../../projections/sqlite/search.projection';

export interface SearchTuning {
  /**
   * A word found in fewer texts than this is "rare": its matches are few enough to fetch at once
   * and sort in memory. A word found more often is "common": it is checked per conversation (an
   * FTS lookup inside that conversation's rowid range, tens of microseconds) instead.
   */
  rareTextRows: number;
  /**
   * List order with common words only: walk the filtered conversations in order, checking each,
   * for at most this many conversations; then intersect the words' matches instead.
   */
  walkBudget: number;
  /**
   * A prefix longer than FTS5's prefix index is asked as its exact words when it has at most
   * this many; with more, the words are likely small ones and FTS5's own prefix merge is cheaper
   * than as many lookups (and bm25 passes).
   */
  maxExpansion: number;
  /**
   * The walk checks the common words of conversations close together in the log with one FTS5
   * query over their rowid range, as long as the range spans at most this many log positions
   * (about 4,000 conversations of ~12 events: for a word in one message in five, ~2,000 rows,
   * ~1 ms to read); conversations further apart are checked one by one (~0.2 ms each).
   */
  rangeCheckSpan: number;
  /** A count that took this long (ms) is "slow": while the read models change, it is recounted at most every countRefreshMs. */
  countSlowMs: number;
  countRefreshMs: number;
}

export const DEFAULT_SEARCH_TUNING: SearchTuning = {
  rareTextRows: 10_000,
  walkBudget: 500,
  maxExpansion: 32,
  rangeCheckSpan: 50_000,
  countSlowMs: 50,
  countRefreshMs: 5_000,
};
/** Counts kept (distinct inbox and filters: the custom views, mostly). */
const COUNT_CACHE_SIZE = 256;
/** Counting checks common words per candidate up to this many candidates, and intersects their matches beyond. */
const COUNT_CHECKS = 1000;
const WALK_BATCH = 200;
/**
 * The SQL text depends on which filters and how many words a request has, so prepared statements
 * are kept in a bounded LRU rather than the unbounded per-text cache: a client cycling through
 * combinations must not grow memory without limit.
 */
const STATEMENT_CACHE_SIZE = 256;

interface Hit {
  k: number;
  id: string;
  lra: string;
  score: number;
}

/**
 * 't': newest/oldest. 'r': relevance ranked by bm25. 'n': relevance when every word is common,
 * which lists newest first (a page continues in the order its cursor was made in).
 */
type Cursor = { kind: 't' | 'n'; lra: string; k: number } | { kind: 'r'; score: number; k: number };
type TimeCursor = Extract<Cursor, { kind: 't' | 'n' }>;

export interface SearchPage {
  ids: string[];
  nextCursor: string | null;
}

const RANGE = `rowid BETWEEN (? << ${SEQ_BITS}) AND (? << ${SEQ_BITS}) + ${2 ** SEQ_BITS - 1}`;
const BM25 = `bm25(${TEXT}, ${BM25_WEIGHTS.join(', ')})`;
const HIT_COLUMNS = 's.k AS k, s.id AS id, s.last_received_at AS lra';

/**
 * Search and filters over the `search` projection's tables (see search.projection.ts), aiming at
 * p95 < 50 ms at a million conversations:
 *
 * - Each word becomes an FTS5 expression that costs a seek, not a scan: up to 3 characters the
 *   prefix index answers `"re"*`; a longer prefix is expanded through search_words into its
 *   words (`"refund" OR "refunds"`), since FTS5 would merge every matching doclist for it. A
 *   prefix no word starts with ends the search at once.
 * - No text: one index range of search_conversations in list order (each index ends in
 *   last_received_at, k), LIMIT n+1; the other filters are checked on the index entries.
 * - At least one rare word (names, numbers, addresses, distinctive words): the rare words'
 *   matches are intersected per conversation in SQL, filtered by primary key, the few candidates
 *   sorted in memory (by bm25 for relevance) and the common words checked lazily, in order, only
 *   until the page is full.
 * - Common words only: newest/oldest walk the filtered list checking each conversation, and fall
 *   back to intersecting the words' matches when they turn out sparse there; relevance has no
 *   rare word to rank by, and scoring common words would cost a pass over all their matches, so
 *   it lists newest first. Counts intersect the matches (the one cost that grows with them).
 *
 * A conversation matches when every word is found (as a prefix) somewhere in it: its subject, its
 * contact's name or address, or any message body. Relevance is the sum over rare words of that
 * word's best bm25 in the conversation; common words next to a rare one still have to match but do
 * not move the ranking (their weight is small by definition).
 */
export class SqliteConversationSearch {
  private readonly statements = new Map<string, Statement>();
  private readonly counts = new Map<string, { value: number; version: string; at: number; slow: boolean }>();
  /** Rows this object's own statements changed (temporary tables), left out of the read models' version. */
  private ownChanges = 0;

  private readonly tuning: SearchTuning;

  constructor(
    private readonly db: Database,
    tuning: Partial<SearchTuning> = {},
  ) {
    this.tuning = { ...DEFAULT_SEARCH_TUNING, ...tuning };
  }

  page(query: ConversationSearch): SearchPage {
    return this.own(() => this.pageNow(query));
  }

  private pageNow(query: ConversationSearch): SearchPage {
    const { filters, sort } = query;
    const want = query.limit + 1;
    const cursor = query.cursor === undefined ? null : decodeSearchCursor(query.cursor, sort === 'relevance' ? ['r', 'n'] : ['t']);
    let hits: Hit[];
    let kind: Cursor['kind'] = sort === 'relevance' ? 'r' : 't';
    const terms = filters.terms === undefined ? undefined : this.expressions(filters.terms);
    if (terms === undefined) hits = this.filteredPage(query.inboxId, filters, sort === 'oldest', cursor as TimeCursor | null, want);
    else if (terms === null) hits = [];
    else {
      const { rare, common } = this.classify(terms);
      if (rare.length > 0 && cursor?.kind !== 'n') hits = this.candidatePage(query, rare, common, cursor, want);
      else if (sort !== 'relevance') hits = this.walkedPage(query.inboxId, filters, terms, sort === 'oldest', cursor as TimeCursor | null, want);
      else if (cursor?.kind === 'r') hits = this.intersectedPage(query.inboxId, filters, terms, 'relevance', cursor, want);
      else {
        kind = 'n';
        hits = this.walkedPage(query.inboxId, filters, terms, false, cursor as TimeCursor | null, want);
      }
    }
    const items = hits.slice(0, query.limit);
    const last = items[items.length - 1];
    return {
      ids: items.map((hit) => hit.id),
      nextCursor:
        hits.length > query.limit ? encodeSearchCursor(kind === 'r' ? { kind, score: last.score, k: last.k } : { kind, lra: last.lra, k: last.k }) : null,
    };
  }

  /**
   * A count reads every conversation it counts: with words, every match of its common words
   * ({q: "refund", status: "open"}: 330–660 ms at 1 M conversations); without, every index entry
   * of its most selective filter ({channel: "email", status: "closed"}: 320 ms there). And the
   * inbox's custom views are counted on every refresh of every agent's screen. So a count is
   * kept: it is answered again as long as the read models have not changed since (exact), and a
   * slow one (countSlowMs, 50 ms, or more) is recounted at most every countRefreshMs (5 s) while
   * they keep changing (it trails by that much).
   */
  count(inboxId: string, filters: ConversationFilters): number {
    const key = JSON.stringify([inboxId, filters]);
    const version = this.readModelsVersion();
    const now = Date.now();
    const kept = this.counts.get(key);
    if (kept && (kept.version === version || (kept.slow && now - kept.at < this.tuning.countRefreshMs))) {
      this.counts.delete(key);
      this.counts.set(key, kept); // most recently used last
      return kept.value;
    }
    const started = performance.now();
    const value = this.own(() => this.countNow(inboxId, filters));
    this.counts.delete(key);
    this.counts.set(key, { value, version, at: now, slow: performance.now() - started >= this.tuning.countSlowMs });
    if (this.counts.size > COUNT_CACHE_SIZE) this.counts.delete(this.counts.keys().next().value as string);
    return value;
  }

  /**
   * Changes whenever the read models may have: a write through this connection (the projections
   * write through it) moves total_changes(), a commit through any other (a replay's swap-in, an
   * append) moves data_version.
   */
  private readModelsVersion(): string {
    return `${this.totalChanges() - this.ownChanges}:${this.prepared('PRAGMA data_version').pluck().get() as number}`;
  }

  /**
   * Runs a search's own statements, whose temporary tables (tokenizing, materialized matches)
   * count in total_changes() too: they are set apart, so that only writes to the read models
   * move the version.
   */
  private own<T>(work: () => T): T {
    const before = this.totalChanges();
    try {
      return work();
    } finally {
      this.ownChanges += this.totalChanges() - before;
    }
  }

  private totalChanges(): number {
    return this.prepared('SELECT total_changes() AS n').pluck().get() as number;
  }

  private countNow(inboxId: string, filters: ConversationFilters): number {
    const where = filterSql(inboxId, filters);
    if (filters.terms === undefined) {
      return this.get<{ n: number }>(`SELECT count(*) AS n FROM ${CONVERSATIONS} s WHERE ${where.sql}`, ...where.params)?.n ?? 0;
    }
    const terms = this.expressions(filters.terms);
    if (terms === null) return 0;
    const { rare, common } = this.classify(terms);
    if (rare.length > 0) {
      const candidates = this.candidates(inboxId, filters, rare, false);
      if (common.length === 0) return candidates.length;
      if (candidates.length <= COUNT_CHECKS) return candidates.filter((hit) => this.containsAll(hit.k, common)).length;
    }
    const sets = termSetsSql(terms, false);
    return this.get<{ n: number }>(`${sets.with} SELECT count(*) AS n FROM ${sets.from} WHERE ${where.sql}`, ...sets.params, ...where.params)?.n ?? 0;
  }

  /**
   * One FTS5 expression per word, or null when some word cannot match anything. A word that FTS5
   * splits into several (letters joined by marks, as in Devanagari) stays a phrase prefix.
   */
  private expressions(terms: string[]): string[] | null {
    const expressions: string[] = [];
    for (const term of terms) {
      const words = ftsWords(this.db, term);
      if (words.length === 0) continue; // nothing FTS5 indexes: no constraint
      if (words.length > 1 || [...words[0]].length <= PREFIX_INDEXED) {
        expressions.push(`${quote(words.length > 1 ? term : words[0])}*`);
        continue;
      }
      const expansion = this.all<{ word: string }>(
        `SELECT word FROM ${WORDS} WHERE word >= ? AND word < ? ORDER BY word LIMIT ?`,
        words[0],
        `${words[0]}\u{10FFFF}`,
        this.tuning.maxExpansion + 1,
      );
      if (expansion.length === 0) return null;
      expressions.push(expansion.length > this.tuning.maxExpansion ? `${quote(words[0])}*` : `(${expansion.map((row) => quote(row.word)).join(' OR ')})`);
    }
    return expressions.length > 0 ? expressions : null;
  }

  /** Candidates from the rare words, in the requested order, with the common words checked lazily. */
  private candidatePage(query: ConversationSearch, rare: string[], common: string[], cursor: Cursor | null, want: number): Hit[] {
    const candidates = this.candidates(query.inboxId, query.filters, rare, query.sort === 'relevance').sort(comparator(query.sort));
    const page: Hit[] = [];
    for (const hit of candidates) {
      if (page.length >= want) break;
      if (cursor && !isAfter(hit, cursor, query.sort === 'oldest')) continue;
      if (this.containsAll(hit.k, common)) page.push(hit);
    }
    return page;
  }

  /** List order, common words only: check conversations as the filtered list gives them, within a budget. */
  private walkedPage(inboxId: string, filters: ConversationFilters, terms: string[], oldest: boolean, cursor: TimeCursor | null, want: number): Hit[] {
    const page: Hit[] = [];
    let position = cursor;
    for (let walked = 0; walked < this.tuning.walkBudget;) {
      const batch = this.filteredPage(inboxId, filters, oldest, position, WALK_BATCH);
      const holding = this.holdingAll(
        batch.map((hit) => hit.k),
        terms,
      );
      for (const hit of batch) {
        if (holding.has(hit.k)) page.push(hit);
        if (page.length >= want) return page;
      }
      if (batch.length < WALK_BATCH) return page;
      walked += batch.length;
      const last = batch[batch.length - 1];
      position = { kind: 't', lra: last.lra, k: last.k };
    }
    return [...page, ...this.intersectedPage(inboxId, filters, terms, oldest ? 'oldest' : 'newest', position, want - page.length)];
  }

  /** Every word's matches intersected per conversation, filtered, ordered and cut in SQL. */
  private intersectedPage(
    inboxId: string,
    filters: ConversationFilters,
    terms: string[],
    sort: ConversationSearch['sort'],
    cursor: Cursor | null,
    want: number,
  ): Hit[] {
    const relevance = sort === 'relevance';
    const sets = termSetsSql(terms, relevance);
    const where = filterSql(inboxId, filters);
    const params: unknown[] = [...sets.params, ...where.params];
    let after = '';
    if (cursor?.kind === 'r') {
      after = `AND (${sets.score} > ? OR (${sets.score} = ? AND s.k < ?))`;
      params.push(cursor.score, cursor.score, cursor.k);
    } else if (cursor) {
      after = `AND (s.last_received_at, s.k) ${sort === 'oldest' ? '>' : '<'} (?, ?)`;
      params.push(cursor.lra, cursor.k);
    }
    const order = relevance ? 'score ASC, s.k DESC' : sort === 'oldest' ? 's.last_received_at ASC, s.k ASC' : 's.last_received_at DESC, s.k DESC';
    return this.all<Hit>(
      `${sets.with} SELECT ${HIT_COLUMNS}, ${relevance ? sets.score : '0'} AS score FROM ${sets.from}
       WHERE ${where.sql} ${after} ORDER BY ${order} LIMIT ?`,
      ...params,
      want,
    );
  }

  /** Conversations (after filters) holding every rare word; with relevance, their score. */
  private candidates(inboxId: string, filters: ConversationFilters, rare: string[], scored: boolean): Hit[] {
    const sets = termSetsSql(rare, scored);
    const where = filterSql(inboxId, filters);
    return this.all<Hit>(
      `${sets.with} SELECT ${HIT_COLUMNS}, ${scored ? sets.score : '0'} AS score FROM ${sets.from} WHERE ${where.sql}`,
      ...sets.params,
      ...where.params,
    );
  }

  /** The filtered list without text: an index range in list order. */
  private filteredPage(inboxId: string, filters: ConversationFilters, oldest: boolean, cursor: TimeCursor | null, want: number): Hit[] {
    const where = filterSql(inboxId, filters);
    const after = cursor ? `AND (s.last_received_at, s.k) ${oldest ? '>' : '<'} (?, ?)` : '';
    const order = oldest ? 'ASC' : 'DESC';
    return this.all<Hit>(
      `SELECT ${HIT_COLUMNS}, 0 AS score FROM ${CONVERSATIONS} s WHERE ${where.sql} ${after}
       ORDER BY s.last_received_at ${order}, s.k ${order} LIMIT ?`,
      ...where.params,
      ...(cursor ? [cursor.lra, cursor.k] : []),
      want,
    );
  }

  /** Splits the expressions by how many texts they are found in (counting stops at rareTextRows). */
  private classify(expressions: string[]): { rare: string[]; common: string[] } {
    const rare: string[] = [];
    const common: string[] = [];
    const limit = this.tuning.rareTextRows;
    for (const expression of expressions) {
      const rows = this.get<{ n: number }>(`SELECT count(*) AS n FROM (SELECT 1 FROM ${TEXT} WHERE ${TEXT} MATCH ? LIMIT ?)`, expression, limit)?.n ?? 0;
      (rows < limit ? rare : common).push(expression);
    }
    return { rare, common };
  }

  /**
   * The conversations among `ks` that hold every expression. Conversations close together in the
   * log (a list page mostly is: its k are the log positions where they started) are checked with
   * one FTS5 query per expression over their rowid range (at 1 M conversations: 1.7 ms for 400
   * conversations instead of 70 ms one by one); stragglers far from the others one by one.
   */
  private holdingAll(ks: number[], expressions: string[]): Set<number> {
    const holding = new Set<number>();
    for (const cluster of clusters(ks, this.tuning.rangeCheckSpan)) {
      if (cluster.length < RANGE_CHECK_MIN) {
        for (const k of cluster) if (this.containsAll(k, expressions)) holding.add(k);
        continue;
      }
      let found: Set<number> = new Set(cluster);
      for (const expression of expressions) {
        const inRange = this.prepared(
          `SELECT DISTINCT rowid >> ${SEQ_BITS} AS k FROM ${TEXT} WHERE ${TEXT} MATCH ? AND rowid BETWEEN (? << ${SEQ_BITS}) AND (? << ${SEQ_BITS}) + ${2 ** SEQ_BITS - 1}`,
        )
          .pluck()
          .all(expression, cluster[0], cluster[cluster.length - 1]) as number[];
        const next = new Set<number>();
        for (const k of inRange) if (found.has(k)) next.add(k);
        found = next;
        if (found.size === 0) break;
      }
      for (const k of found) holding.add(k);
    }
    return holding;
  }

  private containsAll(k: number, expressions: string[]): boolean {
    return expressions.every(
      (expression) => this.get(`SELECT 1 AS found FROM ${TEXT} WHERE ${TEXT} MATCH ? AND ${RANGE} LIMIT 1`, expression, k, k) !== undefined,
    );
  }

  private get<T>(sql: string, ...params: unknown[]): T | undefined {
    return this.prepared(sql).get(...params) as T | undefined;
  }

  private all<T>(sql: string, ...params: unknown[]): T[] {
    return this.prepared(sql).all(...params) as T[];
  }

  private prepared(sql: string): Statement {
    let prepared = this.statements.get(sql);
    if (prepared) this.statements.delete(sql);
    else prepared = this.db.prepare(sql);
    this.statements.set(sql, prepared);
    if (this.statements.size > STATEMENT_CACHE_SIZE) this.statements.delete(this.statements.keys().next().value as string);
    return prepared;
  }
}

/** A cluster this small is checked conversation by conversation. */
const RANGE_CHECK_MIN = 4;

/** The k sorted and cut where the span from a cluster's first k would exceed `span`. */
function clusters(ks: number[], span: number): number[][] {
  const sorted = [...ks].sort((a, b) => a - b);
  const result: number[][] = [];
  for (const k of sorted) {
    const current = result[result.length - 1];
    if (current && k - current[0] <= span) current.push(k);
    else result.push([k]);
  }
  return result;
}

/** An FTS5 string: always a string, never syntax (inner quotes doubled). */
function quote(text: string): string {
  return `"${text.replace(/"/g, '""')}"`;
}

/**
 * One CTE per word with the conversations (k) it is found in, joined to search_conversations.
 * Materialized, because FTS5's bm25() may only run in the query that does the MATCH, and a
 * flattened subquery would move it into the grouping. With `scored`, each CTE also keeps the
 * word's best (lowest) bm25 in that conversation, and `score` sums them in word order.
 */
function termSetsSql(expressions: string[], scored: boolean): { with: string; from: string; score: string; params: string[] } {
  const ctes = expressions.map((_, i) =>
    scored
      ? `m${i} AS MATERIALIZED (SELECT rowid >> ${SEQ_BITS} AS k, ${BM25} AS s FROM ${TEXT} WHERE ${TEXT} MATCH ?),
         t${i} AS MATERIALIZED (SELECT k, min(s) AS s FROM m${i} GROUP BY k)`
      : `t${i} AS MATERIALIZED (SELECT DISTINCT rowid >> ${SEQ_BITS} AS k FROM ${TEXT} WHERE ${TEXT} MATCH ?)`,
  );
  const joins = expressions.slice(1).map((_, i) => `JOIN t${i + 1} ON t${i + 1}.k = t0.k`);
  return {
    with: `WITH ${ctes.join(',\n')}`,
    // CROSS JOIN keeps the matches the outer loop and finds each conversation by its key. Left to
    // itself, the planner may walk a filter's index range and scan every match for each entry:
    // counting the open conversations with a common word took 11 s at 50,000 conversations, 35 ms so.
    from: `t0 ${joins.join(' ')} CROSS JOIN ${CONVERSATIONS} s ON s.k = t0.k`,
    score: expressions.map((_, i) => `t${i}.s`).join(' + '),
    params: expressions,
  };
}

function filterSql(inboxId: string, filters: ConversationFilters): { sql: string; params: unknown[] } {
  const conditions = ['s.inbox_id = ?'];
  const params: unknown[] = [inboxId];
  const where = (condition: string, ...values: unknown[]) => {
    conditions.push(condition);
    params.push(...values);
  };
  if (filters.status) where('s.status = ?', filters.status);
  if (filters.channel) where('s.channel = ?', filters.channel);
  if (filters.contactId) where('s.contact_id = ?', filters.contactId);
  if (filters.assignee) where('s.assignee = ?', filters.assignee.type === 'agent' ? filters.assignee.id : filters.assignee.type);
  if (filters.receivedFrom) where('s.last_received_at >= ?', filters.receivedFrom);
  if (filters.receivedTo) where('s.last_received_at <= ?', filters.receivedTo);
  if (filters.hideFiltered) where('s.filtered = 0');
  if (filters.hideTrash) where('s.trashed = 0');
  return { sql: conditions.join(' AND '), params };
}

function comparator(sort: ConversationSearch['sort']): (a: Hit, b: Hit) => number {
  if (sort === 'relevance') return (a, b) => a.score - b.score || b.k - a.k;
  const direction = sort === 'oldest' ? 1 : -1;
  return (a, b) => direction * (a.lra < b.lra ? -1 : a.lra > b.lra ? 1 : a.k - b.k);
}

function isAfter(hit: Hit, cursor: Cursor, oldest: boolean): boolean {
  if (cursor.kind === 'r') return hit.score > cursor.score || (hit.score === cursor.score && hit.k < cursor.k);
  if (oldest) return hit.lra > cursor.lra || (hit.lra === cursor.lra && hit.k > cursor.k);
  return hit.lra < cursor.lra || (hit.lra === cursor.lra && hit.k < cursor.k);
}

export function encodeSearchCursor(cursor: Cursor): string {
  const value = cursor.kind === 'r' ? ['r', cursor.score, cursor.k] : [cursor.kind, cursor.lra, cursor.k];
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
}

/** A cursor of a previous page in one of the `kinds` of order, or InvalidCursorError. */
export function decodeSearchCursor(cursor: string, kinds: ReadonlyArray<Cursor['kind']>): Cursor {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new InvalidCursorError(cursor);
  }
  if (Array.isArray(value) && value.length === 3 && kinds.includes(value[0]) && Number.isSafeInteger(value[2])) {
    const [kind, key, k] = value as [Cursor['kind'], unknown, number];
    if (kind === 'r' && typeof key === 'number' && Number.isFinite(key)) return { kind, score: key, k };
    if (kind !== 'r' && typeof key === 'string') return { kind, lra: key, k };
  }
  throw new InvalidCursorError(cursor);
}
