import { randomUUID } from 'node:crypto';
import { expectReadModelsEqualRebuilds } from '../support/rebuild-comparison';
import { append, at, cleanUp, cleanUpTempDirs, newDataDir, newEvent, openLiveSystem } from './fixtures';

afterEach(cleanUp);
afterAll(cleanUpTempDirs);

/**
 * A contact's erasure (PersonalDataErased on the conversation) takes the conversation's subject and
 * the contact's name out of the agents' notification centres: after an erasure no personal data
 * is readable in the read models (docs/privacy.md), and the notifications are one of them.
 */
describe('notifications projection (SQLite) and erasure', () => {
  it("drops the erased conversation's subject, and the contact's name of a new-message notification, keeping the rest", async () => {
    const live = openLiveSystem();
    const agentId = randomUUID();
    const erased = randomUUID();
    const kept = randomUUID();
    const created = (type: string, conversationId: string, params: Record<string, string>, minute: number) =>
      newEvent('NotificationCreated', { notificationId: randomUUID(), agentId, type, conversationId, inboxId: 'inbox-a', params, at: at(minute) });
    await append(
      live.store,
      `notifications-${agentId}`,
      created('new-message', erased, { who: 'Ada Quillfeather', subject: 'My address is 12 Elm Street' }, 1),
      created('mention', erased, { who: 'Bo Agent', subject: 'My address is 12 Elm Street' }, 2),
      created('new-message', kept, { who: 'Someone Else', subject: 'Unrelated' }, 3),
    );
    await append(live.store, `conversation-${erased}`, newEvent('PersonalDataErased', { contactId: randomUUID(), at: at(4) }));
    await live.caughtUp();

    const params = (await live.readStore.listNotifications(agentId, 10)).map((n) => ({ conversationId: n.conversationId, type: n.type, params: n.params }));
    expect(params).toEqual([
      { conversationId: kept, type: 'new-message', params: { who: 'Someone Else', subject: 'Unrelated' } },
      { conversationId: erased, type: 'mention', params: { who: 'Bo Agent' } },
      { conversationId: erased, type: 'new-message', params: {} },
    ]);

    await live.runner.stop();
    expect(await expectReadModelsEqualRebuilds(live.db, live.store, newDataDir())).toEqual(expect.arrayContaining(['rm_notifications']));
  });
});
