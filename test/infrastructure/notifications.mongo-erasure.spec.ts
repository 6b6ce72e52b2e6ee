import { erasureScrubs } from '../../src/infrastructure/read-store/mongo/notifications.mongo-projection';

/**
 * The MongoDB notification centre on a contact's erasure, as the embedded one does (without a MongoDB
 * server: the scrubs are plain filters and updates, applied here as MongoDB applies them).
 */
describe('notifications in MongoDB: what an erasure scrubs (no server needed)', () => {
  type Doc = { _id: string; conversationId: string; type: string; order: number; params: Record<string, string> };

  function apply(docs: Doc[], scrubs: ReturnType<typeof erasureScrubs>): Doc[] {
    const out = docs.map((doc) => ({ ...doc, params: { ...doc.params } }));
    for (const { filter, update } of scrubs) {
      for (const doc of out) {
        const f = filter as { conversationId: string; order: { $lt: number }; type?: string };
        if (doc.conversationId !== f.conversationId || !(doc.order < f.order.$lt) || (f.type !== undefined && doc.type !== f.type)) continue;
        for (const path of Object.keys(update.$unset)) delete doc.params[path.replace(/^params\./, '')];
      }
    }
    return out;
  }

  const erased = { type: 'PersonalDataErased', streamId: 'conversation-c1', position: 50 };
  const docs: Doc[] = [
    { _id: 'n1', conversationId: 'c1', type: 'new-message', order: 10, params: { subject: 'Invoice for Ada', who: 'Ada Lovelace' } },
    { _id: 'n2', conversationId: 'c1', type: 'mention', order: 20, params: { subject: 'Invoice for Ada', who: 'Agent Bob' } },
    { _id: 'n3', conversationId: 'c2', type: 'new-message', order: 30, params: { subject: 'Other', who: 'Someone' } },
    { _id: 'n4', conversationId: 'c1', type: 'new-message', order: 60, params: { subject: 'Later', who: 'New Sender' } },
  ];

  it("drops the conversation's subject everywhere and the sender of new-message ones, only before the erasure and only of that conversation", () => {
    const after = apply(docs, erasureScrubs([erased]));
    expect(after.map((d) => d.params)).toEqual([{}, { who: 'Agent Bob' }, { subject: 'Other', who: 'Someone' }, { subject: 'Later', who: 'New Sender' }]);
  });

  it('other events scrub nothing', () => {
    expect(erasureScrubs([{ type: 'NotificationCreated', streamId: 'notifications-a1', position: 3 }])).toEqual([]);
  });
});
