import { randomUUID } from 'node:crypto';
import type { Database } from 'better-sqlite3';
import type { NewEvent, RecordedEvent } from '../../src/application/ports/event-store.port';
import { InvalidCursorError, type ConversationSummary, type ReadStore } from '../../src/application/ports/read-store.port';
import { orThrow, parseSearchParameters } from '../../src/application/search/conversation-filters';
import pino from 'pino';
import type { EventStore } from '../../src/application/ports/event-store.port';
import { createSqliteReadSide } from '../../src/infrastructure/read-store/sqlite-read-side';
import { databaseFile, openDatabase } from '../../src/infrastructure/sqlite/open-database';
import { SqliteConversationSearch, type SearchTuning } from '../../src/infrastructure/read-store/sqlite-conversation-search';
import type { SqliteReadStore } from '../../src/infrastructure/read-store/sqlite-read-store';
import { sqliteProjections } from '../../src/projections/sqlite';
import { distinctWords, searchProjection } from '../../src/projections/sqlite/search.projection';
import { ftsWords } from '../../src/projections/sqlite/fts-tokenizer';
import type { ConversationDoc } from '../../src/projections/conversation-summary';
import {
  append,
  at,
  cleanUp,
  cleanUpTempDirs,
  conversationEvent as e,
  newDataDir,
  openEventStore,
  openLiveSystem,
  openReadSide,
  recorded,
  seededRandom,
} from './fixtures';

/** Databases of directReadSide: closed after each test, or after the file for `keep`. */
const openedForTest: Database[] = [];
const openedForFile: Database[] = [];
afterEach(async () => {
  for (const db of openedForTest.splice(0)) db.close();
  await cleanUp();
});
afterAll(() => {
  for (const db of openedForFile.splice(0)) db.close();
  cleanUpTempDirs();
});

const INBOX = 'inbox-a';
const OTHER_INBOX = 'inbox-b';

/** A read side fed by hand: events go straight into every projection (no runner), as a replay would. */
function directReadSide(options: { keep?: boolean } = {}) {
  const db = openDatabase(databaseFile(newDataDir()), { synchronous: 'NORMAL' });
  (options.keep ? openedForFile : openedForTest).push(db);
  // The runner is never started: nothing reads the event store.
  const side = { db, ...createSqliteReadSide({ db, eventStore: {} as EventStore, logger: pino({ level: 'silent' }) }) };
  let position = 0;
  const revisions = new Map<string, number>();
  const log: RecordedEvent[] = [];
  const apply = (streamId: string, ...events: NewEvent[]): RecordedEvent[] => {
    const written = events.map((event) => {
      const revision = (revisions.get(streamId) ?? -1) + 1;
      revisions.set(streamId, revision);
      position += 1;
      return recorded(event, streamId, revision, position);
    });
    side.db.transaction(() => {
      for (const event of written) for (const projection of sqliteProjections) if (projection.handles.includes(event.type)) projection.apply(event, side.db);
    })();
    log.push(...written);
    return written;
  };
  /** Starts a conversation; returns its id. */
  const conversation = (
    options: {
      inboxId?: string;
      subject?: string;
      contact?: { id?: string; address: string; name?: string };
      startedAt?: string;
      channel?: 'email' | 'chat';
    } = {},
    ...more: NewEvent[]
  ) => {
    const id = randomUUID();
    apply(
      `conversation-${id}`,
      e.started({
        conversationId: id,
        inboxId: options.inboxId ?? INBOX,
        subject: options.subject ?? 'Hello',
        contact: options.contact,
        startedAt: options.startedAt,
        channel: options.channel,
      }),
      ...more,
    );
    return id;
  };
  return { ...side, apply, conversation, log };
}

type Searchable = Pick<ReadStore, 'searchConversations' | 'countConversations'>;

/** The search module with small thresholds, so that a few hundred conversations exercise every plan. */
function tunedSearch(db: Database, tuning: Partial<SearchTuning>): Searchable {
  const search = new SqliteConversationSearch(db, tuning);
  return {
    searchConversations: async (query) => {
      const page = search.page(query);
      return { items: page.ids.map((id) => ({ id }) as ConversationSummary), nextCursor: page.nextCursor };
    },
    countConversations: async ({ inboxId, filters }) => search.count(inboxId, filters),
  };
}

async function search(readStore: Searchable, params: Record<string, string>, inboxId = INBOX) {
  const { filters, sort, limit, cursor } = orThrow(parseSearchParameters(params));
  return readStore.searchConversations({ inboxId, filters, sort, limit, cursor });
}

async function ids(readStore: Searchable, params: Record<string, string>, inboxId = INBOX): Promise<string[]> {
  return (await search(readStore, params, inboxId)).items.map((item: ConversationSummary) => item.id);
}

/** Every page of a search, following nextCursor. */
async function allPages(readStore: Searchable, params: Record<string, string>, inboxId = INBOX): Promise<string[]> {
  const found: string[] = [];
  let cursor: string | null = null;
  for (let pages = 0; pages < 10_000; pages += 1) {
    const page = await search(readStore, { ...params, ...(cursor ? { cursor } : {}) }, inboxId);
    found.push(...page.items.map((item) => item.id));
    cursor = page.nextCursor;
    if (!cursor) return found;
  }
  throw new Error('too many pages');
}

async function count(readStore: Searchable, params: Record<string, string>, inboxId = INBOX): Promise<number> {
  return readStore.countConversations({ inboxId, filters: orThrow(parseSearchParameters(params)).filters });
}

