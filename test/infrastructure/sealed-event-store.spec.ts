import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Database } from 'better-sqlite3';
import { verifyChain } from '../../src/application/audit/hash-chain';
import { verifyStreamEvents } from '../../src/application/audit/verify-stream';
import type { NewEvent } from '../../src/application/ports/event-store.port';
import { ERASED_ADDRESS } from '../../src/application/privacy/personal-fields';
import { SealedEventStore } from '../../src/infrastructure/event-store/sealed-event-store';
import { SqliteEventStore } from '../../src/infrastructure/event-store/sqlite-event-store';
import { openReadOnlyEventLog } from '../../src/infrastructure/event-store/open-event-log';
import { SqliteSubjectKeys } from '../../src/infrastructure/privacy/sqlite-subject-keys';
import { databaseFile, openDatabase } from '../../src/infrastructure/sqlite/open-database';
import { eventStoreContract } from '../contracts/event-store.contract';

const dirs: string[] = [];
const newDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'parley-sealed-'));
  dirs.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** The log's writer thread run from the TypeScript sources (the server runs the compiled one). */
const WRITER_THREAD = { script: join(__dirname, '../support/event-log-writer.worker.js') };
const MODES = [
  ['in-process', undefined],
  ['writer thread', WRITER_THREAD],
] as const;

