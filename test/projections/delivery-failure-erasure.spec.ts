import { randomUUID } from 'node:crypto';
import { SealedEventStore } from '../../src/infrastructure/event-store/sealed-event-store';
import { SqliteSubjectKeys } from '../../src/infrastructure/privacy/sqlite-subject-keys';
import { openDatabase } from '../../src/infrastructure/sqlite/open-database';
import { expectReadModelsEqualRebuilds } from '../support/rebuild-comparison';
import { append, at, cleanUp, cleanUpTempDirs, conversationEvent as e, newDataDir, newEvent, openEventStore, openReadSide } from './fixtures';

afterEach(cleanUp);
afterAll(cleanUpTempDirs);

/**
 * A failed delivery's reason often names the recipient (a relay's "550 <ada@...>: no such user",
 * or "no email address to send to (got ...)"): it is personal data like the reply itself. After
 * an erasure neither the live thread nor a rebuild from the log shows it (docs/privacy.md).
 */
describe('a failed delivery reason and erasure', () => {
  it('is sealed in the log and scrubbed from the thread, the live read model equal to a rebuild', async () => {
    const { store, file } = openEventStore();
    const keysDb = openDatabase(file, { synchronous: 'FULL' });
    const keys = new SqliteSubjectKeys(keysDb);
    const sealed = new SealedEventStore(store, keys);
    const live = openReadSide(file, sealed);
    live.runner.start();
    const caughtUp = async () => expect(await live.runner.waitFor(await store.headPosition(), 10_000)).toBe(true);
    try {
      const conversationId = randomUUID();
      const messageId = randomUUID();
      const contactId = randomUUID();
      const stream = `conversation-${conversationId}`;
      const reason = 'the relay refused the message (550): 5.1.1 <ada.quill@example.org>: Recipient address rejected';
      await append(
        sealed,
        stream,
        e.started({ conversationId, inboxId: 'inbox-a', contact: { id: contactId, address: 'ada.quill@example.org' }, startedAt: at(0) }),
        e.replied({ authorId: 'agent-bo', messageId, to: [{ address: 'ada.quill@example.org' }], queuedAt: at(1) }),
        newEvent('ReplyDeliveryFailed', { messageId, reason, retryable: false, attempt: 1, failedAt: at(2) }),
      );
      await caughtUp();
      const before = await live.readStore.getConversation(conversationId);
      expect(JSON.stringify(before)).toContain('ada.quill@example.org>: Recipient');

      // As the erasure does it: the conversation, the contact, then their keys.
      await append(sealed, stream, newEvent('PersonalDataErased', { contactId, at: at(3) }));
      await append(sealed, `contact-${contactId}`, newEvent('ContactErased', { at: at(3), conversationIds: [conversationId], ticketIds: [] }));
      await keys.destroy([stream, `contact-${contactId}`]);
      await caughtUp();
      expect(JSON.stringify(await live.readStore.getConversation(conversationId))).not.toContain('ada.quill');
      expect(JSON.stringify(await store.readStream(stream))).not.toContain('ada.quill');

      await live.runner.stop();
      expect(await expectReadModelsEqualRebuilds(live.db, store, newDataDir())).toEqual(expect.arrayContaining(['rm_messages']));
    } finally {
      keysDb.close();
    }
  });
});