/** The search read model as data: filter rows, every indexed word occurrence (not FTS's page layout), the word list. */
function dumpSearch(db: Database): {
  conversations: unknown[];
  instances: Array<{ term: string; doc: number }>;
  words: Array<{ word: string; holder: number }>;
} {
  db.exec(`CREATE VIRTUAL TABLE IF NOT EXISTS temp.search_text_instances USING fts5vocab(main, search_text, 'instance')`);
  return {
    conversations: db.prepare('SELECT * FROM search_conversations ORDER BY k').all(),
    instances: db.prepare('SELECT term, doc, col, offset FROM temp.search_text_instances ORDER BY doc, col, offset').all() as Array<{
      term: string;
      doc: number;
    }>,
    words: db.prepare('SELECT * FROM search_words ORDER BY word').all() as Array<{ word: string; holder: number }>,
  };
}

describe('search projection: what is searched', () => {
  it('finds a conversation by its subject, inbound and outbound bodies, contact name and address', async () => {
    const side = directReadSide();
    const id = side.conversation(
      { subject: 'Invoice overdue', contact: { address: 'jane.doe@customer.test', name: 'Jane Marple' } },
      e.received({ receivedAt: at(1), text: 'The parcel never arrived' }),
      e.replied({ authorId: 'agent-1', text: 'We shipped a replacement' }),
    );
    const other = side.conversation({ subject: 'Something else', contact: { address: 'bob@example.org', name: 'Bob' } });
    for (const q of ['invoice', 'overdue', 'parcel', 'arrived', 'replacement', 'shipped', 'jane', 'marple', 'customer', 'jane.doe@customer.test', 'doe@cust']) {
      expect({ q, found: await ids(side.readStore, { q }) }).toEqual({ q, found: [id] });
    }
    expect(await ids(side.readStore, { q: 'bob' })).toEqual([other]);
  });

  it('matches every word as a prefix, never inside a word', async () => {
    const side = directReadSide();
    const id = side.conversation({ subject: 'Refunds pending' });
    expect(await ids(side.readStore, { q: 'ref' })).toEqual([id]);
    expect(await ids(side.readStore, { q: 'REFUND pend' })).toEqual([id]);
    expect(await ids(side.readStore, { q: 'funds' })).toEqual([]);
    expect(await ids(side.readStore, { q: 'refunds pendingx' })).toEqual([]);
  });

  it('needs every word, but they may sit in different parts of the conversation', async () => {
    const side = directReadSide();
    const id = side.conversation(
      { subject: 'Order 1042', contact: { address: 'ana@example.com', name: 'Ana' } },
      e.received({ receivedAt: at(1), text: 'first message about shipping' }),
      e.received({ receivedAt: at(2), text: 'second message about a refund' }),
    );
    side.conversation({ subject: 'Order 77' }, e.received({ receivedAt: at(1), text: 'shipping question' }));
    expect(await ids(side.readStore, { q: 'ana 1042 shipping refund' })).toEqual([id]);
    expect(await ids(side.readStore, { q: '1042 nothing' })).toEqual([]);
  });

  it('folds case and accents', async () => {
    const side = directReadSide();
    const id = side.conversation({ subject: 'Crème brûlée au Café' });
    expect(await ids(side.readStore, { q: 'creme brulee' })).toEqual([id]);
    expect(await ids(side.readStore, { q: 'CAFÉ' })).toEqual([id]);
  });

  it('does not search internal comments', async () => {
    const side = directReadSide();
    side.conversation({ subject: 'Hello' }, e.commented('agent-1', 'confidential remark'));
    expect(await ids(side.readStore, { q: 'confidential' })).toEqual([]);
  });

  it('keeps inboxes apart', async () => {
    const side = directReadSide();
    const mine = side.conversation({ subject: 'Shared word' });
    const theirs = side.conversation({ subject: 'Shared word', inboxId: OTHER_INBOX });
    expect(await ids(side.readStore, { q: 'shared' })).toEqual([mine]);
    expect(await ids(side.readStore, { q: 'shared' }, OTHER_INBOX)).toEqual([theirs]);
  });
});

