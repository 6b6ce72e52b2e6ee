import { randomUUID } from 'node:crypto';
import type { Database } from 'better-sqlite3';
import type { NewEvent, RecordedEvent } from '../../src/application/ports/event-store.port';
import { databaseFile, openDatabase } from '../../src/infrastructure/sqlite/open-database';
import { sqliteProjections } from '../../src/projections/sqlite';
import { at, cleanUpTempDirs, conversationEvent as e, dumpReadModels, newDataDir, recorded, seededRandom } from './fixtures';

/**
 * Projections with applyBatch fold a batch's events in memory and write each row once. Whatever
 * the batch boundaries, the read models must be exactly those of applying one event at a time.
 */

const opened: Database[] = [];
afterAll(() => {
  for (const db of opened.splice(0)) db.close();
  cleanUpTempDirs();
});

function emptyReadModels(): Database {
  const db = openDatabase(databaseFile(newDataDir()), { synchronous: 'NORMAL' });
  opened.push(db);
  for (const projection of sqliteProjections) projection.reset(db);
  return db;
}

/** Every table a projection writes, FTS5 rows included (as term instances), in a stable order. */
function dumpAll(db: Database): Record<string, unknown> {
  db.exec(`CREATE VIRTUAL TABLE IF NOT EXISTS temp.search_text_instances USING fts5vocab(main, search_text, 'instance')`);
  return {
    ...dumpReadModels(db),
    search_conversations: db.prepare('SELECT * FROM search_conversations ORDER BY k').all(),
    search_words: db.prepare('SELECT * FROM search_words ORDER BY word').all(),
    search_text: db.prepare('SELECT term, doc, col, offset FROM temp.search_text_instances ORDER BY doc, col, offset').all(),
  };
}

/** A random log over a few conversations: every conversation event the read models react to, interleaved. */
function randomLog(seed: number): RecordedEvent[] {
  const random = seededRandom(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)];
  const words = ['refund', 'parcel', 'invoice', 'delivery', 'xylophone', 'order', 'status', 'thanks', 'broken', 'replacement'];
  // Common words and a long tail of rare ones, so a word often reaches an older conversation
  // after a newer one already holds it (the lowest holder must still win).
  const word = () => (random() < 0.5 ? pick(words) : `rare${Math.floor(random() * 150)}`);
  const text = () => Array.from({ length: 1 + Math.floor(random() * 8) }, word).join(' ');
  const agents = [randomUUID(), randomUUID()];
  const conversations = Array.from({ length: 12 }, () => ({ id: randomUUID(), contactId: randomUUID(), started: false }));
  const revisions = new Map<string, number>();
  const log: RecordedEvent[] = [];
  const push = (streamId: string, event: NewEvent) => {
    const revision = (revisions.get(streamId) ?? -1) + 1;
    revisions.set(streamId, revision);
    log.push(recorded(event, streamId, revision, log.length + 1));
  };
  for (let step = 0; step < 700; step += 1) {
    const c = pick(conversations);
    const stream = `conversation-${c.id}`;
    if (!c.started) {
      push(
        stream,
        e.started({
          conversationId: c.id,
          inboxId: pick(['inbox-a', 'inbox-b']),
          channel: pick(['email', 'chat', 'whatsapp'] as const),
          origin: random() < 0.3 ? 'outbound' : 'inbound',
          subject: text(),
          contact: { id: c.contactId, address: `${pick(words)}@example.com`, name: pick(words) },
          startedAt: at(Math.floor(random() * 50)),
        }),
      );
      c.started = true;
      continue;
    }
    const next = pick<() => NewEvent | 'delete'>([
      () => e.received({ receivedAt: at(Math.floor(random() * 100)), text: text() }),
      () => e.received({ receivedAt: at(Math.floor(random() * 100)), text: text() }),
      () => e.replied({ authorId: pick(agents), text: text() }),
      () => e.assigned(random() < 0.3 ? { type: 'bot' } : { type: 'agent', id: pick(agents) }),
      () => e.unassigned({ type: 'agent', id: pick(agents) }),
      () => e.commented(pick(agents), text()),
      () => e.closed(),
      () => e.reopened(),
      () => e.filtered('x@example.com'),
      () => e.unfiltered('x@example.com'),
      () => e.trashed(),
      () => e.restored(),
      () => e.contactUnlinked(c.contactId),
      () => 'delete',
    ])();
    if (next === 'delete') {
      push(stream, e.trashed());
      push(stream, e.deleted());
      c.started = false; // the same thread may start again: a new conversation with the same id
    } else {
      push(stream, next);
    }
  }
  return log;
}

describe.each([3, 11, 2026])('applying in batches equals applying event by event (seed %i)', (seed) => {
  it('every read-model table, FTS rows and held words included, for any batch boundaries', () => {
    const log = randomLog(seed);
    const oneByOne = emptyReadModels();
    for (const event of log) {
      oneByOne.transaction(() => {
        for (const projection of sqliteProjections) if (projection.handles.includes(event.type)) projection.apply(event, oneByOne);
      })();
    }
    const expected = dumpAll(oneByOne);
    expect((expected.search_conversations as unknown[]).length).toBeGreaterThan(3);
    expect((expected.view_membership as unknown[]).length).toBeGreaterThan(3);

    const random = seededRandom(seed + 1);
    for (const maxBatch of [2, 37, log.length]) {
      const batched = emptyReadModels();
      for (let from = 0; from < log.length;) {
        const batch = log.slice(from, from + 1 + Math.floor(random() * maxBatch));
        from += batch.length;
        batched.transaction(() => {
          for (const projection of sqliteProjections) {
            const events = batch.filter((event) => projection.handles.includes(event.type));
            if (events.length === 0) continue;
            if (projection.applyBatch) projection.applyBatch(events, batched);
            else for (const event of events) projection.apply(event, batched);
          }
        })();
      }
      expect({ maxBatch, tables: dumpAll(batched) }).toEqual({ maxBatch, tables: expected });
    }
  });
});
