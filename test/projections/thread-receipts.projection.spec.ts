import { randomUUID } from 'node:crypto';
import { expectReadModelsEqualRebuilds } from '../support/rebuild-comparison';
import { append, at, cleanUp, cleanUpTempDirs, conversationEvent as e, inboxEvent, newDataDir, newEvent, openLiveSystem } from './fixtures';

afterEach(cleanUp);
afterAll(cleanUpTempDirs);

/**
 * The SQLite thread projection for receipts, reactions, fields and templates: followed live (event
 * by event, the projections catching up in between), it answers what the API shows, and a rebuild
 * of the read models from the log, in the server's batches and in batches of 7, equals the live
 * ones table by table, row by row.
 */
describe('thread projection (SQLite): receipts, reactions, fields, templates', () => {
  it('shows them as the channel reported them, and a rebuild from the log equals the live read models', async () => {
    const live = openLiveSystem({ batchSize: 3 });
    const inboxId = randomUUID();
    await append(live.store, `inbox-${inboxId}`, inboxEvent.created(inboxId, 'Support', 'support@acme.test', true));
    const id = randomUUID();
    const stream = `conversation-${id}`;
    const wa = { address: '+31612345678', name: 'Ana' };
    const fields = [{ key: 'order', label: { en: 'Order number', nl: 'Bestelnummer' }, value: 'A-1001' }];
    const template = { name: 'order_update', language: 'en_US', parameters: ['A-1001'] };
    const events = [
      e.started({ conversationId: id, inboxId, channel: 'whatsapp', contact: { id: 'contact-1', ...wa } }),
      newEvent('MessageReceived', {
        messageId: 'm1',
        externalMessageId: 'wamid.1',
        from: wa,
        to: [],
        subject: '',
        text: 'Hi',
        attachments: [],
        receivedAt: at(1),
        fields,
      }),
      e.replied({ authorId: 'agent-ana', text: 'Hello', messageId: 'm2', channel: 'whatsapp', to: [wa] }),
      newEvent('ReplyQueued', {
        messageId: 'm3',
        authorId: 'agent-ana',
        channel: 'whatsapp',
        to: [wa],
        subject: '',
        text: 'Order A-1001',
        queuedAt: at(2),
        template,
      }),
      newEvent('ReplyStatusReported', { messageId: 'm2', status: 'delivered', at: at(3) }),
      e.delivered('m2'),
      newEvent('ReplyStatusReported', { messageId: 'm2', status: 'read', at: at(4) }),
      e.delivered('m3'),
      newEvent('ReplyStatusReported', { messageId: 'm3', status: 'failed', reason: 'Message undeliverable', at: at(5) }),
      newEvent('ReactionReceived', { externalMessageId: 'r1', messageId: 'm2', from: wa, emoji: '👍', receivedAt: at(6) }),
      newEvent('ReactionReceived', { externalMessageId: 'r2', messageId: 'm2', from: wa, emoji: '🎉', receivedAt: at(7) }),
      newEvent('ReactionReceived', { externalMessageId: 'r3', messageId: 'm1', from: wa, emoji: '❤️', receivedAt: at(7) }),
      newEvent('ReactionReceived', { externalMessageId: 'r4', messageId: 'm1', from: wa, emoji: '', receivedAt: at(8) }),
    ];
    for (const [i, event] of events.entries()) {
      await append(live.store, stream, event);
      if (i % 2 === 0) await live.caughtUp();
    }
    await live.caughtUp();

    const detail = await live.readStore.getConversation(id);
    expect(detail?.messages.map((m) => ({ id: m.id, delivery: m.delivery, reactions: m.reactions, fields: m.fields, template: m.template }))).toEqual([
      { id: 'm1', delivery: null, reactions: undefined, fields, template: undefined },
      {
        id: 'm2',
        delivery: { status: 'delivered', receipt: 'read', at: at(4) },
        reactions: [{ emoji: '🎉', from: wa, at: at(7) }],
        fields: undefined,
        template: undefined,
      },
      { id: 'm3', delivery: { status: 'failed', reason: 'Message undeliverable', at: at(5) }, reactions: undefined, fields: undefined, template },
    ]);

    await live.runner.stop();
    const compared = await expectReadModelsEqualRebuilds(live.db, live.store, newDataDir());
    expect(compared).toContain('rm_messages');
  });
});