describe('search projection: ranking (bm25)', () => {
  it('ranks a word in the subject above the contact, the contact above a body, more occurrences higher', async () => {
    const side = directReadSide();
    for (let i = 0; i < 20; i += 1) side.conversation({ subject: `Filler ${i}` }, e.received({ receivedAt: at(i), text: `nothing to see ${i}` }));
    const inBody = side.conversation({ subject: 'Question' }, e.received({ receivedAt: at(30), text: 'about the warranty terms' }));
    const inBodyTwice = side.conversation({ subject: 'Question' }, e.received({ receivedAt: at(31), text: 'warranty, warranty!' }));
    const inContact = side.conversation({ subject: 'Question', contact: { address: 'warranty@shop.test' }, startedAt: at(32) });
    const inSubject = side.conversation({ subject: 'Warranty claim', startedAt: at(33) });
    const ranked = await ids(side.readStore, { q: 'warranty' });
    expect(ranked).toHaveLength(4);
    const rank = (id: string) => ranked.indexOf(id);
    expect(rank(inSubject)).toBe(0);
    expect(rank(inContact)).toBeLessThan(rank(inBody));
    expect(rank(inBodyTwice)).toBeLessThan(rank(inBody));
    expect(await ids(side.readStore, { q: 'warranty', sort: 'newest' })).toEqual([inSubject, inContact, inBodyTwice, inBody]);
    expect(await ids(side.readStore, { q: 'warranty', sort: 'relevance', limit: '1' })).toEqual([inSubject]);
    expect(await ids(side.readStore, { q: 'warranty', sort: 'oldest' })).toEqual([inBody, inBodyTwice, inContact, inSubject]);
  });

  it('pages through relevance with a cursor, each conversation once', async () => {
    const side = directReadSide();
    for (let i = 0; i < 15; i += 1) side.conversation({ subject: `Filler ${i}` });
    const matching = Array.from({ length: 7 }, (_, i) => side.conversation({ subject: 'Parcel '.repeat(i + 1) }));
    const firstPage = await search(side.readStore, { q: 'parcel', limit: '3' });
    expect(firstPage.items).toHaveLength(3);
    const all = await allPages(side.readStore, { q: 'parcel', limit: '3' });
    expect(all).toEqual(await ids(side.readStore, { q: 'parcel', limit: '50' }));
    expect(new Set(all)).toEqual(new Set(matching));
  });

  it('refuses a cursor of another order, or one it did not issue', async () => {
    const side = directReadSide();
    for (let i = 0; i < 3; i += 1) side.conversation({ subject: 'Parcel' });
    const relevancePage = await search(side.readStore, { q: 'parcel', limit: '1' });
    const newestPage = await search(side.readStore, { q: 'parcel', sort: 'newest', limit: '1' });
    await expect(search(side.readStore, { q: 'parcel', sort: 'newest', cursor: relevancePage.nextCursor! })).rejects.toThrow(InvalidCursorError);
    await expect(search(side.readStore, { q: 'parcel', cursor: newestPage.nextCursor! })).rejects.toThrow(InvalidCursorError);
    await expect(search(side.readStore, { cursor: 'WyJ4Il0' })).rejects.toThrow(InvalidCursorError);
    await expect(search(side.readStore, { cursor: 'bm90LWpzb24' })).rejects.toThrow(InvalidCursorError);
  });
});