describe.each(MODES)('log writes %s', (_mode, writerThread) => {
  // Streams that hold no personal data pass through unchanged: the whole port contract holds.
  eventStoreContract('SealedEventStore over SqliteEventStore (contract)', async () => {
    const db = openDatabase(databaseFile(newDir()), { synchronous: 'FULL' });
    const inner = new SqliteEventStore(db, { pollIntervalMs: 50, writerThread });
    const store = new SealedEventStore(inner, new SqliteSubjectKeys(db, { log: inner }));
    return { store, teardown: async () => void db.close() };
  });

  describe('SealedEventStore', () => {
    let db: Database;
    let dir: string;
    let stored: SqliteEventStore;
    let keys: SqliteSubjectKeys;
    let store: SealedEventStore;

    beforeEach(() => {
      dir = newDir();
      db = openDatabase(databaseFile(dir), { synchronous: 'FULL' });
      stored = new SqliteEventStore(db, { pollIntervalMs: 20, writerThread });
      keys = new SqliteSubjectKeys(db, { log: stored });
      store = new SealedEventStore(stored, keys);
    });

    afterEach(async () => {
      await store.close();
      db.close();
    });

    const conversationId = () => randomUUID();
    const metadata = (actor: NewEvent['metadata']['actor'] = { type: 'contact', address: 'ada@example.com' }) => ({
      actor,
      occurredAt: '2026-12-07T10:00:00.000Z',
      correlationId: randomUUID(),
      causationId: randomUUID(),
    });
    const started = (id: string): NewEvent => ({
      id: randomUUID(),
      type: 'ConversationStarted',
      data: {
        conversationId: id,
        inboxId: 'inbox-1',
        channel: 'email',
        origin: 'inbound',
        externalThreadId: '<root@example.com>',
        contact: { id: 'c1', address: 'ada@example.com', name: 'Ada Lovelace' },
        subject: 'My invoice',
        startedAt: '2026-12-07T10:00:00.000Z',
      },
      metadata: metadata(),
    });
    const message = (): NewEvent => ({
      id: randomUUID(),
      type: 'MessageReceived',
      data: {
        messageId: randomUUID(),
        externalMessageId: '<m1@example.com>',
        from: { address: 'ada@example.com', name: 'Ada Lovelace' },
        to: [{ address: 'support@parley.test' }],
        subject: 'My invoice',
        text: 'My IBAN is NL00BANK0123456789',
        attachments: [{ id: 'a1', filename: 'passport.pdf', contentType: 'application/pdf', size: 12 }],
        fields: [{ key: 'phone', label: { en: 'Phone' }, value: '+31 6 1234 5678' }],
        receivedAt: '2026-12-07T10:00:00.000Z',
      },
      metadata: metadata(),
    });
    const comment = (): NewEvent => ({
      id: randomUUID(),
      type: 'CommentAdded',
      data: { commentId: randomUUID(), authorId: 'agent-1', text: 'Ada called about it', mentions: [], at: '2026-12-07T10:01:00.000Z' },
      metadata: metadata({ type: 'agent', id: 'agent-1' }),
    });

    it('stores personal values sealed and reads them back as they were appended', async () => {
      const id = conversationId();
      const streamId = `conversation-${id}`;
      const events = [started(id), message(), comment()];
      await store.append(streamId, events, { expectedRevision: 'no-stream' });

      const raw = JSON.stringify(await stored.readStream(streamId));
      for (const secret of ['ada@example.com', 'Ada Lovelace', 'My invoice', 'NL00BANK', 'passport.pdf', '+31 6 1234', 'Ada called', '<root@example.com>']) {
        expect(raw).not.toContain(secret);
      }
      expect(raw).toMatch(/"sealed:v1:[A-Za-z0-9_-]+:[A-Za-z0-9_-]+"/);
      // What is no personal data stays readable in the stored form.
      const [storedStart, storedMessage] = await stored.readStream(streamId);
      expect(storedStart.data).toMatchObject({ conversationId: id, inboxId: 'inbox-1', channel: 'email', contact: { id: 'c1' } });
      expect(storedMessage.data).toMatchObject({ attachments: [{ id: 'a1', contentType: 'application/pdf', size: 12 }] });

      const read = await store.readStream(streamId);
      expect(read.map((e) => e.data)).toEqual(events.map((e) => e.data));
      expect(read.map((e) => e.metadata.actor)).toEqual(events.map((e) => e.metadata.actor));
      const all = (await store.readAll({ after: 0, maxCount: 100 })).filter((e) => e.streamId === streamId);
      expect(all.map((e) => e.data)).toEqual(events.map((e) => e.data));
    });

    it('writes a new key in the transaction of the first events sealed with it, on a connection left at synchronous=FULL', async () => {
      const id = conversationId();
      const streamId = `conversation-${id}`;
      const before = stored.stats().transactions;
      await store.append(streamId, [started(id), message()], { expectedRevision: 'no-stream' });
      expect(stored.stats().transactions - before).toBe(1);
      expect(db.prepare('SELECT count(*) FROM subject_keys WHERE subject = ?').pluck().get(streamId)).toBe(1);
      expect(db.pragma('synchronous', { simple: true })).toBe(2);
      // Another process finds it in the file.
      const other = new SealedEventStore(stored, new SqliteSubjectKeys(db));
      expect((await other.readStream(streamId)).map((e) => e.data)).toEqual([started(id).data, expect.anything()]);
    });

    it('opens what this process just sealed and what another process sealed alike', async () => {
      const id = conversationId();
      const streamId = `conversation-${id}`;
      const events = [started(id), message()];
      await store.append(streamId, events, { expectedRevision: 'no-stream' });
      // This process opens its own recent events without deciphering them again; another one deciphers.
      const other = new SealedEventStore(stored, new SqliteSubjectKeys(db, { log: stored }));
      expect((await store.readStream(streamId)).map((e) => e.data)).toEqual(events.map((e) => e.data));
      expect((await other.readStream(streamId)).map((e) => e.data)).toEqual(events.map((e) => e.data));
      // What a reader gets is its own copy: changing it changes nothing the next reader sees.
      const [first] = await store.readStream(streamId);
      (first.data.contact as { name: string }).name = 'Changed';
      expect((await store.readStream(streamId))[0].data).toMatchObject({ contact: { name: 'Ada Lovelace' } });
    });

    it('hands subscriptions opened events too', async () => {
      const id = conversationId();
      await store.append(`conversation-${id}`, [started(id)], { expectedRevision: 'no-stream' });
      const controller = new AbortController();
      for await (const event of store.subscribeAll({ after: 0, signal: controller.signal })) {
        expect(event.data).toMatchObject({ subject: 'My invoice', contact: { address: 'ada@example.com', name: 'Ada Lovelace' } });
        controller.abort();
        break;
      }
    });

    it('reads the redacted value of each kind once the key is destroyed, and the chain still verifies', async () => {
      const id = conversationId();
      const streamId = `conversation-${id}`;
      await store.append(streamId, [started(id), message(), comment()], { expectedRevision: 'no-stream' });
      const before = await stored.readStream(streamId);
      await keys.destroy([streamId]);

      const [s, m, c] = await store.readStream(streamId);
      expect(s.data).toMatchObject({
        conversationId: id,
        externalThreadId: ERASED_ADDRESS,
        contact: { id: 'c1', address: ERASED_ADDRESS, name: '' },
        subject: '',
      });
      expect(s.metadata.actor).toEqual({ type: 'contact', address: ERASED_ADDRESS });
      expect(m.data).toMatchObject({
        from: { address: ERASED_ADDRESS },
        to: [],
        subject: '',
        text: '',
        fields: [],
        attachments: [{ id: 'a1', filename: 'erased', contentType: 'application/pdf', size: 12 }],
      });
      expect(c.data).toMatchObject({ text: '', authorId: 'agent-1' });
      expect(c.metadata.actor).toEqual({ type: 'agent', id: 'agent-1' });

      // The stored bytes did not change: the chain verifies with the key and without it.
      const after = await stored.readStream(streamId);
      expect(after).toEqual(before);
      expect(verifyChain(after)).toBeNull();
      expect(verifyStreamEvents(streamId, after)).toMatchObject({ ok: true, events: 3 });

      // A fresh process (no cache) reads the same redaction.
      const other = new SealedEventStore(stored, new SqliteSubjectKeys(db, { log: stored }));
      expect((await other.readStream(streamId))[1].data).toMatchObject({ text: '', from: { address: ERASED_ADDRESS } });
    });

    it('keeps the other streams readable when one is erased', async () => {
      const [a, b] = [conversationId(), conversationId()];
      await store.append(`conversation-${a}`, [started(a)], { expectedRevision: 'no-stream' });
      await store.append(`conversation-${b}`, [started(b)], { expectedRevision: 'no-stream' });
      await keys.destroy([`conversation-${a}`]);
      expect((await store.readStream(`conversation-${b}`))[0].data).toMatchObject({ subject: 'My invoice' });
    });

    it('seals new events of an erased stream with a new key; the old ones stay redacted', async () => {
      const id = conversationId();
      const streamId = `conversation-${id}`;
      await store.append(streamId, [started(id)], { expectedRevision: 'no-stream' });
      await keys.destroy([streamId]);
      await store.append(streamId, [message()], { expectedRevision: 0 });
      const [s, m] = await store.readStream(streamId);
      expect(s.data).toMatchObject({ subject: '' });
      expect(m.data).toMatchObject({ text: 'My IBAN is NL00BANK0123456789' });
    });

    it('appending an event id again is still a no-op, though sealing it again gives other bytes', async () => {
      const id = conversationId();
      const streamId = `conversation-${id}`;
      const event = started(id);
      const first = await store.append(streamId, [event], { expectedRevision: 'no-stream' });
      const storedOnce = await stored.readStream(streamId);
      const again = await store.append(streamId, [event], { expectedRevision: 'no-stream' });
      expect(again).toEqual({ ...first, duplicate: true });
      expect(await stored.readStream(streamId)).toEqual(storedOnce);
    });

    it('reads events stored plain (before sealing existed) as they are', async () => {
      const id = conversationId();
      const streamId = `conversation-${id}`;
      const event = started(id);
      await stored.append(streamId, [event], { expectedRevision: 'no-stream' });
      expect((await store.readStream(streamId))[0].data).toEqual(event.data);
      await keys.destroy([streamId]);
      expect((await store.readStream(streamId))[0].data).toEqual(event.data);
    });

    it('redacts a value that was sealed for another stream (moved behind its back)', async () => {
      const [a, b] = [conversationId(), conversationId()];
      await store.append(`conversation-${a}`, [started(a)], { expectedRevision: 'no-stream' });
      const [sealedA] = await stored.readStream(`conversation-${a}`);
      await stored.append(
        `conversation-${b}`,
        [
          {
            id: randomUUID(),
            type: 'CommentAdded',
            data: { commentId: 'x', authorId: 'a', text: sealedA.data.subject, mentions: [], at: 'now' },
            metadata: metadata(),
          },
        ],
        {
          expectedRevision: 'no-stream',
        },
      );
      expect((await store.readStream(`conversation-${b}`))[0].data).toMatchObject({ text: '' });
    });

    it('seals contact and ticket streams, and leaves other streams alone', async () => {
      await store.append(
        `contact-${randomUUID()}`,
        [
          {
            id: randomUUID(),
            type: 'ContactCreated',
            data: { contactId: 'c', identities: [{ kind: 'email', value: 'ada@example.com' }], name: 'Ada', source: 'inbound', createdAt: 'now' },
            metadata: metadata(),
          },
        ],
        { expectedRevision: 'no-stream' },
      );
      await store.append(
        `ticket-${randomUUID()}`,
        [{ id: randomUUID(), type: 'TicketChanged', data: { name: 'Refund for Ada', at: 'now' }, metadata: metadata({ type: 'system' }) }],
        { expectedRevision: 'no-stream' },
      );
      await store.append(
        `inbox-${randomUUID()}`,
        [{ id: randomUUID(), type: 'InboxCreated', data: { name: 'Support for ada@example.com' }, metadata: metadata() }],
        {
          expectedRevision: 'no-stream',
        },
      );
      const raw = await stored.readAll({ after: 0, maxCount: 100 });
      const text = (streamPrefix: string) => JSON.stringify(raw.filter((e) => e.streamId.startsWith(streamPrefix)));
      expect(text('contact-')).not.toContain('ada@example.com');
      expect(text('ticket-')).not.toContain('Refund for Ada');
      expect(text('inbox-')).toContain('Support for ada@example.com');
    });

    it('opens with the keys in the file when the log is opened read-only (parley replay)', async () => {
      const id = conversationId();
      const streamId = `conversation-${id}`;
      await store.append(streamId, [started(id)], { expectedRevision: 'no-stream' });
      const log = openReadOnlyEventLog(dir);
      try {
        expect((await log.opened.readStream(streamId))[0].data).toMatchObject({ subject: 'My invoice' });
        expect(JSON.stringify(await log.store.readStream(streamId))).not.toContain('My invoice');
      } finally {
        await log.close();
      }
    });
  });
});