describe('search projection: FTS syntax is plain text', () => {
  /** [q, whether it finds the conversation "Parcel lost"]: every word must be there, operators are words. */
  const nasty: Array<[string, boolean]> = [
    ['"', false],
    ['""', false],
    ['"unbalanced', false],
    ['*', false],
    ['parcel*', true],
    ['*parcel', true],
    ['NEAR', false],
    ['NEAR(parcel lost, 2)', false],
    ['parcel lost', true],
    ['"parcel" "lost"', true],
    ['parcel AND', false],
    ['OR parcel', false],
    ['NOT', false],
    ['parcel NOT lost', false],
    ['subject:parcel', false],
    ['body : parcel', false],
    ['{subject body}: parcel', false],
    ['(', false],
    [')', false],
    ['((parcel)', true],
    ['parcel)', true],
    ['^parcel', true],
    ['-parcel', true],
    ['parcel -lost', true],
    ['+parcel', true],
    ['parcel:lost', true],
    ["parcel'; DROP TABLE search_text; --", false],
    ['\\', false],
    ['\u0000parcel', true],
    ['%_', false],
    ['🙂 parcel', false],
    ['parcel 🙂', false],
    ['PaRcEl LoSt', true],
    ['a'.repeat(500), false],
    ['x y z w v u t s r q p o n m l k', false],
    [':', false],
    ['col:', false],
  ];

  it.each(nasty)('never throws on q=%j (finds it: %s)', async (q, finds) => {
    const side = directReadSide();
    const id = side.conversation({ subject: 'Parcel lost' });
    for (const sort of ['relevance', 'newest', 'oldest']) {
      expect(await ids(side.readStore, { q, sort })).toEqual(finds ? [id] : []);
    }
    expect(await count(side.readStore, { q })).toBe(finds ? 1 : 0);
    expect(side.db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE name = 'search_text'").get()).toEqual({ n: 1 });
  });

  it('reads the operators as words to find', async () => {
    const side = directReadSide();
    const near = side.conversation({ subject: 'Near the warehouse' });
    const not = side.conversation({ subject: 'Not delivered' });
    side.conversation({ subject: 'Parcel lost' });
    expect(await ids(side.readStore, { q: 'NEAR' })).toEqual([near]);
    expect(await ids(side.readStore, { q: 'not' })).toEqual([not]);
    expect(await ids(side.readStore, { q: 'subject:near' })).toEqual([]);
  });

  it('a q without any word matches nothing', async () => {
    const side = directReadSide();
    side.conversation({ subject: 'Parcel' });
    expect(await ids(side.readStore, { q: '*** ()' })).toEqual([]);
    expect(await count(side.readStore, { q: '"' })).toBe(0);
  });
});

describe('search projection: long prefixes go through the word list', () => {
  it('expands a prefix longer than three characters into the words that start with it', async () => {
    const side = directReadSide();
    const refunds = side.conversation({ subject: 'Refunds' });
    const refunded = side.conversation({ subject: 'Hello' }, e.received({ receivedAt: at(1), text: 'I was refunded twice' }));
    side.conversation({ subject: 'Referral' });
    expect(new Set(await ids(side.readStore, { q: 'refu' }))).toEqual(new Set([refunds, refunded]));
    expect(await ids(side.readStore, { q: 'refunde' })).toEqual([refunded]);
    expect(await ids(side.readStore, { q: 'refusal' })).toEqual([]);
    expect(new Set(await ids(side.readStore, { q: 'ref' }))).toHaveProperty('size', 3);
    expect(dumpSearch(side.db).words.map((w) => w.word)).toEqual(expect.arrayContaining(['refunds', 'refunded', 'referral', 'hello', 'twice']));
    expect(dumpSearch(side.db).words.map((w) => w.word)).not.toContain('was'); // the prefix index covers words of up to 3 characters
  });

  it("uses FTS5's own folding (Greek and Cyrillic accents are kept, Latin ones dropped)", async () => {
    const side = directReadSide();
    const greek = side.conversation({ subject: 'Αθήνα' });
    const cyrillic = side.conversation({ subject: 'Йошкар' });
    const latin = side.conversation({ subject: 'Łódź résumé' });
    expect(await ids(side.readStore, { q: 'αθήν' })).toEqual([greek]);
    expect(await ids(side.readStore, { q: 'ЙОШК' })).toEqual([cyrillic]);
    expect(await ids(side.readStore, { q: 'resum łodz' })).toEqual([latin]);
  });

  it('splits ASCII text in JavaScript into exactly the words FTS5 makes of it', () => {
    const side = directReadSide();
    const random = seededRandom(7);
    const char = (code: number) => String.fromCharCode(code);
    const texts = Array.from({ length: 128 }, (_, code) => `ab${char(code)}cd x${char(code)} ${char(code)}Z9 Order-1042`);
    for (let i = 0; i < 2000; i += 1) texts.push(Array.from({ length: 1 + Math.floor(random() * 60) }, () => char(Math.floor(random() * 128))).join(''));
    for (const text of texts) expect(distinctWords(side.db, text)).toEqual([...new Set(ftsWords(side.db, text))]);
    expect(distinctWords(side.db, 'Crème brûlée, CRÈME')).toEqual(['creme', 'brulee']); // not ASCII: FTS5's own answer
  });

  it('each word keeps the lowest conversation holding it; deleting or unlinking hands it on or drops it', () => {
    const side = directReadSide();
    const contactId = randomUUID();
    const first = side.conversation({ subject: 'Xylophone delivery', contact: { id: contactId, address: 'quentin@tarantino.test', name: 'Quentin' } });
    const second = side.conversation({ subject: 'Hello' }, e.received({ receivedAt: at(1), text: 'xylophone again' }));
    const holder = (word: string) => dumpSearch(side.db).words.find((w) => w.word === word)?.holder;
    const k = (id: string) => (side.db.prepare('SELECT k FROM search_conversations WHERE id = ?').get(id) as { k: number }).k;
    expect(holder('xylophone')).toBe(k(first));
    expect(holder('quentin')).toBe(k(first));
    side.apply(`conversation-${first}`, e.contactUnlinked(contactId));
    expect(holder('quentin')).toBeUndefined();
    expect(holder('tarantino')).toBeUndefined();
    expect(holder('xylophone')).toBe(k(first));
    side.apply(`conversation-${first}`, e.trashed(), e.deleted());
    expect(holder('xylophone')).toBe(k(second));
    expect(holder('delivery')).toBeUndefined();
    side.apply(`conversation-${second}`, e.trashed(), e.deleted());
    expect(dumpSearch(side.db).words).toEqual([]);
  });

  it('a batch rolled back and applied again writes its words again (the words remembered between batches are forgotten)', () => {
    const source = directReadSide();
    const first = source.conversation({ subject: 'Xylophone delivery' });
    source.conversation({ subject: 'Hello' }, e.received({ receivedAt: at(1), text: 'zeppelin xylophone' }));
    source.apply(`conversation-${first}`, e.received({ receivedAt: at(2), text: 'zeppelin again' }));
    const [batch1, batch2] = [source.log.slice(0, 1), source.log.slice(1)].map((events) => events.filter((ev) => searchProjection.handles.includes(ev.type)));

    const target = openReadSide(databaseFile(newDataDir()), openEventStore().store);
    const applyBatch = (events: RecordedEvent[]) => searchProjection.applyBatch?.(events, target.db);
    target.db.transaction(() => applyBatch(batch1))();
    // The second batch is applied, then its transaction fails (as when another projection throws after this one).
    expect(() =>
      target.db.transaction(() => {
        applyBatch(batch2);
        throw new Error('another projection failed');
      })(),
    ).toThrow('another projection failed');
    expect(dumpSearch(target.db).words.map((w) => w.word)).not.toContain('zeppelin');
    // The runner applies the same batch again: every word it holds must be written, none skipped as already known.
    target.db.transaction(() => applyBatch(batch2))();
    expect(dumpSearch(target.db)).toEqual(dumpSearch(source.db));
  });
});

describe('search projection: keeping up with the conversation', () => {
  it('deleting a conversation removes its row and every word of it', async () => {
    const side = directReadSide();
    const keep = side.conversation({ subject: 'Parcel kept' }, e.received({ receivedAt: at(1), text: 'body kept' }));
    const gone = side.conversation(
      { subject: 'Parcel gone', contact: { address: 'gone@example.com', name: 'Gone' } },
      e.received({ receivedAt: at(2), text: 'body vanished' }),
    );
    side.apply(`conversation-${gone}`, e.trashed(), e.deleted());
    expect(await ids(side.readStore, { q: 'parcel', hideTrash: 'false' })).toEqual([keep]);
    expect(await ids(side.readStore, { q: 'vanished', hideTrash: 'false' })).toEqual([]);
    const dump = dumpSearch(side.db);
    expect(dump.conversations).toHaveLength(1);
    expect(dump.instances.map((w) => w.term)).not.toContain('gone');
    expect(dump.instances.map((w) => w.term)).not.toContain('vanished');
    expect(dump.words.map((w) => w.word)).not.toContain('vanished');
    expect(dump.words.map((w) => w.word)).toContain('parcel');
  });

  it('unlinking the contact removes its name and address from the search, and from contactId', async () => {
    const side = directReadSide();
    const contactId = randomUUID();
    const id = side.conversation(
      { subject: 'Invoice', contact: { id: contactId, address: 'jane@customer.test', name: 'Jane' } },
      e.received({ receivedAt: at(1), text: 'from jane' }),
    );
    expect(await ids(side.readStore, { q: 'customer' })).toEqual([id]);
    expect(await ids(side.readStore, { contactId })).toEqual([id]);
    side.apply(`conversation-${id}`, e.contactUnlinked(contactId));
    expect(await ids(side.readStore, { q: 'customer' })).toEqual([]);
    expect(await ids(side.readStore, { contactId })).toEqual([]);
    expect(await ids(side.readStore, { q: 'invoice' })).toEqual([id]);
    expect(await ids(side.readStore, { q: 'jane' })).toEqual([id]); // still in the message body
  });

  it('follows status, assignee, channel, flags and lastReceivedAt', async () => {
    const side = directReadSide();
    const id = side.conversation({ subject: 'Tracked', startedAt: at(0) });
    const stream = `conversation-${id}`;
    const agent = randomUUID();
    const one = (params: Record<string, string>) => ids(side.readStore, { q: 'tracked', ...params });
    expect(await one({ status: 'open', assignee: 'none' })).toEqual([id]);
    side.apply(stream, e.assigned({ type: 'agent', id: agent }), e.closed());
    expect(await one({ status: 'open' })).toEqual([]);
    expect(await one({ status: 'closed', assignee: agent })).toEqual([id]);
    side.apply(stream, e.assigned({ type: 'bot' }));
    expect(await one({ assignee: 'bot' })).toEqual([id]);
    side.apply(stream, e.unassigned({ type: 'bot' }), e.reopened());
    expect(await one({ status: 'open', assignee: 'none' })).toEqual([id]);
    side.apply(stream, e.filtered('x@example.com'));
    expect(await one({ hideFiltered: 'true' })).toEqual([]);
    expect(await one({})).toEqual([id]);
    side.apply(stream, e.unfiltered('x@example.com'), e.trashed());
    expect(await one({})).toEqual([]);
    expect(await one({ hideTrash: 'false' })).toEqual([id]);
    side.apply(stream, e.restored(), e.received({ receivedAt: '2025-06-01T10:00:00+02:00' }));
    expect(await one({ from: '2025-06-01T08:00:00Z', to: '2025-06-01' })).toEqual([id]);
    expect(await one({ from: '2025-06-01T08:00:01Z' })).toEqual([]);
    expect(await one({ to: '2025-05-31' })).toEqual([]);
    expect(await one({ channel: 'email' })).toEqual([id]);
    expect(await one({ channel: 'chat' })).toEqual([]);
  });

  it('applying every event twice gives the same read model as once', () => {
    const once = directReadSide();
    const agent = randomUUID();
    for (let i = 0; i < 8; i += 1) {
      const id = once.conversation({ subject: `Subject ${i}`, contact: { address: `c${i}@example.com`, name: `Contact ${i}` } });
      once.apply(
        `conversation-${id}`,
        e.received({ receivedAt: at(i), text: `inbound ${i}` }),
        e.replied({ authorId: agent, text: `outbound ${i}` }),
        e.assigned({ type: 'agent', id: agent }),
      );
      if (i % 3 === 0) once.apply(`conversation-${id}`, e.contactUnlinked('c'));
      if (i % 4 === 1) once.apply(`conversation-${id}`, e.trashed(), e.deleted());
      if (i % 4 === 2) once.apply(`conversation-${id}`, e.filtered(`c${i}@example.com`), e.closed());
    }
    const twice = openReadSide(databaseFile(newDataDir()), openEventStore().store);
    twice.db.transaction(() => {
      for (const event of once.log) {
        if (!searchProjection.handles.includes(event.type)) continue;
        searchProjection.apply(event, twice.db);
        searchProjection.apply(event, twice.db);
      }
    })();
    expect(dumpSearch(twice.db)).toEqual(dumpSearch(once.db));
    expect(dumpSearch(once.db).conversations).toHaveLength(6);
  });

  it('the live runner and a replay into an empty database agree', async () => {
    const live = openLiveSystem();
    const ids: string[] = [];
    for (let i = 0; i < 12; i += 1) {
      const id = randomUUID();
      ids.push(id);
      await append(
        live.store,
        `conversation-${id}`,
        e.started({ conversationId: id, inboxId: INBOX, subject: `Live ${i}` }),
        e.received({ receivedAt: at(i), text: `text ${i}` }),
      );
    }
    // "marimba" first in ids[0]; then in a later message of ids[1], started before ids[2] which has it from the start.
    await append(live.store, `conversation-${ids[0]}`, e.received({ receivedAt: at(20), text: 'marimba' }));
    await append(live.store, `conversation-${ids[2]}`, e.received({ receivedAt: at(21), text: 'marimba lessons' }));
    await append(live.store, `conversation-${ids[1]}`, e.received({ receivedAt: at(22), text: 'marimba too' }));
    await append(live.store, `conversation-${ids[0]}`, e.trashed(), e.deleted());
    await live.caughtUp(); // the runner applies the deletion before the stream goes, as the saga does
    await live.store.deleteStream(`conversation-${ids[0]}`);
    await append(live.store, `conversation-${ids[1]}`, e.contactUnlinked('c'));
    await live.caughtUp();
    const replay = openReadSide(databaseFile(newDataDir()), live.store, { batchSize: 5 });
    replay.runner.start();
    expect(await replay.runner.waitFor(await live.store.headPosition(), 10_000)).toBe(true);
    expect(dumpSearch(replay.db)).toEqual(dumpSearch(live.db));
    expect(await ids2(live.readStore)).toEqual(await ids2(replay.readStore));
    async function ids2(store: SqliteReadStore) {
      return allPages(store, { q: 'live', sort: 'oldest', limit: '5' });
    }
  });
});

describe.each([1, 7, 2024])('search rows agree with the conversation summaries over a random history (seed %i)', (seed) => {
  it('same conversations, and the same status, assignee, channel, contact, flags and lastReceivedAt', () => {
    const side = directReadSide();
    const random = seededRandom(seed);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)];
    const agents = [randomUUID(), randomUUID()];
    const conversations = Array.from({ length: 25 }, () => ({ id: randomUUID(), started: false, origin: 'inbound' as 'inbound' | 'outbound' }));
    for (let step = 0; step < 600; step += 1) {
      const c = pick(conversations);
      const stream = `conversation-${c.id}`;
      if (!c.started) {
        c.origin = random() < 0.3 ? 'outbound' : 'inbound';
        side.apply(
          stream,
          e.started({
            conversationId: c.id,
            inboxId: pick([INBOX, OTHER_INBOX]),
            channel: pick(['email', 'chat', 'whatsapp'] as const),
            origin: c.origin,
            startedAt: at(Math.floor(random() * 50)),
          }),
        );
        c.started = true;
        continue;
      }
      const events: Array<() => NewEvent | 'delete'> = [
        () => e.received({ receivedAt: at(Math.floor(random() * 100)), text: `words ${step}` }),
        () => e.replied({ authorId: pick(agents), text: `reply ${step}` }),
        () => e.assigned(random() < 0.3 ? { type: 'bot' } : { type: 'agent', id: pick(agents) }),
        () => e.unassigned({ type: 'agent', id: pick(agents) }),
        () => e.closed(),
        () => e.reopened(),
        () => e.filtered('x@example.com'),
        () => e.unfiltered('x@example.com'),
        () => e.trashed(),
        () => e.restored(),
        () => e.contactUnlinked('c'),
        () => 'delete',
      ];
      const event = pick(events)();
      if (event === 'delete') {
        side.apply(stream, e.deleted());
        c.started = false; // the same thread may start again, as a new conversation with the same id
      } else {
        side.apply(stream, event);
      }
    }
    const docs = (side.db.prepare('SELECT doc FROM rm_conversations').all() as Array<{ doc: string }>).map((row) => JSON.parse(row.doc) as ConversationDoc);
    const expected = docs
      .map((doc) => ({
        id: doc.id,
        inbox_id: doc.inboxId,
        status: doc.status,
        channel: doc.channel,
        origin: doc.origin,
        contact_id: doc.contact?.id ?? null,
        assignee: doc.assignee === null ? 'none' : doc.assignee.type === 'bot' ? 'bot' : doc.assignee.id,
        filtered: doc.filtered ? 1 : 0,
        trashed: doc.trashed ? 1 : 0,
        last_received_at: doc.lastReceivedAt,
      }))
      .sort((a, b) => a.id.localeCompare(b.id));
    const rows = side.db
      .prepare('SELECT id, inbox_id, status, channel, origin, contact_id, assignee, filtered, trashed, last_received_at FROM search_conversations ORDER BY id')
      .all();
    expect(rows).toEqual(expected);
    expect(rows.length).toBeGreaterThan(5);
  });
});

describe('search: counts are kept while nothing changes', () => {
  it('a count is exact after a change, whether the projections wrote through this connection or another commits', async () => {
    const side = directReadSide({ keep: true });
    const searchable = tunedSearch(side.db, {});
    side.conversation({ subject: 'kettle broken' });
    expect(await count(searchable, { q: 'kettle' })).toBe(1);
    expect(await count(searchable, { q: 'kettle' })).toBe(1);
    side.conversation({ subject: 'kettle again' });
    expect(await count(searchable, { q: 'kettle' })).toBe(2);
    expect(await count(searchable, { q: 'kettle', status: 'open' })).toBe(2);
    // Another connection to the same file (a replay's swap-in, say) commits a change.
    const other = openDatabase(side.db.name, { synchronous: 'NORMAL' });
    try {
      other.prepare(`UPDATE search_conversations SET status = 'closed'`).run();
    } finally {
      other.close();
    }
    expect(await count(searchable, { q: 'kettle', status: 'open' })).toBe(0);
    expect(await count(searchable, { q: 'kettle' })).toBe(2);
  });

  it('a slow count is recounted at most every countRefreshMs while the read models change', async () => {
    const side = directReadSide();
    side.conversation({ subject: 'parcel lost' });
    const everyCountSlow = tunedSearch(side.db, { countSlowMs: 0, countRefreshMs: 60_000 });
    expect(await count(everyCountSlow, { q: 'parcel' })).toBe(1);
    side.conversation({ subject: 'parcel late' });
    expect(await count(everyCountSlow, { q: 'parcel' })).toBe(1); // trails: counted less than a minute ago
    expect(await count(everyCountSlow, { q: 'parcel', status: 'open' })).toBe(2); // another count is fresh
    const neverTrailing = tunedSearch(side.db, { countSlowMs: 0, countRefreshMs: 0 });
    expect(await count(neverTrailing, { q: 'parcel' })).toBe(2);
    // Without words too: a slow filter-only count trails the same way.
    expect(await count(everyCountSlow, { status: 'open' })).toBe(2);
    side.conversation({ subject: 'hello' });
    expect(await count(everyCountSlow, { status: 'open' })).toBe(2);
    expect(await count(neverTrailing, { status: 'open' })).toBe(3);
  });
});

describe('search: list order and keyset pages', () => {
  it('ties on lastReceivedAt are broken stably, every conversation on exactly one page', async () => {
    const side = directReadSide();
    const made = Array.from({ length: 11 }, (_, i) => side.conversation({ subject: `Same time ${i}`, startedAt: at(i % 2) }));
    for (const sort of ['newest', 'oldest']) {
      for (const q of [undefined, 'same']) {
        const params = { sort, limit: '4', ...(q ? { q } : {}) };
        const paged = await allPages(side.readStore, params);
        expect(paged).toEqual(await ids(side.readStore, { ...params, limit: '200' }));
        expect(new Set(paged)).toEqual(new Set(made));
      }
    }
  });
});

/**
 * The query plans for common words: more texts than rareTextRows hold "common", so it is
 * checked per conversation; "rare" is listed. Every combination must give what a brute force gives.
 */
describe('search: common and rare words give the same answers as a brute force', () => {
  const RARE_TEXT_ROWS = 200;
  const WALK_BUDGET = 100;
  let side: { readStore: Searchable; db: Database; conversation: ReturnType<typeof directReadSide>['conversation'] };
  const expected = new Map<string, { inbox: string; words: Set<string>; time: string; status: 'open' | 'closed' }>();
  const INBOX_SPARSE = 'inbox-sparse';

  beforeAll(() => {
    const direct = directReadSide({ keep: true });
    side = { ...direct, readStore: tunedSearch(direct.db, { rareTextRows: RARE_TEXT_ROWS, walkBudget: WALK_BUDGET }) };
    const total = RARE_TEXT_ROWS + 300;
    side.db.transaction(() => {
      for (let i = 0; i < total; i += 1) {
        const words = new Set(['common', ...(i % 7 === 0 ? ['rare'] : []), ...(i % 3 === 0 ? ['even'] : [])]);
        const time = at(i);
        const id = side.conversation({ subject: [...words].join(' '), startedAt: time }, ...(i % 5 === 0 ? [e.closed()] : []));
        expected.set(id, { inbox: INBOX, words, time, status: i % 5 === 0 ? 'closed' : 'open' });
      }
      // An inbox where "common" is rare in list order: the walk runs out of budget and falls back.
      for (let i = 0; i < WALK_BUDGET + 300; i += 1) {
        const words = new Set(i % 80 === 7 ? ['common'] : ['other']);
        const time = at(10_000 + i);
        const id = side.conversation({ inboxId: INBOX_SPARSE, subject: [...words].join(' '), startedAt: time });
        expected.set(id, { inbox: INBOX_SPARSE, words, time, status: 'open' });
      }
    })();
  });

  const bruteForce = (inbox: string, terms: string[], sort: 'newest' | 'oldest', status?: 'open' | 'closed') =>
    [...expected.entries()]
      .filter(([, c]) => c.inbox === inbox && terms.every((t) => [...c.words].some((w) => w.startsWith(t))) && (!status || c.status === status))
      .sort(([a, x], [b, y]) => (x.time === y.time ? 0 : x.time < y.time ? -1 : 1) * (sort === 'oldest' ? 1 : -1) || a.localeCompare(b))
      .map(([id]) => id);

  it.each([
    ['common', undefined],
    ['rare common', undefined],
    ['rare', undefined],
    ['even common', 'closed'],
    ['rare even comm', 'open'],
    ['common nothing', undefined],
  ] as const)('q=%j status=%j', async (q, status) => {
    const terms = q.split(' ');
    for (const sort of ['newest', 'oldest'] as const) {
      const params = { q, sort, limit: '200', ...(status ? { status } : {}) };
      const firstPage = await ids(side.readStore, params);
      expect(firstPage).toEqual(bruteForce(INBOX, terms, sort, status).slice(0, 200));
    }
    expect(await count(side.readStore, { q, ...(status ? { status } : {}) })).toBe(bruteForce(INBOX, terms, 'newest', status).length);
    const relevance = await allPages(side.readStore, { q, limit: '200', ...(status ? { status } : {}) });
    expect(new Set(relevance)).toEqual(new Set(bruteForce(INBOX, terms, 'newest', status)));
    expect(relevance).toHaveLength(new Set(relevance).size);
  });

  it.each(['even', 'common', 'common even'])('pages through %j in list order', async (q) => {
    for (const sort of ['newest', 'oldest'] as const) {
      const paged = await allPages(side.readStore, { q, sort, limit: '150' });
      expect(paged).toEqual(bruteForce(INBOX, q.split(' '), sort));
    }
  });

  it.each([0, 3, 40])('the walk checks the same conversations whether by range or one by one (span %i)', async (rangeCheckSpan) => {
    // Every word common, and a walk long enough for the whole inbox: every list is walked.
    const tuned = tunedSearch(side.db, { rareTextRows: 1, walkBudget: 10_000, rangeCheckSpan });
    for (const q of ['common', 'even', 'rare even', 'even rare common']) {
      for (const sort of ['newest', 'oldest'] as const) {
        expect(await allPages(tuned, { q, sort, limit: '70' })).toEqual(bruteForce(INBOX, q.split(' '), sort));
        expect(await allPages(tuned, { q, sort, limit: '70', status: 'closed' })).toEqual(bruteForce(INBOX, q.split(' '), sort, 'closed'));
      }
    }
    expect(await ids(tuned, { q: 'common' }, INBOX_SPARSE)).toEqual(bruteForce(INBOX_SPARSE, ['common'], 'newest'));
  });

  it('finds a common word that is sparse in one inbox (walk budget exceeded, then the listed matches)', async () => {
    for (const sort of ['newest', 'oldest'] as const) {
      expect(await ids(side.readStore, { q: 'common', sort }, INBOX_SPARSE)).toEqual(bruteForce(INBOX_SPARSE, ['common'], sort));
      expect(await allPages(side.readStore, { q: 'common', sort, limit: '1' }, INBOX_SPARSE)).toEqual(bruteForce(INBOX_SPARSE, ['common'], sort));
    }
    expect(await count(side.readStore, { q: 'common' }, INBOX_SPARSE)).toBe(bruteForce(INBOX_SPARSE, ['common'], 'newest').length);
  });

  it('these cases go through every plan: rare words listed, common words walked, and matches intersected', async () => {
    const plans = ['candidates', 'walkedPage', 'intersectedPage'] as const;
    const spies = plans.map((name) => jest.spyOn(SqliteConversationSearch.prototype as unknown as Record<string, () => unknown>, name));
    const used = async (params: Record<string, string>, inboxId = INBOX) => {
      spies.forEach((spy) => spy.mockClear());
      await search(side.readStore, params, inboxId);
      return plans.filter((_, i) => spies[i].mock.calls.length > 0);
    };
    try {
      expect(await used({ q: 'rare common', sort: 'newest' })).toEqual(['candidates']);
      expect(await used({ q: 'common', sort: 'newest' })).toEqual(['walkedPage']);
      expect(await used({ q: 'common', sort: 'relevance' })).toEqual(['walkedPage']);
      expect(await used({ q: 'common even', sort: 'relevance' })).toEqual(['candidates']);
      expect(await used({ q: 'common', sort: 'oldest' }, INBOX_SPARSE)).toEqual(['walkedPage', 'intersectedPage']);
    } finally {
      spies.forEach((spy) => spy.mockRestore());
    }
  });

  it('counts without text from the filter index', async () => {
    expect(await count(side.readStore, {})).toBe(bruteForce(INBOX, [], 'newest').length);
    expect(await count(side.readStore, { status: 'closed' })).toBe(bruteForce(INBOX, [], 'newest', 'closed').length);
  });
});

describe('search: query plans', () => {
  it('serves filtered pages and counts from an index range in list order, without a sort', () => {
    const side = directReadSide();
    const plan = (sql: string, params: unknown[]) =>
      (side.db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as Array<{ detail: string }>).map((row) => row.detail).join(' | ');
    const page = (where: string, n: number) =>
      plan(
        `SELECT s.k FROM search_conversations s WHERE s.inbox_id = ? ${where} AND s.trashed = 0 AND (s.last_received_at, s.k) < (?, ?) ORDER BY s.last_received_at DESC, s.k DESC LIMIT 5`,
        Array(n + 3).fill('x'),
      );
    for (const [where, n, index] of [
      ['', 0, 'search_by_time'],
      ['AND s.status = ?', 1, 'search_by_status'],
      ['AND s.channel = ?', 1, 'search_by_channel'],
      ['AND s.assignee = ?', 1, 'search_by_assignee'],
      ['AND s.contact_id = ?', 1, 'search_by_contact'],
    ] as const) {
      const detail = page(where, n);
      expect({ where, detail }).toEqual({ where, detail: expect.stringContaining(`USING ${index === 'search_by_contact' ? '' : 'COVERING '}INDEX ${index}`) });
      expect(detail).not.toMatch(/TEMP B-TREE|SCAN/);
    }
    expect(plan('SELECT count(*) FROM search_conversations s WHERE s.inbox_id = ? AND s.trashed = 0 AND s.filtered = 0', ['x'])).toMatch(/COVERING INDEX/);
  });

  it('reads the matches of words once and finds each conversation by its key, never scanning the matches per conversation', async () => {
    const side = directReadSide();
    const refund = side.conversation({ subject: 'refund please' });
    side.conversation({ subject: 'hello' });
    const prepared: string[] = [];
    const prepare = side.db.prepare.bind(side.db);
    const spy = jest.spyOn(side.db, 'prepare').mockImplementation(((sql: string) => {
      prepared.push(sql);
      return prepare(sql);
    }) as never);
    try {
      const everyWordCommon = tunedSearch(side.db, { rareTextRows: 1, walkBudget: 0 });
      expect(await count(everyWordCommon, { q: 'refund', status: 'open' })).toBe(1);
      expect(await ids(everyWordCommon, { q: 'refund please', sort: 'oldest' })).toEqual([refund]);
    } finally {
      spy.mockRestore();
    }
    const withWords = prepared.filter((sql) => sql.includes('MATERIALIZED'));
    expect(withWords.length).toBeGreaterThanOrEqual(2);
    for (const sql of withWords) {
      const params = Array((sql.match(/\?/g) ?? []).length).fill('x');
      const detail = (side.db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as Array<{ detail: string }>).map((row) => row.detail);
      expect(detail).toContain('SEARCH s USING INTEGER PRIMARY KEY (rowid=?)');
    }
  });
});
